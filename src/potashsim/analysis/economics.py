"""Delivered tonnes → market value, discounts, revenue, logistics cost and netback.

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
from potashsim.sim.market import PriceBook, depth_factor
from potashsim.sim.network import routes
from potashsim.sim.policy import Calendar
from potashsim.sim.records import RunTrace

__all__ = ["deliveries_table", "monthly_table", "summarize"]


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
        trace.deliveries,  # named tuples: a row each, their fields in the columns' order
        columns=cols,
    )
    t = df["exported_t"].to_numpy()
    paid = _paid_prices(trace, net, cal)
    depth = _depth_factors(df, net, cal)
    price = np.empty(len(df))
    discount = np.empty(len(df))
    depth_discount = np.zeros(len(df))
    rail = np.zeros(len(df))
    port = np.empty(len(df))
    freight = np.zeros(len(df))
    by_id = {r.id: r for r in routes(net)}
    for key, idx in df.groupby(["route", "market"]).indices.items():
        # grouping by two columns keys each group by a (route, market) tuple
        route, market = cast(tuple[str, str], key)
        # a sale after the horizon is priced at the horizon's last day
        sale = np.minimum(df["delivered_day"].to_numpy()[idx], cal.days - 1)
        price[idx] = paid[market][sale]
        discount[idx] = cal.discount_usd_per_t[market][sale]
        if market in depth:
            depth_discount[idx] = price[idx] * (1.0 - depth[market][sale])
        disp = df["dispatch_day"].to_numpy()[idx]
        r = by_id[route]
        for link in r.links:
            rail[idx] += cal.cost[f"link:{link}"][disp]
        port[idx] = cal.cost[f"{r.kind}:{route}"][df["terminal_day"].to_numpy()[idx]]
        if r.kind == "port":
            region = net.ports[route].sea_region
            freight[idx] = cal.cost[f"lane:{region}.{market}"][df["load_day"].to_numpy()[idx]]
    df["market_value_usd"] = price * t
    df["sanctions_discount_usd"] = discount * t
    df["depth_discount_usd"] = depth_discount * t
    df["discount_usd"] = df["sanctions_discount_usd"] + df["depth_discount_usd"]
    df["revenue_usd"] = df["market_value_usd"] - df["discount_usd"]
    df["rail_cost_usd"] = rail * t
    df["port_cost_usd"] = port * t
    df["freight_cost_usd"] = freight * t
    df["logistics_cost_usd"] = df["rail_cost_usd"] + df["port_cost_usd"] + df["freight_cost_usd"]
    df["netback_usd"] = df["revenue_usd"] - df["logistics_cost_usd"]
    df["date"] = pd.to_datetime(cal.start) + pd.to_timedelta(df["load_day"], unit="D")
    return df


def _paid_prices(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> dict[str, np.ndarray]:
    """What a tonne delivered to each market on each day pays before discounts (USD/t): the
    observed series as paid (contract and spot, with their lags) times the run's world factor."""
    book = PriceBook(net, cal.start, cal.days, None)
    factor = np.concatenate((np.ones(book.pad), trace.world_factor))
    return {m: book.paid(m, factor) for m in net.markets}


def _depth_factors(df: pd.DataFrame, net: NetworkSpec, cal: Calendar) -> dict[str, np.ndarray]:
    """Each market's price factor from the Belarusian tonnes delivered there (price response on;
    none with it off, where each market is a hard cap instead)."""
    if net.model.price_response == "off" or net.world is None:
        return {}
    day = np.minimum(df["delivered_day"].to_numpy(), cal.days - 1)
    out: dict[str, np.ndarray] = {}
    for market, spec in net.markets.items():
        mask = (df["market"] == market).to_numpy()
        delivered = np.bincount(
            day[mask], weights=df["exported_t"].to_numpy()[mask], minlength=cal.days
        )
        out[market] = depth_factor(delivered, spec, net.world)
    return out


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
    """Totals and breakdowns (``by_year``, ``by_route``, ``by_market``) with unit-named keys; each
    year also holds its own ``by_route`` and ``by_market`` (tonnes and money of that year's
    exports), so route and market shares per year need no other file."""
    zero_stock = {"initial_stock_t": 0.0, "end_stock_t": 0.0, "in_transit_t": 0.0}
    # The sums run over numpy columns, a group's rows in table order: the numbers pandas's
    # Series.sum of each group gives, at a fraction of a group-by's cost (a run has hundreds).
    columns = {c: deliveries[c].to_numpy(dtype=float) for c in ["exported_t", *MONEY]}

    def money(rows: np.ndarray | None = None) -> dict[str, float]:
        # nansum skips a missing value as Series.sum did (replaced by 0, then the same sum)
        if rows is None:
            return {c: float(np.nansum(v)) for c, v in columns.items()}
        return {c: float(np.nansum(v[rows])) for c, v in columns.items()}

    labels = {key: deliveries[key].to_numpy() for key in ("route", "market")}

    def by(key: str, rows: np.ndarray) -> dict[str, dict[str, float]]:
        """``money`` of the ``rows`` of each value of column ``key``, values in sorted order."""
        names = labels[key][rows]
        return {str(k): money(rows[names == k]) for k in sorted(set(names.tolist()))}

    totals = {
        "produced_t": float(np.sum(trace.produced_t)),
        "curtailed_t": float(np.sum(trace.curtailed_t)),
        "domestic_t": float(np.sum(trace.domestic_t)),
        "initial_stock_t": float(trace.initial_stock_t),
        "end_stock_t": float(trace.end_stock_t),
        "in_transit_t": float(trace.in_transit_t),
        **money(),
    }
    years = _year_of(trace.start, trace.days)
    by_year: dict[str, dict[str, Any]] = {}
    every = np.arange(len(deliveries))
    sale_year = deliveries["date"].dt.year.to_numpy() if len(every) else np.zeros(0, int)
    for y in sorted(set(years.tolist())):
        mask = years == y
        sold = every[sale_year == y]
        by_year[str(y)] = {
            "produced_t": float(np.asarray(trace.produced_t)[mask].sum()),
            "curtailed_t": float(np.asarray(trace.curtailed_t)[mask].sum()),
            "domestic_t": float(np.asarray(trace.domestic_t)[mask].sum()),
            **zero_stock,
            **money(sold),
            "by_route": by("route", sold),
            "by_market": by("market", sold),
        }
    zero_flow = {"produced_t": 0.0, "curtailed_t": 0.0, "domestic_t": 0.0, **zero_stock}
    by_route = {k: {**zero_flow, **v} for k, v in by("route", every).items()}
    by_market = {k: {**zero_flow, **v} for k, v in by("market", every).items()}
    return {"totals": totals, "by_year": by_year, "by_route": by_route, "by_market": by_market}
