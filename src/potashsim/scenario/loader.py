"""Scenario file(s) → validated ``Scenario``, with every problem reported at once.

Resolution order, each later step overriding the earlier:

1. the network data (``network:`` of the nearest file that names one, else the shipped network);
2. the ``extends`` chain from the root scenario down to the named file: ``set`` entries applied in
   that order, events concatenated (``exclude_actors`` drops inherited events of those actors,
   ``exclude_events`` those with the given ids);
3. ``--set key=value`` overrides from the command line.

The merged result is validated once more, so an override can never smuggle in an invalid value.
Problems are ``file:line: key.path: message``; a ``ScenarioError`` carries all of them.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from potashsim.errors import Problem, ScenarioError
from potashsim.scenario import schema as sc
from potashsim.scenario.yamlio import Document, KeyPath, read_yaml
from potashsim.text import did_you_mean

__all__ = [
    "PACKAGE_NETWORK",
    "discover",
    "find_scenario",
    "load_scenario",
    "parse_set_option",
    "shipped_scenario_dirs",
]

# this module lives in potashsim/scenario/; the data and a wheel's scenarios sit beside it
_PACKAGE = Path(__file__).resolve().parents[1]
PACKAGE_NETWORK = _PACKAGE / "data" / "network.yaml"
PARAM_KEYS = frozenset({"value", "source", "estimate", "low", "high", "dist", "mode", "mean", "sd"})
# Collections whose keys are ids: a `set` may add a new entry to these (e.g. a new port).
_COLLECTIONS = {
    ("nodes",),
    ("mines",),
    ("links",),
    ("ports",),
    ("borders",),
    ("markets",),
    ("lanes",),
}


def shipped_scenario_dirs() -> list[Path]:
    """Where shipped scenarios live: inside the package (wheel) or the source checkout."""
    return [d for d in (_PACKAGE / "scenarios", _PACKAGE.parents[1] / "scenarios") if d.is_dir()]


def find_scenario(ref: str | Path, *, relative_to: Path | None = None) -> Path | None:
    """Resolve a scenario reference: a path (relative to ``relative_to``) or a shipped name."""
    ref_s = str(ref)
    base = relative_to if relative_to is not None else Path.cwd()
    # Relative to the working folder, keep the path as typed so that problems name the file the
    # way the user wrote it.
    candidate = Path(ref_s) if relative_to is None or Path(ref_s).is_absolute() else base / ref_s
    if candidate.exists():
        return candidate
    if "/" not in ref_s and not ref_s.endswith((".yaml", ".yml")):
        for folder in ([base] if relative_to else []) + shipped_scenario_dirs():
            named = folder / f"{ref_s}.yaml"
            if named.exists():
                return named
    return None


def discover(paths: Iterable[str | Path]) -> list[Path]:
    """Scenario files named by ``paths``: files as given, folders searched for ``*.yaml``."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(list(p.glob("*.yaml")) + list(p.glob("*.yml"))))
        else:
            found.append(p)
    return found


def parse_set_option(text: str) -> tuple[str, Any] | Problem:
    """Parse one ``--set key=value``; the value is read as YAML (``11``, ``2030-01-01``)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        return Problem(
            "--set", None, text, "expected key=value, e.g. ports.klaipeda.handling_usd_per_t=11"
        )
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return key, value


# ---------------------------------------------------------------------------------------------


@dataclass
class _Origin:
    """Where a value came from, to place a problem at the right line."""

    doc: Document | None
    path: KeyPath
    label: str = ""
    prefix: str = ""
    """Put before a reported key: ``set.`` for a file's ``set:`` entry."""

    def problem(self, key: str, message: str) -> Problem:
        key = self.prefix + key if key else key
        if self.doc is None:
            return Problem(self.label or "--set", None, key, message)
        return Problem(self.doc.file, self.doc.line(self.path), key, message)


@dataclass
class _Link:
    """One file of an ``extends`` chain; ``events``/``sets`` keep only the entries that are valid
    (with their index in the file), so a file with a few bad entries is still checked further."""

    doc: Document
    file: sc.ScenarioFile
    events: list[tuple[int, dict[str, Any]]]
    sets: dict[str, Any]


