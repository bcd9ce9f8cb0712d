"""Tidy tables of a run or a comparison, as the results contract names them and the charts take.

One place turns what was run into the contract's tables (docs/results-contract.md): the policy
timeline of a calendar, a comparison's statistics and decomposition as rows, and a single run's
monthly exports as the per-scenario tables a comparison has (``monthly_routes.csv``,
``monthly_revenue.csv``). The results writer, the results reader, the Python API's objects and
the charts all use these, so a table has one shape wherever it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from potashsim import contract as c

if TYPE_CHECKING:  # the charts import this module; they need not load the simulation
    from potashsim.sim.policy import Calendar

__all__ = [
    "decomposition_table",
    "revenue_by_month",
    "routes_by_month",
    "stats_table",
    "timeline_table",
]


def timeline_table(cal: Calendar) -> pd.DataFrame:
    """The policy timeline as intervals (the contract's ``timeline.csv``; dates as dates)."""
    cols = c.COLUMNS[c.TIMELINE]
    return pd.DataFrame(
        [tuple(getattr(i, col) for col in cols) for i in cal.intervals], columns=list(cols)
    )


def stats_table(stats: Mapping[str, Mapping[str, Mapping[str, float | None]]]) -> pd.DataFrame:
    """``{scenario: {metric: {mean, diff_mean, diff_ci_low, diff_ci_high}}}`` as rows: columns
    ``scenario``, ``metric`` and :data:`potashsim.contract.STATS` (USD or t over the window)."""
    return pd.DataFrame(
        [
            {"scenario": s, "metric": m, **values}
            for s, metrics in stats.items()
            for m, values in metrics.items()
        ],
        columns=["scenario", "metric", *c.STATS],
    )


def decomposition_table(decomposition: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """``{scenario: {volume_usd, ..., total_usd}}`` as rows: ``scenario`` and
    :data:`potashsim.contract.DECOMPOSITION` (USD)."""
    return pd.DataFrame(
        [{"scenario": s, **parts} for s, parts in decomposition.items()],
        columns=["scenario", *c.DECOMPOSITION],
    )


def routes_by_month(monthly: pd.DataFrame, label: str) -> pd.DataFrame:
    """A run's ``monthly.csv`` as ``monthly_routes.csv`` rows: ``scenario`` (= ``label``),
    ``month``, ``route``, ``exported_t`` (tonnes per month and route)."""
    out = monthly.groupby(["month", "route"], as_index=False)[["exported_t"]].sum()
    out.insert(0, "scenario", label)
    return out[list(c.COLUMNS[c.MONTHLY_ROUTES])]


def revenue_by_month(monthly: pd.DataFrame, label: str) -> pd.DataFrame:
    """A run's ``monthly.csv`` as ``monthly_revenue.csv`` rows of one replication (0):
    ``scenario`` (= ``label``), ``replication``, ``month``, ``revenue_usd``, ``exported_t``."""
    out = monthly.groupby("month", as_index=False)[["revenue_usd", "exported_t"]].sum()
    out.insert(0, "replication", 0)
    out.insert(0, "scenario", label)
    return out[list(c.COLUMNS[c.MONTHLY_REVENUE])]
