"""How policy-event handling scales with the number of events (issue 11, item 12).

Times ``build_calendar`` and ``ineffective_events`` on a 2-year horizon (2021-2022) of the
shipped network with N random close/reopen events (transit links, several actors), against
the same N note events, which change nothing and cost next to nothing, and N discounts and
their removals on markets (the costliest to withdraw); and, for the largest
N a scenario file may hold, ``potashsim validate`` on such a file in a fresh process.

Prints figures only; nothing here asserts on time. Run from the repository root::

    .venv/bin/python benchmarks/bench_events.py            # N = 1,000, 5,000, 10,000
    .venv/bin/python benchmarks/bench_events.py --quick    # N = 1,000 and 2,000
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
from pydantic import TypeAdapter

from potashsim.scenario.loader import load_scenario
from potashsim.scenario.schema import Event, Horizon
from potashsim.sim.policy import build_calendar, ineffective_events

START, END = dt.date(2021, 1, 1), dt.date(2022, 12, 31)
TARGETS = ["link:lt_transit", "link:lv_transit", "link:pl_transit", "link:ua_transit"]
ACTORS = ["EU", "Lithuania", "Latvia", "Poland"]
MARKETS = ["market:all", "market:eu", "market:brazil", "market:china"]


def event_dicts(n: int, *, seed: int = 1, kind: str = "close/reopen") -> list[dict[str, Any]]:
    """``n`` events on random days of the horizon: closes and reopens of transit links, notes,
    or discounts and their removals on markets (``market:all`` among them)."""
    rng = random.Random(seed)
    days = (END - START).days + 1
    out = []
    for _ in range(n):
        date = START + dt.timedelta(days=rng.randrange(days))
        ev: dict[str, Any] = {"date": date, "actor": rng.choice(ACTORS)}
        if kind == "discount":
            ev["target"] = rng.choice(MARKETS)
            ev["action"] = rng.choice(["discount", "discount", "remove_discount"])
            if ev["action"] == "discount":
                ev["discount_usd_per_t"] = rng.choice([0.1, 0.2, 0.3])
        else:
            ev["target"] = rng.choice(TARGETS)
            ev["action"] = "note" if kind == "note" else rng.choice(["close", "reopen"])
        if kind == "note":
            ev["note"] = "x"
        out.append(ev)
    return sorted(out, key=lambda e: e["date"])


def scenario_with(events: list[dict[str, Any]]) -> Any:
    event = TypeAdapter(Event)
    base = load_scenario("baseline")
    return base.model_copy(
        update={
            "horizon": Horizon(start=START, end=END),
            "events": tuple(event.validate_python(e) for e in events),
        }
    )


def cli_validate(n: int) -> tuple[float, int, str]:
    """Wall time, exit code and last output line of ``potashsim validate`` on an n-event file."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.yaml"
        lines = [
            "name: many",
            "extends: baseline",
            f"horizon: {{start: {START}, end: {END}}}",
            "events:",
        ]
        lines += [
            f"  - {{date: {e['date']}, actor: {e['actor']}, action: {e['action']}, "
            f'target: "{e["target"]}"}}'
            for e in event_dicts(n)
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        exe = Path(sys.executable).with_name("potashsim")
        t0 = time.perf_counter()
        proc = subprocess.run(
            [str(exe), "validate", str(path)], capture_output=True, text=True, timeout=600
        )
        wall = time.perf_counter() - t0
        out = (proc.stdout + proc.stderr).strip().splitlines()
        return wall, proc.returncode, f"{len(out)} lines; last: {out[-1] if out else ''}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller N, one repeat")
    args = ap.parse_args()
    _common.print_machine("policy events: calendar and warnings against the number of events")
    sizes = [1_000, 2_000] if args.quick else [1_000, 5_000, 10_000]
    repeats = 1 if args.quick else 3
    for n in sizes:
        for label in ("close/reopen", "note", "discount"):
            scenario = scenario_with(event_dicts(n, kind=label))
            cal_t, _ = _common.timed(lambda s=scenario: build_calendar(s), repeats=repeats)
            warn_t, warnings = _common.timed(
                lambda s=scenario: ineffective_events(s.events), repeats=repeats
            )
            print(f"N={n:>6,} {label:<12} build_calendar      {_common.spread(cal_t)}")
            print(
                f"N={n:>6,} {label:<12} ineffective_events  {_common.spread(warn_t)}"
                f"  ({len(warnings)} warnings)"
            )
    n = sizes[-1] if args.quick else 5_000
    wall, code, tail = cli_validate(n)
    print(
        f"potashsim validate, {n:,} close/reopen events: {_common.fmt_s(wall)}, exit {code}, {tail}"
    )


if __name__ == "__main__":
    main()
