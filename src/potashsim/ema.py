"""Scenario discovery with the EMA Workbench: a sweep's parameters as an ``ema_workbench`` model.

:func:`model` reads its parameters exactly as ``potashsim sweep`` does (``--param PATH=DIST``
texts or a ``sweeps/*.yaml`` file, through :mod:`potashsim.analysis.sweep.spec`) and returns an
``ema_workbench.Model`` that ``perform_experiments`` accepts: each parameter an uncertainty (or,
when named in ``levers``, a lever), each output of a sweep run a ``ScalarOutcome``. An experiment
runs :func:`potashsim.analysis.sweep.runner.run_sample`, the function a sweep runs for one sample,
so its outcomes are the numbers a sweep row with the same values and seed holds: exports (t),
revenue, netback and logistics cost (USD) summed over the horizon, and with ``vs`` their
differences against the base under the same seed (``diff_*``).

Every experiment runs with one seed (the model's constant ``seed``): common random numbers, so
two experiments differ only through their parameters, which is what PRIM should see.
:func:`scenarios` draws the experiments with the sweep's own seeded Latin hypercube (SALib)
rather than EMA's samplers, which draw from numpy's global random state.

Parameter kinds map to EMA parameters as follows: a ``set`` path to a ``RealParameter`` (an
``IntegerParameter`` when both bounds are whole numbers); an event date (``event:ID.date``) to
an ``IntegerParameter`` of the day's ordinal (:meth:`datetime.date.toordinal`; convert a PRIM
box's limits back with :meth:`datetime.date.fromordinal`); a lever ``event:ID.on`` to a
``BooleanParameter``. Needs the ``ema`` extra (``pip install 'potashsim[ema]'``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from potashsim.analysis.sweep.design import make_design
from potashsim.analysis.sweep.runner import check_params, output_columns, run_sample
from potashsim.analysis.sweep.spec import (
    Param,
    SweepSpec,
    is_sweep_file,
    parse_params,
    read_sweep_file,
)
from potashsim.errors import Problem, ScenarioError, SimulationError
from potashsim.text import did_you_mean

__all__ = ["SEED", "Experiment", "model", "scenarios", "spec_of"]

SEED = "seed"
"""Name of the model's constant holding the simulation seed of every experiment."""


def _ema() -> Any:
    """The ``ema_workbench`` module, imported quietly.

    Raises:
        SimulationError: the ``ema`` extra is not installed.
    """
    try:
        with warnings.catch_warnings():
            # it warns on import about optional back-ends it will not use here (ipyparallel)
            warnings.filterwarnings("ignore", message=".*not installed.*", category=UserWarning)
            import ema_workbench
    except ImportError as err:
        raise SimulationError(
            "scenario discovery needs the EMA Workbench: pip install 'potashsim[ema]'"
        ) from err
    return ema_workbench


def _design_value(param: Param, value: Any) -> float:
    """The design value (inside ``low..high``) of an EMA parameter's value: a number, a day's
    ordinal, or True/False for a lever."""
    return float(bool(value)) if param.kind == "on" else float(value)


def _ema_value(param: Param, x: float) -> Any:
    """The EMA parameter's value for design value ``x``: what :meth:`Param.value` applies, with a
    date as its ordinal (EMA's parameters are numbers)."""
    if param.kind == "date":
        return round(x)
    return param.value(x)


@dataclass(frozen=True)
class Experiment:
    """The model's function: one sweep sample with the experiment's values (picklable, so EMA's
    multiprocessing evaluator can send it to its workers)."""

    spec: SweepSpec

    def __call__(self, **values: Any) -> dict[str, Any]:
        """The sweep's run row for ``values`` (keyed by parameter path, plus ``seed``)."""
        row = tuple(_design_value(p, values[p.path]) for p in self.spec.params)
        return dict(run_sample((self.spec, 0, int(values[SEED]), row))["run"])


def _parameter(ema: Any, p: Param) -> Any:
    if p.kind == "on":
        return ema.BooleanParameter(p.path)
    if p.kind == "date" or p.integer:
        return ema.IntegerParameter(p.path, round(p.low), round(p.high))
    return ema.RealParameter(p.path, p.low, p.high)


