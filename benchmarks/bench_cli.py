"""Cold start of the command line: ``potashsim --help`` and ``import potashsim`` in new processes.

Each figure is the wall time of a fresh subprocess (interpreter start included), median of N
runs after one untimed warm-up run (so the files are in the page cache, as they are for a user
who has run the command once). ``python -c pass`` is timed the same way as the floor no package
can go below. Then ``python -X importtime`` shows what ``--help`` imports: the heavy libraries
(numpy, scipy, pandas, simpy, plotly, pydantic, yaml) should not be among them, and the largest
cumulative imports are listed.

Then how soon the command line gives up on hostile input and stops on Ctrl-C (the tests check
what happens, never how fast): ``potashsim validate`` of a file over the size limit and of a YAML
alias bomb, in fresh processes; and the time from Ctrl-C to exit of a running
``potashsim compare`` (SIGINT to its process group, as a terminal sends it).

Run: ``.venv/bin/python benchmarks/bench_cli.py [--quick] [--runs N] [--json PATH]``.
Prints figures; never asserts on time.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, fmt_s, print_machine, spread, verdict, write_figures

TARGET_HELP_S = 0.5
# How soon hostile input is refused and Ctrl-C obeyed: (what is timed, limit in s). The limits are
# the ones the tests asserted before wall-clock assertions left the tests.
REFUSALS = {
    "oversized": ("potashsim validate <file over the size limit>", 2.0),
    "alias_bomb": ("potashsim validate <YAML alias bomb>", 5.0),
    "ctrl_c": ("Ctrl-C to exit, compare running on 2 workers", 10.0),
}
HEAVY = ("numpy", "scipy", "pandas", "simpy", "plotly", "pydantic", "yaml", "matplotlib")
PY = sys.executable
CLI = str(Path(PY).parent / "potashsim")
POTASHSIM = [PY, "-m", "potashsim"]  # the console script pip installed in this venv
HELP_CODE = "import sys; sys.argv = ['potashsim', '--help']\nfrom potashsim.cli import main\nmain()"


def wall(cmd: list[str], runs: int, *, exit_code: int = 0) -> list[float]:
    """Wall times of ``runs`` fresh runs of ``cmd`` after one warm-up (output discarded); each
    run must exit with ``exit_code``."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    times = []
    for i in range(runs + 1):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
        if i:
            times.append(time.perf_counter() - t0)
        if proc.returncode != exit_code:
            raise RuntimeError(f"{cmd} exited {proc.returncode}, not {exit_code}: {proc.stderr}")
    return times


def hostile_files(folder: Path) -> dict[str, Path]:
    """A scenario file one byte over the size limit, and a YAML alias bomb (9**10 values)."""
    from potashsim.scenario.yamlio import MAX_FILE_BYTES

    oversized = folder / "oversized.yaml"
    oversized.write_bytes(b"name: huge\n" + b"#" * MAX_FILE_BYTES)
    lines = ["a0: &a0 [1, 2, 3, 4, 5, 6, 7, 8, 9]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    bomb = folder / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\nname: bomb\n", encoding="utf-8")
    return {"oversized": oversized, "alias_bomb": bomb}


