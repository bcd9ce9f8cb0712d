"""The policy calendar's single walk over the events gives exactly what re-reading every event on
every change day gives (tests/policy_reference.py), on random event lists; and the warnings
about ineffective events flag the same events as before."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

import policy_reference as reference
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import Event, Horizon, Scenario
from potashsim.sim.event_notes import CHANGES_NOTHING
from potashsim.sim.policy import build_calendar, ineffective_events

START, END = dt.date(2021, 1, 1), dt.date(2021, 2, 28)
ACTORS = ["EU", "US", "Lithuania", "Latvia"]
ACTIONS = ["close", "reopen", "set_capacity", "set_cost", "discount", "remove_discount", "lift"]
CLOSABLE = ["link:lt_transit", "port:klaipeda", "lane:baltic_lt.eu", "market:eu", "market:all"]
CAPACITY = {"link:lt_transit": "capacity_trains_per_day", "port:klaipeda": "capacity_t_per_year"}
COSTED = ["link:lt_transit", "port:klaipeda", "lane:baltic_lt.eu"]
MARKETS = ["market:eu", "market:brazil", "market:all"]
# values whose sums depend on the order of addition, inside every bound a scenario allows
# (at most 1,000 trains a day, 100,000 USD/t)
AMOUNTS = [0.0, 0.1, 0.2, 0.3, 1 / 3, 1e-13, 30.0, 1000.0]
_EVENT = TypeAdapter(Event)


@functools.cache
def _baseline() -> Scenario:
    return load_scenario("baseline")


def _event(draw: Any) -> dict[str, Any]:
    day = draw(st.integers(-20, (END - START).days + 20))  # some before the start, some after
    ev: dict[str, Any] = {
        "date": START + dt.timedelta(days=day),
        "actor": draw(st.sampled_from(ACTORS)),
        "action": draw(st.sampled_from([*ACTIONS, "note"])),
    }
    if ev["action"] in ("close", "reopen"):
        ev["target"] = draw(st.sampled_from(CLOSABLE))
    elif ev["action"] == "set_capacity":
        ev["target"] = draw(st.sampled_from(sorted(CAPACITY)))
        ev[CAPACITY[ev["target"]]] = draw(st.sampled_from(AMOUNTS))
    elif ev["action"] == "set_cost":
        ev["target"] = draw(st.sampled_from(COSTED))
        ev["cost_usd_per_t"] = draw(st.sampled_from(AMOUNTS))
    elif ev["action"] in ("discount", "remove_discount"):
        ev["target"] = draw(st.sampled_from(MARKETS))
        if ev["action"] == "discount":
            ev["discount_usd_per_t"] = draw(st.sampled_from([None, *AMOUNTS]))
    elif ev["action"] == "note":
        ev["note"] = "x"
    if draw(st.booleans()):
        ev["id"] = f"e{draw(st.integers(0, 99))}"
    return ev


@st.composite
def scenarios(draw: Any) -> Scenario:
    events = [_EVENT.validate_python(_event(draw)) for _ in range(draw(st.integers(0, 40)))]
    return _baseline().model_copy(
        update={"horizon": Horizon(start=START, end=END), "events": tuple(events)}
    )


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_calendar_is_exactly_the_reference_calendar(scenario: Scenario) -> None:
    got, want = build_calendar(scenario), reference.build_calendar(scenario)
    assert (got.start, got.days) == (want.start, want.days)
    for table in ("open", "capacity", "cost", "discount_usd_per_t"):
        mine, theirs = getattr(got, table), getattr(want, table)
        assert mine.keys() == theirs.keys()
        for key, array in theirs.items():
            # bit for bit: the same floats, summed in the same order
            assert mine[key].dtype == array.dtype and mine[key].tobytes() == array.tobytes(), (
                table,
                key,
                np.flatnonzero(mine[key] != array)[:5],
            )
    assert got.intervals == want.intervals


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_the_same_events_change_nothing_as_before(scenario: Scenario) -> None:
    def changing_nothing(texts: list[str]) -> list[str]:
        return [t.split(": changes nothing")[0] for t in texts if ": changes nothing" in t]

    got = ineffective_events(scenario.events)
    want = reference.ineffective_events(scenario.events)
    assert changing_nothing([str(w) for w in got]) == changing_nothing(want)
    assert all((w.kind == CHANGES_NOTHING) == (": changes nothing" in w.text) for w in got)
    if not any(getattr(e, "target", None) == "market:all" for e in scenario.events):
        # a market:all closure now also counts as holding a market closed; otherwise the same
        # notes, each naming the first three closures that hold and counting the rest
        notes = [w.text for w in got if w.kind != CHANGES_NOTHING]
        assert notes == [_shortened(t) for t in want if ": changes nothing" not in t]


def _shortened(note: str) -> str:
    """The reference's note, which lists every closure that holds, with the first three only
    and the number of the others, as a note now says it."""
    head, by, holders = note.partition(" stays closed, by ")
    listed = holders.split(", ")
    more = f" and {len(listed) - 3} more" if len(listed) > 3 else ""
    return head + by + ", ".join(listed[:3]) + more
