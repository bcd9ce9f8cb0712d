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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

import numpy as np

from potashsim.sim.compiled import compiled

__all__ = [
    "DispatchProblem",
    "LinearProgram",
    "Pair",
    "PairTable",
    "Plan",
    "greedy_tonnes",
    "linear_program",
    "plan_cells",
    "plan_greedy",
    "plan_lp",
    "solve_lp",
    "stable_order",
    "step_key",
    "whole_trains",
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
    netback above 0 (the planners skip the others, so the dispatcher never lists them). They are
    lists or, as the dispatcher's compiled planning returns them, numpy arrays (the pairs read
    them as Python numbers either way).
    """

    __slots__ = ("_built", "cols", "keys", "netback_usd_per_t", "options", "rows")

    def __init__(
        self,
        options: Sequence[tuple[str, str, tuple[str, ...]]],
        keys: Sequence[Sequence[str]],
        rows: Sequence[int] | np.ndarray,
        cols: Sequence[int] | np.ndarray,
        netback_usd_per_t: Sequence[float] | np.ndarray,
    ) -> None:
        self.options, self.keys = options, keys
        self.rows, self.cols, self.netback_usd_per_t = rows, cols, netback_usd_per_t
        self._built: tuple[Pair, ...] | None = None

    def _pairs(self) -> tuple[Pair, ...]:
        if self._built is None:
            options, keys = self.options, self.keys
            rows, cols, values = (
                x.tolist() if isinstance(x, np.ndarray) else x
                for x in (self.rows, self.cols, self.netback_usd_per_t)
            )
            self._built = tuple(
                Pair(options[j][0], options[j][1], value, options[j][2], keys[j][i])
                for j, i, value in zip(rows, cols, values, strict=True)
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
    """Fill pairs in order of netback, each as far as every limit it draws on allows (the
    pairs that pay only; equal netbacks in the pairs' order). The plan lists the pairs in the
    order they were first filled."""
    pairs = problem.pairs
    if isinstance(pairs, PairTable):  # the cells, without building a Pair each
        options, keys = pairs.options, pairs.keys
        cells = [(*options[j], keys[j][i]) for j, i in zip(pairs.rows, pairs.cols, strict=True)]
        values = pairs.netback_usd_per_t
    else:
        cells = [(p.route, p.market, p.links, p.market_limit) for p in pairs]
        values = [p.netback_usd_per_t for p in pairs]
    # names as indices; a name a problem has no limit for reads the extra 0 at the end
    plans: dict[tuple[str, str], int] = {}
    terminals = {k: i for i, k in enumerate(problem.terminal_t)}
    markets = {k: i for i, k in enumerate(problem.market_t)}
    links = {k: i for i, k in enumerate(problem.link_t)}
    width = max((len(c[2]) for c in cells), default=0)
    link_rows = np.full((len(cells), width), -1, dtype=np.int64)  # each cell's own row
    for c, (_, _, on, _) in enumerate(cells):
        link_rows[c, : len(on)] = [links.get(k, len(links)) for k in on]
    tonnes, placed = greedy_tonnes(
        np.array(values, dtype=float),
        np.array([plans.setdefault(c[:2], len(plans)) for c in cells], dtype=np.int64),
        np.array([terminals.get(c[0], len(terminals)) for c in cells], dtype=np.int64),
        np.array([markets.get(c[3], len(markets)) for c in cells], dtype=np.int64),
        np.arange(len(cells), dtype=np.int64),
        link_rows,
        float(problem.supply_t),
        np.array([*problem.terminal_t.values(), 0.0]),
        np.array([*problem.market_t.values(), 0.0]),
        np.array([*problem.link_t.values(), 0.0]),
        len(plans),
    )
    names, amounts = list(plans), tonnes.tolist()
    return {names[k]: amounts[k] for k in placed.tolist()}


@compiled
def greedy_tonnes(
    netback_usd_per_t: np.ndarray,
    plan: np.ndarray,
    terminal: np.ndarray,
    market: np.ndarray,
    links_of: np.ndarray,
    link_rows: np.ndarray,
    supply_t: float,
    terminal_t: np.ndarray,
    market_t: np.ndarray,
    link_t: np.ndarray,
    plans: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The greedy plan of cells given by index: cell ``c`` (netback ``netback_usd_per_t[c]``)
    adds its tonnes to plan entry ``plan[c]`` (of ``plans``) and draws on terminal limit
    ``terminal[c]``, market limit ``market[c]`` and the link limits listed in row
    ``links_of[c]`` of ``link_rows`` (−1 after the last). Limits are tonnes; the arrays are not
    changed.

    Returns the tonnes of every plan entry and the entries filled, in the order first filled.
    Cells that do not pay (netback not above 0, NaN included) are never filled; the others are
    filled best first, equal netbacks in the cells' order, each as far as every limit allows.
    """
    paying = np.flatnonzero(netback_usd_per_t > 0)
    # a stable sort on the negated netbacks: best first, ties in the cells' order
    order = paying[stable_order(-netback_usd_per_t[paying])]
    left_supply = supply_t
    term_left, market_left, link_left = terminal_t.copy(), market_t.copy(), link_t.copy()
    tonnes = np.zeros(plans)
    placed = np.empty(plans, dtype=np.int64)
    filled = np.zeros(plans, dtype=np.bool_)
    count = 0
    # terminals with room left: once none has any, no remaining cell can get any
    terminals_open = 0
    for v in term_left:
        if v > 1e-6:
            terminals_open += 1
    for c in order:
        if left_supply <= 1e-6 or terminals_open == 0:
            break  # nothing left to place: the remaining cells would all get nothing
        route, key = terminal[c], market[c]
        term, demand = term_left[route], market_left[key]
        if term <= 1e-6 or demand <= 1e-6:
            continue  # the room below would be no more than this: skip the links
        # min() as Python's: the first of equal values
        room = left_supply
        if term < room:
            room = term
        if demand < room:
            room = demand
        row = link_rows[links_of[c]]
        for link in row:
            if link < 0:
                break
            if link_left[link] < room:
                room = link_left[link]
        if room <= 1e-6:
            continue
        k = plan[c]
        if not filled[k]:
            filled[k] = True
            placed[count] = k
            count += 1
        tonnes[k] += room
        left_supply -= room
        term_left[route] = term - room
        if term - room <= 1e-6:
            terminals_open -= 1
        market_left[key] = demand - room
        for link in row:
            if link < 0:
                break
            link_left[link] -= room
    return tonnes, placed[:count]


@compiled
def stable_order(keys: np.ndarray) -> np.ndarray:
    """The indices that sort ``keys`` (no NaN) ascending, equal keys in their order: what
    ``sorted(range(n), key=keys.__getitem__)`` gives. Runs of 16 sorted by insertion, then
    merged pairwise; several times faster than numba's ``argsort(kind="mergesort")`` on the
    hundred or so keys of a period."""
    n = keys.size
    src = np.arange(n)
    for lo in range(0, n, 16):
        hi = min(lo + 16, n)
        for i in range(lo + 1, hi):
            x = src[i]
            key = keys[x]
            j = i - 1
            while j >= lo and keys[src[j]] > key:  # only a larger key moves: stable
                src[j + 1] = src[j]
                j -= 1
            src[j + 1] = x
    dst = np.empty(n, dtype=src.dtype)
    width = 16
    while width < n:
        for lo in range(0, n, 2 * width):
            mid, hi = min(lo + width, n), min(lo + 2 * width, n)
            i, j = lo, mid
            for out in range(lo, hi):
                # the right run's entry goes first only if its key is smaller: stable
                if j < hi and (i >= mid or keys[src[j]] < keys[src[i]]):
                    dst[out] = src[j]
                    j += 1
                else:
                    dst[out] = src[i]
                    i += 1
        src, dst = dst, src
        width *= 2
    return src


@compiled
def plan_cells(
    rows: np.ndarray,
    cols: np.ndarray,
    netback_usd_per_t: np.ndarray,
    limit: np.ndarray,
    route_of: np.ndarray,
    link_rows: np.ndarray,
    supply_t: float,
    terminal_t: np.ndarray,
    market_t: np.ndarray,
    link_t: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The greedy plan (:func:`greedy_tonnes`) of a :class:`PairTable`'s cells given as arrays
    (pair ``rows[c]``, step ``cols[c]``, netback ``netback_usd_per_t[c]``): each draws on the
    market limit ``limit[pair, step]``, the terminal limit ``route_of[pair]`` and the link
    limits in row ``pair`` of ``link_rows`` (−1 after the last), positions in the arrays
    ``market_t``, ``terminal_t`` and ``link_t`` (the problem's dicts' values, in order).

    Returns the tonnes of every pair (``route_of``'s length) and which pairs the plan uses:
    what :func:`plan_greedy` gives for the same problem, by pair number."""
    terminal = np.empty(rows.size, dtype=np.int64)
    market = np.empty(rows.size, dtype=np.int64)
    for c in range(rows.size):
        terminal[c] = route_of[rows[c]]
        market[c] = limit[rows[c], cols[c]]
    pairs = route_of.size
    tonnes, placed = greedy_tonnes(
        netback_usd_per_t,
        rows,
        terminal,
        market,
        rows,
        link_rows,
        supply_t,
        terminal_t,
        market_t,
        link_t,
        pairs,
    )
    planned = np.zeros(pairs, dtype=np.bool_)
    planned[placed] = True
    return tonnes, planned


@compiled
def whole_trains(
    tonnes: np.ndarray,
    planned: np.ndarray,
    carry_t: np.ndarray,
    by_name: np.ndarray,
    payload_t: float,
    day: int,
    period: int,
    committed_t: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """The whole trains of a plan (``tonnes`` by pair number, ``planned`` the pairs it uses)
    of ``payload_t`` each, and when they leave in the ``period`` days from ``day``.

    A pair's tonnes plus what it carried make whole trains; the fraction of a train left over is
    carried to its next period (``carry_t``, by pair, updated in place; 0 for a pair the plan
    does not use). The trains are spread evenly over the period and each pair's evenly among
    them: a train's slot is (i + ½)/n for its pair's n trains, equal slots in the order of the
    pairs' (route, market), ``by_name``.

    Returns each train's pair and departure day, in departure order, and ``committed_t`` plus
    a payload per train, added one train at a time.
    """
    counts = np.zeros(tonnes.size, dtype=np.int64)
    total = 0
    slots = 0
    for j in range(tonnes.size):
        if not planned[j]:
            carry_t[j] = 0.0
    for j in by_name:
        if planned[j]:
            whole = carry_t[j] + tonnes[j]
            n = math.floor(whole / payload_t + 1e-9)
            carry_t[j] = whole - n * payload_t
            counts[j] = n
            total += n
            if n > 0:
                slots += n
    spacing = period / max(1, total)
    slot = np.empty(slots)
    option = np.empty(slots, dtype=np.int64)
    s = 0
    for j in by_name:
        n = counts[j]
        for i in range(n):
            slot[s] = (i + 0.5) / n
            option[s] = j
            s += 1
    # stable: equal slots stay in the options' (route, market) order
    trains = option[stable_order(slot)]
    starts = np.empty(slots)
    for i in range(slots):
        committed_t += payload_t  # train by train, as the tonnes were always added
        starts[i] = day + i * spacing
    return trains, starts, committed_t
