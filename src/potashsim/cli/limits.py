"""What ``compare`` may ask of the machine, checked before anything runs: workers, the number and
estimated time of runs, the scheduler address, and that the outputs can be written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from potashsim.analysis.executors import check_scheduler_address, max_workers
from potashsim.errors import ResultsError
from potashsim.results.atomic import check_writable

__all__ = [
    "COST_SHARE",
    "MAX_RUNS",
    "MAX_SECONDS",
    "RUN_S_PER_YEAR",
    "budget_problem",
    "cap_workers",
    "check_outputs",
    "estimate_s",
    "scheduler_option",
]

#: Above this many runs, or this many estimated seconds, ``compare`` asks for ``--yes``: a typo
#: (-n 100000) must not occupy the machine for a day without a word.
MAX_RUNS = 2000
MAX_SECONDS = 15 * 60.0

#: Seconds one CPU takes to simulate one year of a scenario (measured on the shipped scenarios,
#: 0.15-0.3 s; the upper end, so that the estimate rather errs long).
RUN_S_PER_YEAR = 0.3
#: The cost of a simulated year at each granularity, as a share of one at train level: a fast
#: ``history`` run 2019-2030 takes about a fifteenth of the train level's CPU (53 against 817 ms,
#: docs/performance.md); a tenth, so that the estimate rather errs long.
COST_SHARE = {"train": 1.0, "fast": 0.1}


def cap_workers(requested: int | None, replications: int, scheduler: str | None) -> tuple[int, str]:
    """The worker count to use and a note ("" when none is due) when ``requested`` is cut down.

    More local processes than CPUs only queue for them (and cost memory and start-up time each),
    so the default and the cap are the CPU count. A remote scheduler's workers are its own: the
    count is then only used for the time estimate, and not capped.
    """
    cpus = max_workers()
    if requested is None:
        return min(cpus, replications), ""
    if requested > cpus and scheduler in (None, "local"):
        return cpus, f"note: --workers {requested} is more than the {cpus} CPU(s); using {cpus}"
    return requested, ""


def estimate_s(horizon_years: Sequence[float], replications: int, workers: int) -> float:
    """Rough wall time (seconds) of ``replications`` runs of scenarios of these horizons."""
    return sum(horizon_years) * replications * RUN_S_PER_YEAR / max(1, workers)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def budget_problem(runs: int, seconds: float, workers: int, *, yes: bool) -> tuple[str, bool]:
    """A line about a large request, and whether it must stop there (no ``--yes`` given).

    Returns ("", False) for a request under :data:`MAX_RUNS` runs and :data:`MAX_SECONDS`.
    """
    if runs <= MAX_RUNS and seconds <= MAX_SECONDS:
        return "", False
    what = (
        f"{runs:,} runs, estimated at about {_duration(seconds)} on {workers} worker(s) "
        "(a rough estimate from the horizon lengths)"
    )
    if yes:
        return f"note: {what}", False
    return (
        f"error: --replications: {what}; add --yes to run them, or ask for fewer replications",
        True,
    )


def _check_scheduler(_ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    if value is not None:
        try:
            check_scheduler_address(value)
        except ValueError as err:
            raise click.BadParameter(str(err)) from err
    return value


scheduler_option = click.option(
    "--scheduler",
    default=None,
    metavar="local|ADDRESS",
    callback=_check_scheduler,
    help="Run replications on Dask: 'local' starts a LocalCluster on this machine; "
    "an address (tcp://host:8786) uses a running scheduler. Needs the 'dist' "
    "extra. Results are the same as with local processes.",
)


def check_outputs(
    out: Path | None = None, report_path: Path | None = None, *, html: bool = True
) -> None:
    """Check that the results root ``out`` and the report file (each when given) can be written,
    before anything runs; nothing is created. With ``html`` (the default) the report is an HTML
    page, so its name must end in ``.html`` (or ``.htm``): a ``report.png`` holding HTML opens
    nowhere.

    Raises:
        ResultsError: naming the path and the reason (a file in the way, a read-only or
            pseudo file system such as /proc, /dev/null, a report not named .html).
    """
    if out is not None:
        check_writable(out, folder=True)
    if report_path is None:
        return
    check_writable(report_path, folder=False)
    if html and report_path.suffix.lower() not in (".html", ".htm"):
        raise ResultsError(
            f"{report_path}: the report is an HTML page; give a file name ending in .html "
            "(`potashsim report --format png|svg` adds images of its charts beside it)"
        )
