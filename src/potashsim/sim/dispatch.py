"""Dispatch: how many tonnes go on which open route to which market in the coming period.

The plan maximises expected netback (price − discount − rail − port − freight, USD a tonne) under
supply, rail-section, terminal and market limits. ``plan_lp`` solves it as a linear program
(HiGHS, through highspy); ``plan_greedy`` fills the best pairs first and is checked against the
LP in the tests. Pairs whose netback is not positive are never planned: that potash stays at the
mine.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class LinearProgram:
    """A dispatch problem as the LP ``max netback·x`` s.t. ``a_ub x <= b_ub``, ``x >= 0``.

    One variable (tonnes) per cell that pays: column ``c`` is step ``step_of[c]`` of option
    ``option_of[c]``, whose (route, market, links) is ``options[option_of[c]]`` and whose
    market limit is ``keys[option_of[c]][step_of[c]]`` (the market itself where that is ``""``).
    ``rows`` names each limit: ``supply``, ``link:<id>``, ``terminal:<route>`` or
    ``market:<key>`` (USD a tonne of its dual is the netback one more tonne of that limit would
    earn in the period). The matrix is held column-wise, every coefficient 1: column ``c``'s
    rows are ``row_index[col_start[c]:col_start[c + 1]]``, ascending (int32 arrays).
    """

    options: Sequence[tuple[str, str, tuple[str, ...]]]
    keys: Sequence[Sequence[str]]
    option_of: np.ndarray
    step_of: np.ndarray
    netback_usd_per_t: np.ndarray
    col_start: np.ndarray
    row_index: np.ndarray
    b_ub: np.ndarray
    rows: tuple[str, ...]

    @property
    def a_ub(self) -> np.ndarray:
        """The matrix, dense (rows × columns)."""
        a_ub = np.zeros((self.b_ub.size, self.netback_usd_per_t.size))
        a_ub[self.row_index, np.repeat(np.arange(a_ub.shape[1]), np.diff(self.col_start))] = 1.0
        return a_ub

    @property
    def pairs(self) -> tuple[Pair, ...]:
        """Each column as a :class:`Pair`."""
        table = PairTable(
            self.options, self.keys, self.option_of, self.step_of, self.netback_usd_per_t
        )
        return tuple(table)


@dataclass(frozen=True, slots=True)
class _LimitIndex:
    """Every limit of a problem numbered in the LP's row order (0 the supply, then ``link_t``,
    ``terminal_t`` and ``market_t`` in their order), and which ones each option's cells draw on.

    ``option_limits[j]``: option ``j``'s supply, links and terminal, ascending, −1 after;
    ``step_limit[j, i]``: the market limit of its step ``i`` (−1 where it has none);
    ``first_market`` the number of the first market limit; ``names`` each limit's row name.
    ``options``, ``keys`` and ``limits`` (the problem's link, terminal and market ids) are what
    it was built from, kept to tell whether it fits another problem.
    """

    options: Sequence[tuple[str, str, tuple[str, ...]]]
    keys: Sequence[Sequence[str]]
    limits: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]
    option_limits: np.ndarray
    step_limit: np.ndarray
    first_market: int
    names: tuple[str, ...]

    @classmethod
    def build(
        cls,
        options: Sequence[tuple[str, str, tuple[str, ...]]],
        keys: Sequence[Sequence[str]],
        limits: tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]],
    ) -> _LimitIndex:
        link_ids, terminal_ids, market_ids = limits
        links = {k: 1 + n for n, k in enumerate(link_ids)}
        terminals = {k: 1 + len(links) + n for n, k in enumerate(terminal_ids)}
        first_market = 1 + len(links) + len(terminals)
        markets = {k: first_market + n for n, k in enumerate(market_ids)}
        # a set: a section a route crossed twice is still one coefficient of 1; a route with
        # no terminal limit adds 0, the supply, which every column has anyway
        own = [
            sorted({0, *(links[k] for k in on if k in links), terminals.get(route, 0)})
            for route, _, on in options
        ]
        option_limits = np.full((len(options), max(map(len, own), default=1)), -1, dtype=np.intp)
        for j, numbers in enumerate(own):
            option_limits[j, : len(numbers)] = numbers
        step_limit = np.full((len(options), max(map(len, keys), default=1)), -1, dtype=np.intp)
        for j, ((_, market, _), steps) in enumerate(zip(options, keys, strict=True)):
            step_limit[j, : len(steps)] = [markets.get(k or market, -1) for k in steps]
        names = (
            "supply",
            *(f"link:{k}" for k in link_ids),
            *(f"terminal:{k}" for k in terminal_ids),
            *(f"market:{k}" for k in market_ids),
        )
        return cls(options, keys, limits, option_limits, step_limit, first_market, names)


# The limit index of the last few tables (the dispatcher's tables of one run share their options
# and steps, so a run's LPs build it once). Keyed by identity; an entry holds its table's options
# and steps, so their ids stay theirs while it is kept.
_INDEXES: dict[tuple[int, int], _LimitIndex] = {}
_INDEXES_KEPT = 8


def _limit_index(
    problem: DispatchProblem,
    options: Sequence[tuple[str, str, tuple[str, ...]]],
    keys: Sequence[Sequence[str]],
) -> _LimitIndex:
    limits = (tuple(problem.link_t), tuple(problem.terminal_t), tuple(problem.market_t))
    if not isinstance(problem.pairs, PairTable):  # options of its own: nothing to share
        return _LimitIndex.build(options, keys, limits)
    found = _INDEXES.get((id(options), id(keys)))
    if found is None or found.options is not options or found.keys is not keys:
        found = None
    if found is None or found.limits != limits:
        found = _LimitIndex.build(options, keys, limits)
        if len(_INDEXES) >= _INDEXES_KEPT:
            del _INDEXES[next(iter(_INDEXES))]
        _INDEXES[(id(options), id(keys))] = found
    return found


def linear_program(problem: DispatchProblem) -> LinearProgram | None:
    """The LP of ``problem``: a row per limit some paying pair draws on (None if nothing pays).

    Limits below zero count as zero; a market's open last tranche (an infinite limit) has no row.
    Columns in the pairs' order; rows the supply, then links, terminals and markets in the
    order of ``link_t``, ``terminal_t`` and ``market_t``.
    """
    pairs = problem.pairs
    if isinstance(pairs, PairTable):  # its cells as they are, without a Pair each
        options, keys = pairs.options, pairs.keys
        option_of = np.asarray(pairs.rows, dtype=np.intp)
        step_of = np.asarray(pairs.cols, dtype=np.intp)
        netback = np.asarray(pairs.netback_usd_per_t, dtype=float)
    else:  # each pair an option of one step
        options = [(p.route, p.market, p.links) for p in pairs]
        keys = [(p.limit,) for p in pairs]
        option_of = np.arange(len(pairs), dtype=np.intp)
        step_of = np.zeros(len(pairs), dtype=np.intp)
        netback = np.array([p.netback_usd_per_t for p in pairs], dtype=float)
    pays = netback > 0
    if not pays.any() or problem.supply_t <= 0:
        return None
    if not pays.all():
        option_of, step_of, netback = option_of[pays], step_of[pays], netback[pays]
    index = _limit_index(problem, options, keys)
    # each column's limits, ascending (the market's number is above the others), −1 for none
    limits = np.concatenate(
        (index.option_limits[option_of], index.step_limit[option_of, step_of][:, None]), axis=1
    )
    bound = np.array(
        [
            problem.supply_t,
            *problem.link_t.values(),
            *problem.terminal_t.values(),
            *problem.market_t.values(),
        ],
        dtype=float,
    )
    # a row per limit drawn on, but none for an open tranche; −1 reads the False at the end
    has_row = np.zeros(bound.size + 1, dtype=bool)
    has_row[limits] = True
    has_row[-1] = False
    has_row[index.first_market : bound.size] &= np.isfinite(bound[index.first_market :])
    entry = has_row[limits]
    numbers = np.flatnonzero(has_row)
    # the matrix's numbers as HiGHS's HighsInt (32 bits), so that they pass without a copy
    row_of = (np.cumsum(has_row) - 1).astype(np.int32)
    col_start = np.zeros(len(netback) + 1, dtype=np.int32)
    np.cumsum(entry.sum(axis=1), out=col_start[1:])
    b = bound[numbers]
    names = index.names
    return LinearProgram(
        options,
        keys,
        option_of,
        step_of,
        netback,
        col_start,
        row_of[limits[entry]],
        np.where(b > 0.0, b, 0.0),  # max(0, limit)
        tuple([names[k] for k in numbers.tolist()]),
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
    passes to HiGHS. The matrix goes to HiGHS as ``lp`` holds it, column-wise.
    """
    import highspy  # only dispatch needs it

    n, m = lp.netback_usd_per_t.size, lp.b_ub.size
    # the bare solver: highspy's Highs wraps it with ten callback holders built per solver, a
    # tenth of a solve, for callbacks (interrupts, logging) never used here
    solver = highspy._Highs()
    for name, value in _HIGHS_OPTIONS:
        solver.setOptionValue(name, value)
    # the model as arrays, which highspy reads in place; a HighsLp's fields are copied from
    # Python number by number (twice the time); every column continuous (integrality 0)
    status = solver.passModel(
        n,
        m,
        lp.row_index.size,
        int(highspy.MatrixFormat.kColwise),
        int(highspy.ObjSense.kMinimize),
        0.0,
        -lp.netback_usd_per_t,
        np.zeros(n),
        np.full(n, highspy.kHighsInf),
        np.full(m, -highspy.kHighsInf),
        lp.b_ub,
        lp.col_start,
        lp.row_index,
        np.ones(lp.row_index.size),
        np.zeros(n, dtype=np.int32),
    )
    if status == highspy.HighsStatus.kError:
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
    x = solved[0]
    options, option_of = lp.options, lp.option_of
    for c in np.flatnonzero(x > 1e-6).tolist():  # tranches of one market add up to its pair's
        route, market, _ = options[option_of[c]]
        plan[(route, market)] = plan.get((route, market), 0.0) + float(x[c])
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
