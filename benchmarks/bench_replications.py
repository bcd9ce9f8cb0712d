"""Paired replications: ``potashsim.analysis.experiment.compare`` on 1 worker against 2 workers.

The workload of the issue: two scenarios (``history`` and ``us_eu_lifted_lithuania_holds``), both
cut to the 6-year horizon 2025-01-01..2030-12-31 (it contains the EU lift of 2027-03-01),
compared over N paired replications with ``seed=1``. Each N-pair comparison is 2·N
simulations. It is timed once on 1 worker (in this process) and once on 2 workers (a process
pool), and the two results are checked to be identical (the ``stats`` dicts, and the yearly
tables).

The target is 1,000 pairs in ≤ 60 s on 2 cores with parallel efficiency T1 / (2·T2) ≥ 0.85.
1,000 pairs take about 20 CPU-minutes here, so by default N = 100 and the 1,000-pair time is
extrapolated linearly from the per-pair cost (stated as such in the output); ``--replications
1000`` runs the real thing (about 30 minutes on 2 cores for both timings).

Memory: peak RSS of this process and of the largest worker (``resource.getrusage``), then a
separate, untimed 2-worker run under ``tracemalloc`` for the parent's peak Python heap
(tracing the timed runs would slow the parent, which shares the 2 cores with the workers).

Run: ``.venv/bin/python benchmarks/bench_replications.py [--quick] [--replications N]
[--workers W] [--json PATH]``. Prints figures and ratios; never asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cut, fmt_s, print_machine, verdict, write_figures

from potashsim.analysis import experiment
from potashsim.analysis.experiment import compare
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.loader import load_scenario

TARGET_S, TARGET_PAIRS, TARGET_EFF = 60.0, 1000, 0.85
NAMES = ("history", "us_eu_lifted_lithuania_holds")
START, END = dt.date(2025, 1, 1), dt.date(2030, 12, 31)  # contains the EU lift of 2027


def rusage() -> dict[str, float]:
    """CPU seconds and peak RSS (MB) of this process and of its (finished) children."""
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return {
        "self_cpu": me.ru_utime + me.ru_stime,
        "self_maxrss_mb": me.ru_maxrss / 1024,
        "children_cpu": kids.ru_utime + kids.ru_stime,
        "children_maxrss_mb": kids.ru_maxrss / 1024,
    }


class Progress:
    """Prints to stderr every 10% so a long run shows it is alive."""

    def __init__(self, label: str) -> None:
        self.label, self.t0, self.next = label, time.perf_counter(), 0.1

    def __call__(self, done: int, total: int) -> None:
        if done / total >= self.next or done == total:
            print(
                f"   .. {self.label}: {done}/{total} runs, {time.perf_counter() - self.t0:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            while self.next <= done / total:
                self.next += 0.1


def timed_compare(scenarios: list[Any], n: int, workers: int) -> tuple[float, Any, dict]:
    gc.collect()
    print(
        f"   {workers} worker(s): starting at load average "
        f"{tuple(round(x, 2) for x in os.getloadavg())}",
        file=sys.stderr,
    )
    before = rusage()
    t0 = time.perf_counter()
    cmp = compare(
        scenarios,
        replications=n,
        seed=1,
        workers=workers,
        progress=Progress(f"{workers} worker(s)"),
    )
    wall = time.perf_counter() - t0
    after = rusage()
    cpu = {
        "parent_cpu_s": after["self_cpu"] - before["self_cpu"],
        "workers_cpu_s": after["children_cpu"] - before["children_cpu"],
        "parent_maxrss_mb": after["self_maxrss_mb"],
        "children_maxrss_mb": after["children_maxrss_mb"],
    }
    return wall, cmp, cpu


def _stop_tracing() -> None:
    if tracemalloc.is_tracing():
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="smoke mode: 20 replications")
    ap.add_argument(
        "--replications",
        "-n",
        type=int,
        default=None,
        help="pairs per timing (default 100, quick 20; 1000 is the issue's figure)",
    )
    ap.add_argument("--workers", type=int, default=2, help="the parallel run's workers (2)")
    ap.add_argument(
        "--no-memory", action="store_true", help="skip the separate tracemalloc run of the parent"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument(
        "--granularity",
        choices=["train", "fast"],
        default="train",
        help="how potash moves in every run (train, the model of record; fast, daily batches)",
    )
    ap.add_argument(
        "--parallel-only",
        action="store_true",
        help="time the parallel run only (no 1-worker run, so no efficiency): the issue's figure",
    )
    args = ap.parse_args(argv)
    n = args.replications or (20 if args.quick else 100)
    w = args.workers
    info = print_machine(f"bench_replications: paired replications, 1 worker vs {w} workers")
    scenarios = [
        with_granularity(cut(load_scenario(name), START, END), args.granularity) for name in NAMES
    ]
    print(
        f"   granularity {args.granularity}; scenarios {', '.join(NAMES)}; "
        f"horizon {START}..{END}; {n} pairs "
        f"= {2 * n} simulations per timing; seed 1; os.cpu_count()={os.cpu_count()}"
    )
    late = [e for e in scenarios[1].events if e.date > END]
    if late:
        print(
            f"   note: {len(late)} event(s) of {NAMES[1]} fall after {END} "
            f"({', '.join(f'{e.date} {e.actor} {e.action}' for e in late)}); inside this "
            "horizon the two scenarios are the same policy, so every paired difference is 0 "
            "(this does not change the cost being measured)"
        )

    # in-process cost of one replication (experiment._one), split into the simulation and the
    # accounts; simulate is timed inside _one by wrapping the name _one calls
    probe = 2 if args.quick else 6
    sim_t: list[float] = []
    one_t: list[float] = []
    real_simulate = experiment.simulate

    def timed_simulate(*a: Any, **k: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return real_simulate(*a, **k)
        finally:
            sim_t.append(time.perf_counter() - t0)

    one = getattr(experiment, "_one", None)  # private: skip the split if it is renamed
    print()
    if one is not None:
        experiment.simulate = timed_simulate  # type: ignore[assignment]
        try:
            window = (START, END)
            one(scenarios[0], NAMES[0], 1, 11, window)  # warm-up; replication 0 keeps more
            sim_t.clear()
            for i in range(probe):
                t0 = time.perf_counter()
                one(scenarios[i % 2], NAMES[i % 2], 1 + i, 100 + i, window)
                one_t.append(time.perf_counter() - t0)
        finally:
            experiment.simulate = real_simulate  # type: ignore[assignment]
        sim_med = statistics.median(sim_t)
        rest_med = statistics.median(o - s for o, s in zip(one_t, sim_t, strict=True))
        print(
            f"one replication in-process (median of {probe}): "
            f"{fmt_s(statistics.median(one_t))} = simulate {fmt_s(sim_med)} + "
            f"accounts/pandas {fmt_s(rest_med)}"
        )
    else:
        print("experiment._one not found: the in-process split is skipped")

    # the timings: 2 workers first, so RUSAGE_CHILDREN afterwards is the workers' peak
    t2, cmp2, use2 = timed_compare(scenarios, n, w)
    if args.parallel_only:
        print(
            f"\n{w} workers: {fmt_s(t2)} wall for {n} pairs ({fmt_s(t2 / n)} a pair); CPU "
            f"workers {use2['workers_cpu_s']:.1f} s + parent {use2['parent_cpu_s']:.1f} s; "
            f"peak RSS parent {use2['parent_maxrss_mb']:.0f} MB, largest worker "
            f"{use2['children_maxrss_mb']:.0f} MB"
        )
        verdict_text = verdict(t2, TARGET_S) if n == TARGET_PAIRS else "n/a (not 1,000 pairs)"
        print(f"target {TARGET_PAIRS} pairs <= {TARGET_S:.0f} s: {verdict_text}")
        return write_figures(
            {"machine": info, "pairs": n, "workers": w, "granularity": args.granularity,
             "tw_s": t2, "usage_w": use2, "one_replication_s": one_t, "simulate_s": sim_t},
            args.json,
        )  # fmt: skip
    t1, cmp1, use1 = timed_compare(scenarios, n, 1)
    same_stats = cmp1.stats == cmp2.stats
    same_yearly = cmp1.yearly.equals(cmp2.yearly)
    eff = t1 / (w * t2)
    per_pair_1, per_pair_w = t1 / n, t2 / n
    print()
    print(
        f"1 worker : {fmt_s(t1)} wall for {n} pairs ({fmt_s(per_pair_1)} a pair, "
        f"{fmt_s(per_pair_1 / 2)} a simulation); CPU {use1['parent_cpu_s']:.1f} s"
    )
    print(
        f"{w} workers: {fmt_s(t2)} wall for {n} pairs ({fmt_s(per_pair_w)} a pair); CPU "
        f"workers {use2['workers_cpu_s']:.1f} s + parent {use2['parent_cpu_s']:.1f} s"
    )
    print(
        f"speed-up T1/T{w} = {t1 / t2:.2f}; parallel efficiency T1/({w}·T{w}) = {eff:.2f} "
        f"(target >= {TARGET_EFF}: {verdict(eff, TARGET_EFF, lower_is_better=False)})"
    )
    cpu_eff = use1["parent_cpu_s"] / (use2["workers_cpu_s"] + use2["parent_cpu_s"])
    eff_cpu1 = use1["parent_cpu_s"] / (w * t2)
    print(
        f"efficiency with T1 taken as the 1-worker run's CPU time instead of its wall time: "
        f"{eff_cpu1:.2f} (the 1-worker run got the CPU for "
        f"{use1['parent_cpu_s'] / t1:.0%} of its wall time; below ~95% other load slowed it "
        "and the wall-time efficiency above is flattered)"
    )
    print(
        f"CPU-time ratio 1 worker / {w} workers (1.0 = no parallel overhead; contention from "
        f"other load shows here too): {cpu_eff:.2f}"
    )
    print(
        f"results identical for 1 and {w} workers: stats {'yes' if same_stats else 'NO'}, "
        f"yearly table {'yes' if same_yearly else 'NO'}"
    )
    if n == TARGET_PAIRS:
        t_target, how = t2, "measured"
    else:
        t_target, how = (
            per_pair_w * TARGET_PAIRS,
            (
                f"EXTRAPOLATED linearly from {n} pairs ({fmt_s(per_pair_w)} a pair x "
                f"{TARGET_PAIRS}), not measured"
            ),
        )
    print(
        f"{TARGET_PAIRS} pairs on {w} workers: {fmt_s(t_target)} ({how}); target <= "
        f"{TARGET_S:.0f} s: {verdict(t_target, TARGET_S)}; it would need "
        f"{TARGET_S / TARGET_PAIRS * 1e3:.0f} ms a pair on {w} workers, i.e. "
        f"{w * TARGET_S / TARGET_PAIRS / 2 * 1e3:.0f} ms a simulation at perfect scaling"
    )
    print(
        f"peak RSS: parent {use1['parent_maxrss_mb']:.0f} MB (after both runs), "
        f"largest worker {use2['children_maxrss_mb']:.0f} MB"
    )

    out: dict[str, Any] = {
        "machine": info,
        "quick": args.quick,
        "pairs": n,
        "workers": w,
        "load_after": os.getloadavg(),
        "one_replication_s": one_t,
        "simulate_s": sim_t,
        "t1_s": t1,
        "tw_s": t2,
        "efficiency": eff,
        "speedup": t1 / t2,
        "cpu_ratio": cpu_eff,
        "efficiency_cpu_t1": eff_cpu1,
        "usage_1": use1,
        "usage_w": use2,
        "identical_stats": same_stats,
        "identical_yearly": same_yearly,
        "t_1000_pairs_s": t_target,
        "t_1000_how": how,
        "stats_w": cmp2.stats,
    }
    if not args.no_memory:
        # forked workers would inherit the tracing (and its slowdown); stop it in each child
        os.register_at_fork(after_in_child=_stop_tracing)
        gc.collect()
        tracemalloc.start()
        compare(scenarios, replications=n, seed=1, workers=w)
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        print(
            f"peak memory of the parent (tracemalloc, separate {w}-worker run of {n} pairs): "
            f"{peak:.1f} MB ({peak / n * 1e3:.0f} kB a pair; at most about "
            f"{peak / n * TARGET_PAIRS:.0f} MB for {TARGET_PAIRS} pairs, extrapolated "
            "linearly, an upper bound as part of it is fixed)"
        )
        out["parent_tracemalloc_peak_mb"] = peak
    return write_figures(out, args.json)


if __name__ == "__main__":
    main()
