"""Under which conditions does Belarus recover over 90% of its pre-2022 netback while Klaipeda
stays shut? Scenario discovery with the EMA Workbench's PRIM on ``potashsim.ema``.

Usage (needs the ``ema`` extra: ``pip install 'potashsim[ema]'``):

    python docs/examples/prim_recovery.py --n 400 [--start 2028-01-01 --end 2028-12-31] [-j 2]

1. The pre-2022 netback is the model's own: ``history`` over 2019-2021 (before Lithuania's
   transit stop of 2022-02-01), netback per day, at the fast granularity and the same seed.
2. ``us_eu_lifted_lithuania_holds`` (the US and EU lifted, Lithuania keeps Klaipeda shut) is run
   over the horizon for ``--n`` experiments drawn by a seeded Latin hypercube from
   :data:`UNCERTAINTIES`, whose ranges are those the network data gives each value
   (``potashsim explain us_eu_lifted_lithuania_holds --parameters``).
3. ``recovery_share`` = the experiment's netback over the horizon / (the pre-2022 netback per
   day × the horizon's days). PRIM looks for the box of uncertainties in which
   ``recovery_share > --share`` (0.9) is most common; the box printed is the densest on PRIM's
   peeling trajectory that still covers at least ``--min-coverage`` (0.5) of those experiments,
   less every restriction PRIM cannot tell from chance (quasi-p value ≥ ``--max-qp``, 0.05).

``--set KEY=VALUE`` fixes a value in every experiment (an uncertainty fixed so is not varied),
e.g. the price level, to ask what decides the answer once it is known. The experiments table is
written with ``--out FILE.csv``. Every experiment runs with one seed
(common random numbers), so the experiments differ only through the uncertainties.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from potashsim import ema
from potashsim.analysis.sweep.runner import run_sample
from potashsim.analysis.sweep.spec import SweepSpec
from potashsim.errors import ScenarioError

SCENARIO = "us_eu_lifted_lithuania_holds"
PRE_2022 = ("history", dt.date(2019, 1, 1), dt.date(2021, 12, 31))
"""The reference: history's netback over 2019-2021, before Lithuania stopped the transit."""

UNCERTAINTIES = (
    "ports.ust_luga_ntk.capacity_t_per_year=7000000..8000000",  # source: R33
    "ports.primorsk.capacity_t_per_year=11000000..12000000",  # source: R29
    "links.ru_nw.capacity_trains_per_day=6.0..10.0",  # estimate: the network's range (R21)
    "links.ru_nw.tariff_usd_per_t=8.0..20.0",  # estimate: the network's range (E5)
    "ports.ust_luga_ntk.ice.turnaround_factor=1.1..1.5",  # source: E9
    "lanes.gulf_of_finland.brazil.freight_usd_per_t=30.0..70.0",  # source: C22
    "world.demand_elasticity=-0.3..-0.05",  # estimate: the network's range (W8)
    "markets.all.price_after_last_usd_per_t=250.0..400.0",  # estimate: E11 widened, as the network
)
"""``PATH=DIST`` as ``potashsim sweep --param``: 8 uncertainties, ranges from the network data."""

SHARE = "recovery_share"


def horizon_sets(start: dt.date, end: dt.date) -> tuple[str, str]:
    """The ``--set`` overrides of a horizon."""
    return (f"horizon.start={start.isoformat()}", f"horizon.end={end.isoformat()}")


def days(start: dt.date, end: dt.date) -> int:
    """Days of a horizon, both ends included."""
    return (end - start).days + 1


def pre_2022_netback_usd_per_day(seed: int) -> float:
    """History's netback per day over 2019-2021, USD, by the sweep's own runner.

    Raises:
        RuntimeError: the run failed.
    """
    name, start, end = PRE_2022
    spec = SweepSpec(name, None, (), "lhs", 1, 0, "fast", horizon_sets(start, end))
    run = run_sample((spec, 0, seed, ()))["run"]
    if run["status"] != "ok":
        raise RuntimeError(f"history 2019-2021 failed: {run['error']}")
    return float(run["netback_usd"]) / days(start, end)


@dataclass
class Discovery:
    """What :func:`discover` found."""

    table: pd.DataFrame
    """One row an experiment: the uncertainties, the outcomes, ``recovery_share``."""
    pre_usd_per_day: float
    ranges: dict[str, tuple[float, float]]
    """Each uncertainty's range (as EMA holds it; dates as day ordinals)."""
    box: pd.DataFrame
    """The box's restricted uncertainties: ``low``, ``high`` (and PRIM's quasi-p values)."""
    coverage: float
    """Share of the experiments of interest (recovery above ``share``) inside the box."""
    density: float
    """Share of the experiments inside the box that are of interest."""
    mass: float
    """Share of all experiments inside the box."""
    of_interest: int


