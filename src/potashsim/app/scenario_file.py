"""The user's choices in the app, written as a scenario file: the file the app runs and the file
"Download this scenario" gives, so that ``potashsim run`` on it reproduces the app's run.

The file extends the picked scenario and says only what the user changed: the measures switched
off (``exclude_events``), the horizon when it was shortened, and the levers' ``set`` entries,
plus the fast granularity and the seed of the app's run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from potashsim.scenario.schema import MAX_ID_LENGTH, Scenario
from potashsim.sim.streams import replication_seeds

__all__ = ["FAST", "Choices", "base_yaml", "policy_by_actor", "scenario_yaml", "variant_name"]

#: Every run of the app moves trains in daily batches: about ten times faster, same calendar and
#: prices.
FAST = {"model.granularity": "fast"}
_SUFFIX = "_custom"


@dataclass(frozen=True)
class Choices:
    """What the user picked, as the page sends it (plain JSON values)."""

    scenario: str
    """A shipped scenario's name, or the uploaded file's name (``my_case.yaml``)."""
    base: str
    excluded: tuple[str, ...] = ()
    """Ids of the picked scenario's events switched off."""
    sets: Mapping[str, Any] = field(default_factory=dict)
    """The levers' ``set`` entries (:func:`potashsim.app.levers.lever_sets`)."""
    horizon_end: dt.date | None = None
    """A shorter horizon's last day, or None for the picked scenario's own."""
    replications: int = 1
    """Paired replications (the page's default, ``compute.DEFAULT_REPLICATIONS``)."""


def variant_name(scenario: Scenario) -> str:
    """The name of the changed scenario: the picked one's, marked ``_custom``."""
    return scenario.name[: MAX_ID_LENGTH - len(_SUFFIX)] + _SUFFIX


def policy_by_actor(scenario: Scenario) -> dict[str, list[dict[str, Any]]]:
    """The scenario's events by actor, in date order: id (None when the file gave none, so it
    cannot be switched off), date, action and target, for the policy panel."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(scenario.events, key=lambda e: e.date):
        grouped.setdefault(e.actor, []).append(
            {
                "id": e.id,
                "date": e.date.isoformat(),
                "action": e.action,
                "target": getattr(e, "target", "") or "",
            }
        )
    return grouped


def _yaml_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def scenario_yaml(
    choices: Choices, picked: Scenario, base: Scenario, *, extends: str, known_ids: Sequence[str]
) -> str:
    """The scenario file of ``choices``: ``picked`` (reached as ``extends``) with the events of
    ``choices.excluded`` that it has dropped, the horizon cut and the levers set.

    Its ``seed`` is replication 0's seed of the app's comparison (rooted at ``base``'s seed), so
    ``potashsim run`` on the file reproduces the run the app shows for it.
    """
    excluded = [i for i in dict.fromkeys(choices.excluded) if i in set(known_ids)]
    doc: dict[str, Any] = {
        "name": variant_name(picked),
        "description": f"{picked.name} as changed in potashsim serve",
        "extends": extends,
        "seed": replication_seeds(base.seed, 1)[0],
    }
    if choices.horizon_end is not None and choices.horizon_end != picked.horizon.end:
        doc["horizon"] = {
            "start": picked.horizon.start.isoformat(),
            "end": choices.horizon_end.isoformat(),
        }
    if excluded:
        doc["exclude_events"] = excluded
    doc["set"] = {**FAST, **{k: _yaml_value(v) for k, v in choices.sets.items()}}
    head = (
        f"# Made by `potashsim serve`: {picked.name} with the measures and levers chosen there.\n"
        "# `potashsim run THIS_FILE` reproduces the app's run of it (same seed, same numbers).\n"
    )
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def base_yaml(base: Scenario, *, extends: str, horizon_end: dt.date | None) -> str:
    """The base as the app runs it: ``base`` at the fast granularity over the same horizon."""
    doc: dict[str, Any] = {"name": base.name, "extends": extends}
    if horizon_end is not None and horizon_end != base.horizon.end:
        doc["horizon"] = {"start": base.horizon.start.isoformat(), "end": horizon_end.isoformat()}
    doc["set"] = dict(FAST)
    return yaml.safe_dump(doc, sort_keys=False)
