"""The report of a sweep folder: the outputs' spread, the tornado and SALib's indices.

The output ranked is netback: its difference against the base when the sweep has one (what the
scenario costs or earns against it), else the scenario's own. Nothing is re-run; the design is
rebuilt from ``sweep.json`` (it is a seeded function of the spec) to pair each row with its run.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from potashsim.errors import ReportError
from potashsim.report.charts.sensitivity import index_chart, swing_table, tornado_chart
from potashsim.report.sections import Chart, Section
from potashsim.report.table import provenance_table
from potashsim.results.sweep_store import SPEC_FILE, read_sweep

# The sweep's analysis (SALib, the design, the scenario schema, the compiled kernels) is imported
# by the functions that need it: a report of comparisons and runs, the usual one, uses none of it,
# and importing it took about a second.

__all__ = ["is_sweep_folder", "sweep_sections", "sweep_title"]

_METHOD_TEXT = {
    "sobol": "Sobol indices (SALib): S1 is the share of the output's variance a parameter explains "
    "alone, ST with all its interactions; the bars show 95% bootstrap confidence.",
    "morris": "Morris screening (SALib): μ* is the mean absolute elementary effect, scaled to "
    "moving the parameter across its whole range (in the output's unit); σ is the spread of "
    "those effects: interactions, non-linearity and, as each run has its own seed, noise.",
    "rank": "Spearman rank correlations: a screening measure; use --design sobol or morris for "
    "indices with a variance meaning.",
}


def is_sweep_folder(path: Path | str) -> bool:
    """Whether ``path`` is a sweep folder (it holds ``sweep.json``)."""
    return (Path(path) / SPEC_FILE).is_file()


def sweep_title(path: Path | str) -> str:
    """The heading of a sweep's part of the report."""
    spec, _, _ = read_sweep(path)
    vs = f" against {spec.get('vs')}" if spec.get("vs") else ""
    return f"Sweep: {spec.get('scenario')}{vs} ({spec.get('design')}, N = {spec.get('n')})"


def _metric(spec: dict[str, Any]) -> str:
    from potashsim.analysis.sweep.runner import DIFF

    return f"{DIFF}netback_usd" if spec.get("vs") else "netback_usd"


def _unit(column: str) -> tuple[float, str]:
    """How a sweep output is shown: tonnes in Mt, dollars in USD m (the divisor, the unit)."""
    return (1e6, "Mt") if column.endswith("_t") else (1e6, "USD m")


def _summary(runs: pd.DataFrame, spec: dict[str, Any]) -> str:
    from potashsim.analysis.sweep.runner import DIFF, OUTPUTS

    cols = [*OUTPUTS, *([f"{DIFF}{m}" for m in OUTPUTS] if spec.get("vs") else [])]
    ok = runs[runs["status"] == "ok"] if "status" in runs else runs
    rows = []
    for c in cols:
        if c not in ok:
            continue
        v = ok[c].to_numpy(dtype=float)
        scale, unit = _unit(c)
        q = np.percentile(v, [5, 50, 95]) / scale if len(v) else [np.nan] * 3
        rows.append(
            {
                "output": c,
                "unit": unit,
                "mean": f"{v.mean() / scale:,.1f}" if len(v) else "",
                "5%": f"{q[0]:,.1f}",
                "median": f"{q[1]:,.1f}",
                "95%": f"{q[2]:,.1f}",
            }
        )
    return provenance_table(rows)


#: Below this Sobol N the report says the indices are rough (SALib's own examples use 1,024).
_ROUGH_SOBOL_N = 256


def _index_rows(table: pd.DataFrame, method: str, metric: str) -> list[dict[str, Any]]:
    """The index table's rows as shown: Morris effects in the summary's unit (Mt or USD m)."""
    from potashsim.analysis.sweep.sensitivity import INDEX_COLUMNS

    scale, unit = _unit(metric)
    scaled = set(INDEX_COLUMNS["morris"]) if method == "morris" else set()
    rows = []
    for r in table.to_dict("records"):
        row: dict[str, Any] = {}
        for k, v in r.items():
            if k in scaled:
                row[f"{k} ({unit})"] = f"{v / scale:,.1f}"
            else:
                row[str(k)] = f"{v:.3g}" if isinstance(v, float) else v
        rows.append(row)
    return rows


def sweep_sections(path: Path | str, prefix: str = "", command: str | None = None) -> list[Section]:
    """The sections of one sweep folder's report.

    Raises:
        ResultsError: not a sweep folder.
        ReportError: its ``sweep.json`` is not a sweep spec.
    """
    from potashsim.analysis.sweep.design import make_design
    from potashsim.analysis.sweep.sensitivity import sensitivity
    from potashsim.analysis.sweep.spec import SweepSpec

    raw, runs, _years = read_sweep(path)
    try:
        spec = SweepSpec.from_json(raw)
    except ValueError as err:
        raise ReportError(f"{path}/{SPEC_FILE}: {err}") from err
    metric = _metric(raw)
    total = int(raw.get("runs_total", 0))
    failed = runs[runs["status"] != "ok"] if "status" in runs else runs.iloc[:0]
    done = f"{len(runs):,} of {total:,} runs on disk, {len(failed):,} failed."
    built = f" Built by: {html.escape(command)}" if command else ""
    spread = Section(
        "Outputs over the sweep",
        f"Totals over the horizon of every finished run (differences: the scenario minus "
        f"{raw.get('vs')} with the same seed). {done}{built}",
        html=_summary(runs, raw),
    )
    if runs.empty:
        return [spread]
    design = make_design(spec)
    y = np.full(len(design), np.nan)
    ok = runs["status"] == "ok"
    y[runs.loc[ok, "sample"].to_numpy(dtype=int)] = runs.loc[ok, metric].to_numpy(dtype=float)
    names = [p.path for p in spec.params]
    swings = swing_table(design, y, names, [(p.low, p.high) for p in spec.params])
    charts = [
        Chart(f"{prefix}tornado", tornado_chart(swings, float(np.nanmean(y)), metric)),
    ]
    caption = _METHOD_TEXT["rank"]
    indices = ""
    finite = y[np.isfinite(y)]
    if finite.size and np.ptp(finite) == 0.0:
        caption = (
            f"No indices: {metric} is {finite[0]:,.0f} in every run, so no parameter moves it "
            "(with a base: are the scenario and the base the same run for these parameters?)."
        )
        return [spread, Section(f"Which assumption decides {metric}", caption, charts, "")]
    try:
        method, table = sensitivity(spec.design, spec.params, design, y, seed=spec.seed)
    except ValueError as err:
        caption = f"No indices: {err}."
    else:
        caption = _METHOD_TEXT[method]
        if method == "sobol" and spec.n < _ROUGH_SOBOL_N:
            caption += (
                f" With N = {spec.n} the indices are rough: values outside 0..1 and wide "
                f"intervals are sampling noise (N = {_ROUGH_SOBOL_N} or more ranks reliably)."
            )
        charts.append(Chart(f"{prefix}{method}-indices", index_chart(table, method, metric)))
        indices = provenance_table(_index_rows(table, method, metric))
    ranked = Section(
        f"Which assumption decides {metric}",
        "The tornado compares the runs in the lowest and highest quarter of each range. " + caption,
        charts,
        indices,
    )
    return [spread, ranked]
