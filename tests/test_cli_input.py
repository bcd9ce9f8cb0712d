"""Bad input at the command line: every problem at once, one line each, exit 2, nothing written.

The contract (issue "clear errors for bad scenarios"): each problem is one line
``file:line: key.path: message`` (a suggestion for a misspelt name), exit status 2 for invalid
input, 0 for valid, 1 for an internal error, never a traceback, and no results folder is created
when the input is invalid. ``validate`` prints its report on stdout; ``run``/``explain`` print
problems on stderr.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pytest
import yaml
from click.testing import CliRunner, Result

from potashsim.cli import main
from potashsim.scenario import yamlio

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
DATA = Path(__file__).resolve().parent / "data"
PROBLEM_LINE = re.compile(r"^(?P<file>[^:]+)(:(?P<line>\d+))?: (?P<rest>.+)$")


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problem_lines(result: Result) -> list[str]:
    """Every reported problem (validate's summary and ``ok`` lines left out)."""
    return [
        ln
        for ln in result.stdout.splitlines()
        if ln and not ln.endswith(": ok") and " file(s) checked: " not in ln
    ]


def only_problem(result: Result) -> str:
    lines = problem_lines(result)
    assert len(lines) == 1, result.stdout
    return lines[0]


def assert_invalid(result: Result, n_files: int = 1) -> None:
    assert result.exit_code == 2, result.output
    assert result.stdout.splitlines()[-1].endswith(f"{n_files} invalid"), result.stdout


# --- one bad input each: exit 2, one clear line at the right place ------------------------------

BASE = "name: bad\nextends: baseline\n"  # lines 1-2 of most cases below

# (id, file content, expected line number or None, expected key ("" for the whole file),
#  fragments the message must contain)
CASES = [
    ("empty_file", "", 1, "", ["empty file", "`name`"]),
    ("only_comments", "# nothing here yet\n", 1, "", ["empty file"]),
    (
        "yaml_syntax_error",
        "name: bad\nhorizon: {start: 2020-01-01\nend: 2021-01-01\n",
        3,
        "",
        ["YAML syntax error", "column 4", "starts on line 2"],
    ),
    ("tab_indentation", "name: bad\n\tseed: 1\n", 2, "", ["YAML syntax error", "not tabs"]),
    (
        "top_level_list",
        "- name: bad\n- seed: 1\n",
        1,
        "",
        ["top level must be a mapping", "found a list"],
    ),
    (
        "top_level_scalar",
        "just some words\n",
        1,
        "",
        ["top level must be a mapping", "found a str"],
    ),
    (
        "unknown_key_with_suggestion",
        BASE + "horizn: {start: 2020-01-01, end: 2021-01-01}\n",
        3,
        "horizn",
        ["unknown key", "did you mean `horizon`?"],
    ),
    (
        "unknown_key_inside_set_entry",
        BASE + "set:\n  links.lt_transit.capacity_trains_per_dya: 3\n",
        4,
        "set.links.lt_transit.capacity_trains_per_dya",
        ["unknown key", "did you mean `capacity_trains_per_day`?"],
    ),
    (
        "unknown_key_suggests_a_field_of_the_right_section",
        BASE + "set:\n  ports.klaipeda.capacity_trains_per_day: 3\n",
        4,
        "set.ports.klaipeda.capacity_trains_per_day",
        ["did you mean `capacity_t_per_year`?"],
    ),
    ("wrong_type_seed", BASE + 'seed: "abc"\n', 3, "seed", ["whole number", "'abc'"]),
    ("negative_seed", BASE + "seed: -1\n", 3, "seed", ["greater than or equal to 0", "-1"]),
    (
        "negative_link_capacity",
        BASE + "set: {links.lt_transit.capacity_trains_per_day: -1}\n",
        3,
        "set.links.lt_transit.capacity_trains_per_day",
        ["greater than 0", "-1"],
    ),
    (
        "zero_link_capacity",
        BASE + "set: {links.lt_transit.capacity_trains_per_day: 0}\n",
        3,
        "set.links.lt_transit.capacity_trains_per_day",
        ["greater than 0", "(got 0)"],
    ),
    (
        "negative_port_capacity",
        BASE + "set:\n  ports.klaipeda.capacity_t_per_year: -5\n",
        4,
        "set.ports.klaipeda.capacity_t_per_year",
        ["greater than or equal to 0", "-5"],
    ),
    (
        "end_before_start",
        "name: bad\nhorizon: {start: 2021-01-01, end: 2020-01-01}\n",
        2,
        "horizon",
        ["end (2020-01-01) is before start (2021-01-01)"],
    ),
    (
        "event_after_the_horizon",
        BASE + "events:\n  - {date: 2031-01-01, actor: EU, action: close, target: 'market:eu'}\n",
        4,
        "events.0.date",
        ["2031-01-01 is outside the horizon 2019-01-01..2030-12-31"],
    ),
    (
        "event_before_the_horizon",
        BASE + "events:\n  - {date: 2018-12-31, actor: EU, action: close, target: 'market:eu'}\n",
        4,
        "events.0.date",
        ["outside the horizon"],
    ),
    (
        "event_targets_a_misspelt_link",
        BASE
        + "events:\n  - {date: 2022-01-01, actor: EU, action: close, target: 'link:lt_transt'}\n",
        4,
        "events.0.target",
        ["no link 'lt_transt'", "did you mean `link:lt_transit`?"],
    ),
    (
        "event_targets_a_misspelt_port",
        BASE
        + "events:\n  - {date: 2022-01-01, actor: EU, action: close, target: 'port:klaipda'}\n",
        4,
        "events.0.target",
        ["no port 'klaipda'", "did you mean `port:klaipeda`?"],
    ),
    (
        "event_targets_a_missing_market",
        BASE + "events:\n  - {date: 2022-01-01, actor: EU, action: close, target: 'market:mars'}\n",
        4,
        "events.0.target",
        ["no market 'mars' in the network"],
    ),
    (
        "event_with_a_misspelt_action",
        BASE + "events:\n  - {date: 2022-01-01, actor: EU, action: clos, target: 'market:eu'}\n",
        4,
        "events.0",
        ["unknown action 'clos'", "did you mean `close`?"],
    ),
    (
        "event_without_an_action",
        BASE + "events:\n  - {date: 2022-01-01, actor: EU, target: 'market:eu'}\n",
        4,
        "events.0",
        ["missing action", "every event needs one (close, reopen, set_capacity,"],
    ),
    (
        "event_with_an_action_that_is_not_text",
        BASE + "events:\n  - {date: 2022-01-01, actor: EU, action: 5, target: 'market:eu'}\n",
        4,
        "events.0",
        ["unknown action 5 (one of: close,"],
    ),
    (
        "note_event_without_its_note",
        BASE + "events:\n  - {date: 2022-01-01, actor: EU, action: note}\n",
        4,
        "events.0.note",
        ["missing required key"],
    ),
    (
        "event_with_a_misspelt_actor",
        BASE + "events:\n"
        "  - {date: 2022-01-01, actor: Lithuana, action: close, target: 'market:eu'}\n",
        4,
        "events.0.actor",
        ["should be one of", "did you mean `Lithuania`?"],
    ),
    (
        "event_target_without_a_kind",
        BASE + "events:\n  - {date: 2022-01-01, actor: EU, action: close, target: lt_transit}\n",
        4,
        "events.0.target",
        ["kind:id", "link:lt_transit"],
    ),
    (
        "name_not_an_id",
        "name: My Scenario\nextends: baseline\n",
        1,
        "name",
        ["lower_snake_case", "'My Scenario'"],
    ),
    ("missing_name", "extends: baseline\n", 1, "name", ["missing required key"]),
    (
        "extends_a_missing_file",
        "name: bad\nextends: nowhere.yaml\n",
        2,
        "extends",
        ["cannot find 'nowhere.yaml'", "shipped scenario"],
    ),
    ("extends_itself", "name: bad\nextends: case.yaml\n", 2, "extends", ["circular"]),
    ("duplicate_key", BASE + "seed: 1\nseed: 2\n", 4, "seed", ["duplicate key"]),
    (
        "duplicate_key_in_a_nested_mapping",
        BASE + "horizon:\n  start: 2020-01-01\n  start: 2021-01-01\n",
        5,
        "horizon.start",
        ["duplicate key"],
    ),
    (
        "impossible_date",
        BASE + "horizon: {start: 2022-02-30, end: 2023-01-01}\n",
        3,
        "",
        ["'2022-02-30'", "day is out of range"],
    ),
    (
        "not_utf8",
        b"name: bad\ndescription: caf\xe9 au lait\n",
        2,
        "",
        ["not UTF-8", "0xe9", "save the file as UTF-8"],
    ),
    ("binary", b"name: bad\n\x00\x01\x02\x03", None, "", ["binary file", "NUL"]),
    (
        "set_adds_a_section_of_its_own",
        BASE + "set: {seed: 3}\n",
        3,
        "set.seed",
        ["scenario setting, not a network parameter"],
    ),
    (
        "set_path_that_does_not_exist",
        BASE + "set: {ports.klaipedaa.berths: 3}\n",
        3,
        "set.ports.klaipedaa.berths",
        ["no such parameter", "did you mean `ports.klaipeda`?"],
    ),
    (
        "set_port_stock_above_storage",
        BASE + "set: {ports.klaipeda.initial_stock_t: 300000}\n",
        3,
        "set.ports.klaipeda.initial_stock_t",
        ["initial_stock_t (300,000 t) exceeds storage_t (200,000 t)"],
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "key", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_validate_reports_each_bad_input_on_one_line_at_its_place_and_exits_2(
    tmp_path: Path, text: str | bytes, line: int | None, key: str, fragments: list[str]
) -> None:
    path = write(tmp_path, "case.yaml", text)
    result = cli("validate", str(path))
    assert_invalid(result)
    reported = only_problem(result)
    where = f"{path}:{line}" if line else f"{path}"
    prefix = f"{where}: {key}: " if key else f"{where}: "
    assert reported.startswith(prefix), reported
    for fragment in fragments:
        assert fragment in reported, reported
    assert "\n" not in reported and "Traceback" not in result.output


def test_a_port_capacity_of_zero_is_allowed_as_closed(tmp_path: Path) -> None:
    path = write(tmp_path, "ok.yaml", BASE + "set: {ports.klaipeda.capacity_t_per_year: 0}\n")
    result = cli("validate", str(path))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{path}: ok", "1 file(s) checked: 1 valid, 0 invalid"]


def test_validate_says_when_a_path_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    result = cli("validate", str(missing))
    assert_invalid(result)
    assert only_problem(result).startswith(f"{missing}: no such file or shipped scenario")


def test_validate_suggests_a_shipped_scenario_for_a_misspelt_name() -> None:
    result = cli("validate", "histroy")
    assert_invalid(result)
    assert only_problem(result) == (
        "histroy: no such file or shipped scenario; did you mean `history`?"
    )


def test_a_file_over_the_size_limit_is_refused_before_it_is_read_or_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as f:
        f.write(b"name: huge\n")
        f.write(b"#" * yamlio.MAX_FILE_BYTES)

    def must_not_run(*_args: object, **_kwargs: object) -> NoReturn:
        raise AssertionError("an oversized file was read or parsed")

    monkeypatch.setattr(yaml, "compose", must_not_run)
    monkeypatch.setattr(yaml, "load", must_not_run)
    monkeypatch.setattr(Path, "read_bytes", must_not_run)
    result = cli("validate", str(path))
    assert_invalid(result)
    size = path.stat().st_size
    assert only_problem(result) == (
        f"{path}: file is {size:,} bytes, over the "
        f"{yamlio.MAX_FILE_BYTES:,}-byte limit for scenario and "
        "network files"
    )


def test_an_extends_cycle_is_reported_at_the_extends_that_closes_it() -> None:
    a, b = DATA / "invalid" / "cycle_a.yaml", DATA / "invalid" / "cycle_b.yaml"
    result = cli("validate", str(a))
    assert_invalid(result)
    assert only_problem(result) == (
        f"{b}:2: extends: circular: cycle_a.yaml → cycle_b.yaml → cycle_a.yaml "
        "(a scenario cannot extend itself, directly or through others)"
    )


def test_an_extends_cycle_through_invalid_files_is_still_reported_without_a_crash(
    tmp_path: Path,
) -> None:
    write(tmp_path, "a.yaml", "name: a\nhorizn: 1\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "name: b\nhorizn: 1\nextends: a.yaml\n")
    result = cli("validate", str(tmp_path / "a.yaml"))
    assert_invalid(result)
    assert problem_lines(result) == [
        f"{tmp_path / 'a.yaml'}:2: horizn: unknown key; did you mean `horizon`?",
        f"{tmp_path / 'b.yaml'}:2: horizn: unknown key; did you mean `horizon`?",
        f"{tmp_path / 'b.yaml'}:3: extends: circular: a.yaml → b.yaml → a.yaml "
        "(a scenario cannot extend itself, directly or through others)",
    ]


def test_a_problem_in_a_parent_file_names_the_parent_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "parent.yaml", "name: parent\nextends: baseline\n\nseed: many\n")
    child = write(tmp_path, "child.yaml", "name: child\nextends: parent.yaml\n")
    result = cli("validate", str(child))
    assert_invalid(result)
    assert only_problem(result) == (
        f"{tmp_path / 'parent.yaml'}:4: seed: should be a whole number (got 'many')"
    )


def test_every_problem_of_a_file_is_reported_in_one_run_in_line_order() -> None:
    path = DATA / "invalid" / "several_problems.yaml"
    result = cli("validate", str(path))
    assert_invalid(result)
    lines = problem_lines(result)
    assert len(lines) == 7, result.stdout
    assert [int(m["line"]) for m in map(PROBLEM_LINE.match, lines) if m] == [4, 5, 7, 8, 10, 11, 12]
    assert lines == [
        f"{path}:4: horizn: unknown key; did you mean `horizon`?",
        f"{path}:5: seed: should be a whole number (got 'abc')",
        f"{path}:7: set.links.lt_transit.capacity_trains_per_dya: unknown key; "
        "did you mean `capacity_trains_per_day`?",
        f"{path}:8: set.ports.klaipeda.capacity_t_per_year: should be greater than or equal "
        "to 0 (got -5)",
        f"{path}:10: events.0.date: 2035-01-01 is outside the horizon 2019-01-01..2030-12-31",
        f"{path}:11: events.1.target: no link 'lt_transt' in the network; "
        "did you mean `link:lt_transit`?",
        f"{path}:12: events.2.actor: should be one of: US, EU, UK, Lithuania, Ukraine, Latvia, "
        "Poland, Belarus, Russia, Kazakhstan, China, Canada, Other (got 'Lithuana'); "
        "did you mean `Lithuania`?",
    ]


def test_file_problems_and_set_option_problems_are_reported_together() -> None:
    path = DATA / "invalid" / "several_problems.yaml"
    result = cli("validate", str(path), "--set", "ports.klaipeda.berths=many")
    assert_invalid(result)
    lines = problem_lines(result)
    assert len(lines) == 8
    assert lines[-1] == "--set: ports.klaipeda.berths: should be a whole number (got 'many')"


# --- --set ----------------------------------------------------------------------------------------

SET_CASES = [
    (
        "path_that_does_not_exist",
        "ports.klaipedaa.handling_usd_per_t=11",
        "--set: ports.klaipedaa.handling_usd_per_t: no such parameter `ports.klaipedaa`; "
        "did you mean `ports.klaipeda`?",
    ),
    (
        "value_of_the_wrong_type",
        "ports.klaipeda.berths=many",
        "--set: ports.klaipeda.berths: should be a whole number (got 'many')",
    ),
    (
        "misspelt_last_key",
        "links.lt_transit.capacity_trains_per_dya=3",
        "--set: links.lt_transit.capacity_trains_per_dya: unknown key; "
        "did you mean `capacity_trains_per_day`?",
    ),
    (
        "negative_capacity",
        "links.lt_transit.capacity_trains_per_day=-1",
        "--set: links.lt_transit.capacity_trains_per_day: should be greater than 0 (got -1)",
    ),
    (
        "stock_above_storage_after_merging",
        "mines.belaruskali.initial_stock_t=5000000",
        "--set: mines.belaruskali.initial_stock_t: initial_stock_t (5,000,000 t) exceeds "
        "storage_t (1,000,000 t)",
    ),
    (
        "no_equals_sign",
        "ports.klaipeda.berths",
        "--set: ports.klaipeda.berths: expected key=value, e.g. "
        "ports.klaipeda.handling_usd_per_t=11",
    ),
    (
        "a_scenario_setting",
        "seed=3",
        "--set: seed: `seed` is a scenario setting, not a network parameter: write it at the top "
        "level of a scenario file (on the command line, --set takes horizon.start, horizon.end, "
        "stochastic)",
    ),
]


@pytest.mark.parametrize(
    ("option", "expected"), [c[1:] for c in SET_CASES], ids=[c[0] for c in SET_CASES]
)
def test_validate_rejects_a_bad_set_option_with_one_clear_line(option: str, expected: str) -> None:
    result = cli("validate", str(SCENARIOS / "history.yaml"), "--set", option)
    assert_invalid(result)
    assert only_problem(result) == expected


def test_set_options_are_validated_after_merging_with_the_files_sets(tmp_path: Path) -> None:
    # the file lowers storage, the --set raises the stock: only together are they invalid
    path = write(tmp_path, "low.yaml", BASE + "set: {mines.belaruskali.storage_t: 400000}\n")
    assert cli("validate", str(path)).exit_code == 0
    assert (
        cli("validate", str(path), "--set", "mines.belaruskali.initial_stock_t=300000").exit_code
        == 0
    )
    result = cli("validate", str(path), "--set", "mines.belaruskali.initial_stock_t=500000")
    assert_invalid(result)
    assert only_problem(result) == (
        "--set: mines.belaruskali.initial_stock_t: initial_stock_t "
        "(500,000 t) exceeds storage_t (400,000 t)"
    )


def test_every_bad_set_option_is_reported_at_once() -> None:
    result = cli(
        "validate",
        "history",
        "--set",
        "ports.klaipedaa.handling_usd_per_t=11",
        "--set",
        "ports.klaipeda.berths=many",
        "--set",
        "model.wagons_per_train=0",
    )
    assert_invalid(result)
    assert len(problem_lines(result)) == 3
    assert all(ln.startswith("--set: ") for ln in problem_lines(result))


# --- run: nothing is written on invalid input --------------------------------------------------


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("name: bad\nextends: baseline\nhorizn: {start: 2020-01-01, end: 2021-01-01}\n", ()),
        ("name: bad\nextends: baseline\nset: {links.lt_transit.capacity_trains_per_day: -1}\n", ()),
        (
            "name: bad\nextends: baseline\nevents:\n"
            "  - {date: 2022-01-01, actor: EU, action: close, target: 'link:lt_transt'}\n",
            (),
        ),
        ("", ()),
        ("name: ok\nextends: baseline\n", ("--set", "ports.klaipedaa.handling_usd_per_t=11")),
        ("name: ok\nextends: baseline\n", ("--set", "ports.klaipeda.berths=many")),
    ],
    ids=[
        "unknown_key",
        "negative_capacity",
        "bad_target",
        "empty_file",
        "bad_set_path",
        "bad_set_type",
    ],
)
def test_run_on_invalid_input_exits_2_and_creates_no_results_folder(
    tmp_path: Path, text: str, options: tuple[str, ...]
) -> None:
    path = write(tmp_path, "case.yaml", text)
    out = tmp_path / "out"
    result = cli("run", str(path), "--out", str(out), *options)
    assert result.exit_code == 2, result.output
    assert not out.exists()
    assert result.stdout == ""
    errors = result.stderr.splitlines()
    assert errors[-1] == "1 problem(s); nothing was run or written."
    assert PROBLEM_LINE.match(errors[0]), errors


def test_run_of_several_scenarios_reports_the_problems_of_all_before_running_any(
    tmp_path: Path,
) -> None:
    good = write(tmp_path, "good.yaml", "name: good\nextends: baseline\n")
    bad1 = write(tmp_path, "bad1.yaml", "name: bad1\nextends: baseline\nseed: x\n")
    bad2 = write(tmp_path, "bad2.yaml", "name: bad2\nextends: baseline\nhorizn: 1\n")
    out = tmp_path / "out"
    result = cli("run", str(good), str(bad1), str(bad2), "--out", str(out))
    assert result.exit_code == 2
    assert not out.exists()
    assert result.stderr.splitlines() == [
        f"{bad1}:3: seed: should be a whole number (got 'x')",
        f"{bad2}:3: horizn: unknown key; did you mean `horizon`?",
        "2 problem(s); nothing was run or written.",
    ]


def test_a_bad_set_is_reported_once_however_many_scenarios_it_was_given_to() -> None:
    result = cli(
        "compare", "baseline", "history", "us_eu_only", "--replications", "2",
        "--set", "links.ru_nx.capacity_trains_per_day=3",
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "--set: links.ru_nx.capacity_trains_per_day: no such parameter `links.ru_nx`; "
        "did you mean `links.ru_nw`?",
        "1 problem(s); nothing was run or written.",
    ]


def test_compare_with_an_invalid_scenario_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "name: bad\nextends: baseline\nhorizn: 1\n")
    out, report = tmp_path / "out", tmp_path / "report.html"
    result = cli(
        "compare", "baseline", str(bad), "-n", "1", "--out", str(out), "--report", str(report)
    )
    assert result.exit_code == 2, result.output
    assert not out.exists() and not report.exists()
    assert result.stderr.splitlines()[0] == f"{bad}:3: horizn: unknown key; did you mean `horizon`?"


