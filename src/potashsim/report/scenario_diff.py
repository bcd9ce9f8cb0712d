"""What each compared scenario is: its description, and what it changes against the base.

Read from the resolved scenarios saved in each run folder (``scenario.resolved.yaml``), so the
report shows exactly what ran: every parameter whose value differs from the base's (a doubled
Klaipeda fee, an extended horizon) and every event one has and the other lacks.
"""

from __future__ import annotations

from typing import Any

__all__ = ["event_differences", "parameter_differences"]


def _flatten(node: Any, path: str = "") -> dict[str, Any]:
    """Leaves of a nested mapping by dotted path (lists by index)."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            out |= _flatten(value, f"{path}.{key}" if path else str(key))
        return out
    if isinstance(node, list):
        out = {}
        for i, value in enumerate(node):
            out |= _flatten(value, f"{path}.{i}")
        return out
    return {path: node}


def parameter_differences(base: dict[str, Any], other: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows ``parameter``, ``base``, ``scenario`` for every network input and setting (horizon,
    seed, stochastic) whose value differs; a missing value shows as None."""
    keys = ("horizon", "seed", "stochastic", "network")
    a = _flatten({k: base.get(k) for k in keys})
    b = _flatten({k: other.get(k) for k in keys})
    return [
        {"parameter": path, "base": a.get(path), "scenario": b.get(path)}
        for path in sorted(set(a) | set(b))
        if a.get(path) != b.get(path)
    ]


def _event_key(event: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(event.get(k, "")) for k in sorted(event) if k not in ("note", "source"))


def _event_row(event: dict[str, Any], change: str) -> dict[str, Any]:
    value = next(
        (
            f"{k} = {event[k]:g}" if isinstance(event[k], float) else f"{k} = {event[k]}"
            for k in (
                "capacity_trains_per_day",
                "capacity_t_per_year",
                "cost_usd_per_t",
                "discount_usd_per_t",
            )
            if event.get(k) is not None
        ),
        "",
    )
    return {
        "change": change,
        "date": event.get("date"),
        "actor": event.get("actor"),
        "action": event.get("action"),
        "target": event.get("target", ""),
        "value": value,
        "id": event.get("id", ""),
    }


def event_differences(base: dict[str, Any], other: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows for the events only the scenario has (``added``) and only the base has
    (``dropped``), by date; notes and sources do not make two events differ."""
    mine = {_event_key(e): e for e in other.get("events") or []}
    theirs = {_event_key(e): e for e in base.get("events") or []}
    rows = [_event_row(e, "added") for k, e in mine.items() if k not in theirs]
    rows += [_event_row(e, "dropped") for k, e in theirs.items() if k not in mine]
    return sorted(rows, key=lambda r: (str(r["date"]), r["change"]))
