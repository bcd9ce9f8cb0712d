"""Plotly figures of potashsim results: one pure function per chart, tidy DataFrames in, Figure out.

Nothing here reads or writes files; :mod:`potashsim.report` loads the saved results and assembles
them. Every function documents the columns it needs (names as in docs/results-contract.md) and the
units it draws. Colours are passed in as ``{name: "#rrggbb"}`` maps so that a scenario keeps one
colour across every chart of a report; :func:`scenario_colours` makes such a map.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]
from plotly.subplots import make_subplots  # type: ignore[import-untyped]

from potashsim.errors import ReportError

__all__ = [
    "BASE_COLOUR",
    "Period",
    "bottleneck_chart",
    "closed_fraction",
    "cumulative_revenue_chart",
    "flow_map",
    "flow_maps",
    "link_flows",
    "netback_waterfall",
    "period_bounds",
    "policy_timeline_chart",
    "revenue_netback_chart",
    "route_area_chart",
    "route_colours",
    "route_links",
    "scenario_colours",
]

#: A period for the map: a calendar year, or an inclusive ``(first day, last day)`` pair.
Period = int | tuple[date | str | pd.Timestamp, date | str | pd.Timestamp]

TEMPLATE = "plotly_white"
#: The baseline is always drawn in black; other scenarios take the Okabe-Ito colours in order
#: (colour-blind safe; yellow last because it is faint on white).
BASE_COLOUR = "#000000"
_SCENARIO_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
# Paul Tol's "bright" scheme then the rest of his "muted" one (12 colours, enough for every port
# and border of the network): colour-blind safe and distinct from Okabe-Ito, so a route or an
# actor is never mistaken for a scenario.
_ROUTE_PALETTE = (
    "#4477AA",
    "#EE6677",
    "#228833",
    "#CCBB44",
    "#66CCEE",
    "#AA3377",
    "#332288",
    "#882255",
    "#999933",
    "#44AA99",
    "#DDCC77",
    "#BBBBBB",
)
_ACTOR_PALETTE = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
)
_CLOSED_COLOUR = "#9a9a9a"
_STATE_PATTERN = {"closed": "", "discount": "/", "capacity": "."}
_POLICY_STATES = tuple(_STATE_PATTERN)
_BN = 1e9
_MT = 1e6
# Salihorsk, the Baltic ports and Murmansk; anything further (China) is marked at the edge.
_MAP_LON = (9.0, 56.0)
_MAP_LAT = (44.5, 70.5)


# --------------------------------------------------------------------------- colours and style


def scenario_colours(scenarios: Iterable[str], base: str | None = None) -> dict[str, str]:
    """Give each scenario a fixed colour: ``base`` black, the others Okabe-Ito in order.

    Args:
        scenarios: scenario names in report order (duplicates are ignored).
        base: the baseline scenario, drawn in :data:`BASE_COLOUR`; None when there is none.

    Returns:
        ``{scenario: "#rrggbb"}``; the palette repeats after seven non-base scenarios.
    """
    out: dict[str, str] = {}
    others = 0
    for name in scenarios:
        if name in out:
            continue
        if name == base:
            out[name] = BASE_COLOUR
        else:
            out[name] = _SCENARIO_PALETTE[others % len(_SCENARIO_PALETTE)]
            others += 1
    return out


def route_colours(routes: Iterable[str]) -> dict[str, str]:
    """Give each route (export terminal) a fixed colour, in sorted order of the route ids."""
    return _palette_map(sorted(set(routes)), _ROUTE_PALETTE)


def _palette_map(names: Sequence[str], palette: Sequence[str]) -> dict[str, str]:
    return {n: palette[i % len(palette)] for i, n in enumerate(names)}


def _colour_of(colours: Mapping[str, str] | None, name: str, index: int) -> str:
    if colours and name in colours:
        return colours[name]
    return _SCENARIO_PALETTE[index % len(_SCENARIO_PALETTE)]


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def _style(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        template=TEMPLATE,
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 17}},
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        hoverlabel={"namelength": -1},
        legend={"bgcolor": "rgba(255,255,255,0.85)"},
    )
    return fig


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"{what}: missing column(s) {', '.join(missing)}")


def _empty_note(fig: go.Figure, text: str) -> go.Figure:
    fig.add_annotation(
        text=text,
        showarrow=False,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        font={"size": 14, "color": "#666666"},
    )
    return fig


# --------------------------------------------------------------------------- comparison charts


def revenue_netback_chart(
    stats: pd.DataFrame, *, base: str, colours: Mapping[str, str] | None = None
) -> go.Figure:
    """Bars of the change in revenue and netback against the base, with 95% intervals.

    Args:
        stats: tidy ``comparison.json`` stats, columns ``scenario``, ``metric``, ``mean``,
            ``diff_mean``, ``diff_ci_low``, ``diff_ci_high`` (USD totals over the horizon).
        base: the base scenario; it is left out (its difference is zero by definition).
        colours: scenario colour map, see :func:`scenario_colours`.

    Returns:
        One bar trace per non-base scenario, x = ``["Revenue", "Netback"]``, heights in USD bn
        (``diff_mean / 1e9``) with asymmetric error bars to the interval bounds.
    """
    _require(
        stats,
        ("scenario", "metric", "diff_mean", "diff_ci_low", "diff_ci_high"),
        "comparison stats",
    )
    metrics = {"revenue_usd": "Revenue", "netback_usd": "Netback"}
    fig = go.Figure()
    scenarios = [s for s in dict.fromkeys(stats["scenario"]) if s != base]
    for i, scen in enumerate(scenarios):
        rows = stats[stats["scenario"].eq(scen)].set_index("metric").reindex(list(metrics))
        diff, low, high = (
            rows[c].to_numpy(dtype=float) / _BN
            for c in ("diff_mean", "diff_ci_low", "diff_ci_high")
        )
        fig.add_bar(
            name=scen,
            x=list(metrics.values()),
            y=diff,
            marker_color=_colour_of(colours, scen, i),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": high - diff,
                "arrayminus": diff - low,
                "thickness": 1.5,
                "width": 6,
            },
            text=[_signed(v) for v in diff],
            textposition="inside",
            insidetextanchor="middle",
            textfont={"color": "white", "size": 13},
            customdata=rows[["diff_mean", "diff_ci_low", "diff_ci_high"]].to_numpy(),
            hovertemplate=(
                f"<b>{scen}</b> %{{x}}<br>change %{{customdata[0]:,.0f}} USD"
                "<br>95% CI %{customdata[1]:,.0f} to %{customdata[2]:,.0f} USD"
                "<extra></extra>"
            ),
        )
    fig.add_hline(y=0, line_color="#444444", line_width=1)
    fig.update_layout(
        barmode="group",
        yaxis_title="Change against base, USD bn",
        legend_title_text="Scenario",
        showlegend=True,
    )
    if not scenarios:
        _empty_note(fig, "Only the base scenario: nothing to compare")
    return _style(
        fig,
        f"Change in export revenue and netback against {base}, "
        "USD bn over the horizon (95% interval)",
        460,
    )


_WATERFALL_STEPS = {
    "volume_usd": "Volume",
    "price_usd": "Price & discount",
    "logistics_usd": "Logistics",
    "total_usd": "Total",
}


def netback_waterfall(
    decomposition: pd.DataFrame, *, base: str, colours: Mapping[str, str] | None = None
) -> go.Figure:
    """Waterfall of the netback change against the base: volume, price/discount, logistics, total.

    Args:
        decomposition: columns ``scenario``, ``volume_usd``, ``price_usd``, ``logistics_usd``,
            ``total_usd`` (USD over the horizon; the three parts add up to the total).
        base: the base scenario (left out).
        colours: scenario colour map.

    Returns:
        One ``go.Waterfall`` per non-base scenario in USD bn, measures
        ``relative, relative, relative, total`` on a two-level x axis (scenario, step).

    Raises:
        ReportError: the parts do not add up to ``total_usd`` (more than 1 USD or 1e-6 apart).
    """
    _require(decomposition, ("scenario", *_WATERFALL_STEPS), "netback decomposition")
    fig = go.Figure()
    rows = decomposition[decomposition["scenario"].ne(base)]
    for i, row in enumerate(rows.itertuples(index=False)):
        values = [float(getattr(row, k)) for k in _WATERFALL_STEPS]
        _check_adds_up(str(row.scenario), values)
        colour = _colour_of(colours, str(row.scenario), i)
        fig.add_trace(
            go.Waterfall(
                name=str(row.scenario),
                orientation="v",
                x=[[str(row.scenario)] * 4, list(_WATERFALL_STEPS.values())],
                measure=["relative", "relative", "relative", "total"],
                y=[v / _BN for v in values],
                text=[_signed(v / _BN) for v in values],
                textposition="outside",
                customdata=values,
                hovertemplate="%{x}<br>%{customdata:,.0f} USD<extra></extra>",
                increasing={"marker": {"color": colour}},
                decreasing={"marker": {"color": _rgba(colour, 0.55)}},
                totals={"marker": {"color": colour, "line": {"color": "#222222", "width": 2}}},
                connector={"line": {"color": "#888888", "width": 1, "dash": "dot"}},
            )
        )
    fig.add_hline(y=0, line_color="#444444", line_width=1)
    fig.update_layout(
        yaxis_title="Change in netback, USD bn", waterfallgroupgap=0.25, showlegend=False
    )
    if rows.empty:
        _empty_note(fig, "Only the base scenario: nothing to decompose")
    return _style(
        fig,
        f"Where the netback change against {base} comes from, USD bn (lighter bars are losses)",
        480,
    )


def _signed(value: float) -> str:
    # The typographic minus matches plotly's own tick labels.
    return f"{value:+,.2f}".replace("-", "\u2212")


def _check_adds_up(scenario: str, values: list[float]) -> None:
    *parts, total = values
    if abs(sum(parts) - total) > max(1.0, 1e-6 * abs(total)):
        raise ReportError(
            f"decomposition of {scenario}: volume + price + logistics = "
            f"{sum(parts):,.0f} USD but total_usd = {total:,.0f} USD"
        )


def cumulative_revenue_chart(
    monthly_revenue: pd.DataFrame, *, colours: Mapping[str, str] | None = None
) -> go.Figure:
    """Cumulative revenue per scenario: mean over replications with a 2.5-97.5 percentile band.

    Args:
        monthly_revenue: columns ``scenario``, ``replication``, ``month`` (datetime),
            ``revenue_usd``; one row per scenario x replication x month.
        colours: scenario colour map.

    Returns:
        Per scenario three traces: band upper edge, band lower edge (filled to the upper one)
        and the mean line, all in USD bn. The mean's last point is the mean total revenue.
    """
    _require(
        monthly_revenue, ("scenario", "replication", "month", "revenue_usd"), "monthly revenue"
    )
    fig = go.Figure()
    for i, (scen, frame) in enumerate(monthly_revenue.groupby("scenario", sort=False)):
        wide = (
            frame.pivot_table(
                index="month", columns="replication", values="revenue_usd", aggfunc="sum"
            )
            .sort_index()
            .fillna(0.0)
        )
        cum = wide.cumsum() / _BN
        mean, low, high = cum.mean(axis=1), cum.quantile(0.025, axis=1), cum.quantile(0.975, axis=1)
        colour = _colour_of(colours, str(scen), i)
        common = {
            "x": cum.index,
            "legendgroup": str(scen),
            "showlegend": False,
            "hoverinfo": "skip",
            "mode": "lines",
            "line": {"width": 0},
        }
        fig.add_scatter(y=high, name=f"{scen} 97.5%", **common)
        fig.add_scatter(
            y=low, name=f"{scen} 2.5%", fill="tonexty", fillcolor=_rgba(colour, 0.18), **common
        )
        fig.add_scatter(
            x=cum.index,
            y=mean,
            name=str(scen),
            legendgroup=str(scen),
            mode="lines",
            line={"color": colour, "width": 2.5},
            customdata=pd.concat([low, high], axis=1).to_numpy(),
            hovertemplate=(
                f"<b>{scen}</b> %{{x|%b %Y}}<br>mean %{{y:,.3f}} USD bn"
                "<br>band %{customdata[0]:,.3f} to %{customdata[1]:,.3f}"
                "<extra></extra>"
            ),
        )
    fig.update_layout(
        xaxis_title="Month",
        yaxis_title="Cumulative revenue, USD bn",
        legend_title_text="Scenario",
        hovermode="x unified",
    )
    fig.update_xaxes(type="date", tickformat="%b %Y")
    return _style(
        fig, "Cumulative export revenue, USD bn (mean and 2.5-97.5% band over replications)", 460
    )


def route_area_chart(
    monthly_routes: pd.DataFrame,
    *,
    colours: Mapping[str, str] | None = None,
    routes: Mapping[str, str] | None = None,
) -> go.Figure:
    """Stacked area of exports by route over time, one subplot row per scenario.

    Args:
        monthly_routes: columns ``scenario``, ``month`` (datetime), ``route``, ``exported_t``
            (tonnes per month; months without a row count as zero).
        colours: scenario colour map (colours each panel's title).
        routes: route colour map, see :func:`route_colours`.

    Returns:
        Per scenario one stacked trace per route (``stackgroup`` per panel), y in Mt per month;
        the stacked height in a month equals that scenario's exports in that month.
    """
    _require(monthly_routes, ("scenario", "month", "route", "exported_t"), "monthly routes")
    scenarios = list(dict.fromkeys(monthly_routes["scenario"]))
    route_map = dict(routes) if routes else route_colours(monthly_routes["route"])
    order = (
        monthly_routes.groupby("route")["exported_t"]
        .sum()
        .sort_values(ascending=False, kind="stable")
        .index.tolist()
    )
    n = max(len(scenarios), 1)
    fig = make_subplots(
        rows=n,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.12 / n,
        subplot_titles=[str(s) for s in scenarios] or [""],
    )
    months = pd.DatetimeIndex(sorted(monthly_routes["month"].unique()))
    for row, scen in enumerate(scenarios, start=1):
        wide = (
            monthly_routes[monthly_routes["scenario"].eq(scen)]
            .pivot_table(index="month", columns="route", values="exported_t", aggfunc="sum")
            .reindex(index=months, columns=order)
            .fillna(0.0)
        )
        for route in order:
            fig.add_scatter(
                x=months,
                y=wide[route] / _MT,
                name=str(route),
                legendgroup=str(route),
                showlegend=row == 1,
                stackgroup=f"s{row}",
                mode="lines",
                line={"width": 0.5, "color": route_map.get(str(route), "#777777")},
                customdata=wide[route].to_numpy(),
                hovertemplate=(
                    f"{scen} · {route}<br>%{{x|%b %Y}}: %{{y:,.3f}} Mt "
                    "(%{customdata:,.0f} t)<extra></extra>"
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text="Mt per month", rangemode="tozero", row=row, col=1)
    for i, ann in enumerate(fig.layout.annotations):
        ann.font = {"size": 14, "color": _colour_of(colours, ann.text, i)}
    fig.update_xaxes(type="date", tickformat="%b %Y")
    fig.update_xaxes(title_text="Month", row=n, col=1)
    fig.update_layout(legend_title_text="Route (export terminal)", hovermode="x unified")
    if monthly_routes.empty:
        _empty_note(fig, "No exports recorded")
    return _style(fig, "Exports by route, Mt per month", 180 + 240 * n)


# --------------------------------------------------------------------------- map


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


def _period_label(period: Period) -> str:
    if isinstance(period, int):
        return str(period)
    start, end = period_bounds(period)
    return f"{start:%d %b %Y} - {end:%d %b %Y}"


def _route_node(network: Mapping[str, Any], route: str) -> str:
    for key in ("ports", "borders"):
        for item in network.get(key, []):
            if item["id"] == route:
                return str(item["node"])
    if any(n["id"] == route for n in network["nodes"]):
        return route
    raise ReportError(
        f"route {route!r} is neither a port, a border crossing nor a node in network.json"
    )


def route_links(network: Mapping[str, Any], route: str) -> list[str]:
    """The rail links a route's cargo travels, from the nearest mine to the route's terminal.

    ``monthly.csv`` records only the terminal a cargo left the rail network at, so the path is
    derived: the shortest path by ``distance_km`` over the links (taken as undirected) from any
    node of kind ``mine`` to the route's node (a port's or border crossing's ``node``).

    Args:
        network: the parsed ``network.json``.
        route: a route id (= a port or border id).

    Returns:
        Link ids in travel order (empty when the terminal is itself a mine node).

    Raises:
        ReportError: the route is unknown, there is no mine, or no path exists.
    """
    target = _route_node(network, route)
    mines = [str(n["id"]) for n in network["nodes"] if n.get("kind") == "mine"]
    if not mines:
        raise ReportError("network.json has no node of kind 'mine' to start routes from")
    adjacency: dict[str, list[tuple[str, str, float]]] = {}
    for link in network["links"]:
        dist = float(link.get("distance_km") or 0.0)
        adjacency.setdefault(link["from"], []).append((link["to"], link["id"], dist))
        adjacency.setdefault(link["to"], []).append((link["from"], link["id"], dist))
    best: dict[str, float] = dict.fromkeys(mines, 0.0)
    via: dict[str, tuple[str, str]] = {}
    queue = [(0.0, m) for m in sorted(mines)]
    while queue:
        dist, node = heapq.heappop(queue)
        if node == target:
            break
        if dist > best.get(node, math.inf):
            continue
        for nxt, link_id, length in adjacency.get(node, []):
            if dist + length < best.get(nxt, math.inf):
                best[nxt] = dist + length
                via[nxt] = (node, link_id)
                heapq.heappush(queue, (dist + length, nxt))
    if target not in best:
        raise ReportError(f"route {route!r}: no rail path from a mine to node {target!r}")
    path: list[str] = []
    node = target
    while node in via:
        node, link_id = via[node]
        path.append(link_id)
    return path[::-1]


def link_flows(network: Mapping[str, Any], monthly: pd.DataFrame, period: Period) -> pd.Series:
    """Tonnes carried on each rail link in a period.

    Args:
        network: the parsed ``network.json``.
        monthly: ``monthly.csv`` (``month`` datetime, ``route``, ``exported_t``).
        period: see :data:`Period`; a month counts when its first day lies in the period.

    Returns:
        Series indexed by every link id in ``network.json`` (0 where nothing passed), tonnes:
        the sum of the exports of every route whose path (:func:`route_links`) uses the link.
    """
    _require(monthly, ("month", "route", "exported_t"), "monthly.csv")
    start, end = period_bounds(period)
    in_period = monthly[monthly["month"].between(start, end)]
    by_route = in_period.groupby("route")["exported_t"].sum()
    flows = pd.Series(0.0, index=[str(lnk["id"]) for lnk in network["links"]], name="flow_t")
    for route, tonnes in by_route.items():
        for link_id in route_links(network, str(route)):
            flows[link_id] += float(tonnes)
    return flows


def closed_fraction(timeline: pd.DataFrame, kind: str, period: Period) -> dict[str, float]:
    """Share of the period's days each target of ``kind`` is closed (``end`` taken inclusive)."""
    start, end = period_bounds(period)
    days = (end - start).days + 1
    rows = timeline[timeline["kind"].eq(kind) & timeline["state"].eq("closed")]
    out: dict[str, float] = {}
    for target, frame in rows.groupby("target"):
        closed = 0
        for s, e in _merged(frame["start"], frame["end"]):
            lo, hi = max(s, start), min(e, end)
            closed += max((hi - lo).days + 1, 0)
        if closed:
            out[str(target)] = closed / days
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


def _state_text(fraction: float, days: int) -> str:
    if fraction >= 1.0 - 1e-9:
        return "closed all period"
    return f"closed {round(fraction * days)} of {days} days" if fraction else "open"


def flow_map(
    network: Mapping[str, Any],
    monthly: pd.DataFrame,
    timeline: pd.DataFrame,
    period: Period,
    *,
    scenario: str,
    colour: str = BASE_COLOUR,
    max_flow_t: float | None = None,
) -> go.Figure:
    """Map of rail links (width by flow), mines, ports and border crossings in one period.

    Open links are solid lines in the scenario colour; links closed for part of the period are
    dotted; links closed for the whole period (``timeline.csv`` state ``closed``) are grey and
    dashed. Ports and borders closed all period are grey crosses. Terminals off the map
    (e.g. Zabaikalsk on the Chinese border) are marked at the map's edge with their flow, and
    exports by market in the period are listed in a box.

    Args:
        network: the parsed ``network.json``.
        monthly: ``monthly.csv`` (``month`` datetime, ``route``, ``market``, ``exported_t``).
        timeline: ``timeline.csv`` (``kind``, ``target``, ``start``, ``end`` datetimes, ``state``).
        period: a year or an inclusive ``(start, end)`` pair.
        scenario: scenario name for the title.
        colour: the scenario's colour.
        max_flow_t: the flow drawn at full width (pass the maximum over several maps to make
            their widths comparable); default the largest flow in this map.

    Returns:
        A ``go.Scattergeo`` figure on the vendored ``world_110m`` topojson: one trace per link
        (``meta`` = ``{"link", "flow_t", "state"}``), then node markers and legend keys.
    """
    flows = link_flows(network, monthly, period)
    start, end = period_bounds(period)
    days = (end - start).days + 1
    closed = closed_fraction(timeline, "link", period)
    top = max_flow_t if max_flow_t else max(float(flows.max()), 1.0)
    nodes = {str(n["id"]): n for n in network["nodes"]}
    fig = go.Figure()
    for link in network["links"]:
        _add_link(
            fig,
            link,
            nodes,
            float(flows[str(link["id"])]),
            top,
            closed.get(str(link["id"]), 0.0),
            days,
            colour,
        )
    _add_nodes(fig, network, monthly, timeline, period, colour)
    _add_legend_keys(fig, colour, top)
    _add_market_box(fig, monthly, period)
    fig.update_geos(
        projection={"type": "conic conformal", "parallels": [50, 65], "rotation": {"lon": 32}},
        lonaxis_range=list(_MAP_LON),
        lataxis_range=list(_MAP_LAT),
        resolution=110,
        showcountries=True,
        countrycolor="#b5b5b5",
        showland=True,
        landcolor="#f4f4f1",
        showocean=True,
        oceancolor="#e4eef6",
        showlakes=True,
        lakecolor="#e4eef6",
        coastlinecolor="#9fb3c8",
        showframe=False,
    )
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 70, "b": 10},
        legend={"orientation": "h", "x": 0.0, "y": -0.01, "yanchor": "top", "font": {"size": 11}},
    )
    return _style(
        fig, f"Rail exports by link, {scenario}, {_period_label(period)} (width = Mt carried)", 560
    )


