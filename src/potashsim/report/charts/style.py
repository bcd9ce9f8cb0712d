"""Colours, units and the shared layout of every potashsim chart.

A scenario, a route, an actor or a facility keeps one colour across all charts of a report: the
report builds each map once (:func:`scenario_colours`, :func:`route_colours`,
:func:`palette_map`) and passes it to every figure function.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]

from potashsim.errors import ReportError

TEMPLATE = "plotly_white"
#: The baseline is always drawn in black; other scenarios take the Okabe-Ito colours in order
#: (colour-blind safe; yellow last because it is faint on white).
BASE_COLOUR = "#000000"
SCENARIO_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442")
#: Routes (export terminals) and facilities: twelve hues that stay apart from each other, the
#: most distinct first, so the busiest routes (see :func:`route_colours`) are never confused.
ROUTE_PALETTE = (
    "#1F77B4",  # blue
    "#FF7F0E",  # orange
    "#2CA02C",  # green
    "#D62728",  # red
    "#9467BD",  # purple
    "#17BECF",  # cyan
    "#8C564B",  # brown
    "#E377C2",  # pink
    "#BCBD22",  # olive
    "#7F7F7F",  # grey
    "#393B79",  # navy
    "#F7B6D2",  # light pink
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


def route_colours(
    routes: Iterable[str], *, tonnes: Mapping[str, float] | pd.Series[float] | None = None
) -> dict[str, str]:
    """Give each route (export terminal) a fixed colour from :data:`ROUTE_PALETTE`.

    Args:
        routes: route ids (duplicates are ignored).
        tonnes: tonnes per route; when given, the routes that carried most take the first and
            most distinct colours. Otherwise (and for ties) routes go in sorted order.
    """
    names = sorted(set(routes))
    if tonnes is not None:
        names.sort(key=lambda r: -float(tonnes.get(r, 0.0)))
    return palette_map(names, ROUTE_PALETTE)


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
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 17}},
        height=height,
        margin={"l": 70, "r": 30, "t": 80, "b": 60},
        hoverlabel={"namelength": -1},
        legend={"bgcolor": "rgba(255,255,255,0.85)"},
    )
    return fig


def date_axis(fig: go.Figure, **where: int) -> None:
    """Month ticks (``Jan 2024``) on the date x axes (all of them, or ``row=``/``col=``)."""
    fig.update_xaxes(type="date", tickformat="%b %Y", **where)


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
