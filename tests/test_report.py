"""Tests of potashsim.report and its charts on results folders written by the real writer from
short real runs (see ``saved_results`` in conftest.py; no browser needed)."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest
from scipy import stats as st

from conftest import SavedResults
from potashsim import report
from potashsim.errors import ReportError, ResultsError
from potashsim.report import charts
from potashsim.report import sections as report_sections
from potashsim.report.charts import map_layout as charts_map_layout
from potashsim.results.write import save_comparison
from potashsim.scenario.loader import load_scenario
from potashsim.sim.network import realize, routes

SCENARIOS = ["baseline", "history"]
MONTHS = 24  # 2021-01 to 2022-12
#: history's actors within 2021-2022, and its measures (the network's own rows left out)
ACTORS = {"US", "Lithuania", "Ukraine", "Russia", "EU"}
MEASURES = 22  # history's measures in force over 2021-2022 (the Russian port ramp is monthly)

# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def folders(saved_results: SavedResults) -> dict[str, Path]:
    return {"compare": saved_results.compare, "run": saved_results.run}


@pytest.fixture(scope="module")
def comp(folders: dict[str, Path]) -> report.ComparisonResults:
    return report.load_comparison(folders["compare"])


@pytest.fixture(scope="module")
def hist_run(comp: report.ComparisonResults) -> report.RunResults:
    return comp.runs["history"]


@pytest.fixture(scope="module")
def route_names(comp: report.ComparisonResults) -> list[str]:
    """Every route that carried something in either scenario."""
    return sorted(set(comp.monthly_routes["route"]))


@pytest.fixture(scope="module")
def report_html(folders: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("html") / "report.html"
    report.build_report([folders["compare"], folders["run"]], out, command="potashsim report x")
    return out.read_text(encoding="utf-8")


def _copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


# ----------------------------------------------------------------------------- loading


def test_load_comparison_reads_every_table_with_dates(comp: report.ComparisonResults) -> None:
    assert comp.base == "baseline"
    assert comp.scenarios == SCENARIOS
    assert set(comp.runs) == set(SCENARIOS)
    assert pd.api.types.is_datetime64_any_dtype(comp.monthly_revenue["month"])
    assert pd.api.types.is_datetime64_any_dtype(comp.monthly_routes["month"])
    assert comp.meta["replications"] == 2
    assert len(comp.monthly_revenue) == len(SCENARIOS) * 2 * MONTHS  # every month exported
    assert set(comp.stats["metric"]) == {
        "exported_t",
        "revenue_usd",
        "netback_usd",
        "logistics_cost_usd",
    }
    assert comp["stats"] is comp.stats  # dict-like access
    assert "runs" in comp and "nope" not in comp


def test_load_run_parses_dates_and_keeps_ids_as_text(hist_run: report.RunResults) -> None:
    assert hist_run.scenario == "history"
    assert hist_run.horizon == (pd.Timestamp("2021-01-01"), pd.Timestamp("2022-12-31"))
    for frame, cols in (
        (hist_run.monthly, ["month"]),
        (hist_run.utilisation, ["month"]),
        (hist_run.timeline, ["start", "end"]),
    ):
        for col in cols:
            assert pd.api.types.is_datetime64_any_dtype(frame[col])
    assert hist_run.monthly["month"].min() == pd.Timestamp("2021-01-01")
    assert set(hist_run.monthly["route"]) == set(hist_run.summary["by_route"])
    assert hist_run.monthly["route"].map(type).eq(str).all()
    assert hist_run.timeline["target"].map(type).eq(str).all()


def test_network_json_records_the_routes_the_model_ran(hist_run: report.RunResults) -> None:
    scenario = load_scenario("history")
    ran = routes(realize(scenario, int(hist_run.manifest["seed"])))
    assert hist_run.network["routes"] == [
        {
            "id": r.id,
            "kind": r.kind,
            "origin": r.origin,
            "links": list(r.links),
            "markets": list(r.markets),
        }
        for r in ran
    ]
    assert charts.route_links(hist_run.network)["klaipeda"] == ["by_lt", "lt_transit"]


def test_stats_are_the_paired_t_interval_of_the_replications(
    comp: report.ComparisonResults,
) -> None:
    totals = comp.replications.groupby(["scenario", "replication"]).sum(numeric_only=True)
    for metric in ("exported_t", "revenue_usd", "netback_usd", "logistics_cost_usd"):
        diffs = (totals.loc["history", metric] - totals.loc["baseline", metric]).to_numpy()
        half = st.t.ppf(0.975, len(diffs) - 1) * diffs.std(ddof=1) / np.sqrt(len(diffs))
        stats = comp.meta["stats"]["history"][metric]
        assert stats["mean"] == pytest.approx(totals.loc["history", metric].mean())
        assert stats["diff_mean"] == pytest.approx(diffs.mean())
        assert stats["diff_ci_low"] == pytest.approx(diffs.mean() - half)
        assert stats["diff_ci_high"] == pytest.approx(diffs.mean() + half)
        row = comp.comparison.set_index(["scenario", "metric"]).loc[("history", metric)]
        assert row["diff_mean"] == pytest.approx(diffs.mean())
        assert row["unit"] == ("t" if metric == "exported_t" else "USD")


def test_save_comparison_writes_only_what_was_run(
    saved_results: SavedResults, tmp_path: Path
) -> None:
    no_runs = dataclasses.replace(saved_results.cmp, representative={})
    with pytest.raises(ResultsError, match="no representative run of baseline, history"):
        save_comparison(no_runs, tmp_path)
    assert list(tmp_path.iterdir()) == []
    # the run folder holds the representative run itself: same content as in the comparison
    for name in ("summary.json", "monthly.csv", "network.json"):
        in_comparison = saved_results.compare / "runs" / "history" / name
        assert (saved_results.run / name).read_bytes() == in_comparison.read_bytes()


def test_missing_run_folder_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match=re.escape(str(tmp_path / "nope"))):
        report.load_run(tmp_path / "nope")


@pytest.mark.parametrize(
    "name", ["monthly.csv", "network.json", "manifest.json", "scenario.resolved.yaml"]
)
def test_incomplete_run_folder_names_folder_and_file(
    folders: dict[str, Path], tmp_path: Path, name: str
) -> None:
    run = _copy(folders["run"], tmp_path)
    (run / name).unlink()
    with pytest.raises(ResultsError, match=re.escape(name)) as err:
        report.load_run(run)
    assert str(run) in str(err.value)


def test_missing_column_and_bad_date_are_results_errors(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    run = _copy(folders["run"], tmp_path)
    monthly = pd.read_csv(run / "monthly.csv")
    monthly.drop(columns="exported_t").to_csv(run / "monthly.csv", index=False)
    with pytest.raises(ResultsError, match=r"monthly\.csv: missing column\(s\) exported_t"):
        report.load_run(run)
    monthly.assign(month="January").to_csv(run / "monthly.csv", index=False)
    with pytest.raises(ResultsError, match=r"monthly\.csv: column month"):
        report.load_run(run)


def test_comparison_without_a_run_folder_is_incomplete(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    comp_dir = _copy(folders["compare"], tmp_path)
    shutil.rmtree(comp_dir / "runs" / "history")
    with pytest.raises(ResultsError, match=r"runs.history"):
        report.load_comparison(comp_dir)
    (comp_dir / "monthly_routes.csv").unlink()
    with pytest.raises(ResultsError, match=r"incomplete: missing monthly_routes\.csv"):
        report.load_comparison(comp_dir)


def test_folder_that_is_neither_kind_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ResultsError, match="neither a comparison folder"):
        report.build_report([tmp_path], tmp_path / "r.html")


# ----------------------------------------------------------------------------- colours


def test_scenario_colours_fix_the_base_and_follow_order() -> None:
    colours = charts.scenario_colours(["a", "baseline", "b", "a"], base="baseline")
    assert colours == {"a": "#0072B2", "baseline": charts.BASE_COLOUR, "b": "#D55E00"}
    assert charts.route_colours(["b", "a"]) == charts.route_colours(["a", "b", "a"])


def test_route_colours_are_distinct_and_the_busiest_come_first() -> None:
    routes = [f"r{i:02d}" for i in range(12)]
    colours = charts.route_colours(routes)
    assert len(set(colours.values())) == 12
    tonnes = {"zabaikalsk": 5.0, "ust_luga": 50.0, "klaipeda": 900.0}
    by_tonnes = charts.route_colours(tonnes, tonnes=tonnes)
    first = charts.route_colours(["a"])["a"]
    assert by_tonnes["klaipeda"] == first
    assert by_tonnes["ust_luga"] != by_tonnes["zabaikalsk"]


# ----------------------------------------------------------------------------- comparison charts


def test_revenue_netback_bars_equal_diff_mean_in_bn(comp: report.ComparisonResults) -> None:
    colours = charts.scenario_colours(comp.scenarios, comp.base)
    fig = charts.revenue_netback_chart(comp.stats, base=comp.base, colours=colours)
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["history"]  # the base is not a bar
    bar = fig.data[0]
    stats = comp.meta["stats"]["history"]
    for i, metric in enumerate(["revenue_usd", "netback_usd"]):
        s = stats[metric]
        assert bar.y[i] == pytest.approx(s["diff_mean"] / 1e9)
        assert bar.y[i] + bar.error_y.array[i] == pytest.approx(s["diff_ci_high"] / 1e9)
        assert bar.y[i] - bar.error_y.arrayminus[i] == pytest.approx(s["diff_ci_low"] / 1e9)
    assert bar.marker.color == colours["history"]
    assert "USD bn" in fig.layout.yaxis.title.text
    assert fig.layout.template.layout.paper_bgcolor == "white"  # plotly_white


def test_waterfall_parts_sum_to_total(comp: report.ComparisonResults) -> None:
    fig = charts.netback_waterfall(comp.decomposition, base=comp.base)
    (wf,) = fig.data
    assert list(wf.measure) == ["relative"] * 5 + ["total"]
    assert list(wf.x[1]) == [
        "Volume",
        "Market<br>mix",
        "World<br>price",
        "Discount",
        "Logistics",
        "Total",
    ]
    assert fig.layout.xaxis.tickangle == 0  # labels stay horizontal
    parts = comp.meta["decomposition"]["history"]
    assert sum(wf.y[:5]) == pytest.approx(wf.y[5])
    assert wf.y[5] == pytest.approx(parts["total_usd"] / 1e9)
    assert wf.y[0] == pytest.approx(parts["volume_usd"] / 1e9)
    # the change the waterfall explains is the mean netback change of the comparison
    assert parts["total_usd"] == pytest.approx(
        comp.meta["stats"]["history"]["netback_usd"]["diff_mean"]
    )
    assert parts["volume_usd"] < 0  # the ban cost volume


def test_waterfall_rejects_parts_that_do_not_add_up(comp: report.ComparisonResults) -> None:
    bad = comp.decomposition.copy()
    bad.loc[bad["scenario"].eq("history"), "total_usd"] += 1e6
    with pytest.raises(ReportError, match="history"):
        charts.netback_waterfall(bad, base=comp.base)


def test_cumulative_revenue_ends_at_mean_total(comp: report.ComparisonResults) -> None:
    fig = charts.cumulative_revenue_chart(comp.monthly_revenue)
    means = {t.name: t for t in fig.data if t.showlegend is not False}
    assert set(means) == set(SCENARIOS)
    for scen, trace in means.items():
        frame = comp.monthly_revenue[comp.monthly_revenue["scenario"].eq(scen)]
        expected = frame["revenue_usd"].sum() / frame["replication"].nunique() / 1e9
        assert trace.y[-1] == pytest.approx(expected)
        assert len(trace.x) == MONTHS
    # band traces: upper then lower (filled), around the mean
    upper, lower, mean = fig.data[0], fig.data[1], fig.data[2]
    assert lower.fill == "tonexty"
    assert np.all(np.asarray(lower.y) <= np.asarray(mean.y) + 1e-12)
    assert np.all(np.asarray(upper.y) >= np.asarray(mean.y) - 1e-12)


def test_route_area_stacks_sum_to_input_per_month(
    comp: report.ComparisonResults, route_names: list[str]
) -> None:
    fig = charts.route_area_chart(comp.monthly_routes)
    assert len(fig.data) == len(SCENARIOS) * len(route_names)
    expected = comp.monthly_routes.groupby(["scenario", "month"])["exported_t"].sum() / 1e6
    for row, scen in enumerate(SCENARIOS, start=1):
        traces = [t for t in fig.data if t.stackgroup == f"s{row}"]
        assert len(traces) == len(route_names)
        stacked = np.sum([np.asarray(t.y, dtype=float) for t in traces], axis=0)
        np.testing.assert_allclose(stacked, expected[scen].to_numpy())
    assert sum(bool(t.showlegend) for t in fig.data) == len(route_names)
    # klaipeda is zero after the ban (missing rows are filled, not dropped)
    kla = next(t for t in fig.data if t.stackgroup == "s2" and t.name == "klaipeda")
    assert kla.y[-1] == 0.0


def test_route_area_panels_follow_the_comparison_order_on_one_scale(
    comp: report.ComparisonResults, route_names: list[str]
) -> None:
    shuffled = comp.monthly_routes.iloc[::-1]  # the CSV order must not decide the panels
    assert shuffled["scenario"].iloc[0] == "history"
    fig = charts.route_area_chart(shuffled, scenarios=comp.scenarios)
    assert [a.text for a in fig.layout.annotations] == SCENARIOS  # base first
    base = [t for t in fig.data if t.stackgroup == "s1"]
    expected = comp.monthly_routes[comp.monthly_routes["scenario"].eq("baseline")]
    assert sum(float(np.sum(t.y)) for t in base) == pytest.approx(
        expected["exported_t"].sum() / 1e6
    )
    assert fig.layout.yaxis2.matches == "y"  # panels compare by height
    assert fig.layout.yaxis.title.text == "Mt per month"
    legend = [t for t in fig.data if t.showlegend]
    assert len({t.line.color for t in legend}) == len(route_names)  # every route its own colour
    assert all(t.fillcolor == t.line.color for t in fig.data)
    # the busiest route sits at the bottom of the stack
    assert legend[0].name == "klaipeda" and fig.layout.legend.traceorder == "reversed"


def test_a_charts_dict_is_the_figure_plotly_writes(
    comp: report.ComparisonResults, hist_run: report.RunResults
) -> None:
    # the report writes chart.dict(...) as it is; the API returns go.Figure of the same figure
    calls = [
        (charts.revenue_netback_chart, (comp.stats,), {"base": comp.base}),
        (charts.netback_waterfall, (comp.decomposition,), {"base": comp.base}),
        (charts.cumulative_revenue_chart, (comp.monthly_revenue,), {}),
        (charts.route_area_chart, (comp.monthly_routes,), {"scenarios": comp.scenarios}),
        (charts.route_area_chart, (comp.monthly_routes.iloc[:0],), {}),
        (charts.bottleneck_chart, (hist_run.utilisation,), {"scenario": "h"}),
        (charts.policy_timeline_chart, (hist_run.timeline,), {"horizon": hist_run.horizon}),
        (charts.policy_timeline_chart, (hist_run.timeline.iloc[:0],), {}),
    ]
    assert hist_run.shadow_prices is not None  # a comparison writes them for its runs
    calls.append((charts.shadow_price_chart, (hist_run.shadow_prices,), {"scenario": "h"}))
    for chart, args, kwargs in calls:
        plain = json.loads(pio.to_json(chart.dict(*args, **kwargs), validate=False))
        assert plain == json.loads(pio.to_json(chart(*args, **kwargs))), chart.__name__


@pytest.mark.parametrize(
    "values",
    [
        np.arange(5),
        np.array([[1.0, np.nan], [2.0, 3.0]]),
        np.arange(6).reshape(2, 3).T,  # not contiguous
        np.array([["a", 1]], dtype=object),
        np.array(["a", "b"]),
        pd.Series([1.0, np.nan]),
        pd.Series(pd.to_datetime(["2020-01-01", "2020-02-01"])),
        pd.Series(pd.to_datetime(["2020-01-01"])).dt.tz_localize("UTC"),
        pd.DatetimeIndex(["2020-01-01"]),
        pd.Series(["a", "b"]),
        pd.Series([1, None], dtype="Int64"),
    ],
)
def test_data_array_converts_as_plotly_does(values: object) -> None:
    from _plotly_utils.basevalidators import copy_to_readonly_numpy_array
    from _plotly_utils.utils import convert_to_base64

    from potashsim.report.charts.style import data_array, plotly_json_arrays

    ours, theirs = {"v": data_array(values)}, {"v": copy_to_readonly_numpy_array(values)}
    assert ours["v"].dtype == theirs["v"].dtype and not ours["v"].flags.writeable
    plotly_json_arrays(ours)
    convert_to_base64(theirs)
    assert pio.to_json(ours, validate=False) == pio.to_json(theirs, validate=False)


# ----------------------------------------------------------------------------- map


def test_route_links_come_from_network_json(hist_run: report.RunResults) -> None:
    paths = charts.route_links(hist_run.network)
    assert set(paths) == {r["id"] for r in hist_run.network["routes"]}
    assert paths["zabaikalsk"] == ["by_east", "ru_zabaikalsk"]
    without = {k: v for k, v in hist_run.network.items() if k != "routes"}
    with pytest.raises(ReportError, match=r"network\.json has no routes.*again"):
        charts.route_links(without)


def test_a_route_missing_from_network_json_is_named(hist_run: report.RunResults) -> None:
    network = {
        **hist_run.network,
        "routes": [r for r in hist_run.network["routes"] if r["id"] != "klaipeda"],
    }
    with pytest.raises(ReportError, match=r"route 'klaipeda' of monthly\.csv"):
        charts.link_flows(network, hist_run.monthly, 2021)


def test_old_run_folder_without_routes_says_to_run_again(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    run = _copy(folders["run"], tmp_path)
    net = json.loads((run / "network.json").read_text())
    del net["routes"]
    (run / "network.json").write_text(json.dumps(net))
    with pytest.raises(ResultsError, match=r"network\.json: missing key\(s\) routes") as err:
        report.load_run(run)
    assert str(run) in str(err.value) and "run the scenario again" in str(err.value)


def test_link_flows_sum_the_routes_using_each_link(hist_run: report.RunResults) -> None:
    flows = charts.link_flows(hist_run.network, hist_run.monthly, 2021)
    m = hist_run.monthly[hist_run.monthly["month"].dt.year.eq(2021)]
    by_route = m.groupby("route")["exported_t"].sum()
    paths = {r["id"]: r["links"] for r in hist_run.network["routes"]}
    for link in flows.index:
        expected = sum(by_route.get(r, 0.0) for r, links in paths.items() if link in links)
        assert flows[link] == pytest.approx(expected)
    # every tonne leaves the mines by exactly one link
    first = [lnk["id"] for lnk in hist_run.network["links"] if lnk["from"] == "salihorsk"]
    assert len(first) == 5
    assert flows[first].sum() == pytest.approx(m["exported_t"].sum())
    assert flows["lt_transit"] == pytest.approx(by_route["klaipeda"])


def _link_traces(fig: go.Figure) -> dict[str, go.Scattergeo]:
    return {t.meta["link"]: t for t in fig.data if isinstance(t.meta, dict) and "link" in t.meta}


def test_map_draws_closed_links_dashed_and_grey(hist_run: report.RunResults) -> None:
    args = (hist_run.network, hist_run.monthly, hist_run.timeline)
    after_ban = _link_traces(
        charts.flow_map(*args, ("2022-02-01", "2022-12-31"), scenario="history", colour="#0072B2")
    )
    assert after_ban["lt_transit"].line.dash == "dash"
    assert after_ban["lt_transit"].line.color == "#9a9a9a"
    assert after_ban["lt_transit"].meta["state"] == "closed all period"
    assert after_ban["ru_nw"].line.dash == "solid"
    assert after_ban["ru_nw"].line.color == "#0072B2"
    year = _link_traces(charts.flow_map(*args, 2022, scenario="history"))
    # closed 11 of 12 months, by Lithuania and then the EU too: each day counted once
    assert year["lt_transit"].line.dash == "dot"
    assert year["lt_transit"].meta["state"] == "closed 334 of 365 days"
    assert year["pl_transit"].meta["state"] == "closed 211 of 365 days"  # EU from 4 June
    before = _link_traces(charts.flow_map(*args, 2021, scenario="history"))
    assert all(t.line.dash == "solid" for t in before.values())


def test_map_widths_follow_flows_and_offmap_terminal_is_marked(
    hist_run: report.RunResults,
) -> None:
    fig = charts.flow_map(
        hist_run.network, hist_run.monthly, hist_run.timeline, 2021, scenario="history"
    )
    links = _link_traces(fig)
    # 2021: most goes by Klaipeda, some east to Dostyk, little through Poland
    width = {k: links[k].line.width for k in ("lt_transit", "by_east", "pl_transit")}
    assert width["lt_transit"] > width["by_east"] > width["pl_transit"]
    # rail to China is a small outlet before the ban (X24: container trains from December 2021)
    assert links["ru_zabaikalsk"].meta["flow_t"] < 0.2 * links["lt_transit"].meta["flow_t"]
    lon_max = fig.layout.geo.lonaxis.range[1]
    assert max(links["ru_zabaikalsk"].lon) < lon_max  # clipped to the map edge
    labels = [t.text[0] for t in fig.data if t.mode == "markers+text" and t.text]
    assert any(lbl.startswith("→ Zabaikalsk") for lbl in labels)
    assert fig.layout.geo.resolution == 110


def test_flow_maps_one_per_period_on_a_common_scale(hist_run: report.RunResults) -> None:
    figs = charts.flow_maps(
        hist_run.network, hist_run.monthly, hist_run.timeline, [2021, 2022], scenario="history"
    )
    assert len(figs) == 2
    assert "2021" in figs[0].layout.title.text and "2022" in figs[1].layout.title.text
    w2021 = _link_traces(figs[0])["by_lt"].line.width
    w2022 = _link_traces(figs[1])["by_lt"].line.width
    assert w2021 > w2022  # 2021 carried more, and both use the same scale
    assert w2021 == pytest.approx(14.0)


def test_map_slider_has_one_frame_per_period_with_its_own_flows(
    hist_run: report.RunResults,
) -> None:
    args = (hist_run.network, hist_run.monthly, hist_run.timeline)
    periods: list[charts.Period] = [2021, ("2022-02-01", "2022-12-31"), 2022]
    fig = charts.flow_map_slider(*args, periods, scenario="history")
    labels = ["2021", "01 Feb 2022 - 31 Dec 2022", "2022"]
    assert [f.name for f in fig.frames] == labels
    (slider,) = fig.layout.sliders
    assert [step.label for step in slider.steps] == labels
    assert [list(step.args[0]) for step in slider.steps] == [[label] for label in labels]
    assert all(step.method == "animate" for step in slider.steps)
    # each frame is that period's own map on the slider's common scale; the geography stays
    static = charts.flow_maps(*args, periods, scenario="history")
    for frame, alone in zip(fig.frames, static, strict=True):
        frame_links = _link_traces(go.Figure(data=frame.data))
        assert {k: t.meta["flow_t"] for k, t in frame_links.items()} == {
            k: t.meta["flow_t"] for k, t in _link_traces(alone).items()
        }
        assert frame.layout.title.text == alone.layout.title.text
        assert frame.traces == tuple(range(2, len(fig.data)))
    assert [t.meta["geography"] for t in fig.data[:2]] == ["countries", "lakes"]
    assert _link_traces(go.Figure(data=fig.frames[1].data))["lt_transit"].line.dash == "dash"


def test_the_map_slider_dict_is_the_figure_plotly_would_make_of_it(
    hist_run: report.RunResults,
) -> None:
    # built without plotly's validation: validating it raises nothing and changes no value
    args = (hist_run.network, hist_run.monthly, hist_run.timeline)
    built = charts.flow_map_slider_dict(*args, [2021, 2022], scenario="history")
    validated = go.Figure(built).to_dict()
    assert json.loads(pio.to_json(built, validate=False)) == json.loads(pio.to_json(validated))


def test_the_report_map_has_a_frame_for_every_year_of_the_horizon(
    comp: report.ComparisonResults,
) -> None:
    pal = report_sections.palette([comp], None)
    secs = report_sections.comparison_sections(comp, pal, None, "")
    maps = {c.slug: c.figure for sec in secs for c in sec.charts if "-map" in c.slug}
    assert sorted(maps) == ["baseline-map", "history-map"]
    for fig in maps.values():  # the slider as a plain dict
        assert [f["name"] for f in fig["frames"]] == ["2021", "2022"]  # the horizon 2021-2022
    static = report_sections.comparison_sections(comp, pal, [2022], "", static_maps=True)
    slugs = [c.slug for sec in static for c in sec.charts if "-map" in c.slug]
    assert slugs == ["baseline-map-2022", "history-map-2022"]
    assert all(not c.figure.frames for sec in static for c in sec.charts if "-map" in c.slug)


def test_a_map_draws_its_geography_itself(hist_run: report.RunResults) -> None:
    fig = charts.flow_map(
        hist_run.network, hist_run.monthly, hist_run.timeline, 2021, scenario="history"
    )
    countries, lakes = fig.data[:2]
    assert countries.fill == "toself" and lakes.fill == "toself"
    lons = [x for x in countries.lon if x is not None]
    assert len(lons) > 1000 and min(lons) < 9 and max(lons) > 56  # the whole window is land-mapped
    # plotly.js would fetch its own layers from the network: every one is off
    geo = fig.layout.geo
    assert not any(
        (geo.showland, geo.showcountries, geo.showcoastlines, geo.showocean, geo.showlakes)
    )


def test_map_keeps_its_boxes_beside_the_map_and_names_markets(
    hist_run: report.RunResults,
) -> None:
    fig = charts.flow_map(
        hist_run.network, hist_run.monthly, hist_run.timeline, 2022, scenario="history"
    )
    right = fig.layout.geo.domain.x[1]
    (box,) = fig.layout.annotations
    assert box.x > right and fig.layout.legend.x > right
    assert "Brazil:" in box.text and "brazil:" not in box.text  # names from network.json
    assert "Total:" in box.text
    assert fig.layout.height >= 700


def test_map_labels_only_open_terminals(hist_run: report.RunResults) -> None:
    after = charts.flow_map(
        hist_run.network,
        hist_run.monthly,
        hist_run.timeline,
        ("2022-02-01", "2022-12-31"),
        scenario="history",
    )
    terminals = {
        t.meta["node"]: t for t in after.data if isinstance(t.meta, dict) and "node" in t.meta
    }
    # Murmansk's terminal is not built: a grey cross without a label
    assert terminals["murmansk"].meta["closed"] and terminals["murmansk"].text is None
    assert not terminals["klaipeda"].meta["closed"]  # the rail link is shut, not the port
    # Ust-Luga's node holds the open terminals and NTK (not yet built): only the open is named
    label = terminals["ust_luga"].text[0]
    assert label.startswith("Ust-Luga ") and "NTK" not in label


def test_edge_arrow_labels_go_apart() -> None:
    # two off-map arrows: the southern label goes under its line, the other above
    points = [(55.0, 53.0, True), (55.0, 50.0, True), (21.0, 55.7, False)]
    positions = charts_map_layout.label_positions(points, hub_lon=27.5)
    assert positions == ["top left", "bottom left", "middle left"]
    assert charts_map_layout.label_positions([(55.0, 53.0, True)], 27.5) == ["top left"]


def test_period_bounds() -> None:
    assert charts.period_bounds(2023) == (pd.Timestamp("2023-01-01"), pd.Timestamp("2023-12-31"))
    with pytest.raises(ReportError):
        charts.period_bounds(("2023-05-01", "2023-01-01"))


# ----------------------------------------------------------------------------- run charts


def test_policy_timeline_bars_match_intervals(hist_run: report.RunResults) -> None:
    fig = charts.policy_timeline_chart(
        hist_run.timeline, scenario="history", horizon=hist_run.horizon
    )
    assert {t.name for t in fig.data} == ACTORS
    # the network's own rows (terminals not built) are left out
    assert sum(len(t.y) for t in fig.data) == MEASURES
    assert len(hist_run.timeline) > MEASURES
    lit = next(t for t in fig.data if t.name == "Lithuania")
    assert list(lit.base) == ["2022-02-01"]
    assert lit.x[0] == pytest.approx(334 * 86_400_000)  # 1 Feb to 31 Dec inclusive, in ms
    assert list(lit.y) == ["lt_transit (link) · Lithuania"]  # the EU closes it too
    colours = {t.marker.color for t in fig.data}
    assert len(colours) == len(ACTORS)
    rus = next(t for t in fig.data if t.name == "Russia")
    # capacity offered month by month (dots), improvised handling at a higher cost (crosses)
    assert set(rus.marker.pattern.shape) == {".", "x"}
    states = [c[3] for c in rus.customdata]  # every bar's label, shown on hover
    assert states[0] == "capacity 1.3 Mt/yr"  # ports: tonnes a year
    assert "cost 40 USD/t" in states
    assert "" in list(rus.text)  # a one-month bar is too short for its label
    us = next(t for t in fig.data if t.name == "US")
    assert list(us.y) == ["us (market)", "all markets (market)", "india (market)"]
    assert list(us.text) == ["closed", "discount, each market's own", "closed"]
    assert fig.layout.xaxis.type == "date"
    assert pd.Timestamp(fig.layout.xaxis.range[0]) == pd.Timestamp("2021-01-01")


def _timeline(rows: list[tuple[str, str, str, str, str, float | None, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["kind", "target", "start", "end", "state", "value", "actor"]
    ).assign(action="close", source="S")
    return frame.assign(start=pd.to_datetime(frame["start"]), end=pd.to_datetime(frame["end"]))


def test_policy_timeline_short_bars_keep_their_label_for_hover() -> None:
    timeline = _timeline(
        [
            ("link", "lt_transit", "2022-02-01", "2030-12-31", "closed", None, "Lithuania"),
            ("link", "lt_transit", "2022-06-04", "2030-12-31", "closed", None, "EU"),
            ("port", "spb", "2022-06-01", "2022-09-30", "capacity", 1.3e6, "Russia"),
            ("link", "ru_nw", "2023-01-01", "2030-12-31", "capacity", 140.0, "Russia"),
        ]
    )
    horizon = (pd.Timestamp("2019-01-01"), pd.Timestamp("2030-12-31"))
    fig = charts.policy_timeline_chart(timeline, scenario="s", horizon=horizon)
    rus = next(t for t in fig.data if t.name == "Russia")
    short = list(rus.y).index("spb (port)")
    assert rus.text[short] == ""  # four months on a 12-year axis: too short for its label
    assert rus.customdata[short][3] == "capacity 1.3 Mt/yr"  # ... which hover still shows
    assert "customdata[3]" in rus.hovertemplate
    assert rus.text[list(rus.y).index("ru_nw (link)")] == "capacity 140 trains/day"
    assert fig.layout.uniformtext.mode == "hide"
    # two actors on one target: one row each, side by side, so neither bar hides the other
    rows = list(fig.layout.yaxis.categoryarray)[::-1]
    assert rows[:2] == ["lt_transit (link) · Lithuania", "lt_transit (link) · EU"]


def test_policy_timeline_without_events_says_so(comp: report.ComparisonResults) -> None:
    baseline = comp.runs["baseline"].timeline
    assert charts.policy_intervals(baseline).empty
    fig = charts.policy_timeline_chart(baseline, scenario="baseline")
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == charts.NO_POLICY


def test_busiest_facilities_leave_out_small_ones() -> None:
    months = pd.date_range("2021-01-01", periods=6, freq="MS")
    rows = []
    for facility, used, cap in (("big", 900.0, 1500.0), ("mid", 300.0, 400.0), ("tiny", 9.0, 4)):
        rows += [
            {"month": m, "kind": "port", "facility": facility, "used": used, "capacity": cap}
            for m in months
        ]
    util = pd.DataFrame(rows).assign(
        utilisation=lambda f: f["used"] / f["capacity"], mean_wait_days=0.0
    )
    # tiny is the most utilised (225%) but carries under 5% of the tonnes
    assert charts.busiest_facilities(util) == {"link": [], "terminal": ["mid", "big"]}
    assert charts.busiest_facilities(util, min_share=0.0, top=1)["terminal"] == ["tiny"]
    # against the capacity really available, big is the busiest
    available = util.assign(utilisation_available=lambda f: f["used"] / 950.0)
    assert charts.busiest_facilities(available)["terminal"] == ["big", "mid"]


def test_bottlenecks_plot_rolling_utilisation_and_waits(hist_run: report.RunResults) -> None:
    fig = charts.bottleneck_chart(hist_run.utilisation, scenario="history")
    util = hist_run.utilisation
    chosen = charts.busiest_facilities(util)
    assert len(chosen["link"]) == 3 and len(chosen["terminal"]) == 3
    assert {t.legendgroup for t in fig.data} == set(chosen["link"] + chosen["terminal"])
    lt = [t for t in fig.data if t.legendgroup == "lt_transit"]
    assert len(lt) == 2  # utilisation row and waiting row
    expected = util[util["facility"].eq("lt_transit")].sort_values("month")
    # drawn against the capacity available (closures, ice, the dispatcher's plan)
    raw = expected["utilisation_available"].to_numpy() * 100
    y = np.asarray(lt[0].y, dtype=float)
    # a centred 3-month mean of the months with capacity
    assert y[5] == pytest.approx(raw[4:7].mean())
    assert y[12] == pytest.approx(raw[11:13].mean())  # Jan 2022: the link is closed from Feb 2022
    hover = np.asarray(lt[0].customdata, dtype=float)
    np.testing.assert_allclose(hover[:, 0], raw)
    np.testing.assert_allclose(hover[:, 1], expected["utilisation"].to_numpy() * 100)
    closed = np.isnan(raw)
    assert closed[-1] and np.isnan(y[closed]).all()  # closed: a gap, not a zero
    waits = np.asarray(lt[1].y, dtype=float)
    assert np.isnan(waits[closed]).all()
    np.testing.assert_allclose(waits[~closed], expected["mean_wait_days"].to_numpy()[~closed])
    assert fig.layout.yaxis.title.text == "% of available capacity"
    assert "available capacity (3-month rolling mean)" in fig.layout.annotations[0].text
    assert fig.layout.yaxis3.title.text == "Mean wait, days"
    few = charts.bottleneck_chart(util, scenario="x", top=2)
    assert len({t.legendgroup for t in few.data}) == 4  # 2 links + 2 ports/borders
    coloured = charts.bottleneck_chart(util, scenario="x", colours={"lt_transit": "#123456"})
    assert {t.line.color for t in coloured.data if t.legendgroup == "lt_transit"} == {"#123456"}


# ----------------------------------------------------------------------------- report HTML


def test_provenance_table_escapes_values() -> None:
    table = report.provenance_table([{"Scenario": "<b>x</b>", "Command": "a & b"}])
    assert "&lt;b&gt;x&lt;/b&gt;" in table and "a &amp; b" in table
    assert report.provenance_table([]) == ""


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.script_src: list[str] = []
        self.links: int = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append((tag, name, value))
        if tag == "script" and any(n == "src" for n, _ in attrs):
            self.script_src.append(tag)
        self.links += tag == "link"


def test_report_has_no_external_urls(report_html: str) -> None:
    # Script bodies are JavaScript, not markup: plotly.js mentions URLs in strings it never loads.
    markup = re.sub(r"(<script\b[^>]*>).*?(</script>)", r"\1\2", report_html, flags=re.S)
    assert not re.findall(r"""(?:src|href)\s*=\s*["']?\s*https?://""", markup, flags=re.I)
    assert not re.search(r"url\(\s*['\"]?https?://|@import", markup, flags=re.I)
    parser = _Attrs()
    parser.feed(report_html)
    assert not [u for u in parser.urls if re.match(r"\s*(https?:)?//", u[2], flags=re.I)]
    assert parser.script_src == [] and parser.links == 0


