"""What a change in netback is made of, year by year and market by market.

For one year and market, with tonnes v, and per tonne the market value p (the price as paid,
before discounts), the discount d (sanctions and market depth) and the logistics cost c, the
netback is N = v·(p − d − c) = v·n. From a base (0) to another scenario (1):

* volume: (v₁ − v₀)·n̄₀, the base's average netback per tonne of that year (n̄₀ = N₀ / V₀);
* market mix: (v₁ − v₀)·(n₀ − n̄₀), selling more where a tonne earns more than the average;
* world price: v₁·(p₁ − p₀), the price the market paid (the world price response, and contract
  timing);
* discount: −v₁·(d₁ − d₀);
* logistics: −v₁·(c₁ − c₀).

They add up to N₁ − N₀ exactly for every year and market. Where the base sold nothing in a market,
its per-tonne values are taken as the other scenario's, so all of that market's netback is volume
and mix. Totals over years are sums of the yearly parts: taking the decomposition on horizon
totals instead would let the mix of years with very different prices pass for a price effect.
Paired replications are decomposed pair by pair and then averaged, so the means add up too.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from potashsim.analysis.group_sums import group_sums
from potashsim.contract import DECOMPOSITION

__all__ = ["EFFECTS", "FLOWS", "Flows", "decompose_arrays", "decompose_years", "flows_of"]

#: The columns each (scenario, replication, year, market) row needs, USD and tonnes.
FLOWS = ("exported_t", "market_value_usd", "discount_usd", "logistics_cost_usd", "netback_usd")
#: The parts of a netback change, in the order they are shown; they sum to ``total_usd``.
EFFECTS = DECOMPOSITION[:-1]


def decompose_years(base: pd.DataFrame, other: pd.DataFrame) -> pd.DataFrame:
    """Decompose the netback change from ``base`` to ``other``, per year and market.

    Args:
        base, other: one row per (year, market) with the :data:`FLOWS` columns (one replication of
            each scenario; missing rows count as nothing sold).

    Returns:
        One row per (year, market) in either, with the :data:`EFFECTS` and ``total_usd``
        (= other's netback − base's).
    """
    years, markets, parts = decompose_arrays(flows_of(base), flows_of(other))
    out = pd.DataFrame({"year": pd.Index(years, dtype=base["year"].dtype), "market": markets})
    for k, name in enumerate(DECOMPOSITION):
        out[name] = parts[:, k]
    return out


Flows = tuple[np.ndarray, np.ndarray, np.ndarray]
"""One replication's (year, market) rows: years, markets and the :data:`FLOWS` (rows × 5)."""


def flows_of(frame: pd.DataFrame) -> Flows:
    """The (year, market) rows of ``frame`` (``year``, ``market`` and the FLOWS columns)."""
    return (
        frame["year"].to_numpy(),
        frame["market"].to_numpy(dtype=object),
        frame[list(FLOWS)].to_numpy(dtype=float),
    )


def decompose_arrays(base: Flows, other: Flows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`decompose_years` on arrays, the floats bit for bit the same: the (year, market)
    keys in sorted order (years, markets) and their :data:`DECOMPOSITION` parts (rows × 6).
    The parent of a comparison decomposes every pair with it, without a DataFrame."""
    (b_keys, b), (o_keys, o) = (_summed(base), _summed(other))
    # the union of the two sets of keys, sorted; a key one side lacks sold nothing there
    keys = sorted(set(b_keys) | set(o_keys))
    b = _reindexed(b_keys, b, keys)
    o = _reindexed(o_keys, o, keys)
    v0, v1 = b[:, 0], o[:, 0]

    def per_tonne(x: np.ndarray, v: np.ndarray) -> np.ndarray:
        return np.asarray(np.divide(x, v, out=np.zeros_like(x, dtype=float), where=v > 0))

    p1, d1, c1 = (per_tonne(o[:, k], v1) for k in (1, 2, 3))
    sold0 = v0 > 0
    p0 = np.where(sold0, per_tonne(b[:, 1], v0), p1)
    d0 = np.where(sold0, per_tonne(b[:, 2], v0), d1)
    c0 = np.where(sold0, per_tonne(b[:, 3], v0), c1)
    n0 = p0 - d0 - c0
    # the base's average netback per tonne in each year (the other's where the base sold none)
    years = np.array([k[0] for k in keys])
    (per_year,), sums = group_sums([years], np.column_stack([n0 * v0, v0, o[:, 4], v1]))
    n0v0_y, v0_y, n1_y, v1_y = sums.T
    avg = np.where(
        v0_y > 0, n0v0_y / np.where(v0_y > 0, v0_y, 1.0), n1_y / np.where(v1_y > 0, v1_y, 1.0)
    )
    nbar0 = avg[np.searchsorted(per_year, years)]
    dv = v1 - v0
    parts = np.column_stack(
        [
            dv * nbar0,
            dv * (n0 - nbar0),
            v1 * (p1 - p0),
            -v1 * (d1 - d0),
            -v1 * (c1 - c0),
            # the exact change, which the parts reproduce up to rounding (tested)
            o[:, 4] - b[:, 4],
        ]
    )
    return years, np.array([k[1] for k in keys], dtype=object), parts


def _summed(flows: Flows) -> tuple[list[tuple[int, str]], np.ndarray]:
    """The flows summed by (year, market) as pandas's ``groupby`` sums them: sorted keys."""
    keys = list(zip(flows[0].tolist(), flows[1].tolist(), strict=True))
    values = np.asarray(flows[2], dtype=float)
    # a comparison's part holds one row a key, sorted: each is a group of one row, whose sum
    # is the row itself (unless it holds a NaN, which the sum skips), with no group-by
    if all(a < b for a, b in itertools.pairwise(keys)) and not np.isnan(values).any():
        return keys, values
    (years, markets), sums = group_sums([flows[0], flows[1]], values)
    return list(zip(years.tolist(), markets.tolist(), strict=True)), sums


def _reindexed(
    keys: list[tuple[int, str]], values: np.ndarray, index: list[tuple[int, str]]
) -> np.ndarray:
    """``values`` (a row per key in ``keys``) on the rows of ``index``, zero where it has none."""
    if keys == index:
        return values
    row = {k: i for i, k in enumerate(keys)}
    out = np.zeros((len(index), values.shape[1]))
    for i, k in enumerate(index):
        j = row.get(k)
        if j is not None:
            out[i] = values[j]
    return out
