"""Real Dask schedulers and workers on 127.0.0.1: when every worker is lost mid-run, compare
fails with a clear message instead of waiting forever; when one of two workers is killed
mid-sweep, the sweep completes and equals a local run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from tests.conftest import DaskCluster, stop_process

from potashsim.analysis import executors
from potashsim.cli import main
from potashsim.results.sweep_store import read_sweep

pytest.importorskip("distributed")

SHORT = """name: {name}
extends: {parent}
horizon: {{start: 2021-01-01, end: 2021-12-31}}
"""


@pytest.mark.slow
def test_losing_every_worker_fails_with_a_clear_message_instead_of_hanging(
    dask_cluster: Callable[[int], DaskCluster],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, (worker,) = dask_cluster(1)
    monkeypatch.setattr(executors, "NO_WORKERS_TIMEOUT_S", 2.0)
    scenarios = []
    for name, parent in (("h", "history"), ("u", "us_eu_only")):
        p = tmp_path / f"{name}.yaml"
        p.write_text(SHORT.format(name=name, parent=parent), encoding="utf-8")
        scenarios.append(str(p))
    # 200 short runs on one worker take about a minute: the worker dies well before the end
    killer = threading.Timer(3.0, stop_process, args=(worker,))
    killer.start()
    try:
        res = CliRunner().invoke(
            main,
            ["compare", *scenarios, "-n", "100", "--scheduler", address, "--out", str(tmp_path)],
        )
    finally:
        killer.cancel()
    assert worker.poll() is not None, "the worker was not killed during the run"
    assert res.exit_code == 2, res.output
    assert f"the Dask scheduler at {address} has had no worker" in res.output
    assert "start workers" in res.output and "internal error" not in res.output
    assert not (tmp_path / "compare").exists()


def _sweep_args(tiny: Path, out: Path, *more: str) -> list[str]:
    # ten years of the tiny network: about 0.4 s a sample (scenario and base), so that a worker
    # can be killed while the sweep is under way
    return [
        "sweep", str(tiny / "shut.yaml"), "--vs", str(tiny / "open.yaml"),
        "--set", "horizon.end=2029-12-31",
        "--param", "links.rail.tariff_usd_per_t=5..15",
        "--param", "event:reopen_rail.date=2020-04-01..2020-10-01",
        "--design", "lhs", "--n", "24", "--seed", "9", "--part-runs", "1", "--out", str(out),
        *more,
    ]  # fmt: skip


@pytest.mark.slow  # two workers, 24 paired samples, and the local sweep: about 30 s
def test_a_worker_killed_mid_sweep_loses_no_run_and_the_table_equals_a_local_one(
    dask_cluster: Callable[[int], DaskCluster], tiny: Path, tmp_path: Path
) -> None:
    address, (doomed, survivor) = dask_cluster(2)
    out = tmp_path / "dask"
    parts_at_kill: list[int] = []
    stop = threading.Event()

    def kill_when_under_way() -> None:
        deadline = time.monotonic() + 120  # a guard against a hang
        while not stop.is_set() and time.monotonic() < deadline:
            parts = len(list((out / "runs").glob("part-*.parquet")))
            if parts >= 3:
                stop_process(doomed)
                parts_at_kill.append(parts)
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_under_way, daemon=True)
    killer.start()
    try:
        res = CliRunner().invoke(main, _sweep_args(tiny, out, "--scheduler", address))
    finally:
        stop.set()
        killer.join(timeout=10)
    assert res.exit_code == 0, res.output
    assert parts_at_kill and parts_at_kill[0] < 24, "the worker was not killed mid-sweep"
    assert doomed.poll() is not None and survivor.poll() is None
    local = CliRunner().invoke(main, _sweep_args(tiny, tmp_path / "local", "-j", "2"))
    assert local.exit_code == 0, local.output
    _, runs_dask, years_dask = read_sweep(out)
    _, runs_local, years_local = read_sweep(tmp_path / "local")
    assert runs_dask["sample"].tolist() == list(range(24))  # none lost, none twice
    assert (runs_dask["status"] == "ok").all()
    pd.testing.assert_frame_equal(runs_dask, runs_local)
    pd.testing.assert_frame_equal(years_dask, years_local)
