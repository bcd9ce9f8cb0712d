"""Comparisons are like for like: scenarios of different horizons are compared over the days they
all simulate (or a chosen window inside them), and a scenario changed on the command line is
labelled ``name*`` with its overrides, in the printed tables, the CSV files and the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from click.testing import CliRunner, Result

from conftest import make_scenario, tiny_network
from potashsim import report
from potashsim.analysis.experiment import compare
from potashsim.cli import main
from potashsim.errors import ResultsError
from potashsim.report.html import provenance_section
from potashsim.report.sections import comparison_sections, palette
from potashsim.results.write import save_comparison, scenario_hash
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import Scenario

SCENARIO = """name: {name}
extends: history
horizon: {{start: 2021-01-01, end: {end}}}
"""


PLACES = {"mine": (53.0, 27.5), "port": (55.7, 21.1)}


def _renamed(s: Scenario, name: str) -> Scenario:
    return s.model_copy(update={"name": name})


@pytest.fixture(scope="module")
def mismatched() -> list[Scenario]:
    """The same tiny network over a year and over its first 200 days (short first: the base),
    placed inside the report's map."""
    net = tiny_network(
        **{
            f"nodes.{n}.{k}": v
            for n, (lat, lon) in PLACES.items()
            for k, v in (("lat", lat), ("lon", lon))
        }
    )
    return [
        _renamed(make_scenario(net, days=200), "short"),
        _renamed(make_scenario(net, days=366), "long"),
    ]


def test_a_horizon_mismatch_is_compared_over_the_days_both_simulate(
    mismatched: list[Scenario],
) -> None:
    cmp = compare(mismatched, replications=2, seed=3)
    end = dt.date(2020, 7, 18)  # day 200 from 2020-01-01
    assert cmp.window == cmp.shared_window == (dt.date(2020, 1, 1), end)
    assert cmp.horizons == {
        "short": (dt.date(2020, 1, 1), end),
        "long": (dt.date(2020, 1, 1), dt.date(2020, 12, 31)),
    }
    # the two differ only in how long they run: over the shared days they export the same
    for metric in ("exported_t", "revenue_usd", "netback_usd"):
        assert cmp.stats["long"][metric]["diff_mean"] == pytest.approx(0.0, abs=1e-6), metric
    assert cmp.decomposition["long"]["total_usd"] == pytest.approx(0.0, abs=1e-6)
    # the long run still simulated its whole year; only the accounts are cut
    long_run = cmp.representative["long"]
    assert long_run.deliveries["date"].max() > pd.Timestamp(end)
    d = long_run.deliveries
    inside = d.loc[d["date"] <= pd.Timestamp(end), "exported_t"].sum()
    assert cmp.stats["long"]["exported_t"]["mean"] == pytest.approx(inside)
    for frame in (cmp.monthly_revenue, cmp.monthly_routes):
        assert pd.to_datetime(frame["month"]).max() <= pd.Timestamp(end)
    assert set(cmp.yearly["year"]) == {2020}


def test_a_chosen_window_counts_only_its_days(mismatched: list[Scenario]) -> None:
    window = (dt.date(2020, 2, 1), dt.date(2020, 3, 31))
    cmp = compare(mismatched, replications=1, seed=3, window=window)
    assert cmp.window == window
    months = pd.to_datetime(cmp.monthly_routes["month"])
    assert months.min() == pd.Timestamp("2020-02-01") and months.max() == pd.Timestamp("2020-03-01")
    # one train of 1,000 t a day over 60 days, give or take the first and last train
    assert cmp.stats["short"]["exported_t"]["mean"] == pytest.approx(60_000, abs=2_000)
    beyond = (dt.date(2020, 6, 1), dt.date(2020, 9, 1))
    with pytest.raises(ValueError, match=r"not inside 2020-01-01\.\.2020-07-18"):
        compare(mismatched, replications=1, seed=3, window=beyond)
    with pytest.raises(ValueError, match="not a compared scenario"):
        compare(mismatched, replications=1, seed=3, overrides={"other": ["x=1"]})


def test_a_report_of_a_horizon_mismatch_draws_no_month_beyond_the_window(
    mismatched: list[Scenario], tmp_path: Path
) -> None:
    cmp = compare(mismatched, replications=2, seed=3)
    folder = save_comparison(cmp, tmp_path, command="potashsim compare short long")
    comp = report.load_comparison(folder)
    assert comp.window == (pd.Timestamp("2020-01-01"), pd.Timestamp("2020-07-18"))
    sections = comparison_sections(comp, palette([comp], None), None, "")
    charts = {c.slug: go.Figure(c.figure) for s in sections for c in s.charts}
    for slug in ("routes", "cumulative-revenue"):
        xs = [pd.Timestamp(x) for trace in charts[slug].data for x in trace.x]
        assert xs, slug
        # no panel or line runs on past 2020-07 as zeros the short scenario never simulated
        assert max(xs) <= pd.Timestamp("2020-07-18"), slug
    captions = " ".join(s.caption for s in sections)
    assert "Counted over 2020-01-01..2020-07-18" in captions
    assert "long 2020-01-01..2020-12-31" in captions  # each scenario's own horizon is listed
    provenance = provenance_section(comp, None).html
    assert "2020-01-01..2020-07-18" in provenance and "2020-01-01..2020-12-31" in provenance
    report.build_report([folder], tmp_path / "report.html")


# --------------------------------------------------------------------------- the command


