"""Where the chain is tight: monthly use against capacity of rail links, ports and borders.

Reads only the engine's records and the policy calendar. ``utilisation`` is ``used / capacity``
with both in the same unit (trains for links, tonnes for ports and borders); a month in which a
facility is closed has capacity 0 and no utilisation.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.policy import Calendar
from potashsim.sim.records import RunTrace

__all__ = ["utilisation_table"]


def utilisation_table(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> pd.DataFrame:
    """Tidy monthly table: month, kind, facility, used, capacity, utilisation, mean_wait_days."""
    months = pd.date_range(cal.start, periods=cal.days, freq="D").to_period("M")
    month_index = pd.PeriodIndex(months)
    frames: list[pd.DataFrame] = []

    def add(
        kind: str,
        fid: str,
        used: np.ndarray,
        capacity: np.ndarray,
        wait_sum: np.ndarray | None,
        wait_n: np.ndarray | None,
    ) -> None:
        df = pd.DataFrame(
            {
                "m": month_index,
                "used": used,
                "capacity": capacity,
                "wait": wait_sum if wait_sum is not None else 0.0,
                "n": wait_n if wait_n is not None else 0.0,
            }
        )
        g = df.groupby("m", sort=True)[["used", "capacity", "wait", "n"]].sum()
        out = pd.DataFrame(
            {
                # grouped by the PeriodIndex column "m", so the index is a PeriodIndex
                "month": cast(pd.PeriodIndex, g.index).to_timestamp().date,
                "kind": kind,
                "facility": fid,
                "used": g["used"].to_numpy(),
                "capacity": g["capacity"].to_numpy(),
            }
        )
        cap = out["capacity"].to_numpy()
        out["utilisation"] = np.where(
            cap > 0, out["used"].to_numpy() / np.where(cap > 0, cap, 1), np.nan
        )
        n = g["n"].to_numpy()
        out["mean_wait_days"] = np.where(n > 0, g["wait"].to_numpy() / np.where(n > 0, n, 1), 0.0)
        frames.append(out)

    for k in net.links:
        open_ = cal.open[f"link:{k}"]
        add(
            "link",
            k,
            trace.trains_entered[k],
            cal.capacity[f"link:{k}"] * open_,
            trace.train_wait_days[k],
            trace.trains_entered[k],
        )
    for k in net.ports:
        open_ = cal.open[f"port:{k}"]
        add(
            "port",
            k,
            trace.loaded_t[k],
            cal.capacity[f"port:{k}"] / 365.0 * open_,
            trace.ship_wait_days[k],
            trace.ships_loaded[k],
        )
    for k in net.borders:
        open_ = cal.open[f"border:{k}"]
        add("border", k, trace.loaded_t[k], cal.capacity[f"border:{k}"] / 365.0 * open_, None, None)
    return pd.concat(frames, ignore_index=True)
