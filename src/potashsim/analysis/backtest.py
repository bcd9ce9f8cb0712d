"""The backtest: the ``history`` scenario set beside every observed figure (data/observed.yaml).

Nothing here fits a parameter. It runs ``history`` as shipped, over replications, and for each
observed figure (exports, export value, volume by channel, China's imports from Belarus) gives the
model's mean and 5-95% range, the error against the observed value and whether the model mean
lies inside the band the sources allow. Summary figures: bias (mean error ÷ mean observed) and
WAPE (Σ|error| ÷ Σ observed), in sample and out of sample separately, since only out-of-sample
figures test the model.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from potashsim.analysis.experiment import run
from potashsim.errors import Problem, ScenarioError
from potashsim.scenario.schema import Horizon, Scenario
from potashsim.sim.streams import replication_seeds

__all__ = ["OBSERVED", "Observation", "backtest", "load_observations", "summary"]

OBSERVED = Path(__file__).resolve().parents[1] / "data" / "observed.yaml"
_METRICS = (
    "exported_t",
    "export_value_usd",
    "route_share",
    "route_t",
    "market_t",
    "market_revenue_usd",
)


@dataclass(frozen=True)
class Observation:
    """One observed figure with the band its sources allow."""

    id: str
    metric: str
    year: int
    value: float
    low: float
    high: float
    sources: tuple[str, ...]
    in_sample: bool
    band_reason: str


def load_observations(path: Path = OBSERVED) -> list[Observation]:
    """The observed figures, checked (a bad row names the file, the row and the problem)."""
    rows: list[dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8"))["observations"]
    out = []
    for i, row in enumerate(rows):
        kind = str(row.get("metric", "")).split(":")[0]
        if kind not in _METRICS:
            raise ScenarioError(
                [Problem(str(path), None, f"observations.{i}.metric", f"unknown metric {kind!r}")]
            )
        if not float(row["low"]) <= float(row["value"]) <= float(row["high"]):
            raise ScenarioError(
                [Problem(str(path), None, f"observations.{i}.value", "outside low..high")]
            )
        out.append(
            Observation(
                str(row["id"]),
                str(row["metric"]),
                int(row["year"]),
                float(row["value"]),
                float(row["low"]),
                float(row["high"]),
                tuple(row["sources"]),
                bool(row["in_sample"]),
                str(row["band_reason"]),
            )
        )
    return out


def _measure(d: pd.DataFrame, obs: Observation) -> float:
    """The model's figure for ``obs`` from one run's deliveries table."""
    part = d[d["date"].dt.year == obs.year]
    kind, _, arg = obs.metric.partition(":")
    if kind == "exported_t":
        return float(part["exported_t"].sum())
    if kind == "export_value_usd":
        return float((part["revenue_usd"] - part["freight_cost_usd"]).sum())
    if kind == "market_t":
        return float(part.loc[part["market"] == arg, "exported_t"].sum())
    if kind == "market_revenue_usd":
        return float(part.loc[part["market"] == arg, "revenue_usd"].sum())
    through = float(part.loc[part["route"].isin(arg.split(",")), "exported_t"].sum())
    if kind == "route_t":
        return through
    total = float(part["exported_t"].sum())
    return through / total if total else 0.0


def backtest(
    history: Scenario, *, replications: int, seed: int, observations: list[Observation]
) -> pd.DataFrame:
    """Run ``history`` (cut to the last observed year) and set it beside each observation.

    Returns:
        One row per observation: ``id``, ``metric``, ``year``, ``observed``, ``low``, ``high``,
        ``model`` (mean), ``model_p5``, ``model_p95``, ``error`` (model − observed),
        ``within_band``, ``in_sample``, ``sources``, ``band_reason``.
    """
    end = dt.date(max(o.year for o in observations), 12, 31)
    cut = history.model_copy(update={"horizon": Horizon(start=history.horizon.start, end=end)})
    values: dict[str, list[float]] = {o.id: [] for o in observations}
    for rep_seed in replication_seeds(seed, replications):
        d = run(cut, seed=rep_seed).deliveries
        for o in observations:
            values[o.id].append(_measure(d, o))
    rows = []
    for o in observations:
        v = np.asarray(values[o.id])
        mean = float(v.mean())
        rows.append(
            {
                "id": o.id,
                "metric": o.metric,
                "year": o.year,
                "observed": o.value,
                "low": o.low,
                "high": o.high,
                "model": mean,
                "model_p5": float(np.percentile(v, 5)),
                "model_p95": float(np.percentile(v, 95)),
                "error": mean - o.value,
                "within_band": bool(o.low <= mean <= o.high),
                "in_sample": o.in_sample,
                "sources": ", ".join(o.sources),
                "band_reason": o.band_reason,
            }
        )
    return pd.DataFrame(rows)


def summary(table: pd.DataFrame) -> pd.DataFrame:
    """Bias and WAPE per metric kind, in and out of sample; shares are left out of WAPE's sums
    with tonnes and dollars and summarised on their own."""
    kinds = table["metric"].str.split(":").str[0]
    out = []
    for (kind, in_sample), g in table.groupby([kinds, table["in_sample"]]):
        out.append(
            {
                "metric": kind,
                "sample": "in sample" if in_sample else "out of sample",
                "figures": len(g),
                "within_band": int(g["within_band"].sum()),
                "bias": float(g["error"].mean() / g["observed"].mean()),
                "wape": float(g["error"].abs().sum() / g["observed"].abs().sum()),
            }
        )
    return pd.DataFrame(out)
