"""The report as HTML: one self-contained page (plotly.js and the world map embedded once, no
network needed to view it) of sections of charts, and the provenance block that ends each part.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from potashsim.report.charts.geography import topojson_path
from potashsim.report.sections import Chart, Section, span
from potashsim.report.table import cell, provenance_table
from potashsim.results.read import ComparisonResults, RunResults

_PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _manifest_get(manifest: Mapping[str, Any], *keys: str) -> object:
    for key in keys:
        if manifest.get(key) not in (None, ""):
            return manifest[key]
    return None


def _provenance_rows(
    bundle: ComparisonResults | RunResults,
) -> tuple[list[dict[str, object]], dict[str, object]]:
    """Per-scenario rows, and the facts shared by all rows (command, folder)."""
    if isinstance(bundle, ComparisonResults):
        meta = bundle.meta
        rows: list[dict[str, object]] = [
            {
                "Scenario": s,
                "Horizon": span(bundle.horizons[s]),
                "Overrides": ", ".join(bundle.overrides.get(s, [])),
                "Scenario SHA-256": meta["scenario_hashes"].get(s),
                "Seed": meta["seed"],
                "Replications": meta["replications"],
                "potashsim": meta["potashsim_version"],
            }
            for s in bundle.scenarios
        ]
        return rows, {
            "Window": f"{span(bundle.window)} (the statistics count the exports of these days)",
            "Command": meta["command"],
            "Folder": str(bundle.folder),
        }
    man = bundle.manifest
    raw_versions = man.get("versions")
    versions: dict[str, Any] = raw_versions if isinstance(raw_versions, dict) else {}
    seed = _manifest_get(man, "seed")
    rows = [
        {
            "Scenario": bundle.scenario,
            "Scenario SHA-256": _manifest_get(
                man, "scenario_sha256", "resolved_sha256", "sha256", "scenario_hash"
            ),
            "Seed": bundle.summary.get("seed") if seed is None else seed,
            "Replications": 1,
            "potashsim": versions.get("potashsim") or _manifest_get(man, "potashsim_version"),
        }
    ]
    return rows, {"Command": _manifest_get(man, "command"), "Folder": str(bundle.folder)}


def _report_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("potashsim")
    except PackageNotFoundError:
        return "unknown (not installed)"


def provenance_section(bundle: ComparisonResults | RunResults, command: str | None) -> Section:
    """Scenario hashes, seeds and versions of a results folder, and the command of the report."""
    rows, shared = _provenance_rows(bundle)
    shared["Report"] = f"built by potashsim {_report_version()}" + (
        f" with: {command}" if command else ""
    )
    facts = "".join(f"<dt>{html.escape(k)}</dt><dd>{cell(k, v)}</dd>" for k, v in shared.items())
    return Section(
        "Provenance",
        "Which scenarios, seeds and code produced the numbers above; rerunning the "
        "command with the same scenario hashes reproduces them.",
        html=provenance_table(rows) + f'<dl class="provenance">{facts}</dl>',
    )


def topojson_dir() -> Path:
    """The folder of the vendored plotly topojson files (``world_110m.json``)."""
    return topojson_path().parent


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#222;margin:0;background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:1.7em;margin:0.2em 0}h2{font-size:1.35em;margin-top:2em;border-bottom:1px solid #ddd}
h3{font-size:1.1em;margin:1.6em 0 0.2em}p.caption{color:#555;margin:0.2em 0 0.6em}
table.provenance{border-collapse:collapse;font-size:0.9em;width:100%}
table.provenance th,table.provenance td{border:1px solid #ddd;padding:4px 8px;text-align:left;
vertical-align:top}code{word-break:break-all;font-size:0.92em}
dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;font-size:0.9em}
dl.provenance dt{font-weight:600}dl.provenance dd{margin:0}
"""


def _figure_html(chart: Chart, index: int) -> str:
    import plotly.io as pio  # type: ignore[import-untyped]

    # validate=False: a go.Figure was validated when it was made, and a figure dict is
    # written as it is (it was made without validation to save its cost)
    return str(
        pio.to_html(
            chart.figure,
            validate=False,
            full_html=False,
            include_plotlyjs=False,
            config=_PLOT_CONFIG,
            div_id=f"chart-{index}",
            default_width="100%",
            default_height=f"{chart.height}px",
            auto_play=False,  # a map slider opens on its first period, not playing them all
        )
    )


def render_html(parts: Sequence[tuple[str, Sequence[Section]]]) -> str:
    """The whole page: one ``<h2>`` part per results folder, its sections and charts in order."""
    import plotly.offline  # type: ignore[import-untyped]

    body: list[str] = []
    index = 0
    for title, sections in parts:
        body.append(f"<h2>{html.escape(title)}</h2>")
        for sec in sections:
            body.append(
                f"<h3>{html.escape(sec.title)}</h3>"
                f'<p class="caption">{html.escape(sec.caption)}</p>'
            )
            for chart in sec.charts:
                index += 1
                body.append(f'<div class="chart">{_figure_html(chart, index)}</div>')
            body.append(sec.html)
    intro = (
        "Charts of saved potashsim results. Hover over any chart for exact values; "
        "the file works offline."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>potashsim report</title><style>{_CSS}</style>"
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script></head>'
        f"<body><main><h1>potashsim report</h1><p>{html.escape(intro)}</p>"
        + "".join(body)
        + "</main></body></html>\n"
    )
