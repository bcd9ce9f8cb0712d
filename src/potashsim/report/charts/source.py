"""What a chart accepts: a tidy table, or any potashsim result object, turned into that table.

Every chart function takes, as its data, either the tidy DataFrame its docstring describes or
one of the Python API's objects: a ``RunResult`` (:func:`potashsim.run`), a ``Comparison``
(:func:`potashsim.compare`), a loaded run or comparison folder (:func:`potashsim.load`), or the
path of such a folder. :func:`tidy` is the one place that turns any of them into the table a
chart needs, so that ``revenue_netback_chart(cmp)`` and ``revenue_netback_chart(cmp.stats)``
draw the same bars.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from potashsim import contract as c
from potashsim.analysis.tables import (
    decomposition_table,
    revenue_by_month,
    routes_by_month,
    stats_table,
)
from potashsim.errors import ReportError

#: The tables a chart may ask for. The last five belong to one run: from a comparison they are
#: those of one scenario's representative run (the base unless ``scenario`` is given).
Table = Literal[
    "stats", "decomposition", "monthly_revenue", "monthly_routes", "monthly", "timeline",
    "utilisation", "network", "shadow_prices",
]  # fmt: skip
_RUN_TABLES = ("monthly", "timeline", "utilisation", "network", "shadow_prices")
#: The attribute that holds a table where its name differs (``Comparison.stats`` is a dict).
_ATTRIBUTE = {"stats": "stats_table", "decomposition": "decomposition_table"}
#: The contract's file of each table, whose date columns the charts need as datetime64.
_FILES = {
    "monthly": c.MONTHLY,
    "timeline": c.TIMELINE,
    "utilisation": c.UTILISATION,
    "monthly_routes": c.MONTHLY_ROUTES,
    "monthly_revenue": c.MONTHLY_REVENUE,
}
#: A result object, a results folder's path, or a tidy table.
Source = Any


def loaded(source: Source) -> Source:
    """``source``, or the results folder it is the path of, read."""
    if isinstance(source, str | Path):
        from potashsim.results.read import load_results

        return load_results(source)
    return source


def run_of(source: Source, scenario: str | None = None) -> Source:
    """The run a run-level chart draws: the source itself, or a comparison's representative run
    of ``scenario`` (by label; default the base).

    Raises:
        ReportError: the comparison has no such scenario (the message lists those it has).
    """
    source = loaded(source)
    runs = getattr(source, "runs", None)
    if not isinstance(runs, Mapping) or isinstance(source, pd.DataFrame):
        return source
    key = scenario if scenario is not None else str(source.base)
    if key not in runs:
        raise ReportError(
            f"the comparison has no scenario {key!r}; choose one of {', '.join(map(str, runs))}"
        )
    return runs[key]


def label_of(source: Source, scenario: str | None = None) -> str | None:
    """The scenario name a run-level chart is titled with: ``scenario``, else the run's own."""
    if scenario is not None:
        return scenario
    run = run_of(source)
    label = getattr(run, "label", None)
    return None if label is None else str(label)


def tidy(source: Source, table: Table, *, scenario: str | None = None) -> Any:
    """The tidy ``table`` of ``source``, as the chart functions take it.

    Args:
        source: a DataFrame (returned as it is, except that a run's ``monthly.csv`` becomes
            ``monthly_routes`` or ``monthly_revenue`` rows), the ``stats`` or ``decomposition``
            dict of a ``Comparison``, a ``RunResult``, a ``Comparison``, a loaded run or
            comparison folder, or the path of a results folder.
        table: which table (columns as in docs/results-contract.md); ``"network"`` is the
            parsed ``network.json`` (a dict).
        scenario: for a run's tables from a comparison: which scenario (label); default the
            base. Also labels a bare ``monthly.csv`` (default ``"run"``).

    Raises:
        ReportError: ``source`` has no such table, or names no such scenario.
    """
    source = loaded(source)
    if isinstance(source, pd.DataFrame):
        if table in ("monthly_routes", "monthly_revenue") and "scenario" not in source.columns:
            convert = routes_by_month if table == "monthly_routes" else revenue_by_month
            return convert(_with_dates(source, "monthly"), scenario or "run")
        return _with_dates(source, table)
    if isinstance(source, Mapping):
        if table == "stats":
            return stats_table(source)
        if table == "decomposition":
            return decomposition_table(source)
        return source
    if table in _RUN_TABLES:
        source = run_of(source, scenario)
    value = getattr(source, _ATTRIBUTE.get(table, table), None)
    if value is None:
        hint = (
            "run it with shadow_prices=True (potashsim run/compare --shadow-prices)"
            if table == "shadow_prices"
            else "pass a comparison for stats and decomposition, or the table itself"
        )
        raise ReportError(f"a {type(source).__name__} has no {table} table; {hint}")
    if table == "network" and not isinstance(value, Mapping):
        from potashsim.results.write import network_json  # a RunResult holds the NetworkSpec

        return network_json(value)
    return _with_dates(value, table)


def _with_dates(frame: Any, table: Table) -> Any:
    # A RunResult's tables hold dates as dates; the charts compute on datetime64, as read back.
    if not isinstance(frame, pd.DataFrame):
        return frame
    columns = [col for col in c.DATE_COLUMNS.get(_FILES.get(table, ""), ()) if col in frame]
    if all(pd.api.types.is_datetime64_any_dtype(frame[col]) for col in columns):
        return frame
    return frame.assign(**{col: pd.to_datetime(frame[col]) for col in columns})


def run_inputs(
    network: Source,
    monthly: pd.DataFrame | None,
    timeline: pd.DataFrame | None,
    scenario: str | None,
) -> tuple[Mapping[str, Any], pd.DataFrame, pd.DataFrame, str]:
    """A map's ``(network, monthly, timeline, title label)``: the three tables as given, or, when
    ``monthly`` and ``timeline`` are left out, those of the run (or a comparison's scenario)
    passed as ``network``."""
    if monthly is not None and timeline is not None:
        return network, monthly, timeline, scenario or ""
    source = loaded(network)
    return (
        tidy(source, "network", scenario=scenario),
        tidy(source, "monthly", scenario=scenario),
        tidy(source, "timeline", scenario=scenario),
        label_of(source, scenario) or "",
    )


def base_of(source: Source, base: str | None) -> str:
    """``base``, or the base scenario of a comparison.

    Raises:
        ReportError: neither is given (a bare table does not say which scenario is the base).
    """
    if base is not None:
        return base
    found = getattr(loaded(source), "base", None)
    if found is None:
        raise ReportError("name the base scenario: base='baseline' (a table does not say it)")
    return str(found)
