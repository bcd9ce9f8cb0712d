"""Scenario file(s) → validated ``Scenario``, with every problem reported at once.

Resolution order, each later step overriding the earlier:

1. the network data (``network:`` of the nearest file that names one, else the shipped network);
2. the ``extends`` chain from the root scenario down to the named file: ``set`` entries applied in
   that order, events concatenated (``exclude_actors`` drops inherited events of those actors,
   ``exclude_events`` those with the given ids);
3. ``--set key=value`` overrides from the command line: of the network, or of the settings
   ``horizon.start``, ``horizon.end`` and ``stochastic``.

The merged result is validated once more, so an override can never smuggle in an invalid value.
Problems are ``file:line: key.path: message``; a ``ScenarioError`` carries all of them. The steps
live in ``extends`` (the chain), ``overrides`` (``set``), ``params`` (parameters with provenance)
and ``messages`` (pydantic errors → problems); this module puts them together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from potashsim.errors import Problem, ScenarioError
from potashsim.scenario import schema as sc
from potashsim.scenario.extends import Merged, command_line_settings, merge_chain, read_chain
from potashsim.scenario.locate import (
    PACKAGE_NETWORK,
    discover,
    find_scenario,
    scenario_names,
    shipped_scenario_dirs,
)
from potashsim.scenario.messages import Origin, problems_from
from potashsim.scenario.overrides import (
    apply_sets,
    command_line_sets,
    origin_for,
    param_problems,
    parse_set_option,
)
from potashsim.scenario.params import is_param, split_params
from potashsim.scenario.paths import KeyPath, dotted
from potashsim.scenario.yamlio import Document, read_yaml
from potashsim.text import did_you_mean

__all__ = [
    "PACKAGE_NETWORK",
    "discover",
    "find_scenario",
    "is_param",
    "load_scenario",
    "parse_set_option",
    "shipped_scenario_dirs",
    "split_params",
]


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
        known = scenario_names(shipped_scenario_dirs())
        msg = "no such file or shipped scenario"
        msg += did_you_mean(str(ref), known) or (f" (shipped: {', '.join(known)})" if known else "")
        raise ScenarioError([Problem(str(ref), None, "", msg)])
    problems: list[Problem] = []
    chain = read_chain(path, problems)
    if chain is None:
        raise ScenarioError(_ordered(problems))
    merged = merge_chain(chain, problems)
    merged.sets += command_line_settings(merged, command_line_sets(overrides, problems), problems)
    # how the user named it: a shipped name, or the path as given (for "reproduce" commands)
    return _resolve(merged, problems).model_copy(update={"source": str(ref)})


def _resolve(merged: Merged, problems: list[Problem]) -> sc.Scenario:
    """The merged chain and overrides, applied to the network and checked, as a Scenario."""
    if merged.horizon is None and not merged.horizon_broken:
        problems.append(
            # line 1: the file's top, where a horizon (or the `extends:` that brings one) goes
            Problem(merged.leaf.file, 1, "horizon", "no horizon in this file or any it extends")
        )
    net_doc = _network_document(merged.network_ref, problems)
    if net_doc is None:
        raise ScenarioError(_ordered(problems))
    tree, meta = split_params(net_doc.data)
    origins = apply_sets(tree, meta, merged.sets, problems)
    bad_params = param_problems(meta, origins, net_doc)
    problems += bad_params
    # A bad distribution ({dist: normal, mean: .nan}) leaves a bad point value at its key: say
    # what is wrong once, as the distribution's problem.
    said = {(p.file, p.line, p.key) for p in bad_params}
    network_problems: list[Problem] = []
    network = _validate_network(tree, net_doc, origins, network_problems)
    problems += [p for p in network_problems if (p.file, p.line, p.key) not in said]
    # Events are checked even when the network or horizon is broken, so that every problem is
    # reported in one run: targets against the ids the network has, dates only against a
    # horizon that is valid.
    events = _validate_events(
        merged.events,
        network or _ids_only(tree),
        None if merged.horizon_broken else merged.horizon,
        merged.inherited,
        problems,
        unchecked=frozenset() if network is not None else _broken_tables(tree),
    )
    if network is not None and merged.horizon is not None:
        for dotted, message in sc.lag_problems(network, merged.horizon):
            path = tuple(int(s) if s.isdigit() else s for s in dotted.split("."))
            origin, key = origin_for(path, origins, net_doc)
            problems.append(origin.problem(key, message))
    if problems or network is None or merged.horizon is None:
        raise ScenarioError(_ordered(problems))
    return sc.Scenario(
        name=merged.name,
        description=merged.description or merged.name,
        horizon=merged.horizon,
        seed=merged.seed,
        stochastic=merged.stochastic,
        network=network,
        events=tuple(events),
        uncertain={k: v["dist"] for k, v in meta.items() if v.get("dist") is not None},
        provenance={k: v["cite"] for k, v in meta.items() if v.get("cite")},
        expect=merged.expect,
    )


def _ordered(problems: list[Problem]) -> list[Problem]:
    """Problems grouped by file (in order of first appearance), by line within a file."""
    rank: dict[str, int] = {}
    for p in problems:
        rank.setdefault(p.file, len(rank))
    return sorted(problems, key=lambda p: (rank[p.file], p.line or 0))


def _network_document(ref: tuple[Document, str] | None, problems: list[Problem]) -> Document | None:
    """The network file a scenario names (``ref``: the file naming it, and its path as written)
    or the shipped one; None, with the problem added, when it cannot be used."""
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
        problems.append(doc)
        return None
    if not isinstance(doc.data, dict):
        found = "an empty file" if doc.data is None else f"a {type(doc.data).__name__}"
        problems.append(
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
    tree: dict[str, Any], net_doc: Document, origins: dict[str, Origin], problems: list[Problem]
) -> sc.NetworkSpec | None:
    def origin_of(path: KeyPath) -> tuple[Origin, str]:
        return origin_for(path, origins, net_doc)

    try:
        return sc.NetworkSpec.model_validate(tree)
    except ValidationError as err:
        problems += problems_from(err, tree, origin_of, sc.NetworkSpec)
        return None


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


def _broken_tables(tree: Any) -> frozenset[str]:
    """Target kinds (``link``) whose table in a network that failed validation is not even a
    mapping (``--set links=2``): events aimed at them cannot be checked, and saying every one of
    them aims at nothing would blame the events for the override's mistake."""
    tree = tree if isinstance(tree, dict) else {}
    return frozenset(
        kind
        for kind in sc.TARGET_KINDS
        if f"{kind}s" in tree and not isinstance(tree[f"{kind}s"], dict)
    )


