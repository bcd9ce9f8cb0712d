"""The reference supply: the Belarusian exports that the observed prices paid for.

The observed price series are what buyers paid given the Belarusian supply that actually reached
the market. potashsim takes that supply from its own ``history`` scenario (the world market's
``reference_scenario``), run over the same horizon, with the same seed and the same draws of the
uncertain inputs as the run it is the reference for, and with prices held at the observed
series. ``history`` itself therefore pays exactly the observed prices in every replication, and a
scenario's price effect depends only on the difference between two runs of the same model under
the same draws, in which the model's own errors (``potashsim backtest``) largely cancel.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import OrderedDict

import numpy as np

from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.schema import Horizon, Scenario

__all__ = ["is_reference", "reference_exports", "reference_scenario", "remember"]


@functools.lru_cache(maxsize=4)
def _shipped(name: str) -> Scenario:
    from potashsim.scenario.loader import load_scenario

    return load_scenario(name)


def reference_scenario(
    name: str, horizon: Horizon, stochastic: bool, granularity: str = "train"
) -> Scenario:
    """The reference scenario ``name`` as shipped, over ``horizon``, moved at ``granularity``
    (a run's reference moves its potash as the run does, so that the reference itself pays
    exactly the observed prices at either granularity)."""
    shipped = _shipped(name).model_copy(update={"horizon": horizon, "stochastic": stochastic})
    return with_granularity(shipped, granularity)


def is_reference(scenario: Scenario) -> bool:
    """Whether ``scenario`` is its world market's reference scenario itself (over its own
    horizon, at its own granularity): such a run pays the observed prices, and leaves its
    exports for the other scenarios of its replication (:func:`remember`)."""
    world = scenario.network.world
    if world is None:
        return False
    h, granularity = scenario.horizon, scenario.network.model.granularity
    return scenario == reference_scenario(
        world.reference_scenario, h, scenario.stochastic, granularity
    )


_Key = tuple[str, dt.date, dt.date, int, bool, str]
# A comparison's scenarios share one reference run per seed; a few seeds' worth is plenty.
_CACHE_SIZE = 8
_cache: OrderedDict[_Key, np.ndarray] = OrderedDict()


def reference_exports(
    name: str, start: dt.date, end: dt.date, seed: int, stochastic: bool, granularity: str = "train"
) -> np.ndarray:
    """Tonnes the reference scenario exports on each day of ``start``..``end`` (read-only).

    Cached per process: the scenarios of one replication share one reference run, and a run of
    the reference itself leaves its exports here (:func:`remember`).
    """
    key = (name, start, end, seed, stochastic, granularity)
    found = _cache.get(key)
    if found is not None:
        _cache.move_to_end(key)
        return found
    from potashsim.sim.engine import simulate

    scenario = reference_scenario(name, Horizon(start=start, end=end), stochastic, granularity)
    trace, _, _ = simulate(scenario, seed=seed, hold_world_price=True)
    return remember(key, trace.exported_t)


def remember(key: _Key, exported_t: np.ndarray) -> np.ndarray:
    """Keep a read-only copy of the reference's exports under ``key`` (name, start, end, seed,
    stochastic, granularity) and return it."""
    out = exported_t.copy()
    out.flags.writeable = False
    _cache[key] = out
    while len(_cache) > _CACHE_SIZE:
        _cache.popitem(last=False)
    return out
