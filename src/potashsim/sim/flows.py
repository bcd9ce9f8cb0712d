"""The fast movement layer: trains move in daily batches, ships load as a daily flow of lots.

``model.granularity: fast`` replaces the train level's processes (one SimPy process per train
and per ship, :mod:`potashsim.sim.processes`) with one loop over the days of the horizon. The
policy calendar, the dispatcher's plan (:func:`~potashsim.sim.processes.plan_trains`, so the
same planner, prices and price response, its limits computed by the same rules), the rail
sections' token buckets and random streams (:class:`~potashsim.sim.processes.LinkGate`) and
the trace the accounts read are the train level's. The movement itself (the mines' day,
boarding, the rail legs, ports and ships) runs compiled, a dispatch period at a time
(:func:`potashsim.sim.movement.advance`), with the train level's rules for the mines' day,
taking stock and releasing ship lots (twins checked against each other by
tests/test_movement.py).

What differs from the train level, and why it is faster:

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
  compiled loop over days costs next to nothing; what is left in Python is the dispatcher.

``benchmarks/agreement.py`` measures how far the two layers' yearly exports, revenue, netback
and route shares lie apart on every shipped scenario (docs/performance.md).
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from potashsim.scenario.schema import NetworkSpec
from potashsim.sim import movement
from potashsim.sim.movement import (
    ARRIVALS,
    BERTH_PEAKS,
    COMMITTED,
    DELIVERIES,
    IN_TRANSIT,
    LOTS,
    STOCK_PEAKS,
    WAITING,
)
from potashsim.sim.policy import Calendar
from potashsim.sim.processes import DispatchDesk, LinkGate, MineYard, Rail, plan_trains
from potashsim.sim.records import DeliveryLog, RunTrace

__all__ = ["run_flows"]

# CPython sums floats with Neumaier's compensation from 3.12 on; the kernel sums the mines'
# stocks as the interpreter it runs under would
_COMPENSATED_SUM = sys.version_info >= (3, 12)
# advance's parameters by name (the kernel's Python function under numba's dispatcher)
_ADVANCE = list(
    inspect.signature(getattr(movement.advance, "py_func", movement.advance)).parameters
)
# The room the last fast run in this process ended with: rows of each record array and columns
# of its transit draws. A run starts with that much, so runs like the last one never grow (and
# copy) their arrays; rows never written cost no memory pages. Only sizes: no run reads what
# another left in them.
_ROOM: dict[str, int] = {}


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
    the trains due at each terminal arrive, and each port loads ships. The plan is Python; the
    days between two plans are one call of the compiled :func:`~potashsim.sim.movement.advance`.
    """
    days, period = cal.days, desk.period_days
    if days <= 0:
        return {k: p.initial_stock_t for k, p in net.ports.items()}
    run = _Run.build(net, cal, desk, yard, rail, ice, trace)
    movement.produce(0, run.stock, run.mine_storage_t, run.output_t, yard.domestic_t_per_day,
                     run.yard_t, run.state["mine_order"])  # fmt: skip
    for first in range(0, days, period):
        run.advance(first, min(first + period, days), *run.plan(first, cal, desk, trace))
    return run.finish(desk, yard, rail, trace)


