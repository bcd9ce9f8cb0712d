"""Colours, units and the shared layout of every potashsim chart.

A scenario, a route, an actor or a facility keeps one colour across all charts of a report: the
report builds each map once (:func:`scenario_colours`, :func:`route_colours`,
:func:`palette_map`) and passes it to every figure function. A route (export terminal) or a
market keeps the colour the network data gives it (``colour`` in ``network.json``) in every
report; none of those is a scenario colour, so no route looks like a scenario.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Generic, ParamSpec

import numpy as np
import pandas as pd

# re-exported: the charts name the scenario colours from here
from potashsim.contract import BASE_COLOUR as BASE_COLOUR
from potashsim.contract import SCENARIO_PALETTE as SCENARIO_PALETTE
from potashsim.errors import ReportError

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

TEMPLATE = "plotly_white"
#: The baseline is always drawn in black; other scenarios take the Okabe-Ito colours in order
#: (:data:`potashsim.contract.SCENARIO_PALETTE`, imported here).

#: Routes, markets and facilities: twenty colours apart from the scenario colours (CIE76 ΔE of
#: at least 20, and 10 for deuteranopes, protanopes and tritanopes) and from each other (12 for
#: every kind of sight), the shipped network's route colours first, then its market colours.
#: A route or market the network gives no colour takes the first that no other one uses; the
#: rail links of the bottleneck chart take those that no drawn terminal uses.
ROUTE_PALETTE = (
    "#332288",  # indigo
    "#BB3311",  # rust
    "#55DDDD",  # aqua
    "#773355",  # plum
    "#DDDD99",  # cream
    "#9977DD",  # lavender
    "#9911DD",  # violet
    "#997755",  # brown
    "#77BB99",  # sage
    "#DDBB55",  # gold
    "#553377",  # dark purple
    "#335533",  # dark green
    "#5555BB",  # slate blue
    "#991111",  # dark red
    "#999933",  # olive
    "#99BB77",  # moss
    "#1111DD",  # ultramarine
    "#775577",  # mauve
    "#BBDDBB",  # pale green
    "#CC44FF",  # orchid
)
#: Paul Tol's "muted" scheme: who imposed a policy measure.
ACTOR_PALETTE = (
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
CLOSED_COLOUR = "#9a9a9a"
FALLBACK_COLOUR = "#777777"
BN = 1e9
MT = 1e6


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
            out[name] = SCENARIO_PALETTE[others % len(SCENARIO_PALETTE)]
            others += 1
    return out


def network_colours(
    networks: Iterable[Mapping[str, Any]], tables: Sequence[str] = ("ports", "borders")
) -> dict[str, str]:
    """``{id: colour}`` of the items of ``tables`` in ``network.json`` documents that give one
    (routes: ports and borders; ``("markets",)``: markets); the first network to give an id a
    colour wins."""
    out: dict[str, str] = {}
    for network in networks:
        for table in tables:
            for item in network.get(table) or []:
                if item.get("colour"):
                    out.setdefault(str(item["id"]), str(item["colour"]))
    return out


def route_colours(
    routes: Iterable[str],
    *,
    tonnes: Mapping[str, float] | pd.Series[float] | None = None,
    networks: Iterable[Mapping[str, Any]] = (),
) -> dict[str, str]:
    """Give each route (export terminal) its fixed colour.

    Args:
        routes: route ids (duplicates are ignored).
        tonnes: tonnes per route; when given, the routes without a colour of their own that
            carried most take the first free colours. Otherwise (and for ties) sorted order.
        networks: ``network.json`` documents: a route takes the ``colour`` they give it, the same
            in every report. The others take :data:`ROUTE_PALETTE` colours no given one uses.
    """
    return _fixed_colours(routes, network_colours(networks), tonnes)


def market_colours(
    markets: Iterable[str], *, networks: Iterable[Mapping[str, Any]] = ()
) -> dict[str, str]:
    """Give each market its fixed colour: the network's ``colour`` (as for
    :func:`route_colours`), else a :data:`ROUTE_PALETTE` colour no given one uses."""
    return _fixed_colours(markets, network_colours(networks, ("markets",)), None)


def _fixed_colours(
    names: Iterable[str],
    given: Mapping[str, str],
    tonnes: Mapping[str, float] | pd.Series[float] | None,
) -> dict[str, str]:
    order = sorted(set(map(str, names)))
    if tonnes is not None:
        order.sort(key=lambda r: -float(tonnes.get(r, 0.0)))
    rest = [n for n in order if n not in given]
    used = {c.upper() for c in given.values()}
    free = [c for c in ROUTE_PALETTE if c not in used] or list(ROUTE_PALETTE)
    return {**{n: given[n] for n in order if n in given}, **palette_map(rest, free)}


def palette_map(names: Sequence[str], palette: Sequence[str]) -> dict[str, str]:
    """``{name: colour}`` in order, the palette repeating when there are more names."""
    return {n: palette[i % len(palette)] for i, n in enumerate(names)}


def colour_of(colours: Mapping[str, str] | None, name: str, index: int) -> str:
    """``colours[name]``, or the ``index``-th scenario colour when the map does not have it."""
    if colours and name in colours:
        return colours[name]
    return SCENARIO_PALETTE[index % len(SCENARIO_PALETTE)]


def rgba(hex_colour: str, alpha: float) -> str:
    """``"#rrggbb"`` as a CSS ``rgba(...)`` with the given opacity."""
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def signed(value: float) -> str:
    """``+1.23``, or a negative value with the typographic minus of plotly's own tick labels."""
    return f"{value:+,.2f}".replace("-", "\u2212")


