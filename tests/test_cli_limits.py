"""`compare` and `run` asked for more than the machine should give, or for outputs that cannot be
written: a one-line message and exit 2 before anything runs, never an internal error."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from potashsim.analysis import executors
from potashsim.cli import main

SHORT = """name: {name}
extends: {parent}
horizon: {{start: 2021-01-01, end: 2021-12-31}}
"""


@pytest.fixture
def short(tmp_path: Path) -> list[str]:
    out = []
    for name, parent in (("h", "history"), ("u", "us_eu_only")):
        p = tmp_path / f"{name}.yaml"
        p.write_text(SHORT.format(name=name, parent=parent), encoding="utf-8")
        out.append(str(p))
    return out


class Asked(Exception):
    """Raised by the stand-in of iter_tasks: the command got as far as running."""


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the runner of replications: record what it is asked for, then stop the command."""
    calls: list[dict[str, Any]] = []

    def fake(fn: Any, tasks: Any, **kwargs: Any) -> Any:
        calls.append({"tasks": len(tasks), **kwargs})
        raise KeyboardInterrupt  # stops compare with exit 130, having run nothing

    monkeypatch.setattr("potashsim.analysis.experiment.iter_tasks", fake)
    return calls


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_more_workers_than_cpus_are_capped_with_a_note(
    short: list[str], tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    res = invoke("compare", *short, "-n", "50", "-j", "1000", "--out", str(tmp_path / "r"))
    assert res.exit_code == 130, res.output
    cpus = os.cpu_count() or 1
    assert asked[0]["workers"] <= cpus
    assert f"--workers 1000 is more than the {cpus} CPU(s)" in res.output


def test_the_process_pool_never_outnumbers_the_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []

    def fake_pool(fn: Any, tasks: Any, workers: int, group: int = 1) -> Any:
        sizes.append(workers)
        return enumerate(map(fn, tasks))

    monkeypatch.setattr(executors, "_pool", fake_pool)
    assert executors.run_tasks(abs, [-1, -2, -3], workers=1000) == [1, 2, 3]
    assert sizes and sizes[0] <= (os.cpu_count() or 1)


@pytest.mark.parametrize(
    ("count", "group"),
    [
        (40, 4),
        (41, 4),
        (3, 4),
        (40, [1, 1, 1, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4]),
        (2000, [1, 1] + [2] * 999),
    ],
)
def test_the_pools_chunks_hand_out_every_task_once_in_order_and_never_split_a_group(
    count: int, group: int | list[int]
) -> None:
    # a group shares a per-process cache (a replication's reference run): split over two
    # workers, its reference would be simulated twice
    chunks = list(executors._chunks(list(range(count)), 2, group))
    assert [i for chunk in chunks for i, _ in chunk] == list(range(count))
    sizes = [group] * -(-count // group) if isinstance(group, int) else group
    bounds = set(np.cumsum([0, *sizes]).tolist())
    assert all(chunk[0][0] in bounds for chunk in chunks)


def test_a_huge_comparison_needs_yes_and_says_how_long_it_would_take(
    short: list[str], tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    res = invoke("compare", *short, "-n", "100000", "--out", str(tmp_path / "r"))
    assert res.exit_code == 2, res.output
    assert "200,000 runs" in res.output and "estimate" in res.output
    assert "--yes" in res.output and "Traceback" not in res.output
    assert asked == [] and not (tmp_path / "r").exists()
    res = invoke("compare", *short, "-n", "100000", "--yes", "--out", str(tmp_path / "r"))
    assert res.exit_code == 130, res.output  # it started running (then the stand-in stopped it)
    assert asked[0]["tasks"] == 200_000
    assert "200,000 runs" in res.output


def test_a_long_comparison_of_few_runs_needs_yes_too(
    tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    # 2 × 1,000 runs of 12 years on a couple of workers: hours, though under 2,000 runs
    res = invoke("compare", "baseline", "history", "-n", "1000", "--out", str(tmp_path))
    assert res.exit_code == 2, res.output
    assert "2,000 runs" in res.output and "--yes" in res.output
    assert asked == []


def test_a_comparison_of_usual_size_asks_nothing(
    short: list[str], tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    res = invoke("compare", *short, "-n", "20", "--out", str(tmp_path))
    assert res.exit_code == 130 and len(asked) == 1
    assert "--yes" not in res.output and "note:" not in res.output


@pytest.mark.parametrize(
    "address", ["not an address", "tcp://127.0.0.1", "127.0.0.1:99999", "http://x:1", ":8786"]
)
def test_a_malformed_scheduler_address_is_refused_at_once(
    address: str, short: list[str], tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    res = invoke("compare", *short, "-n", "2", "--scheduler", address, "--out", str(tmp_path))
    assert res.exit_code == 2, res.output
    assert "--scheduler" in res.output and "tcp://HOST:PORT" in res.output
    assert "internal error" not in res.output and asked == []


@pytest.mark.parametrize(
    "address", ["local", "tcp://127.0.0.1:8786", "scheduler.example.org:8786", "[::1]:8786"]
)
def test_the_usual_scheduler_addresses_are_accepted(address: str) -> None:
    executors.check_scheduler_address(address)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_scheduler_is_exit_2_naming_it(
    short: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(executors, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_free_port()}"  # nothing listens there
    res = invoke("compare", *short, "-n", "1", "--scheduler", address, "--out", str(tmp_path))
    assert res.exit_code == 2, res.output
    assert f"cannot reach the Dask scheduler at {address}" in res.output
    assert not (tmp_path / "compare").exists()


def _file(tmp_path: Path) -> Path:
    f = tmp_path / "a_file"
    f.write_text("x")
    return f


OUTS = [
    ("under a file", lambda t: _file(t) / "results"),
    ("/dev/null", lambda t: Path(os.devnull)),
    ("/proc", lambda t: Path("/proc/potashsim-results")),
    ("/sys", lambda t: Path("/sys/potashsim-results")),
]


@pytest.mark.parametrize(("case", "where"), OUTS, ids=[c for c, _ in OUTS])
def test_an_out_folder_that_cannot_be_written_is_exit_2_before_any_run(
    case: str, where: Any, short: list[str], tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    out = where(tmp_path)
    if not out.parent.exists():
        pytest.skip(f"no {out.parent} here")
    for args in (["compare", *short, "-n", "2"], ["run", short[0]]):
        res = invoke(*args, "--out", str(out))
        assert res.exit_code == 2, (case, res.output)
        assert f"cannot write {out}" in res.output
        assert "internal error" not in res.output
    assert asked == []


REPORTS = [
    ("under a file", lambda t: _file(t) / "report.html"),
    ("/dev/null", lambda t: Path(os.devnull)),
    ("a folder", lambda t: t),
    ("/proc", lambda t: Path("/proc/potashsim-report.html")),
]


@pytest.mark.parametrize(("case", "where"), REPORTS, ids=[c for c, _ in REPORTS])
def test_a_report_path_that_cannot_be_written_is_exit_2_before_any_run(
    case: str, where: Any, short: list[str], tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    report = where(tmp_path)
    res = invoke(
        "compare", *short, "-n", "2", "--out", str(tmp_path / "r"), "--report", str(report)
    )
    assert res.exit_code == 2, (case, res.output)
    assert str(report) in res.output and "internal error" not in res.output
    assert asked == []


def test_a_read_only_file_system_is_exit_2_with_the_reason(
    short: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # root writes into a read-only folder anyway, so the file system's answer is played here
    def read_only(*_a: Any, **_k: Any) -> Any:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path / "ro"))

    monkeypatch.setattr("potashsim.results.atomic.tempfile.TemporaryFile", read_only)
    res = invoke("run", short[0], "--out", str(tmp_path / "ro"))
    assert res.exit_code == 2, res.output
    assert f"cannot write {tmp_path / 'ro'}: Read-only file system" in res.output


def test_a_full_disk_while_writing_is_exit_2_and_leaves_no_folder(
    short: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_a: Any, **_k: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("potashsim.results.write._write_csv", full)
    res = invoke("run", short[0], "--out", str(tmp_path / "r"))
    assert res.exit_code == 2, res.output
    assert "No space left on device" in res.output and str(tmp_path / "r" / "h") in res.output
    assert list((tmp_path / "r" / "h").iterdir()) == []  # no folder, no scratch left


def test_a_report_not_named_html_is_exit_2_before_any_run(
    short: list[str], tmp_path: Path, asked: list[dict[str, Any]]
) -> None:
    report = tmp_path / "report.png"
    res = invoke(
        "compare", *short, "-n", "2", "--out", str(tmp_path / "r"), "--report", str(report)
    )
    assert res.exit_code == 2
    assert "the report is an HTML page; give a file name ending in .html" in res.output
    assert asked == [] and not report.exists()


def test_group_sizes_that_do_not_add_up_to_the_tasks_are_refused() -> None:
    # a task left out of every chunk would never run, and its result be missed far from here
    with pytest.raises(ValueError, match="groups of 2 tasks in all, for 10 tasks"):
        list(executors._chunks(list(range(10)), 2, [1, 1]))
