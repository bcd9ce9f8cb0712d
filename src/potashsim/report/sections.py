"""What the report shows, in which order and with which words: sections of charts and captions
for a comparison or a run, and the colours every chart of one report shares.
"""

from __future__ import annotations

import html
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from potashsim.errors import ReportError
from potashsim.report import charts
from potashsim.report.charts.style import ACTOR_PALETTE, ROUTE_PALETTE, palette_map
from potashsim.report.scenario_diff import event_differences, parameter_differences
from potashsim.report.table import provenance_table
from potashsim.results.read import ComparisonResults, RunResults, all_runs

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

Bundle = ComparisonResults | RunResults


@dataclass
class Chart:
    """One figure of the report; ``slug`` names its image file. The figure is the plain figure
    dict that ``plotly.io.to_html(figure, validate=False)`` writes as it is (a chart's ``.dict``,
    :class:`~potashsim.report.charts.style.FigureFunction`, or the map slider's dict): plotly's
    validation of a report's figures took seconds. It may also be a ``go.Figure`` (the sweep's
    and the backtest's charts, and the static maps of an image export)."""

    slug: str
    figure: go.Figure | dict[str, Any]

    @property
    def height(self) -> int:
        """The figure's height in pixels: its layout's, else 480."""
        if isinstance(self.figure, dict):
            return int(self.figure.get("layout", {}).get("height") or 480)
        return int(self.figure.layout.height or 480)

    def figure_dict(self) -> dict[str, Any]:
        """The figure as plotly's plain dict (that of a ``go.Figure`` is a copy)."""
        if isinstance(self.figure, dict):
            return self.figure
        figure: dict[str, Any] = self.figure.to_dict()
        return figure


@dataclass
class Section:
    """A heading, a sentence under it, its charts, and any extra HTML (already escaped)."""

    title: str
    caption: str
    charts: list[Chart] = field(default_factory=list)
    html: str = ""


@dataclass
class Palette:
    """Colours and scales that every chart of one report shares."""

    scenarios: dict[str, str]
    routes: dict[str, str]
    actors: dict[str, str]
    facilities: dict[str, str]
    max_flow_t: float | None


