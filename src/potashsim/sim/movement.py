"""The fast granularity's movement, compiled: the days of one dispatch period in one call.

:func:`advance` runs the days that :mod:`potashsim.sim.flows` describes (the mines' day, batches
boarding and running their rail leg through the sections' token buckets, arrivals at borders and
ports, ports unloading trains, releasing ship lots and loading ships) on numbers and arrays; the
driver in :mod:`potashsim.sim.flows` plans each period in Python, hands the plan over, and turns
the arrays back into the trace. Every rule here does the same floating-point operations in the
same order as the Python it replaced, so a run gives the same numbers to the last bit.

Three rules also exist in Python for the train level, which keeps its dicts and SimPy processes:
:func:`produce` and :func:`take` (:meth:`~potashsim.sim.processes.MineYard.produce` and
:meth:`~potashsim.sim.processes.MineYard.take`) and :func:`lots_to_release`
(:func:`potashsim.sim.processes.lots_to_release`). tests/test_movement.py checks that each pair
agrees on random inputs; change both or neither. The token bucket's refill, :func:`refill`, is
one function both levels call: plain Python at the train level, compiled into the kernel here.

Record layouts (rows of int arrays; ``next`` links a row to the next one in its queue, -1 ends):

* an arrival (``arrivals``): next, route, dispatch day, n, then n markets and n train counts;
* a run of trains waiting at a port (``waiting``): next, market, dispatch day, trains;
* a ship lot (``lots``): next, market, dispatch day, terminal day, released day, with its
  tonnes and tonnes left to load in ``lot_t`` (float);
* a delivery (``deliveries``): dispatch, terminal, load and delivered day, terminal, market,
  with its tonnes in ``delivered_t`` (float).

Days are indices from the horizon start; tonnes are t; a route, market, link, mine, port or
terminal is its index in the order :mod:`potashsim.sim.flows` lists them (terminals: the ports,
then the borders).
"""

from __future__ import annotations

import numpy as np

from potashsim.sim.compiled import compiled, compiled_flat, inlined, shared

__all__ = [
    "ARRIVALS",
    "BERTH_PEAKS",
    "COMMITTED",
    "DELIVERIES",
    "IN_TRANSIT",
    "LOTS",
    "STOCK_PEAKS",
    "TOKEN_TOL",
    "WAITING",
    "advance",
    "link_room",
    "lots_to_release",
    "offered_t",
    "period_limits",
    "produce",
    "refill",
    "take",
]

_EPS = 1e-6
#: A gate's bucket holds a whole token when it is within this of one (its refills are sums of
#: fractions of a day's capacity); the train level's gates count tokens by the same margin.
TOKEN_TOL = 1e-9

# slots of ``counts``: rows used in each record array, peaks set so far (the trace's dicts keep
# the order in which each port first set one)
ARRIVALS, LOTS, WAITING, DELIVERIES, STOCK_PEAKS, BERTH_PEAKS = 0, 1, 2, 3, 4, 5
# slots of ``acc``: tonnes on trains or in a ship still loading, tonnes planned but not loaded
IN_TRANSIT, COMMITTED = 0, 1


@shared
def refill(tokens: float, last_day: int, day: int, capacity: float) -> float:
    """A section's token bucket on ``day``, last refilled on ``last_day`` (-1: never): the
    tokens held plus ``capacity`` trains a day since then, at most ``max(1, capacity)``."""
    gap = day - last_day if last_day >= 0 else 1
    full = capacity if capacity > 1.0 else 1.0  # max(1.0, capacity), as Python picks
    more = tokens + capacity * gap
    return more if more < full else full  # min(full, more), as Python picks


@shared
def link_room(capacity: float, waiting: int, period: int, payload_t: float) -> float:
    """Tonnes a rail section can take in a ``period`` of days from a day it runs ``capacity``
    trains a day, with ``waiting`` trains queued at its entry.

    A queue of about a day keeps a section busy despite the spread of arrival times; trains
    queued beyond that take this period's slots first, so the queue cannot grow for ever."""
    # max(0.0, x) and max(1.0, cap) as conditionals: the same numbers, a third of the time
    beyond = waiting - (capacity if capacity > 1.0 else 1.0)
    room = capacity * period - (beyond if beyond > 0.0 else 0.0)
    return (room if room > 0.0 else 0.0) * payload_t


