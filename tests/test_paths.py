"""``scenario.paths``: the one reader and writer of dotted parameter paths."""

from __future__ import annotations

import pytest

from potashsim.scenario import paths


@pytest.fixture
def tree():
    return {"ports": {"p1": {"berths": 2}}, "mines": {"m": {"schedule": [{"t": 1}, {"t": 2}]}}}


def test_a_path_reads_keys_and_list_items(tree):
    assert paths.get(tree, "ports.p1.berths") == 2
    assert paths.get(tree, "mines.m.schedule.1.t") == 2


@pytest.mark.parametrize("path", ["ports.p2.berths", "mines.m.schedule.2.t", "ports.p1.berths.x"])
def test_a_path_that_leads_nowhere_is_a_key_error_naming_it(tree, path):
    with pytest.raises(KeyError, match=path.replace(".", r"\.")):
        paths.get(tree, path)


def test_assign_replaces_a_value_or_adds_a_key_but_never_a_list_item(tree):
    paths.assign(tree, "mines.m.schedule.0.t", 9)
    paths.assign(tree, "ports.p1.storage_t", 5)
    assert tree["mines"]["m"]["schedule"][0] == {"t": 9}
    assert tree["ports"]["p1"] == {"berths": 2, "storage_t": 5}
    with pytest.raises(KeyError):
        paths.assign(tree, "mines.m.schedule.2", {"t": 3})
    with pytest.raises(KeyError):
        paths.assign(tree, "ports.p9.berths", 1)


def test_walk_says_how_far_a_path_leads(tree):
    node, depth = paths.walk(tree, ["ports", "p1", "nope", "x"])
    assert (node, depth) == ({"berths": 2}, 2)
    assert paths.walk(tree, ["ports"]) == (tree["ports"], 1)


def test_dotted_and_key_paths_convert_both_ways():
    assert paths.key_path("events.0.date") == ("events", 0, "date")
    assert paths.dotted(("events", 0, "date")) == "events.0.date"
