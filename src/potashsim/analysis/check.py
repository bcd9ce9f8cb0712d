"""``potashsim check``: every scenario validated, run once at point values, its expectations
asserted, for scenario authors' CI.

A scenario file may carry ``expect:``, e.g.
``[{metric: exported_t, year: 2030, min: 9.0e6}, {metric: netback_usd, vs: baseline, max: 0}]``.
Each scenario runs once with ``stochastic: false`` and its own seed; a ``vs`` scenario runs the
same way with that seed, so the difference is a paired one. Nothing here prints: the CLI reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from potashsim.analysis.experiment import run
from potashsim.errors import Problem, ScenarioError
from potashsim.scenario.loader import find_scenario, load_scenario
from potashsim.scenario.locate import scenario_names, shipped_scenario_dirs
from potashsim.scenario.schema import Expectation, Scenario
from potashsim.scenario.yamlio import Document, read_yaml
from potashsim.text import did_you_mean

__all__ = ["Outcome", "RunCache", "check_file"]


@dataclass(frozen=True)
class Outcome:
    """One expectation of one scenario file, checked (``passed``) or not checkable (a problem)."""

    file: str
    scenario: str
    name: str
    """What was checked, e.g. ``exported_t in 2030 >= 9e+06``."""
    value: float | None
    passed: bool
    message: str


def _name(e: Expectation) -> str:
    what = e.metric + (f" in {e.year}" if e.year is not None else "")
    what += f" against {e.vs}" if e.vs else ""
    bounds = [
        f">= {e.min:g}" if e.min is not None else "",
        f"<= {e.max:g}" if e.max is not None else "",
    ]
    return f"{what} {' and '.join(b for b in bounds if b)}"


def _value(summary: dict[str, Any], e: Expectation) -> float:
    table = summary["totals"] if e.year is None else summary["by_year"][str(e.year)]
    return float(table[e.metric])


RunCache = dict[tuple[str, int], dict[str, Any]]
"""Summaries of point-value runs by (scenario file, seed): several files compare against the same
one (``vs: history``), which then runs once per check."""


def _summary(scenario: Scenario, key: str, seed: int, cache: RunCache) -> dict[str, Any]:
    if (key, seed) not in cache:
        point = scenario.model_copy(update={"stochastic": False})
        cache[(key, seed)] = run(point, seed=seed).summary
    return cache[(key, seed)]


def expectation_problems(path: Path, scenario: Scenario) -> list[Problem]:
    """What is wrong with the ``expect:`` list of the file at ``path`` (loaded as ``scenario``)
    that shows without running it: a year outside the horizon, a ``vs`` naming no scenario.
    ``potashsim validate`` reports them as ``check`` does, with the line of each key."""
    h = scenario.horizon
    years = range(h.start.year, h.end.year + 1)
    found: list[tuple[int, str, str]] = []  # (expectation, key, message)
    for i, e in enumerate(scenario.expect):
        if e.year is not None and e.year not in years:
            found.append((i, "year", f"{e.year} is outside the horizon {h.start}..{h.end}"))
        if e.vs is not None and find_scenario(e.vs, relative_to=path.parent) is None:
            known = scenario_names([path.parent, *shipped_scenario_dirs()])
            hint = did_you_mean(e.vs, known) or " (a shipped name, or a path from this file)"
            found.append((i, "vs", f"no scenario {e.vs!r}{hint}"))
    if not found:
        return []
    doc = read_yaml(path)  # the lines of the keys at fault (the loader kept none of them)
    lines = doc if isinstance(doc, Document) else None
    return [
        Problem(
            str(path),
            lines.line(("expect", i, key)) if lines is not None else None,
            f"expect.{i}.{key}",
            message,
        )
        for i, key, message in found
    ]


def check_file(
    path: Path, overrides: tuple[str, ...] = (), cache: RunCache | None = None
) -> list[Outcome]:
    """Check one scenario file's expectations (``cache``: runs shared between files).

    Raises:
        ScenarioError: the file (or a ``vs`` scenario) is invalid, or an expectation names a year
            outside the horizon; the problems name the file and the key.
    """
    scenario = load_scenario(path, overrides=overrides)
    problems = expectation_problems(path, scenario)
    if problems:
        raise ScenarioError(problems)
    cache = {} if cache is None else cache
    others: dict[str, tuple[Scenario, str]] = {}
    for e in scenario.expect:
        if e.vs is None or e.vs in others:
            continue
        ref = find_scenario(e.vs, relative_to=path.parent)
        assert ref is not None  # expectation_problems found every one
        others[e.vs] = (load_scenario(ref, overrides=overrides), str(ref.resolve()))
    summary = _summary(scenario, str(path.resolve()), scenario.seed, cache)
    t = summary["totals"]
    imbalance = (t["initial_stock_t"] + t["produced_t"]) - (
        t["exported_t"] + t["domestic_t"] + t["end_stock_t"] + t["in_transit_t"]
    )
    balanced = abs(imbalance) <= 1.0
    out = [
        Outcome(
            str(path),
            scenario.name,
            "runs, and its tonnes balance to 1 t",
            imbalance,
            balanced,
            "" if balanced else f"mass balance off by {imbalance:,.1f} t",
        )
    ]
    base = {k: _summary(s, key, scenario.seed, cache) for k, (s, key) in others.items()}
    for e in scenario.expect:
        value = _value(summary, e) - (_value(base[e.vs], e) if e.vs else 0.0)
        ok = (e.min is None or value >= e.min) and (e.max is None or value <= e.max)
        message = "" if ok else f"got {value:,.6g}"
        out.append(Outcome(str(path), scenario.name, _name(e), value, ok, message))
    return out