def compare_files(files: dict[str, Path], out: Path, *args: str) -> Result:
    """``potashsim compare long short`` with one replication in this process, and ``args``."""
    command = ["compare", str(files["long"]), str(files["short"]), "-n", "1", "-j", "1"]
    return CliRunner().invoke(main, [*command, *args, "--out", str(out)])


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """``long`` runs through 2021, ``short`` its first half: history's network and events."""
    out = {}
    for name, end in (("long", "2021-12-31"), ("short", "2021-06-30")):
        p = tmp_path / f"{name}.yaml"
        p.write_text(SCENARIO.format(name=name, end=end), encoding="utf-8")
        out[name] = p
    return out


@pytest.mark.slow
def test_compare_prints_the_shared_window_and_labels_the_scenario_set_for_changed(
    files: dict[str, Path], tmp_path: Path
) -> None:
    klaipeda = "ports.klaipeda.handling_usd_per_t=20"
    res = compare_files(
        files,
        tmp_path / "r",
        "--set-for",
        f"long:{klaipeda}",
        "--report",
        str(tmp_path / "report.html"),
    )
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert (
        "Totals 2021-01-01..2021-06-30, the window all scenarios share; horizons: "
        "long* 2021..2021, short 2021-01-01..2021-06-30." in res.output
    )
    rows = {line.split()[0]: line for line in lines if line.startswith(("long", "short"))}
    assert "long*" in rows and "short" in rows and "short*" not in rows
    assert f"long*: changed with {klaipeda}" in lines
    folder = Path(lines[-1])
    doc = json.loads((folder / "comparison.json").read_text())
    assert doc["scenarios"] == ["long*", "short"] and doc["base"] == "long*"
    assert doc["window"] == {"start": "2021-01-01", "end": "2021-06-30"}
    assert doc["overrides"] == {"long*": [klaipeda], "short": []}
    # --set-for changed long only: short is exactly the scenario its file describes
    assert doc["scenario_hashes"]["short"] == scenario_hash(load_scenario(str(files["short"])))
    assert doc["scenario_hashes"]["long*"] != scenario_hash(load_scenario(str(files["long"])))
    for name in ("comparison.csv", "replications.csv", "monthly_routes.csv"):
        assert set(pd.read_csv(folder / name)["scenario"]) == {"long*", "short"}, name
    assert pd.to_datetime(pd.read_csv(folder / "monthly_routes.csv")["month"]).max() <= (
        pd.Timestamp("2021-06-30")
    )
    manifest = json.loads((folder / "runs" / "long" / "manifest.json").read_text())
    assert manifest["overrides"] == [klaipeda]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Counted over 2021-01-01..2021-06-30" in html
    assert "Rail flows on the map: long*" in html
    assert f"long*: {klaipeda}" in html
    assert f"--set {klaipeda}" in html  # the command that reproduces its representative run


@pytest.mark.slow
def test_set_labels_every_scenario_and_a_chosen_window_is_printed(
    files: dict[str, Path], tmp_path: Path
) -> None:
    res = compare_files(
        files,
        tmp_path / "r",
        "--set",
        "ports.klaipeda.handling_usd_per_t=20",
        "--window",
        "2021-02-01..2021-03-31",
    )
    assert res.exit_code == 0, res.output
    assert "Totals 2021-02-01..2021-03-31, chosen with --window inside 2021-01-01..2021-06-30" in (
        res.output
    )
    folder = Path(res.output.splitlines()[-1])
    assert set(pd.read_csv(folder / "comparison.csv")["scenario"]) == {"long*", "short*"}
    years = pd.read_csv(folder / "replications.csv")["year"]
    assert set(years) == {2021}


@pytest.mark.parametrize(
    "args, message",
    [
        (("--window", "2020-06-01..2021-03-31"), "lies outside the horizon of long"),
        (("--window", "2021-09-01..2021-10-31"), "lies outside the horizon of short"),
        (("--window", "2021-01-01"), "is not START..END in ISO dates"),
        (("--window", "2021-04-01..2021-02-01"), "ends before it starts"),
        (("--set-for", "other:model.transit_spread=0"), "they are: long, short"),
        (("--set-for", "long=3"), "is not NAME:KEY=VALUE"),
    ],
)
def test_bad_window_and_set_for_values_stop_before_anything_runs(
    files: dict[str, Path], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    res = compare_files(files, tmp_path, *args)
    assert res.exit_code == 2, res.output
    assert message in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "compare").exists()


def test_horizons_that_share_no_day_are_refused(tmp_path: Path) -> None:
    paths = []
    for name, start, end in (("early", "2021-01-01", "2021-06-30"), ("late", "2022-01-01", "")):
        p = tmp_path / f"{name}.yaml"
        text = SCENARIO.format(name=name, end=end or "2022-06-30").replace("2021-01-01", start)
        p.write_text(text, encoding="utf-8")
        paths.append(str(p))
    res = CliRunner().invoke(main, ["compare", *paths, "--out", str(tmp_path / "r")])
    assert res.exit_code == 2
    assert "share no day" in res.output and "early 2021-01-01..2021-06-30" in res.output
    assert not (tmp_path / "r").exists()


def test_a_comparison_folder_written_before_the_window_was_recorded_says_to_rewrite_it(
    mismatched: list[Scenario], tmp_path: Path
) -> None:
    folder = save_comparison(compare(mismatched, replications=1, seed=3), tmp_path)
    path = folder / "comparison.json"
    doc = json.loads(path.read_text())
    for key in ("window", "shared_window", "horizons", "overrides"):
        del doc[key]
    path.write_text(json.dumps(doc))
    with pytest.raises(ResultsError, match="written by an older potashsim"):
        report.load_comparison(folder)
