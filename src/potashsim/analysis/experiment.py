"""Run a scenario once, or compare scenarios over paired replications (common random numbers).

Replication *i* of every scenario runs with the same seed, so each difference is taken within a
pair and the interval is on the difference itself. Replications may run in worker processes; the
results do not depend on how many (each depends only on its scenario and seed).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from potashsim.analysis.bottlenecks import utilisation_table
from potashsim.analysis.decomposition import EFFECTS, FLOWS, decompose_years
from potashsim.analysis.economics import deliveries_table, monthly_table, summarize
from potashsim.analysis.executors import run_tasks
from potashsim.contract import METRICS
from potashsim.scenario.schema import NetworkSpec, Scenario
from potashsim.sim.engine import simulate
from potashsim.sim.policy import Calendar
from potashsim.sim.records import RunTrace
from potashsim.sim.streams import replication_seeds

__all__ = ["Comparison", "RunResult", "compare", "run"]


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


def run(scenario: Scenario, *, seed: int | None = None) -> RunResult:
    """Simulate ``scenario`` once with ``seed`` (default: the scenario's); settle the accounts."""
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
    )


@dataclass
class Comparison:
    """Paired replications of a base scenario and others, and their statistics."""

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
    """Replication 0 of each scenario, in full (for the map, timeline and bottleneck charts)."""

    @property
    def base(self) -> str:
        """Name of the base scenario."""
        return self.scenarios[0].name


def _one(scenario: Scenario, rep: int, seed: int) -> dict[str, Any]:
    """What a comparison keeps of one replication (small, so it crosses processes cheaply);
    replication 0 also keeps its full run, saved as the scenario's representative run."""
    full: RunResult | None = None
    if rep == 0:
        full = run(scenario, seed=seed)
        d = full.deliveries
    else:
        trace, net, cal = simulate(scenario, seed=seed)
        d = deliveries_table(trace, net, cal)
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
        frame.insert(0, "scenario", scenario.name)
    return {
        "yearly": yearly,
        "by_market": by_market,
        "month_rev": month_rev,
        "month_route": month_route,
        "run": full,
    }


def _task(args: tuple[Scenario, int, int]) -> dict[str, Any]:
    return _one(*args)


def compare(
    scenarios: Sequence[Scenario],
    *,
    replications: int,
    seed: int,
    workers: int = 1,
    scheduler: str | None = None,
    progress: Callable[[int, int], None] | None = None,
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
    """
    t0 = time.perf_counter()
    seeds = replication_seeds(seed, replications)
    tasks = [(s, i, seeds[i]) for i in range(replications) for s in scenarios]
    results = run_tasks(_task, tasks, workers=workers, scheduler=scheduler, progress=progress)
    yearly = pd.concat([r["yearly"] for r in results], ignore_index=True)
    month_rev = pd.concat([r["month_rev"] for r in results], ignore_index=True)
    month_route = pd.concat([r["month_route"] for r in results], ignore_index=True)
    names = [s.name for s in scenarios]
    totals = (
        yearly.groupby(["scenario", "replication"])[list(METRICS)]
        .sum()
        .reindex(pd.MultiIndex.from_product([names, range(replications)]), fill_value=0.0)
    )
    stats = {name: _stats(totals, names[0], name) for name in names}
    by_market = pd.concat([r["by_market"] for r in results], ignore_index=True)
    by_year = _decompose(by_market, names, replications)
    decomposition = {
        name: {
            e: float(by_year.loc[by_year["scenario"] == name, e].sum())
            for e in (*EFFECTS, "total_usd")
        }
        for name in names[1:]
    }
    routes = month_route.groupby(["scenario", "month", "route"], as_index=False)["exported_t"].sum()
    routes["exported_t"] /= replications
    representative = {r["run"].scenario.name: r["run"] for r in results if r["run"] is not None}
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
