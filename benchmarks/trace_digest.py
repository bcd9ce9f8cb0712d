"""A digest of every shipped scenario's trace, to show that a refactor changes no number.

Run it before and after a change (``git stash``, or two checkouts) and compare the lines: each is
``scenario.yaml: digest`` of one run at ``--seed`` (default 1), at the scenario's own granularity
or the one given. The digest covers the deliveries in order, the daily production, curtailment,
domestic sales, exports and world price factor, each link's and terminal's daily records, the
peaks, and the end stocks.

Run: ``.venv/bin/python benchmarks/trace_digest.py [--granularity train|fast] [--seed N]``.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np

from potashsim.scenario.granularity import GRANULARITIES, with_granularity
from potashsim.scenario.loader import load_scenario
from potashsim.sim.engine import simulate
from potashsim.sim.records import RunTrace

_ARRAYS = ("produced_t", "curtailed_t", "domestic_t", "exported_t", "world_factor")
_BY_PLACE = ("trains_entered", "train_wait_days", "loaded_t", "ship_wait_days", "ships_loaded")


def digest(trace: RunTrace) -> str:
    """The first 16 hex digits of a SHA-256 over everything ``trace`` recorded."""
    h = hashlib.sha256(repr([tuple(d) for d in trace.deliveries]).encode())
    for name in _ARRAYS:
        h.update(np.asarray(getattr(trace, name)).tobytes())
    for name in _BY_PLACE:
        for key, values in sorted(getattr(trace, name).items()):
            h.update(key.encode())
            h.update(np.asarray(values).tobytes())
    peaks = (sorted(trace.port_stock_peak_t.items()), sorted(trace.berths_busy_peak.items()))
    stocks = (trace.end_stock_t, trace.in_transit_t, sorted(trace.end_stock_by_place_t.items()))
    h.update(repr((peaks, stocks)).encode())
    return h.hexdigest()[:16]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--granularity", choices=GRANULARITIES, default=None)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    root = Path(__file__).resolve().parents[1]
    for path in sorted((root / "scenarios").glob("*.yaml")):
        scenario = load_scenario(str(path))
        if args.granularity:
            scenario = with_granularity(scenario, args.granularity)
        trace, _, _ = simulate(scenario, seed=args.seed)
        print(f"{path.name}: {digest(trace)}")


if __name__ == "__main__":
    main()
