"""The engine's overhead: ``simulate`` (potashsim.sim.engine) against a bare SimPy replay.

What is compared (same trains, same ships, same horizon):

* engine: ``simulate(history cut to 2019-01-01..2026-12-31)``, everything included (network
  draw, policy calendar, dispatch every week, accounting into the trace).
* bare SimPy: the run's ``trace.deliveries`` replayed with no dispatch and no accounting. Each
  delivery's tonnes become ``tonnes / train_payload_t`` trains (fractions carried per route, so a
  rail delivery is one train and a 30 kt ship lot about 7); a train leaves on the delivery's
  ``dispatch_day`` and times out once per rail link of its route (``net.links[k].transit_days``).
  Each port delivery is a ship that arrives on its ``terminal_day``, requests a berth
  (``simpy.Resource`` with ``net.ports[p].berths``), loads for ``tonnes / loading_t_per_day``
  days and sails for ``net.lanes[sea_region][market].voyage_days``. One launcher process per
  model starts each day's trains and ships (as the engine's dispatcher starts its trains).
* heapq: the same replay as a hand-written ``heapq`` event loop (the floor for pure Python).

Events are counted the same way for both SimPy models, at no cost per event: ``simpy.Environment``
is swapped for a subclass that only remembers its instances, and after the run the number of
processed events is ``next(env._eid) - len(env._queue)`` (every scheduled event gets an id from
that counter; what is left in the queue was never processed). The heapq loop counts its pops.

Run: ``.venv/bin/python benchmarks/bench_engine.py [--quick] [--repeats N] [--json PATH]``.
Prints figures and ratios; never asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import heapq
import itertools
import math
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict, deque
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import simpy
from _common import cut, fmt_s, print_machine, spread, timed, verdict, write_figures

from potashsim.scenario.loader import load_scenario
from potashsim.sim.engine import simulate
from potashsim.sim.network import routes

# engine ÷ bare: issue 12's target (wall time), and the first engine issue's goal
TARGET_RATIO, GOAL_RATIO, TARGET_FULL_S = 1.5, 1.3, 1.0


# --- counting SimPy environments -------------------------------------------------------------


class CountingEnv(simpy.Environment):
    """A ``simpy.Environment`` that remembers itself and how long ``run`` took. No per-event
    work is added: events are counted from the environment's own id counter afterwards."""

    last: CountingEnv | None = None

    def __init__(self, initial_time: float = 0) -> None:
        super().__init__(initial_time)
        self.run_s = 0.0
        self.events = 0
        CountingEnv.last = self

    def run(self, until: Any = None) -> Any:
        t0 = time.perf_counter()
        try:
            return super().run(until)
        finally:
            self.run_s = time.perf_counter() - t0
            self.events = next(self._eid) - len(self._queue)


@contextmanager
def counting_simpy() -> Iterator[None]:
    """Make ``simpy.Environment()`` (as the engine calls it) build a ``CountingEnv``."""
    original = simpy.Environment
    simpy.Environment = CountingEnv  # type: ignore[misc]
    try:
        yield
    finally:
        simpy.Environment = original  # type: ignore[misc]


# --- the replay plan, built from a real run's deliveries -------------------------------------

Train = tuple[float, tuple[float, ...]]  # offset in the launch day, transit days per link
Ship = tuple[str, float, float]  # port, loading days, voyage days