# --- exit status 1 for an internal error, still without a traceback ------------------------------


def test_an_internal_error_exits_1_with_a_one_line_message_and_no_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import potashsim.scenario.loader

    def broken(*_args: object, **_kwargs: object) -> NoReturn:
        raise RuntimeError("something unexpected")

    monkeypatch.setattr(potashsim.scenario.loader, "load_scenario", broken)
    result = cli("explain", "history")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "internal error: RuntimeError: something unexpected",
        "Rerun with --debug for the traceback, and please report it.",
    ]


# --- the shipped folder, folders with a bad file ----------------------------------------------


def test_validate_passes_on_the_shipped_scenarios_folder() -> None:
    result = cli("validate", str(SCENARIOS))
    files = sorted(SCENARIOS.glob("*.yaml"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        *(f"{f}: ok" for f in files),
        f"{len(files)} file(s) checked: {len(files)} valid, 0 invalid",
    ]


def test_validate_of_a_folder_with_one_bad_file_exits_2_and_still_reports_the_good_ones(
    tmp_path: Path,
) -> None:
    for name in ("baseline.yaml", "history.yaml"):
        (tmp_path / name).write_bytes((SCENARIOS / name).read_bytes())
    bad = write(tmp_path, "broken.yaml", "name: broken\nextends: history\nseed: -3\n")
    result = cli("validate", str(tmp_path))
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'baseline.yaml'}: ok",
        f"{bad}:3: seed: should be greater than or equal to 0 (got -3)",
        f"{tmp_path / 'history.yaml'}: ok",
        "3 file(s) checked: 2 valid, 1 invalid",
    ]