def _add_link(
    fig: go.Figure,
    link: Mapping[str, Any],
    nodes: Mapping[str, Any],
    flow: float,
    top: float,
    fraction: float,
    days: int,
    colour: str,
) -> None:
    a, b = nodes[str(link["from"])], nodes[str(link["to"])]
    state = _state_text(fraction, days)
    full = fraction >= 1.0 - 1e-9
    width = 1.5 if full else 1.5 + 10.5 * flow / top
    line = {
        "width": width,
        "color": _CLOSED_COLOUR if full else colour,
        "dash": "dash" if full else ("dot" if fraction else "solid"),
    }
    hover = (
        f"<b>{link['id']}</b> {a.get('name', a['id'])} - {b.get('name', b['id'])}"
        f"<br>{flow / _MT:,.3f} Mt ({flow:,.0f} t)<br>{state}<extra></extra>"
    )
    lon, lat = _clip_segment((a["lon"], a["lat"]), (b["lon"], b["lat"]))
    fig.add_trace(
        go.Scattergeo(
            lon=lon,
            lat=lat,
            mode="lines",
            line=line,
            name=str(link["id"]),
            showlegend=False,
            hovertemplate=hover,
            meta={"link": str(link["id"]), "flow_t": flow, "state": state},
        )
    )


def _on_map(lon: float, lat: float) -> bool:
    return _MAP_LON[0] <= lon <= _MAP_LON[1] and _MAP_LAT[0] <= lat <= _MAP_LAT[1]


