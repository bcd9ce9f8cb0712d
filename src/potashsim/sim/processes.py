"""The actors of the export chain as SimPy generator functions, each with the state it owns.

``MineYard`` (stocks, output) is the mines' state, ``Rail`` (section gates and their random
streams) the railway's, ``Port`` and ``Border`` the terminals', and ``DispatchDesk`` (routes open
by day, lead times, tonnes committed, fractions of trains carried) the dispatcher's. Every actor
records into the ``RunTrace`` as it goes (``in_transit_t`` included); ``record`` methods add each
state's own records after the run. None of them prices anything.

Time is in days from the horizon start. Trains and ships already under way when a route closes
finish their journey (as the last Klaipeda vessel did, nine days after the rail transit stopped:
R14). Potash counts as exported when its ship sails or its train crosses into China; the buyer
receives it a voyage later, and is paid the price of that day.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy

from potashsim.errors import SimulationError
from potashsim.scenario.schema import NetworkSpec
from potashsim.sim import dispatch
from potashsim.sim.compiled import compiled
from potashsim.sim.dispatch import DispatchProblem, Pair, PairTable, Plan, step_key
from potashsim.sim.market import COMMITTED, PriceBook, tranches, window_sums
from potashsim.sim.movement import TOKEN_TOL, link_room, offered_t, refill
from potashsim.sim.network import Route
from potashsim.sim.policy import Calendar
from potashsim.sim.records import Delivery, RunTrace
from potashsim.sim.streams import stream

__all__ = [
    "Border",
    "DispatchDesk",
    "LinkGate",
    "MineYard",
    "Port",
    "Rail",
    "Storage",
    "Uniforms",
    "board",
    "build_terminals",
    "dispatcher",
    "ice_factors",
    "lead_days",
    "lots_to_release",
    "mines",
    "plan_departures",
    "plan_trains",
    "port_stocks",
    "record_export",
]

_EPS = 1e-6
# Contract tonnes were sold when the contract was signed: the planner ranks them before every spot
# sale by adding this to their netback. It only orders the plan; the accounts never see it.
COMMITTED_PRIORITY_USD_PER_T = 10_000.0

# -- mines ------------------------------------------------------------------------------------


@dataclass
class MineYard:
    """The mines' stocks and planned output, and what they produced, curtailed and sold at home.

    ``output_t_per_day`` is the planned output (0 on days a mine is closed); the three daily
    records are plain lists during a train-level run (several times faster than numpy for one
    value at a time), the fast layer's arrays after a fast run (:mod:`potashsim.sim.flows`), and
    become the trace's arrays in ``record``.
    """

    output_t_per_day: dict[str, np.ndarray]
    storage_t: dict[str, float]
    stock_t: dict[str, float]
    domestic_t_per_day: float
    produced_t: list[float] | np.ndarray
    curtailed_t: list[float] | np.ndarray
    domestic_t: list[float] | np.ndarray
    output_lists: dict[str, list[float]] = field(default_factory=dict)
    """``output_t_per_day`` as lists, read one value at a time by :meth:`produce`."""
    period_output: list[float] = field(default_factory=list)
    """The planned output of each dispatch period, t (:meth:`output_in_period`)."""

    @classmethod
    def build(cls, net: NetworkSpec, cal: Calendar) -> MineYard:
        """The mines at the horizon start: initial stocks, output from the schedule and policy."""
        days = cal.days
        return cls(
            output_t_per_day={k: _daily_output(net, cal, k) for k in net.mines},
            storage_t={k: m.storage_t for k, m in net.mines.items()},
            stock_t={k: m.initial_stock_t for k, m in net.mines.items()},
            domestic_t_per_day=net.model.domestic_t_per_year / 365.0,
            produced_t=[0.0] * days,
            curtailed_t=[0.0] * days,
            domestic_t=[0.0] * days,
        )

    def produce(self, day: int) -> None:
        """One day at the mines: every mine produces into its storage (curtailing what does not
        fit), then domestic buyers take their share, largest stock first."""
        if not self.output_lists:
            self.output_lists = {k: v.tolist() for k, v in self.output_t_per_day.items()}
        stock, output = self.stock_t, self.output_lists
        produced, curtailed = self.produced_t[day], self.curtailed_t[day]
        for mid, cap in self.storage_t.items():
            planned = output[mid][day]
            made = min(planned, max(0.0, cap - stock[mid]))
            stock[mid] += made
            produced += made  # summed in the same order as the day's records always were
            curtailed += planned - made
        self.produced_t[day], self.curtailed_t[day] = produced, curtailed
        self.domestic_t[day] = self.take(self.domestic_t_per_day)

    def output_in_period(self, day: int, period: int, days: int) -> float:
        """The mines' planned output, t, in the ``period`` days from ``day`` (a multiple of
        ``period``; the horizon has ``days``): each mine's summed as numpy sums, the mines as
        ``sum`` adds them. Computed for every period at once, on the first call (a run plans with
        one ``period``)."""
        if not self.period_output:
            output = np.zeros((len(self.output_t_per_day), days))
            for i, out in enumerate(self.output_t_per_day.values()):
                output[i] = out
            self.period_output = [sum(m) for m in window_sums(output, period).tolist()]
        assert day % period == 0  # the dispatcher plans every period from day 0
        return self.period_output[day // period]

    def take(self, tonnes: float) -> float:
        """Take up to ``tonnes`` from the mines, largest stock first; return what was taken."""
        stock = self.stock_t
        first = max(stock, key=stock.__getitem__)
        if stock[first] >= tonnes:  # the usual case: the largest stock covers it
            stock[first] -= tonnes
            return tonnes
        taken = 0.0
        for mid in sorted(stock, key=stock.__getitem__, reverse=True):
            part = min(tonnes - taken, stock[mid])
            stock[mid] -= part
            taken += part
            if tonnes - taken <= _EPS:
                break
        return taken

    def record(self, trace: RunTrace) -> None:
        """Write the daily production records and the end stocks (``mine:<id>``) to ``trace``."""
        trace.produced_t = np.asarray(self.produced_t, dtype=float)
        trace.curtailed_t = np.asarray(self.curtailed_t, dtype=float)
        trace.domestic_t = np.asarray(self.domestic_t, dtype=float)
        trace.end_stock_by_place_t |= {f"mine:{k}": v for k, v in self.stock_t.items()}


def _daily_output(net: NetworkSpec, cal: Calendar, mine_id: str) -> np.ndarray:
    """Planned output of a mine, t a day: its schedule's step in force, 0 while it is closed."""
    mine = net.mines[mine_id]
    out = np.zeros(cal.days)
    for step in mine.output_schedule:
        a = max(0, cal.day_of(step.from_date))
        if a < cal.days:
            out[a:] = step.output_t_per_year / 365.0
    out[~cal.open[f"mine:{mine_id}"]] = 0.0
    return out