def style(fig: go.Figure, title: str, height: int) -> go.Figure:
    """The shared look: white template, a left-aligned title, margins and full hover names."""
    fig.update_layout(
        template=TEMPLATE,
        title=chart_title(title),
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        hoverlabel={"namelength": -1},
        legend={"bgcolor": "rgba(255,255,255,0.85)"},
    )
    return fig


def styled_layout(layout: Mapping[str, Any], title: str, height: int) -> dict[str, Any]:
    """:func:`style` for a figure built as a plain dict (:func:`trace_dict`): ``layout`` with
    the template first, then the title, height, margins, hover names and legend background
    merged in as ``fig.update_layout`` merges them (:func:`update`), so that the JSON of the
    two is the same byte for byte. The template is a fresh copy: the dict may be changed freely.
    """
    out = {"template": _copy(_template()), **layout}
    update(
        out,
        {
            "title": chart_title(title),
            "height": height,
            "margin": {"l": 70, "r": 30, "t": 80, "b": 60},
            "hoverlabel": {"namelength": -1},
            "legend": {"bgcolor": "rgba(255,255,255,0.85)"},
        },
    )
    return out


def _copy(value: Any) -> Any:
    # copy.deepcopy of the template's dicts, lists and plain values, about ten times as fast
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def update(target: dict[str, Any], props: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``props`` into ``target`` in the order plotly's ``update`` leaves a figure's keys:
    a nested property (a dict) merges into the one already there, or is added, in the order
    given; the plain values then follow, each in place if already there, else at the end.
    Returns ``target``."""
    for key, value in props.items():
        if isinstance(value, dict):
            if isinstance(target.get(key), dict):
                update(target[key], value)
            else:
                target[key] = update({}, value)
    for key, value in props.items():
        if not isinstance(value, dict):
            target[key] = value
    return target


@lru_cache(maxsize=1)
def _template() -> dict[str, Any]:
    import plotly.graph_objects as go

    # as a figure holds it (plotly reorders the registered template's keys), and without
    # making the default template first, which took longer than all the rest
    figure = go.Figure(layout={"template": TEMPLATE})
    template: dict[str, Any] = figure.layout.template.to_plotly_json()
    return template


def chart_title(text: str) -> dict[str, Any]:
    """The title :func:`style` gives a chart: left-aligned, 17 px."""
    return {"font": {"size": 17}, "text": text, "x": 0.01, "xanchor": "left"}


def trace_dict(kind: str, **props: Any) -> dict[str, Any]:
    """A trace as the plain dict plotly would make of ``go.<Kind>(**props)``, without its
    validation (about half a millisecond a trace; a map slider has some four hundred).

    Properties left None are left out; the others, and those of nested properties such as
    ``line`` or ``marker``, come in alphabetical order with ``type`` last, as plotly writes
    them, except ``meta``, which is data and keeps its own order. The caller answers for the
    names and values being valid: nothing is checked.
    """
    out = {k: _sorted(v) if k != "meta" else v for k, v in sorted(props.items()) if v is not None}
    return {**out, "type": kind}


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(v) for k, v in sorted(value.items())}
    return value


#: A figure as a plain dict (``data``, ``layout``), its arrays still numpy arrays.
Fig = dict[str, Any]


def data_array(values: Any) -> Any:
    """An array property (``x``, ``y``, ``z``, ``customdata``) as plotly keeps it once it has
    validated it: a numpy array, pandas Series or Index as a read-only numpy copy of the dtype
    plotly's own conversion gives (so that its JSON is the same), anything else as given.

    A numpy array of numbers, dates or objects, or a pandas Series of numbers or dates (without
    a time zone), is copied here as plotly does; anything else goes through plotly's
    ``copy_to_readonly_numpy_array`` (which first wraps the value with narwhals, a tenth of a
    millisecond a call)."""
    plain = isinstance(values, pd.Series) and isinstance(values.dtype, np.dtype)
    if plain and values.dtype.kind in "uifM":  # no time zone, no strings
        values = values.to_numpy()
    if isinstance(values, np.ndarray) and values.dtype.kind in _KINDS:
        numeric = values.dtype.kind in "uif"
        out = np.ascontiguousarray(values.copy()) if numeric else values.copy()
        out.flags.writeable = False
        return out
    from _plotly_utils.basevalidators import (  # type: ignore[import-untyped]
        copy_to_readonly_numpy_array,
        is_homogeneous_array,
    )

    return copy_to_readonly_numpy_array(values) if is_homogeneous_array(values) else values


#: The dtype kinds :func:`data_array` copies itself: numbers, datetimes and objects, which
#: plotly's conversion keeps as they are.
_KINDS = "uifMO"


def plotly_json_arrays(figure: Any) -> None:
    """Turn the numpy arrays of a figure dict (values of its dicts, at any depth) into the
    base64 "typed array" dicts plotly writes for them, in place: what
    ``_plotly_utils.utils.convert_to_base64`` does for ``go.Figure.to_dict``, without asking
    of every string and number whether it is an array."""
    from _plotly_utils.utils import (  # type: ignore[import-untyped]
        convert_to_base64,
        is_homogeneous_array,
        is_skipped_key,
        to_typed_array_spec,
    )

    if isinstance(figure, dict):
        for key, value in figure.items():
            if is_skipped_key(key) or isinstance(value, str | int | float | bool | None):
                continue
            if isinstance(value, dict | list | tuple):
                plotly_json_arrays(value)
            elif is_homogeneous_array(value):
                figure[key] = to_typed_array_spec(value)
            else:
                convert_to_base64(value)
    elif isinstance(figure, list | tuple):
        for value in figure:
            if isinstance(value, dict | list | tuple):
                plotly_json_arrays(value)


def axis_ids(row: int) -> tuple[str, str]:
    """The ``xaxis``/``yaxis`` a trace in subplot ``row`` (from 1, one column) refers to."""
    return ("x", "y") if row == 1 else (f"x{row}", f"y{row}")


def subplot_layout(
    rows: int, titles: Sequence[str], *, vertical_spacing: float, shared_xaxes: bool = False
) -> dict[str, Any]:
    """The layout ``plotly.subplots.make_subplots(rows, 1, ...)`` starts a figure with, as a
    plain dict: one x and y axis per row (top row first), the x axes of a shared axis matching
    the bottom one's (whose tick labels alone are shown), and the titles as annotations above
    each row (an empty title is left out). Domains are worked out as plotly does, float for
    float."""
    height = (1.0 - vertical_spacing * (rows - 1)) / rows
    heights = [height] * rows
    layout: dict[str, Any] = {}
    domains = []
    for r in range(rows):
        below = rows - 1 - r  # make_subplots counts rows from the bottom of the figure
        y_start = sum(heights[:below]) + below * vertical_spacing
        y_s, y_e = y_start, y_start + heights[-1 - r]
        y_s = 0.0 if -0.01 < y_s < 0.0 else (1.0 if 1.0 < y_s < 1.01 else y_s)
        y_e = 0.0 if -0.01 < y_e < 0.0 else (1.0 if 1.0 < y_e < 1.01 else y_e)
        x, y = axis_ids(r + 1)
        x_domain = [0.0, 1.0]
        layout[f"xaxis{x[1:]}"] = {"anchor": y, "domain": x_domain}
        layout[f"yaxis{y[1:]}"] = {"anchor": x, "domain": [y_s, y_e]}
        domains.append((x_domain, [y_s, y_e]))
    if shared_xaxes:
        first = axis_ids(rows)[0]
        for r in range(rows - 1, 0, -1):
            layout[f"xaxis{axis_ids(r)[0][1:]}"] |= {"matches": first, "showticklabels": False}
    annotations = [
        {
            "font": {"size": 16},
            "showarrow": False,
            "text": text,
            "x": sum(x_domain) / 2.0,
            "xanchor": "center",
            "xref": "paper",
            "y": y_domain[1],
            "yanchor": "bottom",
            "yref": "paper",
        }
        for text, (x_domain, y_domain) in zip(titles, domains, strict=False)
        if text
    ]
    if annotations:  # plotly leaves out an empty list
        layout["annotations"] = annotations
    return layout


def hline(y: float, line: Mapping[str, Any], row: int = 1) -> dict[str, Any]:
    """The shape ``fig.add_hline(y, line=line, row=row, col=1)`` adds: a line across the
    subplot's width at ``y``."""
    x, y_ref = axis_ids(row)
    return {
        "line": _sorted(dict(line)),
        "type": "line",
        "x0": 0,
        "x1": 1,
        "xref": f"{x} domain",
        "y0": y,
        "y1": y,
        "yref": y_ref,
    }


def note(text: str) -> dict[str, Any]:
    """The annotation :func:`empty_note` adds, as a plain dict."""
    return {
        "font": {"color": "#666666", "size": 14},
        "showarrow": False,
        "text": text,
        "x": 0.5,
        "xref": "paper",
        "y": 0.5,
        "yref": "paper",
    }


def finish(data: list[dict[str, Any]], layout: Mapping[str, Any], title: str, height: int) -> Fig:
    """A figure dict of ``data`` and ``layout`` with :func:`styled_layout`'s look."""
    return {"data": data, "layout": styled_layout(layout, title, height)}


_P = ParamSpec("_P")


class FigureFunction(Generic[_P]):
    """A chart function: called, it returns a ``go.Figure``; its :meth:`dict` returns the same
    figure as the plain dict ``plotly.io.to_html(figure, validate=False)`` writes as it is,
    without plotly's validation (a report's charts took seconds of it).

    The figure is built once, as a dict of what plotly would hold (numpy arrays as
    :func:`data_array` makes them), by the function it wraps."""

    def __init__(self, build: Callable[_P, Fig]) -> None:
        self._build = build
        functools.update_wrapper(self, build)

    def __call__(self, *args: _P.args, **kwargs: _P.kwargs) -> go.Figure:
        import plotly.graph_objects as go

        return go.Figure(self._build(*args, **kwargs))

    def dict(self, *args: _P.args, **kwargs: _P.kwargs) -> Fig:
        """The figure as ``go.Figure(...).to_dict()`` would give it (numpy arrays in plotly's
        base64 form), without building the ``go.Figure``."""
        figure = self._build(*args, **kwargs)
        # the template holds no arrays: walking its thousand values would cost more than the rest
        plotly_json_arrays(figure["data"])
        layout = {k: v for k, v in figure["layout"].items() if k != "template"}
        plotly_json_arrays(layout)
        figure["layout"].update(layout)
        return figure


def figure_function(build: Callable[_P, Fig]) -> FigureFunction[_P]:
    """Make ``build`` (returning a figure dict) a :class:`FigureFunction`."""
    return FigureFunction(build)


#: Month ticks (``Jan 2024``) on a date axis.
DATE_AXIS = {"type": "date", "tickformat": "%b %Y"}


def date_axis(fig: go.Figure, **where: int) -> None:
    """:data:`DATE_AXIS` on the x axes (all of them, or ``row=``/``col=``)."""
    fig.update_xaxes(**DATE_AXIS, **where)


def require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise :class:`ReportError` naming ``what`` when ``frame`` lacks one of ``columns``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReportError(f"{what}: missing column(s) {', '.join(missing)}")


def empty_note(fig: go.Figure, text: str) -> go.Figure:
    """Write ``text`` in the middle of a chart that has nothing to draw."""
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
