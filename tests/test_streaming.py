"""A comparison summed as its runs finish gives the batch answer: the same means and paired t
intervals as numpy and scipy take them over all the replications, whatever order the runs come
back in and however many workers ran them; replications.csv is complete, in replication order,
and never left half-written where the results go."""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats as st

from conftest import make_scenario, shortened, tiny_network
from potashsim.analysis import experiment
from potashsim.analysis.aggregate import (
    TABLES,
    Aggregator,
    KeptTables,
    Rows,
    empty_rows,
    make_part,
    rows_frame,
)
from potashsim.analysis.decomposition import FLOWS, decompose_years
from potashsim.analysis.experiment import compare
from potashsim.cli import main
from potashsim.contract import METRICS
from potashsim.results import stream
from potashsim.results.write import compare_to_folder, save_comparison
from potashsim.scenario.schema import Scenario

LABELS = ["base", "other", "third"]
N = 7
YEARS = (2020, 2021)
MARKETS = ("india", "china")
MONTHS = pd.date_range("2020-01-01", periods=24, freq="MS")
ROUTES = ("klaipeda", "ust_luga")


def _part(rng: np.random.Generator, label: str, rep: int) -> dict[str, Any]:
    """One task's tables as ``experiment._one`` makes them, with random figures; the last
    scenario sells nothing in replication 3 (empty tables count as zeros)."""
    empty = label == LABELS[-1] and rep == 3
    years = () if empty else YEARS
    yearly = pd.DataFrame(
        {
            "year": list(years),
            **{m: rng.uniform(1e6, 5e9, len(years)) for m in (*METRICS, "discount_usd")},
        }
    )
    keys = [(y, m) for y in years for m in MARKETS]
    by_market = pd.DataFrame(
        {
            "year": [k[0] for k in keys],
            "market": [k[1] for k in keys],
            **{f: rng.uniform(1e5, 1e9, len(keys)) for f in FLOWS},
        }
    )
    by_market["netback_usd"] = by_market.eval(
        "market_value_usd - discount_usd - logistics_cost_usd"
    )
    months = [] if empty else list(MONTHS)
    month_rev = pd.DataFrame(
        {
            "month": months,
            "revenue_usd": rng.uniform(0, 1e8, len(months)),
            "exported_t": rng.uniform(0, 1e6, len(months)),
        }
    )
    pairs = [(m, r) for m in months for r in ROUTES]
    month_route = pd.DataFrame(
        {
            "month": [p[0] for p in pairs],
            "route": [p[1] for p in pairs],
            "exported_t": rng.uniform(0, 1e6, len(pairs)),
        }
    )
    return make_part(
        label,
        rep,
        yearly=_rows("yearly", yearly),
        by_market=_rows("by_market", by_market),
        month_rev=_rows("month_rev", month_rev),
        month_route=_rows("month_route", month_route),
        run=f"run of {label}" if rep == 0 else None,
    )


def _rows(name: str, frame: pd.DataFrame) -> Rows:
    """A part's table ``name`` of the rows of ``frame`` (its keys and sums)."""
    columns, keys = TABLES[name]
    if name in ("yearly", "by_market"):  # a year as experiment._one gives it
        frame["year"] = frame["year"].astype(np.int32)
    if name.startswith("month"):
        frame["month"] = frame["month"].astype("datetime64[us]")
    return Rows(
        tuple(
            frame[c].to_numpy(dtype=object if c in ("market", "route") else None)
            for c in columns[:keys]
        ),
        frame[list(columns[keys:])].to_numpy(dtype=float),
    )


def _frame(part: dict[str, Any], name: str) -> pd.DataFrame:
    """A part's table ``name`` as a DataFrame, after its scenario and replication."""
    return rows_frame(name, part[name], part["label"], part["replication"])


@pytest.fixture(scope="module")
def parts() -> list[dict[str, Any]]:
    """The tasks of a 3-scenario, N-replication comparison, in task order (replication-major)."""
    rng = np.random.default_rng(11)
    return [_part(rng, label, rep) for rep in range(N) for label in LABELS]


def _aggregate(parts: list[dict[str, Any]], order: list[int]) -> tuple[Aggregator, KeptTables]:
    kept = KeptTables()
    agg = Aggregator(LABELS, N, kept)
    for i in order:
        agg.add(i, parts[i])
    assert agg.done and agg.waiting == 0
    return agg, kept