def mines(env: simpy.Environment, yard: MineYard) -> Generator[Any, Any, None]:
    """Each day: the mines' day (:meth:`MineYard.produce`)."""
    for day in range(len(yard.produced_t)):
        yard.produce(day)
        yield env.timeout(1)


# -- rail -------------------------------------------------------------------------------------


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

    def take(self, n: int) -> np.ndarray:
        """The stream's next ``n`` draws, as ``n`` calls of :meth:`next` would give them (a
        generator's draws are the same however they are split into calls)."""
        rest = self._buf[self._i : self._i + n]
        self._i += len(rest)
        if len(rest) == n:
            return np.array(rest, dtype=float)
        return np.concatenate([np.array(rest, dtype=float), self._rng.random(n - len(rest))])


@dataclass
class LinkGate:
    """Entry to a rail section: a token bucket refilled with the day's capacity in trains.

    At most ``max(1, capacity)`` tokens are held, so no day admits more than that many trains and
    a section with 0.2 trains a day admits one train every five days. ``rng`` is the section's
    own stream of transit-time draws. ``entered`` and ``wait_days`` count trains and their summed
    waiting days by the day they entered (lists during a train-level run, the fast layer's arrays
    after a fast run).
    """

    capacity: list[float]
    transit_days: float
    rng: Uniforms
    entered: list[int] | np.ndarray = field(default_factory=list)
    wait_days: list[float] | np.ndarray = field(default_factory=list)
    tokens: float = 0.0
    day: int = -1
    waiting: int = 0
    """Trains at the entry now, waiting for a slot."""

    def try_enter(self, day: int) -> bool:
        """Take a token on ``day`` if one is there."""
        if day != self.day:
            cap = self.capacity[min(day, len(self.capacity) - 1)]
            self.tokens = refill(self.tokens, self.day, day, cap)
            self.day = day
        if self.tokens >= 1.0 - TOKEN_TOL:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class Rail:
    """The rail sections' gates (by link id) and each route's sections in running order.

    ``spread`` is the relative spread of transit times (``model.transit_spread``).
    """

    gates: dict[str, LinkGate]
    sections: dict[str, tuple[LinkGate, ...]]
    spread: float
    days: int

    @classmethod
    def build(cls, net: NetworkSpec, cal: Calendar, seed: int, routes: dict[str, Route]) -> Rail:
        """Gates with the calendar's capacities; one random stream per link under ``seed``."""
        days = cal.days
        gates = {
            k: LinkGate(
                capacity=cal.capacity[f"link:{k}"].tolist(),
                transit_days=link.transit_days,
                rng=Uniforms(stream(seed, f"link:{k}")),
                entered=[0] * days,
                wait_days=[0.0] * days,
            )
            for k, link in net.links.items()
        }
        sections = {r.id: tuple(gates[k] for k in r.links) for r in routes.values()}
        return cls(gates, sections, net.model.transit_spread, days)

    def record(self, trace: RunTrace) -> None:
        """Write trains entered and their waiting days per link and day to ``trace``."""
        for k, gate in self.gates.items():
            trace.trains_entered[k] = np.asarray(gate.entered, dtype=float)
            trace.train_wait_days[k] = np.asarray(gate.wait_days, dtype=float)


