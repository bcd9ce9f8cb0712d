"""Global sensitivity of a sweep's output to its parameters, by SALib.

- Sobol (design ``sobol``): first-order ``S1`` and total-order ``ST`` indices with their 95%
  bootstrap confidence half-widths (SALib's ``sobol.analyze``);
- Morris (design ``morris``): ``mu_star`` (mean absolute elementary effect, in the output's unit)
  and ``sigma`` (its spread: interactions or non-linearity), with ``mu_star``'s confidence;
- any other design (``lhs``, ``grid``): Spearman rank correlation of each parameter with the
  output, a screening measure only.

The output ``y`` must hold one value per design row, in design order; a failed run (NaN) makes
Sobol and Morris indices impossible, so they refuse rather than guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from potashsim.analysis.sweep.design import MORRIS_LEVELS, salib_problem
from potashsim.analysis.sweep.spec import Param

__all__ = ["INDEX_COLUMNS", "sensitivity"]

INDEX_COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma"),
    "rank": ("spearman",),
}
"""The columns :func:`sensitivity` returns for each method (besides ``param``)."""

#: Bootstrap resamples for the confidence intervals (SALib's default) and their level.
_RESAMPLES = 1000
_CONFIDENCE = 0.95


def sensitivity(
    design: str,
    params: Sequence[Param],
    x: np.ndarray,
    y: np.ndarray,
    *,
    seed: int = 0,
) -> tuple[str, pd.DataFrame]:
    """The method used and one row a parameter (``param`` and :data:`INDEX_COLUMNS`), sorted by
    importance (``ST``, ``mu_star`` or ``|spearman|``, largest first).

    Args:
        design: the sweep's design; ``x`` its rows (as :func:`~potashsim.analysis.sweep.design.
            make_design` made them) and ``y`` the output of each row.
        seed: seeds the bootstrap of the confidence intervals.

    Raises:
        ValueError: ``y`` does not match ``x``, or holds NaN where Sobol or Morris need every run.
    """
    y = np.asarray(y, dtype=float)
    if len(y) != len(x):
        raise ValueError(f"{len(y)} outputs for {len(x)} design rows")
    problem = salib_problem(params)
    names = [p.path for p in params]
    if design in ("sobol", "morris") and not np.isfinite(y).all():
        missing = int((~np.isfinite(y)).sum())
        raise ValueError(
            f"{missing} of {len(y)} runs have no result (failed or not run yet); {design} "
            "indices need every run: resume the sweep, or fix the failures"
        )
    if design == "sobol":
        from SALib.analyze import sobol

        res: Any = sobol.analyze(
            problem,
            y,
            calc_second_order=False,
            num_resamples=_RESAMPLES,
            conf_level=_CONFIDENCE,
            seed=seed,
        )
        table = pd.DataFrame({"param": names, **{c: res[c] for c in INDEX_COLUMNS["sobol"]}})
        return "sobol", table.sort_values("ST", ascending=False, ignore_index=True)
    if design == "morris":
        from SALib.analyze import morris

        res = morris.analyze(
            problem,
            x,
            y,
            num_levels=MORRIS_LEVELS,
            num_resamples=_RESAMPLES,
            conf_level=_CONFIDENCE,
            seed=seed,
        )
        table = pd.DataFrame(
            {"param": names, **{c: np.asarray(res[c], float) for c in INDEX_COLUMNS["morris"]}}
        )
        return "morris", table.sort_values("mu_star", ascending=False, ignore_index=True)
    ok = np.isfinite(y)
    frame = pd.DataFrame(x[ok], columns=names).assign(_y=y[ok])
    rho = frame.corr(method="spearman")["_y"].drop("_y").reindex(names)
    table = pd.DataFrame({"param": names, "spearman": rho.to_numpy(dtype=float)})
    order = table["spearman"].abs().sort_values(ascending=False).index
    return "rank", table.loc[order].reset_index(drop=True)