@dataclass
class _State:
    problems: list[Problem] = field(default_factory=list)
    sets: list[tuple[str, Any, _Origin]] = field(default_factory=list)
    events: list[tuple[dict[str, Any], _Origin]] = field(default_factory=list)
    horizon_broken: bool = False
    """A file's horizon was invalid: do not also report events as outside the inherited one."""


def _ordered(problems: list[Problem]) -> list[Problem]:
    """Problems grouped by file (in order of first appearance), by line within a file."""
    rank: dict[str, int] = {}
    for p in problems:
        rank.setdefault(p.file, len(rank))
    return sorted(problems, key=lambda p: (rank[p.file], p.line or 0))


def load_scenario(ref: str | Path, *, overrides: Sequence[str] = ()) -> sc.Scenario:
    """Load, resolve and validate a scenario.

    Args:
        ref: a path to a scenario file, or the name of a shipped scenario (``history``).
        overrides: ``key=value`` strings as given to ``--set``.

    Raises:
        ScenarioError: listing every problem found in the chain, the network and the overrides.
    """
    path = find_scenario(ref)
    if path is None:
        known = sorted(p.stem for d in shipped_scenario_dirs() for p in d.glob("*.yaml"))
        msg = "no such file or shipped scenario"
        msg += did_you_mean(str(ref), known) or (f" (shipped: {', '.join(known)})" if known else "")
        raise ScenarioError([Problem(str(ref), None, "", msg)])
    state = _State()
    chain = _read_chain(path, state)
    if chain is None:
        raise ScenarioError(_ordered(state.problems))
    return _resolve(chain, overrides, state)


def _read_chain(path: Path, state: _State) -> list[_Link] | None:
    """Read ``path`` and its ``extends`` ancestors, root first; None at a broken link."""
    chain: list[_Link] = []
    seen: list[Path] = []
    current: Path | None = path
    last: Document | None = None  # the file whose `extends` led to `current`
    while current is not None:
        resolved = current.resolve()
        if resolved in seen and last is not None:
            cycle = " → ".join(p.name for p in [*seen, resolved][seen.index(resolved) :])
            state.problems.append(
                Problem(
                    last.file,
                    last.line(("extends",)),
                    "extends",
                    f"circular: {cycle} (a scenario cannot extend "
                    "itself, directly or through others)",
                )
            )
            return None
        seen.append(resolved)
        doc = read_yaml(current)
        if isinstance(doc, Problem):
            if last is not None and doc.line is None:  # say which file asked for it
                doc = Problem(
                    doc.file,
                    None,
                    "",
                    f"{doc.message} (extended by {last.file}, line {last.line(('extends',))})",
                )
            state.problems.append(doc)
            return None
        if doc.data is None:
            state.problems.append(
                Problem(doc.file, 1, "", "empty file: a scenario needs at least `name`")
            )
            return None
        if not isinstance(doc.data, dict):
            kind = type(doc.data).__name__
            state.problems.append(
                Problem(
                    doc.file,
                    1,
                    "",
                    f"the top level must be a mapping "
                    f"of keys (name, horizon, events, ...), found a {kind}",
                )
            )
            return None
        link = _validate_file(doc, state)
        if link is None:
            return None
        chain.insert(0, link)
        parent = doc.data.get("extends")
        if not isinstance(parent, str):  # absent, or a wrong type already reported
            break
        nxt = find_scenario(parent, relative_to=current.parent)
        if nxt is None:
            known = sorted(
                {
                    p.stem
                    for d in [current.parent, *shipped_scenario_dirs()]
                    for p in d.glob("*.yaml")
                }
            )
            hint = did_you_mean(parent.removesuffix(".yaml"), known)
            state.problems.append(
                Problem(
                    doc.file,
                    doc.line(("extends",)),
                    "extends",
                    f"cannot find {parent!r} (a path relative to this "
                    f"file, or the name of a shipped scenario){hint}",
                )
            )
            return None
        last, current = doc, nxt
    return chain


