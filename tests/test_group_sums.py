"""The accounts' group sums give pandas's floats bit for bit, on either of pandas's paths.

A comparison sums each replication's exports by year, market, month and route without pandas
(:mod:`potashsim.analysis.group_sums`); its files must not move by a bit from what pandas's
group-bys wrote. pandas takes one of two paths, a pairwise ``np.add.reduceat`` where the rows are
already in group order and nothing is missing, and a compensated sum otherwise; the sums differ in
their last bits between the two, so each is checked where pandas takes it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from potashsim.analysis.aggregate import KahanSums
from potashsim.analysis.group_sums import group_sums

_MARKETS = np.array(["brazil", "china", "india", "us", "se_asia"], dtype=object)


def _pandas(keys: dict[str, np.ndarray], values: np.ndarray) -> pd.DataFrame:
    names = [f"v{k}" for k in range(values.shape[1])]
    frame = pd.DataFrame(keys | {name: values[:, k] for k, name in enumerate(names)})
    return frame.groupby(list(keys), as_index=False)[names].sum()


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.asarray(a, dtype=float).tobytes() == np.asarray(b, dtype=float).tobytes()


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 400),
    seed=st.integers(0, 2**32 - 1),
    ordered=st.booleans(),
    missing=st.booleans(),
)
def test_group_sums_are_pandas_sums_bit_for_bit(
    rows: int, seed: int, ordered: bool, missing: bool
) -> None:
    rng = np.random.default_rng(seed)
    years = rng.integers(2019, 2031, rows)
    markets = _MARKETS[rng.integers(0, len(_MARKETS), rows)]
    if ordered:  # rows in group order: pandas's reduceat path
        order = np.lexsort((markets, years))
        years, markets = years[order], markets[order]
    # magnitudes that lose bits when added, as tonnes and dollars do
    values = rng.normal(0, 1, (rows, 3)) * 10.0 ** rng.integers(0, 12, (rows, 3))
    if missing:
        values[rng.random((rows, 3)) < 0.05] = np.nan
    for keys in ({"year": years}, {"year": years, "market": markets}):
        expected = _pandas(keys, values)
        uniques, sums = group_sums(list(keys.values()), values)
        for name, column in zip(keys, uniques, strict=True):
            assert expected[name].tolist() == column.tolist()
        assert _same_bits(expected[["v0", "v1", "v2"]].to_numpy(), sums)


def test_the_two_paths_differ_so_each_is_needed() -> None:
    """The same rows summed in group order (pairwise) and out of it (compensated) end in
    different bits: had group_sums taken one path for every table, the files would have moved."""
    rng = np.random.default_rng(7)
    values = rng.normal(0, 1, (200, 1)) * 10.0 ** rng.integers(0, 12, (200, 1))
    in_order = group_sums([np.zeros(199, dtype=np.int64)], values[1:])[1][0]
    # row 0 in a group of its own ahead of the rest's, numbered after them: out of order
    out_of_order = group_sums([np.r_[1, np.zeros(199, dtype=np.int64)]], values)[1][0]
    assert not _same_bits(in_order, out_of_order)


def test_kahan_rows_at_once_equal_one_at_a_time() -> None:
    rng = np.random.default_rng(3)
    keys = [("a", 2020, "x"), ("b", 2021, "y"), ("a", 2020, "z")]
    one, many = KahanSums(2), KahanSums(2)
    for _ in range(50):
        values = rng.normal(0, 1, (3, 2)) * 1e9
        for k, row in zip(keys, values, strict=True):
            one.add(k, row)
        many.add_rows(keys, values)
    assert one.sums.keys() == many.sums.keys()
    for k in keys:
        assert _same_bits(one.sums[k], many.sums[k])


def test_no_rows_no_groups() -> None:
    uniques, sums = group_sums([np.zeros(0, dtype=np.int64)], np.zeros((0, 2)))
    assert len(uniques[0]) == 0 and sums.shape == (0, 2)
