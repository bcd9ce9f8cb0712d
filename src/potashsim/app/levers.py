"""The app's levers: which network parameters each one moves, in which unit, and the ``set``
entries a lever's value gives for one scenario.

Pure functions of the resolved scenario: the page shows a lever's current value, and
:func:`lever_sets` turns the values the user chose into ``set`` entries of a scenario file, so
that whatever the app runs, ``potashsim run`` can run too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from potashsim.scenario import paths
from potashsim.scenario.overrides import ALL_MARKETS, PRICE_SCALE
from potashsim.scenario.schema import NetworkSpec, Scenario

__all__ = ["PRICE_LEVEL", "RAIL", "TERMINALS", "Lever", "lever_sets", "levers_for"]

Kind = Literal["scale", "value", "date"]
RAIL = "Rail capacity per corridor section"
#: The price-level lever: ``markets.all.price_scale``, a factor on every market's price series
#: (the loader's quick change, so the downloaded file reproduces it).
PRICE_LEVEL = "price_level"
TERMINALS = "Opening dates of terminals (they matter only where the scenario builds the terminal)"


@dataclass(frozen=True)
class Lever:
    """One control of the page.

    ``scale`` levers multiply every path's current value by the factor chosen (1 = unchanged);
    ``value`` and ``date`` levers set their one path to the number or ISO date chosen.
    """

    key: str
    label: str
    unit: str
    kind: Kind
    paths: tuple[str, ...]
    current: float | str
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    group: str = ""
    """The heading the page shows the lever under; "" for the main levers."""


def _russian_ports(net: NetworkSpec) -> list[str]:
    # A port is Russian when the rail link that reaches it runs in Russia (ports carry no
    # country of their own in the network data).
    ends = {link.to_node for link in net.links.values() if link.country == "Russia"}
    return sorted(p for p in net.ports if p in ends)


def _scale(
    key: str, label: str, found: Callable[[NetworkSpec], list[str]]
) -> Callable[[NetworkSpec], Lever | None]:
    def make(net: NetworkSpec) -> Lever | None:
        chosen = found(net)
        if not chosen:
            return None
        return Lever(key, label, "× current", "scale", tuple(chosen), 1.0, 0.0, 5.0, 0.05)

    return make


_SCALES = (
    _scale(
        "russian_ports",
        "Russian port capacity (every Russian terminal's t/yr; capacity set by events, such as "
        "history's 2022-23 ramp, still applies on its dates)",
        lambda net: [f"ports.{p}.capacity_t_per_year" for p in _russian_ports(net)],
    ),
    _scale(
        "discount",
        "Buyers' sanctions discount (each market's USD/t while a discount applies)",
        lambda net: [
            f"markets.{m}.sanctions_discount_usd_per_t"
            for m, spec in sorted(net.markets.items())
            if getattr(spec, "sanctions_discount_usd_per_t", None) is not None
        ],
    ),
    _scale(
        "freight",
        "Sea freight (every lane's USD/t)",
        lambda net: [
            f"lanes.{port}.{market}.freight_usd_per_t"
            for port, lanes in sorted(net.lanes.items())
            for market in sorted(lanes)
        ],
    ),
    _scale(
        "ice",
        "Ice severity (each iced port's winter turnaround factor)",
        lambda net: [
            f"ports.{p}.ice.turnaround_factor"
            for p, spec in sorted(net.ports.items())
            if spec.ice is not None
        ],
    ),
)


def levers_for(scenario: Scenario) -> list[Lever]:
    """The levers of ``scenario``, with their current values: the scale levers, the world
    demand elasticity, the world price level, each rail link's trains a day and each terminal's
    opening date."""
    net = scenario.network
    tree = net.model_dump(mode="json")
    found = [lever for make in _SCALES if (lever := make(net)) is not None]
    if net.world is not None:
        found.append(
            Lever(
                "world.demand_elasticity",
                "World demand elasticity (price response of world demand)",
                "elasticity",
                "value",
                ("world.demand_elasticity",),
                net.world.demand_elasticity,
                -2.0,
                0.0,
                0.05,
            )
        )
    if net.markets:
        found.append(
            Lever(
                PRICE_LEVEL,
                "World price level (every market's whole price series, each quote and the price "
                "after the last; 0.8 = 20% lower)",
                "× the scenario's prices (1 = as observed)",
                "value",
                (f"markets.{ALL_MARKETS}.{PRICE_SCALE}",),
                1.0,
                0.1,
                3.0,
                0.05,
            )
        )
    for link in sorted(net.links):
        path = f"links.{link}.capacity_trains_per_day"
        found.append(
            Lever(
                path,
                link,
                "trains/day",
                "value",
                (path,),
                paths.get(tree, path),
                0.0,
                100.0,
                0.1,
                group=RAIL,
            )
        )
    for port, spec in sorted(net.ports.items()):
        if getattr(spec, "opens_on", None) is not None:
            path = f"ports.{port}.opens_on"
            found.append(
                Lever(
                    path,
                    port,
                    "date",
                    "date",
                    (path,),
                    str(paths.get(tree, path)),
                    group=TERMINALS,
                )
            )
    return found


def _number(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None


def lever_sets(scenario: Scenario, chosen: Mapping[str, Any]) -> dict[str, Any]:
    """The ``set`` entries that give ``scenario`` the lever values ``chosen`` (by lever key).

    Levers left at their current value, or given something that is not a number (or an ISO date
    for a date lever), add nothing; the loader checks the rest (ranges, dates in the horizon)
    exactly as it checks a file, and the page shows its problems.
    """
    tree = scenario.network.model_dump(mode="json")
    sets: dict[str, Any] = {}
    for lever in levers_for(scenario):
        value = chosen.get(lever.key)
        if value is None or value == "":
            continue
        if lever.kind == "date":
            try:
                day = dt.date.fromisoformat(str(value))
            except ValueError:
                continue
            if str(day) != lever.current:
                sets[lever.paths[0]] = day
            continue
        number = _number(value)
        if number is None or number == lever.current:
            continue
        if lever.kind == "value":
            sets[lever.paths[0]] = number
        else:
            for path in lever.paths:
                sets[path] = round(float(paths.get(tree, path)) * number, 6)
    return sets
