"""Policy events → who has closed what, which capacities, costs and discounts hold on each day.

Rules (the scenario language's semantics):

* An actor's measure (``close``, ``set_capacity``, ``set_cost``, ``discount``) is in force from its
  date until the same actor withdraws it (``reopen`` / ``remove_discount`` on the same target, or
  ``lift`` of all its measures). Other actors' measures are untouched by that.
* A target is closed while any actor's closure of it is in force.
* Capacity and cost: the latest-dated setting in force wins; with none, the network's value.
* Discounts from different actors add up; ``market:all`` applies to every market.
* Ports and borders open on ``opens_on`` and never if ``built`` is false; a closed mine produces
  nothing.

The result is a day-indexed calendar (numpy arrays over the horizon) for the engine and the
accounts, and a list of intervals for ``explain`` and the timeline chart.

Cost: one walk over the events in date order that updates only the targets an event touches, so
O(events · log events) plus the arrays themselves (targets × days); a withdrawal of discounts
re-adds the later discounts on the market once, to keep their order of summation.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from potashsim.scenario.schema import MEASURES, NetworkSpec, Scenario
from potashsim.sim.event_notes import EventNote, ineffective_events

__all__ = ["Calendar", "EventNote", "Interval", "build_calendar", "ineffective_events"]


@dataclass(frozen=True, slots=True)
class Interval:
    """A state of one target between two dates (both included), and who caused it."""

    kind: str
    target: str
    start: dt.date
    end: dt.date
    state: str  # open, closed, capacity, cost, discount
    value: float | None
    actor: str
    action: str
    source: str


@dataclass
class Calendar:
    """Day-indexed policy state over a horizon; day 0 is ``start``.

    ``open[kind:id]`` is a bool array; ``capacity``/``cost`` hold the value in force (trains a day
    for links, tonnes a year for ports and borders; USD a tonne for costs); ``discount_usd_per_t``
    is per market.
    """

    start: dt.date
    days: int
    open: dict[str, np.ndarray] = field(default_factory=dict)
    capacity: dict[str, np.ndarray] = field(default_factory=dict)
    cost: dict[str, np.ndarray] = field(default_factory=dict)
    discount_usd_per_t: dict[str, np.ndarray] = field(default_factory=dict)
    intervals: list[Interval] = field(default_factory=list)

    def day_of(self, date: dt.date) -> int:
        """Day index of ``date`` (may fall outside 0..days-1)."""
        return (date - self.start).days

    def date_of(self, day: int) -> dt.date:
        """Calendar date of day index ``day``."""
        return self.start + dt.timedelta(days=day)


def build_calendar(scenario: Scenario, network: NetworkSpec | None = None) -> Calendar:
    """Compute the day-by-day policy state of ``scenario`` (optionally on a realised network)."""
    net = network or scenario.network
    events = tuple(sorted(scenario.events, key=lambda e: e.date))
    cal, base_cap, base_cost = _base_calendar(scenario, net)
    _Walk(cal, events, net, base_cap, base_cost).run()
    _finish(cal, events, net, _withdrawals(events))
    return cal


def _base_calendar(
    scenario: Scenario, net: NetworkSpec
) -> tuple[Calendar, dict[str, float], dict[str, float]]:
    """The calendar with no events: everything open, the network's capacities and costs; and
    those capacities and costs by target."""
    start, end = scenario.horizon.start, scenario.horizon.end
    days = (end - start).days + 1
    cal = Calendar(start=start, days=days)
    base_cap: dict[str, float] = {
        f"link:{k}": v.capacity_trains_per_day for k, v in net.links.items()
    }
    base_cap |= {f"port:{k}": v.capacity_t_per_year for k, v in net.ports.items()}
    base_cap |= {f"border:{k}": v.capacity_t_per_year for k, v in net.borders.items()}
    base_cost: dict[str, float] = {f"link:{k}": v.tariff_usd_per_t for k, v in net.links.items()}
    base_cost |= {f"port:{k}": v.handling_usd_per_t for k, v in net.ports.items()}
    base_cost |= {f"border:{k}": v.handling_usd_per_t for k, v in net.borders.items()}
    base_cost |= {
        f"lane:{r}.{m}": lane.freight_usd_per_t
        for r, lanes in net.lanes.items()
        for m, lane in lanes.items()
    }
    targets = [
        *base_cap,
        *(f"lane:{r}.{m}" for r, ls in net.lanes.items() for m in ls),
        *(f"market:{m}" for m in net.markets),
        *(f"mine:{m}" for m in net.mines),
    ]
    for t in targets:
        cal.open[t] = np.ones(days, dtype=bool)
    for t, v in base_cap.items():
        cal.capacity[t] = np.full(days, float(v))
    for t, v in base_cost.items():
        cal.cost[t] = np.full(days, float(v))
    for m in net.markets:
        cal.discount_usd_per_t[m] = np.zeros(days)
    return cal, base_cap, base_cost


def _finish(
    cal: Calendar,
    events: tuple[Any, ...],
    net: NetworkSpec,
    withdrawn: Callable[[Any], dt.date | None],
) -> None:
    """Close what the data keeps closed (terminals not built or not open yet, mines before their
    first output) and list the intervals; ``withdrawn(m)`` is the date measure ``m`` ends, if
    any."""
    start, days = cal.start, cal.days
    for kind, items in (("port", net.ports), ("border", net.borders)):
        for k, item in items.items():
            if not getattr(item, "built", True):
                cal.open[f"{kind}:{k}"][:] = False
            elif item.opens_on is not None:
                cal.open[f"{kind}:{k}"][: max(0, min(days, (item.opens_on - start).days))] = False
    for k, mine in net.mines.items():
        first = (mine.output_schedule[0].from_date - start).days
        cal.open[f"mine:{k}"][: max(0, min(days, first))] = False
    cal.intervals = _intervals(cal, events, net, withdrawn)


class _Walk:
    """The measures in force, updated event by event in date order, written into ``cal``.

    Each event touches only its own target's state (a lift, its actor's measures), and the
    arrays of a target are written once per change of its state, so the walk costs
    O(events · log events) whatever the number of change days. The state on a day is the state
    after every event dated up to that day, in date order and within a date in file order: what
    re-reading all the events up to each change day gives, computed once.
    """

    def __init__(
        self,
        cal: Calendar,
        events: tuple[Any, ...],
        net: NetworkSpec,
        base_cap: dict[str, float],
        base_cost: dict[str, float],
    ) -> None:
        self.cal, self.events, self.net = cal, events, net
        self.base = {"capacity": base_cap, "cost": base_cost}
        self.alive = [False] * len(events)
        self.by_actor: dict[str, dict[int, None]] = defaultdict(dict)  # in date order
        self.withdrawable: dict[tuple[str, str, str], list[int]] = defaultdict(list)
        self.closures: Counter[str] = Counter()  # closures in force by target
        # settings by target in date order; the last one in force wins (dead ones popped lazily)
        self.settings: dict[tuple[str, str], list[int]] = defaultdict(list)
        # discounts in force by market, in date order, with their running sum: the calendar's
        # discount is that sum taken in this order, as adding them one by one gives it
        self.discounts: dict[str, tuple[list[int], list[float], list[float]]] = {
            k: ([], [], []) for k in net.markets
        }
        self.dirty: set[tuple[str, str]] = set()
        self.changes: dict[tuple[str, str], list[tuple[int, Any]]] = defaultdict(list)

    def run(self) -> None:
        """Walk the events, then write every target's changes into the calendar's arrays."""
        cal = self.cal
        end = cal.date_of(cal.days - 1)
        index = 0
        for date, group in itertools.groupby(self.events, key=lambda e: e.date):
            if date > end:
                break
            if date >= cal.start and self.dirty:
                self._flush(0)  # measures taken before the start hold from day 0
            for ev in group:
                self._apply(index, ev)
                index += 1
            if date >= cal.start:
                self._flush(cal.day_of(date))
        if self.dirty:
            self._flush(0)
        for (table, key), points in self.changes.items():
            array = getattr(cal, table)[key]
            for (a, value), (b, _) in itertools.pairwise([*points, (cal.days, None)]):
                array[a:b] = value

    def _apply(self, i: int, ev: Any) -> None:
        if ev.action in MEASURES:
            self._start(i, ev)
        elif ev.action == "lift":
            self._end(list(self.by_actor[ev.actor]))
        elif ev.action in ("reopen", "remove_discount"):
            ended = self.withdrawable.pop((ev.actor, ev.action, ev.target), [])
            self._end([j for j in ended if self.alive[j]])

    def _start(self, i: int, m: Any) -> None:
        self.alive[i] = True
        self.by_actor[m.actor][i] = None
        if m.action == "close":
            self.closures[m.target] += 1
            self.withdrawable[(m.actor, "reopen", m.target)].append(i)
            self._touch_open(m.target)
        elif m.action == "discount":
            self.withdrawable[(m.actor, "remove_discount", m.target)].append(i)
            for k in self._markets(m.target):
                ids, values, sums = self.discounts[k]
                ids.append(i)
                values.append(self._discount(m, k))
                sums.append((sums[-1] if sums else 0.0) + values[-1])
                self.dirty.add(("discount_usd_per_t", k))
        else:
            table = "capacity" if m.action == "set_capacity" else "cost"
            self.settings[(table, m.target)].append(i)
            self.dirty.add((table, m.target))

    def _end(self, ended: list[int]) -> None:
        """End the measures ``ended`` (in force, in date order), withdrawn by one event."""
        gone: dict[str, set[int]] = defaultdict(set)  # discounts ended, by market
        for i in ended:
            m = self.events[i]
            self.alive[i] = False
            del self.by_actor[m.actor][i]
            if m.action == "close":
                self.closures[m.target] -= 1
                self._touch_open(m.target)
            elif m.action == "discount":
                for k in self._markets(m.target):
                    gone[k].add(i)
            else:
                self.dirty.add(("capacity" if m.action == "set_capacity" else "cost", m.target))
        for k, out in gone.items():
            # drop them in one pass and re-add the later ones in their order, so that the sum is
            # what adding the remaining discounts one by one gives
            ids, values, sums = self.discounts[k]
            pos = bisect.bisect_left(ids, min(out))
            kept = [(n, v) for n, v in zip(ids[pos:], values[pos:], strict=True) if n not in out]
            del ids[pos:], values[pos:], sums[pos:]
            total = sums[-1] if sums else 0.0
            for n, v in kept:
                total += v
                ids.append(n)
                values.append(v)
                sums.append(total)
            self.dirty.add(("discount_usd_per_t", k))

    def _touch_open(self, target: str) -> None:
        if target.startswith("market:"):
            self.dirty.update(("open", f"market:{k}") for k in self._markets(target))
        else:
            self.dirty.add(("open", target))

    def _markets(self, target: str) -> list[str]:
        return list(self.net.markets) if target == "market:all" else [target[7:]]

    def _discount(self, m: Any, market: str) -> float:
        if m.discount_usd_per_t is None:  # the market's own sourced discount (drawn per run)
            return float(self.net.markets[market].sanctions_discount_usd_per_t)
        return float(m.discount_usd_per_t)

    def _value(self, table: str, key: str) -> Any:
        """The state of ``key`` in ``table`` after the events walked so far."""
        if table == "open":
            return not (
                self.closures[key] or (key.startswith("market:") and self.closures["market:all"])
            )
        if table == "discount_usd_per_t":
            sums = self.discounts[key][2]
            return sums[-1] if sums else 0.0
        stack = self.settings[(table, key)]
        while stack and not self.alive[stack[-1]]:
            stack.pop()
        if not stack:
            return float(self.base[table][key])
        m = self.events[stack[-1]]
        return m.value if table == "capacity" else m.cost_usd_per_t

    def _flush(self, day: int) -> None:
        for table, key in self.dirty:
            points = self.changes[(table, key)]
            if points and points[-1][0] == day:
                points.pop()
            points.append((day, self._value(table, key)))
        self.dirty.clear()


def _withdrawals(events: tuple[Any, ...]) -> Callable[[Any], dt.date | None]:
    """For ``events`` in date order: the date each measure ends, if it does. A measure ends with
    the first later event of its actor that withdraws it: a lift, a reopen of a closed target, a
    removal of a discount, or a new setting of the same kind on the same target."""
    ending = {"close": "reopen", "discount": "remove_discount"}
    enders: dict[tuple[str, str, str | None], list[dt.date]] = defaultdict(list)
    for ev in events:  # date order, so each list is sorted
        if ev.action not in ("note", "close", "discount"):
            enders[(ev.actor, ev.action, getattr(ev, "target", None))].append(ev.date)

    def withdrawn(m: Any) -> dt.date | None:
        keys = [(m.actor, "lift", None), (m.actor, ending.get(m.action, m.action), m.target)]
        later = [enders[key] for key in keys if key in enders]
        return min(
            (dates[n] for dates in later if (n := bisect.bisect_right(dates, m.date)) < len(dates)),
            default=None,
        )

    return withdrawn


def _intervals(
    cal: Calendar,
    events: tuple[Any, ...],
    net: NetworkSpec,
    withdrawn: Callable[[Any], dt.date | None],
) -> list[Interval]:
    """One interval per measure while it is in force, plus closures that come from the data
    (terminals not built or not yet open)."""
    end = cal.date_of(cal.days - 1)
    out: list[Interval] = []
    state = {
        "close": "closed",
        "set_capacity": "capacity",
        "set_cost": "cost",
        "discount": "discount",
    }
    for m in events:
        if m.action not in state or m.date > end:
            continue
        stop = withdrawn(m)
        last = min(end, stop - dt.timedelta(days=1)) if stop else end
        value = (
            m.value
            if m.action == "set_capacity"
            else m.cost_usd_per_t
            if m.action == "set_cost"
            else m.discount_usd_per_t
            if m.action == "discount"
            else None
        )
        kind, _, ident = m.target.partition(":")
        out.append(
            Interval(
                kind,
                ident,
                max(m.date, cal.start),
                last,
                state[m.action],
                None if value is None else float(value),
                m.actor,
                m.action,
                m.source or "",
            )
        )
    for kind, items in (("port", net.ports), ("border", net.borders)):
        for k, item in items.items():
            if not getattr(item, "built", True):
                out.append(Interval(kind, k, cal.start, end, "closed", None, "", "not built", ""))
            elif item.opens_on is not None and item.opens_on > cal.start:
                out.append(
                    Interval(
                        kind,
                        k,
                        cal.start,
                        min(end, item.opens_on - dt.timedelta(days=1)),
                        "closed",
                        None,
                        "",
                        "opens later",
                        "",
                    )
                )
    out.sort(key=lambda i: (i.start, i.kind, i.target, i.actor))
    return out
