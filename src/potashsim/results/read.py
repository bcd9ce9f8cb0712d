"""Reads saved results folders back (docs/results-contract.md): run folders and comparisons.

Only the contract's files are read, with the names and columns of :mod:`potashsim.contract`; the
engine is never imported or re-run. Every problem is a :class:`~potashsim.errors.ResultsError`
that names the folder and the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from potashsim import contract as c
from potashsim.analysis.tables import (
    decomposition_table,
    revenue_by_month,
    routes_by_month,
    stats_table,
)
from potashsim.errors import ResultsError

__all__ = [
    "ComparisonResults",
    "RunResults",
    "all_runs",
    "load_comparison",
    "load_results",
    "load_run",
    "read_table",
]

# Keys added to the contract after folders were first written: a folder without them is stale,
# not damaged, and the message says how to write it again.
_ADDED_LATER = {
    c.NETWORK: ("routes",),
    c.COMPARISON: ("window", "shared_window", "horizons", "overrides"),
    c.UTILISATION: ("available", "utilisation_available"),
}


def _stale_hint(folder: Path, name: str, missing: Sequence[str]) -> str:
    """Why ``missing`` keys or columns of file ``name`` may be absent: an older potashsim wrote
    the folder (when all of them were added later), with what to do; else ''."""
    if not set(missing) <= set(_ADDED_LATER.get(name, ())):
        return ""
    return (
        f"; {folder} was written by an older potashsim: move it away and run the scenario "
        "again (potashsim run or potashsim compare) to rewrite it"
    )


class _Bundle:
    """Lets a results bundle be read like a dict as well as by attribute."""

    def __getitem__(self, key: str) -> Any:
        if key.startswith("_") or not hasattr(self, key):
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.keys()

    def keys(self) -> list[str]:
        return [k for k in self.__dataclass_fields__ if not k.startswith("_")]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RunResults(_Bundle):
    """One run folder, read back. DataFrame date columns are ``datetime64``.

    Attributes:
        folder: the run folder.
        scenario: ``summary.json`` ``scenario``.
        horizon: first and last day of the simulated horizon.
        summary, network, manifest: the parsed JSON files.
        monthly, utilisation, timeline: the CSV files (columns as in the contract).
        resolved: ``scenario.resolved.yaml`` as parsed: the scenario exactly as it ran.
        shadow_prices: ``shadow_prices.csv``, or None when the run did not compute them
            (``potashsim run`` without ``--shadow-prices``).
    """

    folder: Path
    scenario: str
    horizon: tuple[pd.Timestamp, pd.Timestamp]
    summary: dict[str, Any]
    network: dict[str, Any]
    manifest: dict[str, Any]
    monthly: pd.DataFrame
    utilisation: pd.DataFrame
    timeline: pd.DataFrame
    resolved: dict[str, Any]
    shadow_prices: pd.DataFrame | None = None

    @property
    def label(self) -> str:
        """The scenario's name: a run's name in tables and charts."""
        return self.scenario

    @property
    def monthly_routes(self) -> pd.DataFrame:
        """Exports by month and route as a comparison's ``monthly_routes.csv`` rows."""
        return routes_by_month(self.monthly, self.scenario)

    @property
    def monthly_revenue(self) -> pd.DataFrame:
        """Revenue by month as a comparison's ``monthly_revenue.csv`` rows (replication 0)."""
        return revenue_by_month(self.monthly, self.scenario)