def test_report_embeds_plotly_once(report_html: str) -> None:
    assert report_html.count("plotly.js v") == 1  # the bundle's banner
    assert report_html.index("plotly.js v") < report_html.index("</head>")
    # the maps carry their geography as traces: plotly.js has no map file to fetch or be given
    assert "PlotlyGeoAssets={topojson:{world_110m" not in report_html
    assert "include_plotlyjs" not in report_html and "cdn.plot.ly/plotly" not in report_html


def test_report_sections_and_captions(report_html: str, comp: report.ComparisonResults) -> None:
    n = report_html.count('class="plotly-graph-div"')
    seed = comp.runs["history"].manifest["seed"]  # replication 0's, not the root seed
    # comparison: 4 charts, baseline map + bottlenecks + shadow prices (no measures: no
    # timeline), history map + timeline + bottlenecks + shadow prices; run: routes + map +
    # timeline + bottlenecks + shadow prices
    assert n == 4 + 3 + 4 + 5
    for text in (
        "Revenue and netback against the base",
        "What drives the netback change",
        "Cumulative revenue",
        "Exports by route",
        "Rail flows on the map: baseline",
        "Policy timeline: history",
        "Bottlenecks: history",
        "What one more train or Mt would earn: history",
        "<th>USD m a year</th>",
        'Policy timeline: baseline</h3><p class="caption">No policy measures in this scenario.',
        "Provenance",
        comp.meta["scenario_hashes"]["baseline"],
        "potashsim report x",
        f"one run (seed {seed}: &quot;potashsim run history --seed {seed}&quot; reproduces it)",
    ):
        assert text in report_html
    assert report_html.count('class="caption"') >= 13


