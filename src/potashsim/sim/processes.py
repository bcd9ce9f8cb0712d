"""The actors of the export chain as SimPy generator functions: mines, dispatcher, trains, ships.

Time is in days from the horizon start. Every actor records into ``World.trace``; none of them
prices anything. Trains and ships already under way when a route closes finish their journey
(as the last Klaipeda vessel did, nine days after the rail transit stopped: R14).
Potash counts as exported when its ship sails or its train crosses into China; the buyer
receives it a voyage later, and is paid the price of that day.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from potashsim.errors import SimulationError
from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.dispatch import DispatchProblem, Pair
from potashsim.sim.network import Route
from potashsim.sim.policy import Calendar
from potashsim.sim.records import Delivery, RunTrace

__all__ = ["LinkGate", "Port", "Storage", "Uniforms", "World", "dispatcher", "lead_days", "mines"]

_EPS = 1e-6


@dataclass
class LinkGate:
    """Entry to a rail section: a token bucket refilled with the day's capacity in trains.

    At most ``max(1, capacity)`` tokens are held, so no day admits more than that many trains and
    a section with 0.2 trains a day admits one train every five days. ``entered`` and
    ``wait_days`` count trains and their summed waiting days by the day they entered.
    """

    capacity: list[float]
    transit_days: float
    entered: list[int] = field(default_factory=list)
    wait_days: list[float] = field(default_factory=list)
    tokens: float = 0.0
    day: int = -1
    waiting: int = 0
    """Trains at the entry now, waiting for a slot."""

    def try_enter(self, day: int) -> bool:
        """Take a token on ``day`` if one is there."""
        if day != self.day:
            cap = self.capacity[min(day, len(self.capacity) - 1)]
            gap = day - self.day if self.day >= 0 else 1
            self.tokens = min(max(1.0, cap), self.tokens + cap * gap)
            self.day = day
        if self.tokens >= 1.0 - 1e-9:
            self.tokens -= 1.0
            return True
        return False


class Uniforms:
    """U(0, 1) draws from one stream, drawn in blocks (one numpy call per 4,096 draws)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        """The stream's next draw."""
        if self._i >= len(self._buf):
            self._buf = self._rng.random(4096).tolist()
            self._i = 0
        self._i += 1
        return self._buf[self._i - 1]


class Storage:
    """A port's storage: a level under a capacity. A train unloads at once when its payload fits
    and otherwise waits, first come first served, until ships have taken enough; a ship's lot is
    always in storage when it gets a berth, so taking never waits. No SimPy event unless a train
    has to wait."""

    def __init__(self, env: simpy.Environment, capacity: float, init: float) -> None:
        self.env, self.capacity, self.level = env, capacity, init
        self._waiting: deque[tuple[float, simpy.Event]] = deque()

    def put(self, amount: float) -> simpy.Event | None:
        """Add ``amount`` now (None), or return the event that fires once it has been added."""
        if not self._waiting and self.capacity - self.level >= amount:
            self.level += amount
            return None
        ev = self.env.event()
        self._waiting.append((amount, ev))
        return ev

    def take(self, amount: float) -> None:
        """Remove ``amount`` (a ship lot already in storage) and let waiting trains unload."""
        if amount > self.level + _EPS:
            raise SimulationError(
                f"a ship lot of {amount:,.0f} t is more than the {self.level:,.0f} t in storage"
            )
        self.level -= amount
        while self._waiting and self.capacity - self.level >= self._waiting[0][0]:
            amount, ev = self._waiting.popleft()
            self.level += amount
            ev.succeed()


@dataclass
class Port:
    """A terminal's storage, berths and the tonnes waiting per market for a ship lot."""

    id: str
    storage: Storage
    berths: simpy.Resource
    loading_t_per_day: float
    ice_factor: np.ndarray
    sea_region: str
    pending_t: dict[str, float] = field(default_factory=dict)