def default_periods(horizon: tuple[pd.Timestamp, pd.Timestamp]) -> list[int]:
    """The static maps (images) when no years are given: the first, middle and last year."""
    first, last = horizon[0].year, horizon[1].year
    return sorted({first, (first + last) // 2, last})


def all_years(horizon: tuple[pd.Timestamp, pd.Timestamp]) -> list[int]:
    """Every calendar year the horizon touches: the map slider's frames when none are given."""
    return list(range(horizon[0].year, horizon[1].year + 1))


#: The periods a report's maps draw: chosen ones, ``"all"`` (every year) or None (the default).
MapPeriods = Sequence[charts.Period] | Literal["all"] | None


def map_periods(
    periods: MapPeriods,
    horizon: tuple[pd.Timestamp, pd.Timestamp],
    scenario: str,
    *,
    static: bool,
) -> list[charts.Period]:
    """The map periods of one run: ``periods`` as given, every year for ``"all"``, and by default
    every year for the slider or the first, middle and last year for static images.

    Raises:
        ReportError: a chosen year lies outside the run's horizon (the message names both).
    """
    if periods == "all" or (periods is None and not static):
        return [*all_years(horizon)]
    if periods is None:
        return [*default_periods(horizon)]
    years = all_years(horizon)
    outside = [p for p in periods if isinstance(p, int) and p not in years]
    if outside:
        raise ReportError(
            f"map year(s) {', '.join(map(str, outside))} outside the horizon of {scenario} "
            f"({years[0]}..{years[-1]}); choose years in it, or all"
        )
    return list(periods)


def palette(bundles: Sequence[Bundle], periods: MapPeriods) -> Palette:
    """Scenario, route, actor and facility colours, and the map's full-width flow, for a report.

    A route takes the colour its run's network gives it (the same in every report); one without
    takes a free colour, busiest first. A port or border crossing in the bottleneck chart takes
    its route's colour, and links take the route colours that no drawn terminal uses.
    """
    bases = [b.base for b in bundles if isinstance(b, ComparisonResults)]
    names = [
        s
        for b in bundles
        for s in (b.scenarios if isinstance(b, ComparisonResults) else [b.scenario])
    ]
    runs = list(all_runs(bundles))
    monthly = pd.concat([r.monthly[["route", "exported_t"]] for r in runs])
    tonnes = monthly.groupby("route")["exported_t"].sum()
    routes = set(tonnes.index).union(
        *(set(b.monthly_routes["route"]) for b in bundles if isinstance(b, ComparisonResults))
    )
    route_map = charts.route_colours(routes, tonnes=tonnes, networks=[r.network for r in runs])
    actors = pd.concat([charts.policy_intervals(r.timeline) for r in runs]).sort_values("start")
    flows = [
        float(charts.link_flows(r.network, r.monthly, p).max())
        for r in runs
        for p in map_periods(periods, r.horizon, r.scenario, static=False)
    ]
    base = bases[0] if bases else ("baseline" if "baseline" in names else None)
    return Palette(
        scenarios=charts.scenario_colours(names, base),
        routes=route_map,
        actors=palette_map(list(dict.fromkeys(actors["actor"].astype(str))), ACTOR_PALETTE),
        facilities=_facility_colours(runs, route_map),
        max_flow_t=max(flows, default=0.0) or None,
    )


def _facility_colours(runs: Sequence[RunResults], routes: dict[str, str]) -> dict[str, str]:
    # A terminal keeps its route's colour; the links (and any terminal that is not a route)
    # take the route colours that no drawn terminal uses.
    busiest = [charts.busiest_facilities(r.utilisation) for r in runs]
    drawn = list(dict.fromkeys(f for b in busiest for f in [*b["link"], *b["terminal"]]))
    terminals = {f for b in busiest for f in b["terminal"]}
    fixed = {f: routes[f] for f in drawn if f in terminals and f in routes}
    free = [c for c in ROUTE_PALETTE if c not in fixed.values()] or list(ROUTE_PALETTE)
    return {**palette_map([f for f in drawn if f not in fixed], free), **fixed}


def run_sections(
    run: RunResults,
    pal: Palette,
    periods: MapPeriods,
    prefix: str,
    *,
    with_routes: bool,
    label: str | None = None,
    static_maps: bool = False,
) -> list[Section]:
    """Exports by route (when ``with_routes``), maps, policy timeline and bottlenecks of a run,
    under ``label`` (default the run's scenario name; a comparison's ``history*``).

    The map is one figure with a slider over ``periods`` (default every year of the horizon);
    with ``static_maps`` (for images), one figure per period instead (default the first, middle
    and last year)."""
    scen = label or run.scenario
    colour = pal.scenarios.get(scen, charts.BASE_COLOUR)
    slug = f"{prefix}{scen}"
    sections = []
    if with_routes:
        routes = (
            run.monthly.groupby(["month", "route"], as_index=False)["exported_t"]
            .sum()
            .assign(scenario=scen)
        )
        figure = charts.route_area_chart.dict(routes, colours=pal.scenarios, routes=pal.routes)
        sections.append(
            Section(
                f"Exports by route: {scen}",
                "Tonnes exported each month, stacked by the terminal where the cargo left the rail "
                "network (Mt per month).",
                [Chart(f"{slug}-routes", figure)],
            )
        )
    map_args = (run.network, run.monthly, run.timeline)
    map_kw: dict[str, Any] = {"scenario": scen, "colour": colour, "max_flow_t": pal.max_flow_t}
    chosen = map_periods(periods, run.horizon, scen, static=static_maps)
    if static_maps:
        maps = [
            Chart(f"{slug}-map-{_period_slug(p)}", f)
            for p, f in zip(chosen, charts.flow_maps(*map_args, chosen, **map_kw), strict=True)
        ]
        slider = ""
    else:
        maps = [Chart(f"{slug}-map", charts.flow_map_slider_dict(*map_args, chosen, **map_kw))]
        slider = " Move the slider under the map to choose the period."
    one_run = _one_run_note(run)
    sections.append(
        Section(
            f"Rail flows on the map: {scen}",
            "Each line is a rail link; its width is the tonnage carried in the period "
            "(one scale for every map in this report), grey dashed lines were closed all "
            "period and dotted ones part of it; a grey cross marks a terminal that is not open "
            "(not built, or not yet). Terminals beyond the map edge are marked with an arrow."
            + slider
            + one_run,
            maps,
        )
    )
    sections.append(_timeline_section(run, pal, slug, scen))
    bottlenecks = charts.bottleneck_chart.dict(
        run.utilisation, scenario=scen, colours=pal.facilities
    )
    sections.append(
        Section(
            f"Bottlenecks: {scen}",
            "How much of the capacity really available the rail links, ports and border "
            "crossings used: the links and terminals that carried at least 5% of the flow and "
            "were the most used, as a centred 3-month rolling mean (small terminals, where one "
            "ship lot fills a month, are left out), and the mean time trains and ships waited "
            "each month. Available means open, at the pace the berths load in the ice season, "
            "and within what the dispatcher offered its plan (a link's trains less those already "
            "queued); the hover also gives the share of the nominal capacity. Gaps are months "
            "with nothing available. A port can run above 100% in a month by a ship lot, "
            "counted when it finishes loading." + one_run,
            [Chart(f"{slug}-bottlenecks", bottlenecks)],
        )
    )
    sections.append(_shadow_section(run, slug, scen, one_run))
    return sections


def _shadow_section(run: RunResults, slug: str, scen: str, one_run: str) -> Section:
    """The shadow prices of a run's limits, ranked by year: a chart and the top three a year."""
    title = f"What one more train or Mt would earn: {scen}"
    if run.shadow_prices is None:
        return Section(
            title,
            "This run was saved without its shadow prices; "
            f'"potashsim run {run.scenario} --shadow-prices" writes them (a comparison always '
            "does for the runs it shows).",
        )
    ranking = charts.shadow_price_ranking(run.shadow_prices)
    rows = [
        {
            "Year": str(r["year"]),
            "Rank": str(r["rank"]),
            "Limit": charts.limit_label(str(r["constraint"]), str(r["kind"])),
            "USD m a year": f"{float(r['value_usd']) / 1e6:,.1f}",
            "From": charts.PER_TEXT[str(r["per"])],
            "Bound in periods": f"{r['binding_periods']} of {r['periods']}",
        }
        for r in ranking[ranking["rank"] <= 3].to_dict("records")
    ]
    figure = charts.shadow_price_chart.dict(run.shadow_prices, scenario=scen, ranking=ranking)
    return Section(
        title,
        "Shadow prices: the netback a year that one more train a day on a rail link, or one more "
        "Mt a year of port, border or mine capacity, would have added, summed over the year's "
        "dispatch periods. Each week's plan is solved again as a linear program at the prices "
        "the dispatcher used; a limit that did not bind is worth nothing, and only limits that "
        "bound are ranked. The table gives the top three of each kind a year. See docs/report.md "
        "for how to read them." + one_run,
        [Chart(f"{slug}-shadow-prices", figure)],
        provenance_table(rows) if rows else "<p>No capacity limit bound in any period.</p>",
    )


def _one_run_note(run: RunResults) -> str:
    """Say which single run a chart shows (with its overrides), so that its numbers can be
    reproduced."""
    seed = run.manifest.get("seed")
    if seed is None:
        return ""
    sets = " ".join(f"--set {o}" for o in run.manifest.get("overrides") or [])
    return (
        f' This chart shows one run (seed {seed}: "{_run_command(run, sets)}" reproduces it), '
        "not the mean of the replications."
    )


def _timeline_section(run: RunResults, pal: Palette, slug: str, scen: str) -> Section:
    title = f"Policy timeline: {scen}"
    if charts.policy_intervals(run.timeline).empty:
        return Section(title, charts.NO_POLICY)
    figure = charts.policy_timeline_chart.dict(
        run.timeline, scenario=scen, horizon=run.horizon, actors=pal.actors
    )
    return Section(
        title,
        "When each closure, buyer discount and capacity limit applied, coloured by the actor "
        "that imposed it (the network's own data are left out). Hover over a bar for its "
        "action and dates.",
        [Chart(f"{slug}-timeline", figure)],
    )


def _period_slug(period: charts.Period) -> str:
    if isinstance(period, int):
        return str(period)
    start, end = charts.period_bounds(period)
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def comparison_sections(
    comp: ComparisonResults,
    pal: Palette,
    periods: MapPeriods,
    prefix: str,
    *,
    static_maps: bool = False,
) -> list[Section]:
    """The comparison charts over the comparison's window, then each scenario's run sections
    (base first, over its own horizon)."""
    base, col = comp.base, pal.scenarios
    n = int(comp.meta["replications"])
    window = window_sentence(comp)
    sections = [
        Section(
            "Revenue and netback against the base",
            f"Change in total export revenue and netback against {base}, "
            + (
                f"mean of {n} paired replications with its 95% t-interval"
                if n > 1
                else "one replication, so no interval"
            )
            + f" (USD bn). {window}{changed_sentence(comp)}",
            [
                Chart(
                    f"{prefix}revenue-netback",
                    charts.revenue_netback_chart.dict(comp.stats, base=base, colours=col),
                )
            ],
        ),
        Section(
            "What drives the netback change",
            "The netback change decomposed year by year and market by market, then summed: "
            "selling a different volume, in a different market mix, at a different world price "
            "(which answers Belarusian supply), with a different discount (sanctions and market "
            f"depth), at different logistics costs; the last bar is the total. {window}",
            [
                Chart(
                    f"{prefix}netback-waterfall",
                    charts.netback_waterfall.dict(comp.decomposition, base=base, colours=col),
                )
            ],
        ),
        Section(
            "Cumulative revenue",
            "Export revenue accumulated month by month: the line is the mean over "
            f"replications, the band spans the 2.5th to 97.5th percentile. {window}",
            [
                Chart(
                    f"{prefix}cumulative-revenue",
                    charts.cumulative_revenue_chart.dict(comp.monthly_revenue, colours=col),
                )
            ],
        ),
        Section(
            "Exports by route",
            "Mean tonnes exported each month over replications, stacked by the terminal "
            "where the cargo left the rail network, one panel per scenario on one scale. "
            f"{window}",
            [
                Chart(
                    f"{prefix}routes",
                    charts.route_area_chart.dict(
                        comp.monthly_routes,
                        colours=col,
                        routes=pal.routes,
                        scenarios=comp.scenarios,
                    ),
                )
            ],
        ),
    ]
    sections.append(_scenarios_section(comp))
    for scen in comp.scenarios:
        sections += run_sections(
            comp.runs[scen],
            pal,
            periods,
            prefix,
            with_routes=False,
            label=scen,
            static_maps=static_maps,
        )
    return sections


def _scenarios_section(comp: ComparisonResults) -> Section:
    """Each scenario's description, and its parameter and event differences from the base."""
    base = comp.runs[comp.base].resolved
    parts: list[str] = []
    for scen in comp.scenarios:
        run = comp.runs[scen]
        text = str(run.resolved.get("description", "")).strip()
        sets = " ".join(f"--set {o}" for o in run.manifest.get("overrides") or [])
        parts.append(
            f"<h4>{html.escape(scen)}</h4><p>{html.escape(text)}</p>"
            + f"<p>Reproduce one run: <code>{html.escape(_run_command(run, sets))}</code></p>"
        )
        if scen == comp.base:
            continue
        params = parameter_differences(base, run.resolved)
        events = event_differences(base, run.resolved)
        parts.append(
            f"<p>Against {html.escape(comp.base)}: {len(params)} parameter(s) and "
            f"{len(events)} event(s) differ.</p>"
            + provenance_table(params)
            + provenance_table(events)
        )
    return Section(
        "What each scenario is",
        "Each scenario's description, the command that reproduces one of its runs, and what it "
        f"changes against {comp.base}: every input or setting whose value differs and every "
        "event only one of them has (from the resolved scenarios the runs saved).",
        [],
        "".join(parts),
    )


def _run_command(run: RunResults, sets: str) -> str:
    """The command that runs ``run`` again: its scenario, seed, overrides (``sets``) and, when it
    ran at the fast granularity, ``--granularity fast`` (else train level would run)."""
    seed = run.manifest.get("seed")
    model = (run.resolved.get("network") or {}).get("model") or {}
    fast = model.get("granularity") == "fast"
    return (
        f"potashsim run {shlex.quote(str(run.manifest.get('source') or run.scenario))}"
        + (f" --seed {seed}" if seed is not None else "")
        + (f" {sets}" if sets else "")
        + (" --granularity fast" if fast else "")
    )


def span(window: tuple[pd.Timestamp, pd.Timestamp]) -> str:
    """``2021-01-01..2022-06-30``: first and last day, both included."""
    return f"{window[0]:%Y-%m-%d}..{window[1]:%Y-%m-%d}"


def window_sentence(comp: ComparisonResults) -> str:
    """Which days a comparison's totals and charts count, and each scenario's own horizon."""
    which = (
        "the days all scenarios' horizons share"
        if comp.window == comp.shared_window
        else f"chosen inside {span(comp.shared_window)}, the days all horizons share"
    )
    horizons = "; ".join(f"{s} {span(h)}" for s, h in comp.horizons.items())
    return (
        f"Counted over {span(comp.window)} ({which}): exports by their export date in that "
        f"window only (horizons: {horizons})."
    )


def changed_sentence(comp: ComparisonResults) -> str:
    """The overrides of every scenario that --set or --set-for changed (marked *), or ''."""
    changed = [f"{s}: {', '.join(o)}" for s, o in comp.overrides.items() if o]
    if not changed:
        return ""
    return " Scenarios marked * were changed on the command line: " + "; ".join(changed) + "."
