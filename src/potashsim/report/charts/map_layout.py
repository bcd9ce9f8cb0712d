"""Where things go on the flow map: the map window, lines clipped at its edge, terminals grouped
by rail node, and label positions that keep neighbouring labels apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from potashsim.report.charts.flows import is_closed_all, state_text
from potashsim.report.charts.style import MT

# Salihorsk, the Baltic ports and Murmansk; anything further (China) is marked at the edge.
MAP_LON = (9.0, 56.0)
MAP_LAT = (44.5, 70.5)

#: A point on the map: ``(lon, lat, off_map)``; an off-map terminal is drawn at the map's edge.
Point = tuple[float, float, bool]


def on_map(lon: float, lat: float) -> bool:
    """True when a point lies inside the map's lon/lat window."""
    return MAP_LON[0] <= lon <= MAP_LON[1] and MAP_LAT[0] <= lat <= MAP_LAT[1]


def edge_point(inside: tuple[float, float], outside: tuple[float, float]) -> tuple[float, float]:
    """Where the straight lon/lat line from ``inside`` towards ``outside`` leaves the map."""
    (x0, y0), (x1, y1) = inside, outside
    t = 1.0
    for lo, hi, p0, p1 in ((MAP_LON[0], MAP_LON[1], x0, x1), (MAP_LAT[0], MAP_LAT[1], y0, y1)):
        if p1 > hi:
            t = min(t, (hi - p0) / (p1 - p0))
        elif p1 < lo:
            t = min(t, (lo - p0) / (p1 - p0))
    t = max(0.0, t) * 0.995  # just inside, so the projection keeps the point
    return x0 + t * (x1 - x0), y0 + t * (y1 - y0)


def clip_segment(a: tuple[float, float], b: tuple[float, float]) -> tuple[list[float], list[float]]:
    """A link's ``(lons, lats)`` with an off-map end pulled to the map's edge.

    Plotly does not clip lines at a lon/lat range, so the line is made to stop at the edge
    (the off-map terminal gets an edge marker instead).
    """
    ends = [a, b]
    for i in (0, 1):
        if not on_map(*ends[i]):
            ends[i] = edge_point(ends[1 - i], ends[i])
    return [ends[0][0], ends[1][0]], [ends[0][1], ends[1][1]]


def _neighbour_on_map(
    network: Mapping[str, Any], nodes: Mapping[str, Any], node_id: str
) -> tuple[float, float]:
    for link in network["links"]:
        ends = (str(link["from"]), str(link["to"]))
        if node_id in ends:
            other = nodes[ends[1] if ends[0] == node_id else ends[0]]
            if on_map(other["lon"], other["lat"]):
                return float(other["lon"]), float(other["lat"])
    return sum(MAP_LON) / 2, sum(MAP_LAT) / 2


def _map_point(network: Mapping[str, Any], nodes: Mapping[str, Any], node_id: str) -> Point:
    lon, lat = float(nodes[node_id]["lon"]), float(nodes[node_id]["lat"])
    if on_map(lon, lat):
        return lon, lat, False
    # Put the marker where the link towards it leaves the map, so the line ends in it.
    lon, lat = edge_point(_neighbour_on_map(network, nodes, node_id), (lon, lat))
    return lon, lat, True


def short_name(name: str) -> str:
    """``"Salihorsk (Belaruskali mines)"`` -> ``"Salihorsk"``: long names collide on the map."""
    return name.split(" (", 1)[0].strip() or name


def terminal_groups(
    network: Mapping[str, Any],
    nodes: Mapping[str, Any],
    by_route: pd.Series,
    closed: Mapping[str, float],
    days: int,
) -> dict[str, dict[str, Any]]:
    """Ports and border crossings grouped by rail node (several terminals can share one).

    Returns:
        ``{node id: {"flow", "closed", "names", "hover", "point"}}``: tonnes through the
        node's terminals, whether all of them were closed all period, the short names of those
        that were not (for the label), one hover line per terminal, and the :data:`Point`.
    """
    terminals = [("port", p) for p in network.get("ports", [])]
    terminals += [("border", b) for b in network.get("borders", [])]
    groups: dict[str, dict[str, Any]] = {}
    for kind, item in terminals:
        node_id = str(item["node"])
        group = groups.setdefault(
            node_id,
            {
                "flow": 0.0,
                "closed": True,
                "names": [],
                "shut": [],
                "hover": [],
                "point": _map_point(network, nodes, node_id),
            },
        )
        flow = float(by_route.get(str(item["id"]), 0.0))
        frac = closed.get(str(item["id"]), 0.0)
        full_name = str(item.get("name") or nodes[node_id].get("name") or item["id"])
        group["flow"] += flow
        group["closed"] &= is_closed_all(frac)
        names = group["shut"] if is_closed_all(frac) else group["names"]
        if short_name(full_name) not in names:
            names.append(short_name(full_name))
        group["hover"].append(
            f"<b>{full_name}</b> ({kind}): {flow / MT:,.3f} Mt ({flow:,.0f} t), "
            f"{state_text(frac, days)}"
        )
    for group in groups.values():
        shut = group.pop("shut")
        group["names"] = group["names"] or shut  # label the open terminals only
    return groups


def junction_nodes(nodes: Mapping[str, Any], groups: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The on-map nodes that are neither a mine nor a terminal (drawn as small dots)."""
    return [
        n
        for nid, n in nodes.items()
        if nid not in groups and n.get("kind") != "mine" and on_map(n["lon"], n["lat"])
    ]


def label_positions(points: Sequence[Point], hub_lon: float) -> list[str]:
    """Text positions that keep the labels of terminals close together apart.

    Labels go on the side away from the mine; of two terminals almost on one parallel the
    western label goes left and the eastern right, of two on one meridian one goes above.
    An edge arrow's label goes to the left, inside the map: above its line, but below it for
    the southernmost of several arrows, so that two arrows' labels sit apart and off the lines.
    """
    edge = sorted((lat, i) for i, (_, lat, off) in enumerate(points) if off)
    lowest = edge[0][1] if len(edge) > 1 else None
    out = []
    for i, (lon, lat, off) in enumerate(points):
        side = "left" if off or lon < hub_lon else "right"
        vertical = ("bottom" if i == lowest else "top") if off else "middle"
        for j, (lon2, lat2, off2) in enumerate(points):
            if j == i or off or off2 or abs(lat - lat2) >= 0.8 or abs(lon - lon2) >= 4:
                continue
            if abs(lon - lon2) >= 0.5:
                side = "left" if lon < lon2 else "right"
            else:
                vertical = "top" if (lat, -i) > (lat2, -j) else "bottom"
        out.append(f"{vertical} {side}")
    return out
