"""Dispatch: how many tonnes go on which open route to which market in the coming period.

The plan maximises expected netback (price − discount − rail − port − freight, USD a tonne) under
supply, rail-section, terminal and market limits. ``plan_lp`` solves it as a linear program
(HiGHS, through highspy); ``plan_greedy`` fills the best pairs first and is checked against the
LP in the tests. Pairs whose netback is not positive are never planned: that potash stays at the
mine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

import numpy as np

__all__ = [
    "DispatchProblem",
    "LinearProgram",
    "Pair",
    "PairTable",
    "Plan",
    "linear_program",
    "plan_greedy",
    "plan_lp",
    "solve_lp",
    "step_key",
]

Plan = dict[tuple[str, str], float]
"""Tonnes for the period by (route, market)."""


def step_key(market: str, step: int) -> str:
    """The market limit (``DispatchProblem.market_t`` key) of step ``step`` of ``market``'s
    demand curve, which a pair selling on that step draws on: ``market#step``."""
    return f"{market}#{step}"


class Pair(NamedTuple):
    """A (route, market) option with its netback and the limits it draws on.

    A named tuple, not a dataclass: the dispatcher builds tens of thousands a run, and a tuple
    is built in about half the time."""

    route: str
    market: str
    netback_usd_per_t: float
    links: tuple[str, ...]
    limit: str = ""
    """The key of the market limit it draws on (``market_t``); the market itself by default, one
    tranche of its demand curve with the price response on."""

    @property
    def market_limit(self) -> str:
        """The ``market_t`` key this pair draws on."""
        return self.limit or self.market


class PairTable(Sequence[Pair]):
    """One period's paying pairs as the dispatcher finds them: the (pair, step) cells of a
    table, in order, each with its netback (USD/t). It reads as a sequence of :class:`Pair`,
    built on first read: the greedy planner reads the cells themselves, and only the LP and the
    shadow prices of a comparison's first replication read pairs.

    ``options[j]`` is pair ``j``'s (route, market, links); ``keys[j][i]`` the market limit of
    its step ``i``; ``rows``, ``cols`` and ``netback_usd_per_t`` the cells, one entry each, every
    netback above 0 (the planners skip the others, so the dispatcher never lists them).
    """

    __slots__ = ("_built", "cols", "keys", "netback_usd_per_t", "options", "rows")

    def __init__(
        self,
        options: Sequence[tuple[str, str, tuple[str, ...]]],
        keys: Sequence[Sequence[str]],
        rows: list[int],
        cols: list[int],
        netback_usd_per_t: list[float],
    ) -> None:
        self.options, self.keys = options, keys
        self.rows, self.cols, self.netback_usd_per_t = rows, cols, netback_usd_per_t
        self._built: tuple[Pair, ...] | None = None

    def _pairs(self) -> tuple[Pair, ...]:
        if self._built is None:
            options, keys = self.options, self.keys
            self._built = tuple(
                Pair(options[j][0], options[j][1], value, options[j][2], keys[j][i])
                for j, i, value in zip(self.rows, self.cols, self.netback_usd_per_t, strict=True)
            )
        return self._built

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Pair: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Pair, ...]: ...
    def __getitem__(self, index: int | slice) -> Pair | tuple[Pair, ...]:
        return self._pairs()[index]

    def __eq__(self, other: object) -> bool:
        """Equal to a table or a tuple of the same pairs (what ``pairs`` used to be)."""
        return isinstance(other, (PairTable, tuple)) and tuple(self) == tuple(other)

    def __repr__(self) -> str:
        return f"PairTable({self._pairs()!r})"

    __hash__ = None  # type: ignore[assignment]  # compared by value, like a list


@dataclass(frozen=True, slots=True)
class DispatchProblem:
    """One period's dispatch problem; every limit in tonnes for the period. ``pairs`` is a
    tuple, or the dispatcher's :class:`PairTable`."""

    pairs: Sequence[Pair]
    supply_t: float
    link_t: dict[str, float]
    terminal_t: dict[str, float]
    market_t: dict[str, float]


def _useful(problem: DispatchProblem) -> list[int]:
    return [i for i, p in enumerate(problem.pairs) if p.netback_usd_per_t > 0]