@dataclass
class World:
    """What the actors share: the network, the calendar, resources, random streams, the trace."""

    env: simpy.Environment
    net: NetworkSpec
    cal: Calendar
    routes: dict[str, Route]
    prices: dict[str, np.ndarray]
    output_t_per_day: dict[str, np.ndarray]
    mine_stock_t: dict[str, float]
    gates: dict[str, LinkGate]
    ports: dict[str, Port]
    link_rng: dict[str, Uniforms]
    trace: RunTrace
    planner: Callable[[DispatchProblem], dict[tuple[str, str], float]]
    in_transit_t: float = 0.0
    committed_t: float = 0.0
    route_open: dict[str, list[bool]] = field(default_factory=dict)
    """Whether a route (its terminal and every link) is open, by day."""
    leads: dict[tuple[str, str], int] = field(default_factory=dict)
    """Days from dispatch to sale, by (route, market)."""
    carry_t: dict[tuple[str, str], float] = field(default_factory=dict)


def mines(env: simpy.Environment, w: World) -> Generator[Any, Any, None]:
    """Each day: every mine produces into its storage (curtailing what does not fit), then
    domestic buyers take their share, largest stock first."""
    domestic_per_day = w.net.model.domestic_t_per_year / 365.0
    t = w.trace
    output = {k: v.tolist() for k, v in w.output_t_per_day.items()}
    storage = {k: m.storage_t for k, m in w.net.mines.items()}
    produced, curtailed, domestic = [0.0] * w.cal.days, [0.0] * w.cal.days, [0.0] * w.cal.days
    # plain lists are several times faster than numpy for one value at a time; the engine turns
    # them into arrays after the run
    t.produced_t, t.curtailed_t, t.domestic_t = produced, curtailed, domestic  # type: ignore[assignment]
    for day in range(w.cal.days):
        for mid, cap in storage.items():
            planned = output[mid][day]
            made = min(planned, max(0.0, cap - w.mine_stock_t[mid]))
            w.mine_stock_t[mid] += made
            produced[day] += made
            curtailed[day] += planned - made
        domestic[day] = _take(w, domestic_per_day)
        yield env.timeout(1)


def _take(w: World, tonnes: float) -> float:
    """Take up to ``tonnes`` from the mines, largest stock first; return what was taken."""
    stock = w.mine_stock_t
    first = max(stock, key=stock.__getitem__)
    if stock[first] >= tonnes:  # the usual case: the largest stock covers it
        stock[first] -= tonnes
        return tonnes
    taken = 0.0
    for mid in sorted(stock, key=stock.__getitem__, reverse=True):
        part = min(tonnes - taken, w.mine_stock_t[mid])
        w.mine_stock_t[mid] -= part
        taken += part
        if tonnes - taken <= _EPS:
            break
    return taken


def lead_days(net: NetworkSpec, route: Route, market: str) -> int:
    """Expected days from dispatch to sale: rail, then onward rail or about 3 days in port and
    the voyage. Dispatch prices a plan at the sale date."""
    rail = sum(net.links[k].transit_days for k in route.links)
    if route.kind == "border":
        return int(rail + net.borders[route.id].onward_days)
    lane = net.lanes[net.ports[route.id].sea_region][market]
    return int(rail + lane.voyage_days + 3)


