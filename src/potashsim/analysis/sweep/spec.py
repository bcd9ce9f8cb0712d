"""What a sweep varies and how: ``--param PATH=DIST`` options or a ``sweeps/*.yaml`` file.

A parameter is one of

- a ``set`` path of the network (``ports.ust_luga.capacity_mt_per_year=4..8``), applied to the
  scenario and to its ``--vs`` base exactly as ``--set`` would be (same checks, same messages);
- an event's date by its id (``event:lt_2027_reopen.date=2027-01-01..2032-12-31``);
- an on/off lever by event id (``event:eu_2027_lift.on=0..1``): off drops the event, as
  ``exclude_events`` would;
- an actor's lifting date (``lift:EU=2026-01-01..2030-12-31``): the actor lifts every measure of
  its own on that date, in the scenario and in the base, instead of on the dates their files
  give (its other lifts are dropped).

A distribution is ``uniform:LOW..HIGH`` or just ``LOW..HIGH`` (uniform is the only one: global
sensitivity methods sample a box); dates as ``YYYY-MM-DD..YYYY-MM-DD``; a lever takes ``0..1``.
When both bounds of a ``set`` range are written as whole numbers, its values are whole numbers.
Every problem is a :class:`potashsim.errors.Problem` naming the file and line (or the option) and
the key, so the command line reports them like a scenario's.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from potashsim.errors import Problem, ScenarioError
from potashsim.scenario.locate import find_scenario, scenario_names, shipped_scenario_dirs
from potashsim.scenario.messages import Origin, problems_from
from potashsim.scenario.schema import ACTORS
from potashsim.scenario.yamlio import Document, read_yaml
from potashsim.text import did_you_mean

__all__ = [
    "DESIGNS",
    "KINDS",
    "Param",
    "SweepFile",
    "SweepSpec",
    "is_sweep_file",
    "parse_param",
    "parse_params",
    "read_sweep_file",
]

DESIGNS = ("grid", "lhs", "sobol", "morris")
"""Designs: a full grid (N levels a parameter), a Latin hypercube of N samples, Saltelli's
Sobol sampling (N·(D+2) runs, N a power of two), Morris trajectories (N·(D+1) runs)."""
KINDS = ("set", "date", "on")
"""What a parameter changes: a ``set`` path, an event's date, whether an event happens."""
_EVENT = re.compile(r"event:(?P<id>[A-Za-z0-9_]+)\.(?P<field>[a-z_]+)")
_LIFT = re.compile(r"lift:(?P<actor>.+)")
_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


@dataclass(frozen=True)
class Param:
    """One swept parameter: what it changes and the box it is drawn from.

    ``low``/``high`` are numbers for every kind: the value itself for ``set``, the day's ordinal
    (:meth:`datetime.date.toordinal`) for ``date``, 0 and 1 for ``on``."""

    path: str
    """As written: ``ports.x.capacity_mt_per_year``, ``event:ID.date``, ``event:ID.on`` or
    ``lift:ACTOR`` (a ``date``)."""
    kind: str
    low: float
    high: float
    integer: bool = False
    """``set`` only: both bounds were whole numbers, so values are rounded to whole numbers."""
    where: tuple[str, int | None] = field(default=("--param", None), compare=False)
    """File (or option) and line it was given at, for problems found later."""

    @property
    def event_id(self) -> str:
        """The event id of a ``date`` or ``on`` parameter (empty for an actor's lift)."""
        m = _EVENT.fullmatch(self.path)
        return m["id"] if m else ""

    @property
    def lifting_actor(self) -> str:
        """The actor of a ``lift:ACTOR`` parameter (the date it lifts all its measures), else
        empty."""
        m = _LIFT.fullmatch(self.path)
        return m["actor"] if m else ""

    def value(self, x: float) -> Any:
        """The value applied for design value ``x`` (inside ``low..high``): a number, a date, or
        True/False (on: ``x ≥ 0.5``)."""
        if self.kind == "on":
            return bool(x >= 0.5)
        if self.kind == "date":
            return dt.date.fromordinal(round(x))
        return round(x) if self.integer else float(x)

    def problem(self, message: str) -> Problem:
        """A problem about this parameter, at the file and line it was given."""
        return Problem(self.where[0], self.where[1], self.path, message)

    def to_json(self) -> dict[str, Any]:
        """How ``sweep.json`` records it (dates as ISO text)."""
        lo: Any = self.low
        hi: Any = self.high
        if self.kind == "date":
            lo, hi = self.value(self.low).isoformat(), self.value(self.high).isoformat()
        return {
            "path": self.path,
            "kind": self.kind,
            "low": lo,
            "high": hi,
            "integer": self.integer,
        }