@dataclass(frozen=True)
class ComparisonResults(_Bundle):
    """One comparison folder, read back, with its per-scenario run folders.

    Attributes:
        folder: the comparison folder.
        base: the base scenario; ``scenarios`` lists all of them, base first, by label (the
            name, marked ``*`` where ``--set`` or ``--set-for`` changed the scenario).
        meta: ``comparison.json`` as parsed.
        window: first and last day of the window the statistics count (both included).
        shared_window: the days all the scenarios' horizons share.
        horizons: ``{label: (first day, last day)}``, each scenario's own horizon.
        overrides: ``{label: ["KEY=VALUE", ...]}``, the overrides each scenario was loaded with.
        stats: tidy ``stats``: ``scenario``, ``metric``, ``mean``, ``diff_mean``,
            ``diff_ci_low``, ``diff_ci_high`` (USD or t, totals over ``window``).
        decomposition: ``scenario``, ``volume_usd``, ``mix_usd``, ``price_usd``, ``discount_usd``,
            ``logistics_usd``,
            ``total_usd``.
        comparison, replications, decomposition_by_year, monthly_revenue, monthly_routes: the
            CSV files.
        runs: ``{label: RunResults}`` from ``runs/<name>/``.
    """

    folder: Path
    base: str
    scenarios: list[str]
    meta: dict[str, Any]
    window: tuple[pd.Timestamp, pd.Timestamp]
    shared_window: tuple[pd.Timestamp, pd.Timestamp]
    horizons: dict[str, tuple[pd.Timestamp, pd.Timestamp]]
    overrides: dict[str, list[str]]
    stats: pd.DataFrame
    decomposition: pd.DataFrame
    comparison: pd.DataFrame
    replications: pd.DataFrame
    decomposition_by_year: pd.DataFrame
    monthly_revenue: pd.DataFrame
    monthly_routes: pd.DataFrame
    runs: dict[str, RunResults] = field(default_factory=dict)

    @property
    def stats_table(self) -> pd.DataFrame:
        """``stats`` (already tidy), under the name a ``potashsim.Comparison`` gives it."""
        return self.stats

    @property
    def decomposition_table(self) -> pd.DataFrame:
        """``decomposition`` (already tidy), under the name a ``potashsim.Comparison`` gives it."""
        return self.decomposition

    @property
    def yearly(self) -> pd.DataFrame:
        """``replications.csv``: scenario, replication, year and the metrics (as ``Comparison``)."""
        return self.replications


def _check_files(folder: Path, names: Sequence[str], what: str) -> None:
    if not folder.is_dir():
        raise ResultsError(f"{what} {folder} does not exist or is not a folder")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise ResultsError(f"{what} {folder} is incomplete: missing {', '.join(missing)}")


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    missing = [k for k in c.JSON_KEYS[name] if k not in data]
    if missing:
        hint = _stale_hint(folder, name, missing)
        raise ResultsError(f"{path}: missing key(s) {', '.join(missing)}{hint}")
    return data


def _dict(meta: dict[str, Any], key: str) -> dict[str, Any]:
    """``meta[key]``, which the contract makes an object."""
    value = meta[key]
    return value if isinstance(value, dict) else {}


