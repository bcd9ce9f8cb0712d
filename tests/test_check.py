"""`potashsim check`: CI for scenario authors (validate, run once, assert `expect:`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from potashsim.cli import main

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    return result


def short(tmp_path: Path, name: str, expect: str, extends: str = "history") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nextends: {extends}\nhorizon: {{start: 2021-01-01, end: 2022-12-31}}\n"
        f"expect:\n{expect}",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
def test_check_passes_the_shipped_scenarios_and_fails_a_broken_expectation(tmp_path: Path) -> None:
    broken = short(tmp_path, "broken", "  - {metric: exported_t, year: 2022, min: 1000000000}\n")
    junit = tmp_path / "check.xml"
    result = cli("check", str(SCENARIOS), str(broken), "--junit", str(junit))
    assert result.exit_code == 1, result.output
    assert "exported_t in 2022 >= 1e+09: FAILED (got" in result.output
    assert "0 file(s) invalid" in result.output
    suite = ET.parse(junit).getroot()
    cases = suite.findall("testcase")
    assert {c.get("classname") for c in cases} >= {"history", "baseline", "broken"}
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.get("classname") for c in failed] == ["broken"]
    assert suite.get("failures") == "1" and suite.get("tests") == str(len(cases))


def test_a_paired_expectation_against_another_scenario(tmp_path: Path) -> None:
    path = short(
        tmp_path,
        "paired",
        "  - {metric: netback_usd, vs: baseline, max: 0}\n"
        "  - {metric: exported_t, vs: baseline, min: 0}\n",
    )
    result = cli("check", str(path))
    assert result.exit_code == 1, result.output
    assert "netback_usd against baseline <= 0: ok" in result.output
    assert "exported_t against baseline >= 0: FAILED (got -" in result.output


@pytest.mark.parametrize(
    ("expect", "says"),
    [
        ("  - {metric: exported_t, year: 2035, min: 0}\n", "expect.0.year: 2035 is outside"),
        ("  - {metric: exported_t, min: 5, max: 1}\n", "min (5) is above max (1)"),
        ("  - {metric: exported_t}\n", "needs min, max or both"),
        ("  - {metric: exported_t, vs: atlantis, min: 0}\n", "expect.0.vs: no scenario 'atlantis'"),
        ("  - {metric: tonnes, min: 0}\n", "expect.0.metric"),
    ],
)
def test_a_bad_expectation_is_invalid_input(tmp_path: Path, expect: str, says: str) -> None:
    path = short(tmp_path, "bad", expect)
    junit = tmp_path / "bad.xml"
    result = cli("check", str(path), "--junit", str(junit))
    assert result.exit_code == 2, result.output
    assert says in result.output
    assert str(path) in result.output
    error = ET.parse(junit).getroot().find("testcase/error")
    assert error is not None and says in (error.text or "")


def test_validate_finds_what_check_would_refuse_without_running(tmp_path: Path) -> None:
    path = short(tmp_path, "typo", "  - {metric: netback_usd, vs: basline, max: 0}\n")
    result = cli("validate", str(path))
    assert result.exit_code == 2, result.output
    line = (
        path.read_text(encoding="utf-8")
        .splitlines()
        .index("  - {metric: netback_usd, vs: basline, max: 0}")
    )
    assert f"{path}:{line + 1}: expect.0.vs: no scenario 'basline'" in result.output
    assert "did you mean `baseline`?" in result.output


def test_expectations_do_not_change_a_run_or_its_folder_name() -> None:
    from potashsim.results.write import scenario_hash
    from potashsim.scenario.loader import load_scenario

    history = load_scenario("history")
    assert history.expect  # the shipped file carries some
    assert scenario_hash(history) == scenario_hash(history.model_copy(update={"expect": ()}))


def test_a_junit_path_that_cannot_be_written_is_refused_before_running(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    path = short(tmp_path, "fine", "  - {metric: netback_usd, min: 0}\n")
    result = cli("check", str(path), "--junit", str(blocker / "check.xml"))
    assert result.exit_code == 2, result.output
    assert f"cannot write {blocker / 'check.xml'}" in result.output
    assert "ok" not in result.output  # nothing ran