def _validate_file(doc: Document, state: _State) -> _Link | None:
    """Validate one file; on problems, report them and keep its valid parts for further checks."""
    data: dict[str, Any] = doc.data
    try:
        parsed = sc.ScenarioFile.model_validate(data)
        return _Link(
            doc, parsed, list(enumerate(data.get("events") or [])), dict(data.get("set") or {})
        )
    except ValidationError as err:
        state.problems.extend(
            _problems_from(
                err, data, lambda p: (_Origin(doc, p), ".".join(map(str, p))), sc.ScenarioFile
            )
        )
        errors = err.errors()
    # Salvage: drop what is wrong (bad events one by one), keep the rest to check it too.
    salvaged = dict(data)
    bad_events: set[int] = set()
    for e in errors:
        loc = e["loc"]
        if not loc or loc[0] in ("extends", "network"):  # cannot go on without these
            return None
        if loc[0] == "events" and len(loc) > 1 and isinstance(loc[1], int):
            bad_events.add(loc[1])
        elif loc[0] == "name":
            salvaged["name"] = "unnamed"
        else:
            salvaged.pop(str(loc[0]), None)
            state.horizon_broken |= loc[0] == "horizon"
    events = data.get("events")
    kept = (
        [(i, ev) for i, ev in enumerate(events) if i not in bad_events]
        if isinstance(events, list)
        else []
    )
    salvaged["events"] = [ev for _, ev in kept]
    try:
        parsed = sc.ScenarioFile.model_validate(salvaged)
    except ValidationError:
        return None
    return _Link(doc, parsed, kept, dict(salvaged.get("set") or {}))


def _resolve(chain: list[_Link], overrides: Sequence[str], state: _State) -> sc.Scenario:
    leaf_doc, leaf = chain[-1].doc, chain[-1].file
    horizon, seed, stochastic, description = None, 0, True, ""
    network_ref: tuple[Document, str] | None = None
    inherited = 0  # events before this index come from files above the one setting the horizon
    parent_name = ""
    for link in chain:
        doc, f = link.doc, link.file
        excluded = set(f.exclude_actors)
        known_ids = {e.get("id") for e, _ in state.events}
        for i, event_id in enumerate(f.exclude_events):
            if event_id not in known_ids:
                state.problems.append(
                    Problem(
                        doc.file,
                        doc.line(("exclude_events", i)),
                        f"exclude_events.{i}",
                        f"no inherited event has id {event_id!r}"
                        + did_you_mean(event_id, [k for k in known_ids if k]),
                    )
                )
        state.events = [
            (e, o)
            for e, o in state.events
            if e["actor"] not in excluded and e.get("id") not in set(f.exclude_events)
        ]
        if f.horizon is not None:
            inherited = len(state.events)
        horizon = f.horizon or horizon
        seed = f.seed if f.seed is not None else seed
        stochastic = f.stochastic if f.stochastic is not None else stochastic
        # a file without a description inherits its parent's, saying so
        description = f.description or (
            f"Extends {parent_name}: {description}" if description else ""
        )
        parent_name = f.name
        network_ref = (doc, f.network) if f.network else network_ref
        for key, value in link.sets.items():
            state.sets.append((key, value, _Origin(doc, ("set", key), prefix="set.")))
        for i, raw in link.events:
            state.events.append((raw, _Origin(doc, ("events", i))))
    for text in overrides:
        parsed = parse_set_option(text)
        if isinstance(parsed, Problem):
            state.problems.append(parsed)
        else:
            state.sets.append((parsed[0], parsed[1], _Origin(None, (), "--set")))
    if horizon is None and not state.horizon_broken:
        state.problems.append(
            Problem(leaf_doc.file, None, "horizon", "no horizon in this file or any it extends")
        )

    net_doc = _network_document(network_ref, state)
    if net_doc is None:
        raise ScenarioError(_ordered(state.problems))
    tree, meta = split_params(net_doc.data)
    origins: dict[str, _Origin] = {}
    for key, value, origin in state.sets:
        message = _apply_set(tree, meta, key, value)
        if message:
            state.problems.append(origin.problem(key, message))
        else:
            origins[key] = origin
    for dotted, entry in meta.items():
        if "error" in entry:
            path = tuple(int(s) if s.isdigit() else s for s in dotted.split("."))
            origin, key = _origin_for(path, origins, net_doc)
            state.problems.append(origin.problem(key, entry["error"]))
    network = _validate_network(tree, net_doc, origins, state)
    # Events are checked even when the network or horizon is broken, so that every problem is
    # reported in one run: targets against the ids the network has, dates only against a
    # horizon that is valid.
    check_horizon = None if state.horizon_broken else horizon
    events = _validate_events(
        state.events, network or _ids_only(tree), check_horizon, state, inherited
    )
    if state.problems or network is None or horizon is None:
        raise ScenarioError(_ordered(state.problems))
    return sc.Scenario(
        name=leaf.name,
        description=description or leaf.name,
        horizon=horizon,
        seed=seed,
        stochastic=stochastic,
        network=network,
        events=tuple(events),
        uncertain={k: v["dist"] for k, v in meta.items() if v.get("dist") is not None},
        provenance={k: v["cite"] for k, v in meta.items() if v.get("cite")},
    )


