"""The ``potashsim`` command: the only module that prints, exits or maps errors to exit codes.

Exit status: 0 success, 2 invalid input (scenario, option, results folder or report path, a
Dask scheduler that cannot be reached or has no workers), 1 internal error, 130 interrupted.
Tracebacks only with ``--debug``. Heavy libraries are imported inside the commands so that
``potashsim --help`` starts fast.
"""

from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from potashsim.cli import limits
from potashsim.cli.sweep import FLUSH_RUNS
from potashsim.errors import (
    MarketError,
    PotashsimError,
    ReportError,
    ResultsError,
    ScenarioError,
    SchedulerError,
)
from potashsim.text import run_line

__all__ = ["main"]

_DEBUG = False


def _fail(message: str, code: int) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(code)


def _guard(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn potashsim's errors into messages and exit codes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ScenarioError as err:
            if _DEBUG:
                raise
            for p in err.problems:
                click.echo(str(p), err=True)
            _fail(f"{len(err.problems)} problem(s); nothing was run or written.", 2)
        except (ResultsError, ReportError, MarketError, SchedulerError) as err:
            if _DEBUG:
                raise
            _fail(f"error: {err}", 2)
        except PotashsimError as err:
            if _DEBUG:
                raise
            _fail(f"error: {err}", 1)
        except KeyboardInterrupt:
            _fail("interrupted; no results folder was left half-written.", 130)
        except BrokenPipeError:
            # the reader stopped early (`| head`): say nothing more, as other tools do
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)
        except (click.ClickException, click.exceptions.Exit, SystemExit):
            raise
        except Exception as err:  # the last line of defence: no traceback for users
            if _DEBUG:
                raise
            _fail(
                f"internal error: {type(err).__name__}: {err}\n"
                "Rerun with --debug for the traceback, and please report it.",
                1,
            )

    return wrapper


def _command_line() -> str:
    return " ".join(shlex.quote(a) for a in ["potashsim", *sys.argv[1:]])


