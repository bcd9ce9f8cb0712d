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

import numpy as np
import pandas as pd

from potashsim.contract import COLUMNS, PER_MT_A_YEAR, PER_TRAIN_A_DAY, SHADOW_PRICES
from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.dispatch import (
    DispatchProblem,
    LinearProgram,
    PairTable,
    linear_program,
    solve_lp,
    step_key,
)
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


#: The solutions of a run's LPs so far, by everything HiGHS is given of each (costs, limits,
#: matrix, row names): a period posing the same LP as an earlier one (a third of ``history``'s,
#: its closures steady for months) takes that one's solution, which HiGHS, given the same model
#: by a new solver, would find again to the last bit.
_Seen = dict[tuple[bytes, bytes, bytes, bytes, tuple[str, ...]], tuple[np.ndarray, np.ndarray]]


def _solved(
    problem: DispatchProblem, seen: _Seen | None = None
) -> tuple[LinearProgram, np.ndarray, np.ndarray] | None:
    """The LP of ``problem`` (None if nothing pays), the tonnes its optimal plan puts through
    each row's limit and each row's dual as :func:`period_duals` reports it; an LP already in
    ``seen`` is not solved again, and a new one is added to it."""
    lp = linear_program(problem)
    if lp is None:
        return None
    if seen is None:
        return _solve(lp)
    key = (
        lp.netback_usd_per_t.tobytes(),
        lp.b_ub.tobytes(),
        lp.col_start.tobytes(),
        lp.row_index.tobytes(),
        lp.rows,
    )
    if key not in seen:
        seen[key] = _solve(lp)[1:]
    return (lp, *seen[key])


def _solve(lp: LinearProgram) -> tuple[LinearProgram, np.ndarray, np.ndarray]:
    solved = solve_lp(lp)
    if solved is None:  # x = 0 is feasible and the LP bounded: never happens
        raise RuntimeError("a dispatch period's LP was not solved")
    x, marginals = solved
    duals = -marginals
    # dense, as the planned tonnes always were: a sparse sum would add in another order
    return lp, lp.a_ub @ x, np.where(duals > _TOL_USD_PER_T, duals, 0.0)


def period_duals(problem: DispatchProblem) -> list[Dual]:
    """Solve ``problem`` as an LP (HiGHS) and return every limit's dual (empty if nothing pays).

    HiGHS minimises, so the LP is ``min −netback·x``; its row duals are
    d(−netback)/d(limit) ≤ 0, and the shadow price is their negative.
    """
    found = _solved(problem)
    if found is None:
        return []
    lp, planned, shadow = found
    return [
        Dual(row, b, u, d)
        for row, b, u, d in zip(
            lp.rows, lp.b_ub.tolist(), planned.tolist(), shadow.tolist(), strict=True
        )
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


_Flags = dict[int, tuple[Sequence[Sequence[str]], np.ndarray]]


def _at_netback(problem: DispatchProblem, committed: set[str], flags: _Flags) -> DispatchProblem:
    """``problem`` with the contract priority taken off the netback of contract tonnes.

    ``flags`` keeps, by the id of a table's steps (the dispatcher's tables of one run share
    them), which of its (pair, step) cells are contract tonnes: one array operation a period.
    """
    pairs = problem.pairs
    if not committed:
        return problem
    if not isinstance(pairs, PairTable):
        return dataclasses.replace(
            problem,
            pairs=tuple(
                p._replace(netback_usd_per_t=p.netback_usd_per_t - COMMITTED_PRIORITY_USD_PER_T)
                if p.limit in committed
                else p
                for p in pairs
            ),
        )
    kept = flags.get(id(pairs.keys))
    if kept is None or kept[0] is not pairs.keys:
        steps = pairs.keys
        flag = np.zeros((len(steps), max(map(len, steps), default=1)), dtype=bool)
        for j, keys in enumerate(steps):
            flag[j, : len(keys)] = [k in committed for k in keys]
        kept = flags[id(steps)] = (steps, flag)
    rows = np.asarray(pairs.rows, dtype=np.intp)
    cols = np.asarray(pairs.cols, dtype=np.intp)
    netback = np.asarray(pairs.netback_usd_per_t, dtype=float)
    netback = np.where(kept[1][rows, cols], netback - COMMITTED_PRIORITY_USD_PER_T, netback)
    return dataclasses.replace(
        problem, pairs=PairTable(pairs.options, pairs.keys, rows, cols, netback)
    )


def _labels(row: str, net: NetworkSpec) -> tuple[str, str, bool]:
    """A row's kind and id, and whether it is a rail link's: ``link:ru_nw`` -> (link, ru_nw,
    True); ``terminal:klaipeda`` -> (port, klaipeda, False); ``supply`` -> (supply, supply,
    False)."""
    kind, _, fid = row.partition(":")
    if kind == "terminal":
        kind = "port" if fid in net.ports else "border"
    return kind, fid or row, kind == "link"


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
    flags: _Flags = {}
    seen: _Seen = {}
    days: list[int] = []
    sizes: list[int] = []
    rows: list[str] = []
    limit: list[np.ndarray] = []
    planned: list[np.ndarray] = []
    shadow: list[np.ndarray] = []
    for day, problem in problems:
        found = _solved(_at_netback(problem, committed, flags), seen)
        if found is None:
            continue
        lp, through, dual = found
        days.append(day)
        sizes.append(len(lp.rows))
        rows.extend(lp.rows)
        limit.append(lp.b_ub)
        planned.append(through)
        shadow.append(dual)
    if not rows:
        return pd.DataFrame.from_records([], columns=list(COLUMNS[SHADOW_PRICES]))
    labels = {row: _labels(row, net) for row in dict.fromkeys(rows)}
    kind, fid, link = zip(*[labels[row] for row in rows], strict=True)
    on_link = np.array(link, dtype=bool)
    shadow_usd_per_t = np.concatenate(shadow)
    dates = np.empty(len(days), dtype=object)
    dates[:] = [start + dt.timedelta(days=day) for day in days]
    # both values for every row, then the one of its kind: each the same operations, in the
    # same order, as it was row by row
    value = np.where(
        on_link,
        shadow_usd_per_t * payload * period,
        shadow_usd_per_t * _MT * period / 365.0,
    )
    columns = (
        np.repeat(dates, sizes),
        np.full(len(rows), period, dtype=np.int64),
        list(kind),
        list(fid),
        np.concatenate(limit),
        np.concatenate(planned),
        shadow_usd_per_t,
        value,
        np.where(on_link, PER_TRAIN_A_DAY, PER_MT_A_YEAR).tolist(),
    )
    return pd.DataFrame(dict(zip(COLUMNS[SHADOW_PRICES], columns, strict=True)))


def shadow_prices(trace: RunTrace, net: NetworkSpec) -> pd.DataFrame:
    """:func:`shadow_price_table` of every period a run recorded."""
    return shadow_price_table(trace.dispatch_problems, net, trace.start)