def experiments(
    n: int,
    start: dt.date,
    end: dt.date,
    *,
    seed: int,
    workers: int = 1,
    sets: Sequence[str] = (),
) -> tuple[Any, pd.DataFrame, float]:
    """Run ``n`` experiments: (the EMA model, the table, the pre-2022 netback per day).

    ``sets`` (``KEY=VALUE``) fix values in every experiment; an uncertainty fixed so is dropped.
    """
    fixed = {text.partition("=")[0] for text in sets}
    params = [u for u in UNCERTAINTIES if u.partition("=")[0] not in fixed]
    model = ema.model(SCENARIO, params=params, sets=(*horizon_sets(start, end), *sets), seed=seed)
    from ema_workbench import MultiprocessingEvaluator, SequentialEvaluator  # after ema.model,
    # which imports the workbench without its warning about back-ends not used here

    pre = pre_2022_netback_usd_per_day(seed)
    drawn = ema.scenarios(model, n, seed=seed)
    evaluator = (
        MultiprocessingEvaluator(model, n_processes=workers)
        if workers > 1
        else SequentialEvaluator(model)
    )
    with evaluator:
        x, outcomes = evaluator.perform_experiments(scenarios=drawn)
    names = [u.name for u in model.uncertainties]
    table = x[names].assign(**{k: v for k, v in outcomes.items()})
    table[SHARE] = table["netback_usd"] / (pre * days(start, end))
    return model, table, pre


def _quasi_p(values: Sequence[float]) -> float:
    """The smaller of a restriction's quasi-p values (PRIM gives -1 for an unrestricted side)."""
    real = [float(v) for v in values if v >= 0]
    return min(real) if real else float("nan")


def _quasi_ps(box: Any) -> dict[str, list[float]]:
    """The selected box's quasi-p values by restricted uncertainty: [lower side, upper side]
    (``PrimBox.qp`` in the workbench's 2.x, ``p_values`` in 3.x)."""
    values = box.p_values if hasattr(box, "p_values") else box.qp
    return dict(values[box._cur_box])


def find_box(
    table: pd.DataFrame,
    names: Sequence[str],
    share: float,
    min_coverage: float,
    max_qp: float = 0.05,
) -> Any:
    """PRIM on ``recovery_share > share``; the box selected is the densest on the peeling
    trajectory with coverage ≥ ``min_coverage``, less every restriction whose quasi-p value is
    ``max_qp`` or more. None when no experiment is of interest."""
    ok = table[SHARE].notna()
    y = (table.loc[ok, SHARE] > share).to_numpy()
    if not y.any():
        return None
    with warnings.catch_warnings():
        # the module warns that its optional altair views are missing (unused here), and PRIM
        # when its box reaches the density threshold before it stops peeling
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        # the workbench's 2.x asks for a density threshold (where peeling may stop); 3.x has none
        more = {"threshold": 0.8} if "threshold" in inspect.signature(prim.Prim).parameters else {}
        p = prim.Prim(table.loc[ok, list(names)].reset_index(drop=True), y, **more)
        box = p.find_box()
        trajectory = box.peeling_trajectory
        covering = trajectory[trajectory["coverage"] >= min_coverage]
        box.select(int(covering["density"].idxmax()))
        # a restriction PRIM cannot tell from chance (quasi-p ≥ max_qp) says nothing: drop it,
        # the least significant first, and let the box's statistics follow
        while True:
            qp = {name: _quasi_p(v) for name, v in _quasi_ps(box).items()}
            weak = {name: q for name, q in qp.items() if not q < max_qp}
            if not weak:
                return box
            box.drop_restriction(max(weak, key=lambda name: weak[name]))


