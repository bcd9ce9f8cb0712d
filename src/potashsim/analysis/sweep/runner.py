"""One sample of a sweep: the scenario (and its ``--vs`` base) with the sample's values, run with
the sample's seed, reduced to one row of totals and a few rows a year.

Sample ``i`` runs with ``replication_seeds(spec.seed, runs)[i]`` in both scenarios, so each
difference is paired (common random numbers), and the result depends only on the spec and ``i``:
not on the number of workers, the order of the runs, or a restart.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from potashsim.analysis.aggregate import rows_frame
from potashsim.analysis.economics import delivery_columns
from potashsim.analysis.experiment import Window, shared_window, window_tables
from potashsim.analysis.sweep.spec import Param, SweepSpec
from potashsim.contract import METRICS
from potashsim.errors import Problem, ScenarioError
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import MEASURES, LiftEvent, Scenario
from potashsim.sim.engine import simulate
from potashsim.text import did_you_mean

__all__ = [
    "DIFF",
    "OUTPUTS",
    "Task",
    "check_params",
    "output_columns",
    "run_sample",
    "sample_scenarios",
    "tasks",
]

DIFF = "diff_"
"""Prefix of a metric's difference against the base (scenario minus base, same seed)."""
OUTPUTS = METRICS
"""The totals each run records (the contract's metrics, summed over the shared horizon)."""

Task = tuple[SweepSpec, int, int, tuple[float, ...]]
"""What a worker needs for one sample: the spec, the sample index, its seed, its design row."""


@functools.lru_cache(maxsize=64)
def _load(ref: str, sets: tuple[str, ...]) -> Scenario:
    # a worker runs many samples; a grid repeats the same values, Sobol repeats a base row
    return load_scenario(ref, overrides=list(sets))


def _with_events(scenario: Scenario, params: Sequence[Param], values: Sequence[Any]) -> Scenario:
    """``scenario`` with the event parameters applied: a new date, the event dropped, or an
    actor's lifts replaced by one on the drawn date."""
    events = list(scenario.events)
    for p, v in zip(params, values, strict=True):
        actor = p.lifting_actor
        if actor:
            events = [e for e in events if not (e.action == "lift" and e.actor == actor)]
            swept = f"swept_lift_{actor.lower()}"
            events.append(LiftEvent(date=v, actor=actor, action="lift", id=swept))
        elif p.kind == "date":
            events = [e.model_copy(update={"date": v}) if e.id == p.event_id else e for e in events]
        elif p.kind == "on" and not v:
            events = [e for e in events if e.id != p.event_id]
    return scenario.model_copy(update={"events": tuple(events)})


def _set_text(path: str, value: Any) -> str:
    return f"{path}={value!r}" if isinstance(value, float) else f"{path}={value}"


def sample_scenarios(spec: SweepSpec, row: Sequence[float]) -> list[Scenario]:
    """The scenario (and the base, when ``spec.vs``) with design row ``row`` applied.

    Raises:
        ScenarioError: a value makes a scenario invalid (e.g. a capacity below a minimum).
    """
    values = [p.value(x) for p, x in zip(spec.params, row, strict=True)]
    sets = tuple(
        _set_text(p.path, v) for p, v in zip(spec.params, values, strict=True) if p.kind == "set"
    )
    refs = [spec.scenario] if spec.vs is None else [spec.scenario, spec.vs]
    return [
        with_granularity(
            _with_events(_load(ref, (*spec.sets, *sets)), spec.params, values), spec.granularity
        )
        for ref in refs
    ]


def _totals(scenario: Scenario, seed: int, window: Window) -> pd.DataFrame:
    """Exports, revenue, netback and logistics cost by year inside ``window`` (summed as a
    comparison sums them: :func:`~potashsim.analysis.experiment.window_tables`)."""
    trace, net, cal = simulate(scenario, seed=seed)
    yearly = window_tables(delivery_columns(trace, net, cal), cal.start, window)["yearly"]
    by_year = rows_frame("yearly", yearly).set_index("year")[list(METRICS)]
    years = pd.Index(range(window[0].year, window[1].year + 1), name="year")
    return by_year.reindex(years, fill_value=0.0).astype(float)


#: Decimals kept of each output: a kilogram, a cent. The engine's sums can differ in their last
#: bit between processes (numpy's vectorised sums depend on how an array sits in memory), so a
#: row computed after a resume, or by another worker, could differ from the same row computed
#: elsewhere by about 1e-16 of its value; rounding far below any meaningful figure makes the
#: stored rows the same (unless a value falls within that 1e-16 of a rounding boundary).
DECIMALS = {"_t": 3, "_usd": 2}


def _stored(column: str, value: Any) -> float:
    """``value`` of ``column`` as stored: rounded to :data:`DECIMALS` by its unit."""
    for end, digits in DECIMALS.items():
        if column.endswith(end):
            return round(float(value), digits)
    return float(value)


