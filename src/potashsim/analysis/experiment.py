"""Run a scenario once, or compare scenarios over paired replications (common random numbers).

Replication *i* of every scenario runs with the same seed, so each difference is taken within a
pair and the interval is on the difference itself. Replications may run in worker processes; the
results do not depend on how many (each depends only on its scenario and seed).

Replications are summed as they finish (:mod:`potashsim.analysis.aggregate`): the parent keeps
running sums, replication 0 of each scenario in full, and hands the per-replication rows to a
sink (kept in memory by default; the results writer streams them to ``replications.csv``), so
its memory does not grow with the number of replications.

Scenarios may run over different horizons; a comparison then counts only what every scenario
simulated: the deliveries exported inside one window (by default the days all horizons share).
Each run still simulates its own horizon; only the accounts are cut.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pandas as pd

from potashsim.analysis.aggregate import (
    TABLES,
    Aggregator,
    KeptTables,
    ReplicationSink,
    Rows,
    empty_rows,
    make_part,
)
from potashsim.analysis.bottlenecks import utilisation_table
from potashsim.analysis.decomposition import EFFECTS, FLOWS
from potashsim.analysis.economics import (
    deliveries_table,
    delivery_columns,
    monthly_table,
    summarize,
)
from potashsim.analysis.executors import iter_tasks
from potashsim.analysis.group_sums import group_sums
from potashsim.analysis.run_cache import PartKey, RunCache
from potashsim.analysis.shadow_prices import shadow_prices as shadow_price_table
from potashsim.analysis.tables import (
    decomposition_table,
    revenue_by_month,
    routes_by_month,
    stats_table,
    timeline_table,
)
from potashsim.contract import CHANGED_MARK, METRICS
from potashsim.scenario.digest import scenario_hash
from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.schema import Horizon, NetworkSpec, Scenario
from potashsim.sim.engine import simulate
from potashsim.sim.policy import Calendar
from potashsim.sim.records import RunTrace
from potashsim.sim.reference import is_reference
from potashsim.sim.streams import replication_seeds

__all__ = [
    "Comparison",
    "RunResult",
    "Window",
    "compare",
    "compile_kernels",
    "resolve",
    "run",
    "shared_window",
    "window_tables",
    "workers_ready",
]

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
    summary: dict[str, Any]
    wall_s: float
    shadow_prices: pd.DataFrame | None = None
    """The contract's ``shadow_prices.csv`` when asked for (:func:`run`), else None."""

    @functools.cached_property
    def utilisation(self) -> pd.DataFrame:
        """The contract's ``utilisation.csv`` (:func:`~potashsim.analysis.bottlenecks.
        utilisation_table`), made when first read: a comparison's numbers need none of it, so
        the web app answers before it draws the charts that do."""
        return utilisation_table(self.trace, self.network, self.calendar)

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
    replication_tables: ReplicationSink
    """The per-replication rows (:attr:`yearly`, :attr:`monthly_revenue`), in memory or in files
    written as the runs finished."""
    monthly_routes: pd.DataFrame
    """scenario, month, route, exported_t: mean over replications (t)."""
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
    def yearly(self) -> pd.DataFrame:
        """The contract's ``replications.csv``: scenario, replication, year, METRICS,
        discount_usd; one row per scenario x replication x year, in replication order. Read
        from the file when the rows were streamed to one (the parent never holds them all)."""
        return self.replication_tables.yearly

    @property
    def monthly_revenue(self) -> pd.DataFrame:
        """The contract's ``monthly_revenue.csv``: scenario, replication, month (datetime),
        revenue_usd, exported_t; read from the file when streamed, as :attr:`yearly`."""
        return self.replication_tables.monthly_revenue

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


