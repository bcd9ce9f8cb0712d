"""The decorator for the simulation's compiled kernels: numba's ``njit``, cached on disk.

A kernel is a plain Python function over numbers and numpy arrays. numba compiles it to machine
code on its first call in a process and keeps the result beside the source (or in the user's
cache folder where that is read-only), so later processes, a comparison's workers among them,
load it instead of compiling again. With ``NUMBA_DISABLE_JIT=1`` set, every kernel runs as the
Python it is written in: the same function, slower, for a debugger or a print.

Compiled code does the same IEEE arithmetic in the order written (no ``fastmath``: numba then
neither reorders sums nor fuses multiply-adds), so a kernel gives the same floats, bit for bit,
as the Python it replaces when it does the same operations in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

__all__ = ["compiled"]

F = TypeVar("F", bound=Callable[..., Any])


def compiled(fn: F) -> F:
    """``fn`` compiled in nopython mode, its machine code cached on disk; typed as ``fn``."""
    return cast(F, numba.njit(cache=True)(fn))
