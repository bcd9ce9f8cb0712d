"""The report in a real browser, offline, and image export through kaleido (needs Chromium).

Skipped with a reason when ``/usr/bin/chromium`` is missing: install it with
``apt-get install chromium`` (never ``playwright install``, which downloads from outside).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from conftest import SavedResults
from potashsim import report

CHROMIUM = os.environ.get("POTASHSIM_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} not found: apt-get install chromium"
    ),
]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


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
            country_paths = page.eval_on_selector_all(
                ".geo .countries path", "ps => ps.map(p => (p.getAttribute('d') || '').length)"
            )
            n_maps = page.locator(".geo").count()
        finally:
            browser.close()
    assert rendered == n_charts
    assert n_maps == 6 and len(country_paths) == n_maps and min(country_paths) > 1000
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
    # the vendored topojson was used: the countries layer has real outlines
    assert re.search(r'class="[^"]*\bcountries\b[^"]*">\s*<path[^>]* d="M[^"]{1000,}', map_svg)
