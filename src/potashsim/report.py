"""Turns saved results folders into one offline HTML report or into chart images.

This module reads only the files of docs/results-contract.md (it never imports the engine), asks
:mod:`potashsim.charts` for the figures, and writes them out: :func:`build_report` as a single
self-contained HTML file (plotly.js and the world map embedded once, no network needed to view
it), :func:`export_images` as PNG/SVG files through kaleido and the system Chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from potashsim import charts
from potashsim.errors import ReportError, ResultsError

if TYPE_CHECKING:
    import plotly.graph_objects as go  # type: ignore[import-untyped]

__all__ = [
    "ComparisonResults",
    "RunResults",
    "build_report",
    "export_images",
    "find_browser",
    "load_comparison",
    "load_run",
    "provenance_table",
    "topojson_dir",
]

RUN_FILES = (
    "summary.json",
    "monthly.csv",
    "utilisation.csv",
    "timeline.csv",
    "network.json",
    "manifest.json",
    "scenario.resolved.yaml",
)
COMPARISON_FILES = (
    "comparison.json",
    "comparison.csv",
    "replications.csv",
    "monthly_revenue.csv",
    "monthly_routes.csv",
)
_CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "monthly.csv": (
        "month",
        "route",
        "market",
        "exported_t",
        "revenue_usd",
        "discount_usd",
        "rail_cost_usd",
        "port_cost_usd",
        "freight_cost_usd",
        "logistics_cost_usd",
        "netback_usd",
    ),
    "utilisation.csv": (
        "month",
        "kind",
        "facility",
        "used",
        "capacity",
        "utilisation",
        "mean_wait_days",
    ),
    "timeline.csv": (
        "kind",
        "target",
        "start",
        "end",
        "state",
        "value",
        "actor",
        "action",
        "source",
    ),
    "comparison.csv": (
        "scenario",
        "metric",
        "mean",
        "diff_mean",
        "diff_ci_low",
        "diff_ci_high",
        "unit",
    ),
    "replications.csv": (
        "scenario",
        "replication",
        "year",
        "exported_t",
        "revenue_usd",
        "netback_usd",
        "logistics_cost_usd",
        "discount_usd",
    ),
    "monthly_revenue.csv": ("scenario", "replication", "month", "revenue_usd", "exported_t"),
    "monthly_routes.csv": ("scenario", "month", "route", "exported_t"),
}
_CSV_DATES = {
    "monthly.csv": ("month",),
    "utilisation.csv": ("month",),
    "timeline.csv": ("start", "end"),
    "monthly_revenue.csv": ("month",),
    "monthly_routes.csv": ("month",),
}
_CSV_TEXT = (
    "route",
    "market",
    "kind",
    "facility",
    "target",
    "state",
    "actor",
    "action",
    "source",
    "scenario",
    "metric",
    "unit",
)
_JSON_KEYS = {
    "summary.json": ("scenario", "horizon_start", "horizon_end"),
    "network.json": ("nodes", "links"),
    "manifest.json": (),
    "comparison.json": (
        "base",
        "scenarios",
        "replications",
        "seed",
        "command",
        "potashsim_version",
        "scenario_hashes",
        "stats",
        "decomposition",
    ),
}
_INSTALL_BROWSER = (
    "Install Chromium with `apt-get install chromium` (Debian/Ubuntu) or set "
    "BROWSER_PATH to a Chromium or Google Chrome executable."
)
_PLOT_CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


# --------------------------------------------------------------------------- loading


class _Bundle:
    """Lets a results bundle be read like a dict as well as by attribute."""

    def __getitem__(self, key: str) -> Any:
        if key.startswith("_") or not hasattr(self, key):
            raise KeyError(key)
        return getattr(self, key)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key in self.keys()

    def keys(self) -> list[str]:
        return [k for k in self.__dataclass_fields__ if not k.startswith("_")]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class RunResults(_Bundle):
    """One run folder, read back. DataFrame date columns are ``datetime64``.

    Attributes:
        folder: the run folder.
        scenario: ``summary.json`` ``scenario``.
        horizon: first and last day of the simulated horizon.
        summary, network, manifest: the parsed JSON files.
        monthly, utilisation, timeline: the CSV files (columns as in the contract).
    """

    folder: Path
    scenario: str
    horizon: tuple[pd.Timestamp, pd.Timestamp]
    summary: dict[str, Any]
    network: dict[str, Any]
    manifest: dict[str, Any]
    monthly: pd.DataFrame
    utilisation: pd.DataFrame
    timeline: pd.DataFrame


@dataclass(frozen=True)
class ComparisonResults(_Bundle):
    """One comparison folder, read back, with its per-scenario run folders.

    Attributes:
        folder: the comparison folder.
        base: the base scenario; ``scenarios`` lists all of them, base first.
        meta: ``comparison.json`` as parsed.
        stats: tidy ``stats``: ``scenario``, ``metric``, ``mean``, ``diff_mean``,
            ``diff_ci_low``, ``diff_ci_high`` (USD or t, totals over the horizon).
        decomposition: ``scenario``, ``volume_usd``, ``price_usd``, ``logistics_usd``,
            ``total_usd``.
        comparison, replications, monthly_revenue, monthly_routes: the CSV files.
        runs: ``{scenario: RunResults}`` from ``runs/<scenario>/``.
    """

    folder: Path
    base: str
    scenarios: list[str]
    meta: dict[str, Any]
    stats: pd.DataFrame
    decomposition: pd.DataFrame
    comparison: pd.DataFrame
    replications: pd.DataFrame
    monthly_revenue: pd.DataFrame
    monthly_routes: pd.DataFrame
    runs: dict[str, RunResults] = field(default_factory=dict)


def _check_files(folder: Path, names: Sequence[str], what: str) -> None:
    if not folder.is_dir():
        raise ResultsError(f"{what} {folder} does not exist or is not a folder")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        raise ResultsError(f"{what} {folder} is incomplete: missing {', '.join(missing)}")


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    path = folder / name
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ResultsError(f"{path}: cannot be read as JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    missing = [k for k in _JSON_KEYS.get(name, ()) if k not in data]
    if missing:
        raise ResultsError(f"{path}: missing key(s) {', '.join(missing)}")
    return data


def _read_csv(folder: Path, name: str) -> pd.DataFrame:
    path = folder / name
    columns = _CSV_COLUMNS[name]
    try:
        # Ids stay text even when one looks like a number (a facility called "2022").
        frame = pd.read_csv(path, dtype={c: str for c in _CSV_TEXT if c in columns})
    except (OSError, ValueError) as exc:  # EmptyDataError and ParserError are ValueErrors
        raise ResultsError(f"{path}: cannot be read as CSV ({exc})") from exc
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ResultsError(f"{path}: missing column(s) {', '.join(missing)}")
    for col in _CSV_DATES.get(name, ()):
        try:
            frame[col] = pd.to_datetime(frame[col], format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise ResultsError(
                f"{path}: column {col} holds a value that is not an ISO date ({exc})"
            ) from exc
    return frame


def load_run(folder: Path | str) -> RunResults:
    """Read a run folder ``results/<scenario>/<run-id>/``.

    Raises:
        ResultsError: the folder or one of :data:`RUN_FILES` is missing, or a file lacks a
            column/key of the contract or a date cannot be parsed; the message names the file.
    """
    folder = Path(folder)
    _check_files(folder, RUN_FILES, "run folder")
    summary = _read_json(folder, "summary.json")
    try:
        horizon = (pd.Timestamp(summary["horizon_start"]), pd.Timestamp(summary["horizon_end"]))
    except ValueError as exc:
        raise ResultsError(f"{folder / 'summary.json'}: horizon dates are not ISO dates") from exc
    return RunResults(
        folder=folder,
        scenario=str(summary["scenario"]),
        horizon=horizon,
        summary=summary,
        network=_read_json(folder, "network.json"),
        manifest=_read_json(folder, "manifest.json"),
        monthly=_read_csv(folder, "monthly.csv"),
        utilisation=_read_csv(folder, "utilisation.csv"),
        timeline=_read_csv(folder, "timeline.csv"),
    )


def load_comparison(folder: Path | str) -> ComparisonResults:
    """Read a comparison folder ``results/compare/<id>/`` and its ``runs/<scenario>/`` folders.

    Raises:
        ResultsError: the folder, one of :data:`COMPARISON_FILES` or a scenario's run folder is
            missing or incomplete; the message names the folder and the file.
    """
    folder = Path(folder)
    _check_files(folder, COMPARISON_FILES, "comparison folder")
    meta = _read_json(folder, "comparison.json")
    scenarios = [str(s) for s in meta["scenarios"]]
    stats = pd.DataFrame(
        [
            {"scenario": s, "metric": m, **values}
            for s, metrics in meta["stats"].items()
            for m, values in metrics.items()
        ],
        columns=["scenario", "metric", "mean", "diff_mean", "diff_ci_low", "diff_ci_high"],
    )
    decomposition = pd.DataFrame(
        [{"scenario": s, **parts} for s, parts in meta["decomposition"].items()],
        columns=["scenario", "volume_usd", "price_usd", "logistics_usd", "total_usd"],
    )
    for name, frame in (("stats", stats), ("decomposition", decomposition)):
        if frame.drop(columns="scenario").isna().any().any():
            raise ResultsError(f"{folder / 'comparison.json'}: {name} has missing values")
    return ComparisonResults(
        folder=folder,
        base=str(meta["base"]),
        scenarios=scenarios,
        meta=meta,
        stats=stats,
        decomposition=decomposition,
        comparison=_read_csv(folder, "comparison.csv"),
        replications=_read_csv(folder, "replications.csv"),
        monthly_revenue=_read_csv(folder, "monthly_revenue.csv"),
        monthly_routes=_read_csv(folder, "monthly_routes.csv"),
        runs={s: load_run(folder / "runs" / s) for s in scenarios},
    )


def _load(path: Path | str) -> ComparisonResults | RunResults:
    path = Path(path)
    if (path / "comparison.json").is_file():
        return load_comparison(path)
    if (path / "summary.json").is_file() or (path / "manifest.json").is_file():
        return load_run(path)
    if not path.is_dir():
        raise ResultsError(f"results folder {path} does not exist or is not a folder")
    raise ResultsError(
        f"{path} is neither a comparison folder (no comparison.json) nor a run "
        "folder (no summary.json)"
    )


# --------------------------------------------------------------------------- sections


@dataclass
class _Chart:
    slug: str
    figure: go.Figure


@dataclass
class _Section:
    title: str
    caption: str
    charts: list[_Chart] = field(default_factory=list)
    html: str = ""
    grid: bool = False


@dataclass
class _Palette:
    scenarios: dict[str, str]
    routes: dict[str, str]
    max_flow_t: float | None


def _default_periods(horizon: tuple[pd.Timestamp, pd.Timestamp]) -> list[int]:
    first, last = horizon[0].year, horizon[1].year
    return sorted({first, (first + last) // 2, last})


def _all_runs(bundles: Sequence[ComparisonResults | RunResults]) -> Iterator[RunResults]:
    for b in bundles:
        yield from (b.runs.values() if isinstance(b, ComparisonResults) else [b])


def _palette(
    bundles: Sequence[ComparisonResults | RunResults], periods: Sequence[charts.Period] | None
) -> _Palette:
    bases = [b.base for b in bundles if isinstance(b, ComparisonResults)]
    names: list[str] = []
    routes: set[str] = set()
    for b in bundles:
        if isinstance(b, ComparisonResults):
            names += b.scenarios
            routes |= set(b.monthly_routes["route"])
        else:
            names.append(b.scenario)
    flows = [0.0]
    for run in _all_runs(bundles):
        routes |= set(run.monthly["route"])
        for period in periods or _default_periods(run.horizon):
            flows.append(float(charts.link_flows(run.network, run.monthly, period).max()))
    base = bases[0] if bases else ("baseline" if "baseline" in names else None)
    return _Palette(
        charts.scenario_colours(names, base), charts.route_colours(routes), max(flows) or None
    )


def _run_sections(
    run: RunResults,
    pal: _Palette,
    periods: Sequence[charts.Period] | None,
    prefix: str,
    *,
    with_routes: bool,
) -> list[_Section]:
    scen, colour = run.scenario, pal.scenarios.get(run.scenario, charts.BASE_COLOUR)
    slug = f"{prefix}{scen}"
    sections = []
    if with_routes:
        routes = (
            run.monthly.groupby(["month", "route"], as_index=False)["exported_t"]
            .sum()
            .assign(scenario=scen)
        )
        sections.append(
            _Section(
                f"Exports by route: {scen}",
                "Tonnes exported each month, stacked by the terminal where the cargo left the rail "
                "network (Mt per month).",
                [
                    _Chart(
                        f"{slug}-routes",
                        charts.route_area_chart(routes, colours=pal.scenarios, routes=pal.routes),
                    )
                ],
            )
        )
    chosen = list(periods or _default_periods(run.horizon))
    maps = charts.flow_maps(
        run.network,
        run.monthly,
        run.timeline,
        chosen,
        scenario=scen,
        colour=colour,
        max_flow_t=pal.max_flow_t,
    )
    sections += [
        _Section(
            f"Rail flows on the map: {scen}",
            "Each line is a rail link; its width is the tonnage carried in the period "
            "(one scale for every map in this report), grey dashed lines were closed all "
            "period and dotted ones part of it. Terminals beyond the map edge are marked "
            "with an arrow.",
            [_Chart(f"{slug}-map-{_period_slug(p)}", f) for p, f in zip(chosen, maps, strict=True)],
            grid=True,
        ),
        _Section(
            f"Policy timeline: {scen}",
            "When each closure, buyer discount and capacity limit applied, coloured by "
            "the actor that imposed it (the network's own data are left out).",
            [
                _Chart(
                    f"{slug}-timeline",
                    charts.policy_timeline_chart(run.timeline, scenario=scen, horizon=run.horizon),
                )
            ],
        ),
        _Section(
            f"Bottlenecks: {scen}",
            "Monthly capacity utilisation of the busiest rail links, ports and border "
            "crossings, and the mean time trains and ships waited; gaps are months with "
            "no capacity.",
            [
                _Chart(
                    f"{slug}-bottlenecks", charts.bottleneck_chart(run.utilisation, scenario=scen)
                )
            ],
        ),
    ]
    return sections


def _period_slug(period: charts.Period) -> str:
    if isinstance(period, int):
        return str(period)
    start, end = charts.period_bounds(period)
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def _comparison_sections(
    comp: ComparisonResults, pal: _Palette, periods: Sequence[charts.Period] | None, prefix: str
) -> list[_Section]:
    base, col = comp.base, pal.scenarios
    n = int(comp.meta["replications"])
    sections = [
        _Section(
            "Revenue and netback against the base",
            f"Change in total export revenue and netback over the horizon against {base}, "
            f"mean of {n} paired replications with its 95% t-interval (USD bn).",
            [
                _Chart(
                    f"{prefix}revenue-netback",
                    charts.revenue_netback_chart(comp.stats, base=base, colours=col),
                )
            ],
        ),
        _Section(
            "What drives the netback change",
            "The netback change split into selling a different volume, a different price "
            "or discount, and different logistics costs; the last bar is the total.",
            [
                _Chart(
                    f"{prefix}netback-waterfall",
                    charts.netback_waterfall(comp.decomposition, base=base, colours=col),
                )
            ],
        ),
        _Section(
            "Cumulative revenue",
            "Export revenue accumulated month by month: the line is the mean over "
            "replications, the band spans the 2.5th to 97.5th percentile.",
            [
                _Chart(
                    f"{prefix}cumulative-revenue",
                    charts.cumulative_revenue_chart(comp.monthly_revenue, colours=col),
                )
            ],
        ),
        _Section(
            "Exports by route",
            "Mean tonnes exported each month over replications, stacked by the terminal "
            "where the cargo left the rail network, one panel per scenario.",
            [
                _Chart(
                    f"{prefix}routes",
                    charts.route_area_chart(comp.monthly_routes, colours=col, routes=pal.routes),
                )
            ],
        ),
    ]
    for scen in comp.scenarios:
        sections += _run_sections(comp.runs[scen], pal, periods, prefix, with_routes=False)
    return sections


# --------------------------------------------------------------------------- provenance


def provenance_table(rows: Sequence[Mapping[str, object]]) -> str:
    """An HTML ``<table>`` of provenance rows; columns are the keys of the first row.

    Values are escaped; ``None`` shows as an empty cell. Returns ``""`` for no rows.
    """
    if not rows:
        return ""
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(c, r.get(c))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f'<table class="provenance"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _cell(column: str, value: object) -> str:
    text = "" if value is None else html.escape(str(value))
    return f"<code>{text}</code>" if column in ("Scenario SHA-256", "Command") and text else text


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
                "Scenario SHA-256": meta["scenario_hashes"].get(s),
                "Seed": meta["seed"],
                "Replications": meta["replications"],
                "potashsim": meta["potashsim_version"],
            }
            for s in bundle.scenarios
        ]
        return rows, {"Command": meta["command"], "Folder": str(bundle.folder)}
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


def _provenance_section(bundle: ComparisonResults | RunResults, command: str | None) -> _Section:
    rows, shared = _provenance_rows(bundle)
    shared["Report"] = f"built by potashsim {_report_version()}" + (
        f" with: {command}" if command else ""
    )
    facts = "".join(f"<dt>{html.escape(k)}</dt><dd>{_cell(k, v)}</dd>" for k, v in shared.items())
    return _Section(
        "Provenance",
        "Which scenarios, seeds and code produced the numbers above; rerunning the "
        "command with the same scenario hashes reproduces them.",
        html=provenance_table(rows) + f'<dl class="provenance">{facts}</dl>',
    )


def _sections(
    paths: Sequence[Path | str], periods: Sequence[charts.Period] | None, command: str | None
) -> list[tuple[str, list[_Section]]]:
    if not paths:
        raise ReportError("no results folder given")
    bundles = [_load(p) for p in paths]
    pal = _palette(bundles, periods)
    parts = []
    for i, b in enumerate(bundles):
        prefix = f"{i + 1}-" if len(bundles) > 1 else ""
        if isinstance(b, ComparisonResults):
            title = f"Comparison: {', '.join(b.scenarios)} against {b.base}"
            secs = _comparison_sections(b, pal, periods, prefix)
        else:
            title = f"Run: {b.scenario} ({b.horizon[0]:%b %Y} - {b.horizon[1]:%b %Y})"
            secs = _run_sections(b, pal, periods, prefix, with_routes=True)
        parts.append((title, [*secs, _provenance_section(b, command)]))
    return parts


# --------------------------------------------------------------------------- HTML


def topojson_dir() -> Path:
    """The folder of the vendored plotly topojson files (``world_110m.json``)."""
    return Path(__file__).parent / "data" / "topojson"


def _geo_assets_script() -> str:
    path = topojson_dir() / "world_110m.json"
    try:
        data = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ReportError(
            f"the vendored map {path} cannot be read ({exc}); reinstall potashsim"
        ) from exc
    # Plotly.js skips its CDN fetch when this global already holds the map; "</" is escaped so
    # the JSON cannot end the <script> element early.
    return (
        "<script>window.PlotlyGeoAssets={topojson:{world_110m:"
        + data.replace("</", "<\\/")
        + "}};</script>"
    )


# The grid has fixed columns: each figure is drawn while the page is still being parsed, so a
# grid that reflowed as more maps arrive would leave the first maps drawn at the wrong width.
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#222;margin:0;background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:24px 28px 60px;background:#fff}
h1{font-size:1.7em;margin:0.2em 0}h2{font-size:1.35em;margin-top:2em;border-bottom:1px solid #ddd}
h3{font-size:1.1em;margin:1.6em 0 0.2em}p.caption{color:#555;margin:0.2em 0 0.6em}
.grid{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}.chart{min-width:0}
@media (max-width:900px){.grid{grid-template-columns:minmax(0,1fr)}}
table.provenance{border-collapse:collapse;font-size:0.9em;width:100%}
table.provenance th,table.provenance td{border:1px solid #ddd;padding:4px 8px;text-align:left;
vertical-align:top}code{word-break:break-all;font-size:0.92em}
dl.provenance{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;font-size:0.9em}
dl.provenance dt{font-weight:600}dl.provenance dd{margin:0}
"""


