"""The policy calendar as first written: every change day re-reads every event, and every
measure scans every event for the one that withdraws it (quadratic).

Kept as the reference that the O(events · log events) walk in ``potashsim.sim.policy`` is
checked against on random event lists (tests/test_policy_walk.py). Only the parts that walk
changed are re-implemented here; the calendar with no events, the data's closures and the
layout of the intervals are potashsim's own. Not used by potashsim.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from potashsim.scenario.schema import NetworkSpec, Scenario
from potashsim.sim import policy
from potashsim.sim.policy import Calendar

__all__ = ["build_calendar", "ineffective_events"]

_MEASURES = ("close", "set_capacity", "set_cost", "discount")


def _in_force(events: tuple[Any, ...], day: dt.date) -> list[Any]:
    """Measures in force on ``day``, in date order."""
    active: list[Any] = []
    for ev in events:
        if ev.date > day:
            break
        if ev.action in _MEASURES:
            active.append(ev)
        elif ev.action == "lift":
            active = [m for m in active if m.actor != ev.actor]
        elif ev.action == "reopen":
            active = [
                m
                for m in active
                if not (m.actor == ev.actor and m.action == "close" and m.target == ev.target)
            ]
        elif ev.action == "remove_discount":
            active = [
                m
                for m in active
                if not (m.actor == ev.actor and m.action == "discount" and m.target == ev.target)
            ]
    return active


def ineffective_events(events: tuple[Any, ...] | list[Any]) -> list[str]:
    """Events that change less than they seem to, each with the reason: a withdrawal with no
    measure to withdraw, or a reopening while another actor's closure of the same target holds
    (checked at the end of the day, so simultaneous lifts count together).

    These are legal (the scenario is valid); they are worth a note because they are often not
    what the author meant.
    """
    notes: list[str] = []
    active: list[Any] = []
    ordered = sorted(events, key=lambda e: e.date)
    for day in sorted({e.date for e in ordered}):
        ended_today: list[tuple[str, Any]] = []
        for ev in (e for e in ordered if e.date == day):
            what = f"{ev.date} {ev.actor} {ev.action}" + (
                f" {ev.target}" if getattr(ev, "target", None) else ""
            )
            if ev.action in _MEASURES:
                active.append(ev)
            elif ev.action != "note":
                ended = [m for m in active if _revoked(m, ev)]
                if not ended:
                    notes.append(
                        f"{what}: changes nothing ({ev.actor} has no such measure in force)"
                    )
                active = [m for m in active if m not in ended]
                ended_today += [(what, m) for m in ended if m.action == "close"]
        for what, m in ended_today:
            others = [o for o in active if o.action == "close" and o.target == m.target]
            if others:
                held = ", ".join(f"{o.actor} since {o.date}" for o in others)
                notes.append(f"{what}: {m.target} stays closed, by {held}")
    return notes


def build_calendar(scenario: Scenario, network: NetworkSpec | None = None) -> Calendar:
    """Compute the day-by-day policy state of ``scenario`` (optionally on a realised network)."""
    net = network or scenario.network
    cal, _, _ = policy._base_calendar(scenario, net)
    start, days = cal.start, cal.days
    end = cal.date_of(days - 1)
    events = tuple(sorted(scenario.events, key=lambda e: e.date))
    change_days = sorted({start, *(e.date for e in events if start <= e.date <= end)})
    bounds = [*[(d - start).days for d in change_days], days]

    for (a, b), day in zip(itertools.pairwise(bounds), change_days, strict=True):
        active = _in_force(events, day)
        for m in active:
            if m.action == "close":
                if m.target == "market:all":
                    for k in net.markets:
                        cal.open[f"market:{k}"][a:b] = False
                else:
                    cal.open[m.target][a:b] = False
            elif m.action == "set_capacity":
                cal.capacity[m.target][a:b] = m.value
            elif m.action == "set_cost":
                cal.cost[m.target][a:b] = m.cost_usd_per_t
            elif m.action == "discount":
                markets = list(net.markets) if m.target == "market:all" else [m.target[7:]]
                for k in markets:
                    value = m.discount_usd_per_t
                    if value is None:  # the market's own sourced discount (drawn per replication)
                        value = net.markets[k].sanctions_discount_usd_per_t
                    cal.discount_usd_per_t[k][a:b] += value

    policy._finish(
        cal, events, net, lambda m: next((ev.date for ev in events if _revoked(m, ev)), None)
    )
    return cal


def _revoked(m: Any, ev: Any) -> bool:
    """Whether event ``ev`` ends measure ``m``."""
    if ev.actor != m.actor or ev.date <= m.date:
        return False
    if ev.action == "lift":
        return True
    if ev.action == "reopen":
        return bool(m.action == "close" and m.target == ev.target)
    if ev.action == "remove_discount":
        return bool(m.action == "discount" and m.target == ev.target)
    # a later setting of the same kind on the same target supersedes it
    return (
        ev.action == m.action and m.action in ("set_capacity", "set_cost") and ev.target == m.target
    )
