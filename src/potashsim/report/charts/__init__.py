"""Plotly figures of potashsim results: one pure function per chart, tidy DataFrames in, Figure out.

Each chart is built as the plain figure dict plotly would hold, without plotly's validation:
``revenue_netback_chart(...)`` returns it as a ``go.Figure``, ``revenue_netback_chart.dict(...)``
as the dict itself, which the report writes as it is (:class:`.style.FigureFunction`).

Every chart also takes a result object in place of its table: a ``RunResult``, a ``Comparison``,
a loaded run or comparison folder (``potashsim.load``) or its path; :func:`tidy` (in
:mod:`.source`) turns each into the table, e.g. ``revenue_netback_chart(cmp)``.

This module is the public face of the charts; the work is done in modules by job:

* :mod:`.style`: colours per scenario, route and actor, and the shared layout;
* :mod:`.compare`: revenue/netback bars, the netback waterfall, cumulative revenue and exports by
  route;
* :mod:`.flows` and :mod:`.map`: route paths, link flows and the rail-flow map, one period or
  a slider over periods (:mod:`.map_layout` places its markers and labels, :mod:`.geography`
  draws the vendored land and borders so that a map needs no network); the map is built as a
  plain figure dict, which :func:`flow_map_slider_dict` returns as it is for the report (plotly's
  validation of a slider's four hundred traces would double the time it takes);
* :mod:`.source`: what a chart accepts, turned into its tidy table;
* :mod:`.run`: the policy timeline and the bottlenecks of one run;
* :mod:`.shadow`: the shadow prices of one run's limits, ranked year by year.

Nothing here reads or writes files; :mod:`potashsim.report` loads the saved results and assembles
them. Every function documents the columns it needs (names as in docs/results-contract.md) and the
units it draws. Colours are passed in as ``{name: "#rrggbb"}`` maps so that a scenario keeps one
colour across every chart of a report; :func:`scenario_colours` makes such a map, and
:func:`route_colours` and :func:`market_colours` one from the colours the network data gives.
"""

from __future__ import annotations

from potashsim.report.charts.backtest import backtest_chart
from potashsim.report.charts.compare import (
    cumulative_revenue_chart,
    netback_waterfall,
    revenue_netback_chart,
    route_area_chart,
)
from potashsim.report.charts.flows import (
    Period,
    closed_fraction,
    link_flows,
    period_bounds,
    route_links,
)
from potashsim.report.charts.map import flow_map, flow_map_slider, flow_map_slider_dict, flow_maps
from potashsim.report.charts.run import (
    NO_POLICY,
    bottleneck_chart,
    busiest_facilities,
    policy_intervals,
    policy_timeline_chart,
)
from potashsim.report.charts.shadow import (
    CAPACITY_KINDS,
    PER_TEXT,
    limit_label,
    shadow_price_chart,
    shadow_price_ranking,
)
from potashsim.report.charts.source import tidy
from potashsim.report.charts.style import (
    BASE_COLOUR,
    market_colours,
    route_colours,
    scenario_colours,
)

__all__ = [
    "BASE_COLOUR",
    "CAPACITY_KINDS",
    "NO_POLICY",
    "PER_TEXT",
    "Period",
    "backtest_chart",
    "bottleneck_chart",
    "busiest_facilities",
    "closed_fraction",
    "cumulative_revenue_chart",
    "flow_map",
    "flow_map_slider",
    "flow_map_slider_dict",
    "flow_maps",
    "limit_label",
    "link_flows",
    "market_colours",
    "netback_waterfall",
    "period_bounds",
    "policy_intervals",
    "policy_timeline_chart",
    "revenue_netback_chart",
    "route_area_chart",
    "route_colours",
    "route_links",
    "scenario_colours",
    "shadow_price_chart",
    "shadow_price_ranking",
    "tidy",
]
