"""``potashsim.ema``: the EMA Workbench model of a sweep's parameters. An experiment is the sweep's
own run of the same values and seed; parameters, levers and bad input come from the sweep spec."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from potashsim import ema
from potashsim.analysis.sweep.runner import run_sample
from potashsim.errors import ScenarioError

pytest.importorskip("ema_workbench")

PARAMS = (
    "links.rail.tariff_usd_per_t=5..15",
    "links.rail.capacity_trains_per_day=1..3",
    "event:reopen_rail.date=2020-04-01..2020-10-01",
    "event:close_rail.on=0..1",
)


def _model(tiny: Path, **more: Any) -> Any:
    return ema.model(
        str(tiny / "shut.yaml"), vs=str(tiny / "open.yaml"), params=PARAMS, seed=5, **more
    )


def test_an_experiment_is_the_sweep_row_of_the_same_values_and_seed(tiny: Path) -> None:
    from ema_workbench import perform_experiments

    m = _model(tiny)
    experiments, outcomes = perform_experiments(m, scenarios=ema.scenarios(m, 4, seed=3))
    assert len(experiments) == 4
    assert set(outcomes) == {
        "exported_t",
        "revenue_usd",
        "netback_usd",
        "logistics_cost_usd",
        "diff_exported_t",
        "diff_revenue_usd",
        "diff_netback_usd",
        "diff_logistics_cost_usd",
    }
    spec = ema.spec_of(m)
    for i in range(4):
        e = experiments.iloc[i]
        # the sweep's design row of these values: a number, an integer, a day's ordinal, a lever
        row = (
            float(e["links.rail.tariff_usd_per_t"]),
            float(e["links.rail.capacity_trains_per_day"]),
            float(e["event:reopen_rail.date"]),
            float(bool(e["event:close_rail.on"])),
        )
        swept = run_sample((spec, i, 5, row))["run"]
        assert swept["status"] == "ok"
        for name, values in outcomes.items():
            assert values[i] == swept[name], name
    # the values drawn lie in the ranges given, and the reopening is a date in its range
    assert experiments["links.rail.tariff_usd_per_t"].between(5, 15).all()
    assert experiments["links.rail.capacity_trains_per_day"].isin([1, 2, 3]).all()
    days = experiments["event:reopen_rail.date"].map(dt.date.fromordinal)
    assert days.between(dt.date(2020, 4, 1), dt.date(2020, 10, 1)).all()
    # closing the only link for months costs exports, in the experiments where it closes
    closed = experiments["event:close_rail.on"].astype(bool).to_numpy()
    assert (outcomes["diff_exported_t"][closed] < 0).all()
    assert (outcomes["diff_exported_t"][~closed] == 0).all()


def test_levers_and_uncertainties_come_from_the_same_spec(tiny: Path) -> None:
    m = _model(tiny, levers=["event:close_rail.on"])
    assert [p.name for p in m.levers] == ["event:close_rail.on"]
    assert [p.name for p in m.uncertainties] == [p.split("=")[0] for p in PARAMS[:3]]
    tariff = m.uncertainties["links.rail.tariff_usd_per_t"]
    assert (tariff.lower_bound, tariff.upper_bound) == (5.0, 15.0)
    assert [c.value for c in m.constants] == [5]


def test_a_sweep_file_gives_the_model_its_parameters() -> None:
    root = Path(__file__).resolve().parents[1]
    m = ema.model(str(root / "sweeps" / "lithuania_ban_cost.yaml"))
    assert len(m.uncertainties) == 11 and "diff_netback_usd" in {o.name for o in m.outcomes}
    reopen = m.uncertainties["event:lt_2027_reopen.date"]
    assert dt.date.fromordinal(reopen.lower_bound) == dt.date(2027, 3, 1)


@pytest.mark.parametrize(
    ("more", "words"),
    [
        ({"params": ["links.rail.tarif_usd_per_t=1..2"]}, ["links.rail.tarif_usd_per_t", "tariff"]),
        ({"params": ["links.rail.tariff_usd_per_t=9..6"]}, ["above high"]),
        ({"params": ["event:reopen_rial.on=0..1"]}, ["no event `reopen_rial`", "reopen_rail"]),
        ({"params": ["links.rail.tariff_usd_per_t=1..2"], "levers": ["tarif"]}, ["not a param"]),
        ({}, ["at least one parameter"]),
    ],
)
def test_bad_parameters_are_the_sweeps_messages(
    tiny: Path, more: dict[str, Any], words: list[str]
) -> None:
    with pytest.raises(ScenarioError) as err:
        ema.model(str(tiny / "shut.yaml"), **more)
    assert all(w in str(err.value) for w in words), str(err.value)


def test_a_failing_experiment_gives_nan_outcomes_like_a_failed_sweep_row(tiny: Path) -> None:
    m = ema.model(str(tiny / "shut.yaml"), params=["links.rail.tariff_usd_per_t=5..15"])
    ok = m.function(**{"links.rail.tariff_usd_per_t": 7.0, "seed": 1})
    assert ok["status"] == "ok" and ok["exported_t"] > 0
    # a value the model refuses (as a sweep records it): the outcomes are NaN, nothing raised
    bad = ema.Experiment(replace(ema.spec_of(m), sets=("links.rail.capacity_trains_per_day=-1",)))
    row = bad(**{"links.rail.tariff_usd_per_t": 7.0, "seed": 1})
    assert row["status"] == "failed" and math.isnan(row["netback_usd"])
