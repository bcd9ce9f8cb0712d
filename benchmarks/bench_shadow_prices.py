"""What the shadow prices cost: re-solving every dispatch period of a run as an LP (issue 10).

Times ``simulate(history)`` over the shipped horizon (2019-2030) and, on its trace,
``shadow_prices`` (one HiGHS solve per 7-day period), and the building and the solving of the
periods' LPs alone, median of N after 1 warm-up; prints the cost per period and the ratio to the
run. This is why ``potashsim run`` computes them only with ``--shadow-prices`` and a comparison
only for the runs its report shows (replication 0).

Prints figures only; nothing here asserts on time. Run from the repository root::

    .venv/bin/python benchmarks/bench_shadow_prices.py            # 3 repeats
    .venv/bin/python benchmarks/bench_shadow_prices.py --quick    # 2-year horizon, 1 repeat
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common

from potashsim.analysis.shadow_prices import shadow_prices
from potashsim.scenario.loader import load_scenario
from potashsim.sim.dispatch import linear_program, solve_lp
from potashsim.sim.engine import simulate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="2019-2020, 1 repeat")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    _common.print_machine("shadow prices: re-solving each dispatch period as an LP")
    scenario = load_scenario("history")
    repeats = args.repeats
    if args.quick:
        scenario = _common.cut(scenario, dt.date(2019, 1, 1), dt.date(2020, 12, 31))
        repeats = 1
    sim_times, (trace, net, _cal) = _common.timed(lambda: simulate(scenario), repeats=repeats)
    periods = len(trace.dispatch_problems)
    build_times, _ = _common.timed(
        lambda: [linear_program(p) for _, p in trace.dispatch_problems], repeats=repeats
    )
    lps = [lp for _, p in trace.dispatch_problems if (lp := linear_program(p)) is not None]
    solve_times, _ = _common.timed(lambda: [solve_lp(lp) for lp in lps], repeats=repeats)
    dual_times, table = _common.timed(lambda: shadow_prices(trace, net), repeats=repeats)
    sim, build, solve, dual = (
        statistics.median(t) for t in (sim_times, build_times, solve_times, dual_times)
    )
    h = scenario.horizon
    print(f"   simulate {h.start}..{h.end}: {_common.spread(sim_times)}")
    print(f"   build the {periods} periods' LPs: {_common.spread(build_times)}")
    print(f"   solve the {len(lps)} LPs (as posed): {_common.spread(solve_times)}")
    print(f"   shadow_prices ({len(table):,} rows): {_common.spread(dual_times)}")
    print(
        f"   per period: {_common.fmt_s(dual / periods)} (of which building the LP "
        f"{_common.fmt_s(build / periods)}, solving it about {_common.fmt_s(solve / len(lps))}); "
        f"shadow prices / simulate = {dual / sim:.2f}"
    )


if __name__ == "__main__":
    main()