# -- terminals --------------------------------------------------------------------------------


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
    """A terminal's storage and berths, and the tonnes waiting per market for a ship lot.

    ``ice_factor`` multiplies loading times by day (1 outside the ice season); ``voyage_days``
    is the sea voyage by market; ships sail with ``lot_t`` tonnes (or a part-lot, see
    :func:`lots_to_release`).
    """

    id: str
    storage: Storage
    berths: simpy.Resource
    loading_t_per_day: float
    ice_factor: np.ndarray
    sea_region: str
    voyage_days: dict[str, float]
    lot_t: float
    pending_t: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Border:
    """A rail border crossing: the buyer receives the potash ``onward_days`` after it crosses."""

    id: str
    onward_days: float


def build_terminals(
    env: simpy.Environment, net: NetworkSpec, ice: dict[str, np.ndarray]
) -> dict[str, Port | Border]:
    """Every port (storage at its initial stock, its berths) and border crossing, by id;
    ``ice`` is each port's loading-time factor by day (:func:`ice_factors`)."""
    terminals: dict[str, Port | Border] = {}
    for k, p in net.ports.items():
        terminals[k] = Port(
            k,
            Storage(env, p.storage_t, p.initial_stock_t),
            simpy.Resource(env, capacity=p.berths),
            p.loading_t_per_day,
            ice[k],
            p.sea_region,
            {m: lane.voyage_days for m, lane in net.lanes[p.sea_region].items()},
            net.model.ship_lot_t,
        )
    for k, b in net.borders.items():
        terminals[k] = Border(k, b.onward_days)
    return terminals


def port_stocks(terminals: dict[str, Port | Border]) -> dict[str, float]:
    """Each port's stock in storage now, t."""
    return {k: p.storage.level for k, p in terminals.items() if isinstance(p, Port)}


def ice_factors(net: NetworkSpec, cal: Calendar) -> dict[str, np.ndarray]:
    """Each port's loading-time factor by day (:func:`_ice`)."""
    return {k: _ice(net, cal, k) for k in net.ports}


def _ice(net: NetworkSpec, cal: Calendar, port_id: str) -> np.ndarray:
    """Loading-time factor of a port by day: ``turnaround_factor`` in its ice season, else 1."""
    ice = net.ports[port_id].ice
    factor = np.ones(cal.days)
    if ice is not None:
        dates = np.datetime64(cal.start, "D") + np.arange(cal.days)
        months = dates.astype("datetime64[M]")
        md = (months.astype(int) % 12 + 1) * 100 + (dates - months).astype(int) + 1
        lo = int(ice.start_month_day.replace("-", ""))
        hi = int(ice.end_month_day.replace("-", ""))
        active = (md >= lo) & (md <= hi) if lo <= hi else (md >= lo) | (md <= hi)
        factor[active] = ice.turnaround_factor
    return factor


def _cross_border(
    day: int, border: Border, trace: RunTrace, market: str, payload_t: float, dispatch_day: int
) -> None:
    """A train at the border on ``day`` is exported; the buyer receives it ``onward_days``
    later."""
    if day < trace.days:
        trace.loaded_t[border.id][day] += payload_t
        arrives = day + round(border.onward_days)
        delivery = Delivery(dispatch_day, day, day, arrives, border.id, market, payload_t)
        record_export(trace, delivery)


def lots_to_release(
    pending_t: dict[str, float], market: str, lot_t: float, room_t: float, payload_t: float
) -> list[tuple[str, float]]:
    """The ship lots a port starts after a train for ``market`` unloaded: every full lot pending
    for ``market``, then, when the next train (``payload_t``) would not fit in the ``room_t``
    left in storage, the largest part-lot as it is. Takes them out of ``pending_t``."""
    lots: list[tuple[str, float]] = []
    while pending_t[market] >= lot_t - _EPS:
        pending_t[market] -= lot_t
        lots.append((market, lot_t))
    if room_t < payload_t:
        part_market = max(pending_t, key=pending_t.__getitem__)
        part = pending_t[part_market]
        if part > _EPS:
            pending_t[part_market] = 0.0
            lots.append((part_market, part))
    return lots


def _ship(
    env: simpy.Environment,
    arrived: float,
    port: Port,
    trace: RunTrace,
    market: str,
    lot: float,
    dispatch_day: int,
) -> Generator[Any, Any, None]:
    """One ship lot, started at time ``arrived`` (``env.now``): wait for a berth, load (slower
    in the ice season), sail. Like a train (:func:`_train`), it keeps the time itself after a
    timeout."""
    with port.berths.request() as req:
        yield req
        now = env.now
        day = min(int(now), trace.days - 1)
        trace.ship_wait_days[port.id][day] += now - arrived
        busy = port.berths.count
        if busy > trace.berths_busy_peak.get(port.id, 0):
            trace.berths_busy_peak[port.id] = busy
        port.storage.take(lot)
        trace.in_transit_t += lot
        delay = lot / port.loading_t_per_day * float(port.ice_factor[day])
        yield env.timeout(delay)
    load_day = int(now + delay)
    if load_day < trace.days:
        trace.loaded_t[port.id][load_day] += lot
        trace.ships_loaded[port.id][load_day] += 1
        # exported when the ship sails; the buyer receives it after the voyage
        arrives = load_day + round(port.voyage_days[market])
        record_export(
            trace, Delivery(dispatch_day, int(arrived), load_day, arrives, port.id, market, lot)
        )


