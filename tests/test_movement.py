"""The fast layer's compiled movement rules agree with the train level's Python ones, bit for bit.

:mod:`potashsim.sim.movement` keeps compiled twins of three rules the train level runs in Python
on its dicts (the mines' day, taking stock largest first, releasing ship lots); each test here
feeds both the same random state and compares everything they return and leave behind.
"""

from __future__ import annotations

import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from potashsim.sim import movement
from potashsim.sim.processes import MineYard, lots_to_release

# tonnes as they come: whole trains and lots, fractions of both, ties, zeros
tonnes = st.one_of(
    st.sampled_from([0.0, 1e-7, 1_000.0, 4_136.840636193495, 30_000.0]),
    st.floats(0, 500_000, allow_nan=False, allow_subnormal=False),
)


def _yard(
    stock: list[float], storage: list[float], output: list[float], domestic: float
) -> MineYard:
    names = [f"m{i}" for i in range(len(stock))]
    return MineYard(
        output_t_per_day={k: np.array([v]) for k, v in zip(names, output, strict=True)},
        storage_t=dict(zip(names, storage, strict=True)),
        stock_t=dict(zip(names, stock, strict=True)),
        domestic_t_per_day=domestic,
        produced_t=[0.0],
        curtailed_t=[0.0],
        domestic_t=[0.0],
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(tonnes, min_size=1, max_size=5), tonnes)
def test_taking_stock_is_the_train_levels_rule(stock: list[float], wanted: float) -> None:
    yard = _yard(stock, stock, stock, 0.0)
    left = np.array(stock)
    assert movement.take(left, wanted, np.zeros(len(stock), np.int64)) == yard.take(wanted)
    assert left.tolist() == list(yard.stock_t.values())


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_the_mines_day_is_the_train_levels_rule(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 4))
    stock, storage, output = (data.draw(st.lists(tonnes, min_size=n, max_size=n)) for _ in "sso")
    domestic = data.draw(tonnes)
    yard = _yard(stock, storage, output, domestic)
    yard.produce(0)
    left, records = np.array(stock), np.zeros((3, 1))
    movement.produce(
        0, left, np.array(storage), np.array([output]).T, domestic, records, np.zeros(n, np.int64)
    )
    assert left.tolist() == list(yard.stock_t.values())
    assert records[:, 0].tolist() == [yard.produced_t[0], yard.curtailed_t[0], yard.domestic_t[0]]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), tonnes), min_size=1, max_size=6),
    st.sampled_from([1_000.0, 5_000.0, 30_000.0]),
    tonnes,
    st.sampled_from([1_000.0, 4_136.840636193495]),
)
def test_releasing_ship_lots_is_the_train_levels_rule(
    pending: list[tuple[int, float]], lot_t: float, room: float, payload: float
) -> None:
    as_dict = {f"mk{m}": t for m, t in pending}  # markets in the order they first had tonnes
    market = int(next(iter(as_dict))[2:])
    order = np.array([int(k[2:]) for k in as_dict] + [0] * (6 - len(as_dict)))
    as_array = np.zeros(6)
    for k, t in as_dict.items():
        as_array[int(k[2:])] = t
    lots_market, lots_t = np.zeros(600, np.int64), np.zeros(600)  # 500,000 t in 1,000 t lots
    n = movement.lots_to_release(
        as_array, order, len(as_dict), market, lot_t, room, payload, lots_market, lots_t
    )
    expected = lots_to_release(as_dict, f"mk{market}", lot_t, room, payload)
    released = zip(lots_market[:n].tolist(), lots_t[:n].tolist(), strict=True)
    assert [(f"mk{m}", t) for m, t in released] == expected
    assert {k: as_array[int(k[2:])] for k in as_dict} == as_dict


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(-1e9, 1e9, allow_nan=False), max_size=6))
def test_the_stocks_are_summed_as_this_python_sums_them(stock: list[float]) -> None:
    assert movement.stock_sum(np.array(stock), sys.version_info >= (3, 12)) == sum(stock)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(tonnes, min_size=1, max_size=4),
    tonnes,
    tonnes,
    tonnes,
    st.lists(
        st.tuples(st.floats(0, 40, allow_nan=False, allow_subnormal=False), st.integers(0, 30)),
        max_size=6,
    ),
    st.integers(1, 14),
)
def test_a_periods_limits_are_the_train_levels(
    stock: list[float],
    produce: float,
    domestic: float,
    committed: float,
    links: list[tuple[float, int]],
    period: int,
) -> None:
    """The fast layer's compiled limits (what the mines offer, each section's room) are the
    numbers the train level computes in Python from its dicts, with the same rules."""
    payload = 4_136.840636193495
    capacity = np.array([[c for c, _ in links]]).reshape(len(links), 1)
    queue = np.array([q for _, q in links], dtype=np.int64)
    link_t = np.zeros(len(links))
    compensated = sys.version_info >= (3, 12)
    supply = movement.period_limits(
        0, period, np.array(stock), compensated, produce, domestic, committed, capacity, queue,
        payload, link_t,
    )  # fmt: skip
    assert supply == movement.offered_t(sum(stock), produce, domestic, committed)
    want = [movement.link_room(c, q, period, payload) for c, q in links]
    assert link_t.tolist() == want
