"""How far the fast granularity lies from the train level, seed by seed and year by year.

Both layers run the same scenario with the same seed (the same draws of every uncertain input and
the same policy calendar), so a difference between them is the movement layer's alone. A yearly
figure agrees when the two lie within :data:`REL_TOLERANCE` of the train level's, or within the
train level's own spread across the seeds where that is wider (a difference no larger than the
replications' noise changes no conclusion); a route's share of a year's exports agrees within
:data:`SHARE_TOLERANCE_POINTS` percentage points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from potashsim.analysis.experiment import run
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.schema import Scenario

__all__ = [
    "CHECKED",
    "REL_TOLERANCE",
    "SHARE_TOLERANCE_POINTS",
    "agreement",
    "route_share_agreement",
]

#: The yearly figures compared (summary.json's ``by_year`` keys).
CHECKED = ("exported_t", "revenue_usd", "netback_usd")
REL_TOLERANCE = 0.02
SHARE_TOLERANCE_POINTS = 3.0


def _yearly(scenario: Scenario, granularity: str, seed: int) -> dict[str, dict[str, object]]:
    by_year: dict[str, dict[str, object]] = run(
        with_granularity(scenario, granularity), seed=seed
    ).summary["by_year"]
    return by_year


def _runs(
    scenario: Scenario, seeds: Sequence[int]
) -> list[tuple[int, dict[str, dict[str, object]], dict[str, dict[str, object]]]]:
    return [
        (seed, _yearly(scenario, "train", seed), _yearly(scenario, "fast", seed)) for seed in seeds
    ]


def agreement(scenario: Scenario, seeds: Sequence[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run ``scenario`` at both granularities with each seed; return the yearly figures' table
    and the route shares' table (see :func:`figure_rows` and :func:`route_share_agreement`)."""
    runs = _runs(scenario, seeds)
    return figure_rows(scenario.name, runs), route_share_agreement(scenario.name, runs)


def figure_rows(
    name: str,
    runs: Sequence[tuple[int, dict[str, dict[str, object]], dict[str, dict[str, object]]]],
) -> pd.DataFrame:
    """One row per (seed, year, figure): scenario, seed, year, figure, train, fast,
    rel_diff (fast / train − 1), spread (the train level's standard deviation of that year's
    figure across the seeds; 0 with one seed), tolerance (the larger of REL_TOLERANCE × |train|
    and spread, in the figure's unit) and ok."""
    rows = []
    for seed, train, fast in runs:
        for year, t in train.items():
            f = fast.get(year, {})
            for key in CHECKED:
                tv, fv = float(t[key]), float(f.get(key, 0.0))  # type: ignore[arg-type]
                rows.append({"scenario": name, "seed": seed, "year": int(year), "figure": key,
                             "train": tv, "fast": fv})  # fmt: skip
    df = pd.DataFrame(rows)
    if df.empty:
        return df
    spread = df.groupby(["year", "figure"])["train"].transform(
        lambda s: float(np.std(s, ddof=1)) if len(s) > 1 else 0.0
    )
    df["rel_diff"] = np.where(
        df["train"] != 0, df["fast"] / df["train"].where(df["train"] != 0, 1) - 1, 0.0
    )
    df["spread"] = spread
    df["tolerance"] = np.maximum(REL_TOLERANCE * df["train"].abs(), df["spread"])
    df["ok"] = (df["fast"] - df["train"]).abs() <= df["tolerance"]
    return df


def route_share_agreement(
    name: str,
    runs: Sequence[tuple[int, dict[str, dict[str, object]], dict[str, dict[str, object]]]],
) -> pd.DataFrame:
    """One row per (seed, year, route): scenario, seed, year, route, train_pct, fast_pct (the
    route's share of that year's exported tonnes, percent), diff_points and ok (within
    SHARE_TOLERANCE_POINTS)."""
    rows = []
    for seed, train, fast in runs:
        for year in train:
            shares = [_shares(train[year]), _shares(fast.get(year, {}))]
            for route in sorted(set(shares[0]) | set(shares[1])):
                tp, fp = shares[0].get(route, 0.0), shares[1].get(route, 0.0)
                rows.append({"scenario": name, "seed": seed, "year": int(year), "route": route,
                             "train_pct": tp, "fast_pct": fp, "diff_points": fp - tp,
                             "ok": abs(fp - tp) <= SHARE_TOLERANCE_POINTS})  # fmt: skip
    return pd.DataFrame(rows)


def _shares(year: dict[str, object]) -> dict[str, float]:
    """Each route's share of a year's exported tonnes, percent."""
    by_route = year.get("by_route", {})
    assert isinstance(by_route, dict)
    tonnes = {k: float(v["exported_t"]) for k, v in by_route.items()}
    total = sum(tonnes.values())
    return {k: 100.0 * t / total for k, t in tonnes.items()} if total > 0 else {}