@dataclass
class _Run:
    """One fast run's state as the kernel's arrays (:mod:`potashsim.sim.movement` describes
    them), with the names their indices stand for."""

    mines: list[str]
    gates: list[LinkGate]
    link_ids: list[str]
    yard: MineYard
    domestic_t: float
    """Domestic sales in a period, t."""
    link_t: np.ndarray
    """What each link can take in the period being planned, t (rewritten every plan)."""
    markets: dict[str, int]
    ports: list[str]
    terminals: list[str]
    static: dict[str, Any]
    """``advance``'s arguments whose objects never change in a run, by name."""
    stock: np.ndarray
    mine_storage_t: np.ndarray
    output_t: np.ndarray
    yard_t: np.ndarray
    queue_now: np.ndarray
    draws: np.ndarray
    drawn: np.ndarray
    n_draws: np.ndarray
    draw_bound: np.ndarray
    state: dict[str, np.ndarray]
    """``advance``'s other arguments, by name (the record arrays grow between calls)."""
    per_train: dict[str, int]
    """The most rows one train can add to each growing record array."""
    trains: int = 0
    """Trains planned so far: what bounds the rows the record arrays need."""
    room_trains: int = 0
    """Trains the record arrays have room for."""
    arguments: tuple[Any, ...] | None = None

    @classmethod
    def build(
        cls,
        net: NetworkSpec,
        cal: Calendar,
        desk: DispatchDesk,
        yard: MineYard,
        rail: Rail,
        ice: dict[str, np.ndarray],
        trace: RunTrace,
    ) -> _Run:
        """The arrays at the horizon start, from the actors as ``simulate`` builds them (nothing
        produced, no train on the rail yet) and ``trace``.

        Day-by-day inputs come from the numpy arrays they were built from where the actors keep
        them as lists (the sections' capacities from ``cal``): converting lists of thousands of
        numbers costs more than the whole movement."""
        days, period, payload = trace.days, desk.period_days, desk.payload_t
        lot_size = net.model.ship_lot_t
        mines = list(yard.stock_t)
        links = list(rail.gates)
        gates = [rail.gates[k] for k in links]
        link_index = {k: i for i, k in enumerate(links)}
        routes = list(desk.routes.values())
        markets = {m: i for i, m in enumerate(net.markets)}
        ports, borders = list(net.ports), list(net.borders)
        terminals = [*ports, *borders]
        n_m, n_r, n_p = len(markets), len(routes), len(ports)

        legs = np.full((n_r, max([1, *(len(r.links) for r in routes)])), -1, np.int64)
        draw_bound = np.zeros(len(links), np.int64)
        for i, r in enumerate(routes):
            for j, k in enumerate(r.links):
                legs[i, j] = link_index[k]
                draw_bound[link_index[k]] += period  # a batch a day per route, a draw per link
        voyage = np.full((n_p, n_m), -1, np.int64)
        for p, k in enumerate(ports):
            for m, lane in net.lanes[net.ports[k].sea_region].items():
                if m in markets:
                    voyage[p, markets[m]] = round(lane.voyage_days)
        onward = np.zeros(len(terminals), np.int64)
        for b, k in enumerate(borders):
            onward[n_p + b] = round(net.borders[k].onward_days)
        berths = np.array([net.ports[k].berths for k in ports], np.int64)
        pos = {k: i for i, k in enumerate(terminals)}
        pos_route = {r.id: i for i, r in enumerate(routes)}

        stock = np.array([yard.stock_t[k] for k in mines], np.float64)
        mine_storage_t = np.array([yard.storage_t[k] for k in mines], np.float64)
        output_t = np.array([yard.output_t_per_day[k] for k in mines], np.float64)
        yard_t = np.zeros((3, days))  # produced, curtailed, domestic
        queue_now = np.zeros(len(links), np.int64)
        spread = float(rail.spread)
        static: dict[str, Any] = {
            "days": days,
            "payload_t": float(payload),
            "spread": spread,
            "lot_size_t": float(lot_size),
            "domestic_t_per_day": float(yard.domestic_t_per_day),
            "compensated": _COMPENSATED_SUM,
            "option_route": np.array([pos_route[o.route] for o in desk.options], np.int64),
            "option_market": np.array([markets[o.market] for o in desk.options], np.int64),
            "mine_storage_t": mine_storage_t,
            "output_t": output_t,
            "capacity": np.array([cal.capacity[f"link:{k}"] for k in links], np.float64).reshape(
                -1, days
            ),
            "transit_days": np.array([g.transit_days for g in gates], np.float64),
            "legs": legs,
            "route_open": np.array([desk.route_open_days[r.id] for r in routes], np.bool_).reshape(
                -1, days
            ),
            "route_terminal": np.array([pos[r.id] for r in routes], np.int64),
            "onward_days": onward,
            "storage_t": np.array([net.ports[k].storage_t for k in ports], np.float64),
            "loading_t_per_day": np.array(
                [net.ports[k].loading_t_per_day for k in ports], np.float64
            ),
            "ice_factor": np.array([ice[k] for k in ports], np.float64).reshape(-1, days),
            "voyage_days": voyage,
            "berths": berths,
            "draw_bound": draw_bound,
            "stock": stock,
            "yard_t": yard_t,
        }
        stock_peak = [trace.port_stock_peak_t.get(k) for k in ports]
        berth_peak = [trace.berths_busy_peak.get(k) for k in ports]
        per_train = {
            "arrivals": 1,
            "waiting": 1,
            "lots": int(payload / lot_size) + 3,  # full lots of one train's tonnes, a part-lot
            "deliveries": int(payload / lot_size) + 4,  # its lots, or its border crossing
        }
        rows = {k: max(1024, _ROOM.get(k, 0)) for k in per_train}
        state: dict[str, np.ndarray] = {
            "tokens": np.array([g.tokens for g in gates], np.float64),
            "gate_day": np.array([g.day for g in gates], np.int64),
            "entered": np.zeros((len(links), days), np.int64),
            "wait_days": np.zeros((len(links), days)),
            "queue_change": np.zeros((len(links), days + 1), np.int64),
            "queue_before": np.zeros(len(links), np.int64),
            "queue_now": queue_now,
            "draws": np.zeros((len(links), _ROOM.get("draws", 0))),
            "drawn": np.zeros(len(links), np.int64),
            "n_draws": np.zeros(len(links), np.int64),
            "due_n": np.zeros(period + 1, np.int64),
            "due_route": np.zeros((period + 1, n_r), np.int64),
            "due_start": np.zeros((period + 1, n_r), np.float64),
            "due_n_markets": np.zeros((period + 1, n_r), np.int64),
            "due_market": np.zeros((period + 1, n_r, n_m), np.int64),
            "due_trains": np.zeros((period + 1, n_r, n_m), np.int64),
            "arrivals": np.empty((rows["arrivals"], 4 + 2 * n_m), np.int64),
            "arrival_ends": np.full((days, 2), -1, np.int64),
            "level_t": np.array([net.ports[k].initial_stock_t for k in ports], np.float64),
            "at_berth": np.full((n_p, max(1, *berths) if n_p else 1), -1, np.int64),
            "ships": np.full((n_p, 2), -1, np.int64),
            "waiting": np.empty((rows["waiting"], 4), np.int64),
            "waiting_ends": np.full((n_p, 2), -1, np.int64),
            "pending_t": np.zeros((n_p, n_m), np.float64),
            "pending_order": np.zeros((n_p, n_m), np.int64),
            "n_pending": np.zeros(n_p, np.int64),
            "lots": np.empty((rows["lots"], 5), np.int64),
            "lot_t": np.empty((rows["lots"], 2), np.float64),
            "loaded_t": np.array([trace.loaded_t[k] for k in terminals], np.float64).reshape(
                len(terminals), days
            ),
            "ships_loaded": np.array([trace.ships_loaded[k] for k in ports], np.float64).reshape(
                n_p, days
            ),
            "ship_wait_days": np.array(
                [trace.ship_wait_days[k] for k in ports], np.float64
            ).reshape(n_p, days),
            "stock_peak_t": np.array([v or 0.0 for v in stock_peak], np.float64),
            "stock_peak_rank": _ranks(stock_peak, list(trace.port_stock_peak_t), ports),
            "berth_peak": np.array([v or 0 for v in berth_peak], np.int64),
            "berth_peak_rank": _ranks(berth_peak, list(trace.berths_busy_peak), ports),
            "exported_t": trace.exported_t,
            "deliveries": np.empty((rows["deliveries"], 6), np.int64),
            "delivered_t": np.empty(rows["deliveries"], np.float64),
            "counts": np.zeros(6, np.int64),
            "acc": np.array([trace.in_transit_t, desk.committed_t], np.float64),
            "mine_order": np.zeros(len(mines), np.int64),
            "release_market": np.zeros(per_train["lots"], np.int64),
            "release_t": np.zeros(per_train["lots"]),
        }
        state["counts"][STOCK_PEAKS] = len(trace.port_stock_peak_t)
        state["counts"][BERTH_PEAKS] = len(trace.berths_busy_peak)
        run = cls(
            mines=mines,
            gates=gates,
            link_ids=links,
            yard=yard,
            domestic_t=yard.domestic_t_per_day * period,
            link_t=np.zeros(len(links)),
            markets=markets,
            ports=ports,
            terminals=terminals,
            static=static,
            stock=stock,
            mine_storage_t=mine_storage_t,
            output_t=output_t,
            yard_t=yard_t,
            queue_now=queue_now,
            draws=state["draws"],
            drawn=state["drawn"],
            n_draws=state["n_draws"],
            draw_bound=draw_bound,
            state=state,
            per_train=per_train,
        )
        if spread:
            run.top_up_draws()
        return run

    def plan(
        self, day: int, cal: Calendar, desk: DispatchDesk, trace: RunTrace
    ) -> tuple[np.ndarray, np.ndarray]:
        """The dispatcher's plan on ``day`` (:func:`~potashsim.sim.processes.plan_trains`: each
        train's option and start), its limits read from the kernel's arrays as the train level
        reads them from its actors: the mines' stocks, the trains waiting at each section's
        entry, the tonnes committed (the exports the kernel writes into the price book's own
        array)."""
        acc, period = self.state["acc"], desk.period_days
        desk.committed_t = committed = float(acc[COMMITTED])
        produce = self.yard.output_in_period(day, period, cal.days)
        supply = movement.period_limits(
            day, period, self.stock, _COMPENSATED_SUM, produce, self.domestic_t, committed,
            self.static["capacity"], self.queue_now, desk.payload_t, self.link_t,
        )  # fmt: skip
        links = dict(zip(self.link_ids, self.link_t.tolist(), strict=True))
        planned = plan_trains(day, cal, desk, supply, links, self.link_t, trace)
        acc[COMMITTED] = desk.committed_t
        return planned

    def advance(self, first: int, end: int, trains: np.ndarray, starts: np.ndarray) -> None:
        """Run days ``first`` to ``end`` (excluded) after the plan: ``trains`` (each one's
        option) leaving at ``starts`` (days)."""
        self.trains += len(trains)
        if self.trains >= self.room_trains:
            self._reserve()
        produce_from = first if first else 1
        low = movement.advance(first, end, produce_from, trains, starts, *self._arguments())
        if low:
            self.top_up_draws()

    def _arguments(self) -> tuple[Any, ...]:
        """``advance``'s arguments after the plan's, in its order."""
        if self.arguments is None:
            self.arguments = tuple(
                self.static[k] if k in self.static else self.state[k] for k in _ADVANCE[5:]
            )
        return self.arguments

    def _reserve(self) -> None:
        """Grow the record arrays (doubling) to hold what the trains planned so far can add."""
        counts, self.arguments = self.state["counts"], None
        for name, slot, floats in (
            ("arrivals", ARRIVALS, None),
            ("waiting", WAITING, None),
            ("lots", LOTS, "lot_t"),
            ("deliveries", DELIVERIES, "delivered_t"),
        ):
            need = (self.trains + 1) * self.per_train[name]
            if need > self.state[name].shape[0]:
                rows, used = max(need, 2 * self.state[name].shape[0]), int(counts[slot])
                self.state[name] = _grown(self.state[name], rows, used)
                if floats:
                    self.state[floats] = _grown(self.state[floats], rows, used)
        self.room_trains = (
            min(self.state[name].shape[0] // n for name, n in self.per_train.items()) - 1
        )

    def top_up_draws(self) -> None:
        """Give every link at least the transit draws one period can use, from its stream."""
        low = np.nonzero(self.n_draws - self.drawn < self.draw_bound)[0].tolist()
        chunk = [max(512, 8 * int(self.draw_bound[g])) for g in low]
        need = max(int(self.n_draws[g]) + c for g, c in zip(low, chunk, strict=True))
        if need > self.draws.shape[1]:
            grown = np.zeros((self.draws.shape[0], max(need, 2 * self.draws.shape[1])))
            grown[:, : self.draws.shape[1]] = self.draws
            self.draws = self.state["draws"] = grown
            self.arguments = None
        for g, c in zip(low, chunk, strict=True):
            n = int(self.n_draws[g])
            self.draws[g, n : n + c] = self.gates[g].rng.take(c)
            self.n_draws[g] = n + c

    def finish(
        self, desk: DispatchDesk, yard: MineYard, rail: Rail, trace: RunTrace
    ) -> dict[str, float]:
        """Write the run's end state back to the actors and its records to ``trace``; return each
        port's stock at the end, t."""
        s = self.state
        _ROOM.update({name: s[name].shape[0] for name in self.per_train})
        _ROOM["draws"] = self.draws.shape[1]
        for k, v in zip(self.mines, self.stock.tolist(), strict=True):
            yard.stock_t[k] = v
        yard.produced_t, yard.curtailed_t, yard.domestic_t = self.yard_t
        for i, gate in enumerate(self.gates):
            gate.entered, gate.wait_days = s["entered"][i], s["wait_days"][i]
            gate.tokens, gate.day = float(s["tokens"][i]), int(s["gate_day"][i])
        for i, k in enumerate(self.terminals):
            trace.loaded_t[k][:] = s["loaded_t"][i]
        for i, k in enumerate(self.ports):
            trace.ships_loaded[k][:] = s["ships_loaded"][i]
            trace.ship_wait_days[k][:] = s["ship_wait_days"][i]
        _set_peaks(trace.port_stock_peak_t, self.ports, s["stock_peak_t"].tolist(),
                   s["stock_peak_rank"].tolist())  # fmt: skip
        _set_peaks(trace.berths_busy_peak, self.ports, s["berth_peak"].tolist(),
                   s["berth_peak_rank"].tolist())  # fmt: skip
        trace.in_transit_t = float(s["acc"][IN_TRANSIT])
        desk.committed_t = float(s["acc"][COMMITTED])

        # the deliveries as the log's columns: a tuple each only if something reads them so
        n = int(s["counts"][DELIVERIES])
        rows = s["deliveries"][:n]
        assert not trace.deliveries  # a fast run records its deliveries here, all at once
        trace.deliveries = DeliveryLog.from_columns(
            {
                "dispatch_day": rows[:, 0].copy(),
                "terminal_day": rows[:, 1].copy(),
                "load_day": rows[:, 2].copy(),
                "delivered_day": rows[:, 3].copy(),
                "route": np.array(self.terminals, dtype=object)[rows[:, 4]],
                "market": np.array(list(self.markets), dtype=object)[rows[:, 5]],
                "tonnes": s["delivered_t"][:n].copy(),
            }
        )
        return dict(zip(self.ports, s["level_t"].tolist(), strict=True))


def _ranks(peaks: list[Any], recorded: list[str], ports: list[str]) -> np.ndarray:
    """Where each port's peak stands in the trace's dict (-1: not there yet)."""
    return np.array(
        [recorded.index(k) if v is not None else -1 for k, v in zip(ports, peaks, strict=True)],
        np.int64,
    )


def _set_peaks(into: dict[str, Any], ports: list[str], peaks: list[Any], ranks: list[int]) -> None:
    """Write the ports' peaks to ``into`` in the order each first set one (a dict keeps the place
    of a key already there)."""
    for _, k, v in sorted((r, k, v) for k, v, r in zip(ports, peaks, ranks, strict=True) if r >= 0):
        into[k] = v


def _grown(a: np.ndarray, rows: int, used: int) -> np.ndarray:
    """``a`` with room for ``rows`` rows, its first ``used`` rows kept."""
    out = np.empty((rows, *a.shape[1:]), a.dtype)
    out[:used] = a[:used]
    return out
