"""Scenario file(s) → validated ``Scenario``, with every problem reported at once.

Resolution order, each later step overriding the earlier:

1. the network data (``network:`` of the nearest file that names one, else the shipped network);
2. the ``extends`` chain from the root scenario down to the named file: ``set`` entries applied in
   that order, events concatenated (``exclude_actors`` drops inherited events of those actors);
3. ``--set key=value`` overrides from the command line.

The merged result is validated once more, so an override can never smuggle in an invalid value.
Problems are ``file:line: key.path: message``; a ``ScenarioError`` carries all of them.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from potashsim import scenario as sc
from potashsim.errors import Problem, ScenarioError
from potashsim.yamlio import Document, KeyPath, read_yaml

__all__ = [
    "PACKAGE_NETWORK",
    "discover",
    "find_scenario",
    "load_scenario",
    "parse_set_option",
    "shipped_scenario_dirs",
]

PACKAGE_NETWORK = Path(__file__).parent / "data" / "network.yaml"
PARAM_KEYS = frozenset({"value", "source", "estimate", "low", "high", "dist", "mode", "mean", "sd"})
# Collections whose keys are ids: a `set` may add a new entry to these (e.g. a new port).
_COLLECTIONS = {("nodes",), ("mines",), ("links",), ("ports",), ("borders",), ("markets",),
                ("lanes",)}


def shipped_scenario_dirs() -> list[Path]:
    """Where shipped scenarios live: inside the package (wheel) or the source checkout."""
    here = Path(__file__).resolve().parent
    return [d for d in (here / "scenarios", here.parents[1] / "scenarios") if d.is_dir()]


def find_scenario(ref: str | Path, *, relative_to: Path | None = None) -> Path | None:
    """Resolve a scenario reference: a path (relative to ``relative_to``) or a shipped name."""
    ref_s = str(ref)
    base = relative_to if relative_to is not None else Path.cwd()
    candidate = (base / ref_s) if not Path(ref_s).is_absolute() else Path(ref_s)
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
    """Parse one ``--set key=value``; the value is read as a YAML scalar (``11``, ``2030-01-01``)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        return Problem("--set", None, text, "expected key=value, e.g. "
                       "ports.klaipeda.handling_usd_per_t=11")
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

    def problem(self, key: str, message: str) -> Problem:
        if self.doc is None:
            return Problem(self.label or "--set", None, key, message)
        return Problem(self.doc.file, self.doc.line(self.path), key, message)


@dataclass
class _State:
    problems: list[Problem] = field(default_factory=list)
    sets: list[tuple[str, Any, _Origin]] = field(default_factory=list)
    events: list[tuple[dict[str, Any], _Origin]] = field(default_factory=list)


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
        close = difflib.get_close_matches(str(ref), known, n=1)
        msg += f"; did you mean `{close[0]}`?" if close else (
            f" (shipped: {', '.join(known)})" if known else "")
        raise ScenarioError([Problem(str(ref), None, "", msg)])
    state = _State()
    chain = _read_chain(path, state)
    if state.problems or not chain:
        raise ScenarioError(state.problems)
    return _resolve(chain, overrides, state)


def _read_chain(path: Path, state: _State) -> list[tuple[Document, sc.ScenarioFile]]:
    """Read ``path`` and its ``extends`` ancestors, root first; stops at the first broken link."""
    chain: list[tuple[Document, sc.ScenarioFile]] = []
    seen: list[Path] = []
    current: Path | None = path
    while current is not None:
        resolved = current.resolve()
        if resolved in seen:
            cycle = " → ".join(p.name for p in [*seen, resolved][seen.index(resolved):])
            doc = chain[0][0]
            state.problems.append(Problem(doc.file, doc.line(("extends",)), "extends",
                                          f"extends cycle: {cycle}"))
            return []
        seen.append(resolved)
        doc = read_yaml(current)
        if isinstance(doc, Problem):
            state.problems.append(doc)
            return []
        if not isinstance(doc.data, dict):
            kind = type(doc.data).__name__.replace("NoneType", "nothing")
            state.problems.append(Problem(doc.file, 1, "", f"the top level must be a mapping "
                                          f"of keys (name, horizon, events, ...), found a {kind}"))
            return []
        parsed = _validate_file(doc, state)
        parent = doc.data.get("extends")
        if parsed is not None:
            chain.insert(0, (doc, parsed))
        if parent is None:
            break
        nxt = find_scenario(str(parent), relative_to=current.parent)
        if nxt is None:
            state.problems.append(Problem(doc.file, doc.line(("extends",)), "extends",
                                          f"cannot find {parent!r} (a path relative to this "
                                          "file, or the name of a shipped scenario)"))
            return []
        current = nxt
    return chain