def _one(
    scenario: Scenario, label: str, rep: int, seed: int, window: Window, duals: bool = False
) -> dict[str, Any]:
    """What a comparison keeps of one replication (small, so it crosses processes cheaply):
    the exports inside ``window``, under ``label``; replication 0 also keeps its full run, saved
    as the scenario's representative run, with its shadow prices if ``duals``."""
    full: RunResult | None = None
    if rep == 0:  # the run the report shows
        full = run(scenario, seed=seed, shadow_prices=duals)
        d = full.deliveries
        cols = {c: d[c].to_numpy() for c in ("load_day", "route", "market", *FLOWS, *METRICS)}
    else:
        trace, net, cal = simulate(scenario, seed=seed)
        cols = delivery_columns(trace, net, cal)
    return make_part(label, rep, **window_tables(cols, scenario.horizon.start, window), run=full)


def window_tables(
    cols: Mapping[str, np.ndarray], start: dt.date, window: Window
) -> dict[str, Rows]:
    """The exports of the deliveries ``cols`` (:func:`~potashsim.analysis.economics.
    delivery_columns`, day 0 = ``start``) inside ``window``, summed: the tables of a part
    (:data:`~potashsim.analysis.aggregate.TABLES`: by year, by year and market, by month, by
    month and route), each sorted by its keys, the sums those of pandas's group-bys
    (:mod:`~potashsim.analysis.group_sums`)."""
    load = np.asarray(cols["load_day"], dtype=np.int64)
    rows = np.flatnonzero((load >= (window[0] - start).days) & (load <= (window[1] - start).days))
    if not len(rows):
        return {name: empty_rows(name) for name in TABLES}
    date = np.datetime64(start, "D") + load[rows]
    # a year as pandas gives a date's: int32
    year = (date.astype("datetime64[Y]").astype(np.int64) + 1970).astype(np.int32)
    month = date.astype("datetime64[M]").astype("datetime64[us]")
    keys = {
        "year": year,
        "month": month,
        "market": cols["market"][rows],
        "route": cols["route"][rows],
    }

    def table(name: str) -> Rows:
        columns, k = TABLES[name]
        uniques, sums = group_sums(
            [keys[c] for c in columns[:k]], np.column_stack([cols[c][rows] for c in columns[k:]])
        )
        return Rows(tuple(uniques), sums)

    return {name: table(name) for name in TABLES}


Task = tuple[Scenario, str, int, int, Window, bool]


class _Tasks(Sequence[Task]):
    """The tasks of a comparison, replication-major, made when asked for: a list of them would
    grow with the replications (the pool takes them one chunk at a time).

    Within a replication the scenario that is the others' price reference runs first: its run
    leaves the reference exports its worker's other runs of that seed read (otherwise the first
    of them simulates the reference once more). :meth:`task_index` gives the index a run has in
    the comparison's own order (replication-major, base first), which the results are summed in.
    With ``duals``, replication 0's runs solve their shadow prices.
    """

    def __init__(
        self,
        scenarios: list[Scenario],
        labels: list[str],
        seeds: list[int],
        window: Window,
        duals: bool,
    ) -> None:
        self.scenarios, self.labels, self.seeds, self.window = scenarios, labels, seeds, window
        self.duals = duals
        refs = [j for j, s in enumerate(scenarios) if is_reference(s)]
        self.order = refs + [j for j in range(len(scenarios)) if j not in refs]

    def task_index(self, index: int) -> int:
        """The comparison's own index of run ``index`` (replication-major, base first)."""
        rep, pos = divmod(index, len(self.scenarios))
        return rep * len(self.scenarios) + self.order[pos]

    def __len__(self) -> int:
        return len(self.seeds) * len(self.scenarios)

    @overload
    def __getitem__(self, index: int) -> Task: ...

    @overload
    def __getitem__(self, index: slice) -> list[Task]: ...

    def __getitem__(self, index: int | slice) -> Task | list[Task]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        rep, pos = divmod(index, len(self.scenarios))
        j = self.order[pos]
        seed = self.seeds[rep]
        return (self.scenarios[j], self.labels[j], rep, seed, self.window, self.duals and rep == 0)

    def groups(self) -> list[int]:
        """The pool's groups (:func:`~potashsim.analysis.executors.iter_tasks`): replication 0's
        runs one by one when they solve their shadow prices, then a group per replication (its
        runs share their reference run). Solving them takes as long again as a run, ten times
        as long at the fast granularity: in a comparison small enough that a chunk is one group
        (some 30 replications of 4 scenarios on 2 workers), they go to the workers one at a
        time, at the cost of the reference run once more on each worker that did not run it; in
        a larger one they share a chunk, and the other replications' runs even out the load."""
        count, n = len(self.scenarios), len(self.seeds)
        if self.duals:
            return [1] * count + [count] * (n - 1)
        return [count] * n


