"""Scenario resolution (extends, set, --set, exclude_actors) and the problems the loader reports.

The command-line side of bad input (exit codes, output lines) is in ``test_cli_input.py``; here
the ``Problem`` objects themselves and the resolved ``Scenario`` are checked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, NoReturn

import pytest
import yaml

from potashsim.errors import Problem, ScenarioError
from potashsim.scenario import yamlio
from potashsim.scenario.loader import find_scenario, load_scenario, parse_set_option
from potashsim.scenario.overrides import UNSOURCED
from potashsim.scenario.schema import Scenario
from potashsim.scenario.yamlio import MAX_NODES, Document, parse_yaml, read_yaml
from potashsim.sim.network import routes

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted(p.stem for p in (REPO / "scenarios").glob("*.yaml"))
DATA = Path(__file__).resolve().parent / "data"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(ref: str | Path, *overrides: str) -> list[Problem]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(ref, overrides=list(overrides))
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return info.value.problems


def events_of(s: Scenario) -> list[tuple[str, str, str, str]]:
    return [(str(e.date), e.actor, e.action, getattr(e, "target", None) or "") for e in s.events]


# --- shipped scenarios and extends ----------------------------------------------------------------


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_by_name_and_by_path(name: str) -> None:
    by_name = load_scenario(name)
    by_path = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    assert by_name == by_path
    assert by_name.name == name
    assert by_name.events == tuple(sorted(by_name.events, key=lambda e: e.date))


def test_extends_by_shipped_name_inherits_horizon_seed_and_events(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.yaml", "name: mine\nextends: history\n")
    s, history = load_scenario(path), load_scenario("history")
    assert (s.horizon, s.seed, s.events, s.network) == (
        history.horizon,
        history.seed,
        history.events,
        history.network,
    )
    # inherited when the child has none, saying where it comes from
    assert s.description == f"Extends history: {history.description}"


def test_extends_by_relative_path_and_a_chain_of_three_files() -> None:
    # child.yaml -> parent.yaml (relative path) -> history (shipped name) -> baseline
    s = load_scenario(DATA / "chain" / "child.yaml")
    history = load_scenario("history")
    assert s.name == "chain_child"
    assert s.description.startswith("Extends chain_parent: history with dearer Klaipeda")
    assert s.seed == 7 and s.stochastic is False  # parent's seed, child's stochastic
    assert s.horizon == history.horizon  # from baseline, three files up
    assert s.network.ports["klaipeda"].handling_usd_per_t == 13  # the child overrides the parent
    assert s.network.links["by_east"].capacity_trains_per_day == 14  # the parent's set stays
    assert s.provenance["links.by_east.capacity_trains_per_day"] == (
        "estimate: test: a wider Belarusian section"
    )
    assert "ports.klaipeda.handling_usd_per_t" not in s.uncertain  # a set value is fixed
    assert events_of(s) == [
        *events_of(history),
        ("2028-01-01", "Ukraine", "reopen", "link:ua_transit"),
        ("2029-01-01", "EU", "set_cost", "port:klaipeda"),
    ]


def test_extends_by_a_relative_path_into_another_folder(tmp_path: Path) -> None:
    write(tmp_path, "common/base.yaml", "name: base\nextends: baseline\nseed: 11\n")
    path = write(tmp_path, "variants/v1.yaml", "name: v1\nextends: ../common/base.yaml\n")
    assert load_scenario(path).seed == 11


def test_a_sibling_file_is_preferred_to_a_shipped_scenario_of_the_same_name(tmp_path: Path) -> None:
    write(tmp_path, "history.yaml", "name: history\nextends: baseline\nseed: 5\n")
    path = write(tmp_path, "child.yaml", "name: child\nextends: history\n")
    s = load_scenario(path)
    assert s.seed == 5 and s.events == ()


def test_find_scenario_resolves_paths_and_shipped_names(tmp_path: Path) -> None:
    assert find_scenario("history") == REPO / "scenarios" / "history.yaml"
    assert find_scenario("no_such_scenario") is None
    write(tmp_path, "x.yaml", "name: x\n")
    assert find_scenario("x.yaml", relative_to=tmp_path) == tmp_path / "x.yaml"
    assert find_scenario("x", relative_to=tmp_path) == tmp_path / "x.yaml"


def test_exclude_actors_drops_the_inherited_events_of_those_actors() -> None:
    history = load_scenario("history")
    lithuania_only = load_scenario("lithuania_ban_only")
    no_lithuania = load_scenario("us_eu_only")
    assert {e.actor for e in lithuania_only.events} == {"Lithuania", "Russia"}
    assert events_of(no_lithuania) == [e for e in events_of(history) if e[1] != "Lithuania"]
    assert ("2022-06-04", "EU", "close", "link:lt_transit") in events_of(no_lithuania)


def test_exclude_actors_keeps_the_files_own_events_of_those_actors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "late.yaml",
        (
            "name: late\nextends: history\nexclude_actors: [Lithuania]\nevents:\n"
            "  - {date: 2024-01-01, actor: Lithuania, action: close, target: 'link:lt_transit'}\n"
        ),
    )
    lt = [e for e in events_of(load_scenario(path)) if e[1] == "Lithuania"]
    assert lt == [("2024-01-01", "Lithuania", "close", "link:lt_transit")]


def test_set_can_add_a_node_link_and_port_and_the_new_route_appears(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "riga.yaml",
        """\
