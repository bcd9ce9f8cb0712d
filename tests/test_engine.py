"""The engine's invariants and known answers: mass balance, capacities, determinism, hand-checked
throughput and netback, closures, and the dispatcher against the LP."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from conftest import make_scenario, shortened, tiny_network
from potashsim.analysis.economics import deliveries_table, summarize
from potashsim.analysis.experiment import compare, run
from potashsim.scenario.granularity import GRANULARITIES, with_granularity
from potashsim.scenario.loader import discover, load_scenario
from potashsim.scenario.schema import NetworkSpec, Scenario
from potashsim.sim import dispatch
from potashsim.sim.engine import simulate
from potashsim.sim.policy import Calendar, build_calendar
from potashsim.sim.records import RunTrace
from potashsim.sim.streams import replication_seeds

SHIPPED = [p.stem for p in discover(["scenarios"])]


def balance_gap_t(trace: RunTrace) -> float:
    exported = sum(d.tonnes for d in trace.deliveries)
    left = trace.initial_stock_t + float(np.sum(trace.produced_t))
    right = exported + float(np.sum(trace.domestic_t)) + trace.end_stock_t + trace.in_transit_t
    return abs(left - right)


def assert_capacities_respected(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> None:
    for link_id, entered in trace.trains_entered.items():
        cap = cal.capacity[f"link:{link_id}"]
        # a day admits at most max(1, capacity) trains (fractional capacities bank tokens)
        assert np.all(entered <= np.maximum(1.0, cap) + 1e-9), link_id
        days = len(entered)
        assert entered.sum() <= cap.sum() + max(1.0, cap.max()) + 1e-9, link_id
        assert days == cal.days
    for port_id, peak in trace.port_stock_peak_t.items():
        assert peak <= net.ports[port_id].storage_t + 1e-6, port_id
    for port_id, busy in trace.berths_busy_peak.items():
        assert busy <= net.ports[port_id].berths, port_id


@pytest.mark.parametrize("name", SHIPPED)
@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_every_shipped_scenario_balances_to_the_tonne_and_respects_capacities(
    name: str, granularity: str
) -> None:
    scenario = with_granularity(load_scenario(name), granularity)
    trace, net, cal = simulate(scenario)
    assert balance_gap_t(trace) < 1.0
    assert_capacities_respected(trace, net, cal)
    summary = summarize(trace, deliveries_table(trace, net, cal))["totals"]
    lhs = summary["initial_stock_t"] + summary["produced_t"]
    rhs = (
        summary["exported_t"]
        + summary["domestic_t"]
        + summary["end_stock_t"]
        + summary["in_transit_t"]
    )
    assert abs(lhs - rhs) < 1.0


@pytest.mark.slow
def test_mass_balance_holds_on_30_random_seeds_at_either_granularity(
    history_short: Scenario,
) -> None:
    for i, seed in enumerate(replication_seeds(7, 30)):
        scenario = with_granularity(history_short, GRANULARITIES[i % 2])
        trace, net, cal = simulate(scenario, seed=seed)
        assert balance_gap_t(trace) < 1.0, seed
        assert_capacities_respected(trace, net, cal)


def test_same_seed_gives_the_same_summary(history_short: Scenario) -> None:
    a = run(history_short, seed=11).summary
    b = run(history_short, seed=11).summary
    assert a == b
    c = run(history_short, seed=12).summary
    assert c["totals"] != a["totals"], "a different seed should draw different inputs"


@pytest.mark.slow
def test_results_do_not_depend_on_the_number_of_workers(history_short: Scenario) -> None:
    other = shortened("us_eu_only", "2021-01-01", "2023-12-31")
    one = compare([history_short, other], replications=3, seed=5, workers=1)
    two = compare([history_short, other], replications=3, seed=5, workers=2)
    assert one.stats == two.stats
    assert one.decomposition == two.decomposition


def test_each_replication_runs_the_reference_once_wherever_it_is_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from potashsim.analysis import experiment
    from potashsim.sim import engine, reference

    shipped = load_scenario("history")  # the reference itself: the shipped history, cut
    horizon = shipped.horizon.model_copy(
        update={"start": dt.date(2022, 1, 1), "end": dt.date(2022, 12, 31)}
    )
    history = shipped.model_copy(update={"horizon": horizon})
    other = shortened("no_easing", "2022-01-01", "2022-12-31")
    calls: list[str] = []

    def counted(scenario: Scenario, **kw: Any) -> Any:
        calls.append(scenario.name)
        return simulate(scenario, **kw)

    monkeypatch.setattr(engine, "simulate", counted)
    monkeypatch.setattr(experiment, "simulate", counted)
    reference._cache.clear()
    late = compare([other, history], replications=2, seed=4)
    # the reference's own run leaves its exports for the other scenario's run of its seed
    assert sorted(calls) == ["history"] * 2 + ["no_easing"] * 2
    reference._cache.clear()
    early = compare([history, other], replications=2, seed=4)
    for name in ("history", "no_easing"):
        for metric in ("exported_t", "revenue_usd", "netback_usd"):
            assert late.stats[name][metric]["mean"] == early.stats[name][metric]["mean"]


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(history_short: Scenario) -> None:
    cmp = compare(
        [history_short, history_short.model_copy(update={"name": "twin"})], replications=3, seed=3
    )
    for metric in ("exported_t", "revenue_usd", "netback_usd"):
        assert cmp.stats["twin"][metric]["diff_mean"] == 0.0
        assert cmp.stats["twin"][metric]["diff_ci_low"] == 0.0


# --- known answers on the tiny network, at both granularities: the fast layer must give the
# train level's answers wherever they do not depend on one train's timing ---------------------


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_one_route_exports_the_rail_bottleneck_times_the_horizon_to_within_one_train(
    granularity: str,
) -> None:
    scenario = with_granularity(make_scenario(tiny_network(), days=365), granularity)
    trace, net, _cal = simulate(scenario)
    exported = sum(d.tonnes for d in trace.deliveries)
    payload = net.model.train_payload_t
    rail_t_per_day = net.links["rail"].capacity_trains_per_day * payload
    bound = min(730_000 / 365, rail_t_per_day, 1e9 / 365) * 365
    # the last train of the horizon is still on the rail when the run ends
    pipeline_t = net.links["rail"].transit_days * rail_t_per_day
    assert abs(exported - (bound - pipeline_t)) <= payload
    assert exported <= bound


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_netback_per_tonne_is_price_minus_each_cost_item_exactly(granularity: str) -> None:
    scenario = with_granularity(make_scenario(tiny_network(), days=120), granularity)
    trace, net, cal = simulate(scenario)
    d = deliveries_table(trace, net, cal)
    assert len(d) > 50
    per_t = d["netback_usd"] / d["exported_t"]
    assert np.allclose(per_t, 300 - 10 - 5 - 40, rtol=0, atol=1e-9)


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_closing_the_only_route_stops_exports_then_fills_the_mine_then_curtails(
    granularity: str,
) -> None:
    close = {
        "date": dt.date(2020, 3, 1),
        "actor": "Lithuania",
        "action": "close",
        "target": "link:rail",
    }
    scenario = with_granularity(
        make_scenario(tiny_network(), days=200, events=(close,)), granularity
    )
    trace, _net, cal = simulate(scenario)
    closed_day = cal.day_of(dt.date(2020, 3, 1))
    last_export = max(d.load_day for d in trace.deliveries)
    # trains already on the rail finish their run (1 day); nothing leaves afterwards
    assert closed_day - 1 <= last_export <= closed_day + 1
    assert trace.end_stock_by_place_t["mine:m1"] == pytest.approx(50_000)
    full_day = closed_day + 25  # 50,000 t of storage at 2,000 t a day, less what was in it
    assert np.all(trace.curtailed_t[full_day + 1 :] == pytest.approx(2_000))
    assert trace.curtailed_t[: closed_day - 30].sum() == 0


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_a_reopened_route_carries_again_and_another_actors_closure_still_holds(
    granularity: str,
) -> None:
    events = (
        {
            "date": dt.date(2020, 2, 1),
            "actor": "Lithuania",
            "action": "close",
            "target": "link:rail",
        },
        {"date": dt.date(2020, 3, 1), "actor": "EU", "action": "close", "target": "link:rail"},
        {"date": dt.date(2020, 4, 1), "actor": "EU", "action": "lift"},
        {
            "date": dt.date(2020, 5, 1),
            "actor": "Lithuania",
            "action": "reopen",
            "target": "link:rail",
        },
    )
    scenario = with_granularity(make_scenario(tiny_network(), days=200, events=events), granularity)
    trace, _net, cal = simulate(scenario)
    open_ = cal.open["link:rail"]
    assert not open_[cal.day_of(dt.date(2020, 4, 15))], "Lithuania's closure outlives the EU's"
    assert open_[cal.day_of(dt.date(2020, 5, 1))]
    loads = [d.load_day for d in trace.deliveries]
    assert not any(
        cal.day_of(dt.date(2020, 2, 3)) <= x < cal.day_of(dt.date(2020, 5, 1)) for x in loads
    )
    assert any(x > cal.day_of(dt.date(2020, 5, 3)) for x in loads)


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_saturated_throughput_reaches_95_percent_of_the_lp_bound_and_never_exceeds_it(
    granularity: str,
) -> None:
    # two routes through a shared trunk; the port on the cheap route is the binding limit
    net = tiny_network(
        **{
            "links.rail.capacity_trains_per_day": 5,
            "ports.p1.capacity_t_per_year": 1_095_000,  # 3,000 t a day
            "mines.m1.output_schedule": [
                {"from_date": "2020-01-01", "output_t_per_year": 3_650_000}
            ],
        }
    )
    scenario = with_granularity(make_scenario(net, days=730), granularity)
    trace, netspec, _cal = simulate(scenario)
    exported = sum(d.tonnes for d in trace.deliveries)
    bound = min(3_650_000 / 365, 5 * 1_000, 1_095_000 / 365) * 730
    assert exported <= bound + netspec.model.ship_lot_t
    assert exported >= 0.95 * bound


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_an_ice_season_halves_what_a_berth_bound_port_ships(granularity: str) -> None:
    # the berth (1,200 t a day) binds, not the rail (1,000 t a day at most); ice doubles the
    # ship cycle, so the port ships about 600 t a day
    ice = {"start_month_day": "01-01", "end_month_day": "12-31", "turnaround_factor": 2.0}
    kw = {"ports.p1.loading_t_per_day": 1_200, "links.rail.capacity_trains_per_day": 2}
    base = make_scenario(tiny_network(**kw), days=365)
    icy = make_scenario(tiny_network(**kw, **{"ports.p1.ice": ice}), days=365)
    shipped = [
        sum(d.tonnes for d in simulate(with_granularity(s, granularity))[0].deliveries)
        for s in (base, icy)
    ]
    assert shipped[0] == pytest.approx(1_200 * 365, rel=0.05)
    assert shipped[1] == pytest.approx(600 * 365, rel=0.05)


def test_greedy_dispatch_stays_within_two_percent_of_the_lp_optimum(
    history_short: Scenario,
) -> None:
    greedy = run(history_short, seed=1).summary["totals"]["netback_usd"]
    lp_scenario = history_short.model_copy(
        update={
            "network": history_short.network.model_copy(
                update={
                    "model": history_short.network.model.model_copy(update={"dispatcher": "lp"})
                }
            )
        }
    )
    lp = run(lp_scenario, seed=1).summary["totals"]["netback_usd"]
    assert greedy == pytest.approx(lp, rel=0.02)


def test_greedy_plan_equals_the_lp_plan_on_a_problem_with_one_best_answer() -> None:
    pairs = (
        dispatch.Pair("a", "x", 100.0, ("l1",)),
        dispatch.Pair("b", "x", 50.0, ("l2",)),
        dispatch.Pair("b", "y", 60.0, ("l2",)),
        dispatch.Pair("a", "y", -5.0, ("l1",)),
    )
    problem = dispatch.DispatchProblem(
        pairs,
        supply_t=10_000,
        link_t={"l1": 4_000, "l2": 9_000},
        terminal_t={"a": 9_000, "b": 9_000},
        market_t={"x": 5_000, "y": 3_000},
    )
    lp = dispatch.plan_lp(problem)
    greedy = dispatch.plan_greedy(problem)
    assert lp == pytest.approx(greedy)
    assert lp == pytest.approx({("a", "x"): 4_000, ("b", "y"): 3_000, ("b", "x"): 1_000})


def test_the_greedy_plan_reads_the_dispatchers_table_as_its_pairs() -> None:
    """The dispatcher hands the planner a PairTable (cells of a pair x demand-step table); the
    plan from it is the plan from the same pairs as a tuple, ties kept in the table's order."""
    options = [("a", "x", ("l1",)), ("b", "x", ("l2",)), ("b", "y", ("l2",))]
    keys = [("x#0", "x#1"), ("x#0", "x#1"), ("y#0", "y#1")]
    table = dispatch.PairTable(options, keys, [0, 0, 1, 2], [0, 1, 1, 0], [100.0, 60.0, 60.0, 60.0])
    limits = {
        "supply_t": 10_000.0,
        "link_t": {"l1": 4_000.0, "l2": 9_000.0},
        "terminal_t": {"a": 9_000.0, "b": 9_000.0},
        "market_t": {"x#0": 3_000.0, "x#1": 2_500.0, "y#0": 3_000.0},
    }
    from_table = dispatch.plan_greedy(dispatch.DispatchProblem(table, **limits))
    from_tuple = dispatch.plan_greedy(dispatch.DispatchProblem(tuple(table), **limits))
    assert from_table == from_tuple
    # a: 3,000 t at 100 (x#0), then a's 1,000 t left of l1 at 60 (x#1); b takes the rest of
    # x#1 (1,500 t) before y (3,000 t): equal netbacks, the table's order
    assert from_table == {("a", "x"): 4_000.0, ("b", "x"): 1_500.0, ("b", "y"): 3_000.0}
    assert table == tuple(table) and table != list(table)
    assert table[2] == dispatch.Pair("b", "x", 60.0, ("l2",), "x#1")


