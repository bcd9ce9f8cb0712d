"""How prices answer back: the world price response, the prices buyers pay, market depth.

Three mechanisms, all pure functions of daily arrays (day 0 is the horizon start):

* **World price response.** The observed series are what buyers paid given the Belarusian supply
  of the reference scenario. A run that exported ΔS t a year more than the reference over the
  trailing window moves every price by ``exp(−ΔS / K)`` (:func:`world_factor`), K from
  :class:`~potashsim.scenario.schema.WorldMarketSpec`: the log-linear solution of
  world demand(P) = rivals' supply(P) + Belarusian supply around the observed point. It is an
  in-run update: the factor on day t depends only on exports before t, so it is causal, needs no
  iteration and cannot fail to converge.
* **Prices as paid** (:func:`paid_prices`). A share of each market's tonnes is bought on term
  contracts and the rest spot. A contract tonne pays the contract in force (the market's own
  series when it is a contract series; the mean spot price over the contract lag when it is a spot
  series); a spot tonne pays the spot price of the day its deal was struck, ``spot_lag_days``
  before delivery (the market's own series, or the world spot market's for a contract series).
* **Market depth** (:func:`depth_factor`, :func:`tranches`). Belarusian tonnes beyond a market's
  ``demand_t_per_year`` (annualised over the trailing window) lower the price of every tonne sold
  there by ``exp(−excess / (switching elasticity × market size))``.

Money is USD a tonne, volumes tonnes (a day or a year, as named).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np

from potashsim.errors import MarketError
from potashsim.scenario.schema import MarketSpec, NetworkSpec, WorldMarketSpec
from potashsim.sim.compiled import compiled
from potashsim.sim.prices import daily_prices

__all__ = [
    "COMMITTED",
    "PriceBook",
    "depth_factor",
    "expected_price",
    "marginal_revenue_factor",
    "numpy_sum",
    "paid_prices",
    "trailing_sum",
    "tranches",
    "window_sums",
    "world_factor",
]

# The dispatcher sees a market's demand curve beyond its demand_t_per_year as at most
# TRANCHE_COUNT steps, each at least TRANCHE_WIDTH of demand_t_per_year wide.
TRANCHE_WIDTH = 0.5
TRANCHE_COUNT = 4
#: Beyond this factor (or below its inverse) the world price response has run away: no supply
#: change Belarus can make moves world prices fifty-fold.
MAX_FACTOR = 50.0
#: The marginal revenue factor that marks a market's contracted tranche (see :func:`tranches`).
COMMITTED = math.inf


def trailing_sum(daily: np.ndarray, window_days: int) -> np.ndarray:
    """Sum of ``daily`` over the ``window_days`` days before each day (that day excluded)."""
    c = np.concatenate(([0.0], np.cumsum(daily, dtype=float)))
    t = np.arange(len(daily))
    return c[t] - c[np.maximum(0, t - window_days)]


def world_factor(
    exported_t: np.ndarray, reference_t: np.ndarray, world: WorldMarketSpec
) -> np.ndarray:
    """Daily price factor from the run's exports against the reference's (tonnes a day each).

    Days before the start count as equal to the reference, so day 0's factor is 1.
    """
    return _factor_of_gap(trailing_sum(exported_t - reference_t, world.window_days), world)


def _factor_of_gap(gap_t: np.ndarray, world: WorldMarketSpec) -> np.ndarray:
    """The factor of each day from ``gap_t``, the tonnes exported beyond the reference over the
    trailing window before it."""
    gap_t_per_year = gap_t * 365.0 / world.window_days
    out: np.ndarray = np.exp(-gap_t_per_year / world.response_t_per_year)
    return out


def _lagged(series: np.ndarray, lag_days: int, pad: int) -> np.ndarray:
    """``series`` (starting ``pad`` days before day 0) read ``lag_days`` earlier, days 0..n-1."""
    return series[pad - lag_days : len(series) - lag_days]


def _trailing_mean(series: np.ndarray, days: int) -> np.ndarray:
    """Mean over the ``days`` days up to and including each day (shorter at the very start)."""
    c = np.concatenate(([0.0], np.cumsum(series, dtype=float)))
    t = np.arange(1, len(series) + 1)
    lo = np.maximum(0, t - days)
    return (c[t] - c[lo]) / (t - lo)


def paid_prices(
    market: MarketSpec,
    own_usd_per_t: np.ndarray,
    world_spot_usd_per_t: np.ndarray,
    factor: np.ndarray,
    pad: int,
    *,
    spot_lag_days: int | None = None,
) -> np.ndarray:
    """The price a tonne delivered on each day pays, before discounts (USD/t), days 0..n-1.

    Args:
        market: the market (its basis, contract share and lags).
        own_usd_per_t: its observed series, daily, starting ``pad`` days before day 0.
        world_spot_usd_per_t: the world spot market's series, on the same days.
        factor: the world price factor on the same days (1 before day 0).
        pad: days before day 0 in the arrays (at least the longest lag).
        spot_lag_days: override of the market's spot lag (0 gives what is known on the day).
    """
    lag = market.spot_lag_days if spot_lag_days is None else spot_lag_days
    own = own_usd_per_t * factor
    if market.price_basis == "spot":
        spot = own
        contract = _trailing_mean(own, market.contract_lag_days)
    else:
        spot = world_spot_usd_per_t * factor
        contract = own
    c = market.contract_share
    spot_paid = _lagged(spot, lag, pad)
    contract_paid = contract[pad:]
    out: np.ndarray = c * contract_paid + (1.0 - c) * spot_paid
    return out


def expected_price(
    market: MarketSpec,
    own_usd_per_t: np.ndarray,
    world_spot_usd_per_t: np.ndarray,
    factor: np.ndarray,
    pad: int,
    day: int,
) -> float:
    """What a tonne sold now will be paid, as known on ``day`` (USD/t).

    The forecast rule is persistence: prices known on ``day`` hold until the sale (the standard
    benchmark for commodity prices, which no simple forecast beats reliably). Only array entries up
    to ``day`` (index ``pad + day``) are read, so later quotes cannot leak into a plan.
    """
    spot_basis = market.price_basis == "spot"
    share, lag = market.contract_share, market.contract_lag_days
    return _expected(own_usd_per_t, world_spot_usd_per_t, factor, pad, day, spot_basis, share, lag)


@compiled
def _expected(
    own_usd_per_t: np.ndarray,
    world_spot_usd_per_t: np.ndarray,
    factor: np.ndarray,
    pad: int,
    day: int,
    spot_basis: bool,
    contract_share: float,
    contract_lag_days: int,
) -> float:
    """:func:`expected_price` of a market given as its basis, contract share and contract lag
    (at least 1 day, as the schema requires); compiled, as the dispatcher asks every period."""
    end = pad + day + 1
    # only the days a contract averages over are read
    start = max(0, end - contract_lag_days)
    if spot_basis:
        own = own_usd_per_t[start:end] * factor[start:end]
        spot_now = own[own.size - 1]
        # the mean of the contract window, summed as numpy sums it
        contract_now = numpy_sum(own, 0, own.size) / own.size
    else:
        spot_now = world_spot_usd_per_t[end - 1] * factor[end - 1]
        contract_now = own_usd_per_t[end - 1] * factor[end - 1]
    c = contract_share
    return float(c * contract_now + (1.0 - c) * spot_now)


@compiled
def _gap_exponents(
    exported_t: np.ndarray,
    reference_t: np.ndarray,
    gap_sum: np.ndarray,
    first: int,
    end: int,
    window_days: float,
    response_t_per_year: float,
) -> np.ndarray:
    """The exponents of the world factor of days ``first``..``end − 1`` (the factor is their
    ``exp``, taken by numpy as :func:`_factor_of_gap` takes it), from the tonnes exported beyond
    the reference over the trailing window before each day; extends ``gap_sum`` (entry ``k``:
    the sum of exported − reference over days 0..k−1) through entry ``end − 1``.

    The operations of :meth:`PriceBook._extend`'s numpy, in its order: ``gap_sum`` accumulated
    day by day as ``cumsum`` does, each day's trailing difference as ``trailing_sum`` takes it,
    annualised and divided by K as :func:`_factor_of_gap` does."""
    for k in range(max(first, 1), end):
        gap_sum[k] = gap_sum[k - 1] + (exported_t[k - 1] - reference_t[k - 1])
    out = np.empty(max(0, end - first))
    window = int(window_days)
    for t in range(first, end):
        gap = gap_sum[t] - gap_sum[max(0, t - window)]
        out[t - first] = -(gap * 365.0 / window_days) / response_t_per_year
    return out


@compiled
def expected_prices(
    own_usd_per_t: np.ndarray,
    spot_row: np.ndarray,
    factor: np.ndarray,
    pad: int,
    day: int,
    spot_basis: np.ndarray,
    contract_share: np.ndarray,
    contract_lag_days: np.ndarray,
) -> np.ndarray:
    """:func:`expected_price` of every market at once (USD/t): row ``m`` of ``own_usd_per_t`` is
    market ``m``'s series, row ``spot_row[m]`` the spot series it reads, and the other arrays
    hold each market's basis, contract share and contract lag."""
    out = np.empty(own_usd_per_t.shape[0])
    for m in range(out.size):
        out[m] = _expected(
            own_usd_per_t[m],
            own_usd_per_t[spot_row[m]],
            factor,
            pad,
            day,
            spot_basis[m],
            contract_share[m],
            contract_lag_days[m],
        )
    return out