def test_the_running_statistics_are_the_batch_mean_and_paired_t_interval(
    parts: list[dict[str, Any]],
) -> None:
    agg, _ = _aggregate(parts, list(range(len(parts))))
    totals = {
        label: np.array(
            [
                _frame(p, "yearly")[list(METRICS)].sum().to_numpy(dtype=float)
                for p in parts
                if p["label"] == label
            ]
        )
        for label in LABELS
    }
    stats = agg.stats()
    for label in LABELS:
        for k, m in enumerate(METRICS):
            x, diff = totals[label][:, k], totals[label][:, k] - totals["base"][:, k]
            got = stats[label][m]
            assert got["mean"] == pytest.approx(np.mean(x), rel=1e-12)
            assert got["diff_mean"] == pytest.approx(np.mean(diff), rel=1e-12, abs=1e-6)
            if label == "base":  # a scenario against itself: exactly nothing
                assert got["diff_ci_low"] == got["diff_ci_high"] == 0.0
                continue
            low, high = st.t.interval(0.95, N - 1, loc=np.mean(diff), scale=st.sem(diff))
            assert got["diff_ci_low"] == pytest.approx(low, rel=1e-12)
            assert got["diff_ci_high"] == pytest.approx(high, rel=1e-12)


def test_the_t_quantile_is_the_one_scipy_stats_gives() -> None:
    # the interval takes it from scipy.special (scipy.stats is slow to import): the same float
    from scipy import special

    for n in [*range(2, 200), 1000, 10_000, 100_000]:
        assert float(special.stdtrit(n - 1, 0.975)) == float(st.t.ppf(0.975, n - 1))


def test_one_replication_has_means_but_no_interval(parts: list[dict[str, Any]]) -> None:
    agg = Aggregator(LABELS, 1, KeptTables())
    for i in range(len(LABELS)):
        agg.add(i, parts[i])
    for label in LABELS:
        assert agg.stats()[label]["revenue_usd"]["diff_ci_low"] is None


def test_the_running_tables_are_the_batch_means_over_the_pairs(
    parts: list[dict[str, Any]],
) -> None:
    agg, kept = _aggregate(parts, list(range(len(parts))))
    # decomposition: pair by pair, then the mean over all pairs (absent rows count as zero)
    by_rep = {(LABELS[i % len(LABELS)], i // len(LABELS)): p for i, p in enumerate(parts)}
    pairs = pd.concat(
        [
            decompose_years(
                _frame(by_rep[("base", r)], "by_market"), _frame(by_rep[(label, r)], "by_market")
            ).assign(scenario=label)
            for label in LABELS[1:]
            for r in range(N)
        ]
    )
    parts_cols = ["volume_usd", "mix_usd", "price_usd", "discount_usd", "logistics_usd"]
    cols = [*parts_cols, "total_usd"]
    batch = pairs.groupby(["scenario", "year", "market"])[cols].sum() / N
    got = agg.decomposition_by_year().set_index(["scenario", "year", "market"])
    np.testing.assert_allclose(got[cols].to_numpy(), batch[cols].to_numpy(), rtol=1e-12)
    assert list(got.index) == list(batch.index)
    # the parts still add up to the total
    np.testing.assert_allclose(got[parts_cols].sum(axis=1), got["total_usd"], rtol=1e-9)
    # routes: mean tonnes per scenario, month and route
    routes = pd.concat(_frame(p, "month_route") for p in parts if len(p["month_route"]))
    batch_routes = routes.groupby(["scenario", "month", "route"])["exported_t"].sum() / N
    got_routes = agg.monthly_routes().set_index(["scenario", "month", "route"])["exported_t"]
    pd.testing.assert_series_equal(got_routes, batch_routes, rtol=1e-12)
    # the per-replication rows, all of them, in task order
    pd.testing.assert_frame_equal(
        kept.yearly, pd.concat([_frame(p, "yearly") for p in parts], ignore_index=True)
    )
    pd.testing.assert_frame_equal(
        kept.monthly_revenue,
        pd.concat([_frame(p, "month_rev") for p in parts], ignore_index=True),
        check_exact=True,
    )
    assert agg.representative == {label: f"run of {label}" for label in LABELS}


@pytest.mark.parametrize("shuffle_seed", [1, 2])
def test_the_answer_does_not_depend_on_the_order_the_runs_finish(
    parts: list[dict[str, Any]], shuffle_seed: int
) -> None:
    in_order, kept_in_order = _aggregate(parts, list(range(len(parts))))
    order = list(range(len(parts)))
    random.Random(shuffle_seed).shuffle(order)
    shuffled, kept = _aggregate(parts, order)
    assert shuffled.stats() == in_order.stats()  # exactly: the same sums in the same order
    pd.testing.assert_frame_equal(
        shuffled.decomposition_by_year(), in_order.decomposition_by_year(), check_exact=True
    )
    pd.testing.assert_frame_equal(
        shuffled.monthly_routes(), in_order.monthly_routes(), check_exact=True
    )
    pd.testing.assert_frame_equal(kept.yearly, kept_in_order.yearly, check_exact=True)
    pd.testing.assert_frame_equal(kept.monthly_revenue, kept_in_order.monthly_revenue)


def test_early_runs_are_held_only_until_their_turn(parts: list[dict[str, Any]]) -> None:
    agg = Aggregator(LABELS, N, KeptTables())
    agg.add(2, parts[2])
    agg.add(1, parts[1])
    assert agg.waiting == 2  # task 0 has not come back
    agg.add(0, parts[0])
    assert agg.waiting == 0
    with pytest.raises(ValueError, match="task 1 was given twice"):
        agg.add(1, parts[1])


@pytest.fixture(scope="module")
def pair() -> list[Scenario]:
    """Baseline against history over 2022, the year Klaipeda closed: the pairs differ."""
    return [shortened(name, "2022-01-01", "2022-12-31") for name in ("baseline", "history")]


def _tiny(*names: str, days: int = 200) -> list[Scenario]:
    """The tiny network under each name (deterministic, so quick and checkable)."""
    net = tiny_network()
    return [make_scenario(net, days=days).model_copy(update={"name": name}) for name in names]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))}