def _report_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--report FILE.html``, passed to the command as ``report_path``."""
    return click.option(
        "--report",
        "report_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=help_text,
    )


def _map_years(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Any:
    """``2022,2027,2029`` -> ``[2022, 2027, 2029]``; ``all`` -> ``"all"``; None -> None."""
    if value is None or value.strip().lower() == "all":
        return None if value is None else "all"
    try:
        years = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        years = []
    if not years:
        raise click.BadParameter(
            f"{value!r}: give years separated by commas, e.g. 2022,2027,2029, or all"
        )
    return sorted(set(years))


_map_years_option = click.option(
    "--map-years",
    "map_years",
    default=None,
    callback=_map_years,
    metavar="YEARS|all",
    help="Years the maps draw, e.g. 2022,2027,2029, or all: the frames of the report's map "
    "slider [default: every year] (and, for `potashsim report --format png|svg`, one map image "
    "per year [default: the first, middle and last year]).",
)

_out_option = click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("results"),
    show_default=True,
    help="Results root folder.",
)

_F = TypeVar("_F", bound=Callable[..., Any])


def _granularity_option(default: str) -> Callable[[_F], _F]:
    """``--granularity`` (the model layer's choices, spelled out so that --help imports no
    schema), its default as ``default`` says."""
    return click.option(
        "--granularity",
        type=click.Choice(["train", "fast"]),
        default=None,
        help="How potash moves: train (one process per train and per ship, the model of record) "
        "or fast (daily batches, compiled: about ten times faster, within about 2% of train level "
        f"a year: for ensembles) [default: {default}].",
    )


_workers_option = click.option(
    "--workers",
    "-j",
    type=int,
    default=None,
    help="Worker processes [default: the machine's cores].",
)


def _moved(scenarios: list[Any], granularity: str | None) -> list[Any]:
    """``scenarios`` at ``granularity`` (as they are when it is None)."""
    if granularity is None:
        return scenarios
    from potashsim.scenario.granularity import with_granularity

    return [with_granularity(s, granularity) for s in scenarios]


_set_option = click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a parameter by dotted path, e.g. ports.klaipeda.handling_usd_per_t=11 "
    "(repeatable).",
)


def _load(ref: str, overrides: tuple[str, ...]) -> Any:
    from potashsim.scenario.loader import load_scenario

    scenario = load_scenario(ref, overrides=list(overrides))
    _print_event_notes(ref, scenario)
    return scenario


def _print_event_notes(ref: str, scenario: Any) -> int:
    """Print the warnings and notes about ``scenario``'s events on stderr, the first few of each
    kind and a count of the rest; return the number of warnings (events that change nothing)."""
    from potashsim.cli.event_lines import event_lines
    from potashsim.sim.policy import ineffective_events

    notes = ineffective_events(scenario.events)
    for line, is_warning in event_lines(ref, notes):
        click.secho(line, fg="red" if is_warning else "yellow", err=True)
    return sum(n.is_warning for n in notes)


def _collect(refs: tuple[str, ...], load: Callable[[str], Any]) -> list[Any]:
    """``load(ref)`` for every ref, reporting the problems of all of them before stopping."""
    loaded, problems = [], []
    for ref in refs:
        try:
            loaded.append(load(ref))
        except ScenarioError as err:
            problems.extend(err.problems)
    if problems:
        # a --set problem is the same in every scenario it was applied to: say it once
        raise ScenarioError(list(dict.fromkeys(problems)))
    return loaded


def _load_all(refs: tuple[str, ...], overrides: tuple[str, ...]) -> list[Any]:
    """Load every scenario, reporting the problems of all of them before stopping."""
    return _collect(refs, lambda ref: _load(ref, overrides))


def _load_compared(
    refs: tuple[str, ...], overrides: tuple[str, ...], set_for: tuple[str, ...]
) -> tuple[list[Any], dict[str, list[str]]]:
    """The scenarios of a comparison, each loaded with ``--set`` then its own ``--set-for``
    overrides, and ``{name: overrides applied}`` (empty for a scenario nothing changed)."""
    if not set_for:
        loaded = _load_all(refs, overrides)
        return loaded, {s.name: list(overrides) for s in loaded}
    from potashsim.cli.compare_options import parse_set_for
    from potashsim.scenario.loader import load_scenario

    # the names first, quietly: the notes are printed once, by the load below
    quiet = _collect(refs, lambda ref: load_scenario(ref, overrides=list(overrides)))
    name_of = {ref: s.name for ref, s in zip(refs, quiet, strict=True)}
    own = parse_set_for(set_for, list(name_of.values()))
    loaded = _collect(refs, lambda ref: _load(ref, (*overrides, *own.get(name_of[ref], ()))))
    return loaded, {s.name: [*overrides, *own.get(s.name, ())] for s in loaded}


class _Command(click.Command):
    """A command whose "unexpected extra argument" error explains the ``--set KEY=VALUE`` form
    when the extra argument came from a ``--set KEY VALUE`` written with a space."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        given = list(args)  # the parser consumes ``args``
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as err:
            if "unexpected extra argument" in str(err) and any(
                a in ("--set", "--set-for") for a in given
            ):
                raise click.UsageError(
                    f"{err.message}\n--set takes KEY=VALUE as one word, without spaces around "
                    "'=': e.g. --set ports.klaipeda.handling_usd_per_t=11",
                    ctx,
                ) from err
            raise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="potashsim")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """potashsim: Belarusian potash export routes under sanctions, simulated.

    \b
    Quick start:
      potashsim validate scenarios/
      potashsim explain history
      potashsim compare baseline history us_eu_lifted_lithuania_holds all_lifted \\
          --replications 10 --report results/report.html
    """
    global _DEBUG
    _DEBUG = debug


# every command below explains a `--set KEY VALUE` written with a space
main.command_class = _Command


