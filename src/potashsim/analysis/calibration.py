"""The baseline against the cited pre-ban figures (2019-2021): the calibration table.

Nothing here fits a parameter: it runs the ``baseline`` scenario as it is, over replications,
and sets each year's exports, Klaipeda share, revenue and netback beside the facts (rows P9, P11,
P12, R1, R2) so that a reader can judge the inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from potashsim.analysis.experiment import run
from potashsim.scenario.schema import Scenario
from potashsim.sim.streams import replication_seeds

__all__ = ["FACTS", "YearCheck", "calibrate"]

# year: (exports Mt low, high, source), Klaipeda share (low, high, source), revenue bn USD, source
FACTS = {
    2019: ((10.5, 12.3, "P9 >10.5 Mt; P1 output 12.27"), (0.85, 0.95, "R1"), (2.8, "P9")),
    2020: ((10.7, 12.2, "R2 10.7 via Klaipeda; P5 12.2"), (0.85, 0.95, "R1"), (2.4, "P11")),
    2021: ((10.7, 13.0, "P13 ~13 Mt shipments"), (0.85, 0.95, "R1"), (3.06, "P12")),
}


@dataclass(frozen=True)
class YearCheck:
    """One year of the baseline (mean and 5-95% range over replications) and the facts."""

    year: int
    exports_mt: tuple[float, float, float]
    klaipeda_share: tuple[float, float, float]
    revenue_bn_usd: tuple[float, float, float]
    netback_bn_usd: tuple[float, float, float]

    @property
    def exports_in_range(self) -> bool:
        lo, hi, _ = FACTS[self.year][0]
        return lo <= self.exports_mt[0] <= hi

    @property
    def share_in_range(self) -> bool:
        lo, hi, _ = FACTS[self.year][1]
        return lo <= self.klaipeda_share[0] <= hi


def _band(values: list[float]) -> tuple[float, float, float]:
    a = np.asarray(values)
    return float(a.mean()), float(np.percentile(a, 5)), float(np.percentile(a, 95))


def calibrate(baseline: Scenario, *, replications: int, seed: int) -> list[YearCheck]:
    """Run ``baseline`` over 2019-2021 ``replications`` times and summarise each year."""
    import datetime as dt

    end = dt.date(max(FACTS), 12, 31)
    baseline = baseline.model_copy(
        update={
            "horizon": baseline.horizon.model_copy(update={"end": end}),
            "events": tuple(e for e in baseline.events if e.date <= end),
        }
    )
    rows: dict[int, dict[str, list[float]]] = {
        y: {"x": [], "s": [], "r": [], "n": []} for y in FACTS
    }
    for rep_seed in replication_seeds(seed, replications):
        d = run(baseline, seed=rep_seed).deliveries
        year = d["date"].dt.year
        for y in FACTS:
            part = d[year == y]
            total = part["exported_t"].sum()
            rows[y]["x"].append(total / 1e6)
            rows[y]["s"].append(
                part.loc[part["route"] == "klaipeda", "exported_t"].sum() / total if total else 0.0
            )
            rows[y]["r"].append(part["revenue_usd"].sum() / 1e9)
            rows[y]["n"].append(part["netback_usd"].sum() / 1e9)
    return [
        YearCheck(y, _band(v["x"]), _band(v["s"]), _band(v["r"]), _band(v["n"]))
        for y, v in rows.items()
    ]


def render(checks: list[YearCheck], replications: int) -> str:
    """The calibration table as Markdown."""
    lines = [
        f"Baseline 2019-2021, mean [5-95%] of {replications} replications, against the facts:",
        "",
        "| year | exports, Mt | cited | via Klaipeda | cited | revenue (CFR), bn USD | "
        "netback (FCA mine), bn USD | cited export value, bn USD |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        (xlo, xhi, xsrc), (slo, shi, ssrc), (rev, rsrc) = FACTS[c.year]
        lines.append(
            f"| {c.year} | {c.exports_mt[0]:.2f} [{c.exports_mt[1]:.2f}-{c.exports_mt[2]:.2f}] "
            f"| {xlo}-{xhi} ({xsrc}) | {c.klaipeda_share[0]:.0%} "
            f"[{c.klaipeda_share[1]:.0%}-{c.klaipeda_share[2]:.0%}] | {slo:.0%}-{shi:.0%} "
            f"({ssrc}) | {c.revenue_bn_usd[0]:.2f} [{c.revenue_bn_usd[1]:.2f}-"
            f"{c.revenue_bn_usd[2]:.2f}] | {c.netback_bn_usd[0]:.2f} [{c.netback_bn_usd[1]:.2f}-"
            f"{c.netback_bn_usd[2]:.2f}] | {rev} ({rsrc}) |"
        )
    return "\n".join(lines)
