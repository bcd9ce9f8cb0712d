"""The offline report: Plotly figures of saved results, assembled into one HTML file.

``charts`` draws (tidy tables in, figures out, no file I/O), ``sections`` chooses and captions the
charts, ``html`` renders the page and its provenance, ``build`` loads results folders and writes
the report or chart images. Only this layer imports plotly.
"""

from __future__ import annotations

from potashsim.report.build import (
    ComparisonResults,
    RunResults,
    build_backtest_report,
    build_report,
    export_images,
    find_browser,
    load_comparison,
    load_results,
    load_run,
    provenance_table,
    topojson_dir,
)

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
