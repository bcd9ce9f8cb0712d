"""The decorator for the simulation's compiled kernels: numba's ``njit``, cached on disk.

A kernel is a plain Python function over numbers and numpy arrays. numba compiles it to machine
code on its first call in a process and keeps the result beside the source (or in the user's
cache folder where that is read-only), so later processes, a comparison's workers among them,
load it instead of compiling again. With ``NUMBA_DISABLE_JIT=1`` set, every kernel runs as the
Python it is written in: the same function, slower, for a debugger or a print.

Compiled code does the same IEEE arithmetic in the order written (no ``fastmath``: numba then
neither reorders sums nor fuses multiply-adds), so a kernel gives the same floats, bit for bit,
as the Python it replaces when it does the same operations in the same order.

A rule that plain Python also calls, one call at a time, is :func:`shared`: Python calls the
function as written (no dispatch to machine code, which would cost more than the rule), and the
kernels that call it compile it in. numba's cache checks only the source file of the kernel it
caches, so a shared rule lives in the same module as the kernels that call it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
from numba.extending import register_jitable

__all__ = ["compiled", "compiled_flat", "inlined", "shared"]

F = TypeVar("F", bound=Callable[..., Any])


def compiled(fn: F) -> F:
    """``fn`` compiled in nopython mode, its machine code cached on disk; typed as ``fn``."""
    return cast(F, numba.njit(cache=True)(fn))


def compiled_flat(fn: F) -> F:
    """:func:`compiled` without numba's reference counting of arrays, for a kernel that only
    works in arrays it is given (numba refuses to compile one that allocates). Each array passed
    to a helper otherwise takes and drops a reference, two atomic operations, which in a kernel
    that moves a few numbers per helper call cost most of its time."""
    options: dict[str, Any] = {"cache": True, "_nrt": False}  # numba's option, not in its stubs
    return cast(F, numba.njit(**options)(fn))


def inlined(fn: F) -> F:
    """:func:`compiled` for a call from Python; written into each kernel that calls it, and so
    compiled with that kernel's options (:func:`compiled_flat`'s without reference counts)."""
    return cast(F, numba.njit(cache=True, inline="always")(fn))


def shared(fn: F) -> F:
    """``fn`` itself for Python callers, compiled into the kernels that call it."""
    return register_jitable(fn)
