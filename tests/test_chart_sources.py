"""Every chart function takes the Python API's objects as well as the tidy tables: a RunResult,
a Comparison, a loaded run or comparison folder (``potashsim.load``) or its path, and draws from
each exactly what it draws from the table the object holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

import potashsim
from conftest import SavedResults
from potashsim.analysis.experiment import Comparison, RunResult
from potashsim.errors import ReportError
from potashsim.report import charts


@pytest.fixture(scope="module")
def cmp(saved_results: SavedResults) -> Comparison:
    return saved_results.cmp


@pytest.fixture(scope="module")
def run(cmp: Comparison) -> RunResult:
    return cmp.representative["history"]


def same(a: go.Figure, b: go.Figure) -> bool:
    return bool(a.to_json() == b.to_json())


def test_the_known_failures_now_draw(cmp: Comparison, run: RunResult) -> None:
    # issue 10: `revenue_netback_chart(cmp.stats)` and `route_area_chart(run.monthly)` failed,
    # and a RunResult had no timeline
    bars = charts.revenue_netback_chart(cmp.stats, base=cmp.base)
    assert [t.name for t in bars.data] == ["history"]
    routes = charts.route_area_chart(run.monthly)
    stacked = sum(pd.Series(t.y).sum() for t in routes.data) * 1e6
    assert stacked == pytest.approx(run.monthly["exported_t"].sum())
    assert set(run.timeline.columns) >= {"kind", "target", "start", "end", "state", "actor"}
    assert charts.policy_timeline_chart(run).data


def test_comparison_charts_take_every_comparison_object(
    cmp: Comparison, saved_results: SavedResults
) -> None:
    loaded = potashsim.load(saved_results.compare)
    assert isinstance(loaded, potashsim.report.ComparisonResults)
    for chart, table in (
        (charts.revenue_netback_chart, "stats_table"),
        (charts.netback_waterfall, "decomposition_table"),
    ):
        for source in (cmp, loaded, str(saved_results.compare)):
            tidy = getattr(potashsim.load(saved_results.compare), table)
            expected = chart(tidy, base="baseline") if source is not cmp else None
            fig = chart(source)
            if expected is not None:
                assert same(fig, expected)
            else:
                assert same(fig, chart(getattr(cmp, table), base=cmp.base))
    for chart2, table2 in (
        (charts.cumulative_revenue_chart, "monthly_revenue"),
        (charts.route_area_chart, "monthly_routes"),
    ):
        assert same(chart2(cmp), chart2(getattr(cmp, table2)))
        assert same(chart2(loaded), chart2(getattr(loaded, table2)))


RUN_CHARTS: list[tuple[str, Callable[..., Any]]] = [
    ("timeline", lambda s, **kw: charts.policy_timeline_chart(s, **kw)),
    ("bottlenecks", lambda s, **kw: charts.bottleneck_chart(s, **kw)),
    ("map", lambda s, **kw: charts.flow_map(s, period=2022, **kw)),
    ("maps", lambda s, **kw: charts.flow_maps(s, periods=[2021, 2022], **kw)[1]),
    ("slider", lambda s, **kw: charts.flow_map_slider(s, **kw)),
    ("routes", lambda s, **kw: charts.route_area_chart(s)),
    ("revenue", lambda s, **kw: charts.cumulative_revenue_chart(s)),
]


@pytest.mark.parametrize(("name", "draw"), RUN_CHARTS, ids=[n for n, _ in RUN_CHARTS])
def test_run_charts_draw_the_same_from_a_run_a_folder_and_a_comparison(
    name: str, draw: Callable[..., go.Figure], cmp: Comparison, saved_results: SavedResults
) -> None:
    folder: Path = saved_results.run
    loaded = potashsim.load(folder)
    from_loaded = draw(loaded)
    assert same(draw(str(folder)), from_loaded)
    assert same(draw(folder), from_loaded)
    # the comparison's history run is the same run, saved under runs/history
    from_cmp_folder = draw(potashsim.load(saved_results.compare), scenario="history")
    assert same(from_cmp_folder, from_loaded) or name in ("routes", "revenue")
    assert draw(cmp.representative["history"]).data  # the in-memory RunResult draws too
    assert draw(cmp, scenario="history").data


def test_run_tables_of_a_run_result_match_the_saved_folder(
    run: RunResult, saved_results: SavedResults
) -> None:
    loaded = potashsim.load(saved_results.run)
    assert isinstance(loaded, potashsim.report.RunResults)
    assert len(run.timeline) == len(loaded.timeline)
    assert list(run.timeline.columns) == list(loaded.timeline.columns)
    assert run.monthly_routes["exported_t"].sum() == pytest.approx(
        loaded.monthly_routes["exported_t"].sum()
    )
    assert set(run.monthly_revenue["scenario"]) == {"history"}
    # a map from the RunResult is the map from its saved folder
    assert same(charts.flow_map(run, period=2022), charts.flow_map(loaded, period=2022))


def test_a_comparison_exposes_its_tables_as_frames(cmp: Comparison) -> None:
    stats = cmp.stats_table
    assert list(stats.columns) == ["scenario", "metric", *potashsim.contract.STATS]
    row = stats.set_index(["scenario", "metric"]).loc[("history", "netback_usd")]
    assert row["diff_mean"] == cmp.stats["history"]["netback_usd"]["diff_mean"]
    assert list(cmp.decomposition_table["scenario"]) == ["history"]
    assert cmp.runs is cmp.representative


def test_wrong_source_or_scenario_is_a_clear_error(cmp: Comparison, run: RunResult) -> None:
    with pytest.raises(ReportError, match="RunResult has no stats table"):
        charts.revenue_netback_chart(run, base="baseline")
    with pytest.raises(ReportError, match=r"no scenario 'latvia'.*baseline, history"):
        charts.bottleneck_chart(cmp, scenario="latvia")
    with pytest.raises(ReportError, match="name the base scenario"):
        charts.revenue_netback_chart(cmp.stats_table)
    with pytest.raises(ReportError, match="period=2022"):
        charts.flow_map(run)
    with pytest.raises(ReportError, match="shadow_prices=True"):
        charts.shadow_price_chart(dataclasses.replace(run, shadow_prices=None))


def test_the_shadow_price_chart_takes_a_loaded_run(saved_results: SavedResults) -> None:
    loaded = potashsim.load(saved_results.run)
    assert loaded.shadow_prices is not None
    assert same(
        charts.shadow_price_chart(loaded),
        charts.shadow_price_chart(loaded.shadow_prices, scenario="history"),
    )