@shared
def offered_t(stock_t: float, produce_t: float, domestic_t: float, committed_t: float) -> float:
    """What the mines can offer a period's plan, t: their stock now plus the period's planned
    output, less domestic sales and the tonnes already committed to trains (0 at least)."""
    left = stock_t + produce_t - domestic_t - committed_t
    return left if left > 0.0 else 0.0  # max(0.0, left), as Python picks


@inlined
def take(stock: np.ndarray, tonnes: float, order: np.ndarray) -> float:
    """Take up to ``tonnes`` from the mines' ``stock`` (t by mine), largest stock first (ties:
    the first mine); return what was taken. ``order`` is room for one index per mine. The
    compiled twin of ``MineYard.take``."""
    n = stock.shape[0]
    first = 0
    for i in range(1, n):
        if stock[i] > stock[first]:
            first = i
    if stock[first] >= tonnes:  # the usual case: the largest stock covers it
        stock[first] -= tonnes
        return tonnes
    # mines by stock, largest first, equal stocks in mine order (Python's stable sort)
    for i in range(n):
        order[i] = i
    for i in range(1, n):
        j, mine = i, order[i]
        while j > 0 and stock[order[j - 1]] < stock[mine]:
            order[j] = order[j - 1]
            j -= 1
        order[j] = mine
    taken = 0.0
    for i in range(n):
        mine = order[i]
        rest = tonnes - taken
        part = stock[mine] if stock[mine] < rest else rest
        stock[mine] -= part
        taken += part
        if tonnes - taken <= _EPS:
            break
    return taken


@inlined
def produce(
    day: int,
    stock: np.ndarray,
    storage_t: np.ndarray,
    output_t: np.ndarray,
    domestic_t_per_day: float,
    yard_t: np.ndarray,
    order: np.ndarray,
) -> None:
    """One day at the mines: every mine (``output_t``: mine by day) produces into its storage,
    curtailing what does not fit, then domestic buyers take their share (:func:`take`). Adds
    to ``yard_t``'s rows produced, curtailed and domestic on ``day`` (``order``: room for one
    index per mine). The compiled twin of ``MineYard.produce``."""
    produced, curtailed = yard_t[0, day], yard_t[1, day]
    for i in range(stock.shape[0]):
        planned = output_t[i, day]
        room = storage_t[i] - stock[i]
        fits = room if room > 0.0 else 0.0
        made = fits if fits < planned else planned
        stock[i] += made
        produced += made
        curtailed += planned - made
    yard_t[0, day], yard_t[1, day] = produced, curtailed
    yard_t[2, day] = take(stock, domestic_t_per_day, order)


@inlined
def lots_to_release(
    pending_t: np.ndarray,
    order: np.ndarray,
    n_order: int,
    market: int,
    lot_t: float,
    room_t: float,
    payload_t: float,
    lot_market: np.ndarray,
    lot_tonnes: np.ndarray,
) -> int:
    """The ship lots a port starts after a train for ``market`` unloaded: every full lot pending
    for ``market``, then, when the next train (``payload_t``) would not fit in the ``room_t``
    left, the largest part-lot (ties: the market that first had tonnes pending; ``order`` lists
    the markets in that order, ``n_order`` of them). Takes them out of ``pending_t`` (by
    market), writes them to ``lot_market`` and ``lot_tonnes`` and returns how many. The compiled
    twin of :func:`potashsim.sim.processes.lots_to_release`."""
    n = 0
    while pending_t[market] >= lot_t - _EPS:
        if n >= lot_market.shape[0]:
            raise RuntimeError("movement: more ship lots from one train than reserved")
        pending_t[market] -= lot_t
        lot_market[n], lot_tonnes[n] = market, lot_t
        n += 1
    if room_t < payload_t:
        part_market = order[0]
        for i in range(1, n_order):
            if pending_t[order[i]] > pending_t[part_market]:
                part_market = order[i]
        part = pending_t[part_market]
        if part > _EPS:
            if n >= lot_market.shape[0]:
                raise RuntimeError("movement: more ship lots from one train than reserved")
            pending_t[part_market] = 0.0
            lot_market[n], lot_tonnes[n] = part_market, part
            n += 1
    return n


