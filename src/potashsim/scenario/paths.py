"""Dotted paths into nested mappings and lists: ``ports.klaipeda.handling_usd_per_t``,
``mines.belaruskali.output_schedule.0.output_t_per_year``.

The one way potashsim reads and writes a parameter by its path: ``set``/``--set`` overrides,
the per-replication draw of uncertain parameters, and the parameter table. A segment names a
key of a mapping, or the item of a list by its index from 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["MISSING", "KeyPath", "assign", "child", "dotted", "get", "key_path", "slot", "walk"]

KeyPath = tuple[str | int, ...]
"""A path as keys and list indices, e.g. ``("events", 0, "date")``."""

MISSING: Any = object()
"""What :func:`child` returns where the path leads nowhere (``None`` is a value)."""


def dotted(path: Iterable[str | int]) -> str:
    """``("events", 0, "date")`` → ``"events.0.date"``."""
    return ".".join(map(str, path))


def key_path(text: str) -> KeyPath:
    """``"events.0.date"`` → ``("events", 0, "date")``: digit segments become list indices."""
    return tuple(int(s) if s.isdigit() else s for s in text.split("."))


def slot(node: Any, segment: str) -> str | int | None:
    """Where ``segment`` points in ``node``: the key of a mapping (present or not), the index of
    an existing list item, or None (past the end of a list, not a number, or ``node`` a value)."""
    if isinstance(node, dict):
        return segment
    if isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
        return int(segment)
    return None


def child(node: Any, segment: str) -> Any:
    """The value ``segment`` names in ``node``, or :data:`MISSING`."""
    where = slot(node, segment)
    if where is None or (isinstance(node, dict) and where not in node):
        return MISSING
    return node[where]


def walk(tree: Any, segments: Sequence[str]) -> tuple[Any, int]:
    """Follow ``segments`` from ``tree`` as far as they lead.

    Returns the last node reached and how many segments led to it: ``len(segments)`` when the
    whole path exists, else the index of the first segment that names nothing.
    """
    node = tree
    for depth, segment in enumerate(segments):
        nxt = child(node, segment)
        if nxt is MISSING:
            return node, depth
        node = nxt
    return node, len(segments)


def get(tree: Any, path: str) -> Any:
    """The value at dotted ``path``; KeyError (naming the path) when it leads nowhere."""
    segments = path.split(".")
    node, depth = walk(tree, segments)
    if depth < len(segments):
        raise KeyError(path)
    return node


def assign(tree: Any, path: str, value: Any) -> None:
    """Set the value at dotted ``path`` in place.

    Everything above the last segment must exist; the last may add a key to a mapping but must
    name an existing item of a list. KeyError (naming the path) otherwise.
    """
    *head, last = path.split(".")
    parent, depth = walk(tree, head)
    where = slot(parent, last) if depth == len(head) else None
    if where is None:
        raise KeyError(path)
    parent[where] = value