@compiled
def numpy_sum(values: np.ndarray, lo: int, hi: int) -> float:
    """``float(values[lo:hi].sum())`` bit for bit: numpy adds a float array's entries pairwise
    (``pairwise_sum_DOUBLE``): a run over 128 long is split in two halves summed apart (the first
    a multiple of 8 long), a run of 8 to 128 is summed by eight accumulators, a shorter one
    entry by entry from −0.0; the reduction starts from 0.0.

    The halves are walked with a stack, not by recursion: numba's disk cache does not load a
    recursive kernel safely (a cached caller crashed).
    """
    # a run of n is split about log2(n / 128) times: 64 levels are more than any array has
    start = np.empty(64, dtype=np.int64)
    size = np.empty(64, dtype=np.int64)
    state = np.empty(64, dtype=np.int64)  # 0: split next, 1: left half summed, 2: both summed
    partial = np.empty(64)  # the sums of the runs finished and not yet added, in order
    start[0], size[0], state[0] = lo, max(0, hi - lo), 0
    top, done = 0, 0
    while top >= 0:
        n = size[top]
        if n <= 128:
            partial[done] = _run_sum(values, start[top], n)
            done += 1
            top -= 1
        elif state[top] < 2:  # sum the next half
            half = n // 2
            half -= half % 8
            if state[top] == 0:
                first, length = start[top], half
            else:
                first, length = start[top] + half, n - half
            state[top] += 1
            top += 1
            start[top], size[top], state[top] = first, length, 0
        else:  # both halves summed: add them, left + right
            done -= 1
            partial[done - 1] = partial[done - 1] + partial[done]
            top -= 1
    return float(0.0 + partial[0])


