"""Delivered tonnes → revenue, logistics cost and netback, and the decomposition of a change.

Pure functions of the engine's records, the network and the policy calendar: a change to a price
or tariff needs no re-simulation. Costs are those in force when they were incurred: rail on the
dispatch day, port handling on arrival at the terminal, freight on the loading day, price and
discount on the day of sale (delivery). Tonnes and money are booked on the export date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import numpy as np
import pandas as pd

from potashsim.contract import COLUMNS, MONEY, MONTHLY
from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.network import routes
from potashsim.sim.policy import Calendar
from potashsim.sim.prices import daily_prices
from potashsim.sim.records import RunTrace

__all__ = ["decompose", "deliveries_table", "monthly_table", "summarize"]


def deliveries_table(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> pd.DataFrame:
    """One row per export with its tonnes and money (USD); ``date`` is the export date."""
    cols = [
        "dispatch_day",
        "terminal_day",
        "load_day",
        "delivered_day",
        "route",
        "market",
        "exported_t",
    ]
    if not trace.deliveries:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in [*cols, *MONEY, "date"]})
    df = pd.DataFrame(
        [
            (
                d.dispatch_day,
                d.terminal_day,
                d.load_day,
                d.delivered_day,
                d.route,
                d.market,
                d.tonnes,
            )
            for d in trace.deliveries
        ],
        columns=cols,
    )
    t = df["exported_t"].to_numpy()
    prices = {m: daily_prices(spec, cal.start, cal.days) for m, spec in net.markets.items()}
    price = np.empty(len(df))
    discount = np.empty(len(df))
    rail = np.zeros(len(df))
    port = np.empty(len(df))
    freight = np.zeros(len(df))
    by_id = {r.id: r for r in routes(net)}
    for key, idx in df.groupby(["route", "market"]).indices.items():
        # grouping by two columns keys each group by a (route, market) tuple
        route, market = cast(tuple[str, str], key)
        # a sale after the horizon is priced at the horizon's last day
        sale = np.minimum(df["delivered_day"].to_numpy()[idx], cal.days - 1)
        price[idx] = prices[market][sale]
        discount[idx] = cal.discount_usd_per_t[market][sale]
        disp = df["dispatch_day"].to_numpy()[idx]
        r = by_id[route]
        for link in r.links:
            rail[idx] += cal.cost[f"link:{link}"][disp]
        port[idx] = cal.cost[f"{r.kind}:{route}"][df["terminal_day"].to_numpy()[idx]]
        if r.kind == "port":
            region = net.ports[route].sea_region
            freight[idx] = cal.cost[f"lane:{region}.{market}"][df["load_day"].to_numpy()[idx]]
    df["revenue_usd"] = (price - discount) * t
    df["discount_usd"] = discount * t
    df["rail_cost_usd"] = rail * t
    df["port_cost_usd"] = port * t
    df["freight_cost_usd"] = freight * t
    df["logistics_cost_usd"] = df["rail_cost_usd"] + df["port_cost_usd"] + df["freight_cost_usd"]
    df["netback_usd"] = df["revenue_usd"] - df["logistics_cost_usd"]
    df["date"] = pd.to_datetime(cal.start) + pd.to_timedelta(df["load_day"], unit="D")
    return df


def monthly_table(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Tidy monthly table: ``month`` × ``route`` × ``market`` with tonnes and money
    (the contract's ``monthly.csv``)."""
    cols = ["exported_t", *MONEY]
    if deliveries.empty:
        return pd.DataFrame(columns=list(COLUMNS[MONTHLY]))
    month = deliveries["date"].dt.to_period("M").dt.to_timestamp()
    out = (
        deliveries.assign(month=month)
        .groupby(["month", "route", "market"], as_index=False)[cols]
        .sum()
    )
    out["month"] = out["month"].dt.date
    return out


def _year_of(cal_start: dt.date, days: int) -> np.ndarray:
    dates = pd.date_range(cal_start, periods=days, freq="D")
    return np.asarray(dates.year)


def summarize(trace: RunTrace, deliveries: pd.DataFrame) -> dict[str, Any]:
    """Totals and breakdowns (``by_year``, ``by_route``, ``by_market``) with unit-named keys."""
    money_cols = ["exported_t", *MONEY]
    zero_stock = {"initial_stock_t": 0.0, "end_stock_t": 0.0, "in_transit_t": 0.0}

    def money(frame: pd.DataFrame) -> dict[str, float]:
        return {c: float(frame[c].sum()) for c in money_cols}

    totals = {
        "produced_t": float(np.sum(trace.produced_t)),
        "curtailed_t": float(np.sum(trace.curtailed_t)),
        "domestic_t": float(np.sum(trace.domestic_t)),
        "initial_stock_t": float(trace.initial_stock_t),
        "end_stock_t": float(trace.end_stock_t),
        "in_transit_t": float(trace.in_transit_t),
        **money(deliveries),
    }
    years = _year_of(trace.start, trace.days)
    by_year: dict[str, dict[str, float]] = {}
    sale_year = deliveries["date"].dt.year if not deliveries.empty else pd.Series(dtype=int)
    for y in sorted(set(years.tolist())):
        mask = years == y
        by_year[str(y)] = {
            "produced_t": float(np.asarray(trace.produced_t)[mask].sum()),
            "curtailed_t": float(np.asarray(trace.curtailed_t)[mask].sum()),
            "domestic_t": float(np.asarray(trace.domestic_t)[mask].sum()),
            **zero_stock,
            **money(deliveries[sale_year == y] if not deliveries.empty else deliveries),
        }
    zero_flow = {"produced_t": 0.0, "curtailed_t": 0.0, "domestic_t": 0.0, **zero_stock}
    by_route = {str(k): {**zero_flow, **money(g)} for k, g in deliveries.groupby("route")}
    by_market = {str(k): {**zero_flow, **money(g)} for k, g in deliveries.groupby("market")}
    return {"totals": totals, "by_year": by_year, "by_route": by_route, "by_market": by_market}


def decompose(base: dict[str, float], other: dict[str, float]) -> dict[str, float]:
    """Split the change in netback from ``base`` to ``other`` into three effects that add up.

    With volume V, revenue per tonne p and logistics cost per tonne c (netback N = V(p − c)):
    volume effect ΔV·(p₀ − c₀), price/discount effect V₁·Δp, logistics effect −V₁·Δc.
    Their sum is exactly N₁ − N₀; the revenue change is the volume effect's revenue part plus
    the price effect (ΔR = ΔV·p₀ + V₁·Δp).

    Args:
        base, other: totals with ``exported_t``, ``revenue_usd``, ``logistics_cost_usd``.
    """
    v0, v1 = base["exported_t"], other["exported_t"]
    p0 = base["revenue_usd"] / v0 if v0 else 0.0
    c0 = base["logistics_cost_usd"] / v0 if v0 else 0.0
    p1 = other["revenue_usd"] / v1 if v1 else p0
    c1 = other["logistics_cost_usd"] / v1 if v1 else c0
    volume = (v1 - v0) * (p0 - c0)
    price = v1 * (p1 - p0)
    logistics = -v1 * (c1 - c0)
    return {
        "volume_usd": volume,
        "price_usd": price,
        "logistics_usd": logistics,
        "total_usd": volume + price + logistics,
    }