def _clip_segment(
    a: tuple[float, float], b: tuple[float, float]
) -> tuple[list[float], list[float]]:
    # Plotly does not clip lines at a lon/lat range; an off-map end is pulled to the edge so the
    # line stops there (the off-map terminal gets an edge marker instead).
    ends = [a, b]
    for i in (0, 1):
        if not _on_map(*ends[i]):
            inside = ends[1 - i]
            ends[i] = _edge_point(inside, ends[i])
    return [ends[0][0], ends[1][0]], [ends[0][1], ends[1][1]]


def _edge_point(inside: tuple[float, float], outside: tuple[float, float]) -> tuple[float, float]:
    (x0, y0), (x1, y1) = inside, outside
    t = 1.0
    for lo, hi, p0, p1 in ((_MAP_LON[0], _MAP_LON[1], x0, x1), (_MAP_LAT[0], _MAP_LAT[1], y0, y1)):
        if p1 > hi:
            t = min(t, (hi - p0) / (p1 - p0))
        elif p1 < lo:
            t = min(t, (lo - p0) / (p1 - p0))
    t = max(0.0, t) * 0.995  # just inside, so the projection keeps the point
    return x0 + t * (x1 - x0), y0 + t * (y1 - y0)


def _short_name(name: str) -> str:
    # "Salihorsk (Belaruskali mines)" -> "Salihorsk": long names collide on a small map.
    return name.split(" (", 1)[0].strip() or name