_EVENT: TypeAdapter[Any] = TypeAdapter(sc.Event)


def _validate_events(
    raw_events: list[tuple[dict[str, Any], Origin]],
    network: sc.NetworkSpec,
    horizon: sc.Horizon | None,
    inherited: int,
    problems: list[Problem],
    unchecked: frozenset[str] = frozenset(),
) -> list[Any]:
    """Check events; the first ``inherited`` come from files above the one that set the
    horizon: a child may shorten the horizon, so those are kept if earlier (they are in force
    from the start) and dropped if later, instead of being errors. Targets of the kinds in
    ``unchecked`` (a table that is broken) are not looked up."""
    events = [_EVENT.validate_python(raw) for raw, _ in raw_events]
    if horizon is None:  # no valid horizon: check targets only
        horizon = sc.Horizon.model_construct(start=dt.date.min, end=dt.date.max)
    keep = [i for i, e in enumerate(events) if i >= inherited or e.date <= horizon.end]
    for i, fld, msg in sc.event_problems(events, network, horizon):
        if i < inherited and fld == "date":
            continue
        if fld == "target" and events[i].target.partition(":")[0] in unchecked:
            continue
        origin = raw_events[i][1]
        problems.append(origin.problem(f"{dotted(origin.path)}.{fld}", msg))
    return sorted((events[i] for i in keep), key=lambda e: e.date)
