"""Delivered tonnes → market value, discounts, revenue, logistics cost and netback.

Pure functions of the engine's records, the network and the policy calendar: a change to a price
or tariff needs no re-simulation. Costs are those in force when they were incurred: rail on the
dispatch day, port handling on arrival at the terminal, freight on the loading day, price and
discount on the day of sale (delivery). Tonnes and money are booked on the export date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from potashsim.analysis.group_sums import group_codes
from potashsim.contract import COLUMNS, MONEY, MONTHLY
from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.market import PriceBook, depth_factor
from potashsim.sim.network import routes
from potashsim.sim.policy import Calendar
from potashsim.sim.records import DELIVERY_FIELDS, RunTrace

__all__ = [
    "DELIVERY_COLUMNS",
    "deliveries_table",
    "delivery_columns",
    "monthly_table",
    "summarize",
]


#: A delivery's own columns: the fields of :class:`~potashsim.sim.records.Delivery`, in order,
#: its ``tonnes`` named ``exported_t`` as in every table of the results.
DELIVERY_COLUMNS = tuple("exported_t" if f == "tonnes" else f for f in DELIVERY_FIELDS)


def delivery_columns(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> dict[str, np.ndarray]:
    """The deliveries' columns as arrays, a row per export: :data:`DELIVERY_COLUMNS` (days as
    integers, ``route`` and ``market`` as strings) and the money columns (USD), in the order
    :func:`deliveries_table` lists them; no ``date``. Empty arrays when nothing was exported.

    A comparison settles each replication from these without building a DataFrame.
    """
    # the log's own arrays: read here, never written to
    log = trace.deliveries.columns()
    cols = {name: log[field] for name, field in zip(DELIVERY_COLUMNS, DELIVERY_FIELDS, strict=True)}
    n = len(cols["exported_t"])
    t = cols["exported_t"]
    paid = _paid_prices(trace, net, cal) if n else {}
    depth = _depth_factors(cols, net, cal) if n else {}
    price = np.empty(n)
    discount = np.empty(n)
    depth_discount = np.zeros(n)
    rail = np.zeros(n)
    port = np.empty(n)
    freight = np.zeros(n)
    by_id = {r.id: r for r in routes(net)}
    # a sale after the horizon is priced at the horizon's last day
    sale_day = np.minimum(cols["delivered_day"], cal.days - 1)
    for (route, market), idx in _row_groups(cols["route"], cols["market"]).items():
        sale = sale_day[idx]
        price[idx] = paid[market][sale]
        discount[idx] = cal.discount_usd_per_t[market][sale]
        if market in depth:
            depth_discount[idx] = price[idx] * (1.0 - depth[market][sale])
        disp = cols["dispatch_day"][idx]
        r = by_id[route]
        for link in r.links:
            rail[idx] += cal.cost[f"link:{link}"][disp]
        port[idx] = cal.cost[f"{r.kind}:{route}"][cols["terminal_day"][idx]]
        if r.kind == "port":
            region = net.ports[route].sea_region
            freight[idx] = cal.cost[f"lane:{region}.{market}"][cols["load_day"][idx]]
    cols["market_value_usd"] = price * t
    cols["sanctions_discount_usd"] = discount * t
    cols["depth_discount_usd"] = depth_discount * t
    cols["discount_usd"] = cols["sanctions_discount_usd"] + cols["depth_discount_usd"]
    cols["revenue_usd"] = cols["market_value_usd"] - cols["discount_usd"]
    cols["rail_cost_usd"] = rail * t
    cols["port_cost_usd"] = port * t
    cols["freight_cost_usd"] = freight * t
    cols["logistics_cost_usd"] = (
        cols["rail_cost_usd"] + cols["port_cost_usd"] + cols["freight_cost_usd"]
    )
    cols["netback_usd"] = cols["revenue_usd"] - cols["logistics_cost_usd"]
    return cols


def _row_groups(route: np.ndarray, market: np.ndarray) -> dict[tuple[str, str], np.ndarray]:
    """The row numbers of each (route, market), ascending."""
    (routes_, markets), codes = group_codes(route, market)
    order = np.argsort(codes, kind="stable")  # stable: each group's rows stay ascending
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return {
        (str(r), str(m)): rows
        for r, m, rows in zip(routes_, markets, np.split(order, bounds), strict=True)
    }


def deliveries_table(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> pd.DataFrame:
    """One row per export with its tonnes and money (USD); ``date`` is the export date."""
    if not trace.deliveries:
        cols = [*DELIVERY_COLUMNS, *MONEY, "date"]
        return pd.DataFrame({c: pd.Series(dtype=float) for c in cols})
    df = pd.DataFrame(delivery_columns(trace, net, cal))
    df["date"] = pd.to_datetime(cal.start) + pd.to_timedelta(df["load_day"], unit="D")
    return df


def _paid_prices(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> dict[str, np.ndarray]:
    """What a tonne delivered to each market on each day pays before discounts (USD/t): the
    observed series as paid (contract and spot, with their lags) times the run's world factor."""
    book = PriceBook(net, cal.start, cal.days, None)
    factor = np.concatenate((np.ones(book.pad), trace.world_factor))
    return {m: book.paid(m, factor) for m in net.markets}


def _depth_factors(
    cols: dict[str, np.ndarray], net: NetworkSpec, cal: Calendar
) -> dict[str, np.ndarray]:
    """Each market's price factor from the Belarusian tonnes delivered there (price response on;
    none with it off, where each market is a hard cap instead)."""
    if net.model.price_response == "off" or net.world is None:
        return {}
    day = np.minimum(cols["delivered_day"], cal.days - 1)
    out: dict[str, np.ndarray] = {}
    for market, spec in net.markets.items():
        mask = cols["market"] == market
        delivered = np.bincount(day[mask], weights=cols["exported_t"][mask], minlength=cal.days)
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
