"""Turns saved results folders into one offline HTML report or into chart images.

The public entry points: :func:`build_report` writes a single self-contained HTML file,
:func:`export_images` writes every chart as a PNG/SVG file through kaleido and the system
Chromium. The work is done by job in :mod:`potashsim.results.read` (reading the files of
docs/results-contract.md; the engine is never imported), :mod:`potashsim.report.sections`
(which charts, in which order, with which captions and colours) and :mod:`potashsim.report.html`
(the page and its provenance block); the figures come from :mod:`potashsim.report.charts`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import shutil
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from potashsim.errors import ReportError
from potashsim.report import charts
from potashsim.report.html import provenance_section, render_html, topojson_dir
from potashsim.report.sections import (
    Chart,
    MapPeriods,
    Section,
    comparison_sections,
    palette,
    run_sections,
)
from potashsim.report.sweep import is_sweep_folder, sweep_sections, sweep_title
from potashsim.report.table import provenance_table
from potashsim.results.atomic import write_bytes
from potashsim.results.read import (
    ComparisonResults,
    RunResults,
    load_comparison,
    load_results,
    load_run,
)

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = [
    "ComparisonResults",
    "RunResults",
    "build_backtest_report",
    "build_report",
    "export_images",
    "find_browser",
    "load_comparison",
    "load_results",
    "load_run",
    "provenance_table",
    "topojson_dir",
]

_INSTALL_BROWSER = (
    "Install Chromium with `apt-get install chromium` (Debian/Ubuntu) or set "
    "BROWSER_PATH to a Chromium or Google Chrome executable."
)
#: Image width in pixels (before ``scale``): about the width a chart has in the HTML report.
IMAGE_WIDTH = 1100


def _sections(
    paths: Sequence[Path | str],
    periods: MapPeriods,
    command: str | None,
    *,
    static_maps: bool = False,
) -> list[tuple[str, list[Section]]]:
    if not paths:
        raise ReportError("no results folder given")
    # a sweep folder has a part of its own (no maps or colours to share with the others)
    loaded = {i: load_results(p) for i, p in enumerate(paths) if not is_sweep_folder(p)}
    pal = palette(list(loaded.values()), periods) if loaded else None
    parts = []
    for i, path in enumerate(paths):
        prefix = f"{i + 1}-" if len(paths) > 1 else ""
        if i not in loaded:
            parts.append((sweep_title(path), sweep_sections(path, prefix, command)))
            continue
        b = loaded[i]
        assert pal is not None  # made whenever a folder is not a sweep
        if isinstance(b, ComparisonResults):
            title = f"Comparison: {', '.join(b.scenarios)} against {b.base}"
            secs = comparison_sections(b, pal, periods, prefix, static_maps=static_maps)
        else:
            title = f"Run: {b.scenario} ({b.horizon[0]:%b %Y} - {b.horizon[1]:%b %Y})"
            secs = run_sections(b, pal, periods, prefix, with_routes=True, static_maps=static_maps)
        parts.append((title, [*secs, provenance_section(b, command)]))
    return parts


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` all at once (:func:`potashsim.results.atomic.write_bytes`).

    Raises:
        ReportError: the folder cannot be created or the file cannot be written.
    """
    try:
        write_bytes(path, data)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from exc


def build_report(
    paths: Sequence[Path | str],
    out: Path | str,
    *,
    command: str | None = None,
    periods: MapPeriods = None,
) -> Path:
    """Write one self-contained offline HTML report of results folders.

    Args:
        paths: comparison folders and/or run folders, in report order. A comparison gives the
            revenue/netback bars, the waterfall, cumulative revenue, exports by route and, per
            scenario, maps, policy timeline and bottlenecks; a run folder gives exports by
            route, maps, timeline and bottlenecks. A scenario without policy measures gets a
            sentence instead of an empty timeline. Each part ends with a provenance table.
        out: the HTML file to write (parent folders are created). It is written to a temporary
            file beside it and renamed, so a failure leaves no partial file.
        command: the command that built the report, shown in the provenance block.
        periods: the map slider's periods (years or inclusive ``(start, end)`` pairs), one
            frame each; default (or ``"all"``) every year of each run's horizon.

    Returns:
        ``out`` as a Path.

    Raises:
        ResultsError: a folder is missing or incomplete.
        ReportError: a chart cannot be made (e.g. a route without a rail path).
    """
    out = Path(out)
    page = render_html(_sections(paths, periods, command))
    _write_atomic(out, page.encode("utf-8"))
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def build_backtest_report(
    table: pd.DataFrame, summary: pd.DataFrame, out: Path | str, *, command: str | None = None
) -> Path:
    """Write the backtest (:mod:`potashsim.analysis.backtest`) as an offline HTML page: the chart,
    the table of figures with their sources and the bias/WAPE summary."""
    shown = table.assign(
        observed=table["observed"].map("{:,.3g}".format),
        band=[f"{lo:,.3g}-{hi:,.3g}" for lo, hi in zip(table["low"], table["high"], strict=True)],
        model=table["model"].map("{:,.3g}".format),
        within_band=table["within_band"].map({True: "yes", False: "no"}),
        in_sample=table["in_sample"].map({True: "in", False: "out"}),
    )[
        [
            "id",
            "year",
            "observed",
            "band",
            "model",
            "within_band",
            "in_sample",
            "sources",
            "band_reason",
        ]
    ]
    sections = [
        Section(
            "Backtest of history",
            "The shipped history scenario beside every observed figure in docs/facts.md; nothing "
            "was fitted to them. Out-of-sample figures (red) informed no parameter."
            + (f" Built by: {command}" if command else ""),
            [Chart("backtest", charts.backtest_chart(table))],
            provenance_table(_records(shown)) + provenance_table(_records(summary.round(3))),
        )
    ]
    out = Path(out)
    _write_atomic(out, render_html([("Backtest", sections)]).encode("utf-8"))
    return out