@main.command()
@click.argument("paths", nargs=-1, required=True)
@_set_option
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when a valid file has warnings (events that change nothing), so that CI can "
    "make them fatal.",
)
@_guard
def validate(paths: tuple[str, ...], overrides: tuple[str, ...], strict: bool) -> None:
    """Check scenario files (or folders of them): schema, references, the network they use.

    Exit status: 0 all valid, 2 a file is invalid, 1 with --strict when a valid file has
    warnings.
    """
    from potashsim.analysis.check import expectation_problems
    from potashsim.analysis.sweep.runner import check_params
    from potashsim.analysis.sweep.spec import is_sweep_file, read_sweep_file
    from potashsim.scenario.loader import discover, load_scenario

    files = discover(paths)
    if not files:
        _fail(f"no scenario files found in {', '.join(paths)}", 2)
    bad = warned = 0
    for f in files:
        sweep = is_sweep_file(Path(f))
        try:
            if sweep:  # sweeps/*.yaml: checked as `potashsim sweep` checks it
                check_params(read_sweep_file(Path(f)))
            else:
                scenario = load_scenario(str(f), overrides=list(overrides))
                expected = expectation_problems(Path(f), scenario)
                if expected:  # what `check` would refuse, found without running anything
                    raise ScenarioError(expected)
        except ScenarioError as err:
            bad += 1
            for p in err.problems:
                click.echo(str(p))
            continue
        if sweep:
            click.echo(f"{f}: ok (a sweep file)")
            continue
        warnings = _print_event_notes(str(f), scenario)
        warned += warnings > 0
        click.echo(f"{f}: ok" + (f" ({warnings} warning(s))" if warnings else ""))
    with_warnings = f", {warned} with warnings" if warned else ""
    click.echo(
        f"{len(files)} file(s) checked: {len(files) - bad} valid, {bad} invalid{with_warnings}"
    )
    if bad:
        sys.exit(2)
    if strict and warned:
        _fail(f"--strict: {warned} file(s) with warnings", 1)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option(
    "--junit",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the results as JUnit XML (for CI).",
)
@_set_option
@_guard
def check(paths: tuple[str, ...], junit: Path | None, overrides: tuple[str, ...]) -> None:
    """Validate scenario files (or folders), run each once at point values and assert the
    `expect:` list each may carry. Exit 0 all pass, 1 an expectation failed, 2 a file is
    invalid."""
    from potashsim.analysis.check import Outcome, RunCache, check_file
    from potashsim.cli.junit import write_junit
    from potashsim.errors import Problem
    from potashsim.scenario.loader import discover

    files = discover(paths)
    if not files:
        _fail(f"no scenario files found in {', '.join(paths)}", 2)
    # before anything runs: a bad path is exit 2
    limits.check_outputs(report_path=junit, html=False)
    outcomes: list[Outcome] = []
    invalid: dict[str, list[Problem]] = {}
    cache: RunCache = {}
    for f in files:
        try:
            found = check_file(f, overrides, cache)
        except ScenarioError as err:
            invalid[str(f)] = err.problems
            for p in err.problems:
                click.echo(str(p))
            continue
        outcomes += found
        for o in found:
            click.echo(f"{o.file}: {o.name}: " + ("ok" if o.passed else f"FAILED ({o.message})"))
    failed = sum(not o.passed for o in outcomes)
    click.echo(
        f"{len(files)} file(s): {len(outcomes) - failed} check(s) passed, {failed} failed, "
        f"{len(invalid)} file(s) invalid"
    )
    if junit is not None:
        write_junit(junit, outcomes, invalid)
        click.echo(f"junit: {junit}")
    if invalid:
        sys.exit(2)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("scenario")
@click.option(
    "--parameters",
    is_flag=True,
    help="Print every network parameter with its source or estimate (Markdown).",
)
@click.option("--yaml", "as_yaml", is_flag=True, help="Print the resolved scenario as YAML.")
@_set_option
@_guard
def explain(scenario: str, parameters: bool, as_yaml: bool, overrides: tuple[str, ...]) -> None:
    """Show a scenario fully resolved, and its policy timeline."""
    from potashsim.cli.explain import parameter_table, render

    loaded = _load(scenario, overrides)
    if as_yaml:
        import yaml

        click.echo(yaml.safe_dump(loaded.model_dump(mode="json"), sort_keys=False))
    elif parameters:
        click.echo(parameter_table(loaded))
    else:
        click.echo(render(loaded))


