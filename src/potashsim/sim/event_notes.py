"""Events that change less than they seem to: a withdrawal with no measure of its actor to
withdraw (naming the measures of others that still hold), or a reopening while another actor's
closure of the same target holds.

These are legal (the scenario is valid). An event that changes nothing is a warning: it is
seldom what the author meant (``validate --strict`` fails on it). A target that stays closed is
a note: the withdrawal did end its actor's measure, which may be the point. One walk over the
events in date order, O(events · log events).
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from potashsim.scenario.schema import MEASURES

__all__ = ["CHANGES_NOTHING", "STAYS_CLOSED", "EventNote", "ineffective_events"]

CHANGES_NOTHING = "changes nothing"
STAYS_CLOSED = "stays closed"
_SHOWN = 3  # measures named in one warning; the rest are counted
_WITHDRAWS = {"reopen": "close", "remove_discount": "discount"}
_NOUN = {"close": "closure", "discount": "discount"}


@dataclass(frozen=True, slots=True)
class EventNote:
    """One finding: its ``kind`` (:data:`CHANGES_NOTHING` or :data:`STAYS_CLOSED`, so that
    repeated ones can be summarised) and its ``text``, which starts with the event."""

    kind: str
    text: str
    hint: str = ""
    """How to end what still holds (ids to exclude, the reopen to add); shown after ``text``."""

    @property
    def is_warning(self) -> bool:
        """Whether the event changes nothing at all (rather than less than it might seem)."""
        return self.kind == CHANGES_NOTHING

    def __str__(self) -> str:
        return f"{self.text}; {self.hint}" if self.hint else self.text


def ineffective_events(events: tuple[Any, ...] | list[Any]) -> list[EventNote]:
    """The warnings and notes for ``events`` (any order: walked in date order, and in file order
    within a date).

    A withdrawal (``lift``, ``reopen``, ``remove_discount``) ends its actor's matching measures
    dated before it. One that ends none changes nothing; the warning names the measures of other
    actors on the same target that still hold, and how to end them. A closure that ends while
    another actor's closure of the same target holds at the end of that day (so simultaneous
    lifts count together) leaves the target closed.
    """
    walk = _InForce()
    found: list[EventNote] = []
    ordered = sorted(events, key=lambda e: e.date)
    for _, group in itertools.groupby(ordered, key=lambda e: e.date):
        taken: list[Any] = []  # measures of the day, in force once the day's withdrawals are done
        ended_closures: list[tuple[str, Any]] = []
        idle: list[Any] = []  # withdrawals that ended nothing
        for ev in group:
            if ev.action in MEASURES:
                taken.append(ev)
            elif ev.action != "note":
                ended = walk.withdraw(ev)
                if not ended:
                    idle.append(ev)
                ended_closures += [(_what(ev), m) for m in ended if m.action == "close"]
        # what still holds once all the day's withdrawals are done, whatever their order in the
        # file: an EU reopen listed after Latvia's on the same day is not a measure to add
        found += [_changes_nothing(ev, walk) for ev in idle]
        for m in taken:
            walk.add(m)
        for what, m in ended_closures:
            others, count = walk.holding("close", m.target)
            if others:
                held = _listed([f"{o.actor} since {o.date}" for o in others], count)
                text = f"{what}: {m.target} stays closed, by {held}"
                hint = "to open it add " + _fix("reopen", m.target, others)
                found.append(EventNote(STAYS_CLOSED, text, hint))
    return found


class _InForce:
    """Measures in force, indexed by actor and by (actor, action, target) and by target, each in
    date order, so that a withdrawal finds what it ends without scanning the others."""

    def __init__(self) -> None:
        self.by_actor: dict[str, dict[int, Any]] = defaultdict(dict)
        self.by_key: dict[tuple[str, str, str], dict[int, Any]] = defaultdict(dict)
        self.by_target: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)
        self.count = 0

    def add(self, m: Any) -> None:
        n, self.count = self.count, self.count + 1
        self.by_actor[m.actor][n] = m
        self.by_key[(m.actor, m.action, m.target)][n] = m
        self.by_target[(m.action, m.target)][n] = m

    def withdraw(self, ev: Any) -> list[Any]:
        """End and return the measures ``ev`` withdraws, in date order."""
        if ev.action == "lift":
            ended = self.by_actor.pop(ev.actor, {})
        else:
            ended = self.by_key.pop((ev.actor, _WITHDRAWS[ev.action], ev.target), {})
        for n, m in ended.items():
            self.by_actor[m.actor].pop(n, None)
            self.by_key[(m.actor, m.action, m.target)].pop(n, None)
            self.by_target[(m.action, m.target)].pop(n, None)
        return list(ended.values())

    def holding(self, action: str, target: str) -> tuple[list[Any], int]:
        """The first few measures of ``action`` in force on ``target`` (for a market,
        ``market:all`` too), in date order, and how many there are: without copying them all,
        so that thousands of measures on one target cost no more than a few."""
        groups = [self.by_target.get((action, target), {})]
        if target.startswith("market:") and target != "market:all":
            groups.append(self.by_target.get((action, "market:all"), {}))
        first = heapq.merge(*(itertools.islice(g.items(), _SHOWN) for g in groups))
        return [m for _, m in itertools.islice(first, _SHOWN)], sum(len(g) for g in groups)


def _what(ev: Any) -> str:
    target = getattr(ev, "target", None)
    return f"{ev.date} {ev.actor} {ev.action}" + (f" {target}" if target else "")


def _changes_nothing(ev: Any, walk: _InForce) -> EventNote:
    if ev.action == "lift":
        return EventNote(
            CHANGES_NOTHING,
            f"{_what(ev)}: changes nothing ({_named(ev.actor)} has no measure in force)",
        )
    measure = _WITHDRAWS[ev.action]
    noun = _NOUN[measure]
    text = (
        f"{_what(ev)}: changes nothing ({_named(ev.actor)} has no {noun} of {ev.target} in force)"
    )
    holders, count = walk.holding(measure, ev.target)
    if holders:
        named = _listed(
            [f"{_owner(h.actor)} {noun} of {h.target} from {h.date}" for h in holders], count
        )
        text += f"; {named} still {'holds' if count == 1 else 'hold'}; add "
        text += _fix(ev.action, ev.target, holders)
    return EventNote(CHANGES_NOTHING, text)


def _fix(action: str, target: str, holders: list[Any]) -> str:
    """``an EU reopen [of T] [or ...], or exclude_events: [ids]``: the withdrawals by the holders'
    actors that would end their measures on ``target``, and their ids (excluding a measure drops
    it from its first day, not from a later date)."""
    fixes = list(dict.fromkeys((h.actor, h.target) for h in holders))
    fix = " or ".join(
        f"{_article(a)} {a} {action}" + (f" of {t}" if t != target else "")
        for a, t in fixes[:_SHOWN]
    )
    ids = [h.id for h in holders if h.id]
    if ids:
        fix += f", or exclude_events: [{', '.join(ids[:_SHOWN])}] (which drops it from its start)"
    return fix


def _listed(items: list[str], count: int) -> str:
    """The first few of ``count`` items, and how many more."""
    shown = ", ".join(items[:_SHOWN])
    more = count - len(items[:_SHOWN])
    return f"{shown} and {more} more" if more > 0 else shown


def _named(actor: str) -> str:
    return f"the {actor}" if actor in ("EU", "US", "UK") else actor


def _owner(actor: str) -> str:
    return f"{_named(actor)}'s"


def _article(actor: str) -> str:
    return "an" if actor == "EU" or (actor[0] in "AEIO") else "a"