def test_us_lift_removes_the_discount_but_the_eu_and_lithuania_keep_klaipeda_shut() -> None:
    cal = build_calendar(load_scenario("history"))
    day = cal.day_of(dt.date(2026, 6, 1))
    assert cal.discount_usd_per_t["brazil"][cal.day_of(dt.date(2024, 6, 1))] == 30
    assert cal.discount_usd_per_t["brazil"][day] == 0
    assert cal.open["market:us"][day]
    assert not cal.open["link:lt_transit"][day]
    assert not cal.open["market:eu"][day]


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_klaipeda_carries_nothing_after_the_ban_while_lithuania_holds(granularity: str) -> None:
    result = run(with_granularity(load_scenario("us_eu_lifted_lithuania_holds"), granularity))
    d = result.deliveries
    after = d[(d["route"] == "klaipeda") & (d["date"] > "2022-02-15")]
    # ships loaded from the port's last stock sailed by 10 Feb 2022 in reality (R14)
    assert after["exported_t"].sum() == 0
    # the EU market is open again after the EU lifts its measures
    eu = d[(d["market"] == "eu") & (d["date"] > "2027-03-01")]
    assert eu["exported_t"].sum() > 0


def test_the_worked_example_adds_a_port_and_route_with_yaml_alone(tmp_path: Path) -> None:
    from pathlib import Path

    from potashsim.sim.network import routes

    example = Path(__file__).resolve().parents[1] / "docs" / "examples" / "arkhangelsk.yaml"
    scenario = load_scenario(example)
    route = next(r for r in routes(scenario.network) if r.id == "arkhangelsk")
    assert route.links == ("by_east", "ru_arkhangelsk")
    # with St Petersburg shut from mid-2027 the new port must take cargo, and never before 2027
    (tmp_path / "shut.yaml").write_text(
        f"name: shut\nextends: {example}\nstochastic: false\nevents:\n"
        "  - {date: 2027-06-01, actor: Russia, action: close, target: 'port:st_petersburg'}\n",
        encoding="utf-8",
    )
    d = run(load_scenario(tmp_path / "shut.yaml")).deliveries
    new_port = d[d["route"] == "arkhangelsk"]
    assert new_port["exported_t"].sum() > 1e6
    assert new_port["date"].min() >= pd.Timestamp("2027-01-01")