def replay_plan(
    trace: Any, net: Any
) -> tuple[list[tuple[int, list[Train], list[Ship]]], dict[str, int], dict[str, int]]:
    """Launch days with their trains and ships; berths per port; counts."""
    payload = net.model.train_payload_t
    by_id = {r.id: r for r in routes(net)}
    legs = {
        rid: tuple(float(net.links[k].transit_days) for k in r.links) for rid, r in by_id.items()
    }
    carry: dict[str, float] = defaultdict(float)
    trains: dict[int, list[Train]] = defaultdict(list)
    ships: dict[int, list[Ship]] = defaultdict(list)
    n_trains = n_ships = 0
    for d in trace.deliveries:
        r = by_id[d.route]
        total = carry[d.route] + d.tonnes
        n = math.floor(total / payload + 1e-9)
        carry[d.route] = total - n * payload
        trains[d.dispatch_day].extend((i / max(n, 1), legs[d.route]) for i in range(n))
        n_trains += n
        if r.kind == "port":
            port = net.ports[d.route]
            ships[d.terminal_day].append(
                (
                    d.route,
                    d.tonnes / port.loading_t_per_day,
                    float(net.lanes[port.sea_region][d.market].voyage_days),
                )
            )
            n_ships += 1
    days = sorted(set(trains) | set(ships))
    plan = [(day, trains.get(day, []), ships.get(day, [])) for day in days]
    berths = {k: int(p.berths) for k, p in net.ports.items()}
    return plan, berths, {"trains": n_trains, "ships": n_ships, "launch_days": len(days)}


def engine_trains(trace: Any, net: Any) -> int:
    """Trains the engine actually ran: entries into the first link of each route."""
    first = {r.links[0] for r in routes(net) if r.links}
    return int(sum(trace.trains_entered[k].sum() for k in first))


# --- bare SimPy replay ------------------------------------------------------------------------


def bare_simpy(
    plan: list[tuple[int, list[Train], list[Ship]]], berths_of: dict[str, int], days: int
) -> CountingEnv:
    env = CountingEnv()
    berths = {k: simpy.Resource(env, capacity=n) for k, n in berths_of.items()}

    def train(offset: float, legs: tuple[float, ...]) -> Generator[Any, Any, None]:
        if offset:
            yield env.timeout(offset)
        for transit in legs:
            yield env.timeout(transit)

    def ship(berth: simpy.Resource, loading: float, voyage: float) -> Generator[Any, Any, None]:
        with berth.request() as req:
            yield req
            yield env.timeout(loading)
        yield env.timeout(voyage)

    def launcher() -> Generator[Any, Any, None]:
        for day, trains, ships in plan:
            if day > env.now:
                yield env.timeout(day - env.now)
            for offset, legs in trains:
                env.process(train(offset, legs))
            for port, loading, voyage in ships:
                env.process(ship(berths[port], loading, voyage))

    env.process(launcher())
    env.run(until=days)
    return env


# --- the same replay as a hand-written heapq loop ----------------------------------------------

_LAUNCH, _TRAIN, _ARRIVE, _LOADED, _SAILED = range(5)


def heapq_replay(
    plan: list[tuple[int, list[Train], list[Ship]]], berths_of: dict[str, int], days: int
) -> int:
    """Returns the number of events processed (pops before the horizon's end)."""
    seq = itertools.count()
    q: list[tuple[float, int, int, Any]] = [
        (float(day), next(seq), _LAUNCH, (trains, ships)) for day, trains, ships in plan
    ]
    heapq.heapify(q)
    free = dict(berths_of)
    waiting: dict[str, deque[tuple[float, float]]] = {k: deque() for k in berths_of}
    push, pop = heapq.heappush, heapq.heappop
    events = 0
    while q:
        t, _, kind, data = pop(q)
        if t >= days:
            break
        events += 1
        if kind == _TRAIN:
            legs, i = data
            if i < len(legs):
                push(q, (t + legs[i], next(seq), _TRAIN, (legs, i + 1)))
        elif kind == _LAUNCH:
            trains, ships = data
            for offset, legs in trains:
                push(q, (t + offset, next(seq), _TRAIN, (legs, 0)))
            for port, loading, voyage in ships:
                push(q, (t, next(seq), _ARRIVE, (port, loading, voyage)))
        elif kind == _ARRIVE:
            port, loading, voyage = data
            if free[port]:
                free[port] -= 1
                push(q, (t + loading, next(seq), _LOADED, data))
            else:
                waiting[port].append((loading, voyage))
        elif kind == _LOADED:
            port, loading, voyage = data
            push(q, (t + voyage, next(seq), _SAILED, data))
            if waiting[port]:
                nxt_loading, nxt_voyage = waiting[port].popleft()
                push(q, (t + nxt_loading, next(seq), _LOADED, (port, nxt_loading, nxt_voyage)))
            else:
                free[port] += 1
        # _SAILED: nothing left to do
    return events


