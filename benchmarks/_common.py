"""Helpers shared by the benchmark scripts: timing with medians, machine facts, scenario cuts.

Not a benchmark itself. The scripts put their own folder on ``sys.path`` when run as
``.venv/bin/python benchmarks/<name>.py``, so ``import _common`` works without installing.
Nothing here asserts on time: the scripts print figures and ratios only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 1
    try:
        load = os.getloadavg()
    except OSError:
        load = (float("nan"),) * 3
    try:
        head = subprocess.run(
            ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        commit = f"{head}{' + uncommitted src changes' if dirty else ''}"
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": usable,
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "loadavg_1_5_15": tuple(round(x, 2) for x in load),
        "commit": commit,
    }


def stop_tracing() -> None:
    """Stop ``tracemalloc`` (registered to run in forked workers, so only the parent traces)."""
    import tracemalloc

    if tracemalloc.is_tracing():
        tracemalloc.stop()


def rss_mb() -> float:
    """Resident set size of this process now (MB), from /proc (Linux)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def child_figures(cmd: list[str], what: str, cwd: Path | None = None) -> dict[str, Any]:
    """Run a benchmark's child process; the figures it printed as JSON on its last line.

    Exits naming ``what`` and the end of the child's stderr when the child fails.
    """
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=cwd)
    if done.returncode:
        sys.exit(f"{what} failed:\n{done.stderr[-2000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def print_machine(title: str) -> dict[str, Any]:
    """Print the header every benchmark starts with; return the facts."""
    m = machine()
    print(f"== {title}")
    print(
        f"   {m['date']}  nproc={m['nproc']} (cpu_count={m['cpu_count']})  "
        f"{m['implementation']} {m['python']}  commit {m['commit']}"
    )
    print(f"   {m['processor']}  load average {m['loadavg_1_5_15']}")
    print(f"   {sys.executable}")
    return m


def timed(fn: Callable[[], Any], *, repeats: int, warmup: int = 1) -> tuple[list[float], Any]:
    """Wall times (s) of ``repeats`` calls of ``fn`` after ``warmup`` untimed calls; and the last
    result."""
    result = None
    for _ in range(warmup):
        result = fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def spread(times: list[float]) -> str:
    """``median (min..max, ±x% spread)`` of a list of wall times in seconds."""
    med = statistics.median(times)
    rel = (max(times) - min(times)) / med * 100 if med else 0.0
    return (
        f"median {fmt_s(med)} (min {fmt_s(min(times))}, max {fmt_s(max(times))}, "
        f"spread {rel:.0f}% of median, n={len(times)})"
    )


def fmt_s(seconds: float) -> str:
    """Seconds with a unit that keeps three significant figures."""
    if seconds >= 1:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def verdict(value: float, target: float, *, lower_is_better: bool = True) -> str:
    """``meets`` or ``falls short`` of a target (a statement, never an assertion)."""
    ok = value <= target if lower_is_better else value >= target
    return "meets" if ok else "falls short"


def cut(scenario: Any, start: dt.date, end: dt.date) -> Any:
    """``scenario`` with its horizon replaced (no re-validation: events outside the new horizon
    stay in the list and simply never take effect)."""
    from potashsim.scenario.schema import Horizon

    return scenario.model_copy(update={"horizon": Horizon(start=start, end=end)})


def write_figures(out: dict[str, Any], path: Any) -> dict[str, Any]:
    """Write the figures as JSON to ``path`` (when given) and return them."""
    if path:
        path.write_text(json.dumps(out, indent=2, default=str))
        print(f"\nfigures written to {path}")
    return out