@main.command()
@_guard
def schema() -> None:
    """Print the JSON Schema of scenario files (for editors)."""
    from potashsim.scenario.schema import ScenarioFile

    doc = ScenarioFile.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["title"] = "potashsim scenario"
    click.echo(json.dumps(doc, indent=2))


def _check_seed(seed: int | None) -> None:
    if seed is not None and seed < 0:
        raise click.BadParameter("must be 0 or more", param_hint="--seed")


@main.command("run")
@click.argument("scenarios", nargs=-1, required=True)
@click.option("--seed", type=int, default=None, help="Seed (default: the scenario's).")
@click.option(
    "--shadow-prices",
    is_flag=True,
    help="Also write shadow_prices.csv: what one more train a day or Mt a year of each limit "
    "would earn, period by period (takes about as long again as the run).",
)
@_out_option
@_set_option
@_granularity_option("the scenario's model.granularity, train as shipped")
@_guard
def run_cmd(
    scenarios: tuple[str, ...],
    seed: int | None,
    shadow_prices: bool,
    out: Path,
    overrides: tuple[str, ...],
    granularity: str | None,
) -> None:
    """Run scenarios once each; print each run folder's path (last lines of the output)."""
    _check_seed(seed)
    from potashsim.analysis.experiment import run
    from potashsim.results.write import save_run

    loaded = _moved(_load_all(scenarios, overrides), granularity)
    limits.check_outputs(out)
    folders = []
    for s in loaded:
        result = run(s, seed=seed, shadow_prices=shadow_prices)
        click.echo(f"{run_line(result.summary)}, {result.wall_s:.2f} s)")
        folders.append(save_run(result, out, command=_command_line(), overrides=list(overrides)))
    for f in folders:
        click.echo(str(f))