def _span(value: Any, path: Path, key: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A ``{"start", "end"}`` object of ISO dates as a pair of Timestamps.

    Raises:
        ResultsError: it is not one (the message names the file and the key).
    """
    try:
        return pd.Timestamp(value["start"]), pd.Timestamp(value["end"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ResultsError(f"{path}: {key} is not {{start, end}} in ISO dates") from exc


def read_table(folder: Path, name: str) -> pd.DataFrame:
    """The contract's CSV file ``name`` in ``folder``: text columns as text, dates as datetime.

    Raises:
        ResultsError: it cannot be read, lacks a column, or holds a date that is not ISO.
    """
    path = folder / name
    columns = c.COLUMNS[name]
    try:
        frame = pd.read_csv(path, dtype={col: str for col in c.TEXT_COLUMNS if col in columns})
    except (OSError, ValueError) as exc:  # EmptyDataError and ParserError are ValueErrors
        raise ResultsError(f"{path}: cannot be read as CSV ({exc})") from exc
    missing = [col for col in columns if col not in frame.columns]
    if missing:
        hint = _stale_hint(folder, name, missing)
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}{hint}")
    for col in c.DATE_COLUMNS.get(name, ()):
        try:
            frame[col] = pd.to_datetime(frame[col], format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise ResultsError(
                f"{path}: column {col} holds a value that is not an ISO date ({exc})"
            ) from exc
    return frame


def _read_csvs(folder: Path, names: Sequence[str]) -> dict[str, pd.DataFrame]:
    """``{"monthly": frame, ...}``: every CSV file among ``names``, keyed by its stem."""
    return {n.removesuffix(".csv"): read_table(folder, n) for n in names if n.endswith(".csv")}


# libyaml's safe loader where it is installed: the same data as yaml.safe_load, about ten times
# faster on a resolved scenario (the web app reads two for every answer)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _read_yaml(folder: Path, name: str) -> dict[str, Any]:
    try:
        data = yaml.load((folder / name).read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise ResultsError(f"{folder / name}: cannot be read ({exc})") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{folder / name}: not a resolved scenario")
    return data


def load_run(folder: Path | str) -> RunResults:
    """Read a run folder ``results/<scenario>/<run-id>/``.

    Raises:
        ResultsError: the folder or one of :data:`potashsim.contract.RUN_FILES` is missing, or a
            file lacks a column/key of the contract or a date cannot be parsed; the message names
            the file (and, for a folder written before a key was added, says to write it again).
    """
    folder = Path(folder)
    _check_files(folder, c.RUN_FILES, "run folder")
    summary = _read_json(folder, c.SUMMARY)
    try:
        horizon = (pd.Timestamp(summary["horizon_start"]), pd.Timestamp(summary["horizon_end"]))
    except ValueError as exc:
        raise ResultsError(f"{folder / c.SUMMARY}: horizon dates are not ISO dates") from exc
    return RunResults(
        folder=folder,
        scenario=str(summary["scenario"]),
        horizon=horizon,
        summary=summary,
        network=_read_json(folder, c.NETWORK),
        manifest=_read_json(folder, c.MANIFEST),
        resolved=_read_yaml(folder, c.SCENARIO),
        **_read_csvs(folder, c.RUN_FILES),
        **_read_csvs(folder, [n for n in c.OPTIONAL_RUN_FILES if (folder / n).is_file()]),
    )


def load_comparison(folder: Path | str) -> ComparisonResults:
    """Read a comparison folder ``results/compare/<id>/`` and its ``runs/<name>/`` folders.

    Raises:
        ResultsError: the folder, one of :data:`potashsim.contract.COMPARISON_FILES` or a
            scenario's run folder is missing or incomplete; the message names the folder and the
            file.
    """
    folder = Path(folder)
    _check_files(folder, c.COMPARISON_FILES, "comparison folder")
    meta = _read_json(folder, c.COMPARISON)
    scenarios = [str(s) for s in meta["scenarios"]]
    stats = stats_table(meta["stats"])
    decomposition = decomposition_table(meta["decomposition"])
    # the intervals alone may be missing: one replication gives none
    for name, frame in (
        ("stats", stats.drop(columns=["diff_ci_low", "diff_ci_high"])),
        ("decomposition", decomposition),
    ):
        if frame.drop(columns="scenario").isna().any().any():
            raise ResultsError(f"{folder / c.COMPARISON}: {name} has missing values")
    path = folder / c.COMPARISON
    horizons = _dict(meta, "horizons")
    return ComparisonResults(
        folder=folder,
        base=str(meta["base"]),
        scenarios=scenarios,
        meta=meta,
        window=_span(meta.get("window"), path, "window"),
        shared_window=_span(meta.get("shared_window"), path, "shared_window"),
        horizons={s: _span(horizons.get(s), path, f"horizons.{s}") for s in scenarios},
        overrides={s: [str(o) for o in _dict(meta, "overrides").get(s) or []] for s in scenarios},
        stats=stats,
        decomposition=decomposition,
        **_read_csvs(folder, c.COMPARISON_FILES),
        runs={s: load_run(folder / c.RUNS / c.scenario_of_label(s)) for s in scenarios},
    )


def load_results(path: Path | str) -> ComparisonResults | RunResults:
    """Read a comparison folder or a run folder, whichever ``path`` is.

    Raises:
        ResultsError: the folder is missing, is neither kind, or is incomplete.
    """
    path = Path(path)
    if (path / c.COMPARISON).is_file():
        return load_comparison(path)
    if (path / c.SUMMARY).is_file() or (path / c.MANIFEST).is_file():
        return load_run(path)
    if not path.is_dir():
        raise ResultsError(f"results folder {path} does not exist or is not a folder")
    inside = sorted(
        p for p in path.iterdir() if (p / c.SUMMARY).is_file() or (p / c.COMPARISON).is_file()
    )
    hint = ""
    if inside:
        shown = ", ".join(str(p) for p in inside[-3:])
        hint = f"; it holds {len(inside)} results folder(s), e.g. {shown}"
    raise ResultsError(
        f"{path} is neither a comparison folder (no comparison.json) nor a run "
        f"folder (no summary.json){hint}"
    )


def all_runs(bundles: Sequence[ComparisonResults | RunResults]) -> Iterator[RunResults]:
    """Every run of the bundles in order: a comparison's scenario runs, or the run itself."""
    for b in bundles:
        yield from (b.runs.values() if isinstance(b, ComparisonResults) else [b])