def test_one_report_keeps_colours_across_charts(folders: dict[str, Path]) -> None:
    bundles = [report.load_results(folders["compare"]), report.load_results(folders["run"])]
    pal = report_sections.palette(bundles, None)
    comp, run = bundles
    assert isinstance(comp, report.ComparisonResults) and isinstance(run, report.RunResults)
    figures = {
        c.slug: go.Figure(c.figure)  # the report keeps most as plain dicts
        for sec in [
            *report_sections.comparison_sections(comp, pal, None, "1-"),
            *report_sections.run_sections(run, pal, None, "2-", with_routes=True),
        ]
        for c in sec.charts
    }
    routes = figures["1-routes"]
    kla_route = next(t.line.color for t in routes.data if t.name == "klaipeda")
    assert kla_route == pal.routes["klaipeda"]
    # the busiest route takes the first colour; a port keeps its route's colour in bottlenecks
    assert kla_route == charts.route_colours(["x"])["x"]
    drawn = {
        "1-baseline": comp.runs["baseline"],
        "1-history": comp.runs["history"],
        "2-history": run,
    }
    assert "klaipeda" in charts.busiest_facilities(comp.runs["baseline"].utilisation)["terminal"]
    for prefix, one in drawn.items():
        figure = figures[f"{prefix}-bottlenecks"]
        for terminal in charts.busiest_facilities(one.utilisation)["terminal"]:
            used = {t.line.color for t in figure.data if t.legendgroup == terminal}
            assert used == {pal.routes[terminal]}
        colours = [t.line.color for t in figure.data if t.showlegend is not False]
        assert len(set(colours)) == len(colours)  # every drawn facility its own colour
    # an actor has one colour in every timeline; the baseline has none
    assert "1-baseline-timeline" not in figures
    timelines = [figures["1-history-timeline"], figures["2-history-timeline"]]
    assert [{t.name: t.marker.color for t in f.data} for f in timelines].count(
        {a: pal.actors[a] for a in ACTORS}
    ) == 2
    assert len(set(pal.actors.values())) == len(ACTORS)


