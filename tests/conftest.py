"""Shared fixtures: tiny hand-checkable networks, short versions of the shipped scenarios, and
results folders written from real runs."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from potashsim.analysis.experiment import Comparison, compare
from potashsim.results.write import save_comparison, save_run
from potashsim.scenario import paths
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import NetworkSpec, Scenario


def tiny_network(**overrides: Any) -> dict[str, Any]:
    """One mine, one rail link, one port, one market: every number easy to check by hand.

    Trains carry 1,000 t (10 wagons x 100 t); the mine makes 2,000 t a day; the link admits one
    train a day; the port loads 100,000 t a day, so rail is the bottleneck (1,000 t a day).
    """
    net: dict[str, Any] = {
        "nodes": {
            "mine": {"name": "Mine", "lat": 0, "lon": 0},
            "port": {"name": "Port", "lat": 1, "lon": 1},
        },
        "mines": {
            "m1": {
                "name": "M1",
                "node": "mine",
                "storage_t": 50_000,
                "output_schedule": [{"from_date": "2020-01-01", "output_t_per_year": 730_000}],
            }
        },
        "links": {
            "rail": {
                "from_node": "mine",
                "to_node": "port",
                "country": "X",
                "distance_km": 300,
                "transit_days": 1,
                "capacity_trains_per_day": 1,
                "tariff_usd_per_t": 10,
            }
        },
        "ports": {
            "p1": {
                "name": "P1",
                "node": "port",
                "sea_region": "sea",
                "capacity_t_per_year": 1e9,
                "storage_t": 20_000,
                "berths": 1,
                "loading_t_per_day": 100_000,
                "handling_usd_per_t": 5,
            }
        },
        "markets": {
            "buyer": {
                "name": "Buyer",
                "lat": 2,
                "lon": 2,
                "demand_t_per_year": 1e9,
                "prices": [{"date": "2020-01-01", "usd_per_t": 300}],
            }
        },
        "lanes": {"sea": {"buyer": {"freight_usd_per_t": 40, "voyage_days": 10}}},
        "model": {
            "wagons_per_train": 10,
            "wagon_payload_t": 100,
            "ship_lot_t": 1_000,
            "dispatch_interval_days": 7,
            "domestic_t_per_year": 0,
            "transit_spread": 0,
            # fixed prices and a hard market cap keep every figure checkable by hand
            "price_response": "off",
        },
    }
    for path, value in overrides.items():
        paths.assign(net, path, value)
    return net


def make_scenario(
    net: dict[str, Any], *, days: int = 365, events: tuple[Any, ...] = (), seed: int = 1
) -> Scenario:
    """A deterministic scenario on ``net`` from 2020-01-01 for ``days`` days."""
    start = dt.date(2020, 1, 1)
    return Scenario.model_validate(
        {
            "name": "tiny",
            "description": "test",
            "seed": seed,
            "stochastic": False,
            "horizon": {"start": start, "end": start + dt.timedelta(days=days - 1)},
            "network": NetworkSpec.model_validate(net),
            "events": list(events),
        }
    )


def shortened(name: str, start: str, end: str) -> Scenario:
    """A shipped scenario with its horizon cut (events outside it dropped)."""
    s = load_scenario(name)
    a, b = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return s.model_copy(
        update={
            "horizon": s.horizon.model_copy(update={"start": a, "end": b}),
            "events": tuple(e for e in s.events if a <= e.date <= b),
        }
    )


@pytest.fixture(scope="session")
def history_short() -> Scenario:
    """History over 2021-2023: the Lithuanian ban, the EU ban and the Russian ramp-up."""
    return shortened("history", "2021-01-01", "2023-12-31")


@dataclass(frozen=True)
class SavedResults:
    """Results folders written by the real writer from real runs, for the report tests.

    ``comparison`` is baseline against history over 2021-2022 (two paired replications, root
    seed 7): Lithuania stops the transit to Klaipeda on 2022-02-01, the EU on 2022-06-04.
    ``compare`` is its folder, ``run`` a run folder of history's representative run (the same
    run that ``compare/runs/history`` holds), and ``cmp`` the Comparison they were written from.
    """

    compare: Path
    run: Path
    cmp: Comparison


@pytest.fixture(scope="session")
def saved_results(tmp_path_factory: pytest.TempPathFactory) -> SavedResults:
    """Baseline against history over 2021-2022, written once per test session (about 3 s)."""
    scenarios = [shortened(name, "2021-01-01", "2022-12-31") for name in ("baseline", "history")]
    cmp = compare(scenarios, replications=2, seed=7)
    root = tmp_path_factory.mktemp("results")
    command = "potashsim compare baseline history -n 2 --seed 7"
    return SavedResults(
        compare=save_comparison(cmp, root, command=command),
        run=save_run(cmp.representative["history"], root, command="potashsim run history"),
        cmp=cmp,
    )


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A sweep's scenarios (test_sweep, test_ema, test_dask_cluster): a folder with
    ``shut.yaml`` (the rail link closed from March to a reopening) and ``open.yaml`` (no
    measure) on the tiny network over 2020: runs of a few milliseconds."""
    net = tiny_network(**{"model.transit_spread": 0.2})
    (tmp_path / "net.yaml").write_text(yaml.safe_dump(net), encoding="utf-8")
    common = {
        "network": "net.yaml",
        "horizon": {"start": "2020-01-01", "end": "2020-12-31"},
        "seed": 1,
    }
    events = [
        {
            "date": "2020-03-01",
            "actor": "Lithuania",
            "action": "close",
            "target": "link:rail",
            "id": "close_rail",
        },
        {
            "date": "2020-06-01",
            "actor": "Lithuania",
            "action": "reopen",
            "target": "link:rail",
            "id": "reopen_rail",
        },
    ]
    for name, evs in (("shut", events), ("open", [])):
        doc = {"name": name, **common, "events": evs}
        (tmp_path / f"{name}.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    return tmp_path


# ------------------------------------------------------------------ Dask processes on 127.0.0.1


def _dask_command() -> list[str]:
    exe = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    if exe is None:
        pytest.skip("no `dask` command")
    return [exe]


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    # a session of its own, so that a worker and its nanny are killed together
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


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc`` and its session (a Dask worker with its nanny: no restart)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


DaskCluster = tuple[str, list[subprocess.Popen[bytes]]]
"""A scheduler's address and its worker processes."""


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[Callable[[int], DaskCluster]]:
    """Start ``dask scheduler`` and N ``dask worker`` processes (one thread each) on 127.0.0.1,
    on ports the system picks; every process is killed when the test ends, pass or fail."""
    pytest.importorskip("distributed")
    procs: list[subprocess.Popen[bytes]] = []

    def start(workers: int) -> DaskCluster:
        info = tmp_path / "scheduler.json"
        slog = tmp_path / "scheduler.log"
        sched = _start(
            [*_dask_command(), "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--no-dashboard", "--scheduler-file", str(info)],
            slog,
        )  # fmt: skip
        procs.append(sched)
        _wait_for("the scheduler", info.exists, sched, slog)
        address = str(json.loads(info.read_text())["address"])
        started = []
        for k in range(workers):
            wlog = tmp_path / f"worker{k}.log"
            worker = _start(
                [*_dask_command(), "worker", address, "--nworkers", "1", "--nthreads", "1",
                 "--no-dashboard", "--name", f"w{k}"],
                wlog,
            )  # fmt: skip
            procs.append(worker)
            started.append((worker, wlog))
        for k, (worker, wlog) in enumerate(started):
            _wait_for(f"worker {k}", lambda w=wlog: "Registered to" in w.read_text(), worker, wlog)
        return address, [w for w, _ in started]

    try:
        yield start
    finally:
        for proc in reversed(procs):
            stop_process(proc)