def _terminal_groups(
    network: Mapping[str, Any],
    nodes: Mapping[str, Any],
    by_route: pd.Series,
    closed: Mapping[str, float],
    days: int,
) -> dict[str, dict[str, Any]]:
    """Ports and border crossings grouped by rail node (several terminals can share one)."""
    terminals = [("port", p) for p in network.get("ports", [])]
    terminals += [("border", b) for b in network.get("borders", [])]
    groups: dict[str, dict[str, Any]] = {}
    for kind, item in terminals:
        node = nodes[str(item["node"])]
        group = groups.setdefault(
            str(item["node"]), {"flow": 0.0, "closed": True, "names": [], "hover": []}
        )
        flow = float(by_route.get(str(item["id"]), 0.0))
        frac = closed.get(str(item["id"]), 0.0)
        full_name = str(item.get("name") or node.get("name") or item["id"])
        group["flow"] += flow
        group["closed"] &= frac >= 1.0 - 1e-9
        if _short_name(full_name) not in group["names"]:
            group["names"].append(_short_name(full_name))
        group["hover"].append(
            f"<b>{full_name}</b> ({kind}): {flow / _MT:,.3f} Mt ({flow:,.0f} t), "
            f"{_state_text(frac, days)}"
        )
    return groups


def _label_positions(points: Sequence[tuple[float, float, bool]], hub_lon: float) -> list[str]:
    """Text positions that keep the labels of terminals close together apart.

    Labels go on the side away from the mine; of two terminals almost on one parallel the
    western label goes left and the eastern right, of two on one meridian one goes above.
    """
    out = []
    for i, (lon, lat, off) in enumerate(points):
        side = "left" if off or lon < hub_lon else "right"
        vertical = "top" if off else "middle"  # an edge arrow's label sits above its line
        for j, (lon2, lat2, off2) in enumerate(points):
            if j == i or off or off2 or abs(lat - lat2) >= 0.8 or abs(lon - lon2) >= 4:
                continue
            if abs(lon - lon2) >= 0.5:
                side = "left" if lon < lon2 else "right"
            else:
                vertical = "top" if (lat, -i) > (lat2, -j) else "bottom"
        out.append(f"{vertical} {side}")
    return out