@pytest.mark.slow
def test_a_dask_local_cluster_gives_the_same_comparison_as_local_processes(
    history_short: Scenario,
) -> None:
    other = shortened("us_eu_only", "2021-01-01", "2023-12-31")
    local = compare([history_short, other], replications=2, seed=9, workers=1)
    dask = compare([history_short, other], replications=2, seed=9, workers=2, scheduler="local")
    assert dask.stats == local.stats


def test_an_ice_season_over_new_year_covers_exactly_its_days() -> None:
    from potashsim.sim.processes import _ice

    ice = {"start_month_day": "12-24", "end_month_day": "04-09", "turnaround_factor": 1.5}
    scenario = make_scenario(tiny_network(**{"ports.p1.ice": ice}), days=366)  # 2020, a leap year
    cal = build_calendar(scenario)
    factor = _ice(scenario.network, cal, "p1")
    iced = {cal.date_of(d) for d in range(cal.days) if factor[d] == 1.5}
    assert dt.date(2020, 1, 1) in iced and dt.date(2020, 4, 9) in iced
    assert dt.date(2020, 4, 10) not in iced and dt.date(2020, 12, 23) not in iced
    assert dt.date(2020, 12, 24) in iced and dt.date(2020, 2, 29) in iced
    assert len(iced) == 100 + 8  # 1 Jan-9 Apr of a leap year, then 24-31 Dec