@inlined
def stock_sum(stock: np.ndarray, compensated: bool) -> float:
    """``sum()`` of the stocks as this Python computes it: left to right, or (``compensated``,
    Python 3.12 on) with Neumaier's compensation, as CPython's ``sum`` of floats does."""
    n = stock.shape[0]
    if n == 0:
        return 0.0
    total: float = 0.0 + stock[0]
    if not compensated:
        for i in range(1, n):
            total += stock[i]
        return total
    c = 0.0
    for i in range(1, n):
        x = stock[i]
        t = total + x
        if abs(total) >= abs(x):
            c += (total - t) + x
        else:
            c += (x - t) + total
        total = t
    if c != 0.0 and np.isfinite(c):
        total += c
    return total


@compiled
def period_limits(
    day: int,
    period: int,
    stock: np.ndarray,
    compensated: bool,
    produce_t: float,
    domestic_t: float,
    committed_t: float,
    capacity: np.ndarray,
    queue: np.ndarray,
    payload_t: float,
    link_t: np.ndarray,
) -> float:
    """The limits of the plan on ``day`` as the fast layer's arrays hold the state: writes each
    link's room (:func:`link_room`; ``capacity``: link by day, ``queue``: trains waiting at each
    entry) into ``link_t`` and returns what the mines offer (:func:`offered_t`; ``stock`` by
    mine, summed as this Python's ``sum`` would: :func:`stock_sum`). ``produce_t``: the
    period's planned output, ``domestic_t`` its domestic sales, ``committed_t`` the tonnes of
    trains planned and not yet loaded."""
    for g in range(link_t.shape[0]):
        link_t[g] = link_room(capacity[g, day], queue[g], period, payload_t)
    return offered_t(stock_sum(stock, compensated), produce_t, domestic_t, committed_t)


@inlined
def _admit(
    gate: int,
    day: int,
    trains: int,
    tokens: np.ndarray,
    gate_day: np.ndarray,
    capacity: np.ndarray,
) -> int:
    """Take up to ``trains`` of ``gate``'s tokens on ``day``; return how many were there."""
    if day != gate_day[gate]:
        last = capacity.shape[1] - 1
        cap = capacity[gate, day if day <= last else last]
        tokens[gate] = refill(tokens[gate], gate_day[gate], day, cap)
        gate_day[gate] = day
    have = int(tokens[gate] + TOKEN_TOL)
    n = have if have < trains else trains
    tokens[gate] -= n
    return n


@inlined
def _rail_leg(
    leg: np.ndarray,
    n: int,
    t: float,
    days: int,
    spread: float,
    tokens: np.ndarray,
    gate_day: np.ndarray,
    capacity: np.ndarray,
    transit_days: np.ndarray,
    entered: np.ndarray,
    wait_days: np.ndarray,
    queue_change: np.ndarray,
    draws: np.ndarray,
    drawn: np.ndarray,
    n_draws: np.ndarray,
) -> float:
    """Run ``n`` trains leaving at time ``t`` through the sections ``leg`` (link indices, -1
    pads); return when the last of them reaches the terminal (``days`` or later if they are
    still on the rail at the horizon's end).

    At each section the trains take tokens, waiting whole days for them (counted in
    ``queue_change``, link by day: the change from the day before in the trains waiting at the
    entry, so that a wait of many days costs two additions), and the batch runs the section in
    one transit time drawn from the link's stream (``draws``, link by draw; ``drawn`` counts
    those used, ``n_draws`` those there)."""
    for j in range(leg.shape[0]):
        g = leg[j]
        if g < 0:
            break
        arrived = t
        first = int(t)
        day = first
        if day < gate_day[g]:  # the section is booked up to its clock: wait for it
            day = gate_day[g]
        left = n
        at = t
        while True:
            k = _admit(g, day, left, tokens, gate_day, capacity)
            if k:
                at = t if day == first else float(day)
                entered[g, day] += k
                wait_days[g, day] += k * (at - arrived)
                if day > first:  # they were at the entry, waiting, on days first to day - 1
                    queue_change[g, first] += k
                    queue_change[g, day] -= k
                left -= k
                if not left:
                    break
            day += 1
            if day >= days:
                queue_change[g, first] += left
                queue_change[g, days] -= left
                return float(days)  # waits at the entry beyond the horizon
        factor = 1.0
        if spread:
            if drawn[g] >= n_draws[g]:
                raise RuntimeError("movement: more transit draws than reserved")
            factor = 1.0 + spread * (2.0 * draws[g, drawn[g]] - 1.0)
            drawn[g] += 1
        t = at + transit_days[g] * factor
        if t >= days:
            return t
    return t