def _network_document(ref: tuple[Document, str] | None, state: _State) -> Document | None:
    if ref is None:
        doc = read_yaml(PACKAGE_NETWORK, label="potashsim/data/network.yaml")
    else:
        scen_doc, rel = ref
        doc = read_yaml(Path(scen_doc.file).parent / rel)
    if isinstance(doc, Problem):
        if ref is not None:
            scen_doc, rel = ref
            doc = Problem(
                scen_doc.file,
                scen_doc.line(("network",)),
                "network",
                f"cannot read network file {rel!r}: {doc.message}",
            )
        state.problems.append(doc)
        return None
    if not isinstance(doc.data, dict):
        found = "an empty file" if doc.data is None else f"a {type(doc.data).__name__}"
        state.problems.append(
            Problem(
                doc.file,
                1,
                "",
                "a network file must be a mapping of "
                f"keys (nodes, mines, links, ...), found {found}",
            )
        )
        return None
    return doc


def _validate_network(
    tree: dict[str, Any], net_doc: Document, origins: dict[str, _Origin], state: _State
) -> sc.NetworkSpec | None:
    try:
        return sc.NetworkSpec.model_validate(tree)
    except ValidationError as err:
        state.problems.extend(
            _problems_from(
                err, tree, lambda path: _origin_for(path, origins, net_doc), sc.NetworkSpec
            )
        )
        return None


def _origin_for(
    path: KeyPath, origins: dict[str, _Origin], net_doc: Document
) -> tuple[_Origin, str]:
    """Where a value of the merged network came from (the last set that touched it, else the
    network file), and the key to show."""
    dotted = ".".join(map(str, path))
    for key in sorted(origins, key=len, reverse=True):
        if dotted == key or dotted.startswith(key + "."):
            return origins[key], dotted
        if key.startswith(dotted + "."):  # a check on a section, caused by this entry
            return origins[key], key
    return _Origin(net_doc, path), dotted


def _ids_only(tree: Any) -> sc.NetworkSpec:
    """A network that failed validation, unchecked, only to look up the ids events name."""
    tables = ("mines", "links", "ports", "borders", "markets", "lanes")
    tree = tree if isinstance(tree, dict) else {}
    fields: dict[str, Any] = {
        k: {i: (v if isinstance(v, dict) else {}) for i, v in tree[k].items()}
        if isinstance(tree.get(k), dict)
        else {}
        for k in tables
    }
    return sc.NetworkSpec.model_construct(**fields)


def _validate_events(
    raw_events: list[tuple[dict[str, Any], _Origin]],
    network: sc.NetworkSpec,
    horizon: sc.Horizon | None,
    state: _State,
    inherited: int,
) -> list[Any]:
    """Check events; the first ``inherited`` come from files above the one that set the
    horizon: a child may shorten the horizon, so those are kept if earlier (they are in force
    from the start) and dropped if later, instead of being errors."""
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(sc.Event)
    events = [adapter.validate_python(raw) for raw, _ in raw_events]
    if horizon is None:  # no valid horizon: check targets only
        horizon = sc.Horizon.model_construct(start=dt.date.min, end=dt.date.max)
    keep = [i for i, e in enumerate(events) if i >= inherited or e.date <= horizon.end]
    for i, fld, msg in sc.event_problems(events, network, horizon):
        if i < inherited and fld == "date":
            continue
        origin = raw_events[i][1]
        key = ".".join(map(str, origin.path)) + f".{fld}"
        state.problems.append(origin.problem(key, msg))
    return sorted((events[i] for i in keep), key=lambda e: e.date)


