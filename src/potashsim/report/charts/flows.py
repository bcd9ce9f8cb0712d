"""What the map draws, worked out from saved results: periods, route paths, link flows, closures.

``monthly.csv`` records the terminal a cargo left the rail network at, ``network.json`` the rail
links of each route (:func:`route_links`), so a link's flow is the sum of the exports of every
route whose path uses it (:func:`link_flows`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd

from potashsim.contract import MONTHLY, NETWORK
from potashsim.errors import ReportError
from potashsim.report.charts.style import require

#: A period for the map: a calendar year, or an inclusive ``(first day, last day)`` pair.
Period = int | tuple[date | str | pd.Timestamp, date | str | pd.Timestamp]


def period_bounds(period: Period) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day (inclusive) of a period: a year ``2023`` or a ``(start, end)`` pair."""
    if isinstance(period, int):
        return pd.Timestamp(year=period, month=1, day=1), pd.Timestamp(
            year=period, month=12, day=31
        )
    start, end = (pd.Timestamp(p).normalize() for p in period)
    if end < start:
        raise ReportError(f"period {period!r}: end {end.date()} is before start {start.date()}")
    return start, end


def period_label(period: Period) -> str:
    """``"2023"`` or ``"01 Feb 2022 - 31 Dec 2022"``."""
    if isinstance(period, int):
        return str(period)
    start, end = period_bounds(period)
    return f"{start:%d %b %Y} - {end:%d %b %Y}"


def period_days(period: Period) -> int:
    """The number of days in a period, both ends included."""
    start, end = period_bounds(period)
    return int((end - start).days) + 1


def in_period(monthly: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows of ``monthly`` whose ``month`` (its first day) falls inside the period."""
    start, end = period_bounds(period)
    return monthly[monthly["month"].between(start, end)]


def route_links(network: Mapping[str, Any]) -> dict[str, list[str]]:
    """The rail links of every route, in running order, as ``network.json`` records them.

    The model computes the routes once (``potashsim.sim.network.routes``) and the results writer
    records them, so the map draws the paths the cargo took and never works them out again.

    Args:
        network: the parsed ``network.json``, with its ``routes``.

    Returns:
        ``{route id: [link id, ...]}``.

    Raises:
        ReportError: ``network`` has no ``routes`` (a folder written by an older potashsim).
    """
    if "routes" not in network:
        raise ReportError(
            f"{NETWORK} has no routes: it was written by an older potashsim; run the scenario "
            "again to rewrite it"
        )
    return {str(r["id"]): [str(link) for link in r["links"]] for r in network["routes"]}


def link_flows(network: Mapping[str, Any], monthly: pd.DataFrame, period: Period) -> pd.Series:
    """Tonnes carried on each rail link in a period.

    Args:
        network: the parsed ``network.json``.
        monthly: ``monthly.csv`` (``month`` datetime, ``route``, ``exported_t``).
        period: see :data:`Period`; a month counts when its first day lies in the period.

    Returns:
        Series indexed by every link id in ``network.json`` (0 where nothing passed), tonnes:
        the sum of the exports of every route whose path (:func:`route_links`) uses the link.

    Raises:
        ReportError: a route of ``monthly`` is not among the routes of ``network.json``.
    """
    require(monthly, ("month", "route", "exported_t"), MONTHLY)
    return route_flows(network, route_tonnes(monthly, period))


def route_tonnes(monthly: pd.DataFrame, period: Period) -> pd.Series:
    """Tonnes exported by each route (``monthly.csv``'s ``route``) in a period."""
    return in_period(monthly, period).groupby("route")["exported_t"].sum()


def route_flows(network: Mapping[str, Any], by_route: pd.Series) -> pd.Series:
    """:func:`link_flows` of the tonnes of each route (:func:`route_tonnes`)."""
    paths = route_links(network)
    # summed in a dict (a pandas item assignment costs microseconds), route after route as
    # before, so every float is the same
    flows = dict.fromkeys((str(lnk["id"]) for lnk in network["links"]), 0.0)
    for route, tonnes in by_route.items():
        if str(route) not in paths:
            raise ReportError(
                f"route {route!r} of {MONTHLY} is not among the routes of {NETWORK} "
                f"({', '.join(sorted(paths)) or 'none'})"
            )
        for link_id in paths[str(route)]:
            flows[link_id] += float(tonnes)
    return pd.Series(flows, index=list(flows), dtype=float, name="flow_t")


def closed_fraction(timeline: pd.DataFrame, kind: str, period: Period) -> dict[str, float]:
    """Share of the period's days each target of ``kind`` is closed (``end`` taken inclusive)."""
    return closed_share(closures(timeline, kind), period)


#: Each target's closures: merged, sorted ``(first day, last day)`` pairs (:func:`closures`).
Closures = dict[str, list[tuple[pd.Timestamp, pd.Timestamp]]]


def closures(timeline: pd.DataFrame, kind: str) -> Closures:
    """When each target of ``kind`` was closed (``timeline.csv`` rows of state ``closed``,
    overlapping ones merged), by target in sorted order: worked out once for all of a map's
    periods (:func:`closed_share`)."""
    rows = timeline[timeline["kind"].eq(kind) & timeline["state"].eq("closed")]
    return {
        str(target): _merged(frame["start"], frame["end"])
        for target, frame in rows.groupby("target")
    }


def closed_share(closed: Closures, period: Period) -> dict[str, float]:
    """:func:`closed_fraction` of the :func:`closures` of a kind."""
    start, end = period_bounds(period)
    out: dict[str, float] = {}
    for target, intervals in closed.items():
        days = 0
        for s, e in intervals:
            lo, hi = max(s, start), min(e, end)
            days += max((hi - lo).days + 1, 0)
        if days:
            out[target] = days / period_days(period)
    return out


def _merged(starts: pd.Series, ends: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    # Closures from several actors may overlap; merge so that a day is counted once.
    merged: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    for s, e in sorted(zip(starts, ends, strict=True)):
        if merged and s <= merged[-1][1] + pd.Timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def is_closed_all(fraction: float) -> bool:
    """True when a closed share (see :func:`closed_fraction`) covers the whole period."""
    return fraction >= 1.0 - 1e-9


def state_text(fraction: float, days: int) -> str:
    """``"open"``, ``"closed 120 of 365 days"`` or ``"closed all period"``."""
    if is_closed_all(fraction):
        return "closed all period"
    return f"closed {round(fraction * days)} of {days} days" if fraction else "open"
