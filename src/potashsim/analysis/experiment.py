"""Run a scenario once, or compare scenarios over paired replications (common random numbers).

Replication *i* of every scenario runs with the same seed, so each difference is taken within a
pair and the interval is on the difference itself. Replications may run in worker processes; the
results do not depend on how many (each depends only on its scenario and seed).

Scenarios may run over different horizons; a comparison then counts only what every scenario
simulated: the deliveries exported inside one window (by default the days all horizons share).
Each run still simulates its own horizon; only the accounts are cut.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from potashsim.analysis.bottlenecks import utilisation_table
from potashsim.analysis.decomposition import EFFECTS, FLOWS, decompose_years
from potashsim.analysis.economics import deliveries_table, monthly_table, summarize
from potashsim.analysis.executors import run_tasks
from potashsim.analysis.shadow_prices import shadow_prices as shadow_price_table
from potashsim.analysis.tables import (
    decomposition_table,
    revenue_by_month,
    routes_by_month,
    stats_table,
    timeline_table,
)
from potashsim.contract import CHANGED_MARK, METRICS
from potashsim.scenario.schema import NetworkSpec, Scenario
from potashsim.sim.engine import simulate
from potashsim.sim.policy import Calendar
from potashsim.sim.records import RunTrace
from potashsim.sim.streams import replication_seeds

__all__ = ["Comparison", "RunResult", "Window", "compare", "in_window", "run", "shared_window"]

#: First and last day of a period, both included.
Window = tuple[dt.date, dt.date]


@dataclass
class RunResult:
    """One simulation with its accounts."""

    scenario: Scenario
    seed: int
    trace: RunTrace
    network: NetworkSpec
    calendar: Calendar
    deliveries: pd.DataFrame
    monthly: pd.DataFrame
    utilisation: pd.DataFrame
    summary: dict[str, Any]
    wall_s: float
    shadow_prices: pd.DataFrame | None = None
    """The contract's ``shadow_prices.csv`` when asked for (:func:`run`), else None."""

    @property
    def label(self) -> str:
        """The scenario's name: a run's name in tables and charts."""
        return self.scenario.name

    @property
    def timeline(self) -> pd.DataFrame:
        """The policy timeline as the contract's ``timeline.csv`` rows (dates as dates)."""
        return timeline_table(self.calendar)

    @property
    def monthly_routes(self) -> pd.DataFrame:
        """Exports by month and route as a comparison's ``monthly_routes.csv`` rows."""
        return routes_by_month(self.monthly, self.label)

    @property
    def monthly_revenue(self) -> pd.DataFrame:
        """Revenue by month as a comparison's ``monthly_revenue.csv`` rows (replication 0)."""
        return revenue_by_month(self.monthly, self.label)


def run(scenario: Scenario, *, seed: int | None = None, shadow_prices: bool = False) -> RunResult:
    """Simulate ``scenario`` once with ``seed`` (default: the scenario's); settle the accounts.

    With ``shadow_prices``, also re-solve each dispatch period as an LP for its shadow prices
    (:mod:`potashsim.analysis.shadow_prices`; about as long again as the run itself).
    """
    t0 = time.perf_counter()
    seed = scenario.seed if seed is None else seed
    trace, net, cal = simulate(scenario, seed=seed)
    deliveries = deliveries_table(trace, net, cal)
    summary = summarize(trace, deliveries)
    summary = {
        "scenario": scenario.name,
        "seed": seed,
        "horizon_start": scenario.horizon.start.isoformat(),
        "horizon_end": scenario.horizon.end.isoformat(),
        **summary,
    }
    duals = shadow_price_table(trace, net) if shadow_prices else None
    return RunResult(
        scenario,
        seed,
        trace,
        net,
        cal,
        deliveries,
        monthly_table(deliveries),
        utilisation_table(trace, net, cal),
        summary,
        time.perf_counter() - t0,
        duals,
    )


