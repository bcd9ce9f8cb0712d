"""``potashsim sweep`` as a user runs it: wall and CPU time on 1 and 2 workers, and memory.

The workload: the shipped ``sweeps/lithuania_ban_cost.yaml`` (11 inputs, each run a pair of
scenarios over 2027-2028 at the fast granularity) with a Latin hypercube of N samples, run through
the real command line in a subprocess, once with ``-j 1`` and once with ``-j 2`` (or, with
``--scheduler local``, on a Dask LocalCluster of 1 and of 2 workers); the two row tables are
checked to be identical. For each it prints the wall time and the CPU time of the sweep and every
process it waited for (``RUSAGE_CHILDREN``: its pool workers; a LocalCluster's workers are not
always waited for, so their CPU may be missing). On a shared machine the wall-time efficiency
``T1 / (2·T2)`` depends on the load; the CPU time a run takes does much less, so both are printed.

``--memory N1 N2 ...`` measures instead the parent of a sweep (the process that runs
``potashsim sweep``, buffers the rows and writes the Parquet parts) at each run count, each in a
fresh process: its peak Python heap (``tracemalloc``, stopped in the forked workers) and its peak
RSS, each also less what it held once everything was imported. The sweep file is cut to a short
horizon (``--memory-horizon``, default 2027-01-01..2027-07-31) so that many runs finish in a few
minutes: the parent's memory does not depend on how long a run is, only on how many there are.
The target (issue 13): a 20,000-run sweep under 500 MB.

The issue's speed targets (Sobol on 10 inputs with N = 1024, 22,528 runs of the 2025-2030
comparison, in 10 minutes on 2 cores; efficiency on 2 workers ≥ 0.85) are far beyond a benchmark
run here; the per-run cost is printed with the time the 22,528 runs would take at it (stated as an
extrapolation).

Run: ``.venv/bin/python benchmarks/bench_sweep.py [--n N] [--scheduler local]`` or
``.venv/bin/python benchmarks/bench_sweep.py --memory 100 1000 [--workers 2]``. Prints figures;
never asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, child_figures, print_machine, rss_mb, stop_tracing

SWEEP = REPO / "sweeps" / "lithuania_ban_cost.yaml"
TARGET_RUNS = 1024 * 22
TARGET_MB = 500
MEMORY_TARGET_RUNS = 20_000


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _sweep(out: Path, n: int, workers: int, scheduler: str | None) -> tuple[float, float]:
    """Run the sweep in a subprocess: (wall s, CPU s of it and the processes it waited for)."""
    cmd = [sys.executable, "-m", "potashsim", "sweep", str(SWEEP), "--design", "lhs"]
    cmd += ["--n", str(n), "-j", str(workers), "--out", str(out)]
    if scheduler:
        cmd += ["--scheduler", scheduler]
    cpu0 = _children_cpu_s()
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=REPO, capture_output=True)
    return time.perf_counter() - t0, _children_cpu_s() - cpu0


def scaling(n: int, scheduler: str | None) -> None:
    where = f"Dask {scheduler}" if scheduler else "local processes"
    print_machine(f"potashsim sweep: 1 and 2 workers ({where}), peak memory")
    from potashsim.results.sweep_store import read_sweep

    with tempfile.TemporaryDirectory() as tmp:
        t1, c1 = _sweep(Path(tmp) / "one", n, 1, scheduler)
        t2, c2 = _sweep(Path(tmp) / "two", n, 2, scheduler)
        same = read_sweep(Path(tmp) / "one")[1].equals(read_sweep(Path(tmp) / "two")[1])
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{n} runs (each a pair over 2 years, fast), wall (CPU of all its processes):")
    print(f"  1 worker  {t1:6.1f} s ({c1:6.1f} s CPU, {c1 / n:.2f} s a run)")
    print(f"  2 workers {t2:6.1f} s ({c2:6.1f} s CPU, {c2 / n:.2f} s a run)")
    print(f"  efficiency on 2 workers, wall T1 / (2·T2): {t1 / (2 * t2):.2f} (start-up included)")
    print(f"  CPU on 2 workers / CPU on 1: {c2 / c1:.2f} (1.00: no work added by parallelism)")
    print(f"  rows identical on 1 and 2 workers: {same}")
    print(f"  peak RSS of any process of the sweeps: {peak_mb:.0f} MB")
    print(f"  load average after: {tuple(round(x, 2) for x in os.getloadavg())}")
    per_run_2 = t2 / n
    per_run_cpu = c2 / n
    print(
        f"  extrapolated: {TARGET_RUNS:,} such runs ≈ {per_run_2 * TARGET_RUNS / 3600:.1f} h at "
        f"this wall time on 2 workers; {per_run_cpu * TARGET_RUNS / 3600:.1f} CPU-hours, i.e. "
        f"≈ {per_run_cpu * TARGET_RUNS / 3600 / 2:.1f} h on 2 idle cores"
    )


def one_memory(n: int, workers: int, start: str, end: str) -> dict[str, Any]:
    """Run a sweep of ``n`` runs in this process (the parent); its memory figures."""
    from potashsim.cli.sweep import build_spec, run_sweep
    from potashsim.results.sweep_store import read_sweep

    spec = build_spec(
        str(SWEEP),
        vs=None,
        params=(),
        design="lhs",
        n=n,
        seed=None,
        granularity=None,
        overrides=(f"horizon.start={start}", f"horizon.end={end}"),
    )
    import pandas  # noqa: F401  everything the sweep imports, before the fixed part is read
    import pyarrow.parquet  # noqa: F401
    import SALib.sample.latin  # noqa: F401

    from potashsim.analysis.sweep.runner import check_params

    check_params(spec)  # loads (and caches) the scenarios, as the sweep will
    os.register_at_fork(after_in_child=stop_tracing)
    fixed_rss = rss_mb()
    tracemalloc.start()
    fixed_heap = tracemalloc.get_traced_memory()[0] / 1e6
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as root:
        out = run_sweep(spec, out=Path(root) / "sw", resume=False, workers=workers)
        parent_cpu = time.process_time() - cpu0  # the parent alone: the workers are not in it
        runs = read_sweep(out)[1]
    wall = time.perf_counter() - t0
    heap_peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return {
        "n": n,
        "workers": workers,
        "wall_s": wall,
        "parent_cpu_s": parent_cpu,
        "heap_peak_mb": heap_peak,
        "heap_peak_above_fixed_mb": heap_peak - fixed_heap,
        "rss_fixed_mb": fixed_rss,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
        "rows": len(runs),
        "failed": int((runs["status"] != "ok").sum()),
    }


def memory(sizes: list[int], workers: int, start: str, end: str) -> None:
    print_machine("potashsim sweep: memory of the parent against the number of runs")
    print(f"   {SWEEP.name} cut to {start}..{end}, lhs, {workers} worker(s); each N a new process")
    rows = []
    for n in sorted(sizes):
        cmd = [sys.executable, __file__, "--one-memory", str(n), "--workers", str(workers)]
        cmd += ["--memory-horizon", start, end]
        r = child_figures(cmd, f"N={n}", cwd=REPO)
        rows.append(r)
        print(
            f"N={n:>6,}: {r['wall_s']:7.1f} s wall, parent CPU "
            f"{r['parent_cpu_s'] / n * 1e3:.1f} ms a run; heap peak {r['heap_peak_mb']:6.1f} MB "
            f"({r['heap_peak_above_fixed_mb']:5.1f} above the imports); RSS peak "
            f"{r['rss_peak_mb']:6.1f} MB (imports {r['rss_fixed_mb']:.1f}); {r['rows']:,} rows, "
            f"{r['failed']} failed",
            flush=True,
        )
    lo, hi = rows[0], rows[-1]
    slope_heap = (hi["heap_peak_mb"] - lo["heap_peak_mb"]) / (hi["n"] - lo["n"])
    slope_rss = (hi["rss_peak_mb"] - lo["rss_peak_mb"]) / (hi["n"] - lo["n"])
    at_target = hi["rss_peak_mb"] + max(slope_rss, 0.0) * (MEMORY_TARGET_RUNS - hi["n"])
    print(
        f"\nper run: heap peak {slope_heap * 1e3:+.1f} kB, RSS peak {slope_rss * 1e3:+.1f} kB; "
        f"RSS peak at {MEMORY_TARGET_RUNS:,} runs, extrapolated linearly: {at_target:.0f} MB "
        f"(target ≤ {TARGET_MB} MB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=8, help="runs of the Latin hypercube")
    parser.add_argument("--scheduler", default=None, help="e.g. local: a Dask LocalCluster")
    parser.add_argument("--memory", type=int, nargs="+", help="run counts of the memory mode")
    parser.add_argument("--workers", type=int, default=2, help="workers of the memory mode")
    parser.add_argument(
        "--memory-horizon", nargs=2, default=["2027-01-01", "2027-07-31"], metavar=("START", "END")
    )
    parser.add_argument("--one-memory", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    start, end = args.memory_horizon
    if args.one_memory is not None:  # the child: one size, figures as JSON on stdout
        print(json.dumps(one_memory(args.one_memory, args.workers, start, end)))
    elif args.memory:
        memory(args.memory, args.workers, start, end)
    else:
        scaling(args.n, args.scheduler)


if __name__ == "__main__":
    main()