def record_export(trace: RunTrace, d: Delivery) -> None:
    """``d`` has left the chain: out of transit, into the deliveries and the day's exports."""
    trace.in_transit_t -= d.tonnes
    trace.deliveries.append(d)
    trace.exported_t[d.load_day] += d.tonnes  # the world price reads it (sim.market.PriceBook)


# -- dispatch ---------------------------------------------------------------------------------


@dataclass
class DispatchDesk:
    """The dispatcher's desk: what it knows and keeps from one period to the next.

    ``route_open`` tells whether a route (its terminal and every link) is open, by day; ``leads``
    are the days from dispatch to sale by (route, market); ``committed_t`` the tonnes of trains
    planned but not yet loaded; ``carry_t`` the fraction of a train each (route, market) carries
    to its next period.
    """

    routes: dict[str, Route]
    prices_usd_per_t: dict[str, np.ndarray]
    demand_t_per_year: dict[str, float]
    route_open: dict[str, list[bool]]
    route_open_days: dict[str, np.ndarray]
    """``route_open`` as arrays."""
    leads: dict[tuple[str, str], int]
    planner: Callable[[DispatchProblem], Plan]
    period_days: int
    payload_t: float
    book: PriceBook
    """The prices as known during the run (the world price as this run's exports move it)."""
    tranches: dict[str, list[tuple[float, float]]]
    """Each market's demand curve for one period, (tonnes, marginal revenue factor) steps; empty
    with the price response off, when each market is a cap at its demand_t_per_year."""
    berth_t_per_day: dict[str, float]
    """Each port's loading rate with every berth busy, t a day outside the ice season."""
    ice_factor: dict[str, np.ndarray]
    """Each port's loading-time factor by day."""
    sea_region: dict[str, str]
    """Each port's sea region (its lanes to the markets)."""
    options: list[PairOption]
    """Every (route, market) the network offers."""
    open_by_day: np.ndarray
    """Whether each option's route, market and (for a port) sea lane are open, over (day,
    option)."""
    cost_by_day: np.ndarray
    """Each option's cost of a tonne (discount, rail, terminal, freight: USD a tonne), over
    (day, option)."""
    steps: StepTable | None
    """Every pair's demand-curve steps as arrays (None with fixed prices)."""
    market_t: dict[str, float]
    """What each market takes in a period (:func:`_market_t`), the same every period (shared
    by the periods' problems, so never changed)."""
    link_ids: tuple[str, ...]
    """The rail sections, in the order of the network (and of ``Rail.gates`` and ``link_t``)."""
    terminal_t: np.ndarray
    """What each route's terminal can take in a period from each day, t, over (day, route), the
    routes in ``routes``' order (:func:`_terminal_limits`)."""
    by_name: np.ndarray
    """The options' numbers in the order of their (route, market), as a plan is turned into
    trains."""
    pair_number: dict[tuple[str, str], int]
    """Each option's number (its place in ``options``) by its (route, market)."""
    pair_routes: np.ndarray
    """Each option's route, by number (an object array of str)."""
    pair_markets: np.ndarray
    """Each option's market, by number (an object array of str)."""
    committed_t: float = 0.0
    carry_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """The fraction of a train (t) each option carries to its next period, by option number (0
    once a plan no longer uses the option)."""

    @classmethod
    def build(
        cls,
        net: NetworkSpec,
        cal: Calendar,
        routes: dict[str, Route],
        planner: str,
        book: PriceBook,
        ice: dict[str, np.ndarray],
    ) -> DispatchDesk:
        """The dispatcher at the start: nothing committed; ``planner`` is ``lp`` or ``greedy``;
        ``ice`` is each port's loading-time factor by day (:func:`ice_factors`)."""
        route_open: dict[str, list[bool]] = {}
        open_days: dict[str, np.ndarray] = {}
        leads: dict[tuple[str, str], int] = {}
        period = net.model.dispatch_interval_days
        curves = (
            {}
            if not book.responsive or net.world is None
            else {m: tranches(s, net.world, period) for m, s in net.markets.items()}
        )
        for r in routes.values():
            usable = cal.open[f"{r.kind}:{r.id}"].copy()
            for k in r.links:
                usable &= cal.open[f"link:{k}"]
            open_days[r.id], route_open[r.id] = usable, usable.tolist()
            for m in r.markets:
                leads[(r.id, m)] = lead_days(net, r, m)
        options, open_by_day, cost_by_day = _options(net, cal, routes, open_days, leads)
        demand = {m: spec.demand_t_per_year for m, spec in net.markets.items()}
        berth_t_per_day = {k: p.berths * p.loading_t_per_day for k, p in net.ports.items()}
        market_t = _market_t(period, curves, demand)
        link_ids = tuple(net.links)
        return cls(
            routes=routes,
            # the book's series from day 0: daily_prices from cal.start gives the same numbers
            # (the days are shifted by whole days, exactly, in interpolating them)
            prices_usd_per_t={m: own[book.pad :] for m, own in book.own.items()},
            demand_t_per_year=demand,
            route_open=route_open,
            route_open_days=open_days,
            leads=leads,
            planner=dispatch.plan_lp if planner == "lp" else dispatch.plan_greedy,
            period_days=period,
            payload_t=net.model.train_payload_t,
            book=book,
            tranches=curves,
            berth_t_per_day=berth_t_per_day,
            ice_factor=ice,
            sea_region={k: p.sea_region for k, p in net.ports.items()},
            options=options,
            open_by_day=open_by_day,
            cost_by_day=cost_by_day,
            steps=(
                StepTable.build(
                    options, curves, open_by_day, cost_by_day, tuple(routes), link_ids, market_t
                )
                if curves
                else None
            ),
            market_t=market_t,
            link_ids=link_ids,
            terminal_t=_terminal_limits(cal, routes, period, berth_t_per_day, ice),
            by_name=np.array(
                sorted(range(len(options)), key=lambda j: (options[j].route, options[j].market)),
                dtype=np.int64,
            ),
            pair_number={(o.route, o.market): j for j, o in enumerate(options)},
            pair_routes=np.array([o.route for o in options], dtype=object),
            pair_markets=np.array([o.market for o in options], dtype=object),
            carry_t=np.zeros(len(options)),
        )