def _problem(w: World, day: int, period: int) -> DispatchProblem:
    """The dispatch problem for ``period`` days from ``day``, from the policy in force today."""
    cal, net = w.cal, w.net
    payload = net.model.train_payload_t
    last = cal.days - 1
    pairs: list[Pair] = []
    for r in w.routes.values():
        term_key = f"{r.kind}:{r.id}"
        if not w.route_open[r.id][day]:
            continue
        rail = sum(cal.cost[f"link:{k}"][day] for k in r.links) + cal.cost[term_key][day]
        for m in r.markets:
            if not cal.open[f"market:{m}"][day]:
                continue
            freight = 0.0
            if r.kind == "port":
                lane_key = f"lane:{net.ports[r.id].sea_region}.{m}"
                if not cal.open[lane_key][day]:
                    continue
                freight = cal.cost[lane_key][day]
            sale = min(last, day + w.leads[(r.id, m)])
            netback = w.prices[m][sale] - cal.discount_usd_per_t[m][day] - rail - freight
            pairs.append(Pair(r.id, m, float(netback), r.links))
    end = min(last, day + period - 1)
    produce = sum(float(w.output_t_per_day[k][day : end + 1].sum()) for k in w.net.mines)
    domestic = net.model.domestic_t_per_year / 365.0 * period
    supply = sum(w.mine_stock_t.values()) + produce - domestic - w.committed_t
    # A queue of about a day keeps a section busy despite the spread of arrival times; trains
    # queued beyond that take this period's slots first, so the queue cannot grow for ever.
    links = {}
    for k in net.links:
        cap = float(cal.capacity[f"link:{k}"][day])
        excess = max(0.0, w.gates[k].waiting - max(1.0, cap))
        links[k] = max(0.0, cap * period - excess) * payload
    terminals: dict[str, float] = {}
    for r in w.routes.values():
        cap = float(cal.capacity[f"{r.kind}:{r.id}"][day]) * period / 365.0
        if r.kind == "port":
            port = w.ports[r.id]
            berth_cap = port.berths.capacity * port.loading_t_per_day * period
            cap = min(cap, berth_cap) / float(port.ice_factor[day])
        terminals[r.id] = cap
    markets = {m: spec.demand_t_per_year * period / 365.0 for m, spec in net.markets.items()}
    return DispatchProblem(tuple(pairs), max(0.0, supply), links, terminals, markets)


def dispatcher(env: simpy.Environment, w: World) -> Generator[Any, Any, None]:
    """Every ``dispatch_interval_days``: plan the period, then start whole trains spread over it.

    Fractions of a train are carried to the next period of the same (route, market).
    """
    period = w.net.model.dispatch_interval_days
    payload = w.net.model.train_payload_t
    while True:
        day = int(env.now)
        if day >= w.cal.days:
            return
        plan = w.planner(_problem(w, day, period))
        trains: list[tuple[str, str]] = []
        for key in list(w.carry_t):
            if key not in plan:
                del w.carry_t[key]  # the pair is no longer used: forget its fraction
        for key, tonnes in sorted(plan.items()):
            total = w.carry_t.get(key, 0.0) + tonnes
            n = math.floor(total / payload + 1e-9)
            w.carry_t[key] = total - n * payload
            trains.extend([key] * n)
        spacing = period / max(1, len(trains))
        for i, (route, market) in enumerate(_interleave(trains)):
            w.committed_t += payload
            env.process(_train(env, w, w.routes[route], market, day + i * spacing))
        yield env.timeout(period)


def _interleave(trains: list[tuple[str, str]]) -> list[tuple[str, str]]:
    groups: dict[tuple[str, str], int] = {}
    for k in trains:
        groups[k] = groups.get(k, 0) + 1
    total = len(trains)
    slots = sorted((((i + 0.5) / n, k) for k, n in groups.items() for i in range(n)))
    return [k for _, k in slots][:total]


