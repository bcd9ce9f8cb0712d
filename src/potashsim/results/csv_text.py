"""A table's CSV text, the very text ``DataFrame.to_csv`` gives, made faster.

The run folders' tables are written by the parent process once every run of a comparison is done,
so their writing adds to the wait; ``shadow_prices.csv`` alone is some 30,000 rows a run. The
text here is that of ``frame.to_csv(columns=..., index=False)`` byte for byte: each float as
``repr`` gives it (numpy's ``astype(str)``, which pandas uses, is the same shortest round-trip
text), a missing value as an empty field, integers, text and dates as ``str`` gives them, and
lines ended by ``os.linesep``. Where that could differ (a cell that the CSV writer would quote,
a column of another type, a single column) the text is pandas' own.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["csv_text", "plain"]

# a comparison's parts stream a few dozen rows a replication
_SHORT = 256

# a field holding one of these is quoted by the CSV writer (QUOTE_MINIMAL)
_QUOTED = frozenset(',"\r\n' + os.linesep)


def plain(cells: list[str]) -> bool:
    """No cell would be quoted."""
    text = "".join(cells)
    return not any(ch in text for ch in _QUOTED)


def _by_value(values: np.ndarray, text: Callable[[Any], str]) -> list[str]:
    """``text`` of each of ``values`` (a 1-d numeric array), made once a distinct bit pattern:
    a table repeats its values (a period's limits, zeros), and equal bits give equal text
    (where equal numbers need not: 0.0 and -0.0). A short column is written value by value:
    the sort that finds its distinct values would cost more than it saves."""
    if values.size <= _SHORT:
        return [text(v) for v in values.tolist()]
    bits = np.ascontiguousarray(values).view(f"u{values.dtype.itemsize}")
    distinct, where = np.unique(bits, return_inverse=True)
    texts = np.array([text(v) for v in distinct.view(values.dtype).tolist()], dtype=object)
    cells: list[str] = texts[where.ravel()].tolist()
    return cells


def _cells(column: pd.Series) -> list[str] | None:
    """The column's cells as ``to_csv`` writes them, or None where that is not certain."""
    kind = column.dtype
    if isinstance(kind, np.dtype) and kind == np.float64:
        # NaN's repr is "nan"; pandas writes a missing value as an empty field
        return _by_value(column.to_numpy(), lambda x: "" if x != x else repr(x))
    if isinstance(kind, np.dtype) and kind.kind in "iu":
        return _by_value(column.to_numpy(), str)
    if isinstance(kind, pd.StringDtype) or (isinstance(kind, np.dtype) and kind.kind == "O"):
        values = np.where(column.isna().to_numpy(), "", column.to_numpy(dtype=object)).tolist()
        types = set(map(type, values))
        # text and dates only: pandas hands anything else to the CSV writer, which writes a
        # float (numpy's too) by its repr
        if not types <= {str, dt.date}:
            return None
        if dt.date in types:  # a date's text made once: a table repeats its months
            text = {v: str(v) for v in set(values)}
            values = [text[v] for v in values]
        return values if plain(values) else None
    return None


def csv_text(frame: pd.DataFrame, columns: list[str], *, header: bool = True) -> str:
    """``frame.to_csv(columns=columns, index=False, header=header)``: the same text.

    Raises:
        KeyError: ``frame`` lacks one of ``columns``.
    """
    cells = [_cells(frame[col]) if frame.columns.is_unique else None for col in columns]
    if len(columns) < 2 or not plain(columns) or any(c is None for c in cells):
        # one column: an empty field alone on its line is written quoted
        return str(frame.to_csv(columns=columns, index=False, header=header))
    lines = [",".join(columns)] if header else []
    lines.extend(map(",".join, zip(*cells, strict=True)))
    return os.linesep.join(lines) + os.linesep if lines else ""