@dataclass(frozen=True, slots=True)
class LinearProgram:
    """A dispatch problem as the LP ``max netback·x`` s.t. ``a_ub x <= b_ub``, ``x >= 0``.

    ``pairs`` are the pairs that pay (one variable each, tonnes); ``rows`` names each limit:
    ``supply``, ``link:<id>``, ``terminal:<route>`` or ``market:<key>`` (USD a tonne of its
    dual is the netback one more tonne of that limit would earn in the period).
    """

    pairs: tuple[Pair, ...]
    netback_usd_per_t: np.ndarray
    a_ub: np.ndarray
    b_ub: np.ndarray
    rows: tuple[str, ...]


def linear_program(problem: DispatchProblem) -> LinearProgram | None:
    """The LP of ``problem``: a row per limit some paying pair draws on (None if nothing pays).

    Limits below zero count as zero; a market's open last tranche (an infinite limit) has no row.
    """
    idx = _useful(problem)
    if not idx or problem.supply_t <= 0:
        return None
    pairs = tuple(problem.pairs[i] for i in idx)
    members: list[list[int]] = []  # the pairs (their numbers) that draw on each row's limit
    bounds: list[float] = []
    names: list[str] = []

    # each limit's row at once, in one pass over the pairs (a scan per limit is quadratic)
    by_link: dict[str, list[int]] = {}
    by_route: dict[str, list[int]] = {}
    by_market: dict[str, list[int]] = {}
    for j, p in enumerate(pairs):
        for link in p.links:
            by_link.setdefault(link, []).append(j)
        by_route.setdefault(p.route, []).append(j)
        by_market.setdefault(p.market_limit, []).append(j)

    def add(name: str, row: list[int], limit: float) -> None:
        members.append(row)
        bounds.append(max(0.0, limit))
        names.append(name)

    add("supply", list(range(len(pairs))), problem.supply_t)
    for link, limit in problem.link_t.items():
        if link in by_link:
            add(f"link:{link}", by_link[link], limit)
    for term, limit in problem.terminal_t.items():
        if term in by_route:
            add(f"terminal:{term}", by_route[term], limit)
    for market, limit in problem.market_t.items():
        if market in by_market and math.isfinite(limit):  # a demand curve's last step is open
            add(f"market:{market}", by_market[market], limit)
    # one scatter for the whole matrix: an array per row and a vstack took a third of the build
    a_ub = np.zeros((len(names), len(pairs)))
    a_ub[
        np.repeat(np.arange(len(names)), [len(m) for m in members]),
        np.fromiter(itertools.chain.from_iterable(members), dtype=np.intp),
    ] = 1.0
    return LinearProgram(
        pairs,
        np.array([p.netback_usd_per_t for p in pairs]),
        a_ub,
        np.array(bounds),
        tuple(names),
    )


# What scipy's ``linprog(method="highs")`` sets, so that HiGHS solves as it did under linprog.
_HIGHS_OPTIONS: tuple[tuple[str, bool | int | str], ...] = (
    ("output_flag", False),
    ("log_to_console", False),
    ("highs_debug_level", 0),
    ("presolve", "on"),
    ("simplex_strategy", 1),  # dual simplex (SimplexStrategy.kSimplexStrategyDual)
)


