"""The rail-flow map: links drawn by tonnage, terminals labelled with their exports, one map per
period on one width scale. The numbers come from :mod:`potashsim.report.charts.flows`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]

from potashsim.contract import MONTHLY
from potashsim.errors import ReportError
from potashsim.report.charts.flows import (
    Closures,
    Period,
    closed_share,
    closures,
    in_period,
    is_closed_all,
    link_flows,
    period_days,
    period_label,
    route_flows,
    state_text,
)
from potashsim.report.charts.geography import GEOGRAPHY_TRACES, NO_BASE_LAYERS, geography_traces
from potashsim.report.charts.map_layout import (
    MAP_LAT,
    MAP_LON,
    clip_segment,
    junction_nodes,
    label_positions,
    short_name,
    terminal_groups,
)
from potashsim.report.charts.source import Source, run_inputs
from potashsim.report.charts.style import (
    BASE_COLOUR,
    CLOSED_COLOUR,
    MT,
    chart_title,
    market_colours,
    require,
    styled_layout,
    trace_dict,
)

#: The map takes the left part of the figure; the market box and the line key sit to its right.
_GEO_RIGHT = 0.70
_SIDE_X = 0.72
_HALO = "1px 1px 2px white, -1px -1px 2px white, 1px -1px 2px white, -1px 1px 2px white"
_MIN_WIDTH, _MAX_WIDTH = 1.5, 14.0


def flow_map(
    network: Source,
    monthly: pd.DataFrame | None = None,
    timeline: pd.DataFrame | None = None,
    period: Period | None = None,
    *,
    scenario: str | None = None,
    colour: str = BASE_COLOUR,
    max_flow_t: float | None = None,
) -> go.Figure:
    """Map of rail links (width by flow), mines, ports and border crossings in one period.

    Open links are solid lines in the scenario colour; links closed for part of the period are
    dotted; links closed for the whole period (``timeline.csv`` state ``closed``) are grey and
    dashed. Ports and borders closed all period are grey crosses. Terminals off the map
    (e.g. Zabaikalsk on the Chinese border) are marked at the map's edge with their flow, and
    exports by market in the period are listed in a box beside the map.

    Args:
        network: the parsed ``network.json``; or, with ``monthly`` and ``timeline`` left out, a
            run, a comparison (the run of ``scenario``, default the base) or a results folder:
            ``flow_map(run, period=2022)``.
        monthly: ``monthly.csv`` (``month`` datetime, ``route``, ``market``, ``exported_t``).
        timeline: ``timeline.csv`` (``kind``, ``target``, ``start``, ``end`` datetimes, ``state``).
        period: a year or an inclusive ``(start, end)`` pair.
        scenario: scenario name for the title (and which of a comparison's runs).
        colour: the scenario's colour.
        max_flow_t: the flow drawn at full width (pass the maximum over several maps to make
            their widths comparable); default the largest flow in this map.

    Returns:
        A ``go.Scattergeo`` figure that draws the vendored ``world_110m`` topojson itself (its
        first :data:`GEOGRAPHY_TRACES` traces, so it needs no network): one trace per link
        (``meta`` = ``{"link", "flow_t", "state"}``), then node markers (terminals with
        ``meta`` = ``{"node", "flow_t", "closed"}``) and legend keys.
    """
    network, monthly, timeline, scenario = run_inputs(network, monthly, timeline, scenario)
    if period is None:
        raise ReportError("flow_map draws one period: give period=2022 or period=(start, end)")
    return go.Figure(
        _flow_map(
            network,
            _map_columns(monthly),
            _closures(timeline),
            period,
            scenario,
            colour,
            max_flow_t,
            True,
        )
    )


def _closures(timeline: pd.DataFrame) -> dict[str, Closures]:
    """The closures a map draws (links, ports, borders), worked out once for all its periods."""
    return {kind: closures(timeline, kind) for kind in ("link", "port", "border")}


def _map_columns(monthly: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``monthly.csv`` a map reads: each period's rows are then picked from
    four columns, not from all fourteen."""
    require(monthly, ("month", "route", "exported_t"), MONTHLY)
    return monthly[[c for c in ("month", "route", "market", "exported_t") if c in monthly]]


def _flow_map(
    network: Mapping[str, Any],
    monthly: pd.DataFrame,
    closed_by_kind: Mapping[str, Closures],
    period: Period,
    scenario: str | None,
    colour: str,
    max_flow_t: float | None,
    geography: bool,
) -> dict[str, Any]:
    """:func:`flow_map` of resolved inputs (``monthly`` as its :func:`_map_columns`, the
    timeline as its :func:`_closures`), as a plain figure dict (``data`` and ``layout``).
    Without ``geography`` (a slider's later frames, which keep the first map's geography and
    layout), the link traces come first and the layout has only the title and annotations."""
    rows = in_period(monthly, period)
    by_route = rows.groupby("route")["exported_t"].sum()
    flows = route_flows(network, by_route)
    flow_of = dict(flows.items())  # a pandas item look-up costs microseconds
    closed = closed_share(closed_by_kind["link"], period)
    top = max_flow_t if max_flow_t else max(float(flows.max()), 1.0)
    nodes = {str(n["id"]): n for n in network["nodes"]}
    data = geography_traces(MAP_LON, MAP_LAT) if geography else []
    for link in network["links"]:
        link_id = str(link["id"])
        flow, fraction = float(flow_of[link_id]), closed.get(link_id, 0.0)
        data.append(_link_trace(link, nodes, flow, top, fraction, period, colour))
    data += _node_traces(network, by_route, closed_by_kind, period, colour)
    data += _legend_keys(colour, top)
    title = f"Rail exports by link, {scenario}, {period_label(period)} (width = Mt carried)"
    if not geography:
        frame = {"annotations": [_market_box(network, rows)], "title": chart_title(title)}
        return {"data": data, "layout": frame}
    geo = {
        **NO_BASE_LAYERS,
        "domain": {"x": [0.0, _GEO_RIGHT], "y": [0.0, 1.0]},
        "projection": {
            "rotation": {"lon": 32},
            "type": "conic conformal",
            "parallels": [50, 65],
        },
        "lonaxis": {"range": list(MAP_LON)},
        "lataxis": {"range": list(MAP_LAT)},
        "resolution": 110,
    }
    layout = styled_layout({"geo": geo, "annotations": [_market_box(network, rows)]}, title, 760)
    layout["margin"] = {"l": 10, "r": 10, "t": 60, "b": 10}
    layout["legend"] |= {
        "font": {"size": 12},
        "title": {"text": "Rail links"},
        "x": _SIDE_X,
        "y": 0.62,
        "xanchor": "left",
        "yanchor": "top",
    }
    return {"data": data, "layout": layout}


def flow_maps(
    network: Source,
    monthly: pd.DataFrame | None = None,
    timeline: pd.DataFrame | None = None,
    periods: Sequence[Period] | None = None,
    *,
    scenario: str | None = None,
    colour: str = BASE_COLOUR,
    max_flow_t: float | None = None,
) -> list[go.Figure]:
    """One :func:`flow_map` per period, with line widths on one common scale.

    Separate figures, so that every period exports to its own image; :func:`flow_map_slider`
    puts them in one figure.

    Args:
        network, monthly, timeline, scenario, colour: as for :func:`flow_map`.
        periods: e.g. ``[2021, 2023, 2027]``; default every year with a month in ``monthly``.
        max_flow_t: the flow drawn at full width; default the largest link flow over all periods.

    Returns:
        Figures in the order of ``periods``.
    """
    network, monthly, timeline, scenario = run_inputs(network, monthly, timeline, scenario)
    periods = list(periods) if periods is not None else years_of(monthly)
    top = _common_max(network, monthly, periods, max_flow_t)
    closed, rows = _closures(timeline), _map_columns(monthly)
    return [
        go.Figure(_flow_map(network, rows, closed, p, scenario, colour, top, True)) for p in periods
    ]


def _common_max(
    network: Mapping[str, Any],
    monthly: pd.DataFrame,
    periods: Sequence[Period],
    max_flow_t: float | None,
) -> float | None:
    """The flow drawn at full width on maps of ``periods``: ``max_flow_t``, or their largest."""
    if max_flow_t is not None:
        return max_flow_t
    return max((float(link_flows(network, monthly, p).max()) for p in periods), default=0.0) or None


def flow_map_slider(
    network: Source,
    monthly: pd.DataFrame | None = None,
    timeline: pd.DataFrame | None = None,
    periods: Sequence[Period] | None = None,
    *,
    scenario: str | None = None,
    colour: str = BASE_COLOUR,
    max_flow_t: float | None = None,
) -> go.Figure:
    """One map with a slider over ``periods``: one animation frame per period.

    The figure shows the first period; each frame redraws the links, terminals, title and market
    box of its period (the geography stays), all on one width scale.

    Args:
        network, monthly, timeline, scenario, colour, max_flow_t: as for :func:`flow_map`
            (``flow_map_slider(run)`` draws a run, ``flow_map_slider(cmp, scenario="history")``
            one scenario of a comparison).
        periods: e.g. ``range(2019, 2031)``; default every year with a month in ``monthly``.

    Returns:
        The first period's :func:`flow_map` with ``frames`` named by :func:`period_label`, in
        the order of ``periods``, and one slider whose steps show those frames.
        :func:`flow_map_slider_dict` gives the same figure as a plain dict, without plotly's
        validation.

    Raises:
        ReportError: ``periods`` is empty.
    """
    return go.Figure(
        flow_map_slider_dict(
            network,
            monthly,
            timeline,
            periods,
            scenario=scenario,
            colour=colour,
            max_flow_t=max_flow_t,
        )
    )


def flow_map_slider_dict(
    network: Source,
    monthly: pd.DataFrame | None = None,
    timeline: pd.DataFrame | None = None,
    periods: Sequence[Period] | None = None,
    *,
    scenario: str | None = None,
    colour: str = BASE_COLOUR,
    max_flow_t: float | None = None,
) -> dict[str, Any]:
    """:func:`flow_map_slider` as a plain figure dict (``data``, ``layout``, ``frames``), for a
    page that writes it as it is (``plotly.io.to_html(figure, validate=False)``): a twelve-year
    slider has some four hundred traces, and plotly's validation of them takes as long as
    drawing them. The first frame shares its traces with ``data``.

    Raises:
        ReportError: ``periods`` is empty.
    """
    network, monthly, timeline, scenario = run_inputs(network, monthly, timeline, scenario)
    periods = list(periods) if periods is not None else years_of(monthly)
    if not periods:
        raise ReportError("a map slider needs at least one period (no exports recorded?)")
    top = _common_max(network, monthly, periods, max_flow_t)
    # the geography is drawn once, in the figure: frames leave it as it is, so later periods'
    # maps are drawn without it (it is most of a map's cost)
    closed, rows = _closures(timeline), _map_columns(monthly)
    fig = _flow_map(network, rows, closed, periods[0], scenario, colour, top, True)
    first = GEOGRAPHY_TRACES
    changing = list(range(first, len(fig["data"])))
    labels = [period_label(p) for p in periods]
    frames = []
    for i, (label, p) in enumerate(zip(labels, periods, strict=True)):
        m = fig
        if i > 0:
            m = _flow_map(network, rows, closed, p, scenario, colour, top, False)
        frames.append(
            {
                "data": m["data"][first:] if i == 0 else m["data"],
                "layout": {
                    "annotations": m["layout"]["annotations"],
                    "title": m["layout"]["title"],
                },
                "name": label,
                "traces": changing,
            }
        )
    fig["frames"] = frames
    show = {
        "mode": "immediate",
        "frame": {"duration": 0, "redraw": True},
        "transition": {"duration": 0},
    }
    layout = fig["layout"]
    layout["height"] += 70
    layout["margin"]["b"] = 80
    layout["sliders"] = [
        {
            "active": 0,
            "currentvalue": {"font": {"size": 14}, "prefix": "Period: "},
            "len": _GEO_RIGHT,
            "pad": {"b": 10, "t": 10},
            "steps": [
                {"args": [[label], show], "label": label, "method": "animate"} for label in labels
            ],
            "x": 0.0,
        }
    ]
    return fig


def years_of(monthly: pd.DataFrame) -> list[Period]:
    """Every calendar year with a month in ``monthly``, in order."""
    return [int(y) for y in sorted(set(pd.to_datetime(monthly["month"]).dt.year))]


# --------------------------------------------------------------------------- links


def _link_trace(
    link: Mapping[str, Any],
    nodes: Mapping[str, Any],
    flow: float,
    top: float,
    fraction: float,
    period: Period,
    colour: str,
) -> dict[str, Any]:
    a, b = nodes[str(link["from"])], nodes[str(link["to"])]
    state = state_text(fraction, period_days(period))
    full = is_closed_all(fraction)
    line = {
        "width": _MIN_WIDTH if full else _MIN_WIDTH + (_MAX_WIDTH - _MIN_WIDTH) * flow / top,
        "color": CLOSED_COLOUR if full else colour,
        "dash": "dash" if full else ("dot" if fraction else "solid"),
    }
    hover = (
        f"<b>{link['id']}</b> {a.get('name', a['id'])} - {b.get('name', b['id'])}"
        f"<br>{flow / MT:,.3f} Mt ({flow:,.0f} t)<br>{state}<extra></extra>"
    )
    lon, lat = clip_segment((a["lon"], a["lat"]), (b["lon"], b["lat"]))
    return trace_dict(
        "scattergeo",
        lon=lon,
        lat=lat,
        mode="lines",
        line=line,
        name=str(link["id"]),
        showlegend=False,
        hovertemplate=hover,
        meta={"link": str(link["id"]), "flow_t": flow, "state": state},
    )


# --------------------------------------------------------------------------- nodes and boxes


def _node_traces(
    network: Mapping[str, Any],
    by_route: pd.Series,
    closed_by_kind: Mapping[str, Closures],
    period: Period,
    colour: str,
) -> list[dict[str, Any]]:
    """Junction dots, mine markers, then one marker per terminal group (``by_route``: the
    period's tonnes by route)."""
    nodes = {str(n["id"]): n for n in network["nodes"]}
    closed = {
        **closed_share(closed_by_kind["port"], period),
        **closed_share(closed_by_kind["border"], period),
    }
    groups = terminal_groups(network, nodes, by_route, closed, period_days(period))
    mines = [n for n in network["nodes"] if n.get("kind") == "mine"]
    junctions = junction_nodes(nodes, groups)
    traces = [
        *_marker_trace("Junction", junctions, symbol="circle", colour="#777777", size=5),
        *_marker_trace("Mine", mines, symbol="diamond", colour="#5b3a1a", size=14, labelled=True),
    ]
    hub_lon = float(mines[0]["lon"]) if mines else sum(MAP_LON) / 2
    points = [group["point"] for group in groups.values()]
    for (node_id, group), position in zip(
        groups.items(), label_positions(points, hub_lon), strict=True
    ):
        (lon, lat, off), shut = group["point"], group["closed"]
        # Closed terminals get a marker and hover text but no label, to keep the map legible.
        label = f"{'→ ' if off else ''}{' / '.join(group['names'])} {group['flow'] / MT:,.2f} Mt"
        traces.append(
            trace_dict(
                "scattergeo",
                lon=[lon],
                lat=[lat],
                mode="markers" if shut else "markers+text",
                text=None if shut else [label],
                textposition=position,
                marker={
                    "symbol": "x" if shut else ("triangle-right" if off else "circle"),
                    "size": 11 if shut else 13,
                    "color": CLOSED_COLOUR if shut else colour,
                    "line": {"width": 1, "color": "white"},
                },
                textfont={
                    "size": 12,
                    "color": "#222222" if group["flow"] else "#777777",
                    "shadow": _HALO,
                },
                name=label,
                showlegend=False,
                meta={"node": node_id, "flow_t": group["flow"], "closed": shut},
                hovertemplate="<br>".join(group["hover"]) + "<extra></extra>",
            )
        )
    return traces


def _marker_trace(
    name: str,
    nodes: Sequence[Mapping[str, Any]],
    *,
    symbol: str,
    colour: str,
    size: int,
    labelled: bool = False,
) -> list[dict[str, Any]]:
    """One trace of ``nodes`` (none when there are none)."""
    if not nodes:
        return []
    return [
        trace_dict(
            "scattergeo",
            lon=[n["lon"] for n in nodes],
            lat=[n["lat"] for n in nodes],
            mode="markers+text" if labelled else "markers",
            text=[short_name(str(n.get("name", n["id"]))) for n in nodes] if labelled else None,
            textposition="bottom center",
            textfont={"size": 12, "color": "#5b3a1a", "shadow": _HALO},
            name=name,
            showlegend=False,
            marker={"symbol": symbol, "size": size, "color": colour},
            hovertext=[str(n.get("name", n["id"])) for n in nodes],
            hoverinfo="text",
        )
    ]


def _legend_keys(colour: str, top: float) -> list[dict[str, Any]]:
    keys = (
        (f"open (width ∝ tonnes;<br>widest = {top / MT:,.1f} Mt)", colour, "solid", 5),
        ("closed part of the period", colour, "dot", 3),
        ("closed all period", CLOSED_COLOUR, "dash", 2),
    )
    return [
        trace_dict(
            "scattergeo",
            lon=[None],
            lat=[None],
            mode="lines",
            name=name,
            line={"color": col, "dash": dash, "width": width},
            hoverinfo="skip",
        )
        for name, col, dash, width in keys
    ]


def _market_box(network: Mapping[str, Any], rows: pd.DataFrame) -> dict[str, Any]:
    """The annotation beside the map that lists the period's exports by market (``rows``: the
    period's rows of ``monthly.csv``)."""
    names = {str(m["id"]): str(m.get("name") or m["id"]) for m in network.get("markets", [])}
    by_market = rows.groupby("market")["exported_t"].sum()
    by_market = by_market.sort_values(ascending=False)
    # a market's own colour (network.json) keys it here as in every other chart
    colours = market_colours(map(str, by_market.index), networks=[network])
    lines = [
        f"<span style='color:{colours[str(m)]}'>■</span> {names.get(str(m), m)}: {t / MT:,.2f} Mt"
        for m, t in by_market.items()
    ]
    total = f"<br><b>Total: {by_market.sum() / MT:,.2f} Mt</b>" if len(lines) > 1 else ""
    # an annotation's properties in plotly's (alphabetical) order, as for a trace
    return {
        "align": "left",
        "bgcolor": "rgba(255,255,255,0.9)",
        "bordercolor": "#cccccc",
        "borderpad": 6,
        "font": {"size": 12},
        "showarrow": False,
        "text": "<b>Exports by market</b><br>" + ("<br>".join(lines) or "no exports") + total,
        "x": _SIDE_X,
        "xanchor": "left",
        "xref": "paper",
        "y": 0.98,
        "yanchor": "top",
        "yref": "paper",
    }
