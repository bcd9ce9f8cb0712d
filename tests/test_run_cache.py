"""Replications kept in memory (the web app's base while a lever moves): a comparison that takes
some of them from a RunCache simulates only the rest and gives exactly the numbers and tables of
a comparison that ran everything; one without shadow prices gives the same statistics."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from conftest import shortened
from potashsim.analysis import experiment
from potashsim.analysis.experiment import Comparison, compare
from potashsim.analysis.run_cache import RunCache
from potashsim.scenario.schema import Scenario

WINDOW = ("2021-01-01", "2021-06-30")


@pytest.fixture(scope="module")
def scenarios() -> list[Scenario]:
    return [shortened(name, *WINDOW) for name in ("history", "us_eu_only", "all_lifted")]


def _same(a: Comparison, b: Comparison) -> None:
    assert a.stats == b.stats
    assert a.decomposition == b.decomposition
    for name in ("yearly", "monthly_revenue", "monthly_routes", "decomposition_by_year"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.representative.keys() == b.representative.keys()
    for label, run in a.representative.items():
        assert run.summary == b.representative[label].summary


def test_a_cached_base_is_not_simulated_again_and_the_numbers_do_not_change(
    scenarios: list[Scenario], monkeypatch: pytest.MonkeyPatch
) -> None:
    base, first, second = scenarios
    cache = RunCache()
    compare([base, first], replications=2, seed=7, cache=cache)
    assert len(cache) == 4 and cache.hits == 0

    simulated: list[str] = []
    real = experiment.simulate

    def counting(scenario: Scenario, **kw: Any) -> Any:
        simulated.append(scenario.name)
        return real(scenario, **kw)

    monkeypatch.setattr(experiment, "simulate", counting)
    cached = compare([base, second], replications=2, seed=7, cache=cache)
    assert simulated == [second.name, second.name]  # the base's two pairs came from memory
    assert cache.hits == 2
    monkeypatch.undo()
    _same(cached, compare([base, second], replications=2, seed=7))


def test_another_seed_or_more_replications_reuse_only_what_matches(
    scenarios: list[Scenario],
) -> None:
    base, first, _ = scenarios
    cache = RunCache()
    compare([base, first], replications=1, seed=7, cache=cache)
    more = compare([base, first], replications=2, seed=7, cache=cache)
    # replication 0 of each scenario is the same run; replication 1 is new
    assert cache.hits == 2 and len(cache) == 4
    _same(more, compare([base, first], replications=2, seed=7))
    compare([base, first], replications=1, seed=8, cache=cache)
    assert cache.hits == 2  # another root seed: other runs


def test_without_shadow_prices_the_statistics_are_the_same(scenarios: list[Scenario]) -> None:
    base, first, _ = scenarios
    without = compare([base, first], replications=1, seed=7, shadow_prices=False)
    assert all(run.shadow_prices is None for run in without.representative.values())
    full = compare([base, first], replications=1, seed=7)
    assert all(run.shadow_prices is not None for run in full.representative.values())
    _same(without, full)


def test_the_cache_keeps_the_most_recently_used_parts() -> None:
    from potashsim.analysis.run_cache import PartKey

    cache = RunCache(max_parts=2)
    keys = [PartKey(str(i), "x", 0, 1, (pd.Timestamp(0).date(),) * 2, False) for i in range(3)]
    cache.put(keys[0], {"n": 0})
    cache.put(keys[1], {"n": 1})
    assert cache.get(keys[0]) == {"n": 0}  # now the most recent
    cache.put(keys[2], {"n": 2})
    assert cache.get(keys[1]) is None and cache.get(keys[0]) == {"n": 0} and len(cache) == 2