# --- measuring ---------------------------------------------------------------------------------


def peak_mb(fn: Callable[[], Any]) -> float:
    """Peak Python heap allocated while ``fn`` runs (tracemalloc), in MB."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="smoke mode: a 2-year horizon, 2 repeats, no LP or 2030 runs",
    )
    ap.add_argument("--repeats", type=int, default=None, help="timed repeats (default 5, quick 2)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    repeats = args.repeats or (2 if args.quick else 5)
    info = print_machine("bench_engine: simulate() against a bare SimPy replay of its traffic")

    history = load_scenario("history")
    end = dt.date(2020, 12, 31) if args.quick else dt.date(2026, 12, 31)
    scenario = cut(history, dt.date(2019, 1, 1), end)
    print(
        f"   scenario history, horizon {scenario.horizon.start}..{scenario.horizon.end}, "
        f"seed {scenario.seed}, dispatcher {scenario.network.model.dispatcher}, "
        f"{repeats} repeats after 1 warm-up" + ("  [--quick]" if args.quick else "")
    )

    out: dict[str, Any] = {
        "machine": info,
        "quick": args.quick,
        "repeats": repeats,
        "horizon": [str(scenario.horizon.start), str(scenario.horizon.end)],
    }

    # one untimed engine run gives the traffic to replay (built once, outside the timings)
    trace, net, cal = simulate(scenario)
    days = cal.days
    plan, berths, counts = replay_plan(trace, net)

    # rounds: engine, bare, heapq back to back, so a burst of other load hits all three alike;
    # the first round is the warm-up. Wall (perf_counter) and CPU (process_time) per call.
    wall: dict[str, list[float]] = {"engine": [], "bare": [], "heapq": []}
    cpu: dict[str, list[float]] = {"engine": [], "bare": [], "heapq": []}
    loop: dict[str, list[float]] = {"engine": [], "bare": []}
    events: dict[str, int] = {}

    def engine() -> None:
        with counting_simpy():
            simulate(scenario)
        env = CountingEnv.last
        assert env is not None
        loop["engine"].append(env.run_s)
        events["engine"] = env.events

    def bare() -> None:
        env = bare_simpy(plan, berths, days)
        loop["bare"].append(env.run_s)
        events["bare"] = env.events

    def heap() -> None:
        events["heapq"] = heapq_replay(plan, berths, days)

    for r in range(repeats + 1):
        for name, fn in (("engine", engine), ("bare", bare), ("heapq", heap)):
            gc.collect()
            c0, t0 = time.process_time(), time.perf_counter()
            fn()
            w_s, c_s = time.perf_counter() - t0, time.process_time() - c0
            if r:  # round 0 is the warm-up
                wall[name].append(w_s)
                cpu[name].append(c_s)
    for name in loop:
        loop[name] = loop[name][1:]

    med = statistics.median
    print()
    print(
        f"traffic: {len(trace.deliveries)} deliveries -> {counts['trains']} trains replayed "
        f"(engine ran {engine_trains(trace, net)} trains into their first link, incl. those "
        f"still under way at the end) and {counts['ships']} ships; {days} days"
    )
    print()
    print(
        f"{'model':<12}{'wall':>11}{'CPU':>11}{'env.run':>11}{'events':>10}{'events/s':>12}"
        f"{'µs/event':>10}   (medians)"
    )
    for name, label in (("engine", "engine"), ("bare", "bare SimPy"), ("heapq", "heapq")):
        run_s = med(loop.get(name, wall[name]))
        rate = events[name] / run_s
        print(
            f"{label:<12}{fmt_s(med(wall[name])):>11}{fmt_s(med(cpu[name])):>11}"
            f"{fmt_s(run_s):>11}{events[name]:>10,}{rate:>12,.0f}{1e6 / rate:>10.2f}"
        )
    for name in wall:
        print(f"  {name:<7} wall {spread(wall[name])}")
    ratio = med(wall["engine"]) / med(wall["bare"])
    per_round = [e / b for e, b in zip(wall["engine"], wall["bare"], strict=True)]
    ratio_cpu = med(cpu["engine"]) / med(cpu["bare"])
    ratio_loop = med(loop["engine"]) / med(loop["bare"])
    print()
    print(
        f"engine / bare SimPy, whole simulate(), wall: {ratio:.2f}  "
        f"(target <= {TARGET_RATIO}: {verdict(ratio, TARGET_RATIO)}; "
        f"goal <= {GOAL_RATIO}: {verdict(ratio, GOAL_RATIO)})"
    )
    print(
        f"  per round: {', '.join(f'{x:.2f}' for x in per_round)} "
        f"(median {med(per_round):.2f}); CPU-time ratio {ratio_cpu:.2f}"
    )
    print(
        f"engine / bare SimPy, env.run() only: {ratio_loop:.2f}  "
        f"(engine setup outside env.run: {fmt_s(med(wall['engine']) - med(loop['engine']))})"
    )
    print(
        f"events per delivered lot: engine {events['engine'] / len(trace.deliveries):.1f}, "
        f"bare {events['bare'] / len(trace.deliveries):.1f}; "
        f"engine / bare events {events['engine'] / events['bare']:.2f}"
    )
    print(
        f"bare SimPy / heapq: {med(wall['bare']) / med(wall['heapq']):.2f}   "
        f"engine / heapq: {med(wall['engine']) / med(wall['heapq']):.2f}"
    )
    out.update(
        wall_s=wall,
        cpu_s=cpu,
        run_s=loop,
        events=events,
        counts=counts,
        deliveries=len(trace.deliveries),
        engine_trains=engine_trains(trace, net),
        ratio_engine_bare=ratio,
        ratio_per_round=per_round,
        ratio_cpu=ratio_cpu,
        ratio_engine_bare_run_only=ratio_loop,
    )

    # the full history horizon, and the shipped file's own horizon
    full_cases = [
        ("2019-01-01..2026-12-31", cut(history, dt.date(2019, 1, 1), dt.date(2026, 12, 31)))
    ]
    if not args.quick:
        full_cases.append(
            (f"{history.horizon.start}..{history.horizon.end} (shipped file)", history)
        )
    print()
    out["full"] = {}
    for label, sc in full_cases:
        t_full, _ = timed(lambda sc=sc: simulate(sc), repeats=repeats)
        print(
            f"simulate(history {label}): {spread(t_full)}  "
            f"(target <= {TARGET_FULL_S:.0f} s: {verdict(med(t_full), TARGET_FULL_S)})"
        )
        out["full"][label] = t_full
    if not args.quick:
        t_lp, _ = timed(lambda: simulate(scenario, planner="lp"), repeats=3)
        print(f"simulate(history 2019..2026, planner='lp') for comparison: {spread(t_lp)}")
        out["full"]["lp 2019-01-01..2026-12-31"] = t_lp

    # peak memory (separate runs: tracemalloc slows everything down)
    print()
    mem = {
        "engine simulate()": peak_mb(lambda: simulate(scenario)),
        "bare SimPy replay": peak_mb(lambda: bare_simpy(plan, berths, days)),
        "heapq replay": peak_mb(lambda: heapq_replay(plan, berths, days)),
    }
    if not args.quick:
        mem["engine simulate(), 2019..2030"] = peak_mb(lambda: simulate(history))
    for k, v in mem.items():
        print(f"peak memory (tracemalloc) {k:<32} {v:8.1f} MB")
    out["peak_mb"] = mem

    return write_figures(out, args.json)


if __name__ == "__main__":
    main()
