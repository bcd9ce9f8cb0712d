"""Replications already run, kept in memory so that a comparison asked again with one scenario
changed simulates only that scenario (the web app's base stays the same while a lever moves).

What is kept is what :func:`potashsim.analysis.experiment.compare` keeps of one replication (its
*part*: the yearly, market and monthly rows inside the comparison's window, and replication 0's
full run). A part depends on nothing but its key, so taking it from here gives the comparison
the very numbers a new run would.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from typing import Any, NamedTuple

__all__ = ["PartKey", "RunCache"]


class PartKey(NamedTuple):
    """What one replication's part depends on."""

    scenario_sha256: str
    """The resolved scenario's hash (:func:`potashsim.scenario.digest.scenario_hash`): it
    includes the granularity, the horizon and every network value."""
    label: str
    """The scenario's name in the comparison (its rows carry it)."""
    replication: int
    seed: int
    window: tuple[dt.date, dt.date]
    shadow_prices: bool
    """Whether replication 0's full run carries its shadow prices."""


class RunCache:
    """At most ``max_parts`` parts, the least recently used dropped first; safe to share
    between threads. Parts are read, never changed, by the comparisons that take them."""

    def __init__(self, max_parts: int = 64) -> None:
        self.max_parts = max_parts
        self._parts: OrderedDict[PartKey, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        """Parts taken from the cache (for benchmarks and tests)."""

    def get(self, key: PartKey) -> dict[str, Any] | None:
        """The part kept under ``key``, or None."""
        with self._lock:
            part = self._parts.get(key)
            if part is not None:
                self._parts.move_to_end(key)
                self.hits += 1
            return part

    def put(self, key: PartKey, part: dict[str, Any]) -> None:
        """Keep ``part`` under ``key``."""
        with self._lock:
            self._parts[key] = part
            self._parts.move_to_end(key)
            while len(self._parts) > self.max_parts:
                self._parts.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._parts)
