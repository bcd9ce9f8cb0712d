"""What each easing step is worth: paired differences per year from a comparison folder.

Usage (after ``potashsim compare no_easing history us_eu_lifted_lithuania_holds all_lifted -n 10``):

    python docs/examples/easing_steps.py results/compare/<id> [--years 2028-2030]

Each step is a scenario against the one listed before it in the comparison. For each step it
prints the mean per year over the chosen years of the change in exports, revenue and netback, with
a 95% t-interval over the replication pairs (replication i of every scenario shares its seed).
"""

from __future__ import annotations

import argparse
import itertools
import math
from pathlib import Path

import pandas as pd
from scipy import stats

METRICS = (
    ("exported_t", 1e6, "Mt/yr"),
    ("revenue_usd", 1e9, "bn USD/yr"),
    ("netback_usd", 1e9, "bn USD/yr"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--years", default="2028-2030", help="first-last, both included")
    args = parser.parse_args()
    first, last = (int(y) for y in args.years.split("-"))
    reps = pd.read_csv(args.folder / "replications.csv")
    order = list(dict.fromkeys(reps["scenario"]))
    window = reps[reps["year"].between(first, last)]
    per_rep = window.groupby(["scenario", "replication"])[[m for m, _, _ in METRICS]].sum()
    per_rep /= last - first + 1
    print(f"Mean per year over {first}-{last}, paired differences, 95% interval:")
    print("| step | " + " | ".join(f"{m}, {unit}" for m, _, unit in METRICS) + " |")
    print("|---|" + "---|" * len(METRICS))
    for before, after in itertools.pairwise(order):
        diff = per_rep.loc[after] - per_rep.loc[before]
        cells = []
        for metric, scale, _ in METRICS:
            x = diff[metric].to_numpy() / scale
            n = len(x)
            half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n) if n > 1 else math.nan
            cells.append(f"{x.mean():+.2f} [{x.mean() - half:+.2f}, {x.mean() + half:+.2f}]")
        print(f"| `{after}` vs `{before}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