def _task(args: Task) -> dict[str, Any]:
    """One task of :func:`compare`, picklable for worker processes."""
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
    sink: ReplicationSink | None = None,
    shadow_prices: bool = True,
    cache: RunCache | None = None,
) -> Comparison:
    """Run every scenario ``replications`` times with paired seeds; the first is the base.

    Args:
        scenarios: base first, then the others.
        replications: pairs per scenario (≥ 1; ≥ 2 for intervals).
        seed: root seed; replication i uses ``replication_seeds(seed, n)[i]`` in every scenario.
        workers: processes (1 runs in this process).
        scheduler: None (local processes), ``"local"`` (a Dask LocalCluster) or the address
            of a Dask scheduler; see ``potashsim.analysis.executors.run_tasks``.
        progress: called with (done, total) after each run finishes (in any order).
        window: the days whose exports are counted (both included); default
            :func:`shared_window`. Each run still simulates its own horizon.
        overrides: ``{scenario name: ["KEY=VALUE", ...]}``, the overrides each scenario was
            loaded with; recorded, and a scenario with any is labelled ``name*``.
        sink: where the per-replication rows go, in replication order (default: kept in
            memory, :class:`~potashsim.analysis.aggregate.KeptTables`); the rest is kept as
            running sums, so with a sink that writes them out the memory used does not grow
            with ``replications``. A sink's ``add`` takes a scenario label, a replication
            number and two :class:`~potashsim.analysis.aggregate.Rows`
            (:class:`~potashsim.analysis.aggregate.ReplicationSink`; earlier versions passed two
            DataFrames, which :func:`~potashsim.analysis.aggregate.rows_frame` makes of them).
        shadow_prices: give each representative run (replication 0) its shadow prices, as
            ``potashsim compare`` saves them; False skips them (about as long again as a run,
            ten times as long at the fast granularity). Solved where the run ran, the run's
            ``wall_s`` includes them, as a single ``run`` with them does.
        cache: replications already run (:class:`~potashsim.analysis.run_cache.RunCache`),
            taken from it by what they depend on, and where the ones run now are kept; only
            the missing ones are simulated, and the results are those of a comparison without
            it.

    Raises:
        ValueError: the horizons share no day, ``window`` is not inside every horizon, or
            ``overrides`` names a scenario that is not compared.
    """
    t0 = time.perf_counter()
    window, applied, labels = resolve(scenarios, window, overrides)
    seeds = replication_seeds(seed, replications)
    tasks = _Tasks(list(scenarios), labels, seeds, window, shadow_prices)
    tables: ReplicationSink = KeptTables() if sink is None else sink
    sums = Aggregator(labels, replications, tables)
    todo: Sequence[Task] = tasks
    missing: Sequence[int] = range(len(tasks))  # the run index of each task in ``todo``
    group: int | list[int] = tasks.groups()
    keys: list[PartKey] = []
    if cache is not None:
        keys = _part_keys(tasks, shadow_prices)
        missing = []
        for i, key in enumerate(keys):
            kept = cache.get(key)
            if kept is None:
                missing.append(i)
            else:
                sums.add(tasks.task_index(i), kept)
        todo, group = [tasks[i] for i in missing], 1
    with workers_ready(scenarios[0], len(todo), workers, scheduler):
        runs = iter_tasks(
            _task, todo, workers=workers, scheduler=scheduler, progress=progress, group=group
        )
        with closing(runs):  # an error or Ctrl-C while summing stops the workers at once
            for index, part in runs:
                i = missing[index]
                if cache is not None:
                    cache.put(keys[i], part)
                sums.add(tasks.task_index(i), part)
    by_year = sums.decomposition_by_year()
    decomposition = {
        name: {
            e: float(by_year.loc[by_year["scenario"] == name, e].sum())
            for e in (*EFFECTS, "total_usd")
        }
        for name in labels[1:]
    }
    return Comparison(
        list(scenarios),
        replications,
        seed,
        seeds,
        tables,
        sums.monthly_routes(),
        sums.stats(),
        decomposition,
        by_year,
        time.perf_counter() - t0,
        sums.representative,
        window,
        applied,
    )


