"""The compiled kernels' set-up: where numba may not cache, before a comparison's workers, and
the constants the fast layer's kernels share with the train level."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
from typing import Any

import numpy as np
import pytest

from conftest import make_scenario, tiny_network
from potashsim.analysis import experiment
from potashsim.scenario.schema import Horizon
from potashsim.sim import movement, processes
from potashsim.sim.compiled import compiled


def test_a_kernel_compiles_where_numba_finds_no_folder_to_cache_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a read-only installation with no writable home: numba refuses cache=True; the model must
    # still import and run, compiled in memory
    from numba.core import caching

    def refuse(self: Any) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(caching._CacheLocator, "ensure_cache_path", refuse)

    def add_one(x: float) -> float:
        return x + 1.0

    assert compiled(add_one)(1.0) == 2.0


def test_the_fast_layer_rounds_as_the_train_level_does() -> None:
    # numba bakes a module's constants into the machine code: the kernels' tolerance must be
    # the one the train level's Python uses, or the two layers drift apart without an error
    assert movement._EPS == processes._EPS


def test_kernels_compile_for_a_horizon_that_ends_at_the_last_allowed_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(experiment, "_KERNELS_READY", False)
    scenario = make_scenario(tiny_network(), days=30).model_copy(
        update={"horizon": Horizon(start=dt.date(2199, 12, 25), end=dt.date(2199, 12, 31))}
    )
    experiment.compile_kernels(scenario)  # a fortnight would end past the schema's last day
    assert experiment._KERNELS_READY


def test_a_comparison_leaves_the_callers_garbage_collectable() -> None:
    base = make_scenario(tiny_network(), days=60)
    other = base.model_copy(update={"name": "other"})
    experiment.compare([base, other], replications=2, seed=3, workers=2)
    assert gc.get_freeze_count() == 0

    @dataclasses.dataclass
    class Cycle:
        me: Any = None
        block: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(10))

    cycle = Cycle()
    cycle.me = cycle
    gone = gc.collect  # a cycle made after the comparison is collected as usual
    del cycle
    assert gone() > 0


@pytest.mark.parametrize(
    ("workers", "scheduler", "compiles"),
    [(2, None, True), (2, "local", True), (2, "tcp://10.0.0.7:8786", False), (1, None, False)],
)
def test_kernels_are_compiled_ahead_only_for_workers_on_this_machine(
    monkeypatch: pytest.MonkeyPatch, workers: int, scheduler: str | None, compiles: bool
) -> None:
    # a remote cluster's workers compile (or load) their own: compiling in the client would only
    # delay the first run; a run in this process compiles as it goes
    called: list[str] = []
    monkeypatch.setattr(experiment, "compile_kernels", lambda s: called.append(s.name))
    with experiment.workers_ready(make_scenario(tiny_network()), 10, workers, scheduler):
        pass
    assert bool(called) is compiles
    assert not gc.get_freeze_count()
