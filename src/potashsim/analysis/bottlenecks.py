"""Where the chain is tight: monthly use against capacity of rail links, ports and borders.

Reads only the engine's records, the policy calendar and the network. ``utilisation`` is
``used / capacity`` with both in the same unit (trains for links, tonnes for ports and borders),
``capacity`` being the nominal capacity in force on the days the facility was open.
``utilisation_available`` is ``used / available``: ``available`` is what the chain could really
take on those days, the least of

* the nominal capacity (0 while closed),
* for a port, what its berths can load: berths × loading_t_per_day / ice factor, day by day,
* the capacity the dispatcher offered its planner for the period (``RunTrace.dispatch_problems``:
  for a port, its capacity and berths less the ice slowdown on the period's first day; for a
  rail link, the period's trains less those queued beyond a day, which take its first slots).

A month with no capacity (closed) has no utilisation.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.policy import Calendar
from potashsim.sim.processes import _ice as ice_factor  # the engine's own: they cannot drift
from potashsim.sim.records import RunTrace

__all__ = ["available_per_day", "utilisation_table"]


def _share(used: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """``used / cap``, NaN where ``cap`` is 0."""
    return np.where(cap > 0, used / np.where(cap > 0, cap, 1), np.nan)


def _planned_per_day(trace: RunTrace, net: NetworkSpec, kind: str, fid: str) -> np.ndarray:
    """What the dispatcher offered its planner for ``fid``, per day of each period (trains a day
    for links, t a day for terminals); infinite on days no recorded period covers."""
    out = np.full(trace.days, np.inf)
    period = net.model.dispatch_interval_days
    per_train = net.model.train_payload_t if kind == "link" else 1.0
    for day, problem in trace.dispatch_problems:
        limits = problem.link_t if kind == "link" else problem.terminal_t
        if fid in limits:
            out[day : day + period] = limits[fid] / period / per_train
    return out


def available_per_day(
    trace: RunTrace, net: NetworkSpec, cal: Calendar, kind: str, fid: str
) -> np.ndarray:
    """The capacity of facility ``kind:fid`` the chain could use each day (trains for a link,
    tonnes for a port or border): the least of its nominal capacity while open, a port's
    ice-slowed berths and the dispatcher's offer (see the module's docstring)."""
    key = f"{kind}:{fid}"
    nominal = cal.capacity[key] * cal.open[key]
    if kind != "link":
        nominal = nominal / 365.0
    cap: np.ndarray = np.minimum(nominal, _planned_per_day(trace, net, kind, fid))
    if kind == "port":
        port = net.ports[fid]
        cap = np.minimum(cap, port.berths * port.loading_t_per_day / ice_factor(net, cal, fid))
    return cap


def utilisation_table(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> pd.DataFrame:
    """Tidy monthly table: month, kind, facility, used, capacity, utilisation, mean_wait_days,
    available, utilisation_available (see the module's docstring and the results contract)."""
    months = pd.date_range(cal.start, periods=cal.days, freq="D").to_period("M")
    month_index = pd.PeriodIndex(months)
    frames: list[pd.DataFrame] = []

    def add(
        kind: str,
        fid: str,
        used: np.ndarray,
        capacity: np.ndarray,
        available: np.ndarray,
        wait_sum: np.ndarray | None,
        wait_n: np.ndarray | None,
    ) -> None:
        df = pd.DataFrame(
            {
                "m": month_index,
                "used": used,
                "capacity": capacity,
                "available": available,
                "wait": wait_sum if wait_sum is not None else 0.0,
                "n": wait_n if wait_n is not None else 0.0,
            }
        )
        g = df.groupby("m", sort=True)[["used", "capacity", "available", "wait", "n"]].sum()
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
        used_m = out["used"].to_numpy()
        out["utilisation"] = _share(used_m, out["capacity"].to_numpy())
        n = g["n"].to_numpy()
        out["mean_wait_days"] = np.where(n > 0, g["wait"].to_numpy() / np.where(n > 0, n, 1), 0.0)
        out["available"] = g["available"].to_numpy()
        out["utilisation_available"] = _share(used_m, out["available"].to_numpy())
        frames.append(out)

    for k in net.links:
        open_ = cal.open[f"link:{k}"]
        add(
            "link",
            k,
            trace.trains_entered[k],
            cal.capacity[f"link:{k}"] * open_,
            available_per_day(trace, net, cal, "link", k),
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
            available_per_day(trace, net, cal, "port", k),
            trace.ship_wait_days[k],
            trace.ships_loaded[k],
        )
    for k in net.borders:
        open_ = cal.open[f"border:{k}"]
        add(
            "border",
            k,
            trace.loaded_t[k],
            cal.capacity[f"border:{k}"] / 365.0 * open_,
            available_per_day(trace, net, cal, "border", k),
            None,
            None,
        )
    return pd.concat(frames, ignore_index=True)