name: with_riga
extends: history
set:
  nodes.riga: {name: Riga, lat: 56.95, lon: 24.10}
  links.lv_riga:
    {from_node: lv_border, to_node: riga, country: Latvia, distance_km: 300,
     transit_days: {value: 1.0, low: 0.8, high: 1.5, estimate: "test"},
     capacity_trains_per_day: 3, tariff_usd_per_t: {value: 6, source: T1}}
  ports.riga:
    {name: Riga, node: riga, sea_region: baltic_lt, capacity_t_per_year: 2000000,
     storage_t: 100000, berths: 2, loading_t_per_day: 12000, handling_usd_per_t: 9}
events:
  - {date: 2022-06-04, actor: EU, action: close, target: "port:riga"}
""",
    )
    s = load_scenario(path)
    riga = next(r for r in routes(s.network) if r.id == "riga")
    assert riga.kind == "port"
    assert riga.links == ("by_lv", "lv_riga")
    assert set(riga.markets) == set(s.network.lanes["baltic_lt"])
    assert s.network.ports["riga"].berths == 2
    assert s.provenance["links.lv_riga.tariff_usd_per_t"] == "source: T1"
    assert s.uncertain["links.lv_riga.transit_days"].high == 1.5
    # the routes that were there before are unchanged
    before = {r.id: r for r in routes(load_scenario("history").network)}
    assert {r.id: r for r in routes(s.network) if r.id != "riga"} == before


def test_a_new_port_must_be_complete_and_reachable(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "island.yaml",
        """\
name: island
extends: baseline
set:
  nodes.island: {name: Island, lat: 0, lon: 0}
  ports.island:
    {name: Island, node: island, sea_region: baltic_lt, capacity_t_per_year: 1,
     storage_t: 100000, berths: 1, loading_t_per_day: 1000}
