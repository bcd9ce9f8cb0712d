"""A comparison's per-replication rows written to their CSV files as the runs finish.

:class:`ReplicationFiles` is the sink (:class:`potashsim.analysis.aggregate.ReplicationSink`)
that ``potashsim.results.write.compare_to_folder`` gives a comparison: each task's rows of
``replications.csv`` and ``monthly_revenue.csv`` are appended in replication order and flushed,
so the parent holds none of them, and the files are exactly those :func:`save_comparison
<potashsim.results.write.save_comparison>` writes from rows kept in memory. They are written
inside the comparison folder's scratch copy (:func:`potashsim.results.atomic.replacing`), so a
run that fails or is killed midway never leaves a partial file where the results go.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from types import TracebackType
from typing import IO

import numpy as np
import pandas as pd

from potashsim import contract as c
from potashsim.analysis.aggregate import Rows, rows_frame
from potashsim.results.atomic import writing_to
from potashsim.results.csv_text import csv_text, plain
from potashsim.results.read import read_table

__all__ = ["ReplicationFiles", "write_rows"]

#: The files a comparison streams, by the name of its table.
FILES = {"yearly": c.REPLICATIONS, "monthly_revenue": c.MONTHLY_REVENUE}


def write_rows(out: IO[str] | Path, name: str, frame: pd.DataFrame, *, header: bool) -> None:
    """Write ``frame``'s rows as the contract's CSV file ``name``: exactly its columns, in order,
    dates as ISO dates; to a path, or appended to an open file.

    Raises:
        KeyError: ``frame`` lacks a column of the contract (a bug upstream, never a user's).
    """
    for col in c.DATE_COLUMNS.get(name, ()):
        frame = frame.assign(**{col: pd.to_datetime(frame[col]).dt.date})
    text = csv_text(frame, list(c.COLUMNS[name]), header=header)
    if isinstance(out, Path):
        out.write_text(text, encoding="utf-8", newline="")
    else:
        out.write(text)


def _rows_text(label: str, replication: int, rows: Rows) -> str | None:
    """The CSV lines of one task's rows (a table of a part after ``scenario`` and
    ``replication``), the text :func:`write_rows` gives them; None where only the DataFrame's
    own writing is certain: a cell that would be quoted (a label with a comma), or a missing
    value (written as an empty cell).

    The cells are as :func:`~potashsim.results.csv_text.csv_text` writes them: a float by its
    ``repr``, an integer and a name by ``str``, a month by its ISO date."""
    if not plain([label]) or np.isnan(rows.values).any():
        return None
    count, width = rows.values.shape
    keys = 2 + len(rows.keys)
    cells = np.empty((count, keys + width), dtype=object)
    cells[:, 0] = label
    cells[:, 1] = replication
    for k, key in enumerate(rows.keys, start=2):
        cells[:, k] = np.datetime_as_string(key, unit="D") if key.dtype.kind == "M" else key
    cells[:, keys:] = rows.values  # Python floats, whose %r is their repr
    # one formatting of every cell: a call of repr and a join a cell cost more than the sums
    line = ",".join(["%s"] * keys + ["%r"] * width) + os.linesep
    text: str = (line * count) % tuple(cells.ravel().tolist())
    return text


class ReplicationFiles:
    """``replications.csv`` and ``monthly_revenue.csv`` in ``folder``, appended as rows arrive.

    Use as a context manager (or call :meth:`close`). The tables read back from the files on
    demand (:attr:`yearly`, :attr:`monthly_revenue`), so holding this object costs no memory.

    Raises:
        ResultsError: a file cannot be created or written (naming it and the reason).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._open: dict[str, IO[str]] = {}
        for name in FILES.values():
            path = folder / name
            with writing_to(path):
                fh = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115 (closed in close)
                self._open[name] = fh
                write_rows(fh, name, pd.DataFrame(columns=list(c.COLUMNS[name])), header=True)

    def add(self, label: str, replication: int, yearly: Rows, monthly_revenue: Rows) -> None:
        """Append one task's rows to each file and flush them (see the sink protocol)."""
        for name, table, rows in (
            (c.REPLICATIONS, "yearly", yearly),
            (c.MONTHLY_REVENUE, "month_rev", monthly_revenue),
        ):
            fh = self._open[name]
            with writing_to(self.folder / name):
                if len(rows):
                    text = _rows_text(label, replication, rows)
                    if text is None:
                        frame = rows_frame(table, rows, label, replication)
                        write_rows(fh, name, frame, header=False)
                    else:
                        fh.write(text)
                fh.flush()

    def close(self) -> None:
        """Flush the files to disk and close them (again: nothing)."""
        while self._open:
            name, fh = self._open.popitem()
            with writing_to(self.folder / name):
                try:
                    fh.flush()
                    os.fsync(fh.fileno())
                finally:
                    fh.close()

    def __enter__(self) -> ReplicationFiles:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        err: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def moved_to(self, folder: Path) -> None:
        """The files are now in ``folder`` (the scratch folder was renamed into place)."""
        self.folder = folder

    def copy_to(self, folder: Path) -> None:
        """Copy both files into ``folder`` (another results folder being written)."""
        for name in FILES.values():
            shutil.copyfile(self.folder / name, folder / name)

    @property
    def yearly(self) -> pd.DataFrame:
        """``replications.csv`` read back (as ``Comparison.yearly``)."""
        return read_table(self.folder, c.REPLICATIONS)

    @property
    def monthly_revenue(self) -> pd.DataFrame:
        """``monthly_revenue.csv`` read back, ``month`` as datetime."""
        return read_table(self.folder, c.MONTHLY_REVENUE)