def _train(
    env: simpy.Environment, w: World, route: Route, market: str, depart: float
) -> Generator[Any, Any, None]:
    """One block train: load at the mine, run each section (waiting for a slot), unload."""
    payload = w.net.model.train_payload_t
    t = w.trace
    if depart > env.now:
        yield env.timeout(depart - env.now)
    while sum(w.mine_stock_t.values()) < payload - _EPS:
        if int(env.now) + 1 >= w.cal.days:
            _cancel(w)
            return
        yield env.timeout(math.floor(env.now) + 1 - env.now)
    day = int(env.now)
    if not w.route_open[route.id][day]:
        _cancel(w)  # the route closed before departure: the cargo stays home
        return
    _take(w, payload)
    w.committed_t -= payload
    w.in_transit_t += payload
    dispatch_day = day
    spread = w.net.model.transit_spread
    days = w.cal.days
    gates, rngs, timeout = w.gates, w.link_rng, env.timeout
    for link_id in route.links:
        gate = gates[link_id]
        arrived = now = env.now
        gate.waiting += 1
        while not gate.try_enter(int(now)):
            yield timeout(math.floor(now) + 1 - now)
            now = env.now
        gate.waiting -= 1
        entered = int(now)
        if entered < days:
            gate.entered[entered] += 1
            gate.wait_days[entered] += now - arrived
        factor = 1.0 + spread * (2.0 * rngs[link_id].next() - 1.0) if spread else 1.0
        yield timeout(gate.transit_days * factor)
    if route.kind == "border":
        # exported when it crosses the border; the buyer receives it ``onward_days`` later
        day = int(env.now)
        if day < w.cal.days:
            t.loaded_t[route.id][day] += payload
            _export(
                w,
                Delivery(
                    dispatch_day,
                    day,
                    day,
                    day + round(w.net.borders[route.id].onward_days),
                    route.id,
                    market,
                    payload,
                ),
            )
        return
    port = w.ports[route.id]
    wait = port.storage.put(payload)
    if wait is not None:
        yield wait
    w.in_transit_t -= payload
    level = port.storage.level
    if level > t.port_stock_peak_t.get(port.id, 0.0):
        t.port_stock_peak_t[port.id] = level
    port.pending_t[market] = port.pending_t.get(market, 0.0) + payload
    lot = w.net.model.ship_lot_t
    while port.pending_t[market] >= lot - _EPS:
        port.pending_t[market] -= lot
        env.process(_ship(env, w, port, market, lot, dispatch_day, int(env.now)))
    # Part-lots of several markets could fill the storage and block every train for good; when
    # the next train would not fit, the largest part-lot sails as it is.
    if port.storage.capacity - port.storage.level < payload:
        part_market = max(port.pending_t, key=lambda k: port.pending_t[k])
        part = port.pending_t[part_market]
        if part > _EPS:
            port.pending_t[part_market] = 0.0
            env.process(_ship(env, w, port, part_market, part, dispatch_day, int(env.now)))


def _cancel(w: World) -> None:
    """A planned train that never leaves: its tonnes are no longer committed."""
    w.committed_t -= w.net.model.train_payload_t


def _ship(
    env: simpy.Environment,
    w: World,
    port: Port,
    market: str,
    lot: float,
    dispatch_day: int,
    terminal_day: int,
) -> Generator[Any, Any, None]:
    """One ship lot: wait for a berth, load (slower in the ice season), sail."""
    t = w.trace
    arrived = env.now
    with port.berths.request() as req:
        yield req
        day = min(int(env.now), w.cal.days - 1)
        t.ship_wait_days[port.id][day] += env.now - arrived
        busy = port.berths.count
        if busy > t.berths_busy_peak.get(port.id, 0):
            t.berths_busy_peak[port.id] = busy
        port.storage.take(lot)
        w.in_transit_t += lot
        yield env.timeout(lot / port.loading_t_per_day * float(port.ice_factor[day]))
    load_day = int(env.now)
    if load_day < w.cal.days:
        t.loaded_t[port.id][load_day] += lot
        t.ships_loaded[port.id][load_day] += 1
        # exported when the ship sails; the buyer receives it after the voyage
        voyage = w.net.lanes[port.sea_region][market].voyage_days
        _export(
            w,
            Delivery(
                dispatch_day, terminal_day, load_day, load_day + round(voyage), port.id, market, lot
            ),
        )


def _export(w: World, d: Delivery) -> None:
    w.in_transit_t -= d.tonnes
    w.trace.deliveries.append(d)