@dataclass
class Comparison:
    """Paired replications of a base scenario and others, and their statistics.

    Every table and statistic counts the exports inside ``window`` only, and names each scenario
    by its label (:attr:`labels`)."""

    scenarios: list[Scenario]
    replications: int
    seed: int
    seeds: list[int]
    yearly: pd.DataFrame
    """The contract's ``replications.csv``: scenario, replication, year, METRICS, discount_usd."""
    monthly_revenue: pd.DataFrame
    monthly_routes: pd.DataFrame
    stats: dict[str, dict[str, dict[str, float | None]]]
    decomposition: dict[str, dict[str, float]]
    """Per scenario (not the base): the netback change split into EFFECTS and total_usd, summed
    over years and markets, mean of the replication pairs (USD)."""
    decomposition_by_year: pd.DataFrame
    """scenario, year, market, the EFFECTS and total_usd: mean of the replication pairs (USD)."""
    wall_s: float
    representative: dict[str, RunResult]
    """Replication 0 of each scenario by label, in full over its own horizon (for the map,
    timeline and bottleneck charts)."""
    window: Window = (dt.date.min, dt.date.max)
    """The days whose exports every statistic, table and decomposition counts."""
    overrides: dict[str, list[str]] = field(default_factory=dict)
    """``KEY=VALUE`` overrides applied to each scenario when it was loaded, by scenario name."""

    @property
    def labels(self) -> list[str]:
        """Each scenario's label, base first: its name, marked ``*`` where overrides changed it.
        The statistics, the tables and ``representative`` are keyed by label."""
        return [label_of(s.name, self.overrides.get(s.name)) for s in self.scenarios]

    @property
    def base(self) -> str:
        """Label of the base scenario."""
        return self.labels[0]

    @property
    def shared_window(self) -> Window:
        """The days every scenario's horizon covers."""
        return shared_window(self.scenarios)

    @property
    def stats_table(self) -> pd.DataFrame:
        """``stats`` as rows: scenario, metric, mean, diff_mean, diff_ci_low, diff_ci_high."""
        return stats_table(self.stats)

    @property
    def decomposition_table(self) -> pd.DataFrame:
        """``decomposition`` as rows: scenario and the EFFECTS and total_usd (USD)."""
        return decomposition_table(self.decomposition)

    @property
    def runs(self) -> dict[str, RunResult]:
        """``representative`` under the name a loaded comparison folder gives it."""
        return self.representative

    @property
    def horizons(self) -> dict[str, Window]:
        """Each scenario's own horizon, by label."""
        return {
            label: (s.horizon.start, s.horizon.end)
            for label, s in zip(self.labels, self.scenarios, strict=True)
        }


def label_of(name: str, overrides: Sequence[str] | None) -> str:
    """A scenario's label in a comparison: ``name``, or ``name*`` when ``overrides`` changed it."""
    return f"{name}{CHANGED_MARK}" if overrides else name


def shared_window(scenarios: Sequence[Scenario]) -> Window:
    """The days all ``scenarios`` simulate: the latest start to the earliest end.

    Raises:
        ValueError: the horizons do not overlap (the message lists them).
    """
    start = max(s.horizon.start for s in scenarios)
    end = min(s.horizon.end for s in scenarios)
    if start > end:
        horizons = ", ".join(f"{s.name} {s.horizon.start}..{s.horizon.end}" for s in scenarios)
        raise ValueError(f"the scenarios' horizons share no day ({horizons})")
    return start, end


def in_window(d: pd.DataFrame, window: Window) -> pd.DataFrame:
    """The deliveries exported from the first day of ``window`` to its last, both included."""
    if d.empty:
        return d
    start, end = pd.Timestamp(window[0]), pd.Timestamp(window[1]) + pd.Timedelta(days=1)
    return d[(d["date"] >= start) & (d["date"] < end)]


def _one(scenario: Scenario, label: str, rep: int, seed: int, window: Window) -> dict[str, Any]:
    """What a comparison keeps of one replication (small, so it crosses processes cheaply):
    the exports inside ``window``, under ``label``; replication 0 also keeps its full run, saved
    as the scenario's representative run."""
    full: RunResult | None = None
    if rep == 0:  # the run the report shows: with its shadow prices
        full = run(scenario, seed=seed, shadow_prices=True)
        d = full.deliveries
    else:
        trace, net, cal = simulate(scenario, seed=seed)
        d = deliveries_table(trace, net, cal)
    d = in_window(d, window)
    cols = [*METRICS, "discount_usd"]
    if d.empty:
        yearly = pd.DataFrame(columns=["year", *cols])
        by_market = pd.DataFrame(columns=["year", "market", *FLOWS])
        month_rev = pd.DataFrame(columns=["month", "revenue_usd", "exported_t"])
        month_route = pd.DataFrame(columns=["month", "route", "exported_t"])
    else:
        yearly = d.assign(year=d["date"].dt.year).groupby("year", as_index=False)[cols].sum()
        by_market = (
            d.assign(year=d["date"].dt.year)
            .groupby(["year", "market"], as_index=False)[list(FLOWS)]
            .sum()
        )
        m = d["date"].dt.to_period("M").dt.to_timestamp()
        month_rev = (
            d.assign(month=m).groupby("month", as_index=False)[["revenue_usd", "exported_t"]].sum()
        )
        month_route = (
            d.assign(month=m).groupby(["month", "route"], as_index=False)[["exported_t"]].sum()
        )
    for frame in (yearly, by_market, month_rev, month_route):
        frame.insert(0, "replication", rep)
        frame.insert(0, "scenario", label)
    return {
        "label": label,
        "yearly": yearly,
        "by_market": by_market,
        "month_rev": month_rev,
        "month_route": month_route,
        "run": full,
    }


def _task(args: tuple[Scenario, str, int, int, Window]) -> dict[str, Any]:
    return _one(*args)