def _add_nodes(
    fig: go.Figure,
    network: Mapping[str, Any],
    monthly: pd.DataFrame,
    timeline: pd.DataFrame,
    period: Period,
    colour: str,
) -> None:
    start, end = period_bounds(period)
    by_route = monthly[monthly["month"].between(start, end)].groupby("route")["exported_t"].sum()
    nodes = {str(n["id"]): n for n in network["nodes"]}
    closed = {
        **closed_fraction(timeline, "port", period),
        **closed_fraction(timeline, "border", period),
    }
    groups = _terminal_groups(network, nodes, by_route, closed, (end - start).days + 1)
    mines = [n for n in network["nodes"] if n.get("kind") == "mine"]
    _marker_trace(
        fig,
        "Mine",
        mines,
        symbol="diamond",
        colour="#5b3a1a",
        size=13,
        labels=[_short_name(str(n.get("name", n["id"]))) for n in mines],
    )
    hub_lon = float(mines[0]["lon"]) if mines else sum(_MAP_LON) / 2
    points = []
    for node_id in groups:
        lon, lat = float(nodes[node_id]["lon"]), float(nodes[node_id]["lat"])
        off = not _on_map(lon, lat)
        if off:
            # Put the marker where the link towards it leaves the map, so the line ends in it.
            lon, lat = _edge_point(_neighbour_on_map(network, nodes, node_id), (lon, lat))
        points.append((lon, lat, off))
    for (node_id, group), (lon, lat, off), position in zip(
        groups.items(), points, _label_positions(points, hub_lon), strict=True
    ):
        # Closed terminals get a marker and hover text but no label, to keep the map legible.
        labelled = not group["closed"]
        label = f"{'→ ' if off else ''}{' / '.join(group['names'])} {group['flow'] / _MT:,.2f} Mt"
        fig.add_trace(
            go.Scattergeo(
                lon=[lon],
                lat=[lat],
                mode="markers+text" if labelled else "markers",
                text=[label] if labelled else None,
                textposition=position,
                marker={
                    "symbol": "x" if group["closed"] else ("triangle-right" if off else "circle"),
                    "size": 11 if group["closed"] else 12,
                    "color": _CLOSED_COLOUR if group["closed"] else colour,
                    "line": {"width": 1, "color": "white"},
                },
                textfont={"size": 11, "color": "#222222" if group["flow"] else "#777777"},
                name=label,
                showlegend=False,
                meta={"node": node_id, "flow_t": group["flow"], "closed": group["closed"]},
                hovertemplate="<br>".join(group["hover"]) + "<extra></extra>",
            )
        )
    others = [
        n
        for nid, n in nodes.items()
        if nid not in groups and n.get("kind") != "mine" and _on_map(n["lon"], n["lat"])
    ]
    _marker_trace(fig, "Junction", others, symbol="circle", colour="#777777", size=5, labels=None)


