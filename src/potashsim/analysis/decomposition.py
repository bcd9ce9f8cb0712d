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

import numpy as np
import pandas as pd

from potashsim.contract import DECOMPOSITION

__all__ = ["EFFECTS", "FLOWS", "decompose_years"]

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
    keys = ["year", "market"]
    b = base.groupby(keys)[list(FLOWS)].sum()
    o = other.groupby(keys)[list(FLOWS)].sum()
    index = b.index.union(o.index)
    b = b.reindex(index, fill_value=0.0)
    o = o.reindex(index, fill_value=0.0)
    v0, v1 = b["exported_t"].to_numpy(), o["exported_t"].to_numpy()

    def per_tonne(frame: pd.DataFrame, col: str, v: np.ndarray) -> np.ndarray:
        x = frame[col].to_numpy()
        return np.asarray(np.divide(x, v, out=np.zeros_like(x, dtype=float), where=v > 0))

    p1, d1, c1 = (
        per_tonne(o, c, v1) for c in ("market_value_usd", "discount_usd", "logistics_cost_usd")
    )
    sold0 = v0 > 0
    p0 = np.where(sold0, per_tonne(b, "market_value_usd", v0), p1)
    d0 = np.where(sold0, per_tonne(b, "discount_usd", v0), d1)
    c0 = np.where(sold0, per_tonne(b, "logistics_cost_usd", v0), c1)
    n0 = p0 - d0 - c0
    # the base's average netback per tonne in each year (the other's where the base sold none)
    years = index.get_level_values("year")
    frame = pd.DataFrame(
        {
            "year": np.asarray(years),
            "n0v0": n0 * v0,
            "v0": v0,
            "n1": o["netback_usd"].to_numpy(),
            "v1": v1,
        }
    )
    per_year = frame.groupby("year")[["n0v0", "v0", "n1", "v1"]].sum()
    avg = np.where(
        per_year["v0"] > 0,
        per_year["n0v0"] / per_year["v0"].where(per_year["v0"] > 0, 1.0),
        per_year["n1"] / per_year["v1"].where(per_year["v1"] > 0, 1.0),
    )
    avg_by_year = dict(zip(per_year.index, avg, strict=True))
    nbar0 = np.array([avg_by_year[y] for y in years])
    dv = v1 - v0
    out = pd.DataFrame(
        {
            "year": years,
            "market": index.get_level_values("market"),
            "volume_usd": dv * nbar0,
            "mix_usd": dv * (n0 - nbar0),
            "price_usd": v1 * (p1 - p0),
            "discount_usd": -v1 * (d1 - d0),
            "logistics_usd": -v1 * (c1 - c0),
        }
    )
    # the exact change, which the parts reproduce up to rounding (tested)
    out["total_usd"] = o["netback_usd"].to_numpy() - b["netback_usd"].to_numpy()
    return out.reset_index(drop=True)