@compiled
def window_sums(values: np.ndarray, period: int) -> np.ndarray:
    """:func:`numpy_sum` of each row of ``values`` over each window of ``period`` columns from
    column 0 (the last window shorter if ``period`` does not divide the columns): an array over
    (window, row)."""
    rows, days = values.shape
    windows = (days + period - 1) // period
    out = np.empty((windows, rows))
    for w in range(windows):
        lo = w * period
        hi = min(days, lo + period)
        for i in range(rows):
            out[w, i] = numpy_sum(values[i], lo, hi)
    return out


@compiled
def _run_sum(a: np.ndarray, lo: int, n: int) -> float:
    """numpy's sum of a run of at most 128 entries, ``a[lo:lo + n]``."""
    if n < 8:
        res = -0.0  # keeps a sum of −0.0s −0.0, as numpy's does
        for i in range(lo, lo + n):
            res += a[i]
        return float(res)
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    while i < n - n % 8:
        k = lo + i
        r0 += a[k]
        r1 += a[k + 1]
        r2 += a[k + 2]
        r3 += a[k + 3]
        r4 += a[k + 4]
        r5 += a[k + 5]
        r6 += a[k + 6]
        r7 += a[k + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return float(res)


def depth_factor(delivered_t: np.ndarray, market: MarketSpec, world: WorldMarketSpec) -> np.ndarray:
    """Daily price factor (≤ 1) of one market from the Belarusian tonnes delivered there.

    Tonnes delivered in the trailing window up to and including each day, annualised, beyond the
    market's ``demand_t_per_year`` lower the price of every tonne sold there.
    """
    window = world.window_days
    recent = trailing_sum(delivered_t, window) + delivered_t
    excess = np.maximum(0.0, recent * 365.0 / window - market.demand_t_per_year)
    out: np.ndarray = np.exp(-excess / _depth_t_per_year(market, world))
    return out


def _depth_t_per_year(market: MarketSpec, world: WorldMarketSpec) -> float:
    size = market.size_t_per_year or 0.0  # validated present when the response is on
    return world.switching_elasticity * size


def marginal_revenue_factor(
    q_t_per_year: float, market: MarketSpec, world: WorldMarketSpec
) -> float:
    """d(revenue)/dq ÷ price at annual volume q: 1 up to demand_t_per_year, then
    h(q)·(1 − q / depth) where h is the depth factor (every tonne sold pays the lower price) and
    depth = switching elasticity × market size; it reaches zero at q = depth."""
    excess = q_t_per_year - market.demand_t_per_year
    if excess <= 0:
        return 1.0
    depth = _depth_t_per_year(market, world)
    return math.exp(-excess / depth) * (1.0 - q_t_per_year / depth)


def tranches(
    market: MarketSpec, world: WorldMarketSpec, period_days: int
) -> list[tuple[float, float]]:
    """The dispatcher's view of one market for a period: (tonnes, marginal revenue factor) pairs.

    The first tranche is the market's contracted tonnes for the period (its contract share of
    ``demand_t_per_year``), marked with the factor :data:`COMMITTED`: they were sold when the
    contract was signed, so they are delivered first whatever the spot market offers. The second
    is the rest of ``demand_t_per_year`` at the full price. The others, at most
    ``TRANCHE_COUNT``, cover the rest of the demand curve up to the volume where
    the marginal revenue reaches zero (the market's depth: selling more there lowers revenue),
    each at the marginal revenue of its midpoint. No fixed figure caps a market: how much it takes
    follows from its depth, the price and the cost of getting there.
    """
    depth = _depth_t_per_year(market, world)
    base = market.demand_t_per_year
    share = market.contract_share
    # the contract share of the market's tonnes first: COMMITTED marks them for the planner
    out = [
        (share * base * period_days / 365.0, COMMITTED),
        ((1.0 - share) * base * period_days / 365.0, 1.0),
    ]
    if depth <= base:
        return out
    step = max(base * TRANCHE_WIDTH, (depth - base) / TRANCHE_COUNT)
    lo = base
    while lo < depth - 1e-9:
        hi = min(depth, lo + step)
        out.append(
            ((hi - lo) * period_days / 365.0, marginal_revenue_factor((lo + hi) / 2, market, world))
        )
        lo = hi
    return out


class PriceBook:
    """The prices of one run, as the dispatcher sees them during it and the accounts after it.

    Observed series are held from ``pad`` days before the horizon start (so lagged and averaged
    prices exist from day 0). During the run the engine adds each day's exports to
    ``exported_t``; :meth:`expected` reads only what is known on its day. With the price response
    off, or no reference, the world factor is 1 throughout.
    """

    def __init__(
        self,
        net: NetworkSpec,
        start: dt.date,
        days: int,
        reference_t: np.ndarray | None,
    ) -> None:
        self.net, self.days, self.start = net, days, start
        self.responsive = net.model.price_response == "on"
        self.pad = max([m.spot_lag_days + m.contract_lag_days for m in net.markets.values()] or [0])
        first = start - dt.timedelta(days=self.pad)
        self.own = {k: daily_prices(m, first, days + self.pad) for k, m in net.markets.items()}
        self.spot = self.own[net.world.spot_market] if net.world is not None else None
        self.reference_t = reference_t
        self.exported_t = np.zeros(days)
        """Tonnes exported on each day of this run (filled by the engine as it runs)."""
        # The factor of day t reads the exports of the days before t only, which are final once
        # the run is past them: each day's factor is computed once, the first time it is asked
        # for. _gap_sum[k] is the sum of (exported − reference) over days 0..k−1, accumulated
        # in day order as np.cumsum over the whole prefix adds them (world_factor), so every
        # value is the same number world_factor gives.
        self._factor = np.ones(self.pad + days)
        self._gap_sum = np.zeros(days + 1)
        self._known = 0  # days 0.._known−1 of the factor are computed
        # every market's series stacked, and its spot series, basis, contract share and lag, as
        # arrays (built on the first :meth:`expected_all`)
        self._markets: tuple[np.ndarray, ...] | None = None
        self._ones: np.ndarray | None = None
        # the world's window (days, as a float) and response K (t a year), read once a run
        self._response: tuple[float, float] | None = None

    def factor(self, upto_day: int | None = None) -> np.ndarray:
        """The world price factor from ``pad`` days before day 0 through ``upto_day`` (default:
        the whole horizon), from this run's exports before each day: the values
        :func:`world_factor` gives (read-only: the book keeps them)."""
        end = self.days if upto_day is None else upto_day + 1
        if not self.responsive or self.reference_t is None or self.net.world is None:
            return np.ones(self.pad + end)
        if end > self._known:
            self._extend(end, self.net.world)
        out = self._factor[: self.pad + end]
        out.flags.writeable = False
        return out

    def _extend(self, end: int, world: WorldMarketSpec) -> None:
        """Compute the factor of days ``_known``..``end − 1``."""
        assert self.reference_t is not None  # only called with a reference
        if self._response is None:
            self._response = (float(world.window_days), world.response_t_per_year)
        window, response = self._response
        a = self._known
        f = np.exp(
            _gap_exponents(
                self.exported_t, self.reference_t, self._gap_sum, a, end, window, response
            )
        )
        self._check(f, a)
        self._factor[self.pad + a : self.pad + end] = f
        self._known = end

    def _check(self, factor: np.ndarray, first_day: int = 0) -> None:
        """Stop a run whose world price runs away (never a silent wrong answer); ``factor``
        starts on ``first_day``."""
        lo, hi = 1.0 / MAX_FACTOR, MAX_FACTOR
        if factor.size and lo <= factor.min() and factor.max() <= hi:  # NaN fails: looked at
            return
        bad = np.flatnonzero(~((factor >= lo) & (factor <= hi)))
        if bad.size == 0:
            return
        world = self.net.world
        assert world is not None  # only a responsive book with a world computes factors
        day = first_day + int(bad[0])
        raise MarketError(
            f"the world price runs away on {self.start + dt.timedelta(days=day)} (every market): "
            f"the run's exports would move prices by a factor of {factor[int(bad[0])]:.3g}, beyond "
            f"1/{MAX_FACTOR:g}..{MAX_FACTOR:g}. The response is set by K = "
            f"{world.response_t_per_year / 1e6:.3g} Mt a year of supply per factor e; check "
            "world.demand_elasticity, world.rival_supply_elasticity and world.size_t_per_year"
        )

    def expected(self, market: str, day: int, factor: np.ndarray) -> float:
        """The price (before discounts) a tonne sold to ``market`` is expected to fetch, as known
        on ``day``; ``factor`` from :meth:`factor` up to at least ``day``."""
        spec = self.net.markets[market]
        spot = self.spot if self.spot is not None else self.own[market]
        return expected_price(spec, self.own[market], spot, factor, self.pad, day)

    def expected_all(self, day: int) -> np.ndarray:
        """:meth:`expected` of every market on ``day``, in the network's order of markets (one
        compiled call: the dispatcher asks every period)."""
        if self._markets is None:
            names = list(self.net.markets)
            specs = list(self.net.markets.values())
            spot = self.net.world.spot_market if self.net.world is not None else None
            self._markets = (
                np.stack([self.own[k] for k in names]),
                np.array([names.index(spot or k) for k in names], dtype=np.int64),
                np.array([m.price_basis == "spot" for m in specs]),
                np.array([m.contract_share for m in specs], dtype=float),
                np.array([m.contract_lag_days for m in specs], dtype=np.int64),
            )
        own, spot_row, spot_basis, share, lag = self._markets
        world = self.net.world
        if self.responsive and self.reference_t is not None and world is not None:
            if day + 1 > self._known:
                self._extend(day + 1, world)
            factor = self._factor  # the kernel reads no day after ``day``
        else:  # the factor is 1 throughout: one array of ones, not a new one a call
            if self._ones is None:
                self._ones = np.ones(self.pad + self.days)
            factor = self._ones
        return expected_prices(own, spot_row, factor, self.pad, day, spot_basis, share, lag)

    def paid(self, market: str, factor: np.ndarray) -> np.ndarray:
        """What a tonne delivered to ``market`` on each day pays, before discounts (USD/t)."""
        spec = self.net.markets[market]
        if not self.responsive:
            return self.own[market][self.pad :]
        spot = self.spot if self.spot is not None else self.own[market]
        return paid_prices(spec, self.own[market], spot, factor, self.pad)
