"""Assemble one simulation (environment, actors' state, processes), run it, return its trace."""

from __future__ import annotations

import numpy as np
import simpy

from potashsim.scenario.schema import NetworkSpec, Scenario
from potashsim.sim import network
from potashsim.sim.flows import run_flows
from potashsim.sim.market import PriceBook
from potashsim.sim.policy import Calendar, build_calendar
from potashsim.sim.processes import (
    DispatchDesk,
    MineYard,
    Rail,
    build_terminals,
    dispatcher,
    ice_factors,
    mines,
    port_stocks,
)
from potashsim.sim.records import RunTrace

__all__ = ["prepare", "simulate"]


def prepare(scenario: Scenario, seed: int) -> tuple[NetworkSpec, Calendar]:
    """One replication's inputs: the drawn network and its policy calendar."""
    net = network.realize(scenario, seed)
    return net, build_calendar(scenario, net)


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

    trace = _empty_trace(net, cal, seed)
    routes = {r.id: r for r in network.routes(net)}
    yard = MineYard.build(net, cal)
    rail = Rail.build(net, cal, seed, routes)
    ice = ice_factors(net, cal)
    reference, is_reference = _reference(scenario, net, seed, hold_world_price)
    book = PriceBook(net, cal.start, cal.days, reference)
    trace.exported_t = book.exported_t  # the run records its exports where the prices read them
    desk = DispatchDesk.build(net, cal, routes, planner or net.model.dispatcher, book, ice)

    if net.model.granularity == "fast":
        stocks = run_flows(net, cal, desk, yard, rail, ice, trace)
    else:
        env = simpy.Environment()
        terminals = build_terminals(env, net, ice)
        # the order processes start in is the order of their first events
        env.process(mines(env, yard))
        env.process(dispatcher(env, cal, desk, yard, rail, terminals, trace))
        env.run(until=cal.days)
        stocks = port_stocks(terminals)

    yard.record(trace)
    rail.record(trace)
    trace.end_stock_by_place_t |= {f"port:{k}": v for k, v in stocks.items()}
    trace.end_stock_t = sum(trace.end_stock_by_place_t.values())
    trace.world_factor = book.factor()[book.pad :]
    if is_reference:  # the scenarios compared with it need its exports: keep them
        from potashsim.sim.reference import remember

        assert net.world is not None  # only a world market has a reference
        h = scenario.horizon
        key = (net.world.reference_scenario, h.start, h.end, seed, scenario.stochastic)
        remember((*key, net.model.granularity), trace.exported_t)
    return trace, net, cal


def _reference(
    scenario: Scenario, net: NetworkSpec, seed: int, hold: bool
) -> tuple[np.ndarray | None, bool]:
    """The reference exports this run's world price answers to (None: prices held observed),
    and whether this run is the reference itself (which pays the observed prices)."""
    if hold or net.model.price_response == "off" or net.world is None:
        return None, False
    # the reference runs this engine, so it is imported here, not at the top
    from potashsim.sim.reference import is_reference, reference_exports

    name, h, granularity = net.world.reference_scenario, scenario.horizon, net.model.granularity
    if is_reference(scenario):
        return None, True  # the reference itself pays the observed prices by definition
    return reference_exports(name, h.start, h.end, seed, scenario.stochastic, granularity), False


def _empty_trace(net: NetworkSpec, cal: Calendar, seed: int) -> RunTrace:
    """A trace with the initial stock and a zero array per day for each terminal's records."""
    days = cal.days
    trace = RunTrace(start=cal.start, days=days, seed=seed)
    for k in net.ports:
        trace.ship_wait_days[k] = np.zeros(days)
        trace.ships_loaded[k] = np.zeros(days)
    for k in [*net.ports, *net.borders]:
        trace.loaded_t[k] = np.zeros(days)
    trace.initial_stock_t = sum(m.initial_stock_t for m in net.mines.values()) + sum(
        p.initial_stock_t for p in net.ports.values()
    )
    return trace
