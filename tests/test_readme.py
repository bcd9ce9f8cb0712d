"""The README's quick start and Python snippet work as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from potashsim.cli import main

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def quick_start_blocks() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```shell\n(.*?)\n```", section, flags=re.S)


def test_quick_start_holds_exactly_two_commands_install_and_run_then_test() -> None:
    blocks = quick_start_blocks()
    assert len(blocks) == 2
    assert blocks[0].startswith("pip install -e . && potashsim compare ")
    assert "--report" in blocks[0]
    assert blocks[1] == "pip install -e '.[test]' && python -m pytest -q"


def test_ci_runs_the_readme_test_command_as_written() -> None:
    test_command = quick_start_blocks()[1].split("&& ", 1)[1]
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert any(line.strip().startswith(f"{test_command} ") for line in ci_lines)


@pytest.mark.slow
def test_the_main_job_runs_as_written_with_fewer_replications(tmp_path: Path) -> None:
    command = quick_start_blocks()[0].split("&& ", 1)[1]
    args = shlex.split(command)[1:]
    # the same command; later options win in click, so only the size and the places change
    args += [
        "--replications",
        "2",
        "--out",
        str(tmp_path),
        "--report",
        str(tmp_path / "report.html"),
    ]
    res = CliRunner().invoke(main, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert (tmp_path / "report.html").stat().st_size > 1_000_000
    assert "us_eu_lifted_lithuania_holds" in res.output
    assert Path(res.output.strip().splitlines()[-1]).joinpath("comparison.json").is_file()


@pytest.mark.slow
def test_the_python_snippets_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # every ```python block, in order and in one namespace (the chart block uses the run and
    # the comparison of the one before); files they write go to a scratch folder
    blocks = re.findall(r"```python\n(.*?)\n```", README, flags=re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    for code in blocks:
        exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["cmp"].stats["history"]["netback_usd"]["diff_mean"] < 0
    assert (tmp_path / "map.html").stat().st_size > 100_000


def test_the_scenario_example_in_the_readme_is_valid(tmp_path: Path) -> None:
    from potashsim.scenario.loader import load_scenario

    example = re.search(r"```yaml\n(.*?)\n```", README, flags=re.S)
    assert example is not None
    path = tmp_path / "example.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.network.ports["klaipeda"].handling_usd_per_t == 11
    assert "links.ru_nw.capacity_trains_per_day" in scenario.uncertain
    assert not any(e.action == "lift" and e.actor == "US" for e in scenario.events)
