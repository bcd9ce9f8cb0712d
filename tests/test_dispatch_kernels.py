"""The dispatcher's compiled kernels against what they stand for: numpy's sum, Python's stable
sort, and plan_greedy on the problems a run recorded."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.schema import Scenario
from potashsim.sim import dispatch
from potashsim.sim.engine import simulate
from potashsim.sim.market import numpy_sum, window_sums


def test_numpy_sum_gives_numpys_sum_bit_for_bit() -> None:
    """Short runs one by one, runs to 128 by eight accumulators, longer ones halved: numpy's
    pairwise order, on runs of every length the dispatcher sums and beyond."""
    rng = np.random.default_rng(7)
    for _ in range(3_000):
        n, lo = int(rng.integers(0, 700)), int(rng.integers(0, 9))
        a = rng.standard_normal(lo + n) * 10.0 ** rng.integers(-6, 9, lo + n)
        got, want = numpy_sum(a, lo, lo + n), float(a[lo:].sum())
        assert got == want and math.copysign(1.0, got) == math.copysign(1.0, want)
    for zeros in ([-0.0], [-0.0] * 9, [-0.0] * 200):
        a = np.array(zeros)
        assert repr(numpy_sum(a, 0, a.size)) == repr(float(a.sum()))


def test_window_sums_are_numpys_sums_of_each_window() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        rows, days = int(rng.integers(0, 4)), int(rng.integers(1, 400))
        period = int(rng.integers(1, 30))
        a = rng.standard_normal((rows, days)) * 10.0 ** rng.integers(-3, 6, (rows, days))
        got = window_sums(a, period)
        for w, lo in enumerate(range(0, days, period)):
            assert got[w].tolist() == [float(r[lo : lo + period].sum()) for r in a]


def test_stable_order_sorts_as_python_does_ties_in_order() -> None:
    rng = np.random.default_rng(11)
    for _ in range(2_000):
        n = int(rng.integers(0, 300))
        keys = rng.integers(0, int(rng.integers(1, 40)), n) * 0.37
        listed = keys.tolist()
        assert dispatch.stable_order(keys).tolist() == sorted(range(n), key=listed.__getitem__)
        best_first = sorted(range(n), key=listed.__getitem__, reverse=True)
        assert dispatch.stable_order(-keys).tolist() == best_first


def test_the_dispatchers_compiled_plan_is_plan_greedys_plan(
    history_short: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each period the dispatcher plans its table's cells in one compiled call; plan_greedy,
    given the problem it recorded, plans the same tonnes to the bit."""
    planned: list[dict[int, float]] = []
    whole_trains = dispatch.whole_trains

    def recording(tonnes: np.ndarray, used: np.ndarray, *rest: Any) -> Any:
        amounts = tonnes.tolist()
        planned.append({j: amounts[j] for j in np.flatnonzero(used).tolist()})
        return whole_trains(tonnes, used, *rest)

    monkeypatch.setattr(dispatch, "whole_trains", recording)
    trace, _, _ = simulate(with_granularity(history_short, "fast"))
    problems = trace.dispatch_problems
    assert len(problems) > 100
    # the run's own periods come last (before them: its reference's, run first)
    for (_, problem), by_pair in zip(problems, planned[-len(problems) :], strict=True):
        table = problem.pairs
        assert isinstance(table, dispatch.PairTable)
        names = [option[:2] for option in table.options]
        assert dispatch.plan_greedy(problem) == {names[j]: t for j, t in by_pair.items()}