def _validate_file(doc: Document, state: _State) -> sc.ScenarioFile | None:
    try:
        return sc.ScenarioFile.model_validate(doc.data)
    except ValidationError as err:
        state.problems.extend(_problems_from(err, doc.data, lambda p: _Origin(doc, p)))
        return None


def _resolve(
    chain: list[tuple[Document, sc.ScenarioFile]], overrides: Sequence[str], state: _State
) -> sc.Scenario:
    leaf_doc, leaf = chain[-1]
    horizon, seed, stochastic, description = None, 0, True, ""
    network_ref: tuple[Document, str] | None = None
    inherited = 0  # events before this index come from files above the one setting the horizon
    for doc, f in chain:
        excluded = set(f.exclude_actors)
        state.events = [(e, o) for e, o in state.events if e["actor"] not in excluded]
        if f.horizon is not None:
            inherited = len(state.events)
        horizon = f.horizon or horizon
        seed = f.seed if f.seed is not None else seed
        stochastic = f.stochastic if f.stochastic is not None else stochastic
        description = f.description or description
        network_ref = (doc, f.network) if f.network else network_ref
        for key, value in doc.data.get("set", {}).items():
            state.sets.append((key, value, _Origin(doc, ("set", key))))
        for i, raw in enumerate(doc.data.get("events", []) or []):
            state.events.append((raw, _Origin(doc, ("events", i))))
    for text in overrides:
        parsed = parse_set_option(text)
        if isinstance(parsed, Problem):
            state.problems.append(parsed)
        else:
            state.sets.append((parsed[0], parsed[1], _Origin(None, (), "--set")))
    if horizon is None:
        state.problems.append(Problem(leaf_doc.file, None, "horizon",
                                      "no horizon in this file or any it extends"))

    net_doc = _network_document(network_ref, state)
    if net_doc is None:
        raise ScenarioError(state.problems)
    tree, meta = split_params(net_doc.data)
    origins: dict[str, _Origin] = {}
    for key, value, origin in state.sets:
        message = _apply_set(tree, meta, key, value)
        if message:
            state.problems.append(origin.problem(key if origin.doc is None else f"set.{key}",
                                                 message))
        else:
            origins[key] = origin
    network = _validate_network(tree, net_doc, origins, state)
    if network is None or horizon is None:
        raise ScenarioError(state.problems)

    events = _validate_events(state.events, network, horizon, state, inherited)
    if state.problems:
        raise ScenarioError(state.problems)
    return sc.Scenario(
        name=leaf.name, description=description or leaf.name, horizon=horizon, seed=seed,
        stochastic=stochastic, network=network, events=tuple(events),
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
            doc = Problem(scen_doc.file, scen_doc.line(("network",)), "network",
                          f"cannot read network file {rel!r}: {doc.message}")
        state.problems.append(doc)
        return None
    if not isinstance(doc.data, dict):
        state.problems.append(Problem(doc.file, 1, "", "a network file must be a mapping"))
        return None
    return doc


def _validate_network(
    tree: dict[str, Any], net_doc: Document, origins: dict[str, _Origin], state: _State
) -> sc.NetworkSpec | None:
    try:
        return sc.NetworkSpec.model_validate(tree)
    except ValidationError as err:
        def origin_of(path: KeyPath) -> _Origin:
            dotted = ".".join(map(str, path))
            for key in sorted(origins, key=len, reverse=True):
                if dotted == key or dotted.startswith(key + ".") or key.startswith(dotted + "."):
                    return origins[key]
            return _Origin(net_doc, path)
        state.problems.extend(_problems_from(err, tree, origin_of))
        return None


def _validate_events(
    raw_events: list[tuple[dict[str, Any], _Origin]], network: sc.NetworkSpec,
    horizon: sc.Horizon, state: _State, inherited: int,
) -> list[Any]:
    """Check events; the first ``inherited`` come from files above the one that set the
    horizon: a child may shorten the horizon, so those are kept if earlier (they are in force
    from the start) and dropped if later, instead of being errors."""
    from pydantic import TypeAdapter

    adapter: TypeAdapter[Any] = TypeAdapter(sc.Event)
    events = [adapter.validate_python(raw) for raw, _ in raw_events]
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
    return (isinstance(node, dict) and bool(node) and set(node) <= PARAM_KEYS
            and ("value" in node or "dist" in node))


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
            dist = _distribution(node)
            if dist is not None:
                entry["dist"] = dist
            meta[dotted] = entry
            return node["value"] if "value" in node else (dist.point if dist else None)
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


def _apply_set(tree: dict[str, Any], meta: dict[str, dict[str, Any]], key: str, value: Any) -> str:
    """Apply one override in place; return an error message, or '' when applied."""
    segs = key.split(".")
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
    if isinstance(value, dict) and not is_param(value) and "dist" not in value:
        plain, sub_meta = split_params(value)
        for k, v in sub_meta.items():
            meta[f"{key}.{k}"] = v
        value = plain
    else:
        for k in [k for k in meta if k == key or k.startswith(key + ".")]:
            del meta[k]
        if isinstance(value, dict):
            plain, sub_meta = split_params({"x": value})
            if "x" in sub_meta:
                meta[key] = sub_meta["x"]
            value = plain["x"]
    node[target_index] = value  # type: ignore[index]
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
        close = difflib.get_close_matches(seg, [str(k) for k in node], n=1)
        hint = f"; did you mean `{'.'.join([*path[:-1], close[0]])}`?" if close else ""
        return f"no such parameter `{where}`{hint}"
    return f"no such parameter `{where}`"


# --- pydantic errors → problems -----------------------------------------------------------------


def _vocabulary() -> list[str]:
    names: set[str] = set()
    for obj in vars(sc).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return sorted(names)


def _problems_from(err: ValidationError, data: Any, origin_of: Any) -> list[Problem]:
    problems: list[Problem] = []
    vocabulary = _vocabulary()
    for e in err.errors(include_url=False):
        path = _data_path(data, e["loc"])
        key = ".".join(map(str, path))
        kind, msg = e["type"], e["msg"]
        if kind == "extra_forbidden":
            close = difflib.get_close_matches(str(path[-1]), vocabulary, n=1, cutoff=0.75)
            msg = "unknown key" + (f"; did you mean `{close[0]}`?" if close else "")
        elif kind == "missing":
            msg = "missing required key"
        elif kind == "value_error" and msg.startswith("Value error, @"):
            # after-validators report "@sub.path: message" lines; place each one
            for line in msg.removeprefix("Value error, ").splitlines():
                sub, _, text = line.removeprefix("@").partition(": ")
                sub_path = (*path, *[int(s) if s.isdigit() else s for s in sub.split(".")])
                problems.append(origin_of(sub_path).problem(".".join(map(str, sub_path)), text))
            continue
        else:
            msg = msg.removeprefix("Value error, ")
            if "input" in e and not isinstance(e["input"], dict | list):
                msg += f" (got {e['input']!r})"
        problems.append(origin_of(path).problem(key, msg))
    return problems


def _data_path(data: Any, loc: tuple[int | str, ...]) -> KeyPath:
    """Map a pydantic loc onto keys of the input, dropping union tags such as ``'close'``."""
    path: list[str | int] = []
    node = data
    for item in loc:
        if isinstance(node, dict) and item in node:
            path.append(item)
            node = node[item]
        elif isinstance(node, list) and isinstance(item, int) and item < len(node):
            path.append(item)
            node = node[item]
        elif isinstance(node, dict | list) or node is None:
            if not isinstance(item, str) or item not in _TAGS:
                path.append(item)
                node = None
    return tuple(path)


_TAGS = frozenset({"close", "reopen", "set_capacity", "set_cost", "discount", "remove_discount",
                   "lift", "note", "float", "int", "str", "bool", "date", "Distribution",
                   "dict[str,any]", "list[any]", "none", "function-after[_check(), Distribution]"})
