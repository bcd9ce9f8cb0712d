"""Save runs and comparisons under ``results/`` (the contract in docs/results-contract.md).

File names and columns are those of :mod:`potashsim.contract`. Only what was run is written: a
run's or a comparison's own tables, never a re-run. Every folder is built beside its place and
renamed into it (:func:`potashsim.results.atomic.replacing`), so an interrupted or failed write
leaves no half-written folder. A run folder's name is a hash of what determines its
content; an existing folder with the same summary is left as it is, one with a different summary
is never overwritten.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from potashsim import contract as c
from potashsim.analysis.experiment import Comparison, RunResult, compare, resolve
from potashsim.analysis.tables import timeline_table
from potashsim.errors import ResultsError
from potashsim.results.atomic import replacing, write_bytes, writing_to
from potashsim.results.csv_text import csv_text
from potashsim.results.stream import ReplicationFiles, write_rows
from potashsim.scenario.digest import scenario_hash, scenario_json
from potashsim.scenario.schema import NetworkSpec, Scenario
from potashsim.sim.network import routes

__all__ = [
    "compare_to_folder",
    "comparison_folder",
    "save_comparison",
    "save_run",
    "scenario_hash",
    "versions",
]


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    # the installed versions do not change while the process runs (each look-up reads metadata)
    out = {"python": platform.python_version()}
    for pkg in (
        "potashsim",
        "simpy",
        "numpy",
        "numba",
        "scipy",
        "highspy",
        "pandas",
        "pydantic",
        "plotly",
    ):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return tuple(out.items())


def versions() -> dict[str, str]:
    """Versions of potashsim, Python and the libraries that shape results."""
    return dict(_versions())


def _dump_json(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8"
    )


def _write_csv(folder: Path, name: str, frame: pd.DataFrame) -> None:
    """Write ``frame`` as the contract's CSV file ``name``, with exactly its columns, in order.

    Raises:
        KeyError: ``frame`` lacks a column of the contract (a bug upstream, never a user's).
    """
    text = csv_text(frame, list(c.COLUMNS[name]))
    (folder / name).write_text(text, encoding="utf-8", newline="")


def network_json(net: NetworkSpec) -> dict[str, Any]:
    """Nodes, links, ports, borders, markets and lanes with coordinates, and routes: for the map.

    Ports, borders and markets carry their ``colour`` from the network data (None where it
    gives none), so that a report draws a route or a market in the same colour every time.

    Each route's rail links are those the model ran (:func:`potashsim.sim.network.routes`), so
    that the report draws the flows where the cargo went and never works the paths out again.
    """
    nodes = [
        {
            "id": k,
            "name": n.name,
            "lat": n.lat,
            "lon": n.lon,
            "kind": "mine" if any(m.node == k for m in net.mines.values()) else "node",
        }
        for k, n in net.nodes.items()
    ]
    anchor = {p.sea_region: net.nodes[p.node] for p in net.ports.values()}
    return {
        "nodes": nodes,
        "links": [
            {
                "id": k,
                "from": v.from_node,
                "to": v.to_node,
                "country": v.country,
                "distance_km": v.distance_km,
            }
            for k, v in net.links.items()
        ],
        "ports": [
            {
                "id": k,
                "name": v.name,
                "node": v.node,
                "sea_region": v.sea_region,
                "colour": v.colour,
            }
            for k, v in net.ports.items()
        ],
        "borders": [
            {"id": k, "node": v.node, "market": v.market, "colour": v.colour}
            for k, v in net.borders.items()
        ],
        "markets": [
            {"id": k, "name": v.name, "lat": v.lat, "lon": v.lon, "colour": v.colour}
            for k, v in net.markets.items()
        ],
        "lanes": [
            {
                "id": f"{r}.{m}",
                "sea_region": r,
                "market": m,
                "lat": anchor[r].lat if r in anchor else None,
                "lon": anchor[r].lon if r in anchor else None,
            }
            for r, lanes in net.lanes.items()
            for m in lanes
        ],
        "routes": [
            {
                "id": r.id,
                "kind": r.kind,
                "origin": r.origin,
                "links": list(r.links),
                "markets": list(r.markets),
            }
            for r in routes(net)
        ],
    }


# libyaml's safe emitter where it is installed: the same text as yaml.safe_dump (checked on every
# shipped scenario's resolved file), about five times faster
_SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _write_run(folder: Path, result: RunResult, manifest: dict[str, Any]) -> None:
    folder.mkdir(parents=True)
    _dump_json(folder / c.SUMMARY, result.summary)
    _write_csv(folder, c.MONTHLY, result.monthly)
    _write_csv(folder, c.UTILISATION, result.utilisation)
    _write_csv(folder, c.TIMELINE, timeline_table(result.calendar))
    if result.shadow_prices is not None:
        _write_csv(folder, c.SHADOW_PRICES, result.shadow_prices)
    _dump_json(folder / c.NETWORK, network_json(result.network))
    _dump_json(folder / c.MANIFEST, manifest)
    (folder / c.SCENARIO).write_text(
        yaml.dump(
            json.loads(scenario_json(result.scenario)),
            Dumper=_SAFE_DUMPER,
            sort_keys=False,
            allow_unicode=True,
        ),
        encoding="utf-8",
    )


def _manifest(result: RunResult, command: str, overrides: list[str]) -> dict[str, Any]:
    return {
        "scenario": result.scenario.name,
        "source": result.scenario.source or result.scenario.name,
        "scenario_sha256": scenario_hash(result.scenario),
        "seed": result.seed,
        "overrides": overrides,
        "command": command,
        "versions": versions(),
        "wall_time_s": round(result.wall_s, 3),
    }


def save_run(
    result: RunResult, root: Path, *, command: str = "", overrides: list[str] | None = None
) -> Path:
    """Write ``result`` to ``root/<scenario>/<run-id>/`` and return the folder.

    Raises:
        ResultsError: the folder exists with a different summary (it is left untouched), or it
            cannot be written (full disk, read-only file system, a file in the way): the message
            names the folder and the reason, and nothing is left half-written.
    """
    manifest = _manifest(result, command, overrides or [])
    key = f"{manifest['scenario_sha256']}:{result.seed}:{manifest['versions']['potashsim']}"
    folder = root / result.scenario.name / hashlib.sha256(key.encode()).hexdigest()[:12]
    if folder.exists():
        _check_same(folder, result.summary)
        _add_shadow_prices(folder, result)
        return folder
    with writing_to(folder), replacing(folder, keep_existing=True) as tmp:
        _write_run(tmp, result, manifest)
    return folder


def _add_shadow_prices(folder: Path, result: RunResult) -> None:
    """Add the shadow prices to a run folder written without them (the same run, first saved
    by ``potashsim run`` without ``--shadow-prices``)."""
    path = folder / c.SHADOW_PRICES
    if result.shadow_prices is None or path.exists():
        return
    columns = list(c.COLUMNS[c.SHADOW_PRICES])
    with writing_to(path):
        write_bytes(path, csv_text(result.shadow_prices, columns).encode())


def _check_same(folder: Path, summary: dict[str, Any]) -> None:
    try:
        old = json.loads((folder / c.SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ResultsError(
            f"{folder} exists but its {c.SUMMARY} cannot be read ({err}); move it away to rerun"
        ) from err
    new = json.loads(json.dumps(summary, default=str))
    if old != new:
        raise ResultsError(
            f"{folder} exists with a different summary; refusing to overwrite "
            "it (move it away, or run with another --out)"
        )


def _window_json(window: tuple[Any, Any]) -> dict[str, str]:
    return {"start": window[0].isoformat(), "end": window[1].isoformat()}


def comparison_folder(
    root: Path,
    scenarios: Sequence[Scenario],
    labels: Sequence[str],
    *,
    replications: int,
    seed: int,
    window: tuple[Any, Any],
    overrides: Mapping[str, Sequence[str]],
) -> Path:
    """``root/compare/<id>/``, where ``<id>`` is a short hash of what determines a comparison:
    the resolved scenarios by label, replications, seed, potashsim version, window and the
    overrides (``overrides`` by scenario name, as :func:`potashsim.analysis.experiment.resolve`
    gives them). Known before the comparison runs, so its files can be streamed into place."""
    hashes = {label: scenario_hash(s) for label, s in zip(labels, scenarios, strict=True)}
    by_label = {
        label: list(overrides.get(s.name, [])) for label, s in zip(labels, scenarios, strict=True)
    }
    key = json.dumps(
        [hashes, replications, seed, versions()["potashsim"], _window_json(window), by_label],
        sort_keys=True,
    )
    return root / "compare" / hashlib.sha256(key.encode()).hexdigest()[:12]


def _folder_of(cmp: Comparison, root: Path) -> Path:
    return comparison_folder(
        root,
        cmp.scenarios,
        cmp.labels,
        replications=cmp.replications,
        seed=cmp.seed,
        window=cmp.window,
        overrides=cmp.overrides,
    )


def _check_representative(cmp: Comparison) -> None:
    missing = [label for label in cmp.labels if label not in cmp.representative]
    if missing:
        raise ResultsError(
            f"the comparison holds no representative run of {', '.join(missing)}; save the "
            "Comparison that potashsim.compare returned"
        )


def _check_same_stats(folder: Path, cmp: Comparison) -> None:
    """``folder`` holds the same comparison already: leave it, or refuse if its stats differ."""
    old = json.loads((folder / c.COMPARISON).read_text(encoding="utf-8"))
    if old.get("stats") != json.loads(json.dumps(cmp.stats)):
        raise ResultsError(f"{folder} exists with different results; refusing to overwrite")


def _write_comparison(tmp: Path, cmp: Comparison, command: str, *, streamed: bool) -> None:
    """Write the comparison folder ``cmp`` at ``tmp`` (which exists); ``streamed``: its
    per-replication files are there already (written by :class:`ReplicationFiles`)."""
    labels = dict(zip(cmp.labels, cmp.scenarios, strict=True))
    overrides = {label: cmp.overrides.get(s.name, []) for label, s in labels.items()}
    ver = versions()
    doc = {
        "base": cmp.base,
        "scenarios": cmp.labels,
        "replications": cmp.replications,
        "seed": cmp.seed,
        "command": command,
        "potashsim_version": ver["potashsim"],
        "versions": ver,
        "scenario_hashes": {label: scenario_hash(s) for label, s in labels.items()},
        "window": _window_json(cmp.window),
        "shared_window": _window_json(cmp.shared_window),
        "horizons": {label: _window_json(h) for label, h in cmp.horizons.items()},
        "overrides": overrides,
        "stats": cmp.stats,
        "decomposition": cmp.decomposition,
        "wall_time_s": round(cmp.wall_s, 3),
    }
    rows = [
        {"scenario": s, "metric": m, **v, "unit": c.UNITS[m]}
        for s, metrics in cmp.stats.items()
        for m, v in metrics.items()
    ]
    _dump_json(tmp / c.COMPARISON, doc)
    for name, frame in (
        (c.COMPARISON_TABLE, pd.DataFrame(rows)),
        (c.DECOMPOSITION_TABLE, cmp.decomposition_by_year),
        (c.MONTHLY_ROUTES, cmp.monthly_routes),
    ):
        write_rows(tmp / name, name, frame, header=True)
    tables = cmp.replication_tables
    if isinstance(tables, ReplicationFiles):
        if not streamed:
            tables.copy_to(tmp)
    else:
        write_rows(tmp / c.REPLICATIONS, c.REPLICATIONS, tables.yearly, header=True)
        write_rows(tmp / c.MONTHLY_REVENUE, c.MONTHLY_REVENUE, tables.monthly_revenue, header=True)
    for label, s in labels.items():
        result = cmp.representative[label]
        manifest = _manifest(result, command, overrides[label])
        _write_run(tmp / c.RUNS / s.name, result, manifest)


def save_comparison(cmp: Comparison, root: Path, *, command: str = "") -> Path:
    """Write ``cmp`` to ``root/compare/<id>/`` (:func:`comparison_folder`) with a
    representative run per scenario.

    Scenarios are named by their labels (``history*`` where overrides changed one) in
    ``comparison.json`` and in every CSV file; the window the statistics count, each scenario's
    horizon and its overrides are recorded in ``comparison.json``. The representative run of each
    scenario is replication 0 (its seed is ``cmp.seeds[0]``), saved whole under
    ``runs/<name>/`` (the name without the mark) for the map, timeline and bottleneck charts. It
    is taken from ``cmp.representative``: results are written from what was run, never re-run.
    :func:`compare_to_folder` runs and writes in one go, streaming the per-replication files.

    Raises:
        ResultsError: ``cmp`` lacks the representative run of a scenario, or the folder exists
            with different statistics (it is left untouched), or it cannot be written (as for
            :func:`save_run`).
    """
    _check_representative(cmp)
    folder = _folder_of(cmp, root)
    if folder.exists():
        _check_same_stats(folder, cmp)
        return folder
    with writing_to(folder), replacing(folder, keep_existing=True) as tmp:
        tmp.mkdir()
        _write_comparison(tmp, cmp, command, streamed=False)
    return folder


@contextmanager
def _no_new_folders_on_failure(path: Path) -> Iterator[None]:
    """If the block fails, remove the folders on the way to ``path`` (itself included) that it
    created and left empty: a comparison that failed leaves nothing behind."""
    new = [p for p in (path, *path.parents) if not p.exists()]
    try:
        yield
    except BaseException:
        for p in new:  # deepest first
            with suppress(OSError):
                p.rmdir()
        raise


def compare_to_folder(
    scenarios: Sequence[Scenario],
    root: Path,
    *,
    replications: int,
    seed: int,
    command: str = "",
    **options: Any,
) -> tuple[Comparison, Path]:
    """Run :func:`potashsim.analysis.experiment.compare` and save it as :func:`save_comparison`
    does, streaming ``replications.csv`` and ``monthly_revenue.csv`` as the runs finish.

    The rows are appended in replication order to the files inside the folder's scratch copy,
    which is renamed into place once everything is written: the parent's memory does not grow
    with the number of replications, and a run that fails or is stopped midway leaves no
    folder (and no partial file) where the results go. The returned comparison reads those
    two tables back from the saved folder when asked.

    Args:
        scenarios, replications, seed, options: as for ``compare`` (options: ``workers``,
            ``scheduler``, ``progress``, ``window``, ``overrides``); ``sink`` is not accepted.
        root, command: as for :func:`save_comparison`.

    Raises:
        ValueError: as ``compare``.
        ResultsError: as :func:`save_comparison`; if the folder already holds the same
            comparison it is left as it is (after the run, which is what checks it).
    """
    window, applied, labels = resolve(scenarios, options.get("window"), options.get("overrides"))
    folder = comparison_folder(
        root,
        scenarios,
        labels,
        replications=replications,
        seed=seed,
        window=window,
        overrides=applied,
    )
    with (
        _no_new_folders_on_failure(folder.parent),
        writing_to(folder),
        replacing(folder, keep_existing=True) as tmp,
    ):
        tmp.mkdir()
        with ReplicationFiles(tmp) as files:
            cmp = compare(scenarios, replications=replications, seed=seed, sink=files, **options)
        _check_representative(cmp)
        if folder.exists():
            _check_same_stats(folder, cmp)
        else:
            _write_comparison(tmp, cmp, command, streamed=True)
    files.moved_to(folder)
    return cmp, folder
