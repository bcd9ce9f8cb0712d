"""The backtest chart: each observed figure's band beside the model's range, on one scale."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]

from potashsim.report.charts.style import require, style

__all__ = ["backtest_chart"]

_IN, _OUT = "#1f77b4", "#d62728"


def _label(row: pd.Series) -> str:
    # the observation's id reads as a label: "russian_ports_2022" -> "russian ports 2022"
    return str(row["id"]).replace("_", " ")


def backtest_chart(table: pd.DataFrame) -> go.Figure:
    """Each figure as a ratio to its observed value: the sources' band (grey bar), the model's
    5-95% range over replications (whiskers) and mean (dot; blue in sample, red out of sample).

    Args:
        table: :func:`potashsim.analysis.backtest.backtest`'s table (``id``, ``observed``,
            ``low``, ``high``, ``model``, ``model_p5``, ``model_p95``, ``in_sample``).
    """
    require(
        table,
        (
            "metric",
            "year",
            "observed",
            "low",
            "high",
            "model",
            "model_p5",
            "model_p95",
            "in_sample",
        ),
        "backtest table",
    )
    t = table.iloc[::-1].reset_index(drop=True)
    labels = [_label(r) for _, r in t.iterrows()]
    obs = t["observed"].to_numpy()
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=labels,
            x=(t["high"] - t["low"]) / obs,
            base=t["low"] / obs,
            orientation="h",
            marker={"color": "rgba(120,120,120,0.35)"},
            name="observed band (sources)",
            hovertemplate="%{y}: band %{base:.2f}-%{x:.2f} (ratio to observed)<extra></extra>",
        )
    )
    for in_sample, colour, name in (
        (True, _IN, "model, in sample"),
        (False, _OUT, "model, out of sample"),
    ):
        mask = (t["in_sample"] == in_sample).to_numpy()
        if not mask.any():
            continue
        ratio = t["model"].to_numpy()[mask] / obs[mask]
        fig.add_trace(
            go.Scatter(
                y=[lab for lab, m in zip(labels, mask, strict=True) if m],
                x=ratio,
                mode="markers",
                marker={"color": colour, "size": 10},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": t["model_p95"].to_numpy()[mask] / obs[mask] - ratio,
                    "arrayminus": ratio - t["model_p5"].to_numpy()[mask] / obs[mask],
                    "color": colour,
                },
                name=name,
                hovertemplate="%{y}: model %{x:.2f} of observed<extra></extra>",
            )
        )
    fig.add_vline(x=1.0, line_color="#444444", line_width=1)
    fig.update_layout(xaxis_title="ratio to the observed value", barmode="overlay")
    return style(fig, "history against the observed figures (1 = observed)", 120 + 28 * len(t))
