"""Bottlenecks that answer the question: utilisation against the capacity really available (ice,
closures, the dispatcher's plan) and shadow prices that match problems solved by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from conftest import make_scenario, tiny_network
from potashsim.analysis.experiment import compare, run
from potashsim.analysis.shadow_prices import period_duals, shadow_price_table
from potashsim.contract import PER_MT_A_YEAR, PER_TRAIN_A_DAY
from potashsim.report.charts import shadow_price_ranking
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.dispatch import DispatchProblem, Pair, PairTable, linear_program, plan_lp
from potashsim.sim.processes import COMMITTED_PRIORITY_USD_PER_T

BIG = 1e12


def two_routes(link_a_t: float) -> DispatchProblem:
    """One market reached by port ``p1`` over link ``l1`` (netback 100 USD/t) and by border
    ``b`` over ``l2`` (60 USD/t); 1,000 t to place; only ``l1`` (``link_a_t``) may bind."""
    return DispatchProblem(
        pairs=(Pair("p1", "x", 100.0, ("l1",)), Pair("b", "x", 60.0, ("l2",))),
        supply_t=1_000,
        link_t={"l1": link_a_t, "l2": BIG},
        terminal_t={"p1": BIG, "b": BIG},
        market_t={"x": BIG},
    )


def test_a_binding_link_is_worth_the_netback_gap_to_the_next_best_use() -> None:
    # the plan: 300 t on the 100 USD route, the other 700 t on the 60 USD route. One more tonne
    # of l1 moves a tonne from 60 to 100 USD: +40; one more tonne of supply goes at 60 USD.
    duals = {d.row: d for d in period_duals(two_routes(300))}
    assert duals["link:l1"].shadow_usd_per_t == pytest.approx(40.0)
    assert duals["link:l1"].planned_t == pytest.approx(300.0)
    assert duals["supply"].shadow_usd_per_t == pytest.approx(60.0)
    for free in ("link:l2", "terminal:p1", "terminal:b", "market:x"):
        assert duals[free].shadow_usd_per_t == 0.0, free


def test_a_link_with_room_to_spare_is_worth_nothing() -> None:
    duals = {d.row: d.shadow_usd_per_t for d in period_duals(two_routes(5_000))}
    assert duals["link:l1"] == 0.0
    assert duals["supply"] == pytest.approx(100.0)  # every tonne goes the best way


def test_shadow_prices_in_user_units_are_per_train_a_day_and_per_mt_a_year() -> None:
    net = NetworkSpec.model_validate(tiny_network())  # trains of 1,000 t, 7-day periods
    table = shadow_price_table([(0, two_routes(300))], net, dt.date(2020, 1, 1))
    rows = table.set_index("constraint")
    # 40 USD/t x 1,000 t a train x 7 days: one more train a day for the week
    assert rows.loc["l1", "value_usd"] == pytest.approx(40 * 1_000 * 7)
    assert rows.loc["l1", "per"] == PER_TRAIN_A_DAY
    # 60 USD/t x 1 Mt a year for 7 days of 365
    assert rows.loc["supply", "value_usd"] == pytest.approx(60 * 1e6 * 7 / 365)
    assert rows.loc["supply", "per"] == PER_MT_A_YEAR
    assert rows.loc["p1", "kind"] == "port" and rows.loc["b", "kind"] == "border"
    assert (table["period_start"] == dt.date(2020, 1, 1)).all()


def test_the_contract_priority_never_shows_as_money() -> None:
    # contract tonnes carry a planning priority of 10,000 USD/t; the shadow price values them
    # at their netback (50 USD/t), so the link is worth the better spot sale, 80 USD/t
    net = load_scenario("history").network
    pairs = (
        Pair("klaipeda", "brazil", COMMITTED_PRIORITY_USD_PER_T + 50.0, ("l1",), "brazil#0"),
        Pair("klaipeda", "india", 80.0, ("l1",), "india#1"),
    )
    problem = DispatchProblem(
        pairs, 1_000, {"l1": 100}, {"klaipeda": BIG}, {"brazil#0": BIG, "india#1": BIG}
    )
    table = shadow_price_table([(0, problem)], net, dt.date(2020, 1, 1)).set_index("constraint")
    assert table.loc["l1", "shadow_usd_per_t"] == pytest.approx(80.0)


def test_a_table_of_cells_and_its_pairs_make_the_same_lp() -> None:
    # the dispatcher's PairTable (cells of a table of options and steps) and the tuple of its
    # pairs are one problem: the LP is built from the table's arrays, the tuple's pairs one by
    # one, and both give the same columns, rows, matrix, plan and shadow prices
    net = load_scenario("history").network
    options = (
        ("klaipeda", "brazil", ("l1",)),
        ("klaipeda", "india", ("l1", "l2")),
        ("b", "india", ("l2", "l2")),  # a section crossed twice is still one coefficient
    )
    keys = (("brazil#0",), ("india#0", "india#1"), ("india#0", "india#1"))
    netback = [COMMITTED_PRIORITY_USD_PER_T + 50.0, 90.0, 80.0, 70.0, -5.0]
    table = PairTable(options, keys, [0, 1, 1, 2, 2], [0, 0, 1, 1, 0], netback)
    limits = (
        1_000,
        {"l1": 100, "l2": 300, "idle": 5},
        {"klaipeda": BIG, "b": 200},
        {"brazil#0": BIG, "india#0": 40, "india#1": float("inf")},  # an open last step: no row
    )
    as_table, as_pairs = DispatchProblem(table, *limits), DispatchProblem(tuple(table), *limits)
    lp, lp_of_pairs = linear_program(as_table), linear_program(as_pairs)
    assert lp is not None and lp_of_pairs is not None
    assert lp.rows == lp_of_pairs.rows
    assert lp.rows == (
        "supply",
        "link:l1",
        "link:l2",
        "terminal:klaipeda",
        "terminal:b",
        "market:brazil#0",
        "market:india#0",
    )
    expected = [
        [1, 1, 1, 1],
        [1, 1, 1, 0],
        [0, 1, 1, 1],
        [1, 1, 1, 0],
        [0, 0, 0, 1],
        [1, 0, 0, 0],
        [0, 1, 0, 0],
    ]
    np.testing.assert_array_equal(lp.a_ub, expected)
    np.testing.assert_array_equal(lp_of_pairs.a_ub, expected)
    assert lp.pairs == lp_of_pairs.pairs == tuple(table)[:4]  # the last cell does not pay
    assert plan_lp(as_table) == plan_lp(as_pairs)
    day = dt.date(2020, 1, 1)
    pd.testing.assert_frame_equal(
        shadow_price_table([(0, as_table)], net, day),
        shadow_price_table([(0, as_pairs)], net, day),
        check_exact=True,
    )


def test_a_run_values_its_binding_rail_link_at_the_route_netback() -> None:
    # the tiny network: the link (one 1,000 t train a day) binds, the mine makes twice that and
    # the port and the market have room; one more tonne of rail earns the netback,
    # 300 - 10 rail - 5 port - 40 freight = 245 USD/t, in every period the link is offered
    result = run(make_scenario(tiny_network(), days=365), shadow_prices=True)
    table = result.shadow_prices
    assert table is not None
    link = table[table["kind"].eq("link")]
    assert len(link) == len(result.trace.dispatch_problems)
    assert link["shadow_usd_per_t"].median() == pytest.approx(245.0)
    assert (table["shadow_usd_per_t"] >= 0).all()
    others = table[table["kind"].isin(["port", "market"])]
    assert (others["shadow_usd_per_t"] == 0).all()
    ranking = shadow_price_ranking(table)
    top = ranking[ranking["rank"].eq(1) & ranking["per"].eq(PER_TRAIN_A_DAY)].iloc[0]
    assert top["constraint"] == "rail"
    # about 245 USD/t x 1,000 t x 365 days: one more train a day all year
    assert top["value_usd"] == pytest.approx(245 * 1_000 * 365, rel=0.1)


def test_a_period_posing_an_earlier_periods_lp_again_gets_the_duals_it_would_get_alone() -> None:
    # the table solves an LP it has seen once only: each period's rows must be those of the
    # period solved by itself, whatever came before it
    problems = [(0, two_routes(300)), (7, two_routes(5_000)), (14, two_routes(300))]
    net = NetworkSpec.model_validate(tiny_network())
    day = dt.date(2020, 1, 1)
    table = shadow_price_table(problems, net, day)
    alone = pd.concat([shadow_price_table([p], net, day) for p in problems], ignore_index=True)
    pd.testing.assert_frame_equal(table, alone, check_exact=True)
    rail = table[table["constraint"].eq("l1")]["shadow_usd_per_t"].tolist()
    assert rail == [40.0, 0.0, 40.0]


def _monthly(result_util: pd.DataFrame, facility: str) -> pd.DataFrame:
    part = result_util[result_util["facility"].eq(facility)].copy()
    part["days"] = [pd.Period(m, "M").days_in_month for m in part["month"]]
    return part.set_index(pd.to_datetime(part["month"]).dt.month)


ICE = {"start_month_day": "01-15", "end_month_day": "03-20", "turnaround_factor": 2.0}
BERTH_BOUND = {
    "ports.p1.loading_t_per_day": 1_200,
    "links.rail.capacity_trains_per_day": 2,
    "ports.p1.ice": ICE,
}


def test_ice_halves_the_available_port_capacity_in_the_ice_months_only() -> None:
    result = run(make_scenario(tiny_network(**BERTH_BOUND), days=366))
    port = _monthly(result.utilisation, "p1")
    per_day = port["available"] / port["days"]
    assert per_day[2] == pytest.approx(600.0)  # February: all ice, one berth at half speed
    assert per_day[6] == pytest.approx(1_200.0)  # June: no ice
    # the nominal capacity knows nothing of ice
    assert port.loc[2, "capacity"] / port.loc[2, "days"] == pytest.approx(
        port.loc[6, "capacity"] / port.loc[6, "days"]
    )
    assert port.loc[2, "utilisation_available"] > port.loc[2, "utilisation"]


def test_use_never_exceeds_the_capacity_available_where_the_engine_enforces_it() -> None:
    result = run(make_scenario(tiny_network(**BERTH_BOUND), days=366))
    util = result.utilisation
    link = util[util["kind"].eq("link")]
    # a gate admits its day's trains, plus one banked train at most
    assert (link["used"] <= link["available"] + 1 + 1e-9).all()
    port = util[util["kind"].eq("port")]
    lot = result.network.model.ship_lot_t
    # ships are counted the day they finish loading: one lot may spill into the next month
    assert (port["used"] <= port["available"] + lot + 1e-6).all()
    # the port is the bottleneck and runs close to what is really available
    assert float(port["utilisation_available"].median()) > 0.9


def test_a_closed_month_has_no_capacity_available() -> None:
    events = (
        {
            "date": dt.date(2020, 3, 1),
            "actor": "Lithuania",
            "action": "close",
            "target": "link:rail",
        },
        {
            "date": dt.date(2020, 5, 1),
            "actor": "Lithuania",
            "action": "reopen",
            "target": "link:rail",
        },
    )
    result = run(make_scenario(tiny_network(), days=366, events=events))
    link = _monthly(result.utilisation, "rail")
    assert link.loc[3, "available"] == 0 and np.isnan(link.loc[3, "utilisation_available"])
    assert link.loc[6, "available"] > 0


@pytest.mark.parametrize("with_nan", [False, True])
def test_monthly_sums_are_pandas_group_sums(with_nan: bool) -> None:
    # utilisation.csv keeps the floats the per-facility groupby gave, NaN or not
    from potashsim.analysis.bottlenecks import _monthly_sums

    rng = np.random.default_rng(3)
    days = pd.date_range("2019-01-01", periods=800, freq="D")
    months = days.to_period("M")
    first_day = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    x = rng.random((5, len(days))) * 10.0 ** rng.integers(-3, 6, (5, len(days)))
    if with_nan:
        x[2, rng.random(len(days)) < 0.1] = np.nan
    frame = pd.DataFrame({"m": months, **{str(i): x[i] for i in range(5)}})
    expected = frame.groupby("m", sort=True)[[str(i) for i in range(5)]].sum().to_numpy().T
    assert np.array_equal(_monthly_sums(x, months, first_day), expected)


def test_a_comparisons_shadow_prices_are_its_first_runs_whichever_process_solves_them() -> None:
    # compare solves replication 0's shadow prices on whichever worker runs it (each
    # scenario's on its own, spread over the workers): the table must be the one that run
    # gives on its own
    base = make_scenario(tiny_network(), days=120)
    other = make_scenario(tiny_network(), days=120, seed=2).model_copy(update={"name": "other"})
    comparison = compare([base, other], replications=2, seed=5, workers=2)
    for scenario in (base, other):
        alone = run(scenario, seed=comparison.seeds[0], shadow_prices=True).shadow_prices
        assert alone is not None and len(alone)
        pd.testing.assert_frame_equal(
            comparison.representative[scenario.name].shadow_prices, alone, check_exact=True
        )
