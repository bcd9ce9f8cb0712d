"""The app's logic without a browser: the scenario file it writes is one the CLI's loader
accepts and that says exactly what the user changed; uploads are checked by the same loader
with the CLI's messages; the caps refuse before anything runs."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import plotly.io as pio
import pytest
import yaml

import potashsim
from potashsim.app.compute import (
    MAX_REPLICATIONS,
    MAX_UPLOAD_BYTES,
    Upload,
    Workspace,
    problem_lines,
)
from potashsim.app.levers import lever_sets, levers_for
from potashsim.app.scenario_file import Choices, policy_by_actor
from potashsim.errors import PotashsimError, ScenarioError
from potashsim.scenario.loader import load_scenario

SCENARIO = "us_eu_lifted_lithuania_holds"
# the CLI in a subprocess runs this source tree's code, whatever its working folder
ENV = {**os.environ, "PYTHONPATH": str(Path(potashsim.__file__).resolve().parents[1])}


@pytest.fixture(scope="module")
def picked() -> object:
    return load_scenario(SCENARIO)


def test_policy_panel_groups_every_event_by_its_actor(picked: object) -> None:
    groups = policy_by_actor(picked)  # type: ignore[arg-type]
    assert sum(len(v) for v in groups.values()) == len(picked.events)  # type: ignore[attr-defined]
    assert "lt_2022_transit" in {e["id"] for e in groups["Lithuania"]}
    assert "eu_2027_lift" in {e["id"] for e in groups["EU"]}


def test_levers_at_their_current_values_change_nothing(picked: object) -> None:
    levers = levers_for(picked)  # type: ignore[arg-type]
    assert {"russian_ports", "discount", "freight"} <= {lever.key for lever in levers}
    assert lever_sets(picked, {lv.key: lv.current for lv in levers}) == {}  # type: ignore[arg-type]


def test_russian_port_lever_scales_the_russian_terminals_only(picked: object) -> None:
    sets = lever_sets(picked, {"russian_ports": 2})  # type: ignore[arg-type]
    assert sets["ports.primorsk.capacity_t_per_year"] == 23_000_000
    assert not any("klaipeda" in k for k in sets)


def test_the_written_file_is_what_the_user_changed_and_loads_with_the_cli(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    choices = Choices(
        SCENARIO, "history", ("lt_2022_transit", "not_an_event"), {}, dt.date(2022, 12, 31)
    )
    base, variant, text, _ = ws.prepare(choices, None, {"russian_ports": 1.5})
    doc = yaml.safe_load(text)
    assert doc["extends"] == SCENARIO and doc["exclude_events"] == ["lt_2022_transit"]
    assert doc["set"]["model.granularity"] == "fast"
    assert doc["horizon"]["end"] == "2022-12-31"
    assert "lt_2022_transit" not in {e.id for e in variant.events}
    assert base.horizon == variant.horizon
    (tmp_path / "mine.yaml").write_text(text, encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "potashsim", "validate", "mine.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=ENV,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr


def test_an_upload_is_checked_with_the_clis_loader_and_messages(tmp_path: Path) -> None:
    bad = "name: bad_case\nextends: history\nset:\n  ports.klaipeda.berths: -1\n"
    (tmp_path / "bad_case.yaml").write_text(bad, encoding="utf-8")
    cli = subprocess.run(
        [sys.executable, "-m", "potashsim", "validate", "bad_case.yaml"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=ENV,
        timeout=120,
    )
    expected = [line for line in cli.stdout.splitlines() if line.startswith("bad_case.yaml")]
    assert expected
    scenario, problems = Workspace(tmp_path / "ws").validate_upload(Upload("bad_case.yaml", bad))
    assert scenario is None and problems == expected


@pytest.mark.parametrize(
    "upload",
    [Upload("../evil.yaml", "name: x\n"), Upload("big.yaml", "#" * (MAX_UPLOAD_BYTES + 1))],
    ids=["path", "size"],
)
def test_an_upload_with_a_bad_name_or_size_is_refused(upload: Upload, tmp_path: Path) -> None:
    scenario, problems = Workspace(tmp_path).validate_upload(upload)
    assert scenario is None and len(problems) == 1
    assert problems[0].startswith(upload.filename + ": ")
    assert not list(tmp_path.rglob("*.yaml"))


@pytest.mark.parametrize("reps", [0, MAX_REPLICATIONS + 1])
def test_the_caps_refuse_before_anything_runs(reps: int, tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(PotashsimError, match="replications"):
        ws.outcome(Choices(SCENARIO, SCENARIO, replications=reps), None, {})


def test_a_long_horizon_at_many_replications_is_over_the_cap(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(PotashsimError, match="simulated years"):
        ws.outcome(Choices(SCENARIO, SCENARIO, replications=MAX_REPLICATIONS), None, {})
    assert not (tmp_path / "results").exists()


def test_bad_lever_values_come_back_as_the_loaders_problems(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(ScenarioError) as err:
        ws.prepare(Choices(SCENARIO, SCENARIO), None, {"links.ru_nw.capacity_trains_per_day": -3})
    lines = problem_lines(ws, err.value)
    assert lines and all(
        line.startswith("us_eu_lifted_lithuania_holds_custom.yaml") for line in lines
    ), lines
    assert any("links.ru_nw.capacity_trains_per_day" in line for line in lines)


@pytest.mark.slow
def test_the_apps_figures_are_the_reports_figures(tmp_path: Path) -> None:
    # the report's own assembly of the saved comparison, figure by figure
    from potashsim.report.build import _sections

    ws = Workspace(tmp_path)
    choices = Choices(SCENARIO, SCENARIO, ("lt_2022_transit",), {}, dt.date(2019, 6, 30), 1)
    answer = ws.outcome(choices, None, {})
    assert answer.sections is None  # the numbers come first, the charts when asked for
    drawn = ws.sections(answer.key)
    (folder,) = (tmp_path / "results" / "compare").iterdir()
    # the report of the saved folder with the app's map years (the first, middle and last)
    ((_, report_sections),) = _sections([folder], [2019], None)
    report = {
        c.slug: pio.to_json(c.figure, validate=False) for s in report_sections for c in s.charts
    }
    app = {
        c.slug: pio.to_json(c.figure, validate=False)
        for s in drawn.sections or []
        for c in s.charts
    }
    assert app and app == report


def test_a_request_over_its_time_is_stopped_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from potashsim.app import compute

    monkeypatch.setattr(compute, "MAX_REQUEST_S", -1.0)  # over time after the first replication
    ws = Workspace(tmp_path)
    choices = Choices(SCENARIO, SCENARIO, (), {}, dt.date(2019, 6, 30), 2)
    with pytest.raises(PotashsimError, match="limit a request"):
        ws.outcome(choices, None, {})
    # nothing half-done is kept: the same request fails again rather than coming from the cache
    with pytest.raises(PotashsimError, match="limit a request"):
        ws.outcome(choices, None, {})


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name: x\nextends: ../../../etc/passwd\n", "x.yaml:2: extends: "),
        ("name: x\nextends: history\nnetwork: /etc/hosts\n", "x.yaml:3: network: "),
    ],
    ids=["extends", "network"],
)
def test_an_upload_cannot_make_the_server_read_its_other_files(
    text: str, where: str, tmp_path: Path
) -> None:
    scenario, problems = Workspace(tmp_path).validate_upload(Upload("x.yaml", text))
    assert scenario is None and len(problems) == 1 and problems[0].startswith(where), problems


def test_the_price_level_lever_is_the_loaders_price_scale(picked: object, tmp_path: Path) -> None:
    from potashsim.app.levers import PRICE_LEVEL

    assert lever_sets(picked, {PRICE_LEVEL: 1.2}) == {"markets.all.price_scale": 1.2}  # type: ignore[arg-type]
    ws = Workspace(tmp_path)
    base, variant, text, _ = ws.prepare(Choices(SCENARIO, SCENARIO), None, {PRICE_LEVEL: 0.8})
    assert yaml.safe_load(text)["set"]["markets.all.price_scale"] == 0.8
    for market, spec in base.network.markets.items():
        before = spec.price_after_last_usd_per_t
        after = variant.network.markets[market].price_after_last_usd_per_t
        assert after == pytest.approx(0.8 * before) if before is not None else after is None


@pytest.mark.parametrize(("level", "sign"), [(1.25, 1), (0.8, -1)])
def test_a_higher_world_price_level_raises_revenue_and_a_lower_one_cuts_it(
    level: float, sign: int, tmp_path: Path
) -> None:
    from potashsim.app.levers import PRICE_LEVEL

    ws = Workspace(tmp_path)
    choices = Choices(SCENARIO, SCENARIO, (), {}, dt.date(2019, 12, 31), 1)
    answer = ws.outcome(choices, None, {PRICE_LEVEL: level})
    assert answer.comparison is not None
    change = answer.comparison.stats[answer.variant]
    assert sign * float(change["revenue_usd"]["diff_mean"] or 0) > 0
    assert sign * float(change["netback_usd"]["diff_mean"] or 0) > 0
    assert "1 replication" in answer.summary