@inlined
def _export(
    dispatch_day: int,
    terminal_day: int,
    load_day: int,
    delivered_day: int,
    terminal: int,
    market: int,
    tonnes: float,
    deliveries: np.ndarray,
    delivered_t: np.ndarray,
    exported_t: np.ndarray,
    counts: np.ndarray,
    acc: np.ndarray,
) -> None:
    """A delivery has left the chain: out of transit, into the deliveries and the day's
    exports (``record_export``)."""
    acc[IN_TRANSIT] -= tonnes
    i = counts[DELIVERIES]
    if i >= deliveries.shape[0]:
        raise RuntimeError("movement: more deliveries than reserved")
    deliveries[i, 0], deliveries[i, 1] = dispatch_day, terminal_day
    deliveries[i, 2], deliveries[i, 3] = load_day, delivered_day
    deliveries[i, 4], deliveries[i, 5] = terminal, market
    delivered_t[i] = tonnes
    counts[DELIVERIES] = i + 1
    exported_t[load_day] += tonnes


@inlined
def _unload(
    day: int,
    p: int,
    payload_t: float,
    lot_size_t: float,
    storage_t: np.ndarray,
    level_t: np.ndarray,
    waiting: np.ndarray,
    waiting_ends: np.ndarray,
    pending_t: np.ndarray,
    pending_order: np.ndarray,
    n_pending: np.ndarray,
    lots: np.ndarray,
    lot_t: np.ndarray,
    ships: np.ndarray,
    stock_peak_t: np.ndarray,
    stock_peak_rank: np.ndarray,
    counts: np.ndarray,
    acc: np.ndarray,
    release_market: np.ndarray,
    release_t: np.ndarray,
) -> None:
    """Unload the trains waiting at port ``p``, first come first served, while each fits; each
    one's tonnes join its market's pending lot and may release ships (:func:`lots_to_release`),
    queued for a berth in ``ships`` (head and tail lot of each port)."""
    while waiting_ends[p, 0] >= 0 and storage_t[p] - level_t[p] >= payload_t:
        head = waiting_ends[p, 0]
        market, dispatch_day = waiting[head, 1], waiting[head, 2]
        waiting[head, 3] -= 1
        if waiting[head, 3] == 0:
            waiting_ends[p, 0] = waiting[head, 0]
            if waiting_ends[p, 0] < 0:
                waiting_ends[p, 1] = -1
        level_t[p] += payload_t
        acc[IN_TRANSIT] -= payload_t
        if level_t[p] > stock_peak_t[p]:
            stock_peak_t[p] = level_t[p]
            if stock_peak_rank[p] < 0:
                stock_peak_rank[p] = counts[STOCK_PEAKS]
                counts[STOCK_PEAKS] += 1
        known = False
        for i in range(n_pending[p]):
            if pending_order[p, i] == market:
                known = True
        if not known:
            pending_order[p, n_pending[p]] = market
            n_pending[p] += 1
            pending_t[p, market] = 0.0
        pending_t[p, market] += payload_t
        room = storage_t[p] - level_t[p]
        n = lots_to_release(
            pending_t[p], pending_order[p], n_pending[p], market, lot_size_t, room, payload_t,
            release_market, release_t,
        )  # fmt: skip
        for i in range(n):
            lot = counts[LOTS]
            if lot >= lots.shape[0]:
                raise RuntimeError("movement: more ship lots than reserved")
            counts[LOTS] = lot + 1
            lots[lot, 0], lots[lot, 1], lots[lot, 2] = -1, release_market[i], dispatch_day
            lots[lot, 3], lots[lot, 4] = day, day
            lot_t[lot, 0], lot_t[lot, 1] = release_t[i], 0.0
            if ships[p, 1] >= 0:
                lots[ships[p, 1], 0] = lot
            else:
                ships[p, 0] = lot
            ships[p, 1] = lot


