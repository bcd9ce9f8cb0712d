"""Parent memory of a comparison against its number of replications: does it stay flat?

The workload: ``history`` against ``us_eu_lifted_lithuania_holds``, both cut to the one-year
horizon 2027-01-01..2027-12-31 (it contains the EU lift of 2027-03-01, so the pairs differ),
``seed=1``, N paired replications on W worker processes (default 2), saved to a temporary
results folder as ``potashsim compare`` does (``results.write.compare_to_folder``, which
streams ``replications.csv`` and ``monthly_revenue.csv`` as the runs finish).

Each N runs in a fresh child process, so its peak RSS (``ru_maxrss``) is its own; the child
reports the parent's peak Python heap (``tracemalloc``, stopped in the forked workers) and its
peak RSS, each also less what it held once everything was imported (the fixed part). The ratio
of the largest N to the smallest is printed; the target is flat within 20%.

``--path batch`` measures instead ``compare()`` with its default in-memory tables followed by
``save_comparison``: the Python API's way, and the only way before streaming (run it with
another checkout's ``src`` first on ``PYTHONPATH`` to measure that code).

Run: ``.venv/bin/python benchmarks/bench_memory.py [-n 10 100 1000] [--big] [--workers W]
[--path stream|batch] [--granularity G] [--json PATH]``; ``--big`` adds 10,000. Prints figures
and ratios; never asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import child_figures, cut, fmt_s, print_machine, rss_mb, stop_tracing, write_figures

NAMES = ("history", "us_eu_lifted_lithuania_holds")
START, END = dt.date(2027, 1, 1), dt.date(2027, 12, 31)  # contains the EU lift of 2027-03-01
TARGET_RATIO = 1.2


def one(n: int, workers: int, path: str, granularity: str | None) -> dict[str, Any]:
    """Run one comparison of ``n`` pairs in this process; its memory figures."""
    from potashsim.analysis.experiment import compare
    from potashsim.results import write
    from potashsim.scenario.loader import load_scenario

    options: dict[str, Any] = {"replications": n, "seed": 1, "workers": workers}
    scenarios = [cut(load_scenario(name), START, END) for name in NAMES]
    if granularity is not None:  # as `potashsim compare --granularity` moves its scenarios
        from potashsim.scenario.granularity import with_granularity

        scenarios = [with_granularity(s, granularity) for s in scenarios]
    import pandas  # noqa: F401  everything the run imports, before the fixed part is read
    import scipy.stats  # noqa: F401

    os.register_at_fork(after_in_child=stop_tracing)
    fixed_rss = rss_mb()
    tracemalloc.start()
    fixed_heap = tracemalloc.get_traced_memory()[0] / 1e6
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench_memory_") as root:
        if path == "stream":
            cmp, folder = write.compare_to_folder(scenarios, Path(root), **options)
        else:
            cmp = compare(scenarios, **options)
            folder = write.save_comparison(cmp, Path(root))
        with open(folder / "replications.csv", encoding="utf-8") as fh:
            rows = sum(1 for _ in fh) - 1
    wall = time.perf_counter() - t0
    heap_now, heap_peak = (x / 1e6 for x in tracemalloc.get_traced_memory())
    tracemalloc.stop()
    return {
        "n": n,
        "path": path,
        "workers": workers,
        "wall_s": wall,
        "heap_peak_mb": heap_peak,
        "heap_peak_above_fixed_mb": heap_peak - fixed_heap,
        "heap_held_after_mb": heap_now - fixed_heap,
        "rss_fixed_mb": fixed_rss,
        "rss_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
        "replications_csv_rows": rows,
        "netback_diff_mean_usd": cmp.stats[cmp.labels[1]]["netback_usd"]["diff_mean"],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    doc = __doc__ or ""
    ap = argparse.ArgumentParser(description=doc.split("\n", 1)[0])
    ap.add_argument("-n", "--sizes", type=int, nargs="+", default=[10, 100, 1000])
    ap.add_argument("--big", action="store_true", help="also 10,000 replications")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--path", choices=("stream", "batch"), default="stream")
    ap.add_argument("--granularity", default=None, help="train or fast (default: as shipped)")
    ap.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    if args.one is not None:  # the child: one size, figures as JSON on stdout
        print(json.dumps(one(args.one, args.workers, args.path, args.granularity)))
        return {}
    sizes = sorted({*args.sizes, *([10_000] if args.big else [])})
    info = print_machine(f"bench_memory: parent memory of compare, {args.path} path")
    print(
        f"   {' vs '.join(NAMES)}, {START}..{END}, seed 1, {args.workers} worker(s), "
        f"N = {', '.join(f'{n:,}' for n in sizes)}; each N in a fresh process"
    )
    rows = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--one", str(n), "--workers", str(args.workers)]
        cmd += ["--path", args.path]
        if args.granularity:
            cmd += ["--granularity", args.granularity]
        r = child_figures(cmd, f"N={n}")
        rows.append(r)
        print(
            f"N={n:>6,}: {fmt_s(r['wall_s']):>10} wall; heap peak {r['heap_peak_mb']:7.1f} MB "
            f"({r['heap_peak_above_fixed_mb']:6.1f} above the imports, "
            f"{r['heap_held_after_mb']:6.1f} held at the end); RSS peak "
            f"{r['rss_peak_mb']:6.1f} MB (imports {r['rss_fixed_mb']:.1f}); "
            f"{r['replications_csv_rows']:,} rows in replications.csv",
            flush=True,
        )
    lo, hi = rows[0], rows[-1]
    ratios = {
        "heap_peak": hi["heap_peak_mb"] / lo["heap_peak_mb"],
        "heap_peak_above_fixed": hi["heap_peak_above_fixed_mb"] / lo["heap_peak_above_fixed_mb"],
        "rss_peak": hi["rss_peak_mb"] / lo["rss_peak_mb"],
    }
    print(
        f"\nN={hi['n']:,} / N={lo['n']:,}: heap peak x{ratios['heap_peak']:.2f} "
        f"(above the imports x{ratios['heap_peak_above_fixed']:.2f}), RSS peak "
        f"x{ratios['rss_peak']:.2f}; target: flat within 20% (x{TARGET_RATIO})"
    )
    return write_figures({"machine": info, "rows": rows, "ratios": ratios}, args.json)


if __name__ == "__main__":
    main()
