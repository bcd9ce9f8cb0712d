"""Paired replications summed as they arrive, so a comparison's memory does not grow with them.

A comparison of k scenarios over n replications runs k·n tasks, task ``i·k + j`` being
replication i of scenario j (the base is j = 0). :class:`Aggregator` takes each task's small
tables in any order, puts them back in task order (holding the early ones until their turn, at
most about as many as there are workers), and keeps only running sums:

* per scenario and metric, the running mean and the sum of squared deviations (Welford) of the
  replication totals and of their paired differences against the base: the statistics and the
  paired t interval;
* per scenario, year and market, the sums of the decomposition of each pair; per scenario,
  month and route, the sums of exported tonnes;
* the replication rows themselves (yearly totals and monthly revenue) are handed on, in task
  order, to a :class:`ReplicationSink`: kept in memory (:class:`KeptTables`, the default) or
  written to files as they come (``potashsim.results.stream``).

Sums are taken in task order whatever the order the runs finish, so the numbers do not depend
on the number of workers. The sums of the tables are compensated (Kahan), step for step as
pandas' ``groupby().sum()`` takes them, so they equal the batch sums of all the replications.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from potashsim.analysis.decomposition import EFFECTS, FLOWS, Flows, decompose_arrays
from potashsim.analysis.group_sums import group_sums, kahan_add
from potashsim.contract import METRICS

__all__ = [
    "Aggregator",
    "KahanSums",
    "KeptTables",
    "ReplicationSink",
    "Rows",
    "Welford",
    "empty_rows",
    "make_part",
    "paired_stats",
    "rows_frame",
]

#: The decomposition's columns, summed pair by pair.
PARTS = (*EFFECTS, "total_usd")


@dataclass(frozen=True, slots=True)
class Rows:
    """One table of a part: rows summed by key, sorted by key, as plain arrays (a DataFrame
    costs its worker and the parent, which unpickles it, more than its few rows' sums do)."""

    keys: tuple[np.ndarray, ...]
    """The key columns, one array each: years int32, months datetime64[us], names object."""
    values: np.ndarray
    """The summed columns, rows × columns, float64."""

    def __len__(self) -> int:
        return len(self.values)


#: Each table of a part by name: its columns, keys first, and how many of them are keys.
TABLES: dict[str, tuple[tuple[str, ...], int]] = {
    "yearly": (("year", *METRICS, "discount_usd"), 1),
    "by_market": (("year", "market", *FLOWS), 2),
    "month_rev": (("month", "revenue_usd", "exported_t"), 1),
    "month_route": (("month", "route", "exported_t"), 2),
}


def empty_rows(name: str) -> Rows:
    """Table ``name`` of a part with no rows."""
    columns, keys = TABLES[name]
    return Rows(
        tuple(np.empty(0, dtype=object) for _ in range(keys)),
        np.empty((0, len(columns) - keys)),
    )


def rows_frame(
    name: str, rows: Rows, label: str | None = None, replication: int | None = None
) -> pd.DataFrame:
    """Table ``name`` of a part as the DataFrame a comparison's tables are made of: its
    columns (:data:`TABLES`), after ``scenario`` and ``replication`` when they are given; an
    empty table's columns are of object dtype."""
    columns, keys = TABLES[name]
    if not len(rows):
        frame = pd.DataFrame(columns=list(columns))
    else:
        data = dict(zip(columns[:keys], rows.keys, strict=True))
        frame = pd.DataFrame(data | {c: rows.values[:, k] for k, c in enumerate(columns[keys:])})
    if replication is not None:
        frame.insert(0, "replication", replication)
    if label is not None:
        frame.insert(0, "scenario", label)
    return frame


def make_part(
    label: str,
    rep: int,
    *,
    yearly: Rows,
    by_market: Rows,
    month_rev: Rows,
    month_route: Rows,
    run: Any = None,
) -> dict[str, Any]:
    """One task's part, as :meth:`Aggregator.add` takes it: its scenario's ``label``, the
    replication ``rep``, the tables (:data:`TABLES`) and replication 0's full ``run`` (else
    None)."""
    return {
        "label": label,
        "replication": rep,
        "yearly": yearly,
        "by_market": by_market,
        "month_rev": month_rev,
        "month_route": month_route,
        "run": run,
    }


class ReplicationSink(Protocol):
    """Where a comparison's per-replication rows go, one task at a time, in task order."""

    def add(self, label: str, replication: int, yearly: Rows, monthly_revenue: Rows) -> None:
        """Take one task's rows: the contract's ``replications.csv`` and ``monthly_revenue.csv``
        rows (tables ``yearly`` and ``month_rev`` of :data:`TABLES`) of scenario ``label`` in
        ``replication`` (either may be empty)."""

    @property
    def yearly(self) -> pd.DataFrame:
        """Every row taken for ``replications.csv``, in task order."""

    @property
    def monthly_revenue(self) -> pd.DataFrame:
        """Every row taken for ``monthly_revenue.csv``, in task order (``month`` datetime)."""


class KeptTables:
    """A :class:`ReplicationSink` that keeps the rows in memory (a few kB a replication)."""

    # rows are joined into one frame every so many tasks: their arrays cost some hundred bytes
    # each of their own, which for thousands of small tables would add up
    _JOIN_EVERY = 256

    def __init__(self) -> None:
        self._kept = {"yearly": _Kept("yearly"), "monthly_revenue": _Kept("month_rev")}

    def add(self, label: str, replication: int, yearly: Rows, monthly_revenue: Rows) -> None:
        self._kept["yearly"].add(label, replication, yearly)
        self._kept["monthly_revenue"].add(label, replication, monthly_revenue)

    @property
    def yearly(self) -> pd.DataFrame:
        return self._kept["yearly"].frame()

    @property
    def monthly_revenue(self) -> pd.DataFrame:
        return self._kept["monthly_revenue"].frame()


class _Kept:
    """The rows of one table (``name`` of :data:`TABLES`) from many tasks, in task order: the
    frame that concatenating each task's :func:`rows_frame` gives, made once for many tasks."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._tasks: list[tuple[str, int, Rows]] = []
        self._joined: list[pd.DataFrame] = []
        self._empty = False

    def add(self, label: str, replication: int, rows: Rows) -> None:
        if not len(rows):
            # it adds no row, but its columns, of object dtype, make the frame's so when read
            self._empty = True
            return
        self._tasks.append((label, replication, rows))
        if len(self._tasks) >= KeptTables._JOIN_EVERY:
            self._joined = [self.frame(typed=True)]
            self._tasks = []

    def frame(self, *, typed: bool = False) -> pd.DataFrame:
        """Every row so far; ``typed``: as if no task's table were empty."""
        pieces = [*self._joined]
        if self._tasks:
            pieces.append(self._stacked())
        if (self._empty and not typed) or not pieces:
            pieces.append(rows_frame(self.name, empty_rows(self.name), "", 0))
        return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)

    def _stacked(self) -> pd.DataFrame:
        columns, keys = TABLES[self.name]
        tasks = self._tasks
        counts = [len(rows) for _, _, rows in tasks]
        data: dict[str, np.ndarray] = {
            "scenario": np.repeat(np.array([t[0] for t in tasks], dtype=object), counts),
            "replication": np.repeat(np.array([t[1] for t in tasks], dtype=np.int64), counts),
        }
        for k, col in enumerate(columns[:keys]):
            data[col] = np.concatenate([rows.keys[k] for _, _, rows in tasks])
        values = np.concatenate([rows.values for _, _, rows in tasks])
        for k, col in enumerate(columns[keys:]):
            data[col] = values[:, k]
        return pd.DataFrame(data)


