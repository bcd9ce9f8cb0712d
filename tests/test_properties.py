"""Hypothesis: on small random networks and event lists the engine never crashes, balances mass
to the tonne and never exceeds a rail, storage or berth capacity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import make_scenario
from potashsim.scenario.granularity import GRANULARITIES, with_granularity
from potashsim.scenario.schema import Scenario
from potashsim.sim.engine import simulate
from test_engine import assert_capacities_respected, balance_gap_t

START = dt.date(2020, 1, 1)


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    n_ports = draw(st.integers(1, 3))
    lot = draw(st.sampled_from([1_000, 5_000, 20_000]))
    nodes = {
        "mine": {"name": "Mine", "lat": 0, "lon": 0},
        "hub": {"name": "Hub", "lat": 0, "lon": 1},
    }
    links = {
        "trunk": {
            "from_node": "mine",
            "to_node": "hub",
            "country": "X",
            "distance_km": 100,
            "transit_days": draw(st.floats(0.2, 3)),
            "capacity_trains_per_day": draw(st.floats(0.3, 8)),
            "tariff_usd_per_t": draw(st.floats(0, 30)),
        }
    }
    ports, lanes, markets = {}, {}, {}
    for m in range(draw(st.integers(1, 3))):
        markets[f"mk{m}"] = {
            "name": f"M{m}",
            "lat": 0,
            "lon": 0,
            "demand_t_per_year": draw(st.floats(1e5, 5e6)),
            "size_t_per_year": draw(st.floats(1e6, 2e7)),
            "contract_share": draw(st.floats(0, 1)),
            "spot_lag_days": draw(st.integers(0, 29)),  # within the shortest horizon
            "prices": [{"date": START, "usd_per_t": draw(st.floats(50, 600))}],
        }
    for p in range(n_ports):
        nodes[f"n{p}"] = {"name": f"N{p}", "lat": 1, "lon": p}
        links[f"l{p}"] = {
            "from_node": "hub",
            "to_node": f"n{p}",
            "country": "X",
            "distance_km": 50,
            "transit_days": draw(st.floats(0.1, 4)),
            "capacity_trains_per_day": draw(st.floats(0.2, 6)),
            "tariff_usd_per_t": draw(st.floats(0, 30)),
        }
        ports[f"p{p}"] = {
            "name": f"P{p}",
            "node": f"n{p}",
            "sea_region": f"s{p}",
            "capacity_t_per_year": draw(st.floats(1e5, 1e7)),
            "storage_t": lot * draw(st.integers(1, 6)),
            "berths": draw(st.integers(1, 3)),
            "loading_t_per_day": draw(st.floats(2_000, 30_000)),
            "handling_usd_per_t": draw(st.floats(0, 30)),
        }
        lanes[f"s{p}"] = {
            m: {"freight_usd_per_t": draw(st.floats(0, 80)), "voyage_days": draw(st.floats(1, 40))}
            for m in markets
        }
    return {
        "nodes": nodes,
        "links": links,
        "ports": ports,
        "markets": markets,
        "lanes": lanes,
        "mines": {
            "m": {
                "name": "M",
                "node": "mine",
                "storage_t": draw(st.floats(1e4, 5e5)),
                "initial_stock_t": 0,
                "output_schedule": [
                    {"from_date": START, "output_t_per_year": draw(st.floats(0, 8e6))}
                ],
            }
        },
        "model": {
            "wagons_per_train": draw(st.integers(10, 70)),
            "wagon_payload_t": 68,
            "ship_lot_t": lot,
            "dispatch_interval_days": draw(st.integers(1, 14)),
            "domestic_t_per_year": draw(st.floats(0, 5e5)),
            "transit_spread": draw(st.floats(0, 0.5)),
            "price_response": draw(st.sampled_from(["on", "off"])),
        },
        "world": {
            "size_t_per_year": 67e6,
            "belarus_share": 0.18,
            # the reference is the shipped history (about 11 Mt a year): with |elasticity| >= 0.05 a
            # tiny network's gap moves prices less than the runaway guard's factor of 50
            "demand_elasticity": draw(st.floats(-0.5, -0.05)),
            "rival_supply_elasticity": draw(st.floats(0, 0.5)),
            "switching_elasticity": draw(st.floats(0.5, 5)),
            "window_days": draw(st.integers(7, 120)),
            "spot_market": "mk0",
        },
    }


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    net = draw(networks())
    days = draw(st.integers(30, 150))
    targets = (
        [f"link:{k}" for k in net["links"]]
        + [f"port:{k}" for k in net["ports"]]
        + [f"market:{k}" for k in net["markets"]]
        + ["market:all"]
    )
    events = []
    for _ in range(draw(st.integers(0, 5))):
        action = draw(st.sampled_from(["close", "reopen", "discount", "lift"]))
        ev = {
            "date": START + dt.timedelta(days=draw(st.integers(0, days - 1))),
            "actor": draw(st.sampled_from(["EU", "US", "Lithuania"])),
            "action": action,
        }
        if action in ("close", "reopen"):
            ev["target"] = draw(st.sampled_from(targets[:-1]))
        elif action == "discount":
            ev["target"] = draw(st.sampled_from([t for t in targets if t.startswith("market")]))
            ev["discount_usd_per_t"] = draw(st.floats(0, 100))
        events.append(ev)
    scenario = make_scenario(net, days=days, events=tuple(events), seed=draw(st.integers(0, 2**31)))
    # the invariants hold for either movement layer
    return with_granularity(scenario, draw(st.sampled_from(GRANULARITIES)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_networks_balance_and_respect_capacities(scenario: Scenario) -> None:
    trace, net, cal = simulate(scenario)
    assert balance_gap_t(trace) < 1.0
    assert_capacities_respected(trace, net, cal)
    assert all(d.tonnes > 0 for d in trace.deliveries)