@dataclass(frozen=True, slots=True)
class PairOption:
    """A (route, market): its rail sections and the days from dispatch to sale (its days open
    and costs are the desk's ``open_by_day`` and ``cost_by_day``)."""

    route: str
    market: str
    links: tuple[str, ...]
    lead_days: int


@dataclass(frozen=True)
class StepTable:
    """Every (route, market) pair's demand-curve steps, as arrays over (pair, step), and its
    days open and costs as arrays over (day, pair): one period's netbacks in a few array
    operations instead of a loop over pairs and steps.

    ``mr`` is the marginal revenue factor of each step (0 where a market has fewer steps,
    ``valid`` false there); ``committed`` marks the contracted step; ``keys`` the ``market#step``
    limit each step draws on; ``market_of`` each pair's index into ``markets``; ``names`` each
    pair's (route, market, links). For the compiled greedy plan the limits by number:
    ``limit`` (pair, step) is the ``market_t`` entry a step draws on (−1 where not ``valid``),
    ``route_of`` each pair's route (its terminal) and ``link_rows`` (pair, link) its rail
    sections (−1 after the last), as positions in the problem's ``market_t``, ``terminal_t``
    and ``link_t``; ``market_t`` the market limits as an array.
    """

    names: tuple[tuple[str, str, tuple[str, ...]], ...]
    markets: tuple[str, ...]
    market_of: np.ndarray
    mr: np.ndarray
    committed: np.ndarray
    valid: np.ndarray
    keys: tuple[tuple[str, ...], ...]
    open_by_day: np.ndarray
    cost_by_day: np.ndarray
    limit: np.ndarray
    route_of: np.ndarray
    link_rows: np.ndarray
    market_t: np.ndarray

    @classmethod
    def build(
        cls,
        options: list[PairOption],
        curves: dict[str, list[tuple[float, float]]],
        open_by_day: np.ndarray,
        cost_by_day: np.ndarray,
        route_ids: Sequence[str],
        link_ids: Sequence[str],
        market_t: dict[str, float],
    ) -> StepTable:
        """The table of ``options``; ``curves``: each market's demand curve (:func:`tranches`);
        ``open_by_day`` and ``cost_by_day``: the options' days open and costs, (day, pair);
        ``route_ids``, ``link_ids`` and ``market_t``: the problems' limits, in their order."""
        markets = tuple(curves)
        width = max((len(ts) for ts in curves.values()), default=0)
        n = len(options)
        mr, committed, valid = (
            np.zeros((n, width)),
            np.zeros((n, width), bool),
            np.zeros((n, width), bool),
        )
        keys = tuple(
            tuple(step_key(o.market, i) for i in range(len(curves[o.market]))) for o in options
        )
        limit = np.full((n, width), -1, dtype=np.int64)
        number = {k: i for i, k in enumerate(market_t)}
        for j, o in enumerate(options):
            for i, (_, factor) in enumerate(curves[o.market]):
                valid[j, i] = True
                committed[j, i] = factor == COMMITTED
                mr[j, i] = 0.0 if factor == COMMITTED else factor
                limit[j, i] = number[keys[j][i]]
        links = max((len(o.links) for o in options), default=0)
        link_rows = np.full((n, links), -1, dtype=np.int64)
        for j, o in enumerate(options):
            link_rows[j, : len(o.links)] = [link_ids.index(k) for k in o.links]
        return cls(
            names=tuple((o.route, o.market, o.links) for o in options),
            markets=markets,
            market_of=np.array([markets.index(o.market) for o in options], dtype=np.int64),
            mr=mr,
            committed=committed,
            valid=valid,
            keys=keys,
            open_by_day=open_by_day,
            cost_by_day=cost_by_day,
            limit=limit,
            route_of=np.array([route_ids.index(o.route) for o in options], dtype=np.int64),
            link_rows=link_rows,
            market_t=np.array(list(market_t.values()), dtype=float),
        )