def run_sample(task: Task) -> dict[str, Any]:
    """Run one sample: ``{"run": one row, "years": rows a year}``.

    A failure is recorded, not raised: the row has ``status`` ``failed`` and its ``error``, the
    outputs are NaN and no year rows are given. Picklable and top-level, for worker processes.
    """
    spec, index, seed, row = task
    values = {p.path: p.value(x) for p, x in zip(spec.params, row, strict=True)}
    head: dict[str, Any] = {"sample": index, "seed": seed, **values}
    try:
        scenarios = sample_scenarios(spec, row)
        window = shared_window(scenarios)
        tables = [_totals(s, seed, window) for s in scenarios]
    except Exception as err:  # recorded and summarised; the sweep goes on
        text = str(err).splitlines()[0] if str(err) else ""
        nan = dict.fromkeys(output_columns(spec), float("nan"))
        return {
            "run": {**head, "status": "failed", "error": f"{type(err).__name__}: {text}", **nan},
            "years": [],
        }
    years = tables[0].copy()
    if len(tables) > 1:
        diff = tables[0] - tables[1]
        years = years.join(diff.add_prefix(DIFF))
    totals = {str(k): _stored(str(k), v) for k, v in years.sum().items()}
    year_rows = [
        {
            "sample": index,
            "year": int(y),
            **{str(k): _stored(str(k), v) for k, v in zip(years.columns, r, strict=True)},
        }
        for y, r in zip(years.index, years.to_numpy(), strict=True)
    ]
    return {"run": {**head, "status": "ok", "error": "", **totals}, "years": year_rows}


def output_columns(spec: SweepSpec) -> list[str]:
    """The output columns of a run row: the metrics, then their differences when ``vs``."""
    return [*OUTPUTS, *([f"{DIFF}{m}" for m in OUTPUTS] if spec.vs else [])]


def tasks(
    spec: SweepSpec, design: np.ndarray, seeds: Sequence[int], todo: Sequence[int]
) -> list[Task]:
    """The tasks of samples ``todo`` (indices into ``design`` and ``seeds``)."""
    return [(spec, i, seeds[i], tuple(float(x) for x in design[i])) for i in todo]


def _same_run(a: Scenario, b: Scenario) -> bool:
    """Whether two scenarios would simulate alike (they differ at most in name and text)."""
    skip = {"name", "description"}
    return a.model_dump(exclude=skip) == b.model_dump(exclude=skip)


def _no_difference(spec: SweepSpec, loaded: list[Scenario]) -> Problem:
    """The problem of a sweep whose scenario and base are the same run at every corner."""
    scenario, base = loaded
    text = (
        f"with the parameters applied, {scenario.name} and its base {base.name} are the same "
        "scenario at both ends of every range, so every difference would be 0"
    )
    lifts = [p for p in spec.params if p.lifting_actor]
    if lifts:
        actor = lifts[0].lifting_actor
        own = _load(spec.scenario, spec.sets)
        ids = [e.id for e in own.events if e.action == "lift" and e.actor == actor and e.id]
        by_id = f"event:{ids[0]}.date=..." if ids else "event:ID.date=..."
        text += (
            f": lift:{actor} sets the lift in both; to move the scenario's own lift only, sweep "
            f"its date by id ({by_id})"
        )
    return Problem("--vs", None, spec.vs or "", text)


def check_params(spec: SweepSpec) -> list[Scenario]:
    """Load the scenario (and base) as every run will, checking the parameters against them:
    each ``set`` path at its low and its high bound, as ``--set`` would be; each event id
    present in the scenario or the base. Returns the scenarios at the design's first corner.

    Raises:
        ScenarioError: every problem, at the file and line (or option) that gave it.
    """
    problems: list[Problem] = []
    loaded: list[Scenario] = []
    by_path = {p.path: p for p in spec.params}
    alike = []  # whether the scenario and its base are the same run at each corner
    for corner in ("low", "high"):
        row = [getattr(p, corner) for p in spec.params]
        try:
            loaded = sample_scenarios(spec, row)
        except ScenarioError as err:
            for q in err.problems:
                p = by_path.get(q.key) if q.file == "--set" else None
                problems.append(q if p is None else p.problem(q.message))
            break
        alike.append(len(loaded) == 2 and _same_run(*loaded))
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    if alike and all(alike):
        problems.append(_no_difference(spec, loaded))
    ids = sorted({e.id for s in loaded for e in s.events if e.id})
    acting = {e.actor for s in loaded for e in s.events if e.action in MEASURES}
    for p in spec.params:
        if p.lifting_actor:
            first, last = p.value(p.low), p.value(p.high)
            start = min(s.horizon.start for s in loaded)
            end = max(s.horizon.end for s in loaded)
            if last < start or first > end:
                problems.append(
                    p.problem(
                        f"{first}..{last} lies outside the horizon {start}..{end}: "
                        "the lift would never fall inside it"
                    )
                )
            if p.lifting_actor not in acting:
                names = " or ".join(s.name for s in loaded)
                problems.append(
                    p.problem(
                        f"{p.lifting_actor} takes no measure in {names}: a lift changes nothing"
                    )
                )
        elif p.kind != "set" and p.event_id not in ids:
            names = " or ".join(s.name for s in loaded)
            hint = did_you_mean(p.event_id, ids)
            problems.append(p.problem(f"no event `{p.event_id}` in {names}{hint}"))
    if problems:
        raise ScenarioError(problems)
    return loaded
