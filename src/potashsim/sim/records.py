"""Plain records that flow from the engine to the accounts: what happened, never what it earned."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, overload

import numpy as np

from potashsim.sim.dispatch import DispatchProblem

__all__ = ["DELIVERY_FIELDS", "Delivery", "DeliveryLog", "RunTrace"]


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


#: A delivery's fields, in order.
DELIVERY_FIELDS = Delivery._fields
# each field's array type in DeliveryLog.columns (the days: int64)
_KINDS: dict[str, type] = {"route": object, "market": object, "tonnes": float}


class DeliveryLog(Sequence[Delivery]):
    """A run's deliveries in the order they were exported: a sequence of :class:`Delivery`
    that also gives them as columns (:meth:`columns`), which the accounts read.

    The train level appends them one at a time. The fast granularity's compiled layer hands
    over all of them at the end as columns (:meth:`from_columns`), and a tuple each is made only
    if something reads them one by one: a comparison's accounts read the columns alone, and
    building thousands of tuples to take them apart again cost more than the run's accounts.
    """

    __slots__ = ("_columns", "_rows")

    def __init__(self, rows: Iterable[Delivery] = ()) -> None:
        self._rows: list[Delivery] | None = list(rows)
        self._columns: dict[str, np.ndarray] | None = None

    @classmethod
    def from_columns(cls, columns: dict[str, np.ndarray]) -> DeliveryLog:
        """A log of the deliveries ``columns`` holds, one array per field of
        :data:`DELIVERY_FIELDS` (days int64, ``route`` and ``market`` object arrays of str,
        ``tonnes`` float64), row ``i`` the ``i``-th delivery."""
        log = cls()
        log._rows = None
        log._columns = _read_only({name: columns[name] for name in DELIVERY_FIELDS})
        return log

    def _list(self) -> list[Delivery]:
        if self._rows is None:
            assert self._columns is not None
            fields = zip(*(self._columns[f].tolist() for f in DELIVERY_FIELDS), strict=True)
            self._rows = [Delivery._make(row) for row in fields]
        return self._rows

    def append(self, delivery: Delivery) -> None:
        """Add the next delivery."""
        self._list().append(delivery)
        self._columns = None

    def extend(self, deliveries: Iterable[Delivery]) -> None:
        """Add the next deliveries, in order."""
        self._list().extend(deliveries)
        self._columns = None

    def columns(self) -> dict[str, np.ndarray]:
        """The deliveries as one array per field of :data:`DELIVERY_FIELDS`, in order (days
        int64, ``route`` and ``market`` object arrays of str, ``tonnes`` float64). Read only."""
        if self._columns is None:
            rows = self._list()
            values = list(zip(*rows, strict=True)) if rows else [()] * len(DELIVERY_FIELDS)
            self._columns = _read_only(
                {
                    name: np.array(v, dtype=_KINDS.get(name, np.int64))
                    for name, v in zip(DELIVERY_FIELDS, values, strict=True)
                }
            )
        return self._columns

    def __len__(self) -> int:
        if self._rows is None:
            assert self._columns is not None
            return len(self._columns["tonnes"])
        return len(self._rows)

    @overload
    def __getitem__(self, index: int) -> Delivery: ...
    @overload
    def __getitem__(self, index: slice) -> list[Delivery]: ...
    def __getitem__(self, index: int | slice) -> Delivery | list[Delivery]:
        return self._list()[index]

    def __iter__(self) -> Iterator[Delivery]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        """Equal to a log, list or tuple of the same deliveries in the same order."""
        if isinstance(other, DeliveryLog):
            return self._list() == other._list()
        return isinstance(other, (list, tuple)) and self._list() == list(other)

    def __repr__(self) -> str:
        return f"DeliveryLog({self._list()!r})"

    __hash__ = None  # type: ignore[assignment]  # compared by value, like a list


def _read_only(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``columns`` made read-only: readers share the log's own arrays, and a write through one
    of them would change the run's record unseen."""
    for values in columns.values():
        values.flags.writeable = False
    return columns


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
    deliveries: DeliveryLog = field(default_factory=DeliveryLog)
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