def _neighbour_on_map(
    network: Mapping[str, Any], nodes: Mapping[str, Any], node_id: str
) -> tuple[float, float]:
    for link in network["links"]:
        ends = (str(link["from"]), str(link["to"]))
        if node_id in ends:
            other = nodes[ends[1] if ends[0] == node_id else ends[0]]
            if _on_map(other["lon"], other["lat"]):
                return float(other["lon"]), float(other["lat"])
    return sum(_MAP_LON) / 2, sum(_MAP_LAT) / 2


def _marker_trace(
    fig: go.Figure,
    name: str,
    nodes: Sequence[Mapping[str, Any]],
    *,
    symbol: str,
    colour: str,
    size: int,
    labels: list[str] | None,
) -> None:
    if not nodes:
        return
    fig.add_trace(
        go.Scattergeo(
            lon=[n["lon"] for n in nodes],
            lat=[n["lat"] for n in nodes],
            mode="markers+text" if labels else "markers",
            text=labels,
            textposition="bottom center",
            name=name,
            showlegend=False,
            marker={"symbol": symbol, "size": size, "color": colour},
            hovertext=[str(n.get("name", n["id"])) for n in nodes],
            hoverinfo="text",
        )
    )


def _add_legend_keys(fig: go.Figure, colour: str, top: float) -> None:
    keys = (
        ("open (width ∝ flow; widest " + f"{top / _MT:,.1f} Mt)", colour, "solid", 4),
        ("closed part of the period", colour, "dot", 3),
        ("closed all period", _CLOSED_COLOUR, "dash", 2),
    )
    for name, col, dash, width in keys:
        fig.add_trace(
            go.Scattergeo(
                lon=[None],
                lat=[None],
                mode="lines",
                name=name,
                line={"color": col, "dash": dash, "width": width},
                hoverinfo="skip",
            )
        )