@main.command()
@click.argument("base")
@click.argument("others", nargs=-1, required=True)
@click.option(
    "--replications",
    "-n",
    type=int,
    default=20,
    show_default=True,
    help="Paired replications per scenario.",
)
@_workers_option
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Root seed of the replications [default: the base scenario's].",
)
@_out_option
@_report_option("Also write the HTML report here.")
@_map_years_option
@limits.scheduler_option
@click.option(
    "--yes",
    is_flag=True,
    help=f"Run even more than {limits.MAX_RUNS:,} runs, or an estimated "
    f"{limits.MAX_SECONDS / 60:.0f} min or more (refused without it).",
)
@click.option(
    "--window",
    "window_text",
    default=None,
    metavar="START..END",
    help="Count the exports of these days only (ISO dates, inside every scenario's horizon) "
    "[default: the days all scenarios' horizons share].",
)
@_set_option
@click.option(
    "--set-for",
    "set_for",
    multiple=True,
    metavar="NAME:KEY=VALUE",
    help="Override a parameter of scenario NAME only, e.g. "
    "history:ports.klaipeda.handling_usd_per_t=20 (repeatable). Changed scenarios are "
    "labelled NAME* in the tables and the report.",
)
@_granularity_option("the scenario's model.granularity, train as shipped")
@_guard
def compare(
    base: str,
    others: tuple[str, ...],
    replications: int,
    workers: int | None,
    seed: int | None,
    out: Path,
    report_path: Path | None,
    map_years: Any,
    scheduler: str | None,
    window_text: str | None,
    yes: bool,
    overrides: tuple[str, ...],
    set_for: tuple[str, ...],
    granularity: str | None,
) -> None:
    """Compare scenarios against BASE over paired replications (common random numbers), over
    the days all their horizons share (or --window)."""
    if replications < 1:
        raise click.BadParameter("must be 1 or more", param_hint="--replications")
    if workers is not None and workers < 1:
        raise click.BadParameter("must be 1 or more", param_hint="--workers")
    _check_seed(seed)
    from potashsim.cli.compare_options import choose_window
    from potashsim.cli.tables import comparison_table
    from potashsim.results.write import compare_to_folder

    loaded, applied = _load_compared((base, *others), overrides, set_for)
    loaded = _moved(loaded, granularity)
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        _fail(f"scenario names must differ, got {', '.join(names)}", 2)
    window = choose_window(window_text, loaded)
    workers = _check_limits(loaded, replications, workers, scheduler, yes)
    limits.check_outputs(out, report_path)
    total = replications * len(loaded)
    where = f"Dask ({scheduler})" if scheduler else f"{workers} worker(s)"
    with click.progressbar(length=total, label=f"{total} runs on {where}", file=sys.stderr) as bar:

        def tick(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        # replications.csv is written as the runs finish; the folder appears once all is written
        cmp, folder = compare_to_folder(
            loaded,
            out,
            command=_command_line(),
            replications=replications,
            seed=loaded[0].seed if seed is None else seed,
            workers=workers,
            scheduler=scheduler,
            progress=tick,
            window=window,
            overrides=applied,
        )
    click.echo(comparison_table(cmp))
    if report_path is not None:
        from potashsim.report import build_report

        build_report([folder], report_path, command=_command_line(), periods=map_years)
        click.echo(f"report: {report_path}")
    click.echo(str(folder))


def _check_limits(
    scenarios: list[Any], replications: int, workers: int | None, scheduler: str | None, yes: bool
) -> int:
    """The workers to use; notes on stderr; exit 2 for too many or too long runs without --yes."""
    workers, note = limits.cap_workers(workers, replications, scheduler)
    if note:
        click.secho(note, fg="yellow", err=True)
    # a year at the fast granularity costs a fraction of one at train level
    years = [
        ((s.horizon.end - s.horizon.start).days + 1)
        / 365.25
        * limits.COST_SHARE[s.network.model.granularity]
        for s in scenarios
    ]
    line, stop = limits.budget_problem(
        replications * len(scenarios),
        limits.estimate_s(years, replications, workers),
        workers,
        yes=yes,
    )
    if stop:
        _fail(line, 2)
    if line:
        click.secho(line, fg="yellow", err=True)
    return workers


@main.command()
@click.argument("target", metavar="SCENARIO|SWEEP_FILE")
@click.option("--vs", default=None, help="Base scenario each run is compared with, same seed.")
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="PATH=DIST",
    help="A swept parameter: a --set path, event:ID.date, event:ID.on or lift:ACTOR (the date "
    "the actor lifts its measures, in the scenario and the base); DIST is LOW..HIGH "
    "(uniform:LOW..HIGH), dates YYYY-MM-DD..YYYY-MM-DD, a lever 0..1 (repeatable).",
)
@click.option(
    "--design",
    type=click.Choice(["grid", "lhs", "sobol", "morris"]),
    default=None,
    help="grid (N levels a parameter), lhs (N samples), sobol (N·(D+2) runs, N a power of two), "
    "morris (N·(D+1) runs) [default: the file's, else sobol].",
)
@click.option("--n", "n", type=int, default=None, help="The design's size (see --design).")
@click.option("--seed", type=int, default=None, help="Sweep seed [default: the file's, else 0].")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The sweep folder [default: results/sweeps/NAME-HASH of the spec].",
)
@click.option(
    "--resume", is_flag=True, help="Continue the sweep in --out, running only what is missing."
)
@_workers_option
@_granularity_option("the sweep file's, else fast")
@_set_option
# runs a Parquet part holds at most; small in the tests that kill a sweep mid-way
@click.option("--part-runs", type=click.IntRange(min=1), default=FLUSH_RUNS, hidden=True)
@limits.scheduler_option
@_guard
def sweep(
    target: str,
    vs: str | None,
    params: tuple[str, ...],
    design: str | None,
    n: int | None,
    seed: int | None,
    out: Path | None,
    resume: bool,
    workers: int | None,
    granularity: str | None,
    overrides: tuple[str, ...],
    part_runs: int,
    scheduler: str | None,
) -> None:
    """Run SCENARIO (or a sweeps/*.yaml file) over a design of parameter values, each run
    against --vs with the same seed, into a resumable Parquet sweep folder; `potashsim report
    FOLDER` ranks the parameters (Sobol, Morris)."""
    if workers is not None and workers < 1:
        raise click.BadParameter("must be 1 or more", param_hint="--workers")
    _check_seed(seed)
    from potashsim.analysis.executors import max_workers
    from potashsim.cli.sweep import build_spec, run_sweep

    spec = build_spec(
        target,
        vs=vs,
        params=params,
        design=design,
        n=n,
        seed=seed,
        granularity=granularity,
        overrides=overrides,
    )
    folder = run_sweep(
        spec,
        out=out,
        resume=resume,
        workers=workers or max_workers(),
        part_runs=part_runs,
        scheduler=scheduler,
    )
    click.echo(str(folder))


