"""Events that change nothing (issue 10, item 2; issue 11, item 12): a warning that names the
measure still holding and how to end it, ``validate --strict`` failing on it, repeats summarised;
ids on every shipped event so that a child can drop one; a cap on the events of one file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from click.testing import CliRunner, Result

from potashsim.cli import main
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import MAX_EVENTS

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
LATVIA_REOPENS = (
    "name: latvia_reopens\nextends: history\nevents:\n"
    '  - {date: 2029-01-01, actor: Latvia, action: reopen, target: "link:lv_transit"}\n'
)


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def test_a_reopen_by_the_wrong_actor_warns_naming_the_eus_closure_and_the_fix(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latvia.yaml"
    path.write_text(LATVIA_REOPENS, encoding="utf-8")
    result = cli("validate", str(path))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"{path}: warning: 2029-01-01 Latvia reopen link:lv_transit: changes nothing (Latvia has "
        "no closure of link:lv_transit in force); the EU's closure of link:lv_transit from "
        "2022-06-04 still holds; add an EU reopen, or exclude_events: [eu_2022_transit_lv] "
        "(which drops it from its start)"
    ]
    assert f"{path}: ok (1 warning(s))" in result.stdout.splitlines()


def test_validate_strict_exits_1_on_a_warning_and_0_once_it_is_fixed(tmp_path: Path) -> None:
    path = tmp_path / "latvia.yaml"
    path.write_text(LATVIA_REOPENS, encoding="utf-8")
    strict = cli("validate", "--strict", str(path))
    assert strict.exit_code == 1
    assert "--strict: 1 file(s) with warnings" in strict.stderr
    # the fix the warning names: drop the EU's closure instead
    path.write_text(
        "name: latvia_reopens\nextends: history\nexclude_events: [eu_2022_transit_lv]\n",
        encoding="utf-8",
    )
    fixed = cli("validate", "--strict", str(path))
    assert fixed.exit_code == 0, fixed.output
    assert fixed.stderr == ""
    assert not any(e.id == "eu_2022_transit_lv" for e in load_scenario(path).events)


def test_the_shipped_scenarios_pass_validate_strict() -> None:
    # us_eu_lifted_lithuania_holds keeps its note (Klaipeda stays closed by Lithuania): a note,
    # not a warning, since the EU's lift does end the EU's measures
    result = cli("validate", "--strict", str(SCENARIOS))
    assert result.exit_code == 0, result.output
    assert all(": note: " in ln for ln in result.stderr.splitlines())


def test_thousands_of_events_that_change_nothing_print_a_few_lines_and_a_count(
    tmp_path: Path,
) -> None:
    reopens = [
        f'  - {{date: 2023-01-{d:02d}, actor: Poland, action: reopen, target: "link:lt_transit"}}'
        for d in range(1, 29)
    ]
    path = tmp_path / "many.yaml"
    path.write_text(
        "name: many\nextends: history\nevents:\n" + "\n".join(reopens) + "\n", encoding="utf-8"
    )
    result = cli("validate", str(path))
    lines = result.stderr.splitlines()
    assert len(lines) == 4, lines
    assert all("changes nothing" in ln for ln in lines[:3])
    assert lines[3] == f"{path}: warning: ... and 25 more like this (changes nothing)"
    assert f"{path}: ok (28 warning(s))" in result.stdout.splitlines()


def test_a_file_with_more_events_than_the_limit_is_refused_naming_the_file_and_limit(
    tmp_path: Path,
) -> None:
    note = '  - {date: 2023-01-01, actor: EU, action: note, note: "x"}'
    path = tmp_path / "huge.yaml"
    path.write_text(
        "name: huge\nextends: history\nevents:\n" + "\n".join([note] * (MAX_EVENTS + 1)) + "\n",
        encoding="utf-8",
    )
    result = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{path}:3: events: {MAX_EVENTS + 1:,} events; a scenario file may hold at most "
        f"{MAX_EVENTS:,} (split them over files that extend one another)"
    )
    assert not (tmp_path / "out").exists()


def test_every_shipped_event_has_a_stable_lower_snake_case_id() -> None:
    ids: list[str] = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        for event in yaml.safe_load(path.read_text(encoding="utf-8")).get("events") or []:
            assert re.fullmatch(r"[a-z][a-z0-9_]*", str(event.get("id"))), (path.name, event)
            ids.append(event["id"])
    assert len(ids) == len(set(ids)), "ids are unique across the shipped scenarios"
    # ids that scenarios and users already refer to stay as they were
    for kept in [
        "us_general_license_13",
        "us_2022_discount",
        "us_2022_india",
        "ru_spb_2022_07",
        "ru_spb_improvised",
        "ru_ul_improvised",
        "eu_2022_transit_lv",
    ]:
        assert kept in ids


def test_an_unknown_excluded_id_lists_the_inherited_ids_when_none_is_near(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("name: x\nextends: history\nexclude_events: [zzz]\n", encoding="utf-8")
    result = cli("validate", str(path))
    assert result.exit_code == 2
    line = result.stdout.splitlines()[0]
    assert line.startswith(
        f"{path}:3: exclude_events.0: no inherited event has id 'zzz'; the inherited ids are: "
        "eu_2021_partial_measures, us_2021_belaruskali, lt_2022_transit,"
    )
    assert line.endswith(" more")
    near = tmp_path / "near.yaml"
    near.write_text(
        "name: x\nextends: history\nexclude_events: [eu_2022_transit_latvia]\n", encoding="utf-8"
    )
    assert "did you mean `eu_2022_transit_lv`?" in cli("validate", str(near)).stdout


def test_a_withdrawal_of_the_wrong_target_names_the_target_to_withdraw() -> None:
    from pydantic import TypeAdapter

    from potashsim.scenario.schema import Event
    from potashsim.sim.policy import ineffective_events

    history = load_scenario("history")
    wrong = TypeAdapter(Event).validate_python(
        {"date": "2024-01-01", "actor": "US", "action": "remove_discount", "target": "market:eu"}
    )
    (warning,) = ineffective_events((*history.events, wrong))
    assert warning.is_warning
    assert warning.text == (
        "2024-01-01 US remove_discount market:eu: changes nothing (the US has no discount of "
        "market:eu in force); the US's discount of market:all from 2022-04-01 still holds; add a "
        "US remove_discount of market:all, or exclude_events: [us_2022_discount] (which drops "
        "it from its start)"
    )


def test_a_reopening_another_actors_closure_still_blocks_names_that_measure_and_the_fix(
    tmp_path: Path,
) -> None:
    # a new user's "Lithuania reopens in 2029" on top of history: Lithuania's own closure ends,
    # but the EU's transit ban keeps Klaipeda shut; the note must say whose, its id and the fix
    path = tmp_path / "lt_reopens.yaml"
    path.write_text(
        "name: lt_reopens\nextends: history\nhorizon: {start: 2019-01-01, end: 2032-12-31}\n"
        "events:\n  - {date: 2029-01-01, actor: Lithuania, action: reopen, "
        "target: link:lt_transit}\n",
        encoding="utf-8",
    )
    result = cli("validate", str(path))
    assert result.exit_code == 0
    (line,) = [ln for ln in result.stderr.splitlines() if "2029-01-01 Lithuania" in ln]
    assert line == (
        f"{path}: note: 2029-01-01 Lithuania reopen link:lt_transit: link:lt_transit stays "
        "closed, by EU since 2022-06-04; to open it add an EU reopen, or exclude_events: "
        "[eu_2022_transit_lt] (which drops it from its start)"
    )


def test_a_reopen_listed_before_the_same_days_reopen_that_frees_it_suggests_nothing_to_add(
    tmp_path: Path,
) -> None:
    # Latvia's reopen still changes nothing (Latvia closed nothing), but the EU's reopen of the
    # same day, listed after it, ends the EU's closure: there is no measure left to end
    path = tmp_path / "latvia_and_eu.yaml"
    path.write_text(
        LATVIA_REOPENS
        + '  - {date: 2029-01-01, actor: EU, action: reopen, target: "link:lv_transit"}\n',
        encoding="utf-8",
    )
    result = cli("validate", str(path))
    assert result.stderr.splitlines() == [
        f"{path}: warning: 2029-01-01 Latvia reopen link:lv_transit: changes nothing (Latvia has "
        "no closure of link:lv_transit in force)"
    ]
