"""Which swept assumption moves the answer: a tornado of swings and a chart of SALib's indices.

The tornado needs no particular design: for each parameter it compares the mean output of the
runs in the lowest quarter of its range with that of the runs in the highest quarter (a lever:
off against on), drawn as a bar from one to the other around the mean of all runs. The index chart
draws Sobol S1 and ST with their 95% confidence (design ``sobol``), Morris μ* and σ (``morris``)
or Spearman rank correlations (any other design).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]

from potashsim.report.charts.style import empty_note, require, style

__all__ = ["index_chart", "swing_table", "tornado_chart"]

_LOW, _HIGH = "#0072B2", "#D55E00"
#: The share of a parameter's range at each end whose runs are compared.
_TAIL = 0.25


def swing_table(
    x: np.ndarray, y: np.ndarray, names: Sequence[str], bounds: Sequence[tuple[float, float]]
) -> pd.DataFrame:
    """Per parameter: ``param``, ``low_mean`` and ``high_mean`` (mean output of the runs in the
    lowest and highest quarter of its range), ``swing`` (high − low); largest ``|swing|`` first.
    Runs whose output is NaN (failed) are left out."""
    ok = np.isfinite(y)
    x, y = x[ok], y[ok]
    rows = []
    for j, (name, (lo, hi)) in enumerate(zip(names, bounds, strict=True)):
        u = (x[:, j] - lo) / (hi - lo)
        low, high = y[u <= _TAIL], y[u >= 1 - _TAIL]
        low_mean = float(low.mean()) if len(low) else float("nan")
        high_mean = float(high.mean()) if len(high) else float("nan")
        rows.append((name, low_mean, high_mean, high_mean - low_mean))
    table = pd.DataFrame(rows, columns=["param", "low_mean", "high_mean", "swing"])
    order = table["swing"].abs().sort_values(ascending=False, na_position="last").index
    return table.loc[order].reset_index(drop=True)


def tornado_chart(swings: pd.DataFrame, centre: float, metric: str) -> go.Figure:
    """Per parameter, a bar from ``centre`` (the mean of all runs) to its ``low_mean`` and one to
    its ``high_mean`` (USD m, or Mt for a ``_t`` metric), the largest swing on top."""
    unit = 1e6
    require(swings, ("param", "low_mean", "high_mean"), "tornado chart")
    fig = go.Figure()
    if swings.empty:
        return empty_note(style(fig, f"Tornado: {metric}", 300), "no finished run")
    s = swings.iloc[::-1]  # plotly draws the first bar at the bottom
    for col, colour, label in (
        ("low_mean", _LOW, "lowest quarter of the range (lever off)"),
        ("high_mean", _HIGH, "highest quarter of the range (lever on)"),
    ):
        fig.add_bar(
            y=s["param"],
            x=(s[col] - centre) / unit,
            base=centre / unit,
            orientation="h",
            name=label,
            marker_color=colour,
            hovertemplate="%{y}: %{x:,.1f}<extra>" + label + "</extra>",
        )
    fig.add_vline(x=centre / unit, line_color="#444", line_width=1)
    what = "Mt" if metric.endswith("_t") else "USD m"
    # side by side: both ends of a range often lie on the same side of the mean
    fig.update_layout(barmode="group", xaxis_title=f"{metric} ({what})", legend_orientation="h")
    fig = style(fig, f"Tornado: mean {metric} at each end of each range", 180 + 44 * len(s))
    return fig.update_yaxes(automargin=True)  # parameter paths are long


def index_chart(table: pd.DataFrame, method: str, metric: str) -> go.Figure:
    """SALib's indices per parameter (``table`` as
    :func:`potashsim.analysis.sweep.sensitivity.sensitivity` returns it)."""
    fig = go.Figure()
    t = table.iloc[::-1]
    if method == "sobol":
        require(table, ("param", "S1", "S1_conf", "ST", "ST_conf"), "Sobol chart")
        for col, colour, label in (("S1", _LOW, "first order S1"), ("ST", _HIGH, "total order ST")):
            fig.add_bar(
                y=t["param"],
                x=t[col],
                orientation="h",
                name=label,
                marker_color=colour,
                error_x={"type": "data", "array": t[f"{col}_conf"], "visible": True},
            )
        fig.update_layout(barmode="group", xaxis_title="share of the output's variance")
        title = f"Sobol indices of {metric} (95% confidence)"
    elif method == "morris":
        require(table, ("param", "mu_star", "sigma"), "Morris chart")
        for col, colour, label in (("mu_star", _LOW, "μ*"), ("sigma", _HIGH, "σ")):
            fig.add_bar(y=t["param"], x=t[col], orientation="h", name=label, marker_color=colour)
        fig.update_layout(barmode="group", xaxis_title=f"elementary effect on {metric}")
        title = f"Morris μ* and σ of {metric}"
    else:
        require(table, ("param", "spearman"), "rank chart")
        fig.add_bar(y=t["param"], x=t["spearman"], orientation="h", marker_color=_LOW)
        fig.update_layout(xaxis_title="Spearman rank correlation", xaxis_range=[-1, 1])
        title = f"Rank correlation of each parameter with {metric}"
    return style(fig, title, 160 + 36 * len(t)).update_yaxes(automargin=True)
