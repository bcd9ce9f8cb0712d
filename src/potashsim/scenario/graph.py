"""The network read as a graph and as a catalogue of targets: pure functions of a NetworkSpec.

The schema's validators use them to check references and reachability; ``sim.network.routes``
uses :func:`rail_paths` to compute the routes, so both agree on which terminals can be reached.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the schema's validators call this module, so no import at run time
    from potashsim.scenario.schema import NetworkSpec

__all__ = ["has_target", "rail_paths", "target_ids"]


def rail_paths(net: NetworkSpec, origin: str) -> dict[str, tuple[str, ...]]:
    """Shortest rail path (link ids in running order) from ``origin`` to every reachable node.

    Shortest by ``distance_km``; ties go to the path found first when links are taken in id
    order, so the result does not depend on the order of the network file. ``origin`` maps to
    the empty path.
    """
    adj: dict[str, list[tuple[str, str, float]]] = {}
    for lid, link in net.links.items():
        adj.setdefault(link.from_node, []).append((link.to_node, lid, link.distance_km))
    best: dict[str, float] = {origin: 0.0}
    path: dict[str, tuple[str, ...]] = {origin: ()}
    heap = [(0.0, origin)]
    while heap:
        d, node = heapq.heappop(heap)
        if d > best.get(node, float("inf")):
            continue
        for nxt, lid, km in sorted(adj.get(node, [])):
            if d + km < best.get(nxt, float("inf")):
                best[nxt] = d + km
                path[nxt] = (*path[node], lid)
                heapq.heappush(heap, (d + km, nxt))
    return path


def _tables(net: NetworkSpec) -> dict[str, Mapping[str, object]]:
    """The id tables an event target ``kind:id`` looks in, by kind (lanes are two-level)."""
    return {
        "link": net.links,
        "port": net.ports,
        "border": net.borders,
        "market": net.markets,
        "mine": net.mines,
    }


def has_target(net: NetworkSpec, kind: str, ident: str) -> bool:
    """Whether ``kind:ident`` names something in ``net`` (``market:all`` always does)."""
    if kind == "lane":
        region, _, market = ident.partition(".")
        return market in net.lanes.get(region, {})
    if kind == "market" and ident == "all":
        return True
    table = _tables(net).get(kind)
    return table is not None and ident in table


def target_ids(net: NetworkSpec, kind: str) -> list[str]:
    """Every id of one target kind in ``net`` (lanes as ``region.market``), for suggestions."""
    if kind == "lane":
        return [f"{r}.{m}" for r, lanes in net.lanes.items() for m in lanes]
    return list(_tables(net).get(kind, {}))