def solve_lp(lp: LinearProgram) -> tuple[np.ndarray, np.ndarray] | None:
    """Solve ``lp`` with HiGHS: the optimal tonnes per pair and each row's marginal
    d(−netback)/d(limit) (≤ 0: HiGHS minimises ``−netback·x``); None if it was not solved.

    A new solver each call, so that no solve starts from an earlier one's basis. Called through
    highspy, not scipy's ``linprog``: its input checks and conversions took about half of each
    solve; the model (column-wise matrix, bounds, infinities) and the options are those linprog
    passes to HiGHS.
    """
    import highspy  # only dispatch needs it

    n, m = lp.netback_usd_per_t.size, lp.b_ub.size
    # the column-wise (CSC) matrix: a_ub.T in C order runs column by column, rows ascending
    cols, rows = np.nonzero(lp.a_ub.T)
    model = highspy.HighsLp()
    model.num_col_ = n
    model.num_row_ = m
    model.col_cost_ = -lp.netback_usd_per_t
    model.col_lower_ = np.zeros(n)
    model.col_upper_ = np.full(n, highspy.kHighsInf)
    model.row_lower_ = np.full(m, -highspy.kHighsInf)
    model.row_upper_ = lp.b_ub
    matrix = model.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kColwise
    matrix.num_col_ = n
    matrix.num_row_ = m
    matrix.start_ = np.concatenate(([0], np.cumsum(np.bincount(cols, minlength=n))))
    matrix.index_ = rows
    matrix.value_ = lp.a_ub.T[cols, rows]
    solver = highspy.Highs()
    for name, value in _HIGHS_OPTIONS:
        solver.setOptionValue(name, value)
    if solver.passModel(model) == highspy.HighsStatus.kError:
        return None
    solver.run()
    # only an optimum has a solution to read (a bounded feasible LP with x = 0 feasible always has)
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = solver.getSolution()
    return np.array(solution.col_value, dtype=float), np.array(solution.row_dual, dtype=float)


def plan_lp(problem: DispatchProblem) -> Plan:
    """Optimal tonnes per (route, market) for the period (an empty dict if nothing pays)."""
    lp = linear_program(problem)
    solved = None if lp is None else solve_lp(lp)
    if lp is None or solved is None:
        return {}
    plan: dict[tuple[str, str], float] = {}
    for p, x in zip(lp.pairs, solved[0], strict=True):
        if x > 1e-6:  # tranches of one market add up to its pair's tonnes
            plan[(p.route, p.market)] = plan.get((p.route, p.market), 0.0) + float(x)
    return plan


def plan_greedy(problem: DispatchProblem) -> Plan:
    """Fill pairs in order of netback, each as far as every limit it draws on allows."""
    left_supply = problem.supply_t
    link_left = dict(problem.link_t)
    term_left = dict(problem.terminal_t)
    market_left = dict(problem.market_t)
    plan: Plan = {}
    # terminals with room left: once none has any, no remaining pair can get any
    terminals_open = sum(1 for v in term_left.values() if v > 1e-6)
    for route, market, links, key in _best_first(problem.pairs):
        if left_supply <= 1e-6 or terminals_open == 0:
            break  # nothing left to place: the remaining pairs would all get nothing
        term = term_left.get(route, 0.0)
        demand = market_left.get(key, 0.0)
        if term <= 1e-6 or demand <= 1e-6:
            continue  # the room below would be no more than this: skip the links
        room = min(left_supply, term, demand)
        for link in links:
            room = min(room, link_left.get(link, 0.0))
        if room <= 1e-6:
            continue
        plan[(route, market)] = plan.get((route, market), 0.0) + room
        left_supply -= room
        term_left[route] = term - room
        if term - room <= 1e-6:
            terminals_open -= 1
        market_left[key] = demand - room
        for link in links:
            link_left[link] -= room
    return plan


def _best_first(pairs: Sequence[Pair]) -> Iterator[tuple[str, str, tuple[str, ...], str]]:
    """The pairs that pay, best netback first, as (route, market, links, market limit); a
    reverse sort is stable too, so equal netbacks keep the pairs' order. Yielded one at a time:
    the greedy planner stops once nothing is left to place."""
    if isinstance(pairs, PairTable):  # the cells, without building a Pair each
        values, rows, cols = pairs.netback_usd_per_t, pairs.rows, pairs.cols
        options, keys = pairs.options, pairs.keys
        # a table holds the paying cells only (netback > 0)
        for c in sorted(range(len(values)), key=values.__getitem__, reverse=True):
            j = rows[c]
            route, market, links = options[j]
            yield route, market, links, keys[j][cols[c]]
        return
    netbacks = [p.netback_usd_per_t for p in pairs]
    # those that pay first, then the sort: a NaN among the rest would scramble a sort's order
    paying = [i for i, v in enumerate(netbacks) if v > 0]
    for i in sorted(paying, key=netbacks.__getitem__, reverse=True):
        p = pairs[i]
        yield p.route, p.market, p.links, p.limit or p.market