def parse_param(text: str, where: tuple[str, int | None] = ("--param", None)) -> Param | Problem:
    """Parse ``PATH=DIST`` (the form of ``--param``)."""
    path, sep, dist = text.partition("=")
    if not sep or not path.strip():
        return Problem(
            where[0],
            where[1],
            text,
            "expected PATH=DIST, e.g. ports.klaipeda.handling_usd_per_t=8..14",
        )
    return param_of(path.strip(), dist.strip(), where)


def parse_params(texts: Sequence[str]) -> tuple[list[Param], list[Problem]]:
    """Parse ``PATH=DIST`` texts: the parameters, and a problem for each text that is not one."""
    params: list[Param] = []
    problems: list[Problem] = []
    for text in texts:
        got = parse_param(text)
        if isinstance(got, Problem):
            problems.append(got)
        else:
            params.append(got)
    return params, problems


def param_of(path: str, dist: str, where: tuple[str, int | None]) -> Param | Problem:
    """The parameter at ``path`` drawn from ``dist`` (``uniform:LOW..HIGH``, ``LOW..HIGH``)."""

    def bad(message: str) -> Problem:
        return Problem(where[0], where[1], path, message)

    kind = "set"
    if path.startswith("lift:"):
        actor = path.removeprefix("lift:")
        actors = ACTORS
        if actor not in actors:
            hint = did_you_mean(actor, actors, prefix="lift:") or f" ({', '.join(actors)})"
            return bad(f"`{actor}` is not an actor{hint}")
        kind = "date"
    elif path.startswith("event:"):
        m = _EVENT.fullmatch(path)
        if m is None or m["field"] not in ("date", "on"):
            return bad(
                "an event parameter is event:ID.date (its date) or event:ID.on (whether it "
                "happens), e.g. event:lt_2027_reopen.date=2027-01-01..2032-12-31"
            )
        kind = m["field"]
    name, colon, rest = dist.partition(":")
    if colon:
        if name.strip() != "uniform":
            return bad(
                f"distribution `{name.strip()}`: a sweep samples a box, so use uniform:LOW..HIGH "
                "(or LOW..HIGH)"
            )
        dist = rest.strip()
    lo_text, dots, hi_text = dist.partition("..")
    lo_text, hi_text = lo_text.strip(), hi_text.strip()
    if not dots or not lo_text or not hi_text:
        return bad(f"`{dist}` is not a range: write LOW..HIGH, e.g. 0.7..1.0")
    if kind == "date":
        try:
            lo, hi = dt.date.fromisoformat(lo_text), dt.date.fromisoformat(hi_text)
        except ValueError:
            return bad(f"`{dist}`: a date range is YYYY-MM-DD..YYYY-MM-DD")
        if lo >= hi:
            return bad(f"the range starts on {lo}, not before its end {hi}")
        return Param(path, kind, float(lo.toordinal()), float(hi.toordinal()), where=where)
    if not (_NUMBER.fullmatch(lo_text) and _NUMBER.fullmatch(hi_text)):
        return bad(f"`{dist}`: LOW and HIGH must be numbers")
    low, high = float(lo_text), float(hi_text)
    if kind == "on":
        if (low, high) != (0.0, 1.0):
            return bad(f"a lever is off or on: write 0..1, not {dist}")
        return Param(path, kind, 0.0, 1.0, where=where)
    if not (math.isfinite(low) and math.isfinite(high)):
        return bad(f"`{dist}`: LOW and HIGH must be finite")
    if low > high:
        return bad(f"low {lo_text} is above high {hi_text}")
    if low == high:
        return bad(f"low equals high ({lo_text}): a fixed value is a --set, not a swept parameter")
    integer = all(re.fullmatch(r"[-+]?\d+", t) is not None for t in (lo_text, hi_text))
    return Param(path, kind, low, high, integer, where=where)


