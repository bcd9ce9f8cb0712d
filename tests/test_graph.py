"""``scenario.graph``: rail paths and event targets, the network questions schema and sim share."""

from __future__ import annotations

from conftest import tiny_network
from potashsim.scenario.graph import has_target, rail_paths, target_ids
from potashsim.scenario.schema import NetworkSpec


def two_way_network() -> NetworkSpec:
    """mine → port direct (500 km) or through a junction (200 + 200 km); an unconnected node."""
    net = tiny_network()
    net["nodes"]["junction"] = {"name": "J", "lat": 0.5, "lon": 0.5}
    net["nodes"]["island"] = {"name": "I", "lat": 9, "lon": 9}
    rail = net["links"]["rail"]
    net["links"] = {
        "direct": {**rail, "distance_km": 500},
        "leg_a": {**rail, "to_node": "junction", "distance_km": 200},
        "leg_b": {**rail, "from_node": "junction", "distance_km": 200},
    }
    return NetworkSpec.model_validate(net)


def test_rail_paths_take_the_shortest_distance_not_the_fewest_links():
    paths = rail_paths(two_way_network(), "mine")
    assert paths == {"mine": (), "junction": ("leg_a",), "port": ("leg_a", "leg_b")}


def test_a_node_no_rail_reaches_has_no_path():
    assert "island" not in rail_paths(two_way_network(), "mine")


def test_targets_name_tables_lanes_and_every_market():
    net = NetworkSpec.model_validate(tiny_network())
    assert has_target(net, "link", "rail")
    assert has_target(net, "lane", "sea.buyer")
    assert has_target(net, "market", "all")
    assert not has_target(net, "port", "rail")
    assert not has_target(net, "lane", "sea.nowhere")
    assert not has_target(net, "planet", "mars")
    assert target_ids(net, "lane") == ["sea.buyer"]
    assert target_ids(net, "port") == ["p1"]
    assert target_ids(net, "planet") == []
