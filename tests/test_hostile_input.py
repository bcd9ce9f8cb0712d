"""Hostile scenario input (issue 11): every case is exit 2 with one line naming the file or the
``--set`` and the key; none crashes, hangs or eats the machine.

Devices and named pipes run in a child process with a timeout, so that a regression fails the
test instead of hanging the suite or filling the memory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from potashsim.cli import main
from potashsim.scenario import schema as sc
from potashsim.scenario.yamlio import MAX_DEPTH

REPO = Path(__file__).resolve().parents[1]


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def problems(result: Result) -> list[str]:
    """The problem lines of ``validate`` (its ``ok`` and summary lines left out)."""
    return [
        ln
        for ln in result.stdout.splitlines()
        if ln and not ln.endswith(": ok") and " file(s) checked: " not in ln
    ]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# --- 1. devices, named pipes --------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_devices_and_named_pipes_are_refused_unread_wherever_a_file_is_named(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    net_zero = write(tmp_path, "net_zero.yaml", "name: a\nextends: baseline\nnetwork: /dev/zero\n")
    net_fifo = write(tmp_path, "net_fifo.yaml", f"name: b\nextends: baseline\nnetwork: {fifo}\n")
    ext_zero = write(tmp_path, "ext_zero.yaml", "name: c\nextends: /dev/zero\n")
    args = ["validate", "/dev/zero", str(fifo), str(net_zero), str(net_fifo), str(ext_zero)]
    done = subprocess.run(
        [sys.executable, "-m", "potashsim", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = [ln for ln in done.stdout.splitlines() if "file(s) checked" not in ln]
    assert lines == [
        "/dev/zero: is not a regular file (a device); "
        "scenario and network files must be ordinary files",
        f"{fifo}: is not a regular file (a named pipe); "
        "scenario and network files must be ordinary files",
        f"{net_zero}:3: network: cannot read network file '/dev/zero': is not a regular file "
        "(a device); scenario and network files must be ordinary files",
        f"{net_fifo}:3: network: cannot read network file '{fifo}': is not a regular file "
        "(a named pipe); scenario and network files must be ordinary files",
        "/dev/zero: is not a regular file (a device); scenario and network files must be "
        f"ordinary files (extended by {ext_zero}, line 2)",
    ]


# --- 2. horizons ----------------------------------------------------------------------------------


def _horizon(tmp_path: Path, start: str, end: str) -> Path:
    return write(
        tmp_path,
        "h.yaml",
        f"name: h\nextends: baseline\nstochastic: false\nhorizon: {{start: {start}, end: {end}}}\n",
    )


def test_a_horizon_of_exactly_fifty_years_is_valid_and_a_day_more_is_refused(
    tmp_path: Path,
) -> None:
    assert cli("validate", str(_horizon(tmp_path, "2019-01-01", "2068-12-31"))).exit_code == 0
    path = _horizon(tmp_path, "2019-01-01", "2069-01-01")
    result = cli("validate", str(path))
    assert result.exit_code == 2
    assert problems(result) == [
        f"{path}:4: horizon: 2019-01-01..2069-01-01 is longer than 50 years, "
        "the longest horizon potashsim runs"
    ]


def test_a_horizon_to_the_year_9999_is_refused_at_once_by_validate_and_run(tmp_path: Path) -> None:
    path = _horizon(tmp_path, "2019-01-01", "9999-12-31")
    line = f"{path}:4: horizon.end: should be on or before 2199-12-31 (got 9999-12-31)"
    assert problems(cli("validate", str(path))) == [line]
    run = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert run.exit_code == 2
    assert run.stderr.splitlines()[0] == line
    assert not (tmp_path / "out").exists()


def test_a_one_day_horizon_runs_both_dates_included(tmp_path: Path) -> None:
    # The shipped network's price lags are longer than a day: shorten them to let it validate.
    lags = [
        f"markets.{m}.{field}={value}"
        for m in ("brazil", "india", "china", "southeast_asia", "eu", "us", "other", "central_asia")
        for field, value in (("spot_lag_days", 0), ("contract_lag_days", 1))
    ]
    path = _horizon(tmp_path, "2022-01-01", "2022-01-01")
    sets = [a for lag in lags for a in ("--set", lag)]
    result = cli("run", str(path), *sets, "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "(2022-01-01..2022-01-01," in result.stdout


def test_an_end_before_the_start_is_refused_saying_so(tmp_path: Path) -> None:
    path = _horizon(tmp_path, "2022-01-02", "2022-01-01")
    assert problems(cli("validate", str(path))) == [
        f"{path}:4: horizon: end (2022-01-01) is before start (2022-01-02)"
    ]


# --- 5. bad dates in --set ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "ports.klaipeda.opens_on",
        "borders.zabaikalsk.opens_on",
        "markets.brazil.prices.0.date",
        "mines.belaruskali.output_schedule.0.from_date",
    ],
)
def test_an_impossible_date_in_set_is_refused_naming_set_and_the_key(key: str) -> None:
    result = cli("validate", "baseline", "--set", f"{key}=2020-02-30")
    assert result.exit_code == 2
    assert problems(result) == [
        f"--set: {key}: YAML error: cannot read '2020-02-30': day is out of range for month"
    ]


def test_an_impossible_date_in_set_stops_run_with_exit_2(tmp_path: Path) -> None:
    result = cli(
        "run", "baseline", "--set", "ports.klaipeda.opens_on=2020-02-30", "--out", str(tmp_path)
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("--set: ports.klaipeda.opens_on: YAML error: cannot read")


# --- 6. finite numbers and bounds --------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("lanes.barents.china.voyage_days=.inf", "should be a finite number, not .inf or .nan"),
        ("links.ru_zabaikalsk.distance_km=.inf", "should be a finite number, not .inf or .nan"),
        ("links.by_lt.capacity_trains_per_day=.nan", "should be a finite number, not .inf or .nan"),
        ("ports.klaipeda.berths={value: .inf, source: C1}", "should be a finite number"),
        (
            "links.by_lt.transit_days={value: .inf, low: 1, high: 2}",
            "bad uncertain parameter: value should be a finite number",
        ),
        ("lanes.barents.china.voyage_days=100000", "should be less than or equal to 3650"),
        ("links.by_lt.capacity_trains_per_day=5000", "should be less than or equal to 1000"),
        ("ports.klaipeda.handling_usd_per_t=1e7", "should be less than or equal to 100000"),
        ("ports.klaipeda.capacity_t_per_year=1e12", "should be less than or equal to 1000000000"),
    ],
)
def test_infinite_and_absurd_numbers_in_set_are_refused_at_their_key(
    option: str, message: str, tmp_path: Path
) -> None:
    key = option.partition("=")[0]
    [line] = problems(cli("validate", "baseline", "--set", option))
    assert line.startswith(f"--set: {key}: {message}"), line
    run = cli("run", "baseline", "--set", option, "--out", str(tmp_path))
    assert run.exit_code == 2
    assert not any(tmp_path.iterdir())


def test_infinite_numbers_in_a_file_are_refused_at_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "inf.yaml",
        "name: inf\nextends: baseline\nset:\n"
        "  lanes.barents.china.voyage_days: .inf\n"
        "  links.by_lt.tariff_usd_per_t: {dist: normal, mean: .nan, sd: 1}\n"
        "events:\n"
        "  - {date: 2022-01-01, actor: EU, action: set_cost, target: 'link:by_lt', "
        "cost_usd_per_t: .inf}\n",
    )
    lines = problems(cli("validate", str(path)))
    assert (
        f"{path}:4: set.lanes.barents.china.voyage_days: should be a finite number, not .inf "
        "or .nan (got inf)"
    ) in lines
    # said once, as the distribution's problem, not again for the point value it leaves
    assert [ln for ln in lines if ln.startswith(f"{path}:5: ")] == [
        f"{path}:5: set.links.by_lt.tariff_usd_per_t: bad uncertain parameter: mean should be a "
        "finite number, not .inf or .nan (got nan)"
    ]
    assert any(
        ln.startswith(f"{path}:7: events.0.cost_usd_per_t: should be a finite number")
        for ln in lines
    )


def test_every_shipped_scenario_is_within_the_bounds() -> None:
    assert cli("validate", str(REPO / "scenarios")).exit_code == 0


# --- 7. deep nesting ----------------------------------------------------------------------------


def test_a_set_value_nested_500_deep_is_refused_not_a_recursion_error(tmp_path: Path) -> None:
    deep = "{a: " * 500 + "1" + "}" * 500
    path = write(tmp_path, "deep.yaml", f"name: deep\nextends: baseline\nset:\n  links: {deep}\n")
    assert problems(cli("validate", str(path))) == [
        f"{path}:4: nested more than {MAX_DEPTH} levels deep; "
        "too deep for a scenario or network file"
    ]


def test_a_description_list_nested_999_deep_is_refused(tmp_path: Path) -> None:
    deep = "[" * 999 + "]" * 999
    path = write(tmp_path, "deep.yaml", f"name: deep\nextends: baseline\ndescription: {deep}\n")
    [line] = problems(cli("validate", str(path)))
    assert line.startswith(f"{path}:3: nested more than {MAX_DEPTH} levels deep")


def test_a_set_option_nested_too_deep_is_refused_naming_the_key() -> None:
    deep = "[" * 100 + "]" * 100
    assert problems(cli("validate", "baseline", "--set", f"links.by_lt.country={deep}")) == [
        f"--set: links.by_lt.country: nested more than {MAX_DEPTH} levels deep; "
        "too deep for a scenario or network file"
    ]


def test_a_set_value_of_ordinary_depth_is_still_read() -> None:
    result = cli("validate", "baseline", "--set", "links.by_lt.capacity_trains_per_day={value: 9}")
    assert result.exit_code == 0, result.output


# --- 8. long names ------------------------------------------------------------------------------


def test_a_5000_character_name_is_refused_by_validate_and_run(tmp_path: Path) -> None:
    name = "a" * 5000
    path = write(tmp_path, "long.yaml", f"name: {name}\nextends: baseline\n")
    line = (
        f"{path}:1: name: should be at most {sc.MAX_ID_LENGTH} characters "
        "(got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'... of 5,000 characters)"
    )
    assert problems(cli("validate", str(path))) == [line]
    run = cli("run", str(path), "--out", str(tmp_path / "out"))
    assert run.exit_code == 2
    assert run.stderr.splitlines()[0] == line


def test_a_64_character_name_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "long.yaml", f"name: {'a' * 64}\nextends: baseline\n")
    assert cli("validate", str(path)).exit_code == 0


# --- messages that point to the wrong place --------------------------------------------------


def test_a_bad_event_id_in_a_one_line_mapping_is_reported_at_the_id(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "ev.yaml",
        "name: ev\nextends: baseline\nevents:\n"
        "  - {date: 2022-01-01, actor: EU, action: note, id: Bad-Id, note: hello}\n",
    )
    [line] = problems(cli("validate", str(path)))
    assert line.startswith(f"{path}:4: events.0.id: should be a lower_snake_case id")


def test_setting_a_whole_table_to_a_number_blames_the_set_not_the_events() -> None:
    assert problems(cli("validate", "history", "--set", "links=2")) == [
        "--set: links: should be a mapping of keys (got 2)"
    ]


def test_an_infinite_distance_is_reported_as_such_not_as_an_unreachable_border() -> None:
    assert problems(
        cli("validate", "baseline", "--set", "links.ru_zabaikalsk.distance_km=.inf")
    ) == [
        "--set: links.ru_zabaikalsk.distance_km: should be a finite number, not .inf or .nan "
        "(got inf)"
    ]


def test_paths_too_long_for_the_file_system_are_problems_not_crashes(tmp_path: Path) -> None:
    long = "a" * 5000
    path = write(tmp_path, "ext.yaml", f"name: ext\nextends: {long}\n")
    [line] = problems(cli("validate", str(path)))
    assert line.startswith(f"{path}:2: extends: cannot find 'aaaa")
    for args in (["validate", long], ["run", long, "--out", str(tmp_path / "out")]):
        result = cli(*args)
        assert result.exit_code == 2
        assert "no such file or shipped scenario" in result.output