@dataclass(frozen=True)
class SweepSpec:
    """Everything that decides a sweep's runs (and so whether a folder can be resumed)."""

    scenario: str
    vs: str | None
    params: tuple[Param, ...]
    design: str
    n: int
    seed: int
    granularity: str = "fast"
    sets: tuple[str, ...] = ()
    """``KEY=VALUE`` overrides applied to the scenario and the base in every run."""
    name: str = ""
    """The sweep file's name (its stem), or empty for a sweep given on the command line."""

    def to_json(self) -> dict[str, Any]:
        """The spec as ``sweep.json`` records it (the scenario hashes are added beside it)."""
        return {
            "scenario": self.scenario,
            "vs": self.vs,
            "params": [p.to_json() for p in self.params],
            "design": self.design,
            "n": self.n,
            "seed": self.seed,
            "granularity": self.granularity,
            "sets": list(self.sets),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SweepSpec:
        """The spec :meth:`to_json` recorded (``sweep.json``).

        Raises:
            ValueError: a key is missing or of the wrong form.
        """
        try:
            params = []
            for p in data["params"]:
                lo, hi = p["low"], p["high"]
                if p["kind"] == "date":
                    lo = dt.date.fromisoformat(lo).toordinal()
                    hi = dt.date.fromisoformat(hi).toordinal()
                params.append(Param(p["path"], p["kind"], float(lo), float(hi), bool(p["integer"])))
            return cls(
                scenario=str(data["scenario"]),
                vs=None if data["vs"] is None else str(data["vs"]),
                params=tuple(params),
                design=str(data["design"]),
                n=int(data["n"]),
                seed=int(data["seed"]),
                granularity=str(data["granularity"]),
                sets=tuple(map(str, data["sets"])),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a sweep spec: {type(err).__name__}: {err}") from err

    def key(self) -> str:
        """A canonical text of :meth:`to_json` (what two specs must share to be the same)."""
        return json.dumps(self.to_json(), sort_keys=True, default=str)


class SweepFile(BaseModel):
    """A ``sweeps/*.yaml`` file as written."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    name: str | None = None
    description: str | None = None
    scenario: str
    """The scenario swept: a path relative to this file, or a shipped scenario's name."""
    vs: str | None = None
    """The base each run is compared with, paired by seed (same forms as ``scenario``)."""
    design: Literal["grid", "lhs", "sobol", "morris"] = "sobol"
    n: int = Field(ge=1)
    seed: int = Field(default=0, ge=0)
    granularity: Literal["train", "fast"] = "fast"
    set: dict[str, Any] = Field(default_factory=dict)
    """Overrides applied to the scenario and the base in every run (as ``--set``)."""
    params: dict[str, str] = Field(min_length=1)
    """``PATH: DIST``, as ``--param PATH=DIST``."""


def is_sweep_file(path: Path) -> bool:
    """Whether ``path`` is a YAML file with a top-level ``params:`` (a sweep, not a scenario)."""
    try:
        if not path.is_file() or path.suffix not in (".yaml", ".yml"):
            return False
    except OSError:  # a name too long for the file system, say: the loader reports it
        return False
    doc = read_yaml(path)
    return isinstance(doc, Document) and isinstance(doc.data, dict) and "params" in doc.data


def _set_text(key: str, value: Any) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else json.dumps(value)
    return f"{key}={text}"


def _ref(ref: str, folder: Path) -> str:
    """A scenario reference relative to the sweep file's folder, as ``load_scenario`` takes it."""
    found = find_scenario(ref, relative_to=folder)
    return str(found) if found is not None and (folder / ref).exists() else ref


def read_sweep_file(path: Path) -> SweepSpec:
    """Read and check a sweep file.

    Raises:
        ScenarioError: every problem, as ``file:line: key: message``.
    """
    doc = read_yaml(path)
    if isinstance(doc, Problem):
        raise ScenarioError([doc])
    if not isinstance(doc.data, dict):
        raise ScenarioError([Problem(doc.file, 1, "", "a sweep file is a mapping of keys")])
    try:
        model = SweepFile.model_validate(doc.data)
    except ValidationError as err:

        def origin_of(p: tuple[str | int, ...]) -> tuple[Origin, str]:
            return Origin(doc, p), ".".join(map(str, p))

        raise ScenarioError(problems_from(err, doc.data, origin_of, SweepFile)) from err
    problems: list[Problem] = []
    for key in ("scenario", "vs"):
        ref = getattr(model, key)
        if ref is not None and find_scenario(ref, relative_to=path.parent) is None:
            known = scenario_names(shipped_scenario_dirs())
            hint = did_you_mean(ref, known) or f" (shipped: {', '.join(known)})"
            problems.append(
                Problem(doc.file, doc.line((key,)), key, f"no such file or shipped scenario{hint}")
            )
    params: list[Param] = []
    for key, dist in model.params.items():
        got = param_of(key, dist, (doc.file, doc.line(("params", key))))
        if isinstance(got, Problem):
            problems.append(Problem(got.file, got.line, f"params.{key}", got.message))
        else:
            params.append(got)
    if problems:
        raise ScenarioError(problems)
    return SweepSpec(
        scenario=_ref(model.scenario, path.parent),
        vs=None if model.vs is None else _ref(model.vs, path.parent),
        params=tuple(params),
        design=model.design,
        n=model.n,
        seed=model.seed,
        granularity=model.granularity,
        sets=tuple(_set_text(k, v) for k, v in model.set.items()),
        name=model.name or path.stem,
    )
