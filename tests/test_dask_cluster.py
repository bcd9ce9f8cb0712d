"""`compare --scheduler ADDRESS` on a real Dask scheduler and worker on 127.0.0.1: when every
worker is lost mid-run, compare fails with a clear message instead of waiting forever."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from potashsim.analysis import executors
from potashsim.cli import main

pytest.importorskip("distributed")

SHORT = """name: {name}
extends: {parent}
horizon: {{start: 2021-01-01, end: 2021-12-31}}
"""


def _dask() -> list[str]:
    exe = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if exe is None:
        pytest.skip("no `dask` command")
    return [exe]


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    # a session of its own, so that the worker and its nanny are killed together
    with open(log, "wb") as fh:
        return subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for(
    what: str, done: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path
) -> None:
    deadline = time.monotonic() + 60  # a guard against a hang, not a speed test
    while not done():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.2)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A scheduler and one worker (with its nanny) on 127.0.0.1: (address, worker process)."""
    info = tmp_path / "scheduler.json"
    slog, wlog = tmp_path / "scheduler.log", tmp_path / "worker.log"
    sched = _start(
        [*_dask(), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(info)],
        slog,
    )  # fmt: skip
    worker = None
    try:
        _wait_for("the scheduler", info.exists, sched, slog)
        address = json.loads(info.read_text())["address"]
        worker = _start(
            [*_dask(), "worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard"],
            wlog,
        )
        _wait_for("the worker", lambda: "Registered to" in wlog.read_text(), worker, wlog)
        yield address, worker
    finally:
        for proc in (worker, sched):
            if proc is not None:
                _stop(proc)


@pytest.mark.slow
def test_losing_every_worker_fails_with_a_clear_message_instead_of_hanging(
    cluster: tuple[str, subprocess.Popen[bytes]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    address, worker = cluster
    monkeypatch.setattr(executors, "NO_WORKERS_TIMEOUT_S", 2.0)
    scenarios = []
    for name, parent in (("h", "history"), ("u", "us_eu_only")):
        p = tmp_path / f"{name}.yaml"
        p.write_text(SHORT.format(name=name, parent=parent), encoding="utf-8")
        scenarios.append(str(p))
    # 200 short runs on one worker take about a minute: the worker dies well before the end
    killer = threading.Timer(3.0, _stop, args=(worker,))
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
