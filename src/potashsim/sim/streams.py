"""Named random streams: one independent ``numpy.random.Generator`` per component and seed.

A stream is spawned from the run's seed and the component's name (``link:lt_transit``,
``param:ports.klaipeda.storage_t``), not from a shared sequence. Closing one route therefore never
shifts the draws of another, and replication *i* of two scenarios sees the same draws wherever
they share a component: the basis of paired comparisons with common random numbers.
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["replication_seeds", "stream"]


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for component ``name`` under ``seed`` (same inputs, same draws)."""
    key = zlib.crc32(name.encode("utf-8"))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(key,))))


def replication_seeds(root_seed: int, n: int) -> list[int]:
    """Seeds of replications 0..n-1 under ``root_seed`` (replication i: same in every scenario)."""
    children = np.random.SeedSequence(root_seed).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