def _add_market_box(fig: go.Figure, monthly: pd.DataFrame, period: Period) -> None:
    start, end = period_bounds(period)
    by_market = (
        monthly[monthly["month"].between(start, end)]
        .groupby("market")["exported_t"]
        .sum()
        .sort_values(ascending=False)
    )
    lines = [f"{m}: {t / _MT:,.2f} Mt" for m, t in by_market.items()] or ["no exports"]
    fig.add_annotation(
        text="<b>Exports by market</b><br>" + "<br>".join(lines),
        xref="paper",
        yref="paper",
        x=0.01,
        y=0.99,
        xanchor="left",
        yanchor="top",
        showarrow=False,
        align="left",
        bgcolor="rgba(255,255,255,0.85)",
        bordercolor="#cccccc",
        font={"size": 11},
    )


def flow_maps(
    network: Mapping[str, Any],
    monthly: pd.DataFrame,
    timeline: pd.DataFrame,
    periods: Sequence[Period],
    *,
    scenario: str,
    colour: str = BASE_COLOUR,
    max_flow_t: float | None = None,
) -> list[go.Figure]:
    """One :func:`flow_map` per period, with line widths on one common scale.

    Separate figures rather than a slider so that every period exports to its own image.

    Args:
        network, monthly, timeline, scenario, colour: as for :func:`flow_map`.
        periods: e.g. ``[2021, 2023, 2027]``.
        max_flow_t: the flow drawn at full width; default the largest link flow over all periods.

    Returns:
        Figures in the order of ``periods``.
    """
    if max_flow_t is None:
        max_flow_t = (
            max((float(link_flows(network, monthly, p).max()) for p in periods), default=0.0)
            or None
        )
    return [
        flow_map(
            network, monthly, timeline, p, scenario=scenario, colour=colour, max_flow_t=max_flow_t
        )
        for p in periods
    ]


# --------------------------------------------------------------------------- run charts


def policy_timeline_chart(
    timeline: pd.DataFrame,
    *,
    scenario: str,
    horizon: tuple[pd.Timestamp, pd.Timestamp] | None = None,
) -> go.Figure:
    """Gantt of policy intervals (state closed, discount or capacity), coloured by actor.

    Rows with an empty ``actor`` are the network's own data, not policy, and are left out.

    Args:
        timeline: ``timeline.csv`` with ``start``/``end`` as datetimes (``end`` inclusive).
        scenario: scenario name for the title.
        horizon: first and last day of the run; fixes the date axis so that timelines of
            several scenarios line up. Default: the span of the bars.

    Returns:
        One horizontal bar trace per actor; ``base`` = start, ``x`` = duration in ms on a date
        axis; y = ``"target (kind)"``; the fill pattern shows the state (solid = closed,
        ``/`` = discount, ``.`` = capacity) and the bar text states it too.
    """
    _require(
        timeline, ("kind", "target", "start", "end", "state", "value", "actor"), "timeline.csv"
    )
    rows = timeline[
        timeline["state"].isin(_POLICY_STATES)
        & timeline["actor"].fillna("").astype(str).str.strip().ne("")
    ]
    rows = rows.sort_values(["start", "kind", "target"], kind="stable")
    labels = (rows["target"].astype(str) + " (" + rows["kind"].astype(str) + ")").tolist()
    actors = list(dict.fromkeys(rows["actor"].astype(str)))
    colours = _palette_map(actors, _ACTOR_PALETTE)
    fig = go.Figure()
    for actor in actors:
        part = rows[rows["actor"].astype(str).eq(actor)]
        ends = part["end"] + pd.Timedelta(days=1)
        fig.add_bar(
            orientation="h",
            name=actor,
            base=part["start"].dt.strftime("%Y-%m-%d").tolist(),
            x=((ends - part["start"]).dt.total_seconds() * 1000).tolist(),
            y=(part["target"].astype(str) + " (" + part["kind"].astype(str) + ")").tolist(),
            marker={
                "color": colours[actor],
                "pattern": {
                    "shape": [_STATE_PATTERN[s] for s in part["state"]],
                    "fgcolor": "white",
                    "size": 7,
                },
            },
            text=[_policy_text(r) for r in part.itertuples(index=False)],
            textposition="inside",
            insidetextanchor="start",
            customdata=list(
                zip(
                    part["start"].dt.strftime("%d %b %Y"),
                    part["end"].dt.strftime("%d %b %Y"),
                    part["action"].fillna("").astype(str),
                    part["state"].astype(str),
                    strict=True,
                )
            ),
            hovertemplate=(
                f"<b>%{{y}}</b><br>{actor}: %{{customdata[2]}}"
                "<br>%{customdata[3]}: %{text}"
                "<br>%{customdata[0]} to %{customdata[1]}<extra></extra>"
            ),
        )
    fig.update_layout(
        barmode="overlay", legend_title_text="Actor", xaxis_title="Date", yaxis_title=""
    )
    fig.update_xaxes(type="date", tickformat="%b %Y")
    fig.update_yaxes(
        categoryorder="array", categoryarray=list(dict.fromkeys(labels))[::-1], automargin=True
    )
    if horizon is not None:
        fig.update_xaxes(range=[horizon[0], horizon[1] + pd.Timedelta(days=1)])
    if rows.empty:
        fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False)
        _empty_note(fig, "No policy events in this scenario")
    height = 220 + 38 * max(len(set(labels)), 2)
    return _style(
        fig, f"Policy timeline, {scenario}: closures, discounts and capacity limits", height
    )