def _spec(
    scenario: str | SweepSpec,
    params: Sequence[str],
    vs: str | None,
    sets: Sequence[str],
    granularity: str,
) -> SweepSpec:
    """The sweep spec the model's parameters come from (a given spec, a sweep file with the
    extra ``params``, or a scenario with ``params``)."""
    parsed, problems = parse_params(params)
    if isinstance(scenario, SweepSpec):
        base = scenario
    elif is_sweep_file(Path(scenario)):
        base = read_sweep_file(Path(scenario))
    else:
        base = SweepSpec(scenario, None, (), "lhs", 1, 0, granularity, ())
    mine = {p.path for p in parsed}
    spec = replace(
        base,
        vs=vs if vs is not None else base.vs,
        params=(*(p for p in base.params if p.path not in mine), *parsed),
        sets=(*base.sets, *sets),
    )
    if not spec.params and not problems:
        problems.append(Problem("--param", None, "", "give at least one parameter PATH=DIST"))
    if problems:
        raise ScenarioError(problems)
    return spec


def model(
    scenario: str | SweepSpec,
    *,
    params: Sequence[str] = (),
    vs: str | None = None,
    sets: Sequence[str] = (),
    levers: Sequence[str] = (),
    seed: int = 1,
    granularity: str = "fast",
    name: str = "potashsim",
) -> Any:
    """An ``ema_workbench.Model`` of ``scenario`` over the parameters of a sweep.

    Args:
        scenario: a shipped scenario's name or a scenario file; a ``sweeps/*.yaml`` file (its
            scenario, base, ``set`` and parameters); or a :class:`SweepSpec`.
        params: ``PATH=DIST`` texts, as ``potashsim sweep --param`` (added to a sweep file's,
            replacing one of the same path).
        vs: the base each experiment is compared with under the same seed (``diff_*`` outcomes).
        sets: ``KEY=VALUE`` overrides applied to the scenario and the base, as ``--set``.
        levers: the parameter paths that are policy levers rather than uncertainties.
        seed: the simulation seed of every experiment.
        granularity: ``fast`` or ``train`` (a sweep file's own granularity wins).
        name: the model's name (letters and digits only, EMA's rule).

    Raises:
        ScenarioError: a parameter, a lever or an override does not fit the scenarios.
        SimulationError: the EMA Workbench is not installed.
    """
    spec = _spec(scenario, params, vs, sets, granularity)
    paths = [p.path for p in spec.params]
    unknown = [
        Problem("levers", None, lever, f"not a parameter{did_you_mean(lever, paths)}")
        for lever in levers
        if lever not in paths
    ]
    if unknown:
        raise ScenarioError(unknown)
    check_params(spec)  # the same checks, and messages, as a sweep's
    ema = _ema()
    m = ema.Model(name, function=Experiment(spec))
    m.uncertainties = [_parameter(ema, p) for p in spec.params if p.path not in levers]
    m.levers = [_parameter(ema, p) for p in spec.params if p.path in levers]
    m.constants = [ema.Constant(SEED, seed)]
    m.outcomes = [ema.ScalarOutcome(c) for c in output_columns(spec)]
    return m


def spec_of(ema_model: Any) -> SweepSpec:
    """The sweep spec a :func:`model` was made from.

    Raises:
        TypeError: ``ema_model`` was not made by :func:`model`.
    """
    function = getattr(ema_model, "function", None)
    if not isinstance(function, Experiment):
        raise TypeError("not a model made by potashsim.ema.model")
    return function.spec


def scenarios(ema_model: Any, n: int, *, seed: int = 0) -> list[Any]:
    """``n`` EMA scenarios (values of the model's uncertainties: ``Scenario`` objects in the
    workbench's 2.x, ``Sample`` in 3.x) from the sweep's Latin hypercube (SALib, seeded by
    ``seed``): pass them to ``perform_experiments(model, scenarios=...)``.

    Raises:
        ValueError: ``n`` is below 1.
    """
    spec = spec_of(ema_model)
    names = {u.name for u in ema_model.uncertainties}
    params = tuple(p for p in spec.params if p.path in names)
    design = make_design(replace(spec, params=params, design="lhs", n=n, seed=seed))
    ema = _ema()
    point = getattr(ema, "Sample", None) or ema.Scenario  # 3.0 renamed Scenario to Sample
    return [
        point(**{p.path: _ema_value(p, x) for p, x in zip(params, row, strict=True)})
        for row in design
    ]
