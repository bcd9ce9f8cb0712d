"""The fast movement layer: trains move in daily batches, ships load as a daily flow of lots.

``model.granularity: fast`` replaces the train level's processes (one SimPy process per train
and per ship, :mod:`potashsim.sim.processes`) with one loop over the days of the horizon. Every
other part of a run is the same object doing the same thing: the policy calendar, the mines'
day (:meth:`~potashsim.sim.processes.MineYard.produce`), the dispatcher's plan
(:func:`~potashsim.sim.processes.plan_departures`, so the same planner, prices and price
response), boarding (:func:`~potashsim.sim.processes.board`), the rail sections' token buckets
and random streams (:class:`~potashsim.sim.processes.LinkGate`), the part-lot rule
(:func:`~potashsim.sim.processes.lots_to_release`), and the trace the accounts read.

What differs, and why it is faster:

* A **batch** is the trains of one (route, market) planned to leave on the same day. It runs its
  whole rail leg when it leaves: at each section its trains take that section's tokens in order,
  waiting whole days for them, and it runs the section in one transit time drawn from the
  section's stream (one draw per batch, not per train). A batch therefore books sections a few
  days ahead; a section booked for a later day than a batch reaches it makes that batch wait for
  the section's clock (first come, first served by departure, not by arrival).
* A **port** is a daily step, not a process per ship: ship lots queue for the berths in the order
  they were released, and each berth loads ``loading_t_per_day`` (divided by the day's ice factor)
  a day into the ship at its quay, starting the next lot within the day when one is done.
* No SimPy: with no process per train there is nothing left for an event queue to order, and a
  plain loop over days costs a small fraction of it.

``benchmarks/agreement.py`` measures how far the two layers' yearly exports, revenue, netback
and route shares lie apart on every shipped scenario (docs/performance.md).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.policy import Calendar
from potashsim.sim.processes import (
    DispatchDesk,
    LinkGate,
    MineYard,
    Rail,
    board,
    lots_to_release,
    plan_departures,
    record_export,
)
from potashsim.sim.records import Delivery, RunTrace

__all__ = ["Lot", "PortFlow", "run_flows"]

_EPS = 1e-6


@dataclass(slots=True)
class Lot:
    """A ship lot released at a port: for ``market``, ``tonnes`` of which ``left_t`` are still to
    load once it has a berth."""

    market: str
    tonnes: float
    dispatch_day: int
    terminal_day: int
    released_day: int
    left_t: float = 0.0


@dataclass
class PortFlow:
    """A port at the fast granularity: storage, berths as parallel loaders, and its queues.

    ``ships`` are the lots released and waiting for a berth, first come first served;
    ``at_berth`` the lot at each berth (None: free); ``trains`` the trains waiting for room in
    storage, as (market, dispatch day).
    """

    id: str
    storage_t: float
    level_t: float
    loading_t_per_day: float
    ice_factor: np.ndarray
    voyage_days: dict[str, int]
    lot_t: float
    at_berth: list[Lot | None]
    pending_t: dict[str, float] = field(default_factory=dict)
    ships: deque[Lot] = field(default_factory=deque)
    trains: deque[tuple[str, int]] = field(default_factory=deque)

    @classmethod
    def build(cls, net: NetworkSpec, port_id: str, ice: np.ndarray) -> PortFlow:
        """The port at the horizon start: its initial stock in storage, nothing queued."""
        p = net.ports[port_id]
        return cls(
            id=port_id,
            storage_t=p.storage_t,
            level_t=p.initial_stock_t,
            loading_t_per_day=p.loading_t_per_day,
            ice_factor=ice,
            voyage_days={m: round(lane.voyage_days) for m, lane in net.lanes[p.sea_region].items()},
            lot_t=net.model.ship_lot_t,
            at_berth=[None] * p.berths,
        )

    @property
    def busy(self) -> bool:
        """Whether the port has anything to do without a new train."""
        return bool(self.ships or self.trains or any(self.at_berth))


def run_flows(
    net: NetworkSpec,
    cal: Calendar,
    desk: DispatchDesk,
    yard: MineYard,
    rail: Rail,
    ice: dict[str, np.ndarray],
    trace: RunTrace,
) -> dict[str, float]:
    """Run the horizon at the fast granularity, recording into ``trace`` as the train level does;
    return each port's stock in storage at the end, t.

    Each day, in order: the dispatcher plans (on dispatch days after the first, before the mines'
    day, as at train level), the mines produce, the day's batches board and run their rail leg,
    the trains due at each terminal arrive, and each port loads ships.
    """
    days, period, payload = cal.days, desk.period_days, desk.payload_t
    ports = {k: PortFlow.build(net, k, ice[k]) for k in net.ports}
    onward = {k: round(b.onward_days) for k, b in net.borders.items()}
    # each day's batches by route: [first departure time, {market: trains}]
    due: dict[int, dict[str, Batch]] = {}
    # batches reaching their terminal by day: (terminal, {market: trains}, dispatch day)
    arriving: dict[int, list[tuple[str, dict[str, int], int]]] = {}
    queued = {k: [0] * (days + 1) for k in rail.gates}  # trains waiting at each entry, by day
    legs = {
        r.id: tuple(zip(rail.sections[r.id], (queued[k] for k in r.links), strict=True))
        for r in desk.routes.values()
    }
    active: set[str] = set()

    def plan(day: int) -> None:
        for k, gate in rail.gates.items():
            gate.waiting = queued[k][day]
        for route, market, start in plan_departures(day, cal, desk, yard, rail, trace):
            on_day = due.get(int(start))
            if on_day is None:
                on_day = due[int(start)] = {}
            batch = on_day.get(route)
            if batch is None:  # the route's first train that day sets the batch's start
                batch = on_day[route] = Batch(start)
            trains = batch.trains
            trains[market] = trains.get(market, 0) + 1

    for day in range(days):
        if day % period == 0 and day > 0:
            plan(day)
        yard.produce(day)
        if day == 0:
            plan(day)
        batches = due.pop(day, None)
        if batches:
            for route, batch in batches.items():
                sent = _board(day, route, batch, desk, yard, trace, due)
                if sent:
                    start = max(batch.start, float(day))
                    t = _rail_leg(legs[route], rail.spread, sum(sent.values()), start, days)
                    if t < days:
                        arriving.setdefault(int(t), []).append((route, sent, day))
        arrivals = arriving.pop(day, None)
        if arrivals:
            for terminal, sent, dispatch_day in arrivals:
                port = ports.get(terminal)
                if port is None:
                    for market, n in sent.items():
                        _cross_border(day, terminal, onward[terminal], market, n * payload,
                                      dispatch_day, trace)  # fmt: skip
                    continue
                for market, n in sent.items():
                    port.trains.extend([(market, dispatch_day)] * n)
                _unload(day, port, payload, trace)
                active.add(terminal)
        # ports in the network's order, not the set's: a set of names iterates in an order
        # that varies from process to process (PYTHONHASHSEED), and so would the order of the
        # deliveries and the last bits of the sums taken over them
        for k in [k for k in ports if k in active] if active else ():
            port = ports[k]
            _load_ships(day, port, payload, trace)
            if not port.busy:
                active.discard(k)

    return {k: port.level_t for k, port in ports.items()}


@dataclass(slots=True)
class Batch:
    """The trains of one route due to leave on one day: from ``start`` (days), by market."""

    start: float
    trains: dict[str, int] = field(default_factory=dict)


def _board(
    day: int,
    route: str,
    batch: Batch,
    desk: DispatchDesk,
    yard: MineYard,
    trace: RunTrace,
    due: dict[int, dict[str, Batch]],
) -> dict[str, int]:
    """Board the batch's trains that have a payload in stock, markets in the order planned; the
    rest wait for tomorrow's output (and never leave if tomorrow is past the horizon). Return
    the trains that left, by market (none if the route has closed)."""
    payload, days = desk.payload_t, trace.days
    in_stock = int((sum(yard.stock_t.values()) + _EPS) // payload)
    sent: dict[str, int] = {}
    for market, n in batch.trains.items():
        k = min(n, in_stock)
        in_stock -= k
        if k:
            sent[market] = k
        if k < n:
            if day + 1 >= days:
                desk.committed_t -= payload * (n - k)
            else:
                later = due.setdefault(day + 1, {}).setdefault(route, Batch(day + 1.0))
                later.trains[market] = later.trains.get(market, 0) + n - k
    if not sent or not board(desk, yard, trace, route, day, sum(sent.values())):
        return {}
    return sent


def _rail_leg(
    leg: tuple[tuple[LinkGate, list[int]], ...], spread: float, n: int, t: float, days: int
) -> float:
    """Run ``n`` trains leaving at time ``t`` through the sections of ``leg`` (each with its
    count of trains waiting at the entry by day); return when the last of them reaches the
    terminal (``days`` or later if they are still on the rail at the horizon's end).

    At each section the trains take tokens, waiting whole days for them, as at train level; the
    batch then runs the section in one transit time drawn from its stream.
    """
    for gate, waits in leg:
        arrived = t
        day = first = int(t)
        if day < gate.day:  # the section is booked up to its clock: wait for it
            day = gate.day
        left = n
        while True:
            k = gate.admit(day, left)
            if k:
                entered = t if day == first else float(day)
                gate.entered[day] += k
                gate.wait_days[day] += k * (entered - arrived)
                for d in range(first, day):  # they were at the entry, waiting, on these days
                    waits[d] += k
                left -= k
                if not left:
                    break
            day += 1
            if day >= days:
                for d in range(first, days):
                    waits[d] += left
                return float(days)  # waits at the entry beyond the horizon
        factor = 1.0 + spread * (2.0 * gate.rng.next() - 1.0) if spread else 1.0
        t = entered + gate.transit_days * factor
        if t >= days:
            return t
    return t


def _cross_border(
    day: int,
    border: str,
    onward_days: int,
    market: str,
    tonnes: float,
    dispatch_day: int,
    trace: RunTrace,
) -> None:
    trace.loaded_t[border][day] += tonnes
    delivery = Delivery(dispatch_day, day, day, day + onward_days, border, market, tonnes)
    record_export(trace, delivery)


def _unload(day: int, port: PortFlow, payload: float, trace: RunTrace) -> None:
    """Unload the trains waiting at ``port``, first come first served, while each fits; each
    one's tonnes join its market's pending lot and may release ships (as at train level)."""
    while port.trains and port.storage_t - port.level_t >= payload:
        market, dispatch_day = port.trains.popleft()
        port.level_t += payload
        trace.in_transit_t -= payload
        if port.level_t > trace.port_stock_peak_t.get(port.id, 0.0):
            trace.port_stock_peak_t[port.id] = port.level_t
        port.pending_t[market] = port.pending_t.get(market, 0.0) + payload
        room = port.storage_t - port.level_t
        for lot_market, lot in lots_to_release(port.pending_t, market, port.lot_t, room, payload):
            port.ships.append(Lot(lot_market, lot, dispatch_day, day, day))


def _load_ships(day: int, port: PortFlow, payload: float, trace: RunTrace) -> None:
    """One day of loading: every berth loads its lot, taking the next one in the queue within
    the day when one is done. A lot leaves storage when it gets a berth (letting waiting trains
    unload), and is exported on the day its ship sails."""
    rate = port.loading_t_per_day / float(port.ice_factor[day])
    at_berth = port.at_berth
    for b in range(len(at_berth)):
        budget_days = 1.0
        while True:
            lot = at_berth[b]
            if lot is None:
                if not port.ships:
                    break
                lot = at_berth[b] = port.ships.popleft()
                lot.left_t = lot.tonnes
                port.level_t -= lot.tonnes
                trace.in_transit_t += lot.tonnes
                waited = day + (1.0 - budget_days) - lot.released_day
                trace.ship_wait_days[port.id][day] += waited
                busy = sum(1 for x in at_berth if x is not None)
                if busy > trace.berths_busy_peak.get(port.id, 0):
                    trace.berths_busy_peak[port.id] = busy
                _unload(day, port, payload, trace)  # the lot made room in storage
            need_days = lot.left_t / rate
            if need_days > budget_days:
                lot.left_t -= budget_days * rate
                break
            budget_days -= need_days
            at_berth[b] = None
            _sail(day, port, lot, trace)


def _sail(day: int, port: PortFlow, lot: Lot, trace: RunTrace) -> None:
    trace.loaded_t[port.id][day] += lot.tonnes
    trace.ships_loaded[port.id][day] += 1
    arrives = day + port.voyage_days[lot.market]
    record_export(
        trace,
        Delivery(lot.dispatch_day, lot.terminal_day, day, arrives, port.id, lot.market, lot.tonnes),
    )
