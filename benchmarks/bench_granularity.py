"""Train level against the fast granularity: one run, wall and CPU time, side by side.

For each scenario (``history`` 2019-2030 as shipped, and the 6-year ``us_eu_lifted_lithuania_holds``
2025-2030 of the replications benchmark), rounds alternate train and fast so that other load on
the machine falls on both alike; each round times ``simulate`` (the engine alone) and ``run``
(the engine plus the accounts a comparison settles for each replication). The reference run a
scenario's prices answer to is cached per process, as in a comparison, and warmed first.

Run: ``.venv/bin/python benchmarks/bench_granularity.py [--rounds 5] [--json PATH]``. Prints
medians, spreads and the train/fast ratios; never asserts on time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import cut, fmt_s, print_machine, write_figures

from potashsim.analysis.experiment import run
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.loader import load_scenario
from potashsim.sim.engine import simulate

CASES = [
    ("history 2019-2030", "history", None),
    ("us_eu_lifted 2025-2030", "us_eu_lifted_lithuania_holds", (2025, 2030)),
]


def _clock(fn: Any) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    info = print_machine("bench_granularity: train level vs fast, one run")
    out: dict[str, Any] = {"machine": info, "cases": {}}
    for title, name, years in CASES:
        scenario = load_scenario(name)
        if years is not None:
            scenario = cut(scenario, dt.date(years[0], 1, 1), dt.date(years[1], 12, 31))
        by = {g: with_granularity(scenario, g) for g in ("train", "fast")}
        for s in by.values():
            run(s)  # warm-up: imports, caches and the reference run
        times: dict[str, dict[str, list[float]]] = {
            g: {"simulate_wall": [], "simulate_cpu": [], "run_wall": [], "run_cpu": []} for g in by
        }
        for _ in range(args.rounds):
            for g, s in by.items():
                w, c = _clock(lambda s=s: simulate(s))
                times[g]["simulate_wall"].append(w)
                times[g]["simulate_cpu"].append(c)
                w, c = _clock(lambda s=s: run(s))
                times[g]["run_wall"].append(w)
                times[g]["run_cpu"].append(c)
        print(f"\n{title} (median of {args.rounds} interleaved rounds)")
        print(f"{'':14}{'train [min..max]':>28}{'fast [min..max]':>28}{'ratio':>8}")
        case: dict[str, Any] = {}
        for key in ("simulate_wall", "simulate_cpu", "run_wall", "run_cpu"):
            med = {g: statistics.median(times[g][key]) for g in by}
            ratio = med["train"] / med["fast"]
            rng = {g: f"{fmt_s(min(times[g][key]))}..{fmt_s(max(times[g][key]))}" for g in by}
            print(
                f"{key:<14}{fmt_s(med['train']):>9} [{rng['train']}]"
                f"{fmt_s(med['fast']):>9} [{rng['fast']}]{ratio:>8.2f}"
            )
            case[key] = {**med, "ratio": ratio}
        out["cases"][title] = case
    return write_figures(out, args.json)


if __name__ == "__main__":
    main()