# --- parameters with provenance ---------------------------------------------------------------


def is_param(node: Any) -> bool:
    """Whether a YAML mapping is a parameter with provenance, e.g. ``{value: 7, source: C6}``."""
    return (
        isinstance(node, dict)
        and bool(node)
        and set(node) <= PARAM_KEYS
        and ("value" in node or "dist" in node)
    )


def split_params(tree: Any) -> tuple[Any, dict[str, dict[str, Any]]]:
    """Replace parameter mappings by their values; return the plain tree and per-path metadata.

    Metadata per dotted path: ``cite`` ("source: C6" or "estimate: ..."), and ``dist`` (a
    ``Distribution``) when the parameter is uncertain (``low``/``high`` or ``dist`` given).
    """
    meta: dict[str, dict[str, Any]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> Any:
        if is_param(node):
            dotted = ".".join(path)
            entry: dict[str, Any] = {}
            if node.get("source") is not None:
                entry["cite"] = f"source: {node['source']}"
            elif node.get("estimate") is not None:
                entry["cite"] = f"estimate: {node['estimate']}"
            try:
                dist = _distribution(node)
            except ValidationError as err:  # reported by the loader at the parameter's line
                dist, entry["error"] = None, _distribution_problem(node, err)
            if dist is not None:
                entry["dist"] = dist
            meta[dotted] = entry
            if "value" in node:
                return node["value"]
            if dist is not None:
                return dist.point
            return next((node[k] for k in ("mode", "mean", "low", "high") if k in node), None)
        if isinstance(node, dict):
            return {k: walk(v, (*path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, str(i))) for i, v in enumerate(node)]
        return node

    return walk(copy.deepcopy(tree), ()), meta


def _distribution(node: dict[str, Any]) -> sc.Distribution | None:
    fields = {k: node[k] for k in ("low", "high", "mode", "mean", "sd") if k in node}
    if "dist" in node:
        return sc.Distribution.model_validate({"dist": node["dist"], **fields})
    if "low" in node or "high" in node:
        value = node.get("value")
        low, high = node.get("low", value), node.get("high", value)
        return sc.Distribution(dist="triangular", low=low, mode=value, high=high)
    return None


def _distribution_problem(node: dict[str, Any], err: ValidationError) -> str:
    parts = []
    for e in err.errors(include_url=False):
        text = _message(e, sc.Distribution, tuple(e["loc"]))
        parts.append(f"{'.'.join(map(str, e['loc']))} {text}" if e["loc"] else text)
    msg = "; ".join(parts)
    if "dist" not in node:  # {value, low, high}: the value is the distribution's mode
        msg = msg.replace("mode (", "value (")
    return f"bad uncertain parameter: {msg}"


def _apply_set(tree: dict[str, Any], meta: dict[str, dict[str, Any]], key: str, value: Any) -> str:
    """Apply one override in place; return an error message, or '' when applied."""
    segs = key.split(".")
    if segs[0] not in tree:  # a set never adds a section of its own
        return _unknown(tree, segs[0], segs[:1])
    node: Any = tree
    for depth, seg in enumerate(segs[:-1]):
        nxt = _child(node, seg)
        if nxt is _MISSING:
            return _unknown(node, seg, segs[: depth + 1])
        node = nxt
    last = segs[-1]
    if isinstance(node, list):
        if not last.isdigit() or int(last) >= len(node):
            return f"{'.'.join(segs)}: no item {last} (the list has {len(node)} items)"
        target_index: int | str = int(last)
    elif isinstance(node, dict):
        target_index = last
    else:
        return f"{'.'.join(segs[:-1])} is a value, not a section"
    # the value replaces what was there, so does its provenance and uncertainty
    for k in [k for k in meta if k == key or k.startswith(key + ".")]:
        del meta[k]
    if isinstance(value, dict) and not is_param(value) and "dist" not in value:
        plain, sub_meta = split_params(value)
        for k, v in sub_meta.items():
            meta[f"{key}.{k}"] = v
        value = plain
    else:
        if isinstance(value, dict):
            plain, sub_meta = split_params({"x": value})
            if "x" in sub_meta:
                meta[key] = sub_meta["x"]
            value = plain["x"]
    node[target_index] = value
    return ""


_MISSING = object()


def _child(node: Any, seg: str) -> Any:
    if isinstance(node, dict):
        return node.get(seg, _MISSING)
    if isinstance(node, list) and seg.isdigit() and int(seg) < len(node):
        return node[int(seg)]
    return _MISSING


def _unknown(node: Any, seg: str, path: list[str]) -> str:
    where = ".".join(path)
    if isinstance(node, dict):
        hint = did_you_mean(seg, map(str, node), prefix="".join(f"{p}." for p in path[:-1]))
        if hint:
            return f"no such parameter `{where}`{hint}"
        if len(path) == 1:
            if seg in sc.ScenarioFile.model_fields:
                return (
                    f"`{seg}` is a scenario setting, not a network parameter: write it at "
                    "the top level of a scenario file"
                )
            return (
                f"no such parameter `{where}`; a path starts with one of: "
                f"{', '.join(map(str, node))}"
            )
        if seg in _allowed_keys(sc.NetworkSpec, tuple(path)):
            return (
                f"`{where}` is not set in the network, so it has no parts to change: "
                f"set `{where}` as a whole"
            )
    if isinstance(node, list):
        return (
            f"no item {seg} in `{'.'.join(path[:-1])}` (it has {len(node)} items, numbered from 0)"
        )
    return f"no such parameter `{where}`"


# --- pydantic errors → problems -----------------------------------------------------------------


def _vocabulary() -> list[str]:
    names: set[str] = set()
    for obj in vars(sc).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return sorted(names)


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated[...]`` and ``X | None`` down to the type inside."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    """The keys the schema allows at the mapping that holds ``loc`` (for suggestions)."""
    tp: Any = model
    for item in loc[:-1]:
        tp = _unwrap(tp)
        origin = typing.get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            fld = tp.model_fields.get(str(item))
            if fld is None:
                return []
            tp = fld.annotation
        elif origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin in (tuple, list):
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):  # the events union: item is the action
            tp = next(
                (
                    a
                    for a in map(_unwrap, typing.get_args(tp))
                    if isinstance(a, type)
                    and issubclass(a, BaseModel)
                    and "action" in a.model_fields
                    and item in typing.get_args(a.model_fields["action"].annotation)
                ),
                None,
            )
            if tp is None:
                return []
        else:
            return []
    tp = _unwrap(tp)
    return list(tp.model_fields) if isinstance(tp, type) and issubclass(tp, BaseModel) else []


_ID_PATTERN = f"^{sc._ID}$"
_MESSAGES = {
    "int_parsing": "should be a whole number",
    "int_type": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_parsing": "should be a number",
    "float_type": "should be a number",
    "bool_parsing": "should be true or false",
    "bool_type": "should be true or false",
    "string_type": "should be text",
    "date_parsing": "should be a date like 2022-02-01",
    "date_from_datetime_parsing": "should be a date like 2022-02-01",
    "date_from_datetime_inexact": "should be a date like 2022-02-01, without a time",
    "date_type": "should be a date like 2022-02-01",
    "dict_type": "should be a mapping of keys",
    "model_type": "should be a mapping of keys",
    "model_attributes_type": "should be a mapping of keys",
    "tuple_type": "should be a list",
    "list_type": "should be a list",
}


def _message(e: Any, model: type[BaseModel], path: KeyPath) -> str:
    """A pydantic error as one plain sentence for a student, with a suggestion where one helps."""
    kind, ctx = e["type"], e.get("ctx") or {}
    got = e.get("input")
    shown = f" (got {got!r})" if "input" in e and not isinstance(got, dict | list) else ""
    if kind == "extra_forbidden":
        word = str(path[-1]) if path else ""
        allowed = _allowed_keys(model, e["loc"])
        hint = (
            did_you_mean(word, allowed)
            if allowed
            else did_you_mean(word, _vocabulary(), cutoff=0.75)
        )
        starting = [k for k in allowed if k.startswith(word.lower())] if len(word) > 2 else []
        if not hint and len(starting) == 1:  # `capacity` for `capacity_t_per_year`
            hint = did_you_mean(word, starting, cutoff=0.0)
        if not hint and allowed:
            hint = f"; allowed here: {', '.join(allowed)}"
        return "unknown key" + hint
    if kind == "missing":
        return "missing required key"
    if kind == "union_tag_invalid":
        tags = re.findall(r"'([^']*)'", str(ctx.get("expected_tags", "")))
        return (
            f"unknown {ctx.get('discriminator', 'tag').strip(chr(39))} "
            f"{ctx.get('tag')!r}{did_you_mean(str(ctx.get('tag')), tags)} "
            f"(one of: {', '.join(tags)})"
        )
    if kind == "union_tag_not_found":
        return (
            f"missing {ctx.get('discriminator', 'tag').strip(chr(39))}: every event needs "
            "one (close, reopen, set_capacity, set_cost, discount, remove_discount, lift, "
            "note)"
        )
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return (
            f"should be one of: {', '.join(choices)}{shown}"
            f"{did_you_mean(str(got), choices) if isinstance(got, str) else ''}"
        )
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == _ID_PATTERN:
            return (
                "should be a lower_snake_case id: small letters, digits and _, starting "
                f"with a letter{shown}"
            )
        if str(ctx.get("pattern", "")).startswith("^(link|"):
            return (
                f"should be kind:id, e.g. link:lt_transit, port:klaipeda, market:all or "
                f"lane:baltic_lt.brazil (kinds: {', '.join(sc.TARGET_KINDS)}){shown}"
            )
    if kind == "too_short":
        n = ctx.get("min_length", 1)
        return f"should have at least {n} item{'s' if n != 1 else ''}"
    if kind in _MESSAGES:
        return _MESSAGES[kind] + shown
    msg = str(e["msg"]).removeprefix("Value error, ")
    msg = re.sub(r"^Input should be", "should be", msg)
    return msg + shown


def _problems_from(
    err: ValidationError, data: Any, origin_of: Any, model: type[BaseModel]
) -> list[Problem]:
    """Each pydantic error as a Problem; ``origin_of(path)`` gives (origin, key to show)."""
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        path = _data_path(data, e["loc"])
        msg = str(e["msg"])
        if e["type"] == "value_error" and msg.startswith("Value error, @"):
            # after-validators report "@sub.path: message" lines; place each one
            for line in msg.removeprefix("Value error, ").splitlines():
                sub, _, text = line.removeprefix("@").partition(": ")
                sub_path = (*path, *[int(s) if s.isdigit() else s for s in sub.split(".")])
                origin, key = origin_of(sub_path)
                problems.append(origin.problem(key, text))
            continue
        origin, key = origin_of(path)
        problems.append(origin.problem(key, _message(e, model, path)))
    return problems


def _data_path(data: Any, loc: tuple[int | str, ...]) -> KeyPath:
    """Map a pydantic loc onto keys of the input, dropping union tags such as ``'close'``."""
    path: list[str | int] = []
    node = data
    for item in loc:
        in_dict = isinstance(node, dict) and item in node
        in_list = isinstance(node, list) and isinstance(item, int) and item < len(node)
        if in_dict or in_list:
            path.append(item)
            node = node[item]
        elif (isinstance(node, dict | list) or node is None) and not (
            isinstance(item, str) and item in _TAGS
        ):
            path.append(item)
            node = None
    return tuple(path)


_TAGS = frozenset(
    {
        "close",
        "reopen",
        "set_capacity",
        "set_cost",
        "discount",
        "remove_discount",
        "lift",
        "note",
        "float",
        "int",
        "str",
        "bool",
        "date",
        "Distribution",
        "dict[str,any]",
        "list[any]",
        "none",
        "function-after[_check(), Distribution]",
    }
)