def ctrl_c_stop_s(out: Path) -> float:
    """Seconds from Ctrl-C to exit of a ``potashsim compare`` whose replications are running."""
    proc = subprocess.Popen(
        [
            *POTASHSIM,
            "compare",
            "baseline",
            "history",
            "-n",
            "40",
            "--workers",
            "2",
            "--out",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        start_new_session=True,  # its own process group, so the workers get the SIGINT too
    )
    try:
        assert proc.stderr is not None
        proc.stderr.readline()  # the progress label: the replications are being handed out
        time.sleep(2)  # the workers are inside their runs
        os.killpg(proc.pid, signal.SIGINT)
        t0 = time.perf_counter()
        _, err = proc.communicate(timeout=300)
        stopped_s = time.perf_counter() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    if proc.returncode != 130:
        raise RuntimeError(f"an interrupted compare exited {proc.returncode}, not 130: {err}")
    return stopped_s


def refusals(runs: int) -> dict[str, list[float]]:
    """Wall times of refusing hostile input and of obeying Ctrl-C, printed against the limits."""
    with tempfile.TemporaryDirectory() as tmp:
        files = hostile_files(Path(tmp))
        times = {
            name: wall([*POTASHSIM, "validate", str(path)], runs, exit_code=2)
            for name, path in files.items()
        }
        times["ctrl_c"] = [ctrl_c_stop_s(Path(tmp) / f"out{i}") for i in range(max(1, runs // 3))]
    width = max(len(label) for label, _ in REFUSALS.values())
    for name, ts in times.items():
        label, limit_s = REFUSALS[name]
        verdict_s = verdict(statistics.median(ts), limit_s)
        print(f"{label:<{width}}  {spread(ts)}  (limit {limit_s} s: {verdict_s})")
    return times


def importtime(code: str) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) for every import ``code`` makes, via -X importtime."""
    proc = subprocess.run(
        [PY, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cum_us, name = (p.strip() for p in line[len("import time:") :].split("|"))
        rows.append((int(self_us), int(cum_us), name))
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--quick", action="store_true", help="smoke mode: 3 runs each")
    ap.add_argument("--runs", type=int, default=None, help="timed runs (default 10, quick 3)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    runs = args.runs or (3 if args.quick else 10)
    info = print_machine("bench_cli: cold start of the command line")
    print(f"   {runs} fresh processes per command after 1 warm-up; console script {CLI}")
    print()

    cases = {
        "python -c pass (floor)": [PY, "-c", "pass"],
        "python -c 'import potashsim'": [PY, "-c", "import potashsim"],
        "python -c 'import potashsim.cli'": [PY, "-c", "import potashsim.cli"],
        "potashsim --help": [CLI, "--help"],
        "python -m potashsim --help": [PY, "-m", "potashsim", "--help"],
    }
    times = {label: wall(cmd, runs) for label, cmd in cases.items()}
    floor = statistics.median(times["python -c pass (floor)"])
    width = max(map(len, times))
    for label, ts in times.items():
        above = statistics.median(ts) - floor
        print(f"{label:<{width}}  {spread(ts)}  (+{fmt_s(above)} over the floor)")
    help_med = statistics.median(times["potashsim --help"])
    print()
    print(
        f"potashsim --help cold start: {fmt_s(help_med)} median "
        f"(target <= {TARGET_HELP_S} s: {verdict(help_med, TARGET_HELP_S)})"
    )

    rows = importtime(HELP_CODE)
    top = {name.strip().split(".")[0] for _, _, name in rows}
    heavy = [h for h in HEAVY if h in top]
    print()
    print(
        f"--help imports {len(rows)} modules; heavy libraries among them: "
        f"{', '.join(heavy) if heavy else 'none'} (checked: {', '.join(HEAVY)})"
    )
    ours = sum(s for s, _, n in rows)
    print(f"summed self import time (-X importtime, one run): {fmt_s(ours / 1e6)}")
    print("largest cumulative imports under --help:")
    for _self, cum, name in sorted(rows, key=lambda r: -r[1])[:12]:
        print(f"  {cum / 1e3:8.1f} ms  {name}")
    pkg_rows = importtime("import potashsim")
    heavy_pkg = [h for h in HEAVY if h in {n.strip().split(".")[0] for _, _, n in pkg_rows}]
    print(
        f"'import potashsim' imports {len(pkg_rows)} modules; heavy: "
        f"{', '.join(heavy_pkg) if heavy_pkg else 'none'}"
    )

    print()
    print("refusing hostile input, obeying Ctrl-C (fresh processes, interpreter start included):")
    refusal_times = refusals(runs)

    out = {
        "machine": info,
        "runs": runs,
        "times": times,
        "help_median_s": help_med,
        "heavy_under_help": heavy,
        "heavy_under_import": heavy_pkg,
        "top_imports_help": sorted(rows, key=lambda r: -r[1])[:12],
        "refusal_times": refusal_times,
    }
    return write_figures(out, args.json)


if __name__ == "__main__":
    main()