# --------------------------------------------------------------------------- images


def find_browser() -> str:
    """The Chromium/Chrome executable kaleido should drive: ``BROWSER_PATH`` or one on PATH.

    Raises:
        ReportError: ``BROWSER_PATH`` is set but not an executable file, or no browser is on
            PATH; the message says how to install one.
    """
    env = os.environ.get("BROWSER_PATH")
    if env:
        if os.path.isfile(env) and os.access(env, os.X_OK):
            return env
        raise ReportError(f"BROWSER_PATH={env} is not an executable file. {_INSTALL_BROWSER}")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(
        f"Image export needs Chromium or Google Chrome and none was found on "
        f"PATH. {_INSTALL_BROWSER}"
    )


def _run_in_thread(coro: Any) -> Any:
    # A fresh event loop on its own thread: works even when the caller already runs a loop
    # (e.g. Jupyter), and every failure comes back here instead of hanging a queue.
    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = asyncio.run(coro)
        except BaseException as exc:
            result["error"] = exc

    thread = threading.Thread(target=target, name="potashsim-kaleido")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


async def _render_images(
    jobs: list[tuple[go.Figure, dict[str, Any]]], browser: str, topojson_url: str
) -> list[bytes]:
    import kaleido  # type: ignore[import-untyped]

    # One browser for all charts: the first image costs ~1.5 s, later ones ~0.1 s.
    async with kaleido.Kaleido(n=1, path=browser, mathjax=False) as k:
        return [await k.calc_fig(fig, opts=opts, topojson=topojson_url) for fig, opts in jobs]


def export_images(
    paths: Sequence[Path | str],
    out_dir: Path | str,
    fmt: str = "png",
    *,
    periods: MapPeriods = None,
    scale: float = 2.0,
) -> list[Path]:
    """Write every chart of the report of ``paths`` as an image file.

    Files are named ``NN-<chart>.<fmt>`` in report order (``NN`` from 01). A map is one image
    per period (``<scenario>-map-<year>``), not a slider. Maps draw the vendored topojson, so no
    network is needed. Images are rendered by kaleido driving a local Chromium
    (see :func:`find_browser`).

    Args:
        paths: as for :func:`build_report`.
        periods: one map image per period; ``"all"`` every year; default the first, middle
            and last year of each run's horizon.
        out_dir: folder for the images (created).
        fmt: ``"png"`` or ``"svg"``.
        scale: pixel density of PNGs (2 = sharp on high-DPI screens); ignored for SVG.

    Returns:
        The written files in report order.

    Raises:
        ReportError: unknown format, kaleido not installed, no browser, or rendering failed.
        ResultsError: a folder is missing or incomplete.
    """
    if fmt not in ("png", "svg"):
        raise ReportError(f"image format {fmt!r} is not supported; use png or svg")
    if importlib.util.find_spec("kaleido") is None:
        raise ReportError("image export needs kaleido: pip install 'potashsim[export]'")
    browser = find_browser()
    parts = _sections(paths, periods, None, static_maps=True)
    charts_ = [c for _, secs in parts for s in secs for c in s.charts]
    jobs = [
        (
            c.figure,
            {
                "format": fmt,
                "width": IMAGE_WIDTH,
                "height": c.height,
                "scale": scale if fmt == "png" else 1,
            },
        )
        for c in charts_
    ]
    topojson_url = topojson_dir().resolve().as_uri() + "/"
    try:
        images = _run_in_thread(_render_images(jobs, browser, topojson_url))
    except Exception as exc:
        raise ReportError(f"image export with {browser} failed: {exc}".strip()) from exc
    out_dir = Path(out_dir)
    written = []
    for i, (chart, data) in enumerate(zip(charts_, images, strict=True), start=1):
        path = out_dir / f"{i:02d}-{chart.slug}.{fmt}"
        _write_atomic(path, data if isinstance(data, bytes) else str(data).encode())
        written.append(path)
    return written