def compile_kernels(scenario: Scenario) -> None:
    """Compile the kernels that runs and their accounts call, or load them from numba's disk
    cache, in this process, once: by simulating (up to) ``scenario``'s first fortnight at the
    fast granularity (the kernels both granularities share, and the fast layer's) and summing a
    table out of order.

    Called before worker processes start. Workers forked from this process inherit the machine
    code; spawned ones (macOS, a Dask LocalCluster) find it in the disk cache. Either way they do
    not each compile it at once (some ten seconds of CPU the first time on a new installation)
    and write the same cache files together.
    """
    global _KERNELS_READY
    if _KERNELS_READY:
        return
    start, end = scenario.horizon.start, scenario.horizon.end
    first = scenario.model_copy(
        update={"horizon": Horizon(start=start, end=min(end, start + dt.timedelta(days=13)))}
    )
    simulate(with_granularity(first, "fast"))
    group_sums([np.array([1, 0])], np.zeros((2, 1)))
    _KERNELS_READY = True


_KERNELS_READY = False


@contextlib.contextmanager
def workers_ready(
    scenario: Scenario, runs: int, workers: int, scheduler: str | None
) -> Iterator[None]:
    """Around the ``runs`` runs of a comparison or a sweep, as :func:`~potashsim.analysis.
    executors.iter_tasks` takes ``workers`` and ``scheduler``: when they go to worker
    processes, the kernels compiled here first where those workers are this machine's
    (:func:`compile_kernels`; a remote Dask cluster compiles its own), and the collector
    leaving alone what exists now (``gc.freeze``) until the runs are done; otherwise nothing.

    numba's hundred thousand objects, and the caller's, live on through the runs; without the
    freeze every full collection that the runs' new objects set off walks them all again (the
    shadow prices took 2.9 ms a period instead of 2.2). Workers forked inside inherit the frozen
    heap. Afterwards everything is the collector's again.
    """
    if not runs or (workers <= 1 and scheduler is None):
        yield
        return
    if scheduler in (None, "local"):
        compile_kernels(scenario)
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _part_keys(tasks: _Tasks, duals: bool) -> list[PartKey]:
    """What each task's part depends on, in run order (for a :class:`RunCache`): with
    ``duals``, replication 0's part holds its shadow prices."""
    hashes = [scenario_hash(s) for s in tasks.scenarios]
    count = len(tasks.scenarios)
    return [
        PartKey(hashes[tasks.order[i % count]], label, rep, seed, window, duals)
        for i, (_, label, rep, seed, window, _duals) in enumerate(tasks)
    ]


def resolve(
    scenarios: Sequence[Scenario],
    window: Window | None,
    overrides: Mapping[str, Sequence[str]] | None,
) -> tuple[Window, dict[str, list[str]], list[str]]:
    """What :func:`compare` counts and names: the window (default :func:`shared_window`), the
    overrides of every scenario by name (empty lists for none) and the labels, base first.

    Raises:
        ValueError: as :func:`compare`.
    """
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
    return window, applied, [label_of(s.name, applied[s.name]) for s in scenarios]


def default_workers() -> int:
    """Worker processes to use by default: the machine's cores."""
    return max(1, os.cpu_count() or 1)
