"""Text tables of a comparison for the terminal (and the README)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from potashsim.analysis.decomposition import EFFECTS
from potashsim.analysis.experiment import Comparison
from potashsim.cli.explain import text_table

__all__ = ["comparison_table"]

_UNITS = {
    "exported_t": ("exports", 1e6, "Mt"),
    "revenue_usd": ("revenue", 1e9, "bn USD"),
    "netback_usd": ("netback", 1e9, "bn USD"),
}


def _given(v: dict[str, float | None], key: str) -> float:
    """A statistic that is always computed (``mean``, ``diff_mean``); only intervals may be None."""
    x = v[key]
    if x is None:
        raise ValueError(f"statistic {key} is missing")
    return x


def _ci(v: dict[str, float | None], scale: float) -> str:
    lo, hi = v["diff_ci_low"], v["diff_ci_high"]
    if lo is None or hi is None:
        return "n/a (1 replication)"
    return f"[{lo / scale:+.2f}, {hi / scale:+.2f}]"


def _span(start: dt.date, end: dt.date) -> str:
    """A horizon in years where it runs whole years (``2019..2030``), else in days."""
    whole = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    return f"{start.year}..{end.year}" if whole else f"{start}..{end}"


def window_header(cmp: Comparison) -> str:
    """The first line of the table: which days the totals count, and why those."""
    (first, last), shared = cmp.window, cmp.shared_window
    which = (
        "the window all scenarios share"
        if cmp.window == shared
        else f"chosen with --window inside {shared[0]}..{shared[1]}, the window all scenarios share"
    )
    horizons = ", ".join(f"{label} {_span(*h)}" for label, h in cmp.horizons.items())
    return (
        f"Totals {first}..{last}, {which}; horizons: {horizons}. "
        f"Mean of {cmp.replications} paired replication(s):"
    )


def overrides_lines(cmp: Comparison) -> list[str]:
    """One line per scenario changed by --set or --set-for, with its overrides."""
    return [
        f"{label}: changed with {', '.join(cmp.overrides[s.name])}"
        for label, s in zip(cmp.labels, cmp.scenarios, strict=True)
        if cmp.overrides.get(s.name)
    ]


def comparison_table(cmp: Comparison) -> str:
    """Totals over the comparison's window with differences against the base and 95% intervals,
    the overrides of every changed scenario, then the decomposition of the netback change."""
    rows = []
    for label in cmp.labels:
        row: list[object] = [label]
        for metric, (_, scale, _unit) in _UNITS.items():
            v = cmp.stats[label][metric]
            row.append(f"{_given(v, 'mean') / scale:.2f}")
            row.append(
                "base"
                if label == cmp.base
                else f"{_given(v, 'diff_mean') / scale:+.2f} {_ci(v, scale)}"
            )
        rows.append(row)
    headers = ["scenario"]
    for _, (label, _s, unit) in _UNITS.items():
        headers += [f"{label} {unit}", f"vs {cmp.base} (95% CI)"]
    dec_rows = [
        (name, *(d[e] / 1e9 for e in (*EFFECTS, "total_usd")))
        for name, d in cmp.decomposition.items()
    ]
    return "\n".join(
        [
            window_header(cmp),
            text_table(headers, rows),
            *overrides_lines(cmp),
            "",
            f"Change in netback against {cmp.base}, bn USD, decomposed year by year and market by "
            "market:",
            text_table(
                [
                    "scenario",
                    "volume",
                    "market mix",
                    "world price",
                    "discount",
                    "logistics",
                    "total",
                ],
                [tuple(f"{x:+.2f}" if isinstance(x, float) else x for x in r) for r in dec_rows],
            ),
        ]
    )


def backtest_table(table: pd.DataFrame, summary: pd.DataFrame, replications: int) -> str:
    """The backtest for the terminal: each figure, then bias and WAPE by metric and sample."""

    def fmt(metric: str, x: float) -> str:
        if metric.startswith("route_share"):
            return f"{x:.0%}"
        return f"{x / 1e9:.2f} bn" if metric.startswith("export_value") else f"{x / 1e6:.2f} Mt"

    rows = []
    for rec in table.to_dict("records"):
        metric = str(rec["metric"])
        obs, lo, hi = float(rec["observed"]), float(rec["low"]), float(rec["high"])
        model = (float(rec["model"]), float(rec["model_p5"]), float(rec["model_p95"]))
        rows.append(
            (
                str(rec["id"]),
                fmt(metric, obs),
                f"{fmt(metric, lo)}-{fmt(metric, hi)}",
                f"{fmt(metric, model[0])} [{fmt(metric, model[1])}, {fmt(metric, model[2])}]",
                f"{(model[0] - obs) / obs:+.0%}",
                "yes" if rec["within_band"] else "NO",
                "in" if rec["in_sample"] else "out",
                str(rec["sources"]),
            )
        )
    summ = [
        (
            str(s["metric"]),
            str(s["sample"]),
            f"{s['within_band']}/{s['figures']}",
            f"{float(s['bias']):+.1%}",
            f"{float(s['wape']):.1%}",
        )
        for s in summary.to_dict("records")
    ]
    return "\n".join(
        [
            f"history against the observed figures (model: mean [5-95%] of {replications} "
            "replication(s)):",
            text_table(
                ["figure", "observed", "band", "model", "error", "in band", "sample", "sources"],
                rows,
            ),
            "",
            text_table(["metric", "sample", "in band", "bias", "WAPE"], summ),
        ]
    )
