"""A resolved scenario's identity: its canonical JSON and the SHA-256 of it.

Two scenarios with the same hash simulate the same thing (the granularity, the horizon and every
network value are part of it), so the hash keys saved results and runs kept in memory.
"""

from __future__ import annotations

import hashlib
import json

from potashsim.scenario.schema import Scenario

__all__ = ["scenario_hash", "scenario_json"]


def scenario_json(scenario: Scenario) -> str:
    """The resolved scenario as JSON with sorted keys: the same scenario, the same text."""
    return json.dumps(scenario.model_dump(mode="json"), sort_keys=True)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 (hex) of :func:`scenario_json`."""
    return hashlib.sha256(scenario_json(scenario).encode()).hexdigest()