def _check_streamed(scenarios: list[Scenario], n: int, root: Path) -> tuple[Any, Path]:
    """Stream a comparison on 1 and 2 workers and save it from memory: the same files, byte for
    byte; replications.csv complete and in replication order. The 1-worker run is returned."""
    kept = compare(scenarios, replications=n, seed=5)
    batch = save_comparison(kept, root / "batch")
    one_cmp, one = compare_to_folder(scenarios, root / "one", replications=n, seed=5, workers=1)
    two_cmp, two = compare_to_folder(scenarios, root / "two", replications=n, seed=5, workers=2)
    assert _files(one) == _files(batch) == _files(two)
    assert one_cmp.stats == kept.stats == two_cmp.stats
    assert one.name == batch.name  # the same comparison, so the same folder id
    rows = pd.read_csv(one / "replications.csv", dtype={"scenario": str})
    assert len(rows) == len(scenarios) * n  # one year each
    # in replication order, the base first in each replication
    assert list(zip(rows["replication"], rows["scenario"], strict=True)) == [
        (r, s.name) for r in range(n) for s in scenarios
    ]
    # the comparison that streamed its rows reads them back from the saved folder
    pd.testing.assert_frame_equal(one_cmp.yearly, rows)
    assert len(one_cmp.monthly_revenue) == len(kept.monthly_revenue)
    # saving a streamed comparison elsewhere copies its files
    assert _files(save_comparison(one_cmp, root / "again")) == _files(one)
    return one_cmp, one


def test_streamed_files_are_those_of_the_batch_writer(tmp_path: Path) -> None:
    _check_streamed(_tiny("a", "b"), 4, tmp_path)


@pytest.mark.slow
def test_streamed_files_do_not_depend_on_the_workers_on_a_real_pair(
    pair: list[Scenario], tmp_path: Path
) -> None:
    cmp, _ = _check_streamed(pair, 3, tmp_path)
    assert cmp.stats["history"]["netback_usd"]["diff_mean"] < 0  # Klaipeda's closure costs


class Stop(RuntimeError):
    """The stand-in failure of a replication midway through a comparison."""


def test_a_run_that_fails_midway_leaves_no_file_where_the_results_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scenarios = _tiny("a", "b")
    root = tmp_path / "results"
    seen: dict[str, int] = {}
    real = experiment._one

    def failing(
        scenario: Scenario, label: str, rep: int, seed: int, window: Any, duals: bool
    ) -> Any:
        if rep == 3:
            # the rows of replications 0-2 are on disk already, in the hidden scratch copy
            scratch = list(root.glob("compare/.*/*/replications.csv"))
            assert len(scratch) == 1
            seen["rows"] = len(pd.read_csv(scratch[0]))
            assert not [p for p in (root / "compare").iterdir() if not p.name.startswith(".")]
            raise Stop("replication 3 fails")
        return real(scenario, label, rep, seed, window, duals)

    monkeypatch.setattr(experiment, "_one", failing)
    with pytest.raises(Stop):
        compare_to_folder(scenarios, root, replications=5, seed=1, workers=1)
    assert seen["rows"] == 3 * 2  # written as the runs finished: 3 replications x 2 scenarios
    assert not root.exists()  # nothing left: neither a folder, a partial file nor a scratch copy


