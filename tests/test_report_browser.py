"""The report in a real browser, offline, and image export through kaleido (needs Chromium).

Skipped with a reason when ``/usr/bin/chromium`` is missing: install it with
``apt-get install chromium`` (never ``playwright install``, which downloads from outside).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

import potashsim
from conftest import SavedResults
from potashsim import report
from potashsim.report import charts

CHROMIUM = os.environ.get("POTASHSIM_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} not found: apt-get install chromium"
    ),
]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
#: The length of the outline path of each map's first trace: the countries it draws itself.
GEOGRAPHY_PATHS = (
    "gs => gs.map(g => (g.querySelector('.scatterlayer .trace path') || {getAttribute: () => ''})"
    ".getAttribute('d').length)"
)


def open_offline(html: Path, action: Any = None) -> tuple[dict[str, Any], list[str], list[str]]:
    """Open ``html`` in Chromium with every request that would leave the machine blocked and
    recorded; return what ``action(page)`` returns (after the charts drew), the blocked URLs and
    the page's errors."""
    sync_api = pytest.importorskip("playwright.sync_api")
    external: list[str] = []
    errors: list[str] = []

    def on_route(route: Any) -> None:
        url = route.request.url
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.route("**/*", on_route)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "request",
                lambda r: None if r.url.startswith(LOCAL_SCHEMES) else external.append(r.url),
            )
            page.goto(html.resolve().as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            found = action(page) if action else {}
        finally:
            browser.close()
    return found, external, errors


def test_a_flow_map_written_from_a_notebook_draws_offline(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    # what a notebook user does: load a folder, draw the map with its slider, write_html with
    # plotly's defaults (plotly.js inlined, nothing else configured)
    result = potashsim.load(folders["compare"])
    fig = charts.flow_map_slider(result, scenario="history")
    out = tmp_path / "map.html"
    fig.write_html(out)

    def title_has(page: Any, text: str) -> None:
        page.wait_for_function(
            "t => document.querySelector('.gtitle').textContent.includes(t)", arg=text
        )

    def look(page: Any) -> dict[str, Any]:
        # write_html's default auto_play runs through the frames once, ending on the last year
        title_has(page, "2022")
        lengths = page.eval_on_selector_all(".geo", GEOGRAPHY_PATHS)
        title = page.locator(".gtitle").text_content()
        rail = page.locator(".slider-rail-rect").bounding_box()
        page.mouse.click(rail["x"] + 2, rail["y"] + rail["height"] / 2)  # back to the first
        title_has(page, "2021")
        after = page.locator(".gtitle").text_content()
        return {"lengths": lengths, "before": title, "after": after}

    found, external, errors = open_offline(out, look)
    assert external == []
    assert len(found["lengths"]) == 1 and found["lengths"][0] > 1000  # the countries are drawn
    assert "2022" in found["before"] and "2021" in found["after"]  # the slider moved the map
    # plotly.js's own slider rejects the animation it interrupts with `undefined` (a plotly
    # express animation does the same); nothing else may go wrong
    assert [e for e in errors if e != "undefined"] == []


@pytest.fixture(scope="module")
def folders(saved_results: SavedResults) -> dict[str, Path]:
    return {"compare": saved_results.compare, "run": saved_results.run}


def test_report_renders_offline_in_chromium(folders: dict[str, Path], tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    out = report.build_report([folders["compare"], folders["run"]], tmp_path / "report.html")
    n_charts = out.read_text(encoding="utf-8").count('class="plotly-graph-div"')
    assert n_charts > 0
    external: list[str] = []
    errors: list[str] = []

    def on_route(route: object) -> None:
        url = route.request.url  # type: ignore[attr-defined]
        if url.startswith(LOCAL_SCHEMES):
            route.continue_()  # type: ignore[attr-defined]
        else:
            external.append(url)
            route.abort()  # type: ignore[attr-defined]

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            context = browser.new_context(viewport={"width": 1200, "height": 900})
            context.route("**/*", on_route)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on(
                "request",
                lambda r: None if r.url.startswith(LOCAL_SCHEMES) else external.append(r.url),
            )
            page.goto(out.resolve().as_uri())
            page.wait_for_function(
                "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n "
                "&& document.querySelectorAll('.js-plotly-plot').length === n",
                arg=n_charts,
                timeout=30_000,
            )
            rendered = page.locator(".js-plotly-plot").count()
            # the report's maps open on their first year (no auto-play)
            page.wait_for_timeout(1500)
            titles = page.eval_on_selector_all(
                ".geo",
                "gs => gs.map(g => g.closest('.js-plotly-plot').querySelector('.gtitle')"
                ".textContent)",
            )
            country_paths = page.eval_on_selector_all(".geo", GEOGRAPHY_PATHS)
            n_maps = page.locator(".geo").count()
        finally:
            browser.close()
    assert rendered == n_charts
    # one map with a slider per scenario run: baseline and history, and the run folder's
    assert n_maps == 3 and len(country_paths) == n_maps and min(country_paths) > 1000
    assert all(", 2021 (" in t for t in titles), titles
    assert errors == []
    assert external == []


def test_export_images_writes_png_and_svg(
    folders: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BROWSER_PATH", CHROMIUM)
    pngs = report.export_images([folders["run"]], tmp_path / "png", periods=[2022])
    assert [p.name for p in pngs] == [
        "01-history-routes.png",
        "02-history-map-2022.png",
        "03-history-timeline.png",
        "04-history-bottlenecks.png",
        "05-history-shadow-prices.png",
    ]
    for path in pngs:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    svgs = report.export_images([folders["run"]], tmp_path / "svg", fmt="svg", periods=[2022])
    map_svg = svgs[1].read_text(encoding="utf-8")
    # the vendored topojson was drawn: the map's first trace outlines the countries
    assert re.search(r'<g class="trace scattergeo"[^>]*>\s*<path[^>]* d="M[^"]{1000,}', map_svg)
