"""``potashsim sweep``: build the spec from a sweep file and/or options, check it, run it into a
sweep folder with a progress bar, and summarise the failures."""

from __future__ import annotations

import hashlib
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from potashsim.errors import Problem, ScenarioError

__all__ = ["build_spec", "run_sweep"]

#: Write a part when this many runs are buffered, or when the oldest has waited FLUSH_S: a
#: killed sweep loses at most this many finished runs, which a resume runs again.
FLUSH_RUNS = 32
FLUSH_S = 10.0


def build_spec(
    target: str,
    *,
    vs: str | None,
    params: tuple[str, ...],
    design: str | None,
    n: int | None,
    seed: int | None,
    granularity: str | None,
    overrides: tuple[str, ...],
) -> Any:
    """The :class:`~potashsim.analysis.sweep.spec.SweepSpec` of ``target`` (a sweep file, or a
    scenario with ``--param`` options); options given override the file's values.

    Raises:
        ScenarioError: every problem of the file, the options and the design's N.
    """
    from potashsim.analysis.sweep.design import design_problem
    from potashsim.analysis.sweep.spec import (
        SweepSpec,
        is_sweep_file,
        parse_params,
        read_sweep_file,
    )
    from potashsim.scenario.yamlio import Document, read_yaml

    parsed, problems = parse_params(params)
    n_where: tuple[str, int | None] = ("--n", None)
    path = Path(target)
    if is_sweep_file(path):
        base = read_sweep_file(path)
        doc = read_yaml(path)
        if isinstance(doc, Document) and n is None:
            n_where = (doc.file, doc.line(("n",)))
        mine = {p.path for p in parsed}
        spec = replace(
            base,
            vs=vs if vs is not None else base.vs,
            params=(*(p for p in base.params if p.path not in mine), *parsed),
            design=design or base.design,
            n=n if n is not None else base.n,
            seed=seed if seed is not None else base.seed,
            granularity=granularity or base.granularity,
            sets=(*base.sets, *overrides),
        )
    else:
        if not parsed and not problems:
            problems.append(Problem("--param", None, "", "give at least one --param PATH=DIST"))
        if n is None:
            problems.append(Problem("--n", None, "", "give the design's size --n N"))
        spec = SweepSpec(
            scenario=target,
            vs=vs,
            params=tuple(parsed),
            design=design or "sobol",
            n=1 if n is None else n,
            seed=0 if seed is None else seed,
            granularity=granularity or "fast",
            sets=overrides,
        )
    paths = [p.path for p in spec.params]
    problems += [
        Problem("--param", None, p, "given twice")
        for p in sorted({p for p in paths if paths.count(p) > 1})
    ]
    if problems:
        raise ScenarioError(problems)
    why = design_problem(spec.design, spec.n, spec.params)
    if why:
        key = "" if n_where[1] is None else "n"  # the option names itself
        raise ScenarioError([Problem(n_where[0], n_where[1], key, why)])
    return spec


def _default_out(spec: Any) -> Path:
    """``results/sweeps/NAME-HASH``: the same spec gives the same folder, so --resume finds it."""
    name = spec.name or Path(spec.scenario).stem
    return (
        Path("results")
        / "sweeps"
        / f"{name}-{hashlib.sha256(spec.key().encode()).hexdigest()[:12]}"
    )


def _rate(done: int, t0: float) -> str:
    elapsed = time.perf_counter() - t0
    return f"{done / elapsed:.2f} runs/s" if elapsed > 0 and done else ""


def run_sweep(
    spec: Any,
    *,
    out: Path | None,
    resume: bool,
    workers: int,
    part_runs: int = FLUSH_RUNS,
    scheduler: str | None = None,
) -> Path:
    """Run ``spec``'s samples not yet on disk in ``out``; return the folder.

    Raises:
        ScenarioError: a parameter does not fit the scenarios.
        ResultsError: ``out`` holds something else, or a different sweep to resume.
    """
    from potashsim.analysis.executors import iter_tasks
    from potashsim.analysis.experiment import workers_ready
    from potashsim.analysis.sweep.design import make_design
    from potashsim.analysis.sweep.runner import check_params, run_sample, tasks
    from potashsim.results.sweep_store import SweepStore
    from potashsim.results.write import scenario_hash, versions
    from potashsim.sim.streams import replication_seeds

    scenarios = check_params(spec)
    design = make_design(spec)
    folder = out if out is not None else _default_out(spec)
    record = {
        **spec.to_json(),
        "scenario_sha256": [scenario_hash(s) for s in scenarios],
        "runs_total": len(design),
        "potashsim": versions()["potashsim"],
    }
    store = SweepStore.open(folder, record, resume=resume)
    seeds = replication_seeds(spec.seed, len(design))
    todo = [i for i in range(len(design)) if i not in store.done]
    if store.done:
        click.echo(f"resuming: {len(store.done)} of {len(design)} runs already done", err=True)
    failures: Counter[str] = Counter()
    t0 = time.perf_counter()
    last_flush = t0
    where = f"Dask ({scheduler})" if scheduler else f"{workers} worker(s)"
    label = f"{len(todo)} runs on {where}"
    try:
        with (
            workers_ready(scenarios[0], len(todo), workers, scheduler),
            click.progressbar(
                length=len(todo),
                label=label,
                file=sys.stderr,
                show_eta=True,
                show_pos=True,
                item_show_func=lambda s: s,
            ) as bar,
        ):
            # results come as they finish; the store keys each by its sample
            for done, (_, result) in enumerate(
                iter_tasks(
                    run_sample,
                    tasks(spec, design, seeds, todo),
                    workers=workers,
                    scheduler=scheduler,
                ),
                start=1,
            ):
                new = store.add(result)  # keyed by sample: a repeat is written once
                if new and result["run"]["status"] != "ok":
                    failures[result["run"]["error"]] += 1
                now = time.perf_counter()
                if store.pending >= part_runs or now - last_flush > FLUSH_S:
                    store.flush()
                    last_flush = now
                bar.update(1, _rate(done, t0))
    except KeyboardInterrupt:
        store.flush()  # the runs that finished are kept
        click.echo(
            f"interrupted: {len(store.done)} of {len(design)} runs are saved in {folder}; run "
            "the same command with --resume to finish the rest",
            err=True,
        )
        sys.exit(130)
    finally:
        store.flush()  # the runs that finished are kept, even on an error
    ok = len(todo) - sum(failures.values())
    click.echo(
        f"{ok} run(s) done, {sum(failures.values())} failed, in {time.perf_counter() - t0:.0f} s"
    )
    for error, count in failures.most_common(5):
        click.secho(f"  {count} x {error}", fg="red", err=True)
    if len(failures) > 5:
        click.secho(f"  ... and {len(failures) - 5} other error(s): see the error column", err=True)
    click.echo(f"sensitivity report: potashsim report {folder} --out {folder}/report.html")
    return folder
