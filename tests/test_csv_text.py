"""csv_text gives the text DataFrame.to_csv gives, cell for cell, on the awkward values too."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from potashsim.results.csv_text import csv_text

_FLOATS = [
    0.0,
    -0.0,
    1.0,
    0.1,
    1e16,
    9999999999999998.0,
    1e-5,
    1e-4,
    5e-324,
    1.7976931348623157e308,
    np.inf,
    -np.inf,
    np.nan,
    150.72442126297466,
    -3.5e-12,
]


def _frame() -> pd.DataFrame:
    n = len(_FLOATS)
    rng = np.random.default_rng(7)
    day = dt.date(2019, 1, 1)
    return pd.DataFrame(
        {
            "x": _FLOATS,
            "y": rng.standard_normal(n) * 10.0 ** rng.integers(-20, 20, n),
            "i": np.arange(-7, n - 7, dtype=np.int64),
            "s": pd.array(["a", None, "é b", "", *["ok"] * (n - 4)], dtype="string"),
            "o": [day, None, *[day + dt.timedelta(days=k) for k in range(n - 2)]],
            "t": ["text", np.nan, *["t"] * (n - 2)],
        }
    )


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize(
    "columns", [["x", "y", "i", "s", "o", "t"], ["o", "x"], ["i", "s"], ["x"], ["s"]]
)
def test_same_text_as_pandas(columns: list[str], header: bool) -> None:
    frame = _frame()
    expected = frame.to_csv(columns=columns, index=False, header=header)
    assert csv_text(frame, columns, header=header) == expected


@pytest.mark.parametrize(
    "column",
    [
        ["a,b", "c"],  # quoted
        ['say "x"', "c"],
        ["two\nlines", "c"],
        [1.5, "mixed"],  # an object column of floats: the writer takes their repr
        [np.float64(1.5), np.float64(2.0)],
        [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-02 12:00")],
        [True, False],
        np.array([1.5, 2.25], dtype=np.float32),
        pd.to_datetime(["2020-01-01", "2020-02-01"]),
        pd.array([1, None], dtype="Int64"),
    ],
)
def test_the_rest_as_pandas_writes_it(column: object) -> None:
    frame = pd.DataFrame({"a": column, "b": [1.0, np.nan]})
    for header in (True, False):
        expected = frame.to_csv(columns=["a", "b"], index=False, header=header)
        assert csv_text(frame, ["a", "b"], header=header) == expected


def test_repeated_values_keep_their_own_text() -> None:
    # cells are formatted once a distinct bit pattern: 0.0 and -0.0 are equal but read apart
    x = np.tile([0.0, -0.0, np.nan, 1 / 3, np.inf], 1000)
    frame = pd.DataFrame({"x": x, "i": np.arange(len(x)) % 7, "o": [dt.date(2020, 1, 1)] * len(x)})
    assert csv_text(frame, ["x", "i", "o"]) == frame.to_csv(index=False)


def test_empty_and_missing() -> None:
    empty = pd.DataFrame(columns=["a", "b"])
    assert csv_text(empty, ["a", "b"]) == empty.to_csv(index=False)
    typed = pd.DataFrame({"a": np.array([], dtype=float), "b": np.array([], dtype=np.int64)})
    assert csv_text(typed, ["a", "b"]) == typed.to_csv(index=False)
    assert csv_text(empty, ["a", "b"], header=False) == ""
    with pytest.raises(KeyError):
        csv_text(empty, ["a", "c"])