@main.command()
@click.option("--replications", "-n", type=int, default=10, show_default=True)
@click.option("--seed", type=int, default=2019, show_default=True)
@_report_option("Also write the backtest chart and tables as an offline HTML file.")
@_set_option
@_guard
def backtest(
    replications: int, seed: int, report_path: Path | None, overrides: tuple[str, ...]
) -> None:
    """Set history beside every observed figure (exports, export value, channels, China's
    imports): error, bias and WAPE, in and out of sample. Nothing is fitted."""
    if replications < 1:
        raise click.BadParameter("must be 1 or more", param_hint="--replications")
    _check_seed(seed)
    from potashsim.analysis.backtest import backtest as run_backtest
    from potashsim.analysis.backtest import load_observations, summary
    from potashsim.cli.tables import backtest_table

    scenario = _load("history", overrides)
    limits.check_outputs(report_path=report_path)
    table = run_backtest(
        scenario, replications=replications, seed=seed, observations=load_observations()
    )
    summ = summary(table)
    click.echo(backtest_table(table, summ, replications))
    if report_path is not None:
        from potashsim.report import build_backtest_report

        build_backtest_report(table, summ, report_path, command=_command_line())
        click.echo(f"report: {report_path}")


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 shares the app with the network (no login: trusted "
    "networks only).",
)
@click.option("--port", type=click.IntRange(1, 65535), default=8050, show_default=True)
@_guard
def serve(host: str, port: int) -> None:
    """Open the web app: pick a scenario, switch measures off, move levers, compare (needs
    pip install 'potashsim[app]')."""
    import importlib.util

    if importlib.util.find_spec("dash") is None or importlib.util.find_spec("waitress") is None:
        _fail("potashsim serve needs Dash and waitress: pip install 'potashsim[app]'", 2)
    from potashsim.app.server import serve as run_server

    click.echo(f"potashsim serve: http://{host}:{port}/ (Ctrl+C to stop)")
    run_server(host=host, port=port)


@main.command()
@click.argument(
    "results",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The HTML file to write.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "png", "svg"]),
    default="html",
    show_default=True,
    help="png/svg: also export every chart as an image (needs Chromium) next to the HTML file.",
)
@_map_years_option
@_guard
def report(results: tuple[Path, ...], out: Path, fmt: str, map_years: Any) -> None:
    """Build the offline HTML report from comparison, run or sweep folders (never re-runs
    anything)."""
    from potashsim.report import build_report, export_images

    limits.check_outputs(report_path=out)
    path = build_report(list(results), out, command=_command_line(), periods=map_years)
    click.echo(f"report: {path}")
    if fmt != "html":
        folder = out.with_suffix("")
        for image in export_images(list(results), folder, fmt=fmt, periods=map_years):
            click.echo(str(image))
