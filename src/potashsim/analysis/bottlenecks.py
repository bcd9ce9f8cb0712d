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

import numpy as np
import pandas as pd

from potashsim.scenario.schema import NetworkSpec
from potashsim.sim.policy import Calendar
from potashsim.sim.processes import ice_factors  # the engine's own: they cannot drift
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
        ice = ice_factors(net, cal)[fid]
        cap = np.minimum(cap, port.berths * port.loading_t_per_day / ice)
    return cap


def _monthly_sums(series: np.ndarray, months: pd.PeriodIndex, first_day: np.ndarray) -> np.ndarray:
    """The sums of ``series`` (rows of one value a day) over each month, the months starting on
    the days ``first_day``: the floats pandas' ``groupby(months).sum()`` gives, which is what
    pandas does itself on sorted groups (``np.add.reduceat``); where a row holds a NaN, pandas'
    own sum (it skips NaN, with a compensated sum)."""
    if not np.isnan(series).any():
        return np.add.reduceat(series, first_day, axis=-1)
    grouped = pd.DataFrame(series.T).groupby(np.asarray(months)).sum()
    return np.asarray(grouped.to_numpy().T)


def utilisation_table(trace: RunTrace, net: NetworkSpec, cal: Calendar) -> pd.DataFrame:
    """Tidy monthly table: month, kind, facility, used, capacity, utilisation, mean_wait_days,
    available, utilisation_available (see the module's docstring and the results contract)."""
    days = pd.date_range(cal.start, periods=cal.days, freq="D")
    months = days.to_period("M")
    first_day = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    no_wait = np.zeros(cal.days)
    kinds: list[str] = []
    names: list[str] = []
    rows: list[np.ndarray] = []  # per facility: used, capacity, available, wait sum, waits

    def add(kind: str, fid: str, *series: np.ndarray) -> None:
        kinds.append(kind)
        names.append(fid)
        rows.append(np.array(series, dtype=float))

    for k in net.links:
        add(
            "link",
            k,
            trace.trains_entered[k],
            cal.capacity[f"link:{k}"] * cal.open[f"link:{k}"],
            available_per_day(trace, net, cal, "link", k),
            trace.train_wait_days[k],
            trace.trains_entered[k],
        )
    for k in net.ports:
        add(
            "port",
            k,
            trace.loaded_t[k],
            cal.capacity[f"port:{k}"] / 365.0 * cal.open[f"port:{k}"],
            available_per_day(trace, net, cal, "port", k),
            trace.ship_wait_days[k],
            trace.ships_loaded[k],
        )
    for k in net.borders:
        add(
            "border",
            k,
            trace.loaded_t[k],
            cal.capacity[f"border:{k}"] / 365.0 * cal.open[f"border:{k}"],
            available_per_day(trace, net, cal, "border", k),
            no_wait,
            no_wait,
        )
    count = len(first_day)
    # a facility's five series are summed together, as one pandas block was
    sums = np.array([_monthly_sums(r, months, first_day) for r in rows]).reshape(-1, 5, count)
    used, capacity, available, wait, n = (sums[:, j].ravel() for j in range(5))
    month = [d.date() for d in days[first_day]]
    return pd.DataFrame(
        {
            "month": month * len(kinds),
            "kind": [kind for kind in kinds for _ in range(count)],
            "facility": [fid for fid in names for _ in range(count)],
            "used": used,
            "capacity": capacity,
            "utilisation": _share(used, capacity),
            "mean_wait_days": np.where(n > 0, wait / np.where(n > 0, n, 1), 0.0),
            "available": available,
            "utilisation_available": _share(used, available),
        }
    )