def test_an_existing_folder_is_kept_and_a_rerun_reads_the_same(
    tmp_path: Path,
) -> None:
    scenarios = _tiny("a", "b")
    first_cmp, first = compare_to_folder(scenarios, tmp_path, replications=2, seed=1)
    stamp = (first / "replications.csv").stat().st_mtime_ns
    second_cmp, second = compare_to_folder(scenarios, tmp_path, replications=2, seed=1)
    assert second == first and (first / "replications.csv").stat().st_mtime_ns == stamp
    assert second_cmp.stats == first_cmp.stats
    assert [p.name for p in (tmp_path / "compare").iterdir()] == [first.name]  # no leftovers
    assert second_cmp.window == (dt.date(2020, 1, 1), dt.date(2020, 7, 18))


def test_a_full_disk_while_streaming_is_exit_2_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    refs = []
    for name, parent in (("h", "history"), ("u", "us_eu_only")):
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            f"name: {name}\nextends: {parent}\nhorizon: {{start: 2021-01-01, end: 2021-06-30}}\n",
            encoding="utf-8",
        )
        refs.append(str(path))
    real_open = open

    class Filling:
        """A streamed file on a disk that fills up at the first replication's rows."""

        def __init__(self, fh: Any) -> None:
            self.fh, self.writes = fh, 0

        def write(self, text: str) -> int:
            self.writes += 1
            if self.writes > 1:  # the header went in
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return int(self.fh.write(text))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fh, name)

    monkeypatch.setattr(stream, "open", lambda *a, **k: Filling(real_open(*a, **k)), raising=False)
    out = tmp_path / "results"
    res = CliRunner().invoke(main, ["compare", *refs, "-n", "2", "-j", "1", "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "No space left on device" in res.output and "replications.csv" in res.output
    assert not out.exists()  # no folder, no partial file, no scratch copy


@pytest.mark.parametrize("label", ["history*", "a,b", '10% "ban"', "100%s"])
def test_streamed_rows_are_the_text_of_their_frame(tmp_path: Path, label: str) -> None:
    # the sink formats a part's arrays itself: the bytes of pandas's to_csv on their frame,
    # whatever the floats (NaN an empty cell) and the label (quoted where it needs to be)
    awkward = [0.1 + 0.2, -0.0, 1e-300, 1e22, 123456789.125, float("inf"), 5e-324, 2.0**53]
    yearly = Rows(
        (np.array([2020, 2021], dtype=np.int32),),
        np.array([awkward[:5], awkward[3:]]),
    )
    months = np.array(["2020-01-01", "2020-02-01", "2021-12-01"], dtype="datetime64[us]")
    for values in ([[1.5, 2.0], [0.1, 1e-7], [3e300, -2.5]], [[1.5, np.nan], [0.1, 0.0], [1, 2]]):
        month_rev = Rows((months,), np.array(values))
        folder = tmp_path / f"{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        with stream.ReplicationFiles(folder) as files:
            files.add(label, 3, yearly, month_rev)
            files.add(label, 4, empty_rows("yearly"), empty_rows("month_rev"))
        for name, table, rows in (
            ("replications.csv", "yearly", yearly),
            ("monthly_revenue.csv", "month_rev", month_rev),
        ):
            frame = rows_frame(table, rows, label, 3)
            expected = io.StringIO()
            stream.write_rows(expected, name, frame.iloc[:0], header=True)
            stream.write_rows(expected, name, frame, header=False)
            assert (folder / name).read_bytes() == expected.getvalue().encode()


@pytest.mark.parametrize("join_every", [4, 256])
@pytest.mark.parametrize("with_empty", [True, False])
def test_kept_rows_are_the_concatenated_frames_of_the_parts(
    parts: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, join_every: int, with_empty: bool
) -> None:
    # the frames a comparison's rows were kept as, one a task, concatenated: the same frame,
    # dtypes too (an empty table's object columns make the whole column object)
    monkeypatch.setattr(KeptTables, "_JOIN_EVERY", join_every)
    chosen = [p for p in parts if with_empty or len(p["yearly"])]
    kept = KeptTables()
    for p in chosen:
        kept.add(p["label"], p["replication"], p["yearly"], p["month_rev"])
    for got, table in ((kept.yearly, "yearly"), (kept.monthly_revenue, "month_rev")):
        frames = [_frame(p, table) for p in chosen]
        pd.testing.assert_frame_equal(got, pd.concat(frames, ignore_index=True), check_exact=True)