""",
    )
    problems = problems_of(path)
    assert [(p.line, p.key, p.message) for p in problems] == [
        (5, "set.ports.island.handling_usd_per_t", "missing required key"),
    ]
    path.write_text(
        path.read_text().replace(
            "loading_t_per_day: 1000", "loading_t_per_day: 1000, handling_usd_per_t: 1"
        )
    )
    [problem] = problems_of(path)
    assert (problem.line, problem.key) == (5, "set.ports.island.node")
    assert problem.message == "node 'island' cannot be reached by rail from the mines"


def test_set_options_override_the_files_sets_in_order(tmp_path: Path) -> None:
    s = load_scenario(
        DATA / "chain" / "child.yaml",
        overrides=["ports.klaipeda.handling_usd_per_t=15", "ports.klaipeda.handling_usd_per_t=16"],
    )
    assert s.network.ports["klaipeda"].handling_usd_per_t == 16


def test_a_set_option_value_is_read_as_yaml() -> None:
    assert parse_set_option("ports.klaipeda.opens_on=2030-01-01") == (
        "ports.klaipeda.opens_on",
        dt.date(2030, 1, 1),
    )
    assert parse_set_option("ports.klaipeda.built=false") == ("ports.klaipeda.built", False)
    assert parse_set_option(" model.dispatcher = lp") == ("model.dispatcher", "lp")
    assert isinstance(parse_set_option("no_equals_sign"), Problem)


def test_a_set_option_can_make_a_parameter_uncertain() -> None:
    s = load_scenario(
        "baseline",
        overrides=["ports.klaipeda.handling_usd_per_t={value: 11, low: 9, high: 14, source: X1}"],
    )
    assert s.network.ports["klaipeda"].handling_usd_per_t == 11
    assert s.uncertain["ports.klaipeda.handling_usd_per_t"].low == 9
    assert s.provenance["ports.klaipeda.handling_usd_per_t"] == "source: X1"


# --- where problems are placed --------------------------------------------------------------------


def test_a_problem_prints_as_file_line_key_message() -> None:
    assert str(Problem("a.yaml", 3, "seed", "bad")) == "a.yaml:3: seed: bad"
    assert str(Problem("a.yaml", None, "", "bad")) == "a.yaml: bad"
    assert str(Problem("--set", None, "x.y", "bad")) == "--set: x.y: bad"


def test_every_problem_in_a_file_is_reported_in_one_error_with_its_line() -> None:
    path = DATA / "invalid" / "several_problems.yaml"
    problems = problems_of(path)
    assert [(p.file, p.line, p.key) for p in problems] == [
        (str(path), 4, "horizn"),
        (str(path), 5, "seed"),
        (str(path), 7, "set.links.lt_transit.capacity_trains_per_dya"),
        (str(path), 8, "set.ports.klaipeda.capacity_t_per_year"),
        (str(path), 10, "events.0.date"),
        (str(path), 11, "events.1.target"),
        (str(path), 12, "events.2.actor"),
    ]


def test_a_broken_horizon_does_not_also_flag_every_event_as_outside_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "h.yaml",
        (
            "name: h\nextends: history\nhorizon: {start: 2025-01-01, end: 2024-01-01}\nevents:\n"
            "  - {date: 2020-01-01, actor: EU, action: close, target: 'link:lt_transt'}\n"
        ),
    )
    assert [(p.line, p.key) for p in problems_of(path)] == [(3, "horizon"), (5, "events.0.target")]


def test_event_targets_are_checked_even_when_the_network_is_invalid(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "n.yaml",
        (
            "name: n\nextends: baseline\nset: {model.wagons_per_train: 0}\nevents:\n"
            "  - {date: 2020-01-01, actor: EU, action: close, target: 'port:klaipda'}\n"
        ),
    )
    assert [(p.line, p.key, p.message) for p in problems_of(path)] == [
        (3, "set.model.wagons_per_train", "should be greater than or equal to 1 (got 0)"),
        (5, "events.0.target", "no port 'klaipda' in the network; did you mean `port:klaipeda`?"),
    ]


def test_a_file_set_that_breaks_a_check_on_its_section_is_reported_at_the_set_line(
    tmp_path: Path,
) -> None:
    # the shipped mine starts with 300,000 t; lowering its storage below that is the error
    path = write(
        tmp_path,
        "s.yaml",
        "name: s\nextends: baseline\nset:\n  mines.belaruskali.storage_t: 100000\n",
    )
    [problem] = problems_of(path)
    assert (problem.file, problem.line, problem.key) == (
        str(path),
        4,
        "set.mines.belaruskali.storage_t",
    )
    assert problem.message == "initial_stock_t (300,000 t) exceeds storage_t (100,000 t)"


def test_a_port_that_starts_fuller_than_its_storage_is_rejected_not_crashed_on_at_run_time() -> (
    None
):
    [problem] = problems_of("baseline", "ports.klaipeda.initial_stock_t=250000")
    assert str(problem) == (
        "--set: ports.klaipeda.initial_stock_t: initial_stock_t "
        "(250,000 t) exceeds storage_t (200,000 t)"
    )
    s = load_scenario("baseline", overrides=["ports.klaipeda.initial_stock_t=150000"])
    assert s.network.ports["klaipeda"].initial_stock_t == 150000


def test_a_missing_network_file_is_reported_at_the_network_key(tmp_path: Path) -> None:
    path = write(tmp_path, "net.yaml", "name: net\nextends: baseline\nnetwork: data/none.yaml\n")
    [problem] = problems_of(path)
    assert str(problem) == (
        f"{path}:3: network: cannot read network file 'data/none.yaml': no such file"
    )


def test_a_custom_network_file_is_used_and_its_own_problems_name_it(tmp_path: Path) -> None:
    shipped = (REPO / "src" / "potashsim" / "data" / "network.yaml").read_text(encoding="utf-8")
    net = write(tmp_path, "net/network.yaml", shipped)
    path = write(tmp_path, "s.yaml", "name: s\nextends: baseline\nnetwork: net/network.yaml\n")
    assert load_scenario(path).network == load_scenario("baseline").network
    net.write_text(
        shipped.replace("berths: {value: 6, source: R10}", "berths: {value: six, source: R10}"),
        encoding="utf-8",
    )
    [problem] = problems_of(path)
    line = 1 + shipped[: shipped.index("berths: {value: 6, ")].count("\n")
    assert str(problem) == (
        f"{net}:{line}: ports.klaipeda.berths: should be a whole number (got 'six')"
    )


def test_a_missing_horizon_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "nohorizon.yaml", "name: nohorizon\n")
    [problem] = problems_of(path)
    # at the file's top, where a horizon (or the extends: that brings one) would go
    assert str(problem) == f"{path}:1: horizon: no horizon in this file or any it extends"


def test_a_missing_parent_names_the_file_that_extends_it(tmp_path: Path) -> None:
    path = write(tmp_path, "child.yaml", "name: child\nextends: gone.yaml\n")
    [problem] = problems_of(path)
    assert (problem.line, problem.key) == (2, "extends")


def test_an_unreadable_parent_names_the_file_that_extends_it(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_bytes(b"name: parent\n\x00")
    path = write(tmp_path, "child.yaml", "name: child\nextends: parent.yaml\n")
    [problem] = problems_of(path)
    assert str(problem) == (
        f"{tmp_path / 'parent.yaml'}: binary file (contains NUL bytes), "
        f"not YAML text (extended by {path}, line 2)"
    )


# --- reading YAML safely --------------------------------------------------------------------------


def test_yaml_lines_are_recorded_for_every_key_and_list_item() -> None:
    doc = parse_yaml("name: x\nset:\n  a.b: 1\nevents:\n  - {date: 2020-01-01}\n  - x\n", "f")
    assert isinstance(doc, Document)
    assert doc.line(("name",)) == 1
    assert doc.line(("set", "a.b")) == 3
    assert doc.line(("events", 1)) == 6
    assert doc.line(("events", 0, "date")) == 5
    assert doc.line(("events", 0, "nothing", "deeper")) == 5  # nearest ancestor


def test_a_yaml_alias_bomb_is_refused_without_expanding_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 9**10 values once expanded; the check stops counting at MAX_NODES and builds nothing
    # (benchmarks/bench_cli.py times the refusal)
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    path = write(tmp_path, "bomb.yaml", "\n".join(lines) + "\nname: bomb\n")
    visited = 0
    walk = yamlio._walk

    def counting_walk(*args: Any) -> Any:
        nonlocal visited
        visited += 1
        return walk(*args)

    def must_not_run(*_args: object, **_kwargs: object) -> NoReturn:
        raise AssertionError("the alias bomb was built into Python values")

    monkeypatch.setattr(yamlio, "_walk", counting_walk)
    monkeypatch.setattr(yaml.constructor.BaseConstructor, "construct_document", must_not_run)
    problem = read_yaml(path)
    assert isinstance(problem, Problem)
    assert f"more than {MAX_NODES:,} values" in problem.message
    assert visited == MAX_NODES + 1


def test_small_anchors_and_aliases_are_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ice.yaml",
        """\