def _policy_text(row: Any) -> str:
    value = row.value
    if row.state == "discount" and pd.notna(value):
        return f"discount {float(value):.0%}" if float(value) < 1 else f"discount {value:g}"
    if row.state == "capacity" and pd.notna(value):
        return f"capacity {float(value):,.0f}"
    return str(row.state)


def bottleneck_chart(utilisation: pd.DataFrame, *, scenario: str, top: int = 4) -> go.Figure:
    """Utilisation of rail links and of ports/borders over time, and mean waiting days.

    Args:
        utilisation: ``utilisation.csv`` (``month`` datetime, ``kind``, ``facility``,
            ``utilisation`` 0..1 or NaN when closed, ``mean_wait_days``).
        scenario: scenario name for the title.
        top: per group (links; ports and borders) the facilities with the highest mean
            utilisation are drawn, at most this many, to keep the chart legible.

    Returns:
        Three rows sharing the date axis: links' utilisation in %, ports' and borders'
        utilisation in %, and mean waiting days of the drawn facilities. Gaps are months with
        zero capacity (closed). One colour per facility across the rows.
    """
    _require(
        utilisation,
        ("month", "kind", "facility", "utilisation", "mean_wait_days"),
        "utilisation.csv",
    )
    groups = {
        1: utilisation[utilisation["kind"].eq("link")],
        2: utilisation[utilisation["kind"].isin(["port", "border"])],
    }
    chosen = {row: _busiest(frame, top) for row, frame in groups.items()}
    colours = _palette_map([f for row in (1, 2) for f in chosen[row]], _ACTOR_PALETTE)
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.07,
        subplot_titles=[
            "Rail links: utilisation",
            "Ports and border crossings: utilisation",
            "Mean waiting time",
        ],
    )
    for row, frame in groups.items():
        for facility in chosen[row]:
            part = frame[frame["facility"].eq(facility)].sort_values("month")
            kind = str(part["kind"].iloc[0])
            common: dict[str, Any] = {
                "x": part["month"],
                "name": f"{facility} ({kind})",
                "legendgroup": facility,
                "mode": "lines",
            }
            fig.add_scatter(
                y=part["utilisation"] * 100,
                connectgaps=False,
                line={"color": colours[facility], "width": 2},
                hovertemplate=f"{facility} %{{x|%b %Y}}: %{{y:.1f}} %<extra></extra>",
                row=row,
                col=1,
                **common,
            )
            fig.add_scatter(
                y=part["mean_wait_days"],
                showlegend=False,
                hovertemplate=f"{facility} %{{x|%b %Y}}: %{{y:.2f}} days<extra></extra>",
                row=3,
                col=1,
                line={"color": colours[facility], "width": 1.5},
                **common,
            )
    fig.update_yaxes(title_text="Utilisation, %", rangemode="tozero", row=1, col=1)
    fig.update_yaxes(title_text="Utilisation, %", rangemode="tozero", row=2, col=1)
    fig.update_yaxes(title_text="Waiting, days", rangemode="tozero", row=3, col=1)
    fig.update_xaxes(type="date", tickformat="%b %Y")
    fig.update_xaxes(title_text="Month", row=3, col=1)
    fig.update_layout(legend_title_text="Facility")
    if utilisation.empty:
        _empty_note(fig, "No utilisation data")
    return _style(
        fig, f"Bottlenecks, {scenario}: capacity utilisation (%) and mean waiting time (days)", 820
    )


def _busiest(frame: pd.DataFrame, top: int) -> list[str]:
    # Mean, not peak: a single busy month should not push out a link that is full all year.
    busy = frame.groupby("facility")["utilisation"].mean().fillna(0.0)
    return busy.sort_values(ascending=False, kind="stable").index[:top].astype(str).tolist()
