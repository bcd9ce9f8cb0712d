"""The decorators for the simulation's compiled kernels: numba's ``njit``, cached on disk.

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

Importing numba takes about a third of a second, and a process's first compiled call about as
long again (LLVM starting). :func:`compiled` and the others pay the import where their module
is imported; :func:`compiled_lazily` only at the kernel's first call, for modules that commands
which never call the kernel (the report, ``--help``) import too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

__all__ = ["compiled", "compiled_flat", "compiled_lazily", "inlined", "shared"]

F = TypeVar("F", bound=Callable[..., Any])


def _njit(fn: F, **options: Any) -> F:
    """numba's ``njit`` of ``fn`` with ``options``, cached on disk where numba finds a folder
    it may write (beside the source, the user's cache folder, or ``NUMBA_CACHE_DIR``); where
    it finds none (a read-only installation with no writable home), compiled in memory, once a
    process, rather than refusing to import."""
    import numba

    try:
        return cast(F, numba.njit(cache=True, **options)(fn))
    except RuntimeError as err:
        if "cannot cache" not in str(err):
            raise
        return cast(F, numba.njit(**options)(fn))


def compiled(fn: F) -> F:
    """``fn`` compiled in nopython mode, its machine code cached on disk; typed as ``fn``.
    Other kernels may call it."""
    return _njit(fn)


def compiled_flat(fn: F) -> F:
    """:func:`compiled` without numba's reference counting of arrays, for a kernel that only
    works in arrays it is given (numba refuses to compile one that allocates). Each array passed
    to a helper otherwise takes and drops a reference, two atomic operations, which in a kernel
    that moves a few numbers per helper call cost most of its time.

    ``_nrt`` is numba's own, private option; a numba without it gets :func:`compiled`: the
    same numbers, the kernel about three times slower."""
    from numba.core.cpu import CPUTargetOptions

    if not hasattr(CPUTargetOptions, "_nrt"):
        return compiled(fn)
    return _njit(fn, _nrt=False)


def inlined(fn: F) -> F:
    """:func:`compiled` for a call from Python; written into each kernel that calls it, and so
    compiled with that kernel's options (:func:`compiled_flat`'s without reference counts)."""
    return _njit(fn, inline="always")


def shared(fn: F) -> F:
    """``fn`` itself for Python callers, compiled into the kernels that call it."""
    from numba.extending import register_jitable

    return register_jitable(fn)


def compiled_lazily(fn: F) -> F:
    """``fn`` as :func:`compiled` makes it, made (numba imported) at its first call. Only
    Python may call it: to a kernel it is an ordinary Python function."""

    @functools.cache
    def kernel() -> F:
        return compiled(fn)

    @functools.wraps(fn)
    def call(*args: Any) -> Any:
        return kernel()(*args)

    return cast(F, call)
