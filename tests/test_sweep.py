"""``potashsim sweep`` and its analysis: designs, bad input, failures, resume after SIGKILL, and
SALib's indices on functions whose answer is known."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from potashsim.analysis.sweep.design import design_problem, design_runs, make_design
from potashsim.analysis.sweep.runner import check_params, run_sample, sample_scenarios, tasks
from potashsim.analysis.sweep.sensitivity import sensitivity
from potashsim.analysis.sweep.spec import Param, SweepSpec, parse_param, read_sweep_file
from potashsim.cli import main
from potashsim.errors import Problem, ScenarioError
from potashsim.report import build_report
from potashsim.results.sweep_store import SweepStore, read_sweep

SRC = str(Path(__file__).resolve().parents[1] / "src")


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _args(tiny: Path, *more: str) -> list[str]:
    return [
        "sweep",
        str(tiny / "shut.yaml"),
        "--vs",
        str(tiny / "open.yaml"),
        "--param",
        "links.rail.tariff_usd_per_t=5..15",
        "--param",
        "event:reopen_rail.date=2020-04-01..2020-10-01",
        "--param",
        "event:close_rail.on=0..1",
        "-j",
        "1",
        *more,
    ]


# ------------------------------------------------------------------ designs


def _params() -> tuple[Param, ...]:
    out = [
        parse_param("a.x=1..3"),
        parse_param("event:e.date=2027-01-01..2032-12-31"),
        parse_param("event:f.on=0..1"),
    ]
    assert all(isinstance(p, Param) for p in out)
    return tuple(p for p in out if isinstance(p, Param))


@pytest.mark.parametrize(
    ("design", "n", "runs"),
    [("grid", 3, 3 * 3 * 2), ("lhs", 7, 7), ("sobol", 8, 8 * 5), ("morris", 4, 16)],
)
def test_design_sizes_and_bounds(design: str, n: int, runs: int) -> None:
    params = _params()
    x = make_design(SweepSpec("s", None, params, design, n, 5))
    assert x.shape == (runs, 3) and design_runs(design, n, params) == runs
    for j, p in enumerate(params):
        assert (x[:, j] >= p.low).all() and (x[:, j] <= p.high).all()
    values = [p.value(v) for p, v in zip(params, x[0], strict=True)]
    assert [type(v).__name__ for v in values] == ["int", "date", "bool"]
    # the design is a function of the spec: a resumed sweep rebuilds the same rows
    assert np.array_equal(x, make_design(SweepSpec("s", None, params, design, n, 5)))


def test_values_applied_are_whole_numbers_dates_and_levers() -> None:
    a, e, f = _params()
    assert a.integer and a.value(2.4) == 2
    assert str(e.value(e.low)) == "2027-01-01"
    assert f.value(0.49) is False and f.value(0.5) is True
    p = parse_param("a.y=0.5..1.5")
    assert isinstance(p, Param) and not p.integer and p.value(0.75) == 0.75


@pytest.mark.parametrize(("n", "lower", "upper"), [(1000, 512, 1024), (3, 2, 4), (100, 64, 128)])
def test_sobol_n_must_be_a_power_of_two(n: int, lower: int, upper: int) -> None:
    why = design_problem("sobol", n, _params())
    assert f"use {lower} or {upper}" in why
    assert design_problem("sobol", 1024, _params()) == ""


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a.x=3..1", "low 3 is above high 1"),
        ("a.x=2..2", "low equals high"),
        ("a.x=normal:1..2", "uniform"),
        ("a.x=1-2", "not a range"),
        ("a.x=one..two", "must be numbers"),
        ("event:e.date=2030-01-01..2029-01-01", "not before its end"),
        ("event:e.on=0..2", "off or on"),
        ("event:e.colour=0..1", "event:ID.date"),
        ("lift:Lithuana=2027-01-01..2028-01-01", "did you mean `lift:Lithuania`?"),
        ("lift:EU=2027..2028", "YYYY-MM-DD..YYYY-MM-DD"),
        ("a.x", "PATH=DIST"),
    ],
)
def test_bad_distributions_say_what_is_wrong(text: str, words: str) -> None:
    got = parse_param(text)
    assert isinstance(got, Problem) and words in got.message


# ------------------------------------------------------------------ bad input on the command line


@pytest.mark.parametrize(
    ("param", "words"),
    [
        # an unknown path: the same did-you-mean as --set, at the --param option
        ("links.rail.tarif_usd_per_t=1..2", ["--param", "links.rail.tarif_usd_per_t", "tariff"]),
        ("event:reopen_rial.on=0..1", ["--param", "no event `reopen_rial`", "reopen_rail"]),
        ("links.rail.distance_km=400..300", ["--param", "links.rail.distance_km", "above high"]),
        ("lift:Ukraine=2020-04-01..2020-10-01", ["--param", "lift:Ukraine", "Ukraine takes no"]),
    ],
)
def test_bad_param_exits_2_and_writes_nothing(
    tiny: Path, tmp_path: Path, param: str, words: list[str]
) -> None:
    out = tmp_path / "out"
    more = ["--param", param, "--design", "lhs", "--n", "2", "--out", str(out)]
    r = cli(*_args(tiny, *more))
    assert r.exit_code == 2
    assert all(w in r.output for w in words), r.output
    assert not out.exists()


def test_sobol_n_not_a_power_of_two_exits_2(tiny: Path, tmp_path: Path) -> None:
    r = cli(*_args(tiny, "--design", "sobol", "--n", "6", "--out", str(tmp_path / "out")))
    assert r.exit_code == 2 and "use 4 or 8" in r.output
    r = cli(*_args(tiny, "--design", "lhs", "--n", "0", "--out", str(tmp_path / "out")))
    assert r.exit_code == 2 and "N must be 1 or more" in r.output


def test_an_actors_lifting_date_replaces_its_lifts_in_the_scenario_and_the_base() -> None:
    lift = parse_param("lift:EU=2026-01-01..2030-12-31")
    assert isinstance(lift, Param) and lift.kind == "date"
    spec = SweepSpec("us_eu_lifted_lithuania_holds", "history", (lift,), "lhs", 2, 1)
    drawn = dt.date(2028, 6, 30)
    for scenario in sample_scenarios(spec, [float(drawn.toordinal())]):
        eu_lifts = [e for e in scenario.events if e.actor == "EU" and e.action == "lift"]
        assert [e.date for e in eu_lifts] == [drawn]  # eu_2027_lift is gone from the scenario
        us_lifts = [e for e in scenario.events if e.actor == "US" and e.action == "lift"]
        assert us_lifts  # other actors' lifts stay


def test_a_sweep_whose_scenario_and_base_become_the_same_is_refused_with_the_fix() -> None:
    # the EU's lift is all that tells these two apart: lift:EU puts one in both
    lift = parse_param("lift:EU=2026-01-01..2030-12-31")
    late = parse_param("lift:EU=2036-01-01..2040-12-31")
    assert isinstance(lift, Param) and isinstance(late, Param)
    with pytest.raises(ScenarioError) as same:
        check_params(SweepSpec("us_eu_lifted_lithuania_holds", "history", (lift,), "lhs", 2, 1))
    (problem,) = same.value.problems
    assert "every difference would be 0" in problem.message
    assert "event:eu_2027_lift.date=" in problem.message
    with pytest.raises(ScenarioError) as outside:
        check_params(SweepSpec("lithuania_ban_only", "baseline", (late,), "lhs", 2, 1))
    assert any("outside the horizon" in p.message for p in outside.value.problems)


def test_sweep_file_problems_name_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(
        "scenario: history\nn: 4\ndesign: sobol\nparams:\n"
        "  links.ru_nw.capacity_trains_per_day: 9..6\ncolour: red\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        read_sweep_file(f)
    text = str(err.value)
    assert f"{f}:6" in text and "colour" in text
    f.write_text("scenario: history\nn: 4\nparams:\n  ports.x.y: 9..6\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_sweep_file(f)
    assert f"{f}:4: params.ports.x.y: low 9 is above high 6" in str(err.value)
    f.write_text("scenario: histroy\nn: 4\nparams:\n  a.b: 1..2\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        read_sweep_file(f)
    assert f"{f}:1: scenario: no such file or shipped scenario; did you mean `history`" in str(
        err.value
    )


def test_shipped_sweep_file_is_valid() -> None:
    spec = read_sweep_file(
        Path(__file__).resolve().parents[1] / "sweeps" / "lithuania_ban_cost.yaml"
    )
    assert 8 <= len(spec.params) <= 12 and spec.vs == "all_lifted"
    assert design_problem(spec.design, spec.n, spec.params) == ""


def test_validate_checks_a_sweep_file_as_a_sweep(tmp_path: Path) -> None:
    shipped = Path(__file__).resolve().parents[1] / "sweeps"
    r = cli("validate", str(shipped))
    assert r.exit_code == 0 and "lithuania_ban_cost.yaml: ok (a sweep file)" in r.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenario: history\nvs: baselin\ndesign: lhs\nn: 4\n"
        "params:\n  links.ru_nw.capacity_trains_per_day: 6..10\n",
        encoding="utf-8",
    )
    r = cli("validate", str(bad))
    assert r.exit_code == 2
    assert f"{bad}:2: vs:" in r.output and "did you mean `baseline`?" in r.output


# ------------------------------------------------------------------ runs, failures, the folder


def _spec(tiny: Path, design: str = "lhs", n: int = 4) -> SweepSpec:
    params = [
        parse_param("links.rail.tariff_usd_per_t=5..15"),
        parse_param("event:reopen_rail.date=2020-04-01..2020-10-01"),
    ]
    return SweepSpec(
        str(tiny / "shut.yaml"),
        str(tiny / "open.yaml"),
        tuple(p for p in params if isinstance(p, Param)),
        design,
        n,
        7,
    )


def test_a_sample_is_paired_and_the_ban_costs(tiny: Path) -> None:
    spec = _spec(tiny)
    x = make_design(spec)
    (task,) = tasks(spec, x, [11] * len(x), [0])
    r = run_sample(task)
    assert r["run"]["status"] == "ok" and r["run"]["seed"] == 11
    # closing the only link for months costs exports; the year rows add up to the totals
    assert r["run"]["diff_exported_t"] < 0
    assert math.isclose(sum(y["netback_usd"] for y in r["years"]), r["run"]["netback_usd"])


def test_a_failing_run_is_recorded_with_its_error(tiny: Path) -> None:
    spec = _spec(tiny)
    bad = parse_param("links.rail.capacity_trains_per_day=-5..-1")
    assert isinstance(bad, Param)
    spec = SweepSpec(spec.scenario, spec.vs, (*spec.params, bad), "lhs", 2, 7)
    x = make_design(spec)
    results = [run_sample(t) for t in tasks(spec, x, [1, 2], [0, 1])]
    assert all(r["run"]["status"] == "failed" for r in results)
    assert "capacity_trains_per_day" in results[0]["run"]["error"]
    assert math.isnan(results[0]["run"]["netback_usd"]) and results[0]["years"] == []


def test_folder_not_resumed_and_different_spec_are_refused(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    assert cli(*_args(tiny, "--design", "lhs", "--n", "3", "--out", str(out))).exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = cli(*_args(tiny, "--design", "lhs", "--n", "3", "--out", str(out)))
    assert again.exit_code == 2 and "--resume" in again.output
    other = cli(*_args(tiny, "--design", "lhs", "--n", "4", "--out", str(out), "--resume"))
    assert other.exit_code == 2 and "different sweep" in other.output and "n" in other.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    # resuming a finished sweep runs nothing more
    same = cli(*_args(tiny, "--design", "lhs", "--n", "3", "--out", str(out), "--resume"))
    assert same.exit_code == 0 and "3 of 3 runs already done" in same.output
    assert len(read_sweep(out)[1]) == 3


def test_resume_drops_scratch_and_orphan_parts(tmp_path: Path) -> None:
    spec: dict[str, Any] = {"n": 3}
    store = SweepStore.open(tmp_path / "sw", spec, resume=False)
    for i in range(2):
        store.add(
            {
                "run": {"sample": i, "status": "ok", "x": float(i)},
                "years": [{"sample": i, "year": 2020, "x": float(i)}],
            }
        )
        store.flush()
    # a kill between the years part and its runs part, and one in the middle of a write
    (tmp_path / "sw" / "runs" / "part-00001.parquet").unlink()
    (tmp_path / "sw" / "runs" / "part-00002.parquet.tmp").write_bytes(b"half")
    again = SweepStore.open(tmp_path / "sw", spec, resume=True)
    assert again.done == {0}
    assert not (tmp_path / "sw" / "years" / "part-00001.parquet").exists()
    assert not list((tmp_path / "sw").rglob("*.tmp"))


def test_a_sample_handed_over_twice_is_written_once(tmp_path: Path) -> None:
    # a task rerun after its worker died may come back again: the store keys rows by sample
    store = SweepStore.open(tmp_path / "sw", {"n": 2}, resume=False)
    one = {"run": {"sample": 0, "status": "ok", "x": 1.0}, "years": []}
    assert store.add(one) and not store.add(one)
    store.flush()
    assert not store.add(one)
    assert store.add({"run": {"sample": 1, "status": "ok", "x": 2.0}, "years": []})
    store.flush()
    assert read_sweep(tmp_path / "sw")[1]["sample"].tolist() == [0, 1]


@pytest.mark.slow
def _sweep_with_three_parts(tiny: Path, more: list[str], out: Path) -> subprocess.Popen[str]:
    """A sweep started in its own process (output piped), once three parts are on disk."""
    cmd = [sys.executable, "-m", "potashsim", *_args(tiny, *more, "--out", str(out))]
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(list((out / "runs").glob("part-*.parquet"))) < 3:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            proc.communicate()
            pytest.fail("the sweep ended, or took too long, before it could be stopped")
        time.sleep(0.02)
    return proc


def test_sigkill_then_resume_equals_an_uninterrupted_sweep(tiny: Path, tmp_path: Path) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    more = ["--design", "sobol", "--n", "8", "--seed", "3", "--part-runs", "1"]  # 40 runs
    assert cli(*_args(tiny, *more, "--out", str(whole))).exit_code == 0
    proc = _sweep_with_three_parts(tiny, more, killed)
    try:
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.communicate()  # waits, and closes the pipes
    _, partial, _ = read_sweep(killed)
    assert 3 <= len(partial) < 40
    r = cli(*_args(tiny, *more, "--out", str(killed), "--resume"))
    assert r.exit_code == 0, r.output
    spec_a, runs_a, years_a = read_sweep(whole)
    spec_b, runs_b, years_b = read_sweep(killed)
    assert runs_b["sample"].tolist() == list(range(40))  # none lost, none twice
    pd.testing.assert_frame_equal(runs_a, runs_b)
    pd.testing.assert_frame_equal(years_a, years_b)
    assert spec_a == spec_b


def test_ctrl_c_keeps_the_finished_runs_and_says_how_to_resume(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "stopped"
    more = ["--design", "sobol", "--n", "8", "--seed", "3", "--part-runs", "1"]  # 40 runs
    proc = _sweep_with_three_parts(tiny, more, out)
    try:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130
    _, saved, _ = read_sweep(out)
    assert f"interrupted: {len(saved)} of 40 runs are saved in {out}" in err
    assert "--resume" in err and "Traceback" not in err


def test_report_of_a_sweep_has_tornado_and_sobol_charts(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    r = cli(*_args(tiny, "--design", "sobol", "--n", "2", "--out", str(out)))
    assert r.exit_code == 0, r.output
    spec = json.loads((out / "sweep.json").read_text())
    assert (
        spec["runs_total"] == 10 and spec["design"] == "sobol" and len(spec["scenario_sha256"]) == 2
    )
    page = build_report([out], tmp_path / "r.html").read_text()
    assert "Tornado" in page and "Sobol indices" in page
    assert "With N = 2 the indices are rough" in page


def test_morris_effects_are_reported_in_the_outputs_unit(tiny: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    r = cli(*_args(tiny, "--design", "morris", "--n", "2", "--out", str(out)))
    assert r.exit_code == 0, r.output
    page = build_report([out], tmp_path / "r.html").read_text()
    assert "mu_star (USD m)" in page and "sigma (USD m)" in page


# ------------------------------------------------------------------ SALib indices, known answers


def _box(n: int, low: float, high: float) -> tuple[Param, ...]:
    return tuple(Param(f"x{i}", "set", low, high) for i in range(n))


def test_sobol_indices_of_ishigami_match_the_analytic_values() -> None:
    from SALib.test_functions import Ishigami

    params = _box(3, -math.pi, math.pi)
    x = make_design(SweepSpec("s", None, params, "sobol", 1024, 1))
    method, t = sensitivity("sobol", params, x, Ishigami.evaluate(x))
    t = t.set_index("param")
    # Ishigami (a=7, b=0.1): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244
    assert method == "sobol"
    for name, s1, st in (("x0", 0.314, 0.558), ("x1", 0.442, 0.442), ("x2", 0.0, 0.244)):
        assert abs(t.loc[name, "S1"] - s1) < 0.05 and abs(t.loc[name, "ST"] - st) < 0.05
        assert t.loc[name, "S1_conf"] > 0


def test_sobol_of_a_linear_model_is_its_share_of_variance() -> None:
    params = _box(2, 0.0, 1.0)
    x = make_design(SweepSpec("s", None, params, "sobol", 512, 1))
    _, t = sensitivity("sobol", params, x, 3 * x[:, 0] + 1 * x[:, 1])
    t = t.set_index("param")
    # variances 9/12 and 1/12: shares 0.9 and 0.1, no interaction (S1 = ST)
    assert abs(t.loc["x0", "ST"] - 0.9) < 0.03 and abs(t.loc["x1", "ST"] - 0.1) < 0.03
    assert t.index[0] == "x0"


def test_morris_mu_star_of_a_linear_model_is_its_slope_times_range() -> None:
    params = _box(3, 0.0, 2.0)
    x = make_design(SweepSpec("s", None, params, "morris", 20, 1))
    _, t = sensitivity("morris", params, x, 5 * x[:, 0] - 1 * x[:, 1])
    t = t.set_index("param")
    # SALib scales effects to the unit box: mu* = |slope| × range, sigma 0 for a linear model
    assert t.loc["x0", "mu_star"] == pytest.approx(10) and t.loc["x1", "mu_star"] == pytest.approx(
        2
    )
    assert t.loc["x2", "mu_star"] == pytest.approx(0) and t["sigma"].max() == pytest.approx(
        0, abs=1e-9
    )


def test_indices_refuse_a_sweep_with_missing_runs() -> None:
    params = _box(2, 0.0, 1.0)
    x = make_design(SweepSpec("s", None, params, "sobol", 4, 1))
    y = x[:, 0].copy()
    y[3] = np.nan
    with pytest.raises(ValueError, match="1 of 16 runs have no result"):
        sensitivity("sobol", params, x, y)


@pytest.mark.slow
def test_a_sweep_on_a_dask_local_cluster_equals_local_processes(tiny: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    more = ["--design", "lhs", "--n", "6", "--seed", "4"]
    here = cli(*_args(tiny, *more, "--out", str(tmp_path / "here")))
    dask = cli(*_args(tiny, *more, "--out", str(tmp_path / "dask"), "--scheduler", "local"))
    assert here.exit_code == 0 and dask.exit_code == 0, dask.output
    pd.testing.assert_frame_equal(
        read_sweep(tmp_path / "here")[1], read_sweep(tmp_path / "dask")[1]
    )


def test_failed_runs_are_recorded_summarised_and_the_sweep_goes_on(
    tiny: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from potashsim.analysis.sweep import runner

    real = runner.simulate

    def flaky(scenario: Any, *, seed: int) -> Any:
        if seed % 3 == 0:  # about a third of the runs
            raise RuntimeError(f"engine fault at seed {seed}")
        return real(scenario, seed=seed)

    monkeypatch.setattr(runner, "simulate", flaky)
    out = tmp_path / "sw"
    r = cli(*_args(tiny, "--design", "lhs", "--n", "12", "--seed", "2", "--out", str(out)))
    assert r.exit_code == 0, r.output
    _, runs, years = read_sweep(out)
    failed = runs[runs["status"] == "failed"]
    assert len(runs) == 12 and 0 < len(failed) < 12
    assert failed["error"].str.startswith("RuntimeError: engine fault at seed").all()
    assert (failed["seed"] % 3 == 0).all() and failed["netback_usd"].isna().all()
    assert not set(failed["sample"]) & set(years["sample"])
    assert f"{12 - len(failed)} run(s) done, {len(failed)} failed" in r.output