def _options(
    net: NetworkSpec,
    cal: Calendar,
    routes: dict[str, Route],
    route_open: dict[str, np.ndarray],
    leads: dict[tuple[str, str], int],
) -> tuple[list[PairOption], np.ndarray, np.ndarray]:
    """Every (route, market) pair in the order the dispatcher lists them, its costs summed once
    for the whole horizon (in the order the dispatcher adds them, so each day's sum is the same
    number as adding that day's costs); and their days open and costs as arrays over (day,
    pair). ``route_open``: whether each route is open, by day."""
    options: list[PairOption] = []
    open_rows: list[np.ndarray] = []
    cost_rows: list[np.ndarray] = []
    for r in routes.values():
        rail = cal.cost[f"link:{r.links[0]}"] if r.links else np.zeros(cal.days)
        for k in r.links[1:]:
            rail = rail + cal.cost[f"link:{k}"]
        rail = rail + cal.cost[f"{r.kind}:{r.id}"]
        usable = route_open[r.id]
        for m in r.markets:
            open_ = usable & cal.open[f"market:{m}"]
            cost = cal.discount_usd_per_t[m] + rail
            if r.kind == "port":
                lane_key = f"lane:{net.ports[r.id].sea_region}.{m}"
                open_ = open_ & cal.open[lane_key]
                cost = cost + cal.cost[lane_key]
            options.append(PairOption(r.id, m, r.links, leads[(r.id, m)]))
            open_rows.append(open_)
            cost_rows.append(cost)
    shape = (cal.days, 0)
    return (
        options,
        np.stack(open_rows, axis=1) if open_rows else np.zeros(shape, bool),
        np.stack(cost_rows, axis=1).astype(float) if cost_rows else np.zeros(shape),
    )


def lead_days(net: NetworkSpec, route: Route, market: str) -> int:
    """Expected days from dispatch to sale: rail, then onward rail or about 3 days in port and
    the voyage. Dispatch prices a plan at the sale date."""
    rail = sum(net.links[k].transit_days for k in route.links)
    if route.kind == "border":
        return int(rail + net.borders[route.id].onward_days)
    lane = net.lanes[net.ports[route.id].sea_region][market]
    return int(rail + lane.voyage_days + 3)


def _market_t(
    period: int, curves: dict[str, list[tuple[float, float]]], demand_t_per_year: dict[str, float]
) -> dict[str, float]:
    """What each market takes in the period: a cap at its demand (price response off: no
    ``curves``), or the steps of its demand curve, keyed as the pairs that draw on them
    (:func:`~potashsim.sim.dispatch.step_key`)."""
    if not curves:
        return {m: d * period / 365.0 for m, d in demand_t_per_year.items()}
    return {step_key(m, i): width for m, ts in curves.items() for i, (width, _) in enumerate(ts)}


def _pairs(day: int, cal: Calendar, desk: DispatchDesk) -> Sequence[Pair]:
    """Every open (route, market) with its netback: the price less today's discount, rail and
    terminal costs, and the sea freight. With fixed prices, the price of the sale date; with the
    price response on, the price known today, once per step of the market's demand curve at its
    marginal revenue (contracted tonnes first, whatever they fetch: :func:`_paying_cells`)."""
    t = desk.steps
    if t is not None:
        return PairTable(t.names, t.keys, *_cells(day, desk, t))
    pairs: list[Pair] = []
    last, prices = cal.days - 1, desk.prices_usd_per_t
    open_, cost = desk.open_by_day[day].tolist(), desk.cost_by_day[day].tolist()
    for j, o in enumerate(desk.options):
        if open_[j]:
            sale = min(last, day + o.lead_days)
            netback = float(prices[o.market][sale] - cost[j])
            pairs.append(Pair(o.route, o.market, netback, o.links))
    return tuple(pairs)


