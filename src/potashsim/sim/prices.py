"""Market prices by day: the CFR series of a market evaluated over a horizon, USD a tonne."""

from __future__ import annotations

import datetime as dt

import numpy as np

from potashsim.scenario.schema import MarketSpec

__all__ = ["daily_prices"]


def daily_prices(market: MarketSpec, start: dt.date, days: int) -> np.ndarray:
    """Price in USD/t on each day from ``start`` for ``days`` days.

    Before the first quote the first quote holds; ``step`` series hold each quote until the next,
    ``linear`` ones interpolate; after the last quote ``price_after_last_usd_per_t`` holds from the
    day after it (or the last quote itself when that is not given).
    """
    x = np.array([(p.date - start).days for p in market.prices], dtype=float)
    y = np.array([p.usd_per_t for p in market.prices], dtype=float)
    t = np.arange(days, dtype=float)
    if market.interpolation == "linear":
        out: np.ndarray = np.interp(t, x, y)
    else:
        idx = np.searchsorted(x, t, side="right") - 1
        out = y[np.clip(idx, 0, len(y) - 1)]
    if market.price_after_last_usd_per_t is not None:
        out[t > x[-1]] = market.price_after_last_usd_per_t
    return out
