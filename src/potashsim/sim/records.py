"""Plain records that flow from the engine to the accounts: what happened, never what it earned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from potashsim.sim.dispatch import DispatchProblem

__all__ = ["Delivery", "RunTrace"]


class Delivery(NamedTuple):
    """One lot exported to a buyer.

    Days are indices from the horizon start: ``dispatch_day`` the train left the mine,
    ``terminal_day`` it unloaded at the port (or crossed the border), ``load_day`` the ship
    sailed (the export date; equal to ``terminal_day`` for rail), ``delivered_day`` the buyer
    receives it (may lie after the horizon). A named tuple: a run records thousands, and the
    accounts read them as the rows of a table.
    """

    dispatch_day: int
    terminal_day: int
    load_day: int
    delivered_day: int
    route: str
    market: str
    tonnes: float


@dataclass
class RunTrace:
    """Everything one simulation recorded. Arrays are per day of the horizon.

    Mass balance: ``initial_stock_t + produced_t.sum() == exported + domestic_t.sum() +
    end_stock_t + in_transit_t`` where exported sums ``deliveries`` and in transit is what is
    on trains or in a ship still loading.
    """

    start: dt.date
    days: int
    seed: int
    deliveries: list[Delivery] = field(default_factory=list)
    produced_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    curtailed_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    domestic_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    trains_entered: dict[str, np.ndarray] = field(default_factory=dict)
    """Trains entering each rail link per day."""
    train_wait_days: dict[str, np.ndarray] = field(default_factory=dict)
    """Summed days trains waited at each link's entry, by the day they entered."""
    loaded_t: dict[str, np.ndarray] = field(default_factory=dict)
    """Tonnes loaded on ships at each port (or crossing each border) per day."""
    ship_wait_days: dict[str, np.ndarray] = field(default_factory=dict)
    """Summed days ships waited for a berth, by the day they got one."""
    ships_loaded: dict[str, np.ndarray] = field(default_factory=dict)
    port_stock_peak_t: dict[str, float] = field(default_factory=dict)
    berths_busy_peak: dict[str, int] = field(default_factory=dict)
    exported_t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """Tonnes exported on each day (ships sailed, trains across a border)."""
    world_factor: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """The world price factor on each day (1 with the price response off)."""
    initial_stock_t: float = 0.0
    end_stock_t: float = 0.0
    in_transit_t: float = 0.0
    end_stock_by_place_t: dict[str, float] = field(default_factory=dict)
    dispatch_problems: list[tuple[int, DispatchProblem]] = field(default_factory=list)
    """Each dispatch period's problem as the dispatcher posed it, with the day it was posed
    (periods are ``model.dispatch_interval_days`` long; the last may run past the horizon).
    Kept so that the analysis can re-solve a period as an LP and read its shadow prices."""