class Welford:
    """Running mean and sum of squared deviations of vectors, one value a column (Welford)."""

    def __init__(self, width: int) -> None:
        self.n = 0
        self.mean = np.zeros(width)
        self.m2 = np.zeros(width)

    def add(self, x: np.ndarray) -> None:
        self.n += 1
        delta = x - self.mean
        self.mean = self.mean + delta / self.n
        self.m2 = self.m2 + delta * (x - self.mean)

    def sd(self) -> np.ndarray:
        """Sample standard deviation (n − 1 in the denominator); needs n ≥ 2."""
        return np.sqrt(self.m2 / (self.n - 1))


class KahanSums:
    """Compensated running sums of vectors by key, in the order pandas' groupby sums them."""

    def __init__(self, width: int) -> None:
        self.width = width
        self._row: dict[Hashable, int] = {}
        self._sums = np.zeros((0, width))
        self._comp = np.zeros((0, width))

    @property
    def sums(self) -> dict[Hashable, np.ndarray]:
        """Each key's sums so far."""
        return {key: self._sums[i] for key, i in self._row.items()}

    def add(self, key: Hashable, values: np.ndarray) -> None:
        """Add ``values`` to ``key``'s sums."""
        self.add_rows([key], np.asarray(values, dtype=float).reshape(1, self.width))

    def add_rows(self, keys: Sequence[Hashable], values: np.ndarray) -> None:
        """Add row ``i`` of ``values`` to the sums of ``keys[i]``, one compensated step each, as
        many calls of :meth:`add` would; the keys must differ from one another."""
        row = self._row
        new = [k for k in keys if k not in row]
        if new:
            for k in new:
                row[k] = len(row)
            grow = np.zeros((len(new), self.width))
            self._sums = np.concatenate((self._sums, grow))
            self._comp = np.concatenate((self._comp, grow))
        rows = np.fromiter(map(row.__getitem__, keys), dtype=np.intp, count=len(keys))
        kahan_add(self._sums, self._comp, rows, values)


