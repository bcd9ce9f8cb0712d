"""A sweep's design: the sample rows, in parameter units, made by SALib's samplers (or a grid).

Row ``i`` of the design is sample ``i``; its values are inside each parameter's ``low..high``.
The design is a pure function of the spec (seeded), so a resumed sweep rebuilds the very same
rows, and the analysis of a finished sweep rebuilds the matrix SALib needs.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from potashsim.analysis.sweep.spec import Param, SweepSpec

__all__ = [
    "MORRIS_LEVELS",
    "design_problem",
    "design_runs",
    "make_design",
    "salib_problem",
]

#: Morris grid levels (SALib's default p = 4: steps of 2/3 of the range).
MORRIS_LEVELS = 4


def salib_problem(params: Sequence[Param]) -> dict[str, Any]:
    """The ``problem`` dict SALib's samplers and analysers take."""
    return {
        "num_vars": len(params),
        "names": [p.path for p in params],
        "bounds": [[p.low, p.high] for p in params],
    }


def _power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def design_problem(design: str, n: int, params: Sequence[Param]) -> str:
    """Why ``n`` does not suit ``design`` (empty when it does)."""
    if n < 1:
        return f"N must be 1 or more, not {n}"
    if design == "sobol" and not _power_of_two(n):
        lower = 2 ** math.floor(math.log2(n))
        return (
            f"Sobol sampling needs N a power of two; {n} is not: use {lower} or {lower * 2} "
            f"({lower * (len(params) + 2):,} or {lower * 2 * (len(params) + 2):,} runs)"
        )
    if design == "grid" and n < 2:
        return "a grid needs N ≥ 2 levels a parameter"
    return ""


def design_runs(design: str, n: int, params: Sequence[Param]) -> int:
    """How many samples ``design`` with ``n`` makes (before any run)."""
    d = len(params)
    if design == "sobol":
        return n * (d + 2)
    if design == "morris":
        return n * (d + 1)
    if design == "grid":
        return math.prod(2 if p.kind == "on" else n for p in params)
    return n


def make_design(spec: SweepSpec) -> np.ndarray:
    """The design's rows (samples × parameters, float), each value inside ``low..high``.

    Raises:
        ValueError: ``spec.n`` does not suit the design (:func:`design_problem`).
    """
    params = spec.params
    why = design_problem(spec.design, spec.n, params)
    if why:
        raise ValueError(why)
    problem = salib_problem(params)
    if spec.design == "grid":
        axes = [
            np.array([0.0, 1.0]) if p.kind == "on" else np.linspace(p.low, p.high, spec.n)
            for p in params
        ]
        return np.array(list(itertools.product(*axes)), dtype=float).reshape(-1, len(params))
    if spec.design == "lhs":
        from SALib.sample import latin

        x = latin.sample(problem, spec.n, seed=spec.seed)
    elif spec.design == "morris":
        from SALib.sample import morris

        x = morris.sample(problem, spec.n, num_levels=MORRIS_LEVELS, seed=spec.seed)
    else:
        from SALib.sample import sobol

        x = sobol.sample(problem, spec.n, calc_second_order=False, seed=spec.seed)
    return np.asarray(x, dtype=float)
