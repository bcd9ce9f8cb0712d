"""Assemble one simulation (environment, resources, processes), run it, return its trace."""

from __future__ import annotations

import numpy as np
import simpy

from potashsim.scenario.schema import NetworkSpec, Scenario
from potashsim.sim import dispatch
from potashsim.sim.market import PriceBook, tranches
from potashsim.sim.network import realize, routes
from potashsim.sim.policy import Calendar, build_calendar
from potashsim.sim.prices import daily_prices
from potashsim.sim.processes import (
    LinkGate,
    Port,
    Storage,
    Uniforms,
    World,
    dispatcher,
    lead_days,
    mines,
)
from potashsim.sim.records import RunTrace
from potashsim.sim.streams import stream

__all__ = ["prepare", "simulate"]


def prepare(scenario: Scenario, seed: int) -> tuple[NetworkSpec, Calendar]:
    """One replication's inputs: the drawn network and its policy calendar."""
    net = realize(scenario, seed)
    return net, build_calendar(scenario, net)


def _daily_output(net: NetworkSpec, cal: Calendar, mine_id: str) -> np.ndarray:
    mine = net.mines[mine_id]
    out = np.zeros(cal.days)
    for step in mine.output_schedule:
        a = max(0, cal.day_of(step.from_date))
        if a < cal.days:
            out[a:] = step.output_t_per_year / 365.0
    out[~cal.open[f"mine:{mine_id}"]] = 0.0
    return out


def _ice(net: NetworkSpec, cal: Calendar, port_id: str) -> np.ndarray:
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


def simulate(
    scenario: Scenario,
    *,
    seed: int | None = None,
    planner: str | None = None,
    hold_world_price: bool = False,
) -> tuple[RunTrace, NetworkSpec, Calendar]:
    """Run ``scenario`` once.

    Args:
        scenario: a validated scenario.
        seed: the replication's seed (default: the scenario's); it fixes every random stream.
        planner: ``lp`` or ``greedy``; default: the scenario's ``model.dispatcher``.
        hold_world_price: keep the world price at the observed series whatever this run exports
            (how the reference supply itself is computed, :mod:`potashsim.sim.reference`).

    Returns:
        The trace, and the drawn network and calendar it ran on (the accounts need both).
    """
    seed = scenario.seed if seed is None else seed
    net, cal = prepare(scenario, seed)
    env = simpy.Environment()
    days = cal.days
    trace = RunTrace(
        start=cal.start,
        days=days,
        seed=seed,
        produced_t=np.zeros(days),
        curtailed_t=np.zeros(days),
        domestic_t=np.zeros(days),
    )
    ports: dict[str, Port] = {}
    for k, p in net.ports.items():
        ports[k] = Port(
            k,
            Storage(env, p.storage_t, p.initial_stock_t),
            simpy.Resource(env, capacity=p.berths),
            p.loading_t_per_day,
            _ice(net, cal, k),
            p.sea_region,
        )
        trace.ship_wait_days[k] = np.zeros(days)
        trace.ships_loaded[k] = np.zeros(days)
    for k in [*net.ports, *net.borders]:
        trace.loaded_t[k] = np.zeros(days)
    world = World(
        env=env,
        net=net,
        cal=cal,
        routes={r.id: r for r in routes(net)},
        prices={m: daily_prices(spec, cal.start, days) for m, spec in net.markets.items()},
        output_t_per_day={k: _daily_output(net, cal, k) for k in net.mines},
        mine_stock_t={k: m.initial_stock_t for k, m in net.mines.items()},
        gates={
            k: LinkGate(
                cal.capacity[f"link:{k}"].tolist(), link.transit_days, [0] * days, [0.0] * days
            )
            for k, link in net.links.items()
        },
        ports=ports,
        link_rng={k: Uniforms(stream(seed, f"link:{k}")) for k in net.links},
        trace=trace,
        planner=dispatch.plan_lp
        if (planner or net.model.dispatcher) == "lp"
        else dispatch.plan_greedy,
        book=PriceBook(net, cal.start, days, _reference(scenario, net, seed, hold_world_price)),
    )
    if net.model.price_response == "on" and net.world is not None:
        period = net.model.dispatch_interval_days
        world.tranches = {m: tranches(s, net.world, period) for m, s in net.markets.items()}
    for r in world.routes.values():
        usable = cal.open[f"{r.kind}:{r.id}"].copy()
        for k in r.links:
            usable &= cal.open[f"link:{k}"]
        world.route_open[r.id] = usable.tolist()
        for m in r.markets:
            world.leads[(r.id, m)] = lead_days(net, r, m)
    trace.initial_stock_t = sum(world.mine_stock_t.values()) + sum(
        p.initial_stock_t for p in net.ports.values()
    )
    env.process(mines(env, world))
    env.process(dispatcher(env, world))
    env.run(until=days)
    trace.produced_t = np.asarray(trace.produced_t, dtype=float)
    trace.curtailed_t = np.asarray(trace.curtailed_t, dtype=float)
    trace.domestic_t = np.asarray(trace.domestic_t, dtype=float)
    for k, gate in world.gates.items():
        trace.trains_entered[k] = np.asarray(gate.entered, dtype=float)
        trace.train_wait_days[k] = np.asarray(gate.wait_days, dtype=float)
    trace.end_stock_by_place_t = {f"mine:{k}": v for k, v in world.mine_stock_t.items()}
    trace.end_stock_by_place_t |= {f"port:{k}": p.storage.level for k, p in ports.items()}
    trace.end_stock_t = sum(trace.end_stock_by_place_t.values())
    trace.in_transit_t = world.in_transit_t
    trace.exported_t = world.book.exported_t
    trace.world_factor = world.book.factor()[world.book.pad :]
    return trace, net, cal


def _reference(scenario: Scenario, net: NetworkSpec, seed: int, hold: bool) -> np.ndarray | None:
    """The reference exports this run's world price answers to (None: prices held observed)."""
    if hold or net.model.price_response == "off" or net.world is None:
        return None
    # the reference runs this engine, so it is imported here, not at the top
    from potashsim.sim.reference import reference_exports, reference_scenario

    name, h = net.world.reference_scenario, scenario.horizon
    if scenario == reference_scenario(name, h, scenario.stochastic):
        return None  # the reference itself pays the observed prices by definition
    return reference_exports(name, h.start, h.end, seed, scenario.stochastic)
