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

import numpy as np
import pandas as pd

__all__ = ["csv_text"]

# a field holding one of these is quoted by the CSV writer (QUOTE_MINIMAL)
_QUOTED = frozenset(',"\r\n' + os.linesep)


def _plain(cells: list[str]) -> bool:
    """No cell would be quoted."""
    return not any(_QUOTED.intersection(cell) for cell in cells)


def _cells(column: pd.Series) -> list[str] | None:
    """The column's cells as ``to_csv`` writes them, or None where that is not certain."""
    kind = column.dtype
    if isinstance(kind, np.dtype) and kind == np.float64:
        numbers = column.to_numpy()
        cells = list(map(repr, numbers.tolist()))
        for i in np.flatnonzero(np.isnan(numbers)).tolist():
            cells[i] = ""
        return cells
    if isinstance(kind, np.dtype) and kind.kind in "iu":
        return list(map(str, column.to_numpy().tolist()))
    if isinstance(kind, pd.StringDtype) or (isinstance(kind, np.dtype) and kind.kind == "O"):
        missing = column.isna().to_numpy().tolist()
        values = column.to_numpy(dtype=object).tolist()
        # text and dates only: pandas hands anything else to the CSV writer, which writes a
        # float (numpy's too) by its repr
        if not all(m or type(v) in (str, dt.date) for v, m in zip(values, missing, strict=True)):
            return None
        cells = ["" if m else str(v) for v, m in zip(values, missing, strict=True)]
        return cells if _plain(cells) else None
    return None


def csv_text(frame: pd.DataFrame, columns: list[str], *, header: bool = True) -> str:
    """``frame.to_csv(columns=columns, index=False, header=header)``: the same text.

    Raises:
        KeyError: ``frame`` lacks one of ``columns``.
    """
    cells = [_cells(frame[col]) if frame.columns.is_unique else None for col in columns]
    if len(columns) < 2 or not _plain(columns) or any(c is None for c in cells):
        # one column: an empty field alone on its line is written quoted
        return str(frame.to_csv(columns=columns, index=False, header=header))
    lines = [",".join(columns)] if header else []
    lines.extend(map(",".join, zip(*cells, strict=True)))
    return os.linesep.join(lines) + os.linesep if lines else ""