def _cells(day: int, desk: DispatchDesk, t: StepTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells of ``t`` that pay on ``day``, at the prices known that day: rows, cols and
    netbacks (:func:`_paying_cells`)."""
    prices = desk.book.expected_all(day)
    return _paying_cells(
        day, prices, t.market_of, t.mr, t.committed, t.valid, t.open_by_day, t.cost_by_day
    )


@compiled
def _paying_cells(
    day: int,
    price_usd_per_t: np.ndarray,
    market_of: np.ndarray,
    mr: np.ndarray,
    committed: np.ndarray,
    valid: np.ndarray,
    open_by_day: np.ndarray,
    cost_by_day: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (pair, step) cells of a :class:`StepTable` that pay on ``day`` (netback above 0, the
    pair open, the step valid), pairs in order and each one's steps in order: their pairs,
    steps and netbacks (USD/t). ``price_usd_per_t`` is each market's price known that day. A
    contracted step's netback is its price less the cost plus the contract priority (the
    planner fills it first); another's is the price at its marginal revenue less the cost.
    The planner never uses the cells that do not pay; not listing them is faster."""
    n, width = mr.shape
    rows = np.empty(n * width, dtype=np.int64)
    cols = np.empty(n * width, dtype=np.int64)
    netback = np.empty(n * width)
    count = 0
    for j in range(n):
        if not open_by_day[day, j]:
            continue
        price, cost = price_usd_per_t[market_of[j]], cost_by_day[day, j]
        for i in range(width):
            if committed[j, i]:
                value = price - cost + COMMITTED_PRIORITY_USD_PER_T
            else:
                value = price * mr[j, i] - cost
            if value > 0 and valid[j, i]:
                rows[count], cols[count], netback[count] = j, i, value
                count += 1
    # copies: a problem keeps its cells for the run, not the table-sized buffers
    return rows[:count].copy(), cols[:count].copy(), netback[:count].copy()


def _link_t(
    day: int, period: int, rail: Rail, payload_t: float
) -> tuple[dict[str, float], np.ndarray]:
    """Tonnes each rail section can take in the period (:func:`~potashsim.sim.movement.link_room`),
    by link and as an array in the same order (for the compiled planning)."""
    links = {
        k: link_room(gate.capacity[day], gate.waiting, period, payload_t)
        for k, gate in rail.gates.items()
    }
    return links, np.fromiter(links.values(), dtype=float, count=len(links))


def _terminal_limits(
    cal: Calendar,
    routes: dict[str, Route],
    period: int,
    berth_t_per_day: dict[str, float],
    ice: dict[str, np.ndarray],
) -> np.ndarray:
    """Tonnes each route's terminal can take in a period from each day, over (day, route): its
    policy capacity, and for a port no more than its berths can load (less in the ice season).
    Computed once a run, each day's value the same number as computing that day alone."""
    limits = []
    for r in routes.values():
        cap = cal.capacity[f"{r.kind}:{r.id}"] * period / 365.0
        berth = berth_t_per_day.get(r.id)
        if berth is not None:
            cap = np.minimum(cap, berth * period) / ice[r.id]
        limits.append(np.asarray(cap, dtype=float))
    return np.stack(limits, axis=1) if limits else np.zeros((cal.days, 0))


def dispatcher(
    env: simpy.Environment,
    cal: Calendar,
    desk: DispatchDesk,
    yard: MineYard,
    rail: Rail,
    terminals: dict[str, Port | Border],
    trace: RunTrace,
) -> Generator[Any, Any, None]:
    """Every ``period_days``: plan the period, then start whole trains spread over it."""
    while True:
        now = env.now
        day = int(now)
        if day >= cal.days:
            return
        for route, market, start in plan_departures(day, cal, desk, yard, rail, trace):
            terminal = terminals[route]
            env.process(_train(env, now, desk, yard, rail, terminal, trace, route, market, start))
        yield env.timeout(desk.period_days)


def plan_departures(
    day: int, cal: Calendar, desk: DispatchDesk, yard: MineYard, rail: Rail, trace: RunTrace
) -> list[tuple[str, str, float]]:
    """Plan the period from ``day`` and commit its whole trains: (route, market, departure time
    in days), spread evenly over the period (:func:`plan_trains`, from the state the train
    level keeps in the actors)."""
    period, payload = desk.period_days, desk.payload_t
    produce = yard.output_in_period(day, period, cal.days)
    domestic = yard.domestic_t_per_day * period
    supply = offered_t(sum(yard.stock_t.values()), produce, domestic, desk.committed_t)
    links, link_t = _link_t(day, period, rail, payload)
    trains, starts = plan_trains(day, cal, desk, supply, links, link_t, trace)
    # names picked by numpy, tuples made by zip: a fifth fewer instructions than a comprehension
    routes, markets = desk.pair_routes[trains].tolist(), desk.pair_markets[trains].tolist()
    return list(zip(routes, markets, starts.tolist(), strict=True))


def plan_trains(
    day: int,
    cal: Calendar,
    desk: DispatchDesk,
    supply_t: float,
    links: dict[str, float],
    link_t: np.ndarray,
    trace: RunTrace,
) -> tuple[np.ndarray, np.ndarray]:
    """Plan the period from ``day`` and commit its whole trains: each train's option number
    (``desk.options``) and departure time in days, spread evenly over the period. Both movement
    layers start what this returns. ``supply_t``: what the mines offer; ``links`` and ``link_t``
    what each rail section can take (t, by link and as an array in the same order). The
    period's problem goes into ``trace`` (re-solved for shadow prices).

    With the price response on and the greedy planner, one compiled call plans the table's
    cells (:func:`~potashsim.sim.dispatch.greedy_tonnes`, what
    :func:`~potashsim.sim.dispatch.plan_greedy` does with the problem), without a plan dict.
    """
    terminal_t = desk.terminal_t[day]
    limits = (links, dict(zip(desk.routes, terminal_t.tolist(), strict=True)))
    t = desk.steps
    if t is not None and desk.planner is dispatch.plan_greedy:
        rows, cols, values = _cells(day, desk, t)
        pairs = PairTable(t.names, t.keys, rows, cols, values)
        problem = DispatchProblem(pairs, supply_t, *limits, desk.market_t)
        trace.dispatch_problems.append((day, problem))
        tonnes, planned = dispatch.plan_cells(
            rows,
            cols,
            values,
            t.limit,
            t.route_of,
            t.link_rows,
            supply_t,
            terminal_t,
            t.market_t,
            link_t,
        )
    else:
        problem = DispatchProblem(_pairs(day, cal, desk), supply_t, *limits, desk.market_t)
        trace.dispatch_problems.append((day, problem))
        plan = desk.planner(problem)
        tonnes, planned = np.zeros(len(desk.options)), np.zeros(len(desk.options), dtype=bool)
        number = desk.pair_number
        for key, x in plan.items():
            tonnes[number[key]], planned[number[key]] = x, True
    trains, starts, committed = dispatch.whole_trains(
        tonnes,
        planned,
        desk.carry_t,
        desk.by_name,
        desk.payload_t,
        day,
        desk.period_days,
        desk.committed_t,
    )
    desk.committed_t = committed
    return trains, starts


def board(
    desk: DispatchDesk, yard: MineYard, trace: RunTrace, route_id: str, day: int, trains: int = 1
) -> bool:
    """``trains`` due to leave on ``day`` with their payloads in stock: load them if their route
    is still open (True), or cancel them (False: the route closed before departure; the cargo
    stays home). Either way their tonnes are no longer committed."""
    tonnes = desk.payload_t * trains
    desk.committed_t -= tonnes
    if not desk.route_open[route_id][day]:
        return False
    yard.take(tonnes)
    trace.in_transit_t += tonnes
    return True


def _train(
    env: simpy.Environment,
    now: float,
    desk: DispatchDesk,
    yard: MineYard,
    rail: Rail,
    terminal: Port | Border,
    trace: RunTrace,
    route_id: str,
    market: str,
    depart: float,
) -> Generator[Any, Any, None]:
    """One block train, started at time ``now`` (``env.now`` as the caller read it): at
    ``depart`` load at the mines (waiting, whole days, for a full payload); run the route's rail
    sections in order, at each entry waiting (whole days) for a slot, then running it in its
    transit time, varied at random by up to ``rail.spread`` either way; then cross the border, or
    unload into the port's storage (waiting for room, first come first served) and release ships.

    The train keeps the time itself: a timeout of ``delay`` resumes it at ``now + delay``, the
    very sum SimPy schedules it at, so ``now`` is ``env.now`` at every step (``env.now`` is a
    property: a Python call on every read, and a train reads the time some six times)."""
    payload = desk.payload_t
    timeout = env.timeout
    if depart > now:
        delay = depart - now
        yield timeout(delay)
        now += delay
    stock = yard.stock_t
    while sum(stock.values()) < payload - _EPS:
        if int(now) + 1 >= trace.days:
            desk.committed_t -= payload  # never leaves: its tonnes are no longer committed
            return
        delay = math.floor(now) + 1 - now
        yield timeout(delay)
        now += delay
    dispatch_day = int(now)
    if not board(desk, yard, trace, route_id, dispatch_day):
        return
    # the rail leg and the arrival are written out here rather than delegated to generators of
    # their own (``yield from``): every resume of a delegating generator runs through both
    # frames, and a train resumes some five times
    spread, days = rail.spread, rail.days
    for gate in rail.sections[route_id]:
        arrived, entered = now, int(now)
        if entered == gate.day and gate.tokens >= 1.0 - TOKEN_TOL:
            gate.tokens -= 1.0  # try_enter's test, uncalled: the bucket was filled today
        elif not gate.try_enter(entered):
            # waiting is read by the dispatcher, so only across a yield
            gate.waiting += 1
            while True:
                delay = math.floor(now) + 1 - now
                yield timeout(delay)
                now += delay
                if gate.try_enter(int(now)):
                    break
            gate.waiting -= 1
            entered = int(now)
        if entered < days:
            gate.entered[entered] += 1
            gate.wait_days[entered] += now - arrived
        factor = 1.0 + spread * (2.0 * gate.rng.next() - 1.0) if spread else 1.0
        delay = gate.transit_days * factor
        yield timeout(delay)
        now += delay
    if isinstance(terminal, Border):
        _cross_border(int(now), terminal, trace, market, payload, dispatch_day)
        return
    storage = terminal.storage
    wait = storage.put(payload)
    if wait is not None:
        yield wait
        now = env.now  # room is made by a ship, at a time the train cannot know
    # unloaded: out of transit, into the market's pending tonnes
    trace.in_transit_t -= payload
    level, pending = storage.level, terminal.pending_t
    if level > trace.port_stock_peak_t.get(terminal.id, 0.0):
        trace.port_stock_peak_t[terminal.id] = level
    pending[market] = pending.get(market, 0.0) + payload
    # a ship for every full lot pending, or a part-lot when the next train would not fit
    room = storage.capacity - level
    for lot_market, lot in lots_to_release(pending, market, terminal.lot_t, room, payload):
        env.process(_ship(env, now, terminal, trace, lot_market, lot, dispatch_day))
