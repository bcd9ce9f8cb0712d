"""How schema errors become problems: derived from the schema, not from pydantic's wording."""

from __future__ import annotations

import typing

from potashsim.scenario import schema as sc
from potashsim.scenario.introspect import DISTRIBUTIONS, EVENTS, allowed_keys
from potashsim.scenario.messages import data_path


def test_event_actions_are_read_from_the_event_union():
    members = typing.get_args(typing.get_args(sc.Event)[0])
    actions = [a for m in members for a in typing.get_args(m.model_fields["action"].annotation)]
    assert EVENTS.field == "action"
    assert list(EVENTS.tags) == actions  # every action, in the order the union lists them
    assert len(actions) == len(members) == 8
    assert EVENTS.members["set_capacity"] is sc.SetCapacityEvent


def test_distribution_kinds_are_read_from_the_distribution_union():
    assert DISTRIBUTIONS.field == "dist"
    assert DISTRIBUTIONS.members == {
        "uniform": sc.UniformDistribution,
        "triangular": sc.TriangularDistribution,
        "normal": sc.NormalDistribution,
    }


def test_the_keys_allowed_in_an_event_are_those_of_its_action():
    loc = ("events", 0, "discount", "amount")
    assert "discount_usd_per_t" in allowed_keys(sc.ScenarioFile, loc)
    assert "capacity_t_per_year" not in allowed_keys(sc.ScenarioFile, loc)


def test_a_union_tag_is_not_part_of_the_path_in_the_data():
    data = {"events": [{"action": "close", "target": "x"}]}
    assert data_path(data, ("events", 0, "close", "target")) == ("events", 0, "target")


def test_a_field_named_like_its_action_keeps_its_place():
    # a `note` event misses its `note`: the tag `note` is dropped once, the field is kept
    data = {"events": [{"action": "note", "actor": "EU"}]}
    assert data_path(data, ("events", 0, "note", "note")) == ("events", 0, "note")


def test_past_a_single_value_the_loc_names_types_not_data():
    # a plain union lists each member it tried ("float", "int", ...) after the value
    data = {"set": {"ports.p1.opens_on": "2020-01-01 10:00"}}
    assert data_path(data, ("set", "ports.p1.opens_on", "float")) == ("set", "ports.p1.opens_on")
