"""What a comparison spends on each replication besides simulating it: the worker's accounts
and the parent's share, one 6-year fast pair at a time.

The 1,000-pair target (60 s on 2 workers) leaves about 60 ms of CPU a run, accounts included, so
these costs count as much as the run's own. For ``history`` and ``us_eu_lifted_lithuania_holds``
over 2025-2030 at the fast granularity, from one simulated trace each (the simulation is not
timed):

* **worker**: ``experiment._one`` less its ``simulate``: the deliveries' money columns, the
  window, the group sums by year, year and market, month, month and route, and the part;
* **parent**: ``Aggregator.add`` of each part as the pool hands it over (unpickled), with the
  replication files streamed as ``potashsim compare`` writes them: Welford sums, the pair's
  decomposition, the route sums and the CSV rows;
* **pickle**: a part's size and its round trip between processes.

Run: ``.venv/bin/python benchmarks/bench_accounts.py [--repeats 30] [--json PATH]``. Prints
medians and spreads; never asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cut, print_machine, spread, write_figures

from potashsim.analysis import experiment
from potashsim.analysis.aggregate import Aggregator
from potashsim.results.stream import ReplicationFiles
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.loader import load_scenario
from potashsim.sim.engine import simulate

NAMES = ("history", "us_eu_lifted_lithuania_holds")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    info = print_machine("bench_accounts: a replication's accounts, worker and parent")
    first, last = dt.date(2025, 1, 1), dt.date(2030, 12, 31)
    scenarios = [with_granularity(cut(load_scenario(n), first, last), "fast") for n in NAMES]
    window = experiment.shared_window(scenarios)
    traces = {s.name: simulate(s, seed=11) for s in scenarios}
    real_simulate = experiment.simulate
    # the part of _one after its run: the same trace each time, the run itself not timed
    experiment.simulate = lambda s, seed: traces[s.name]  # type: ignore[assignment]
    try:
        worker: list[float] = []
        parts: list[dict[str, Any]] = []
        for k in range(args.repeats + 1):
            for s in scenarios:
                t0 = time.perf_counter()
                part = experiment._one(s, s.name, 1, 11, window)
                if k:  # the first round warms imports and compiled kernels
                    worker.append(time.perf_counter() - t0)
                    parts.append(part)
    finally:
        experiment.simulate = real_simulate
    blobs = [pickle.dumps(p) for p in parts]
    t0 = time.perf_counter()
    for b in blobs:
        pickle.loads(b)
    unpickle_s = (time.perf_counter() - t0) / len(blobs)
    parent: list[float] = []
    with tempfile.TemporaryDirectory() as tmp, ReplicationFiles(Path(tmp)) as sink:
        agg = Aggregator([s.name for s in scenarios], args.repeats, sink)
        for i, b in enumerate(blobs):
            t0 = time.perf_counter()
            agg.add(i, pickle.loads(b))
            parent.append(time.perf_counter() - t0)
    print(f"\nworker, per run (accounts only):  {spread(worker)}")
    print(f"parent, per part (with unpickle): {spread(parent)}")
    print(f"pickle: {len(blobs[0]) / 1e3:.1f} kB a part, unpickled in {unpickle_s * 1e3:.2f} ms")
    out = {
        "machine": info,
        "worker_s": worker,
        "parent_s": parent,
        "part_bytes": len(blobs[0]),
        "unpickle_s": unpickle_s,
    }
    return write_figures(out, args.json)


if __name__ == "__main__":
    main()