def discover(
    n: int,
    start: dt.date,
    end: dt.date,
    *,
    seed: int = 1,
    share: float = 0.9,
    min_coverage: float = 0.5,
    max_qp: float = 0.05,
    workers: int = 1,
    sets: Sequence[str] = (),
) -> Discovery:
    """Run the experiments and PRIM; an empty box when no experiment recovers ``share``."""
    model, table, pre = experiments(n, start, end, seed=seed, workers=workers, sets=sets)
    names = [u.name for u in model.uncertainties]
    ranges = {u.name: (float(u.lower_bound), float(u.upper_bound)) for u in model.uncertainties}
    of_interest = int((table[SHARE] > share).sum())
    box = find_box(table, names, share, min_coverage, max_qp)
    if box is None:
        empty = pd.DataFrame(columns=["low", "high"])
        return Discovery(table, pre, ranges, empty, 0.0, 0.0, 0.0, 0)
    lims = box.box_lim
    start_lims = box.prim.box_init  # PRIM starts from the data's own min and max
    restricted = [c for c in names if not lims[c].equals(start_lims[c])]
    qp = _quasi_ps(box)
    limits = pd.DataFrame(
        {
            "low": [float(lims[c].iloc[0]) for c in restricted],
            "high": [float(lims[c].iloc[1]) for c in restricted],
            "qp": [_quasi_p(qp.get(c, [])) for c in restricted],
        },
        index=pd.Index(restricted, name="uncertainty"),
    )
    return Discovery(table, pre, ranges, limits, box.coverage, box.density, box.mass, of_interest)


def main(argv: Sequence[str] | None = None) -> Discovery:
    parser = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n\n", 1)[0].split()),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--n", type=int, default=400, help="experiments")
    parser.add_argument(
        "--start", type=dt.date.fromisoformat, default=dt.date(2028, 1, 1), help="horizon start"
    )
    parser.add_argument(
        "--end", type=dt.date.fromisoformat, default=dt.date(2028, 12, 31), help="horizon end"
    )
    parser.add_argument("--seed", type=int, default=1, help="design and simulation seed")
    parser.add_argument(
        "--share", type=float, default=0.9, help="recovery share sought (of the pre-2022 netback)"
    )
    parser.add_argument(
        "--min-coverage",
        type=float,
        default=0.5,
        help="the box must hold at least this share of the experiments that recover",
    )
    parser.add_argument("--max-qp", type=float, default=0.05, help="keep restrictions below it")
    parser.add_argument("-j", "--workers", type=int, default=1)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="fix a value in every experiment (an uncertainty fixed so is not varied)",
    )
    parser.add_argument("--out", type=Path, help="write the experiments table (CSV) here")
    args = parser.parse_args(argv)
    try:
        found = discover(
            args.n,
            args.start,
            args.end,
            seed=args.seed,
            share=args.share,
            min_coverage=args.min_coverage,
            max_qp=args.max_qp,
            workers=args.workers,
            sets=args.set,
        )
    except ScenarioError as err:  # a bad --set or range: the CLI's messages, exit 2
        for problem in err.problems:
            print(problem, file=sys.stderr)
        raise SystemExit(2) from None
    t = found.table
    per_year_bn = found.pre_usd_per_day * 365.25 / 1e9
    print(f"pre-2022 netback (history 2019-2021): USD {per_year_bn:.2f} bn/yr")
    print(
        f"{SCENARIO}, {args.start} to {args.end}, {len(t)} experiments: recovery share "
        f"median {t[SHARE].median():.2f} (5%: {t[SHARE].quantile(0.05):.2f}, "
        f"95%: {t[SHARE].quantile(0.95):.2f}); {found.of_interest} above {args.share:g}"
    )
    if found.of_interest == 0:
        print("no experiment recovers that much: no box to find")
    else:
        print(
            f"PRIM box: coverage {found.coverage:.2f}, density {found.density:.2f}, "
            f"mass {found.mass:.2f} (the share above {args.share:g} overall: "
            f"{found.of_interest / len(t):.2f})"
        )
        if found.box.empty:
            print("no restriction survives: no uncertainty's range tells these experiments apart")
        else:
            print("| uncertainty | range | box | quasi-p |")
            print("|---|---|---|---|")
        for name, row in found.box.iterrows():
            lo, hi = found.ranges[str(name)]
            drawn = t[str(name)] if str(name) in t else pd.Series([lo, hi])
            # a side of the box at the largest (smallest) value drawn restricts nothing: PRIM
            # puts it there; show only the other side
            if row["high"] >= min(hi, drawn.max()):
                box = f"≥ {row['low']:.4g}"
            elif row["low"] <= max(lo, drawn.min()):
                box = f"≤ {row['high']:.4g}"
            else:
                box = f"{row['low']:.4g}..{row['high']:.4g}"
            print(f"| `{name}` | {lo:g}..{hi:g} | {box} | {row['qp']:.2g} |")
    if args.out is not None:
        t.to_csv(args.out, index=False)
        print(f"experiments: {args.out}")
    return found


if __name__ == "__main__":
    main()
