"""``set:`` entries and ``--set key=value`` options: a value put at a dotted path of the network,
remembering where each came from so a problem with the merged network names the right line."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from potashsim.errors import Problem
from potashsim.scenario import schema as sc
from potashsim.scenario.introspect import allowed_keys
from potashsim.scenario.messages import Origin
from potashsim.scenario.params import is_param, split_params
from potashsim.scenario.paths import KeyPath, dotted, key_path, slot, walk
from potashsim.scenario.yamlio import Document, parse_value
from potashsim.text import did_you_mean

__all__ = [
    "SetEntry",
    "apply_set",
    "apply_sets",
    "command_line_sets",
    "origin_for",
    "param_problems",
    "parse_set_option",
]

SetEntry = tuple[str, Any, Origin]
"""One override: dotted path, value as written (parameters with provenance allowed), origin."""


def parse_set_option(text: str) -> tuple[str, Any] | Problem:
    """Parse one ``--set key=value``; the value is read as YAML (``11``, ``2030-01-01``)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        return Problem(
            "--set", None, text, "expected key=value, e.g. ports.klaipeda.handling_usd_per_t=11"
        )
    value = parse_value(raw, "--set")
    if isinstance(value, Problem):  # e.g. 2020-02-30: the same words as in a file
        return Problem("--set", None, key, value.message)
    return key, value


def command_line_sets(options: Sequence[str], problems: list[Problem]) -> list[SetEntry]:
    """The ``--set`` options as overrides; an option that is not ``key=value`` is a problem."""
    entries: list[SetEntry] = []
    for text in options:
        parsed = parse_set_option(text)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            entries.append((parsed[0], parsed[1], Origin(None, (), "--set")))
    return entries


def apply_sets(
    tree: dict[str, Any],
    meta: dict[str, dict[str, Any]],
    entries: Sequence[SetEntry],
    problems: list[Problem],
) -> dict[str, Origin]:
    """Apply ``entries`` in order to the plain network ``tree`` and its parameter ``meta``.

    Returns the origin of each key that was set (the last entry wins); an entry that cannot be
    applied is a problem at its own line.
    """
    origins: dict[str, Origin] = {}
    for key, value, origin in entries:
        message = apply_set(tree, meta, key, value)
        if message:
            problems.append(origin.problem(key, message))
        else:
            origins[key] = origin
    return origins


def apply_set(tree: dict[str, Any], meta: dict[str, dict[str, Any]], key: str, value: Any) -> str:
    """Apply one override in place; return an error message, or '' when applied."""
    segs = key.split(".")
    if segs[0] not in tree:  # a set never adds a section of its own
        return _unknown(tree, segs[0], segs[:1])
    parent, depth = walk(tree, segs[:-1])
    if depth < len(segs) - 1:
        return _unknown(parent, segs[depth], segs[: depth + 1])
    where = slot(parent, segs[-1])
    if where is None:
        if isinstance(parent, list):
            return f"{key}: no item {segs[-1]} (the list has {len(parent)} items)"
        return f"{dotted(segs[:-1])} is a value, not a section"
    parent[where] = _replace_meta(meta, key, value)
    return ""


def _replace_meta(meta: dict[str, dict[str, Any]], key: str, value: Any) -> Any:
    """The value replaces what was at ``key``, and so do its provenance and uncertainty: update
    ``meta`` and return the plain value to store."""
    for k in [k for k in meta if k == key or k.startswith(key + ".")]:
        del meta[k]
    if isinstance(value, dict) and not is_param(value) and "dist" not in value:
        plain, sub_meta = split_params(value)
        meta.update({f"{key}.{k}": v for k, v in sub_meta.items()})
        return plain
    if isinstance(value, dict):  # one parameter, e.g. {value: 11, source: C19}
        plain, sub_meta = split_params({"x": value})
        if "x" in sub_meta:
            meta[key] = sub_meta["x"]
        return plain["x"]
    return value


def _unknown(node: Any, seg: str, path: list[str]) -> str:
    """Why ``path`` (ending in ``seg``, which ``node`` lacks) names nothing, and what might."""
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
        if seg in allowed_keys(sc.NetworkSpec, tuple(path)):
            return (
                f"`{where}` is not set in the network, so it has no parts to change: "
                f"set `{where}` as a whole"
            )
    if isinstance(node, list):
        return (
            f"no item {seg} in `{'.'.join(path[:-1])}` (it has {len(node)} items, numbered from 0)"
        )
    return f"no such parameter `{where}`"


def origin_for(path: KeyPath, origins: dict[str, Origin], net_doc: Document) -> tuple[Origin, str]:
    """Where a value of the merged network came from (the last set that touched it, else the
    network file), and the key to show."""
    key_shown = dotted(path)
    for key in sorted(origins, key=len, reverse=True):
        if key_shown == key or key_shown.startswith(key + "."):
            return origins[key], key_shown
        if key.startswith(key_shown + "."):  # a check on a section, caused by this entry
            return origins[key], key
    return Origin(net_doc, path), key_shown


def param_problems(
    meta: dict[str, dict[str, Any]], origins: dict[str, Origin], net_doc: Document
) -> list[Problem]:
    """Invalid uncertain parameters, each at the line of the file or ``set`` that gave it."""
    problems: list[Problem] = []
    for key, entry in meta.items():
        if "error" in entry:
            origin, shown = origin_for(key_path(key), origins, net_doc)
            problems.append(origin.problem(shown, entry["error"]))
    return problems