def compare(
    scenarios: Sequence[Scenario],
    *,
    replications: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    window: Window | None = None,
    overrides: Mapping[str, Sequence[str]] | None = None,
) -> Comparison:
    """Run every scenario ``replications`` times with paired seeds; the first is the base.

    Args:
        scenarios: base first, then the others.
        replications: pairs per scenario (≥ 1; ≥ 2 for intervals).
        seed: root seed; replication i uses ``replication_seeds(seed, n)[i]`` in every scenario.
        workers: processes (1 runs in this process).
        scheduler: None (local processes), ``"local"`` (a Dask LocalCluster) or the address
            of a Dask scheduler; see ``potashsim.analysis.executors.run_tasks``.
        progress: called with (done, total) after each replication.
        window: the days whose exports are counted (both included); default
            :func:`shared_window`. Each run still simulates its own horizon.
        overrides: ``{scenario name: ["KEY=VALUE", ...]}``, the overrides each scenario was
            loaded with; recorded, and a scenario with any is labelled ``name*``.

    Raises:
        ValueError: the horizons share no day, ``window`` is not inside every horizon, or
            ``overrides`` names a scenario that is not compared.
    """
    t0 = time.perf_counter()
    shared = shared_window(scenarios)
    window = shared if window is None else window
    if not shared[0] <= window[0] <= window[1] <= shared[1]:
        raise ValueError(
            f"window {window[0]}..{window[1]} is not inside {shared[0]}..{shared[1]}, "
            "the days every scenario simulates"
        )
    unknown = sorted(set(overrides or {}) - {s.name for s in scenarios})
    if unknown:
        raise ValueError(
            f"overrides name {', '.join(unknown)}, which is not a compared scenario "
            f"({', '.join(s.name for s in scenarios)})"
        )
    applied = {s.name: list((overrides or {}).get(s.name, ())) for s in scenarios}
    labels = [label_of(s.name, applied[s.name]) for s in scenarios]
    seeds = replication_seeds(seed, replications)
    tasks = [
        (s, label, i, seeds[i], window)
        for i in range(replications)
        for s, label in zip(scenarios, labels, strict=True)
    ]
    results = run_tasks(_task, tasks, workers=workers, scheduler=scheduler, progress=progress)
    yearly = pd.concat([r["yearly"] for r in results], ignore_index=True)
    month_rev = pd.concat([r["month_rev"] for r in results], ignore_index=True)
    month_route = pd.concat([r["month_route"] for r in results], ignore_index=True)
    totals = (
        yearly.groupby(["scenario", "replication"])[list(METRICS)]
        .sum()
        .reindex(pd.MultiIndex.from_product([labels, range(replications)]), fill_value=0.0)
    )
    stats = {name: _stats(totals, labels[0], name) for name in labels}
    by_market = pd.concat([r["by_market"] for r in results], ignore_index=True)
    by_year = _decompose(by_market, labels, replications)
    decomposition = {
        name: {
            e: float(by_year.loc[by_year["scenario"] == name, e].sum())
            for e in (*EFFECTS, "total_usd")
        }
        for name in labels[1:]
    }
    routes = month_route.groupby(["scenario", "month", "route"], as_index=False)["exported_t"].sum()
    routes["exported_t"] /= replications
    representative = {r["label"]: r["run"] for r in results if r["run"] is not None}
    return Comparison(
        list(scenarios),
        replications,
        seed,
        seeds,
        yearly,
        month_rev,
        routes,
        stats,
        decomposition,
        by_year,
        time.perf_counter() - t0,
        representative,
        window,
        applied,
    )


def _decompose(by_market: pd.DataFrame, names: list[str], replications: int) -> pd.DataFrame:
    """Each scenario's netback change against the base (names[0]) per year and market: decomposed
    pair by pair, then averaged over the replications (so the means add up exactly too)."""
    cols = ["scenario", "year", "market", *EFFECTS, "total_usd"]
    parts = []
    groups = dict(tuple(by_market.groupby(["scenario", "replication"])))
    empty = pd.DataFrame(columns=["year", "market", *FLOWS])
    for name in names[1:]:
        for rep in range(replications):
            base = groups.get((names[0], rep), empty)
            other = groups.get((name, rep), empty)
            parts.append(decompose_years(base, other).assign(scenario=name))
    if not parts:
        return pd.DataFrame(columns=cols)
    out = pd.concat(parts, ignore_index=True)
    # a (year, market) absent from a pair counts as zero in the mean over all pairs
    out = out.groupby(["scenario", "year", "market"], as_index=False)[[*EFFECTS, "total_usd"]].sum()
    out[[*EFFECTS, "total_usd"]] /= replications
    return out[cols]


def _stats(totals: pd.DataFrame, base: str, name: str) -> dict[str, dict[str, float | None]]:
    from scipy import stats as st

    out: dict[str, dict[str, float | None]] = {}
    for m in METRICS:
        x = totals.loc[name][m].to_numpy()
        diff = x - totals.loc[base][m].to_numpy()
        n = len(diff)
        half: float | None = None
        if n >= 2:
            sd = float(np.std(diff, ddof=1))
            half = float(st.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
        out[m] = {
            "mean": float(x.mean()),
            "diff_mean": float(diff.mean()),
            "diff_ci_low": None if half is None else float(diff.mean()) - half,
            "diff_ci_high": None if half is None else float(diff.mean()) + half,
        }
    return out


def default_workers() -> int:
    """Worker processes to use by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)
