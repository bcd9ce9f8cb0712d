"""Parameters with provenance: ``{value: 7, source: C6}``, ``{value: 10, low: 8, high: 12}``,
``{dist: normal, mean: 5, sd: 1}`` in a network file or a ``set`` → plain values, plus what each
one cites and how it is drawn when uncertain."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import TypeAdapter, ValidationError

from potashsim.scenario import schema as sc
from potashsim.scenario.messages import distribution_message
from potashsim.scenario.paths import dotted

__all__ = ["PARAM_KEYS", "is_param", "split_params"]

PARAM_KEYS = frozenset({"value", "source", "estimate", "low", "high", "dist", "mode", "mean", "sd"})


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

    Metadata per dotted path: ``cite`` ("source: C6" or "estimate: ..."), ``dist`` (a
    ``Distribution``) when the parameter is uncertain (``low``/``high`` or ``dist`` given), and
    ``error`` (a message) when that distribution is invalid.
    """
    meta: dict[str, dict[str, Any]] = {}

    def walk(node: Any, path: tuple[str, ...]) -> Any:
        if is_param(node):
            meta[dotted(path)], value = _param(node)
            return value
        if isinstance(node, dict):
            return {k: walk(v, (*path, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*path, str(i))) for i, v in enumerate(node)]
        return node

    return walk(copy.deepcopy(tree), ()), meta


def _param(node: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    """One parameter mapping → (its metadata, its value)."""
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
    if "value" in node:
        return entry, node["value"]
    if dist is not None:
        return entry, dist.point
    return entry, next((node[k] for k in ("mode", "mean", "low", "high") if k in node), None)


_DISTRIBUTION: TypeAdapter[sc.Distribution] = TypeAdapter(sc.Distribution)


def _distribution_fields(node: dict[str, Any]) -> dict[str, Any] | None:
    """What a parameter says of its distribution, as a ``Distribution`` mapping; None if fixed.

    ``{value, low, high}`` is a triangular distribution with the value as its mode (a missing
    ``low`` or ``high`` is the value itself).
    """
    if "dist" in node:
        return {k: node[k] for k in ("dist", "low", "high", "mode", "mean", "sd") if k in node}
    if "low" in node or "high" in node:
        value = node.get("value")
        fields = {"low": node.get("low", value), "mode": value, "high": node.get("high", value)}
        return {"dist": "triangular", **{k: v for k, v in fields.items() if v is not None}}
    return None


def _distribution(node: dict[str, Any]) -> sc.Distribution | None:
    fields = _distribution_fields(node)
    return None if fields is None else _DISTRIBUTION.validate_python(fields)


def _distribution_problem(node: dict[str, Any], err: ValidationError) -> str:
    msg = distribution_message(err, _distribution_fields(node) or {})
    if "dist" not in node:  # {value, low, high}: the value is the distribution's mode
        msg = msg.replace("mode (", "value (").replace("mode should", "value should")
    return f"bad uncertain parameter: {msg}"
