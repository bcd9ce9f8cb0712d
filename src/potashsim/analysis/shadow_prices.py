"""Shadow prices: what one more unit of each limit would have earned, period by period.

Each dispatch period's problem (``RunTrace.dispatch_problems``, as the dispatcher posed it) is
solved again as a linear program with HiGHS, whichever planner the run used, and the dual of
each limit is read: the netback, USD, that one more tonne of that limit would have added to the
period's plan at the dispatcher's prices. The priority that ranks contract tonnes first
(``COMMITTED_PRIORITY_USD_PER_T``) only orders the dispatcher's plan; here every tonne is valued
at its netback, so a dual is money, never the priority.

In user units (``value_usd``, per period): a rail link's dual × train payload × period days is
the netback of one more train a day on that link for the period; a terminal's, the supply's or a
market's dual × 1e6 × period days / 365 is that of one more Mt a year. Summed over a year's
periods (``potashsim.report.charts.shadow_price_ranking``) it is the netback a year of one more
train a day (or Mt a year) held all year. A limit that does not bind has a dual of 0. When two
limits bind at once on the same flow (a link and its port both full), the LP is degenerate and
may put the value on either.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pandas as pd

from potashsim.contract import COLUMNS, PER_MT_A_YEAR, PER_TRAIN_A_DAY, SHADOW_PRICES
from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.dispatch import DispatchProblem, linear_program, solve_lp, step_key
from potashsim.sim.market import COMMITTED, tranches
from potashsim.sim.processes import COMMITTED_PRIORITY_USD_PER_T
from potashsim.sim.records import RunTrace

__all__ = ["Dual", "period_duals", "shadow_price_table", "shadow_prices"]

_MT = 1e6
# Duals below this (USD a tonne) are solver noise: the limit does not bind.
_TOL_USD_PER_T = 1e-7


@dataclasses.dataclass(frozen=True, slots=True)
class Dual:
    """One limit of one period's LP: ``row`` as :func:`potashsim.sim.dispatch.linear_program`
    names it, its limit and the tonnes the optimal plan puts through it, and its dual (USD of
    netback per extra tonne of the limit in the period, ≥ 0)."""

    row: str
    limit_t: float
    planned_t: float
    shadow_usd_per_t: float


def period_duals(problem: DispatchProblem) -> list[Dual]:
    """Solve ``problem`` as an LP (HiGHS) and return every limit's dual (empty if nothing pays).

    HiGHS minimises, so the LP is ``min −netback·x``; its row duals are
    d(−netback)/d(limit) ≤ 0, and the shadow price is their negative.
    """
    lp = linear_program(problem)
    if lp is None:
        return []
    solved = solve_lp(lp)
    if solved is None:  # x = 0 is feasible and the LP bounded: never happens
        raise RuntimeError("a dispatch period's LP was not solved")
    x, marginals = solved
    duals = -marginals
    planned = lp.a_ub @ x
    return [
        Dual(row, float(b), float(u), float(d) if d > _TOL_USD_PER_T else 0.0)
        for row, b, u, d in zip(lp.rows, lp.b_ub, planned, duals, strict=True)
    ]


def _committed_limits(net: NetworkSpec) -> set[str]:
    """The market limits (:func:`~potashsim.sim.dispatch.step_key`) of contract tonnes, whose
    pairs carry the planning priority on top of their netback."""
    if net.world is None:
        return set()
    period = net.model.dispatch_interval_days
    return {
        step_key(m, i)
        for m, spec in net.markets.items()
        for i, (_width, mr) in enumerate(tranches(spec, net.world, period))
        if mr == COMMITTED
    }


def _at_netback(problem: DispatchProblem, committed: set[str]) -> DispatchProblem:
    """``problem`` with the contract priority taken off the netback of contract tonnes."""
    pairs = tuple(
        p._replace(netback_usd_per_t=p.netback_usd_per_t - COMMITTED_PRIORITY_USD_PER_T)
        if p.limit in committed
        else p
        for p in problem.pairs
    )
    return dataclasses.replace(problem, pairs=pairs)


def _kind_and_id(row: str, net: NetworkSpec) -> tuple[str, str]:
    """``link:ru_nw`` -> (link, ru_nw); ``terminal:klaipeda`` -> (port, klaipeda)."""
    kind, _, fid = row.partition(":")
    if kind == "terminal":
        kind = "port" if fid in net.ports else "border"
    return kind, fid or row


def shadow_price_table(
    problems: Sequence[tuple[int, DispatchProblem]],
    net: NetworkSpec,
    start: dt.date,
) -> pd.DataFrame:
    """The contract's ``shadow_prices.csv``: one row per period and limit of its LP.

    Args:
        problems: ``(day, problem)`` per dispatch period (``RunTrace.dispatch_problems``).
        net: the run's network (train payload, period length, which terminals are ports).
        start: the horizon's first day (day 0).

    Returns:
        ``period_start`` (date), ``period_days``, ``kind`` (``supply``, ``link``, ``port``,
        ``border``, ``market``), ``constraint`` (the id; a market's demand step is
        ``market#step`` with the price response on), ``limit_t`` and ``planned_t`` (t in the
        period), ``shadow_usd_per_t``, ``value_usd`` (netback in the period of one more ``per``)
        and ``per`` (``train/day`` for links, ``Mt/yr`` otherwise; :mod:`potashsim.contract`).
    """
    period = net.model.dispatch_interval_days
    payload = net.model.train_payload_t
    committed = _committed_limits(net)
    records = []
    for day, problem in problems:
        for d in period_duals(_at_netback(problem, committed)):
            kind, fid = _kind_and_id(d.row, net)
            if kind == "link":
                value, per = d.shadow_usd_per_t * payload * period, PER_TRAIN_A_DAY
            else:
                value, per = d.shadow_usd_per_t * _MT * period / 365.0, PER_MT_A_YEAR
            records.append(
                (
                    start + dt.timedelta(days=day),
                    period,
                    kind,
                    fid,
                    d.limit_t,
                    d.planned_t,
                    d.shadow_usd_per_t,
                    value,
                    per,
                )
            )
    return pd.DataFrame.from_records(records, columns=list(COLUMNS[SHADOW_PRICES]))


def shadow_prices(trace: RunTrace, net: NetworkSpec) -> pd.DataFrame:
    """:func:`shadow_price_table` of every period a run recorded."""
    return shadow_price_table(trace.dispatch_problems, net, trace.start)
