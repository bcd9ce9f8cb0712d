"""Quick changes a student makes from the command line, without writing a file: a whole price
series scaled (``markets.ID.price_scale``, ``markets.all.FIELD``), the horizon and the
``stochastic`` switch through ``--set``, and each with a clear message when it is wrong."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from potashsim.analysis.experiment import run
from potashsim.cli import main
from potashsim.errors import ScenarioError
from potashsim.scenario.loader import load_scenario
from potashsim.sim.engine import simulate
from potashsim.sim.network import realize
from potashsim.sim.prices import daily_prices

START = dt.date(2021, 1, 1)
DAYS = 365


def _prices_off(extra: tuple[str, ...] = ()) -> list[str]:
    """A year of history on observed prices (no price response), as overrides."""
    return [
        "horizon.start=2021-01-01",
        "horizon.end=2021-12-31",
        "model.price_response=off",
        *extra,
    ]


def test_price_scale_multiplies_one_market_s_whole_series_and_no_other():
    plain = load_scenario("history").network
    scaled = load_scenario("history", overrides=["markets.brazil.price_scale=0.8"]).network
    for market in plain.markets:
        ratio = daily_prices(scaled.markets[market], START, DAYS * 12) / daily_prices(
            plain.markets[market], START, DAYS * 12
        )
        # twelve years: the quotes and the assumed price after the last one
        assert np.allclose(ratio, 0.8 if market == "brazil" else 1.0), market


def test_markets_all_scales_every_market_and_factors_multiply():
    plain = load_scenario("history").network
    scaled = load_scenario(
        "history", overrides=["markets.all.price_scale=0.8", "markets.china.price_scale=0.5"]
    ).network
    for market, spec in plain.markets.items():
        want = 0.4 if market == "china" else 0.8
        assert scaled.markets[market].price_after_last_usd_per_t == pytest.approx(
            want * (spec.price_after_last_usd_per_t or 0)
        )
        got = [p.usd_per_t for p in scaled.markets[market].prices]
        assert got == pytest.approx([want * p.usd_per_t for p in spec.prices])


def test_a_scaled_price_is_drawn_from_the_scaled_range():
    key = "markets.brazil.price_after_last_usd_per_t"
    plain = load_scenario("history")
    scaled = load_scenario("history", overrides=["markets.brazil.price_scale=0.8"])
    a, b = plain.uncertain[key], scaled.uncertain[key]
    assert (b.low, b.high) == pytest.approx((0.8 * a.low, 0.8 * a.high))
    for seed in (1, 2, 3):
        drawn = realize(scaled, seed).markets["brazil"].price_after_last_usd_per_t
        assert drawn == pytest.approx(
            0.8 * (realize(plain, seed).markets["brazil"].price_after_last_usd_per_t or 0)
        )
    assert "scaled by 0.8" in scaled.provenance[key]


def test_every_tonne_sold_pays_the_scaled_price_with_the_price_response_off():
    scenario = load_scenario("history", overrides=_prices_off(("markets.all.price_scale=0.8",)))
    observed = load_scenario("history").network
    r = run(scenario, seed=2)
    d = r.deliveries
    assert d["exported_t"].sum() > 5e6  # a year of exports was sold
    for market, part in d.groupby("market"):
        quotes = daily_prices(observed.markets[market], START, r.trace.days)
        sale = np.minimum(part["delivered_day"].to_numpy(), r.trace.days - 1)
        paid = part["market_value_usd"] / part["exported_t"]
        assert np.allclose(paid, 0.8 * quotes[sale]), market


def test_the_same_run_at_80_percent_prices_earns_80_percent_of_the_market_value():
    plain = run(load_scenario("history", overrides=_prices_off()), seed=2)
    scaled = run(
        load_scenario("history", overrides=_prices_off(("markets.all.price_scale=0.8",))), seed=2
    )
    # the same tonnes moved (the dispatcher weighs netbacks, which keep their order here) ...
    assert scaled.deliveries["exported_t"].sum() == pytest.approx(
        plain.deliveries["exported_t"].sum(), rel=0.02
    )
    # ... so the value of what was sold is a fifth lower
    ratio = scaled.deliveries["market_value_usd"].sum() / plain.deliveries["market_value_usd"].sum()
    assert ratio == pytest.approx(0.8, rel=0.02)


def test_price_scale_in_a_file_s_set_is_reported_at_its_line(tmp_path: Path):
    path = tmp_path / "cheap.yaml"
    path.write_text(
        "name: cheap\nextends: history\nset:\n  markets.india.price_scale: 0\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = err.value.problems
    assert (problem.file, problem.line, problem.key) == (
        str(path),
        4,
        "set.markets.india.price_scale",
    )


def test_markets_all_sets_any_field_of_every_market():
    s = load_scenario("history", overrides=["markets.all.sanctions_discount_usd_per_t=12"])
    assert {m.sanctions_discount_usd_per_t for m in s.network.markets.values()} == {12}


def test_horizon_set_on_the_command_line_gives_a_trace_of_that_length():
    # beyond the file's own end (2030): the series runs on at its assumed last price
    s = load_scenario("history", overrides=["horizon.start=2032-01-01", "horizon.end=2032-12-31"])
    assert (s.horizon.start, s.horizon.end) == (dt.date(2032, 1, 1), dt.date(2032, 12, 31))
    trace, _net, _cal = simulate(s, seed=1)
    assert trace.days == 366
    # the measures taken before the new start stay in force from its first day
    assert {e.id for e in s.events} >= {
        e.id for e in load_scenario("history").events if e.id is not None
    }


def test_a_shorter_horizon_drops_the_events_after_its_end():
    s = load_scenario("history", overrides=["horizon.end=2021-12-31"])
    assert s.events and max(e.date for e in s.events) <= dt.date(2021, 12, 31)


def _invoke(command: list[str], start: str, end: str, out: Path) -> str:
    """``potashsim COMMAND --set horizon.start/end --set stochastic=false``: its output."""
    sets = [f"horizon.start={start}", f"horizon.end={end}", "stochastic=false"]
    args = [*command, *(a for s in sets for a in ("--set", s)), "--out", str(out)]
    res = CliRunner().invoke(main, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res.output


def test_run_with_horizon_and_stochastic_set_writes_that_run(tmp_path: Path):
    out = _invoke(["run", "history"], "2021-01-01", "2021-06-30", tmp_path)
    folder = Path(out.strip().splitlines()[-1])
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert (summary["horizon_start"], summary["horizon_end"]) == ("2021-01-01", "2021-06-30")
    months = pd.to_datetime(pd.read_csv(folder / "monthly.csv")["month"])
    assert months.min() >= pd.Timestamp("2021-01-01")
    assert months.max() <= pd.Timestamp("2021-06-30")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert "stochastic=false" in manifest["overrides"]


def test_stochastic_false_runs_every_seed_on_the_point_values():
    s = load_scenario("history", overrides=["stochastic=false"])
    assert not s.stochastic
    assert all(realize(s, seed) == s.network for seed in (1, 2, 3))
    drawn = load_scenario("history")
    assert drawn.stochastic and realize(drawn, 1) != realize(drawn, 2)


def test_compare_takes_the_horizon_and_stochastic_from_set(tmp_path: Path):
    out = _invoke(
        ["compare", "history", "us_eu_only", "-n", "2"], "2022-01-01", "2022-12-31", tmp_path
    )
    assert "2022-01-01..2022-12-31" in out


@pytest.mark.parametrize(
    ("option", "key", "says"),
    [
        ("markets.brazil.price_scale=0", "markets.brazil.price_scale", "a number above 0"),
        ("markets.all.price_scale=-1", "markets.all.price_scale", "a number above 0"),
        ("markets.brazil.price_scale=cheap", "markets.brazil.price_scale", "not 'cheap'"),
        ("markets.brazil.price_scale=1000", "markets.brazil.price_scale", "above the 100,000"),
        ("markets.brasil.price_scale=0.8", "markets.brasil.price_scale", "`markets.brazil`?"),
        ("horizon.end=soon", "horizon.end", "should be a date like"),
        ("horizon.end=2032-02-30", "horizon.end", "day is out of range"),
        ("horizon.end=2018-12-31", "horizon", "is before start"),
        ("horizon.ends=2030-01-01", "horizon.ends", "did you mean `end`"),
        ("stochastic=maybe", "stochastic", "should be true or false"),
    ],
)
def test_a_bad_quick_change_names_the_option_key_and_problem(option, key, says):
    with pytest.raises(ScenarioError) as err:
        load_scenario("history", overrides=[option])
    (problem,) = err.value.problems
    assert (problem.file, problem.key) == ("--set", key)
    assert says in problem.message


def test_a_setting_in_a_file_s_set_still_says_where_it_belongs(tmp_path: Path):
    path = tmp_path / "later.yaml"
    path.write_text(
        "name: later\nextends: history\nset:\n  horizon.end: 2031-12-31\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "write it at the top level" in err.value.problems[0].message


def test_the_readme_s_quick_changes_load_as_written():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("Quick changes need no file", 1)[1].split("```shell\n", 1)[1]
    lines = [line.split("#")[0].split() for line in block.split("```", 1)[0].splitlines()]
    assert len(lines) == 3
    for words in lines:
        sets = [words[i + 1] for i, w in enumerate(words) if w == "--set"]
        for name in [w for w in words[2:] if not w.startswith("-") and w not in sets]:
            load_scenario(name, overrides=sets)


def test_a_number_set_without_a_source_stays_in_the_parameter_list_as_the_scenarios_own() -> None:
    # a new user doubled Klaipeda's fee and could not find the row they changed
    from potashsim.cli.explain import parameter_table
    from potashsim.scenario.overrides import UNSOURCED

    table = parameter_table(
        load_scenario("baseline", overrides=["ports.klaipeda.handling_usd_per_t=20"])
    )
    assert f"| `ports.klaipeda.handling_usd_per_t` | 20 |  | {UNSOURCED} |" in table.splitlines()
    assert len(table.splitlines()) == len(parameter_table(load_scenario("baseline")).splitlines())


def test_a_misspelt_field_of_every_market_is_one_problem_with_the_right_suggestion() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario("history", overrides=["markets.all.price_scal=1.1"])
    (problem,) = err.value.problems
    assert problem.message == (
        "no such parameter `markets.all.price_scal`; did you mean `markets.all.price_scale`?"
    )