def test_validate_of_an_empty_folder_exits_2(tmp_path: Path) -> None:
    result = cli("validate", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"no scenario files found in {tmp_path}"


def test_validate_accepts_the_extends_chain_fixture() -> None:
    result = cli("validate", str(DATA / "chain"))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "2 file(s) checked: 2 valid, 0 invalid"


# --- explain --------------------------------------------------------------------------------------


def section(text: str, title: str) -> list[list[str]]:
    """Rows of a table in explain's output, split on runs of two or more spaces."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith(title))
    rows = []
    for ln in lines[start + 3 :]:
        if not ln.strip():
            break
        rows.append(re.split(r"\s{2,}", ln.strip()))
    return rows


def test_explain_history_shows_lithuanias_and_the_eus_closures_of_the_klaipeda_link() -> None:
    result = cli("explain", "history")
    assert result.exit_code == 0, result.output
    timeline = section(result.stdout, "Policy timeline")
    lt = [r for r in timeline if r[2] == "link:lt_transit"]
    assert [(r[0], r[1], r[3], r[4], r[5]) for r in lt] == [
        ("2022-02-01", "2030-12-31", "closed", "Lithuania", "close"),
        ("2022-06-04", "2030-12-31", "closed", "EU", "close"),
    ]


def test_explain_shows_a_set_override_of_the_klaipeda_handling_fee() -> None:
    def klaipeda_fee(*options: str) -> str:
        result = cli("explain", "us_eu_lifted_lithuania_holds", *options)
        assert result.exit_code == 0, result.output
        row = next(r for r in section(result.stdout, "Ports") if r[0] == "klaipeda")
        return row[5]  # port, Mt/yr, storage t, berths, t/day/berth, USD/t, ...

    assert klaipeda_fee() == "10"
    assert klaipeda_fee("--set", "ports.klaipeda.handling_usd_per_t=11") == "11"


def test_explain_with_a_bad_set_reports_on_stderr_and_exits_2() -> None:
    result = cli("explain", "history", "--set", "ports.klaipedaa.handling_usd_per_t=11")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "--set: ports.klaipedaa.handling_usd_per_t: no such parameter `ports.klaipedaa`; "
        "did you mean `ports.klaipeda`?",
        "1 problem(s); nothing was run or written.",
    ]


# --- as a real process: no traceback on stderr ----------------------------------------------------


def potashsim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "potashsim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("syntax.yaml", "name: bad\nhorizon: {start: 2020-01-01\nend: 2021-01-01\n"),
        (
            "date.yaml",
            "name: bad\nextends: baseline\nhorizon: {start: 2022-02-30, end: 2023-01-01}\n",
        ),
        ("latin1.yaml", b"name: bad\ndescription: caf\xe9\n"),
        ("binary.yaml", b"\x00\x01name"),
    ],
    ids=["syntax_error", "impossible_date", "latin1", "binary"],
)
def test_the_installed_command_reports_bad_files_without_a_traceback(
    tmp_path: Path, name: str, content: str | bytes
) -> None:
    write(tmp_path, name, content)
    proc = potashsim("validate", name, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout
    lines = proc.stdout.splitlines()
    assert len(lines) == 2 and lines[0].startswith(f"{name}"), proc.stdout
    assert lines[1] == "1 file(s) checked: 0 valid, 1 invalid"


def test_the_installed_command_run_writes_nothing_on_invalid_input(tmp_path: Path) -> None:
    write(tmp_path, "bad.yaml", "name: bad\nextends: baseline\nhorizn: 3\n")
    before = sorted(tmp_path.iterdir())
    proc = potashsim("run", "bad.yaml", "--set", "ports.klaipeda.berths=many", cwd=tmp_path)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "bad.yaml:3: horizn: unknown key; did you mean `horizon`?",
        "--set: ports.klaipeda.berths: should be a whole number (got 'many')",
        "2 problem(s); nothing was run or written.",
    ]
    assert sorted(tmp_path.iterdir()) == before  # no results/ folder


def test_the_installed_command_validates_the_shipped_folder_with_exit_0() -> None:
    proc = potashsim("validate", "scenarios", cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # only notes on events that change less than they seem (Lithuania holding Klaipeda shut)
    assert all(": note: " in line for line in proc.stderr.splitlines()), proc.stderr
    n = len(list(SCENARIOS.glob("*.yaml")))
    assert proc.stdout.splitlines()[-1] == f"{n} file(s) checked: {n} valid, 0 invalid"


def test_a_set_written_with_a_space_explains_the_key_value_form() -> None:
    result = CliRunner().invoke(
        main, ["explain", "history", "--set", "ports.klaipeda.handling_usd_per_t", "11"]
    )
    assert result.exit_code == 2
    assert "--set takes KEY=VALUE as one word" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_target_with_no_near_name_lists_the_ids_there_are(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "lv.yaml",
        "name: lv\nextends: history\nevents:\n"
        '  - {date: 2029-01-01, actor: Latvia, action: reopen, target: "link:latvia"}\n',
    )
    result = cli("validate", str(path))
    assert result.exit_code == 2
    assert "no link 'latvia' in the network; the links are: link:by_east," in result.stdout
    assert "link:lv_transit" in result.stdout


def test_a_missing_horizon_is_reported_at_a_line(tmp_path: Path) -> None:
    path = write(tmp_path, "ex.yaml", "name: ex\nextend: history\n")
    result = cli("validate", str(path))
    assert f"{path}:1: horizon: no horizon in this file or any it extends" in result.stdout
    assert f"{path}:2: extend: unknown key; did you mean `extends`?" in result.stdout
