"""The fast granularity gives the train level's answers: yearly figures and route shares seed by
seed on a window across the Lithuanian ban, the reference's own prices, and the command line.

The engine's invariants and known answers run at both granularities in test_engine.py and
test_properties.py; benchmarks/agreement.py gives the full table over every shipped scenario."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from conftest import shortened
from potashsim.analysis.agreement import REL_TOLERANCE, agreement
from potashsim.analysis.experiment import run
from potashsim.cli import main
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import Horizon
from potashsim.sim import reference
from potashsim.sim.engine import simulate


@pytest.mark.slow
@pytest.mark.parametrize("name", ["history", "all_lifted"])
def test_fast_gives_the_train_levels_yearly_figures_and_route_shares(name: str) -> None:
    # the ban (1 Feb 2022), the EU's transit ban and the Russian ramp-up all fall in the window
    scenario = shortened(name, "2021-07-01", "2022-12-31")
    figures, shares = agreement(scenario, seeds=[1, 2])
    assert set(figures["year"]) == {2021, 2022}
    bad = figures[~figures["ok"]]
    assert bad.empty, bad.to_string()
    # a tolerance wider than 2% only ever comes from the train level's own spread
    assert (figures["rel_diff"].abs() <= REL_TOLERANCE).mean() > 0.8
    assert not shares.empty
    assert shares["ok"].all(), shares[~shares["ok"]].to_string()


def test_the_reference_scenario_pays_the_observed_prices_at_the_fast_granularity() -> None:
    shipped = load_scenario("history")
    # the reference is the shipped history over the run's horizon, every measure kept
    horizon = Horizon(start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31))
    scenario = with_granularity(shipped.model_copy(update={"horizon": horizon}), "fast")
    trace, _, _ = simulate(scenario, seed=4)
    assert np.all(trace.world_factor == 1.0)
    assert trace.exported_t.sum() > 1e6


def test_a_run_does_not_depend_on_whether_its_reference_ran_before_it() -> None:
    history = shortened("history", "2022-01-01", "2022-12-31")
    other = shortened("no_easing", "2022-01-01", "2022-12-31")
    reference._cache.clear()
    alone = run(other, seed=9).summary
    reference._cache.clear()
    run(history, seed=9)  # leaves the reference's exports for the run after it
    after = run(other, seed=9).summary
    assert after == alone


def test_the_command_line_runs_a_scenario_fast_and_records_it(tmp_path: Path) -> None:
    args = ["run", "history", "--set", "horizon.end=2019-12-31", "--out", str(tmp_path)]
    res = CliRunner().invoke(main, [*args, "--granularity", "fast"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    folder = Path(res.output.strip().splitlines()[-1])
    recorded = yaml.safe_load((folder / "scenario.resolved.yaml").read_text(encoding="utf-8"))
    assert recorded["network"]["model"]["granularity"] == "fast"
    train = CliRunner().invoke(main, args, catch_exceptions=False)
    assert Path(train.output.strip().splitlines()[-1]) != folder  # a different run, its own folder


def test_an_unknown_granularity_is_refused_with_the_choices(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["run", "history", "--granularity", "daily"])
    assert res.exit_code == 2
    assert "'daily' is not one of 'train', 'fast'" in res.output


@pytest.mark.slow
def test_a_fast_comparisons_report_reproduces_its_runs_at_the_fast_granularity(
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.html"
    args = ["compare", "history", "no_easing", "-n", "1", "-j", "1", "--granularity", "fast"]
    res = CliRunner().invoke(
        main,
        [*args, "--set", "horizon.end=2019-12-31", "--out", str(tmp_path), "--report", str(report)],
        catch_exceptions=False,
    )
    assert res.exit_code == 0, res.output
    page = report.read_text(encoding="utf-8")
    assert "potashsim run no_easing --seed" in page
    assert "--set horizon.end=2019-12-31 --granularity fast" in page


def test_history_loaded_by_its_path_is_the_reference_as_by_its_name() -> None:
    # how a scenario was named is recorded (for "reproduce" commands) but takes no part in what
    # it is: history from its file still pays exactly the observed prices
    path = Path(__file__).resolve().parents[1] / "scenarios" / "history.yaml"
    horizon = Horizon(start=dt.date(2022, 1, 1), end=dt.date(2022, 12, 31))
    by_path = load_scenario(path).model_copy(update={"horizon": horizon})
    assert by_path.source == str(path)
    assert by_path == load_scenario("history").model_copy(update={"horizon": horizon})
    trace, _, _ = simulate(by_path, seed=4)
    assert np.all(trace.world_factor == 1.0)


_DIGEST = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from conftest import shortened
from potashsim.scenario.granularity import with_granularity
from potashsim.sim.engine import simulate
scenario = shortened("us_eu_lifted_lithuania_holds", "2021-10-01", "2022-09-30")
scenario = with_granularity(scenario, "fast")
trace, _, _ = simulate(scenario, seed=3)
digest = hashlib.sha256(trace.exported_t.tobytes())
digest.update(repr([tuple(d) for d in trace.deliveries]).encode())
print(digest.hexdigest())
"""


def test_a_fast_run_is_the_same_in_every_process() -> None:
    # Python varies the order a set of names iterates in from process to process
    # (PYTHONHASHSEED); a run must not: a comparison's workers are other processes
    import os
    import subprocess
    import sys

    code = _DIGEST.format(tests=str(Path(__file__).parent))
    digests = set()
    for hash_seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
