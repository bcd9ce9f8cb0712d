"""Scenario → the routes potash can take, and one replication's draw of the uncertain inputs.

A route runs by rail from the mines' node to a terminal: a port (then by sea to a market) or a
border crossing that delivers straight to a market (rail to China). Routes are the shortest rail
paths (by distance) and are named after their terminal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from potashsim.scenario import paths
from potashsim.scenario.graph import rail_paths
from potashsim.scenario.schema import (
    Distribution,
    NetworkSpec,
    Scenario,
    TriangularDistribution,
    UniformDistribution,
)
from potashsim.sim.streams import stream

__all__ = ["Route", "realize", "routes"]


@dataclass(frozen=True, slots=True)
class Route:
    """A rail path from ``origin`` to a terminal.

    Attributes:
        id: the terminal's id (``klaipeda``, ``zabaikalsk``).
        kind: ``port`` or ``border``.
        origin: the node the trains leave from.
        links: link ids in running order.
        markets: markets this route can reach (by sea lanes, or the border's market).
    """

    id: str
    kind: str
    origin: str
    links: tuple[str, ...]
    markets: tuple[str, ...]


def routes(net: NetworkSpec) -> list[Route]:
    """Every terminal reachable from the mines' node, as a route; sorted by id."""
    origin = next(iter(net.mines.values())).node
    rail = rail_paths(net, origin)
    out: list[Route] = []
    for pid, port in net.ports.items():
        if rail.get(port.node):
            out.append(
                Route(
                    pid, "port", origin, rail[port.node], tuple(net.lanes.get(port.sea_region, {}))
                )
            )
    for bid, border in net.borders.items():
        if rail.get(border.node):
            out.append(Route(bid, "border", origin, rail[border.node], (border.market,)))
    return sorted(out, key=lambda r: r.id)


def realize(scenario: Scenario, seed: int) -> NetworkSpec:
    """The network of one replication: each uncertain parameter drawn from its own stream.

    With ``scenario.stochastic`` false, or no uncertain parameters, the network is returned as is.
    """
    if not scenario.stochastic or not scenario.uncertain:
        return scenario.network
    tree: dict[str, Any] = scenario.network.model_dump(mode="json")
    if _DRAWN_SEED[0] != seed:
        _DRAWN.clear()
        _DRAWN_SEED[0] = seed
    for path, dist in sorted(scenario.uncertain.items()):
        key = (seed, path, repr(dist))
        value = _DRAWN.get(key)
        if value is None:
            value = _DRAWN[key] = _draw(seed, path, dist)
        _assign(tree, path, value)
    return NetworkSpec.model_validate(tree)


# The values drawn for the last seed realized in this process, by (seed, path, distribution):
# a comparison realizes its reference scenario and then the scenario itself under each seed,
# and the second finds most draws here instead of opening a stream for each. Never another
# seed's: the dict is emptied when the seed changes. The distribution by its repr: pydantic
# finds a mode of -0.0 equal to one of 0.0, and the draw returns it with its sign.
_DRAWN: dict[tuple[int, str, str], float] = {}
_DRAWN_SEED: list[int | None] = [None]


def _draw(seed: int, path: str, dist: Distribution) -> float:
    """Parameter ``path``'s value under ``seed``: one draw of ``dist`` from its own stream."""
    rng = stream(seed, f"param:{path}")
    if isinstance(dist, UniformDistribution):
        value = rng.uniform(dist.low, dist.high)
    elif isinstance(dist, TriangularDistribution):
        low, high, mode = dist.low, dist.high, dist.mode
        value = rng.triangular(low, mode, high) if high > low else mode
    else:
        value = rng.normal(dist.mean, dist.sd)
        if dist.low is not None or dist.high is not None:
            lo = dist.low if dist.low is not None else -float("inf")
            hi = dist.high if dist.high is not None else float("inf")
            value = min(max(value, lo), hi)
    return float(value)


def _assign(tree: dict[str, Any], path: str, value: float) -> None:
    # integer fields (wagons, berths) stay integers after a draw
    old = paths.get(tree, path)
    whole = isinstance(old, int) and not isinstance(old, bool)
    paths.assign(tree, path, round(value) if whole else value)