def test_run_folder_alone_gives_the_run_charts(folders: dict[str, Path], tmp_path: Path) -> None:
    out = report.build_report([folders["run"]], tmp_path / "run.html")
    html = out.read_text(encoding="utf-8")
    # routes, map, timeline, bottlenecks, shadow prices
    assert html.count('class="plotly-graph-div"') == 5
    assert "Cumulative revenue" not in html and "netback change" not in html
    sha = report.load_run(folders["run"]).manifest["scenario_sha256"]
    assert sha in html


def test_report_is_byte_identical_when_rebuilt(folders: dict[str, Path], tmp_path: Path) -> None:
    a = report.build_report([folders["run"]], tmp_path / "a.html", periods=[2022])
    b = report.build_report([folders["run"]], tmp_path / "b.html", periods=[2022])
    assert a.read_bytes() == b.read_bytes()


def test_failed_build_leaves_the_old_report_and_no_temp_file(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    out.write_text("old")
    broken = _copy(folders["run"], tmp_path / "broken")
    net = json.loads((broken / "network.json").read_text())
    net["routes"] = [r for r in net["routes"] if r["id"] != "klaipeda"]
    (broken / "network.json").write_text(json.dumps(net))
    with pytest.raises(ReportError, match="'klaipeda'"):
        report.build_report([broken], out)
    assert out.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken", "report.html"]


def test_custom_periods_are_the_frames_of_one_map(folders: dict[str, Path], tmp_path: Path) -> None:
    periods: list[charts.Period] = [2021, ("2022-02-01", "2022-12-31")]
    out = report.build_report([folders["run"]], tmp_path / "r.html", periods=periods)
    html = out.read_text(encoding="utf-8")
    assert (
        html.count('class="plotly-graph-div"') == 5
    )  # routes, map, timeline, bottlenecks, shadow prices
    assert '"name":"01 Feb 2022 - 31 Dec 2022"' in html and '"name":"2021"' in html


def test_a_map_year_outside_the_horizon_names_it(folders: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"2023 outside the horizon of history \(2021..2022\)"):
        report.build_report([folders["run"]], tmp_path / "r.html", periods=[2022, 2023])


# ----------------------------------------------------------------------------- image export


@pytest.mark.parametrize("browser_path", ["/nonexistent/chromium", None])
def test_export_without_browser_explains_how_to_install(
    folders: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    browser_path: str | None,
) -> None:
    monkeypatch.setenv("PATH", "")
    if browser_path:
        monkeypatch.setenv("BROWSER_PATH", browser_path)
    else:
        monkeypatch.delenv("BROWSER_PATH", raising=False)
    with pytest.raises(ReportError, match=r"apt-get install chromium.*BROWSER_PATH"):
        report.export_images([folders["run"]], tmp_path / "png")
    assert not (tmp_path / "png").exists()


def test_export_rejects_unknown_format(folders: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="png or svg"):
        report.export_images([folders["run"]], tmp_path, fmt="gif")


def test_unwritable_output_is_a_report_error(folders: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    with pytest.raises(ReportError, match="cannot write"):
        report.build_report([folders["run"]], target)
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_a_run_folder_from_before_available_capacity_says_to_run_again(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    run = _copy(folders["run"], tmp_path)
    util = pd.read_csv(run / "utilisation.csv")
    util.drop(columns=["available", "utilisation_available"]).to_csv(
        run / "utilisation.csv", index=False
    )
    with pytest.raises(ResultsError, match="written by an older potashsim"):
        report.load_run(run)


def test_shadow_price_chart_shows_each_binding_limit_by_year(hist_run: report.RunResults) -> None:
    table = hist_run.shadow_prices
    assert table is not None
    ranking = charts.shadow_price_ranking(table)
    assert (ranking["value_usd"] > 0).all()  # only limits that bound are ranked
    fig = charts.shadow_price_chart(table, scenario="history")
    links, others = fig.data
    # Lithuania's transit binds until it closes in February 2022
    assert "lt_transit (link)" in links.y
    totals = ranking[ranking["per"].eq("train/day")].groupby("constraint")["value_usd"].sum()
    assert links.y[-1] == f"{totals.idxmax()} (link)"  # the top row: worth most over the run
    value = ranking.set_index(["constraint", "year"])["value_usd"] / 1e6
    for heat in (links, others):
        for i, label in enumerate(heat.y):
            name = "supply" if label == "mines' supply" else label.split(" (")[0]
            for j, year in enumerate(heat.x):
                cell = heat.z[i][j]
                expected = value.get((name, int(year)))
                assert (
                    (cell is None or np.isnan(cell))
                    if expected is None
                    else (cell == pytest.approx(expected))
                )


def test_a_run_saved_without_shadow_prices_says_how_to_get_them(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    run = _copy(folders["run"], tmp_path)
    (run / "shadow_prices.csv").unlink()
    assert report.load_run(run).shadow_prices is None
    html = report.build_report([run], tmp_path / "r.html").read_text(encoding="utf-8")
    assert "--shadow-prices" in html
    assert html.count('class="plotly-graph-div"') == 4  # routes, map, timeline, bottlenecks


def test_run_without_deliveries_still_gives_a_report(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    run = _copy(folders["run"], tmp_path)
    for name in ("monthly.csv", "utilisation.csv"):
        pd.read_csv(run / name).iloc[0:0].to_csv(run / name, index=False)
    html = report.build_report([run], tmp_path / "r.html").read_text(encoding="utf-8")
    assert "No exports recorded" in html and "No utilisation data" in html


def test_the_report_says_what_each_scenario_changes_against_the_base(
    comp: report.ComparisonResults,
) -> None:
    from potashsim.report.sections import comparison_sections, palette

    sections = comparison_sections(comp, palette([comp], None), None, "")
    (what,) = [s for s in sections if s.title == "What each scenario is"]
    history = comp.runs["history"].resolved
    assert history["description"].split()[0] in what.html  # each scenario's description
    # history's measures are events the baseline lacks, each listed with its actor and target
    assert "<td>added</td><td>2022-02-01</td><td>Lithuania</td><td>close</td>" in what.html
    assert "link:lt_transit" in what.html
    assert "potashsim run history --seed" in what.html


def test_parameter_differences_list_every_changed_input() -> None:
    from potashsim.report.scenario_diff import parameter_differences

    base = {"seed": 1, "network": {"ports": {"klaipeda": {"handling_usd_per_t": 10.0}}}}
    other = {"seed": 1, "network": {"ports": {"klaipeda": {"handling_usd_per_t": 20.0}}}}
    assert parameter_differences(base, other) == [
        {"parameter": "network.ports.klaipeda.handling_usd_per_t", "base": 10.0, "scenario": 20.0}
    ]
    assert parameter_differences(base, base) == []


# ----------------------------------------------------------------------------- --map-years


def _frames(html: str) -> list[str]:
    """The names of the map frames in a report (a frame lists the traces it redraws)."""
    return re.findall(r'"name":"([^"]+)","traces":\[2,', html)


def test_map_years_option_chooses_the_slider_frames(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from potashsim.cli import main

    out = tmp_path / "r.html"
    res = CliRunner().invoke(
        main, ["report", str(folders["run"]), "--out", str(out), "--map-years", "2022"]
    )
    assert res.exit_code == 0, res.output
    assert _frames(out.read_text(encoding="utf-8")) == ["2022"]
    res = CliRunner().invoke(
        main, ["report", str(folders["run"]), "--out", str(out), "--map-years", "all"]
    )
    assert _frames(out.read_text(encoding="utf-8")) == ["2021", "2022"]
    bad = CliRunner().invoke(
        main, ["report", str(folders["run"]), "--out", str(out), "--map-years", "22,x"]
    )
    assert bad.exit_code == 2 and "e.g. 2022,2027,2029, or all" in bad.output
    late = CliRunner().invoke(
        main, ["report", str(folders["run"]), "--out", str(out), "--map-years", "2022,2027"]
    )
    assert late.exit_code == 2 and "2027 outside the horizon of history (2021..2022)" in late.output