name: ice
extends: history
set:
  ports.st_petersburg.ice: &hard
    {start_month_day: 12-24, end_month_day: 04-09, turnaround_factor: 1.5}
  ports.ust_luga.ice: *hard
""",
    )
    s = load_scenario(path)
    assert s.network.ports["ust_luga"].ice == s.network.ports["st_petersburg"].ice


def test_absurdly_deep_nesting_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "deep.yaml", "name: " + "[" * 5000 + "]" * 5000 + "\n")
    problem = read_yaml(path)
    assert isinstance(problem, Problem)
    assert "nested too deeply" in problem.message or "nesting depth" in problem.message


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfname: bom\nextends: baseline\n")
    assert load_scenario(path).name == "bom"


def test_a_folder_given_as_a_scenario_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    [problem] = problems_of(tmp_path / "sub")
    assert problem.message == "is a folder, not a YAML file"


# --- set: replacing sections, uncertain parameters, lists -----------------------------------------


def test_setting_a_whole_section_drops_the_uncertainty_and_sources_of_what_it_replaces() -> None:
    s = load_scenario(
        "baseline",
        overrides=[
            "ports.klaipeda={name: K, node: klaipeda, sea_region: baltic_lt, "
            "capacity_t_per_year: 1000000, storage_t: {value: 50000, estimate: mine}, berths: 1, "
            "loading_t_per_day: 5000, handling_usd_per_t: 3}"
        ],
    )
    assert s.network.ports["klaipeda"].storage_t == 50000
    # a stochastic run must not draw the old 200,000-300,000 t storage over the new value
    assert not [k for k in s.uncertain if k.startswith("ports.klaipeda.")]
    assert {k: v for k, v in s.provenance.items() if k.startswith("ports.klaipeda.")} == {
        "ports.klaipeda.storage_t": "estimate: mine"
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{value: 5, low: 10, high: 3}", "bad uncertain parameter: low (10.0) is above high (3.0)"),
        (
            "{value: 3, low: 4, high: 5}",
            "bad uncertain parameter: value (3.0) must lie between low and high",
        ),
        ("{dist: normal, mean: 5}", "bad uncertain parameter: a normal distribution needs sd"),
        (
            "{dist: uniform, low: 1, sd: -1}",
            "bad uncertain parameter: a uniform distribution needs high; "
            "sd should be greater than or equal to 0 (got -1)",
        ),
        (
            "{dist: triangular, low: a, mode: 2, high: 3}",
            "bad uncertain parameter: low should be a number (got 'a')",
        ),
        (
            "{dist: weibull, low: 1, high: 2}",
            "bad uncertain parameter: dist should be one of: "
            "uniform, triangular, normal (got 'weibull')",
        ),
    ],
    ids=[
        "low_above_high",
        "value_outside_range",
        "normal_without_sd",
        "uniform_without_high_and_a_negative_sd",
        "triangular_low_not_a_number",
        "unknown_dist",
    ],
)
def test_a_bad_uncertain_parameter_is_a_problem_not_a_crash(value: str, message: str) -> None:
    [problem] = problems_of("baseline", f"ports.klaipeda.handling_usd_per_t={value}")
    assert str(problem) == f"--set: ports.klaipeda.handling_usd_per_t: {message}"


def test_a_bad_uncertain_parameter_in_a_file_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "u.yaml",
        (
            "name: u\nextends: baseline\nset:\n"
            "  ports.klaipeda.berths: {value: 6, low: 7, high: 8, source: R10}\n"
        ),
    )
    [problem] = problems_of(path)
    assert (problem.line, problem.key) == (4, "set.ports.klaipeda.berths")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "mines.belaruskali.output_schedule.9.output_t_per_year=1",
            "no item 9 in `mines.belaruskali.output_schedule` (it has 5 items, numbered from 0)",
        ),
        (
            "ports.klaipeda.ice.start_month_day=01-15",
            "`ports.klaipeda.ice` is not set in the network, so it has no parts to change: set "
            "`ports.klaipeda.ice` as a whole",
        ),
        (
            "ports.klaipeda.handling_usd_per_t.value=3",
            "ports.klaipeda.handling_usd_per_t is a value, not a section",
        ),
        ("markets.brazil.prices=[]", "should have at least 1 item"),
        ("ports.klaipeda.capacity=3", "unknown key; did you mean `capacity_t_per_year`?"),
        ("model.dispatcher=fast", "should be one of: greedy, lp (got 'fast')"),
        ("ports.klaipeda.opens_on=soon", "should be a date like 2022-02-01 (got 'soon')"),
        ("ports.klaipeda.sea_region=atlantic", "no lanes for sea region 'atlantic'"),
    ],
)
def test_set_paths_into_lists_and_missing_sections_explain_themselves(
    option: str, message: str
) -> None:
    [problem] = problems_of("baseline", option)
    assert problem.message == message


def test_set_can_change_one_item_of_a_list() -> None:
    s = load_scenario(
        "baseline", overrides=["mines.belaruskali.output_schedule.0.output_t_per_year=1"]
    )
    assert s.network.mines["belaruskali"].output_schedule[0].output_t_per_year == 1
    # the old citation no longer applies: the number is the scenario's own
    assert s.provenance["mines.belaruskali.output_schedule.0.output_t_per_year"] == UNSOURCED


def test_set_accepts_a_distribution_for_a_number() -> None:
    s = load_scenario(
        "history",
        overrides=[
            "links.ru_nw.capacity_trains_per_day={dist: triangular, low: 6, mode: 8, high: 12}"
        ],
    )
    assert s.network.links["ru_nw"].capacity_trains_per_day == 8
    dist = s.uncertain["links.ru_nw.capacity_trains_per_day"]
    assert (dist.dist, dist.low, dist.mode, dist.high) == ("triangular", 6, 8, 12)


def test_an_empty_network_file_is_reported_as_such(tmp_path: Path) -> None:
    write(tmp_path, "net.yaml", "# nothing yet\n")
    path = write(tmp_path, "s.yaml", "name: s\nextends: baseline\nnetwork: net.yaml\n")
    [problem] = problems_of(path)
    assert str(problem) == (
        f"{tmp_path / 'net.yaml'}:1: a network file must be a mapping of "
        "keys (nodes, mines, links, ...), found an empty file"
    )


def test_exclude_events_drops_one_inherited_measure_by_id() -> None:
    from potashsim.scenario.loader import load_scenario as load

    history = load("history")
    no_easing = load("no_easing")
    assert any(e.action == "lift" and e.actor == "US" for e in history.events)
    assert not any(e.action == "lift" and e.actor == "US" for e in no_easing.events)
    assert len(no_easing.events) == len(history.events) - 1


def test_excluding_an_unknown_event_id_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    import pytest

    from potashsim.errors import ScenarioError
    from potashsim.scenario.loader import load_scenario as load

    p = tmp_path / "x.yaml"
    p.write_text(
        "name: x\nextends: history\nexclude_events: [us_general_licence_13]\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load(p)
    (problem,) = err.value.problems
    assert problem.line == 3 and problem.key == "exclude_events.0"
    assert "did you mean `us_general_license_13`" in problem.message
