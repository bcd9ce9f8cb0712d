"""Does the fast granularity give the train level's answers? The full agreement table.

1. Every shipped scenario x 5 seeds, each run at both granularities with the same seed: yearly
   exports, revenue and netback (fast within 2% of train level, or within the train level's
   spread across the seeds where that is wider) and each route's share of a year's exports
   (within 3 points). See ``potashsim.analysis.agreement``.
2. The README's comparisons (the main job, and the easing steps), ``compare`` at both
   granularities with the same seeds: every fast paired difference (mean over replications)
   inside the train level's 95% interval.

Run: ``.venv/bin/python benchmarks/agreement.py [--seeds 5] [--replications 10] [--workers 2]
[--quick]``. Prints the tables and the verdicts; never asserts. ``--quick``: 2 seeds, 3
scenarios, 4 replications.
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_machine

from potashsim.analysis.agreement import (
    REL_TOLERANCE,
    SHARE_TOLERANCE_POINTS,
    agreement,
)
from potashsim.analysis.experiment import compare
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
README_JOBS = [
    ("baseline", "history", "us_eu_lifted_lithuania_holds", "all_lifted"),
    ("no_easing", "history", "us_eu_lifted_lithuania_holds", "all_lifted"),
]


def _one(args: tuple[str, list[int]]) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    name, seeds = args
    t0 = time.perf_counter()
    figures, shares = agreement(load_scenario(str(ROOT / "scenarios" / f"{name}.yaml")), seeds)
    return figures, shares, time.perf_counter() - t0


def scenarios_table(names: list[str], seeds: list[int], workers: int) -> None:
    with ProcessPoolExecutor(workers) as pool:
        done = list(pool.map(_one, [(n, seeds) for n in names]))
    figures = pd.concat([d[0] for d in done], ignore_index=True)
    shares = pd.concat([d[1] for d in done], ignore_index=True)
    print(f"\n## 1. Every shipped scenario x {len(seeds)} seeds, yearly figures, fast vs train\n")
    print("| scenario | figure | max abs rel. diff | years x seeds within tolerance |")
    print("|---|---|---|---|")
    for (name, fig), g in figures.groupby(["scenario", "figure"], sort=False):
        worst = g.loc[g["rel_diff"].abs().idxmax()]
        print(
            f"| {name} | {fig} | {abs(worst['rel_diff']) * 100:.2f}% ({int(worst['year'])}, "
            f"seed {int(worst['seed'])}) | {int(g['ok'].sum())}/{len(g)} |"
        )
    print(
        f"\nAll figures: {int(figures['ok'].sum())}/{len(figures)} within tolerance "
        f"(max(|train| x {REL_TOLERANCE:.0%}, train spread)); "
        f"{int((figures['rel_diff'].abs() <= REL_TOLERANCE).sum())}/{len(figures)} within "
        f"{REL_TOLERANCE:.0%} outright."
    )
    bad = figures[~figures["ok"]]
    if not bad.empty:
        print("\nOutside tolerance:")
        print(bad.to_string(index=False))
    print(f"\n## Route shares of each year's exports (within {SHARE_TOLERANCE_POINTS:g} points)\n")
    worst = shares.loc[shares["diff_points"].abs().idxmax()]
    print(
        f"{int(shares['ok'].sum())}/{len(shares)} (scenario, seed, year, route) shares within "
        f"{SHARE_TOLERANCE_POINTS:g} points; largest difference "
        f"{worst['diff_points']:+.2f} points ({worst['scenario']}, {worst['route']}, "
        f"{int(worst['year'])}, seed {int(worst['seed'])})."
    )
    bad = shares[~shares["ok"]]
    if not bad.empty:
        print(bad.to_string(index=False))
    print(f"\nwall time per scenario: {', '.join(f'{d[2]:.0f} s' for d in done)}")


def comparisons_table(replications: int, workers: int) -> None:
    print(f"\n## 2. The README's comparisons, {replications} paired replications\n")
    print("| comparison | scenario | metric | train diff [95% CI] | fast diff | inside |")
    print("|---|---|---|---|---|---|")
    inside = total = 0
    for names in README_JOBS:
        loaded = [load_scenario(n) for n in names]
        by, walls = {}, {}
        for g in ("train", "fast"):
            t0 = time.perf_counter()
            by[g] = compare(
                [with_granularity(s, g) for s in loaded],
                replications=replications,
                seed=loaded[0].seed,
                workers=workers,
            )
            walls[g] = time.perf_counter() - t0
        for label in by["train"].labels[1:]:
            for metric in ("exported_t", "revenue_usd", "netback_usd"):
                t = by["train"].stats[label][metric]
                f = by["fast"].stats[label][metric]
                lo, hi, fd = t["diff_ci_low"], t["diff_ci_high"], f["diff_mean"]
                assert lo is not None and hi is not None and fd is not None
                ok = lo <= fd <= hi
                inside += ok
                total += 1
                scale = 1e6 if metric == "exported_t" else 1e9
                print(
                    f"| {names[0]} | {label} | {metric} | {t['diff_mean'] / scale:+.2f} "
                    f"[{lo / scale:+.2f}, {hi / scale:+.2f}] | {fd / scale:+.2f} | "
                    f"{'yes' if ok else 'NO'} |"
                )
        print(f"| | | wall | {walls['train']:.0f} s | {walls['fast']:.0f} s | |")
    print(f"\n{inside}/{total} fast paired differences inside the train level's 95% interval.")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-comparisons", action="store_true")
    args = ap.parse_args()
    print_machine("agreement: fast granularity vs train level")
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    seeds = list(range(1, args.seeds + 1))
    replications = args.replications
    if args.quick:
        names, seeds, replications = ["history", "no_easing", "all_lifted"], [1, 2], 4
    scenarios_table(names, seeds, args.workers)
    if not args.skip_comparisons:
        comparisons_table(replications, args.workers)


if __name__ == "__main__":
    main()
