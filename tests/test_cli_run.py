"""`potashsim run` and `compare` as a user runs them: the results contract, atomic and
never-overwriting folders, paired comparisons, and clear messages for bad options."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from potashsim.cli import main
from potashsim.contract import COLUMNS, PER_MT_A_YEAR, PER_TRAIN_A_DAY, SHADOW_PRICES

SHORT = """name: {name}
extends: {parent}
horizon: {{start: 2021-01-01, end: 2023-06-30}}
"""


@pytest.fixture
def short_scenarios(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, parent in (("h", "history"), ("u", "us_eu_only")):
        p = tmp_path / f"{name}.yaml"
        p.write_text(SHORT.format(name=name, parent=parent), encoding="utf-8")
        out[name] = p
    return out


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_writes_the_results_contract_and_prints_the_folder_last(
    short_scenarios: dict[str, Path], tmp_path: Path
) -> None:
    res = invoke("run", str(short_scenarios["h"]), "--out", str(tmp_path / "r"), "--seed", "3")
    assert res.exit_code == 0, res.output
    folder = Path(res.output.strip().splitlines()[-1])
    assert folder.parent == tmp_path / "r" / "h"
    for name in (
        "summary.json",
        "monthly.csv",
        "utilisation.csv",
        "timeline.csv",
        "network.json",
        "manifest.json",
        "scenario.resolved.yaml",
    ):
        assert (folder / name).is_file(), name
    summary = json.loads((folder / "summary.json").read_text())
    t = summary["totals"]
    assert summary["seed"] == 3 and summary["scenario"] == "h"
    assert (
        abs(
            t["initial_stock_t"]
            + t["produced_t"]
            - t["exported_t"]
            - t["domestic_t"]
            - t["end_stock_t"]
            - t["in_transit_t"]
        )
        < 1
    )
    assert set(summary["by_year"]) == {"2021", "2022", "2023"}
    # each year's routes and markets add up to the year: shares per year need no other file
    for year in summary["by_year"].values():
        for part in ("by_route", "by_market"):
            total = sum(v["exported_t"] for v in year[part].values())
            assert total == pytest.approx(year["exported_t"])
            assert sum(v["netback_usd"] for v in year[part].values()) == pytest.approx(
                year["netback_usd"]
            )
    # routes that carried nothing that year are left out: Klaipeda after the ban
    assert summary["by_year"]["2021"]["by_route"]["klaipeda"]["exported_t"] > 0
    assert "klaipeda" not in summary["by_year"]["2023"]["by_route"]
    monthly = pd.read_csv(folder / "monthly.csv")
    assert monthly["exported_t"].sum() == pytest.approx(t["exported_t"])
    assert {"month", "route", "market", "revenue_usd", "netback_usd"} <= set(monthly.columns)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["seed"] == 3 and len(manifest["scenario_sha256"]) == 64
    assert "simpy" in manifest["versions"]


def test_rerunning_the_same_run_keeps_the_folder_and_refuses_different_content(
    short_scenarios: dict[str, Path], tmp_path: Path
) -> None:
    args = ("run", str(short_scenarios["h"]), "--out", str(tmp_path / "r"))
    first = invoke(*args).output.strip().splitlines()[-1]
    second = invoke(*args).output.strip().splitlines()[-1]
    assert first == second
    summary = Path(first) / "summary.json"
    summary.write_text(summary.read_text().replace('"seed"', '"seed_changed"'))
    res = invoke(*args)
    assert res.exit_code == 2
    assert "refusing to overwrite" in res.output
    assert "seed_changed" in summary.read_text(), "the existing folder was left untouched"
    leftovers = [p for p in (tmp_path / "r" / "h").iterdir() if p.name.startswith(".")]
    assert leftovers == []


@pytest.mark.slow
def test_compare_writes_paired_statistics_and_prints_the_table(
    short_scenarios: dict[str, Path], tmp_path: Path
) -> None:
    res = invoke(
        "compare",
        str(short_scenarios["h"]),
        str(short_scenarios["u"]),
        "--replications",
        "3",
        "--workers",
        "1",
        "--out",
        str(tmp_path / "r"),
    )
    assert res.exit_code == 0, res.output
    folder = Path(res.output.strip().splitlines()[-1])
    doc = json.loads((folder / "comparison.json").read_text())
    assert doc["base"] == "h" and doc["scenarios"] == ["h", "u"] and doc["replications"] == 3
    stats = doc["stats"]["u"]["revenue_usd"]
    assert stats["diff_ci_low"] <= stats["diff_mean"] <= stats["diff_ci_high"]
    d = doc["decomposition"]["u"]
    parts = ("volume_usd", "mix_usd", "price_usd", "discount_usd", "logistics_usd")
    assert sum(d[k] for k in parts) == pytest.approx(d["total_usd"])
    assert d["total_usd"] == pytest.approx(
        doc["stats"]["u"]["netback_usd"]["mean"] - doc["stats"]["h"]["netback_usd"]["mean"]
    )
    reps = pd.read_csv(folder / "replications.csv")
    assert set(reps["replication"]) == {0, 1, 2}
    assert (folder / "runs" / "u" / "summary.json").is_file()
    assert "95% CI" in res.output and "volume" in res.output
    # Klaipeda open until the EU's transit ban: us_eu_only exports more than history
    assert doc["stats"]["u"]["exported_t"]["diff_mean"] > 0


@pytest.mark.parametrize(
    "args, message",
    [
        (("--replications", "0"), "--replications"),
        (("--workers", "0"), "--workers"),
        (("--seed", "-1"), "--seed"),
    ],
)
def test_compare_rejects_bad_options_with_a_clear_message(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    res = CliRunner().invoke(
        main, ["compare", "baseline", "history", *args, "--out", str(tmp_path)]
    )
    assert res.exit_code == 2
    assert message in res.output
    assert not (tmp_path / "compare").exists()


def test_an_unknown_scenario_name_gets_a_suggestion_and_nothing_runs(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["run", "histroy", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "did you mean `history`" in res.output
    assert list(tmp_path.iterdir()) == []


def test_a_negative_seed_for_run_is_rejected(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["run", "baseline", "--seed", "-3", "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "--seed" in res.output


def test_ctrl_c_during_compare_stops_it_leaving_no_folder_and_no_traceback(tmp_path: Path) -> None:
    # how soon it stops is a speed figure, measured by benchmarks/bench_cli.py, not asserted here
    import os
    import signal
    import subprocess
    import sys
    import time

    # a terminal's Ctrl-C reaches the whole process group, workers included
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "potashsim",
            "compare",
            "baseline",
            "history",
            "--replications",
            "40",
            "--workers",
            "2",
            "--out",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # as from a terminal: a CI runner started in the background (`cmd &`) ignores SIGINT, and
        # its children would inherit that and never see the Ctrl-C
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # interrupt once the replications are running (the progress label is on stderr)
        assert proc.stderr is not None
        label = proc.stderr.readline()
        assert "runs on" in label, label
        time.sleep(2)
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)  # a guard against a hang, not a speed test
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, (out, err)
    assert out == "", "an interrupted compare prints no table"
    assert "Traceback" not in err
    assert "interrupted" in err
    leftovers = list(tmp_path.rglob("*"))
    assert leftovers == [], leftovers


def test_run_writes_shadow_prices_only_when_asked_and_adds_them_to_the_same_run(
    short_scenarios: dict[str, Path], tmp_path: Path
) -> None:
    args = ("run", str(short_scenarios["h"]), "--out", str(tmp_path / "r"), "--seed", "3")
    plain = Path(invoke(*args).output.strip().splitlines()[-1])
    assert not (plain / "shadow_prices.csv").exists()
    res = invoke(*args, "--shadow-prices")
    assert res.exit_code == 0, res.output
    folder = Path(res.output.strip().splitlines()[-1])
    assert folder == plain  # the same run: its folder gains the file
    table = pd.read_csv(folder / "shadow_prices.csv")
    assert tuple(table.columns) == COLUMNS[SHADOW_PRICES]
    assert (table["shadow_usd_per_t"] >= 0).all()
    assert set(table["per"]) == {PER_TRAIN_A_DAY, PER_MT_A_YEAR}


def test_the_report_reproduces_a_scenario_file_by_its_path(
    short_scenarios: dict[str, Path], tmp_path: Path
) -> None:
    # a new user's own file is not a shipped name: `potashsim run h --seed N` would fail
    report = tmp_path / "r.html"
    res = invoke(
        "compare", str(short_scenarios["h"]), str(short_scenarios["u"]), "-n", "1", "-j", "1",
        "--set", "horizon.end=2021-12-31", "--out", str(tmp_path / "out"), "--report", str(report),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert f"potashsim run {short_scenarios['u']} --seed" in report.read_text(encoding="utf-8")