@compiled_flat
def advance(
    first_day: int,
    end_day: int,
    produce_from: int,
    trains: np.ndarray,
    starts: np.ndarray,
    option_route: np.ndarray,
    option_market: np.ndarray,
    days: int,
    payload_t: float,
    spread: float,
    lot_size_t: float,
    domestic_t_per_day: float,
    compensated: bool,
    mine_storage_t: np.ndarray,
    output_t: np.ndarray,
    capacity: np.ndarray,
    transit_days: np.ndarray,
    legs: np.ndarray,
    route_open: np.ndarray,
    route_terminal: np.ndarray,
    onward_days: np.ndarray,
    storage_t: np.ndarray,
    loading_t_per_day: np.ndarray,
    ice_factor: np.ndarray,
    voyage_days: np.ndarray,
    berths: np.ndarray,
    draw_bound: np.ndarray,
    stock: np.ndarray,
    yard_t: np.ndarray,
    tokens: np.ndarray,
    gate_day: np.ndarray,
    entered: np.ndarray,
    wait_days: np.ndarray,
    queue_change: np.ndarray,
    queue_before: np.ndarray,
    queue_now: np.ndarray,
    draws: np.ndarray,
    drawn: np.ndarray,
    n_draws: np.ndarray,
    due_n: np.ndarray,
    due_route: np.ndarray,
    due_start: np.ndarray,
    due_n_markets: np.ndarray,
    due_market: np.ndarray,
    due_trains: np.ndarray,
    arrivals: np.ndarray,
    arrival_ends: np.ndarray,
    level_t: np.ndarray,
    at_berth: np.ndarray,
    ships: np.ndarray,
    waiting: np.ndarray,
    waiting_ends: np.ndarray,
    pending_t: np.ndarray,
    pending_order: np.ndarray,
    n_pending: np.ndarray,
    lots: np.ndarray,
    lot_t: np.ndarray,
    loaded_t: np.ndarray,
    ships_loaded: np.ndarray,
    ship_wait_days: np.ndarray,
    stock_peak_t: np.ndarray,
    stock_peak_rank: np.ndarray,
    berth_peak: np.ndarray,
    berth_peak_rank: np.ndarray,
    exported_t: np.ndarray,
    deliveries: np.ndarray,
    delivered_t: np.ndarray,
    counts: np.ndarray,
    acc: np.ndarray,
    mine_order: np.ndarray,
    release_market: np.ndarray,
    release_t: np.ndarray,
) -> bool:
    """Run days ``first_day`` to ``end_day`` (excluded) of the horizon's ``days``, the period's
    planned trains (``trains``: each one's option, whose route and market ``option_route`` and
    ``option_market`` give; ``starts``: its start time in days) first joining the batches due;
    return whether some link has fewer transit draws left than ``draw_bound`` (the most one
    period can use), which the driver then tops up.

    Each day, in order: the mines produce (from ``produce_from``: the driver ran the horizon's
    first day before planning it, as the train level does); the day's batches board (trains
    short of stock wait for tomorrow) and run their rail leg; the trains due at each terminal
    arrive; each port loads ships. The due batches live in a ring of ``due_n.shape[0]`` days
    (a period and the next day); arrivals are lists by day (``arrival_ends``: head and tail).
    Leaves in ``queue_now`` the trains waiting at each link's entry on ``end_day``, which the
    next plan reads (``queue_before``: on the day before ``first_day``, then ``end_day``'s).

    Allocates nothing (numba's reference counting is off in it, see
    :func:`~potashsim.sim.compiled.compiled_flat`): ``mine_order`` has room for an index per mine,
    ``release_market`` and ``release_t`` for the most lots one train can release.
    """
    window = due_n.shape[0]
    n_markets = due_market.shape[2]

    # the plan: a batch per route and day, started by its first train, markets in planned order
    for i in range(trains.shape[0]):
        start = starts[i]
        d = int(start)
        if d >= days:
            continue  # planned past the horizon: never leaves
        if d < first_day or d >= first_day + window - 1:
            raise RuntimeError("movement: a departure outside its period")
        option = trains[i]
        _join(d % window, option_route[option], option_market[option], 1, start,
              due_n, due_route, due_start, due_n_markets, due_market, due_trains)  # fmt: skip

    for day in range(first_day, end_day):
        if day >= produce_from:
            produce(day, stock, mine_storage_t, output_t, domestic_t_per_day, yard_t, mine_order)
        w = day % window
        for j in range(due_n[w]):
            route = due_route[w, j]
            # board the trains with a payload in stock, markets in planned order; the rest
            # wait for tomorrow's output (and never leave if tomorrow is past the horizon)
            in_stock = int((stock_sum(stock, compensated) + _EPS) // payload_t)
            a = counts[ARRIVALS]
            if a >= arrivals.shape[0]:
                raise RuntimeError("movement: more arrivals than reserved")
            sent, n_sent = 0, 0
            for q in range(due_n_markets[w, j]):
                market, n = due_market[w, j, q], due_trains[w, j, q]
                k = in_stock if in_stock < n else n
                in_stock -= k
                if k:
                    arrivals[a, 4 + n_sent], arrivals[a, 4 + n_markets + n_sent] = market, k
                    n_sent += 1
                    sent += k
                if k < n:
                    if day + 1 >= days:
                        acc[COMMITTED] -= payload_t * (n - k)
                    else:
                        _join((day + 1) % window, route, market, n - k, day + 1.0,
                              due_n, due_route, due_start, due_n_markets, due_market,
                              due_trains)  # fmt: skip
            if not sent:
                continue
            # board: the trains' tonnes are no longer committed; loaded if the route is open
            tonnes = payload_t * sent
            acc[COMMITTED] -= tonnes
            if not route_open[route, day]:
                continue  # closed before departure: the cargo stays home
            take(stock, tonnes, mine_order)
            acc[IN_TRANSIT] += tonnes
            begin = due_start[w, j]
            if float(day) > begin:
                begin = float(day)
            t = _rail_leg(
                legs[route], sent, begin, days, spread, tokens, gate_day, capacity,
                transit_days, entered, wait_days, queue_change, draws, drawn, n_draws,
            )  # fmt: skip
            if t < days:
                at = int(t)
                counts[ARRIVALS] = a + 1
                arrivals[a, 0], arrivals[a, 1], arrivals[a, 2] = -1, route, day
                arrivals[a, 3] = n_sent
                if arrival_ends[at, 1] >= 0:
                    arrivals[arrival_ends[at, 1], 0] = a
                else:
                    arrival_ends[at, 0] = a
                arrival_ends[at, 1] = a
        due_n[w] = 0

        a = arrival_ends[day, 0]
        while a >= 0:
            route, dispatch_day = arrivals[a, 1], arrivals[a, 2]
            terminal = route_terminal[route]
            if terminal >= storage_t.shape[0]:  # a border: exported as it crosses
                for q in range(arrivals[a, 3]):
                    market, n = arrivals[a, 4 + q], arrivals[a, 4 + n_markets + q]
                    tonnes = n * payload_t
                    loaded_t[terminal, day] += tonnes
                    _export(dispatch_day, day, day, day + onward_days[terminal], terminal,
                            market, tonnes, deliveries, delivered_t, exported_t, counts,
                            acc)  # fmt: skip
            else:
                p = terminal
                for q in range(arrivals[a, 3]):
                    r = counts[WAITING]
                    if r >= waiting.shape[0]:
                        raise RuntimeError("movement: more waiting trains than reserved")
                    counts[WAITING] = r + 1
                    waiting[r, 0], waiting[r, 1] = -1, arrivals[a, 4 + q]
                    waiting[r, 2], waiting[r, 3] = dispatch_day, arrivals[a, 4 + n_markets + q]
                    if waiting_ends[p, 1] >= 0:
                        waiting[waiting_ends[p, 1], 0] = r
                    else:
                        waiting_ends[p, 0] = r
                    waiting_ends[p, 1] = r
                _unload(day, p, payload_t, lot_size_t, storage_t, level_t, waiting,
                        waiting_ends, pending_t, pending_order, n_pending, lots, lot_t, ships,
                        stock_peak_t, stock_peak_rank, counts, acc, release_market,
                        release_t)  # fmt: skip
            a = arrivals[a, 0]

        # every port loads in the network's order: each berth loads its lot, taking the next
        # one in the queue within the day when one is done; a lot leaves storage when it gets
        # a berth (letting waiting trains unload) and is exported on the day its ship sails
        for p in range(storage_t.shape[0]):
            rate = loading_t_per_day[p] / ice_factor[p, day]
            for b in range(berths[p]):
                budget_days = 1.0
                while True:
                    lot = at_berth[p, b]
                    if lot < 0:
                        lot = ships[p, 0]
                        if lot < 0:
                            break
                        ships[p, 0] = lots[lot, 0]
                        if ships[p, 0] < 0:
                            ships[p, 1] = -1
                        at_berth[p, b] = lot
                        tonnes = lot_t[lot, 0]
                        lot_t[lot, 1] = tonnes
                        level_t[p] -= tonnes
                        acc[IN_TRANSIT] += tonnes
                        ship_wait_days[p, day] += day + (1.0 - budget_days) - lots[lot, 4]
                        busy = 0
                        for x in range(berths[p]):
                            if at_berth[p, x] >= 0:
                                busy += 1
                        if busy > berth_peak[p]:
                            berth_peak[p] = busy
                            if berth_peak_rank[p] < 0:
                                berth_peak_rank[p] = counts[BERTH_PEAKS]
                                counts[BERTH_PEAKS] += 1
                        # the lot made room in storage
                        _unload(day, p, payload_t, lot_size_t, storage_t, level_t, waiting,
                                waiting_ends, pending_t, pending_order, n_pending, lots, lot_t,
                                ships, stock_peak_t, stock_peak_rank, counts, acc,
                                release_market, release_t)  # fmt: skip
                    need_days = lot_t[lot, 1] / rate
                    if need_days > budget_days:
                        lot_t[lot, 1] -= budget_days * rate
                        break
                    budget_days -= need_days
                    at_berth[p, b] = -1
                    market, tonnes = lots[lot, 1], lot_t[lot, 0]
                    loaded_t[p, day] += tonnes
                    ships_loaded[p, day] += 1
                    _export(lots[lot, 2], lots[lot, 3], day, day + voyage_days[p, market], p,
                            market, tonnes, deliveries, delivered_t, exported_t, counts,
                            acc)  # fmt: skip

    # the trains waiting at each link's entry on end_day, as the next plan reads them: the
    # changes up to the day before are final (no batch on the rail reaches back in time)
    for g in range(queue_now.shape[0]):
        for d in range(first_day, end_day):
            queue_before[g] += queue_change[g, d]
        queue_now[g] = queue_before[g] + queue_change[g, end_day]

    low = False
    if spread:
        for g in range(draw_bound.shape[0]):
            if n_draws[g] - drawn[g] < draw_bound[g]:
                low = True
    return low


@inlined
def _join(
    w: int,
    route: int,
    market: int,
    trains: int,
    start: float,
    due_n: np.ndarray,
    due_route: np.ndarray,
    due_start: np.ndarray,
    due_n_markets: np.ndarray,
    due_market: np.ndarray,
    due_trains: np.ndarray,
) -> None:
    """Add ``trains`` for ``market`` to ``route``'s batch in ring slot ``w``, starting the batch
    at ``start`` if the route has none there yet (batches, and markets in a batch, keep the
    order they first came in)."""
    j = 0
    while j < due_n[w] and due_route[w, j] != route:
        j += 1
    if j == due_n[w]:
        due_n[w] = j + 1
        due_route[w, j], due_start[w, j], due_n_markets[w, j] = route, start, 0
    q = 0
    while q < due_n_markets[w, j] and due_market[w, j, q] != market:
        q += 1
    if q == due_n_markets[w, j]:
        due_n_markets[w, j] = q + 1
        due_market[w, j, q], due_trains[w, j, q] = market, 0
    due_trains[w, j, q] += trains
