"""A run's delivery log reads the same as rows or as columns, however it was filled."""

from __future__ import annotations

import pickle

import numpy as np

from potashsim.scenario.granularity import with_granularity
from potashsim.scenario.loader import load_scenario
from potashsim.sim.engine import simulate
from potashsim.sim.records import DELIVERY_FIELDS, Delivery, DeliveryLog

ROWS = [
    Delivery(0, 3, 5, 20, "klaipeda", "brazil", 75_000.0),
    Delivery(1, 2, 2, 9, "dostyk", "china", 3_850.5),
]


def test_rows_and_columns_are_the_same_deliveries() -> None:
    log = DeliveryLog()
    for d in ROWS:
        log.append(d)
    cols = log.columns()
    assert list(cols) == list(DELIVERY_FIELDS)
    assert cols["dispatch_day"].dtype == np.int64 and cols["tonnes"].dtype == np.float64
    assert cols["route"].tolist() == ["klaipeda", "dostyk"]
    again = DeliveryLog.from_columns(cols)
    assert again == log == ROWS
    # read back as tuples: the same Python types as appended, not numpy scalars
    assert [tuple(map(type, d)) for d in again] == [tuple(map(type, d)) for d in ROWS]
    assert again[1] == ROWS[1] and len(again) == 2


def test_a_delivery_added_after_the_columns_were_read_is_in_them() -> None:
    log = DeliveryLog(ROWS[:1])
    assert len(log.columns()["tonnes"]) == 1
    log.append(ROWS[1])
    assert log.columns()["market"].tolist() == ["brazil", "china"]


def test_an_empty_log_has_empty_columns() -> None:
    cols = DeliveryLog().columns()
    assert all(len(v) == 0 for v in cols.values())
    assert DeliveryLog.from_columns(cols) == []


def test_a_run_s_log_survives_the_trip_to_the_parent_process() -> None:
    trace, _, _ = simulate(with_granularity(load_scenario("history"), "fast"))
    back = pickle.loads(pickle.dumps(trace.deliveries))
    assert back == trace.deliveries
    for name in DELIVERY_FIELDS:
        assert np.array_equal(back.columns()[name], trace.deliveries.columns()[name])
