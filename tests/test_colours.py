"""Stable colours: a route (export terminal) or a market keeps the colour the network data gives
it in every report, no route looks like a scenario, and a bad colour is a clear problem."""

from __future__ import annotations

import math
from pathlib import Path

import plotly.graph_objects as go
import pytest

from conftest import SavedResults, shortened
from potashsim.analysis.experiment import run
from potashsim.contract import BASE_COLOUR, SCENARIO_PALETTE
from potashsim.errors import ScenarioError
from potashsim.report.build import _sections
from potashsim.report.charts.style import ROUTE_PALETTE, market_colours, route_colours
from potashsim.results.write import save_run
from potashsim.scenario.loader import PACKAGE_NETWORK, load_scenario

SCENARIO_COLOURS = (BASE_COLOUR, *SCENARIO_PALETTE)
# Machado et al. (2009) at full severity, on linear RGB: what deuteranopes, protanopes and
# tritanopes see.
SIGHTS = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def _lab(colour: str, sight: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of ``#rrggbb`` as seen with ``sight``."""
    srgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in srgb]
    seen = [sum(m * c for m, c in zip(row, lin, strict=True)) for row in SIGHTS[sight]]
    r, g, b = (min(1.0, max(0.0, c)) for c in seen)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    fx, fy, fz = (t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def _distance(a: str, b: str, sights: tuple[str, ...] = tuple(SIGHTS)) -> float:
    """The smallest CIE76 colour difference between ``a`` and ``b`` over ``sights``."""
    return min(math.dist(_lab(a, s), _lab(b, s)) for s in sights)


def _network_colours(table: str) -> dict[str, str]:
    net = load_scenario("baseline").network
    return {k: v.colour for k, v in getattr(net, table).items() if v.colour is not None}


def test_every_route_and_market_of_the_shipped_network_has_its_own_colour():
    net = load_scenario("baseline").network
    routes = {**_network_colours("ports"), **_network_colours("borders")}
    markets = _network_colours("markets")
    assert set(routes) == set(net.ports) | set(net.borders)
    assert set(markets) == set(net.markets)
    assert len(set(routes.values())) == len(routes)
    assert len(set(markets.values())) == len(markets)
    # the shipped colours are the palette's, so a route without one takes a colour none has
    assert set(routes.values()) | set(markets.values()) <= set(ROUTE_PALETTE)


def test_no_route_or_market_colour_is_or_looks_like_a_scenario_colour():
    for colour in ROUTE_PALETTE:
        assert colour.upper() not in {c.upper() for c in SCENARIO_COLOURS}
        for scenario in SCENARIO_COLOURS:
            assert _distance(colour, scenario, ("normal",)) >= 20, (colour, scenario)
            assert _distance(colour, scenario) >= 10, (colour, scenario)


def test_route_colours_stay_apart_from_each_other_for_every_kind_of_sight():
    for i, a in enumerate(ROUTE_PALETTE):
        for b in ROUTE_PALETTE[i + 1 :]:
            assert _distance(a, b) >= 12, (a, b)


def _route_fills(sections: list) -> dict[str, str]:
    """``{route: fill colour}`` of every exports-by-route chart of a report's sections."""
    fills: dict[str, str] = {}
    for _title, secs in sections:
        for sec in secs:
            for chart in sec.charts:
                if chart.slug.endswith("routes"):
                    for trace in go.Figure(chart.figure).data:  # a dict in the report
                        assert fills.setdefault(trace.name, trace.fillcolor) == trace.fillcolor
    return fills


def test_a_route_has_the_same_colour_in_reports_of_different_scenario_sets(
    saved_results: SavedResults, tmp_path: Path
):
    other = save_run(run(shortened("us_eu_only", "2021-01-01", "2022-12-31"), seed=3), tmp_path)
    first = _route_fills(_sections([saved_results.compare], None, None))
    second = _route_fills(_sections([other], None, None))
    given = {**_network_colours("ports"), **_network_colours("borders")}
    assert {"klaipeda", "ust_luga"} <= set(first) & set(second)
    for route in set(first) & set(second):
        assert first[route] == second[route] == given[route], route
    # and none of them is a colour the reports gave a scenario
    assert not set(first.values()) & set(SCENARIO_COLOURS)


def test_routes_and_markets_without_a_colour_take_one_no_other_has():
    network = {
        "ports": [{"id": "a", "colour": ROUTE_PALETTE[0]}, {"id": "b"}],
        "markets": [{"id": "m", "colour": ROUTE_PALETTE[1]}, {"id": "n"}],
    }
    routes = route_colours(["a", "b", "c"], networks=[network])
    assert routes["a"] == ROUTE_PALETTE[0]
    assert len(set(routes.values())) == 3
    markets = market_colours(["m", "n"], networks=[network])
    assert markets["m"] == ROUTE_PALETTE[1] != markets["n"]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("red", 'should be a colour like "#332288"'),
        ("'#0072B2'", "is a scenario colour"),
        ("'#553377'", "is also the colour of ports.gdansk"),
    ],
)
def test_a_bad_colour_in_a_scenario_s_set_is_reported_at_its_line(
    tmp_path: Path, value: str, says: str
):
    path = tmp_path / "painted.yaml"
    path.write_text(
        f"name: painted\nextends: history\nset:\n  ports.klaipeda.colour: {value}\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    (problem,) = [p for p in err.value.problems if p.file == str(path)]
    assert (problem.file, problem.line, problem.key) == (
        str(path),
        4,
        "set.ports.klaipeda.colour",
    )
    assert says in problem.message


def test_an_unquoted_colour_in_a_network_file_is_reported_at_its_line(tmp_path: Path):
    # YAML reads `colour: #332288` as an empty key (the # starts a comment)
    text = PACKAGE_NETWORK.read_text(encoding="utf-8").replace(
        'colour: "#332288"', "colour: #332288", 1
    )
    (tmp_path / "network.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "s.yaml").write_text(
        "name: s\nnetwork: network.yaml\nhorizon: {start: 2021-01-01, end: 2021-12-31}\n",
        encoding="utf-8",
    )
    line = 1 + text.split("colour: #332288")[0].count("\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(tmp_path / "s.yaml")
    (problem,) = err.value.problems
    assert problem.file.endswith("network.yaml")
    assert (problem.line, problem.key) == (line, "ports.klaipeda.colour")
    assert "quoted colour" in problem.message


def test_a_colour_can_be_set_from_the_command_line():
    s = load_scenario("history", overrides=["ports.klaipeda.colour=#aa3377"])
    assert s.network.ports["klaipeda"].colour == "#AA3377"