def _figure_html(chart: _Chart, index: int) -> str:
    height = chart.figure.layout.height or 480
    return str(
        chart.figure.to_html(
            full_html=False,
            include_plotlyjs=False,
            config=_PLOT_CONFIG,
            div_id=f"chart-{index}",
            default_width="100%",
            default_height=f"{height}px",
        )
    )


def _render_html(parts: list[tuple[str, list[_Section]]], command: str | None) -> str:
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
            figs = []
            for chart in sec.charts:
                index += 1
                figs.append(f'<div class="chart">{_figure_html(chart, index)}</div>')
            body.append(f'<div class="grid">{"".join(figs)}</div>' if sec.grid else "".join(figs))
            body.append(sec.html)
    intro = (
        "Charts of saved potashsim results. Hover over any chart for exact values; "
        "the file works offline."
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>potashsim report</title><style>{_CSS}</style>{_geo_assets_script()}"
        f'<script type="text/javascript">{plotly.offline.get_plotlyjs()}</script></head>'
        f"<body><main><h1>potashsim report</h1><p>{html.escape(intro)}</p>"
        + "".join(body)
        + "</main></body></html>\n"
    )


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    Raises:
        ReportError: the folder cannot be created or the file cannot be written.
    """
    try:
        _replace_file(path, data)
    except OSError as exc:
        raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _replace_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a report is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def build_report(
    paths: Sequence[Path | str],
    out: Path | str,
    *,
    command: str | None = None,
    periods: Sequence[charts.Period] | None = None,
) -> Path:
    """Write one self-contained offline HTML report of results folders.

    Args:
        paths: comparison folders and/or run folders, in report order. A comparison gives the
            revenue/netback bars, the waterfall, cumulative revenue, exports by route and, per
            scenario, maps, policy timeline and bottlenecks; a run folder gives exports by
            route, maps, timeline and bottlenecks. Each ends with a provenance table.
        out: the HTML file to write (parent folders are created). It is written to a temporary
            file beside it and renamed, so a failure leaves no partial file.
        command: the command that built the report, shown in the provenance block.
        periods: map periods (years or inclusive ``(start, end)`` pairs); default the first,
            middle and last year of each run's horizon.

    Returns:
        ``out`` as a Path.

    Raises:
        ResultsError: a folder is missing or incomplete.
        ReportError: a chart cannot be made (e.g. a route without a rail path).
    """
    out = Path(out)
    page = _render_html(_sections(paths, periods, command), command)
    _write_atomic(out, page.encode("utf-8"))
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
    periods: Sequence[charts.Period] | None = None,
    scale: float = 2.0,
) -> list[Path]:
    """Write every chart of the report of ``paths`` as an image file.

    Files are named ``NN-<chart>.<fmt>`` in report order (``NN`` from 01). Maps use the vendored
    topojson, so no network is needed. Images are rendered by kaleido driving a local Chromium
    (see :func:`find_browser`).

    Args:
        paths, periods: as for :func:`build_report`.
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
    charts_ = [c for _, secs in _sections(paths, periods, None) for s in secs for c in s.charts]
    jobs = [
        (
            c.figure,
            {
                "format": fmt,
                "width": 1100 if "-map-" not in c.slug else 820,
                "height": c.figure.layout.height or 480,
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