def paired_stats(
    values: Welford, diffs: Welford, t_975: float | None
) -> dict[str, dict[str, float | None]]:
    """Per metric: the mean over replications, the mean paired difference against the base and
    its 95% t interval (None for fewer than two pairs).

    Args:
        values, diffs: the replication totals and their differences, columns in METRICS order.
        t_975: the 97.5% quantile of Student's t with n − 1 degrees of freedom (None if n < 2).
    """
    out: dict[str, dict[str, float | None]] = {}
    sd = diffs.sd() if diffs.n >= 2 else None
    for k, m in enumerate(METRICS):
        diff_mean = float(diffs.mean[k])
        half = None if sd is None or t_975 is None else t_975 * float(sd[k]) / math.sqrt(diffs.n)
        out[m] = {
            "mean": float(values.mean[k]),
            "diff_mean": diff_mean,
            "diff_ci_low": None if half is None else diff_mean - half,
            "diff_ci_high": None if half is None else diff_mean + half,
        }
    return out


class Aggregator:
    """Takes the tasks of a comparison in any order and keeps running sums (module docstring).

    Each task's part is made by :func:`make_part`: the :class:`Rows` of :data:`TABLES`,
    ``yearly`` (year, METRICS and discount_usd), ``by_market`` (year, market and FLOWS),
    ``month_rev`` and ``month_route`` (the contract's monthly rows), and ``run`` (the full run
    of replication 0, else None).
    """

    def __init__(self, labels: Sequence[str], replications: int, sink: ReplicationSink) -> None:
        self.labels = list(labels)
        self.replications = replications
        self.sink = sink
        self.representative: dict[str, Any] = {}
        self._next = 0
        self._early: dict[int, dict[str, Any]] = {}
        self._values = {label: Welford(len(METRICS)) for label in self.labels}
        self._diffs = {label: Welford(len(METRICS)) for label in self.labels}
        self._decomposition = KahanSums(len(PARTS))
        self._routes = KahanSums(1)
        self._base_totals = np.zeros(len(METRICS))
        self._base_by_market: Flows | None = None

    @property
    def waiting(self) -> int:
        """Parts that arrived before their turn and are held."""
        return len(self._early)

    @property
    def done(self) -> bool:
        """Every task has been taken."""
        return self._next == len(self.labels) * self.replications

    def add(self, index: int, part: dict[str, Any]) -> None:
        """Take the part of task ``index``; it is summed once every earlier task has been."""
        if index < self._next or index in self._early:
            raise ValueError(f"task {index} was given twice")
        self._early[index] = part
        while self._next in self._early:
            self._take(self._next, self._early.pop(self._next))
            self._next += 1

    def _take(self, index: int, part: dict[str, Any]) -> None:
        j = index % len(self.labels)
        label = self.labels[j]
        if part["run"] is not None:
            self.representative[label] = part["run"]
        yearly: Rows = part["yearly"]
        self.sink.add(part["label"], part["replication"], yearly, part["month_rev"])
        totals = (
            group_sums([np.zeros(len(yearly), dtype=np.intp)], yearly.values[:, : len(METRICS)])[1][
                0
            ]
            if len(yearly)
            else np.zeros(len(METRICS))
        )
        market: Rows = part["by_market"]
        by_market = (market.keys[0], market.keys[1], market.values)
        if j == 0:
            self._base_totals = totals
            self._base_by_market = by_market
        self._values[label].add(totals)
        self._diffs[label].add(totals - self._base_totals)
        if j > 0:
            assert self._base_by_market is not None  # the base's task comes first in each pair
            years, markets, values = decompose_arrays(self._base_by_market, by_market)
            self._decomposition.add_rows(
                [(label, y, m) for y, m in zip(years.tolist(), markets.tolist(), strict=True)],
                values,
            )
        route: Rows = part["month_route"]
        if len(route):
            # months keyed by their datetime64 value: a Timestamp each cost more than the sums
            months, names = route.keys
            self._routes.add_rows(
                [(label, m, r) for m, r in zip(months.tolist(), names.tolist(), strict=True)],
                route.values,
            )

    def stats(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """``stats[label][metric]``: mean, diff_mean, diff_ci_low, diff_ci_high."""
        n = self.replications
        t_975 = None
        if n >= 2:
            # scipy.stats.t.ppf is this function (times scale 1, plus loc 0): the same float,
            # without importing scipy.stats (about a second, after the last run)
            from scipy.special import stdtrit

            t_975 = float(stdtrit(n - 1, 0.975))
        return {
            label: paired_stats(self._values[label], self._diffs[label], t_975)
            for label in self.labels
        }

    def decomposition_by_year(self) -> pd.DataFrame:
        """scenario, year, market, EFFECTS, total_usd: the mean over the pairs (a (year, market)
        absent from a pair counts as zero), sorted by scenario, year and market."""
        cols = ["scenario", "year", "market", *PARTS]
        sums = self._decomposition.sums
        if not sums:
            return pd.DataFrame(columns=cols)
        keys = sorted(sums)  # type: ignore[type-var]
        out = pd.DataFrame(keys, columns=["scenario", "year", "market"])
        out[list(PARTS)] = np.array([sums[k] for k in keys]) / self.replications
        return out[cols]

    def monthly_routes(self) -> pd.DataFrame:
        """scenario, month, route, exported_t: the mean over replications (absent is zero)."""
        cols = ["scenario", "month", "route", "exported_t"]
        sums = self._routes.sums
        if not sums:
            return pd.DataFrame(columns=cols)
        keys = sorted(sums)  # type: ignore[type-var]
        out = pd.DataFrame(keys, columns=["scenario", "month", "route"])
        # the months were keyed by their datetime64 values (datetimes): a column of them again
        out["month"] = out["month"].to_numpy(dtype="datetime64[us]")
        out["exported_t"] = np.array([sums[k][0] for k in keys]) / self.replications
        return out[cols]
