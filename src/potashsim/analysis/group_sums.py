"""Group sums as pandas' ``groupby(...).sum()`` takes them, on numpy arrays, without a DataFrame.

A comparison sums every replication's exports by year, by year and market, by month and by month
and route, and the parent sums those again across replications. pandas spent a few
milliseconds of set-up on each of these small group-bys, several times what a 6-year fast run's
accounts need once the run itself is compiled. This module gives the same floats, bit for bit,
by taking the path pandas takes (``BaseGrouper._cython_operation``, pandas 3): where the rows
are already in group order and no value is missing, one ``np.add.reduceat`` over the columns
(numpy's pairwise sums); otherwise each group's rows in table order with Kahan's compensation
(``group_sum`` in ``pandas/_libs/groupby.pyx``), skipping missing values. Groups come out in
sorted key order, as ``groupby(sort=True)`` gives them. ``tests/test_group_sums.py`` holds the
two to the same floats on random tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from potashsim.sim.compiled import compiled_lazily

__all__ = ["group_codes", "group_sums", "kahan_add"]


@compiled_lazily  # the report imports this module and never sums out of order
def _kahan_group_sums(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    sums = np.zeros((groups, values.shape[1]))
    comp = np.zeros((groups, values.shape[1]))
    for i in range(codes.shape[0]):
        g = codes[i]
        for j in range(values.shape[1]):
            val = values[i, j]
            if val != val:  # a missing value is skipped, as pandas skips NaN
                continue
            y = val - comp[g, j]
            t = sums[g, j] + y
            comp[g, j] = t - sums[g, j] - y
            if comp[g, j] != comp[g, j]:  # an infinity made it NaN: pandas resets it
                comp[g, j] = 0.0
            sums[g, j] = t
    return sums


def group_codes(*keys: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Factorise rows by the columns ``keys``: each distinct key tuple, in sorted order (the
    first column first), as one array per column; and each row's group number."""
    firsts, ranks, sizes = [], [], []
    for k in keys:
        u, r = _factorise(k)
        firsts.append(u)
        ranks.append(r)
        sizes.append(len(u))
    if len(keys) == 1:
        return firsts, ranks[0]
    # one integer per key tuple, which sorts as the tuples do
    combined = np.zeros(len(keys[0]), dtype=np.int64)
    for r, n in zip(ranks, sizes, strict=True):
        combined = combined * n + r
    uniques, codes = np.unique(combined, return_inverse=True)
    columns = []
    for u, n in zip(reversed(firsts), reversed(sizes), strict=True):
        columns.append(u[uniques % n])
        uniques = uniques // n
    return columns[::-1], codes.astype(np.intp)


def _factorise(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct values of ``key`` and each row's rank among them. Strings are ranked
    through a dict: numpy sorts an object array by calling Python's comparisons, and a run's
    few routes and markets need no sort of its thousands of rows."""
    if key.dtype != object:
        uniques, codes = np.unique(key, return_inverse=True)
        return uniques, codes.astype(np.intp)
    values = key.tolist()
    names = sorted(set(values))
    rank = {v: i for i, v in enumerate(names)}
    codes = np.fromiter(map(rank.__getitem__, values), dtype=np.intp, count=len(values))
    return np.array(names, dtype=object), codes


def group_sums(
    keys: Sequence[np.ndarray], values: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """``values`` (rows × columns, float) summed over the rows of each distinct key tuple:
    the keys in sorted order, one array per key column, and their sums (groups × columns),
    bit for bit what ``DataFrame.groupby(keys, sort=True)[columns].sum()`` gives."""
    uniques, codes = group_codes(*keys)
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if len(codes) and bool(np.all(codes[1:] >= codes[:-1])) and not np.isnan(values).any():
        starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
        # pandas reduces its block, columns × rows, along the rows
        return uniques, np.add.reduceat(np.ascontiguousarray(values.T), starts, axis=1).T
    values = np.ascontiguousarray(values)
    return uniques, _kahan_group_sums(codes, values, len(uniques[0]) if uniques else 0)


def kahan_add(sums: np.ndarray, comp: np.ndarray, rows: np.ndarray, values: np.ndarray) -> None:
    """Add ``values[i]`` to row ``rows[i]`` of the running sums ``sums`` (with their
    compensations ``comp``), in place, one compensated step each: what adding the rows one at
    a time does, provided no row number repeats within one call."""
    y = values - comp[rows]
    t = sums[rows] + y
    comp[rows] = t - sums[rows] - y
    sums[rows] = t