def test_events_that_change_nothing_are_noted_with_the_reason() -> None:
    from potashsim.sim.policy import ineffective_events

    history = load_scenario("history")
    assert ineffective_events(history.events) == []
    assert ineffective_events(load_scenario("all_lifted").events) == [], (
        "the EU and Lithuania lift on the same day: together they reopen Klaipeda"
    )
    notes = ineffective_events(load_scenario("us_eu_lifted_lithuania_holds").events)
    assert [str(n) for n in notes] == [
        "2027-03-01 EU lift: link:lt_transit stays closed, by Lithuania since 2022-02-01; to open "
        "it add a Lithuania reopen, or exclude_events: [lt_2022_transit] (which drops it from its "
        "start)"
    ]
    extra = (
        *history.events,
        history.events[0].model_validate(
            {"date": dt.date(2028, 1, 1), "actor": "Poland", "action": "note", "note": "x"}
        ),
    )
    assert ineffective_events(extra) == []


def test_a_network_drawn_for_a_seed_does_not_depend_on_what_was_drawn_before() -> None:
    # realize keeps the last seed's draws (a comparison's reference and scenario share them):
    # a parameter of another distribution, even one pydantic finds equal (a mode of -0.0 and
    # one of 0.0), must be drawn for itself
    from potashsim.scenario.schema import TriangularDistribution
    from potashsim.sim.network import realize

    base = load_scenario("baseline")
    path = sorted(base.uncertain)[0]

    def with_mode(low: float, mode: float, high: float) -> Scenario:
        dist = TriangularDistribution(dist="triangular", low=low, mode=mode, high=high)
        return base.model_copy(update={"uncertain": {**base.uncertain, path: dist}})

    for first, then in [
        (with_mode(-0.0, -0.0, 0.0), with_mode(0.0, 0.0, 0.0)),
        (with_mode(1e6, 2e6, 3e6), with_mode(4e6, 5e6, 6e6)),
    ]:
        realize(base, 4)  # another seed: nothing of seed 3 is kept
        alone = realize(then, 3).model_dump_json()
        realize(base, 4)
        realize(first, 3)
        assert realize(then, 3).model_dump_json() == alone
