"""One atomic writer serves the results folders and the report's files: all of it or none."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from potashsim.results.atomic import STALE_AFTER_S, remove_stale_scratch, replacing, write_bytes


def test_replacing_leaves_nothing_behind_when_the_block_fails(tmp_path: Path) -> None:
    old = tmp_path / "report.html"
    old.write_text("old")
    with pytest.raises(RuntimeError), replacing(old) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert old.read_text() == "old"
    folder = tmp_path / "run"
    with pytest.raises(RuntimeError), replacing(folder) as tmp:
        tmp.mkdir()
        (tmp / "summary.json").write_text("{}")
        raise RuntimeError("interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_replacing_renames_into_place_and_can_keep_an_existing_folder(tmp_path: Path) -> None:
    write_bytes(tmp_path / "sub" / "a.html", b"new")
    assert (tmp_path / "sub" / "a.html").read_bytes() == b"new"
    write_bytes(tmp_path / "sub" / "a.html", b"newer")
    assert (tmp_path / "sub" / "a.html").read_bytes() == b"newer"
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "first").write_text("kept")
    with replacing(folder, keep_existing=True) as tmp:
        tmp.mkdir()
        (tmp / "second").write_text("dropped")
    assert [p.name for p in folder.iterdir()] == ["first"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "sub"]
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["a.html"]


def _age(path: Path, seconds: float) -> None:
    """Set the modification time of ``path`` and everything under it ``seconds`` back."""
    then = time.time() - seconds
    for p in [path, *path.rglob("*")]:
        os.utime(p, (then, then))


def test_a_killed_writes_scratch_folder_is_removed_by_the_next_write(tmp_path: Path) -> None:
    # what a SIGKILL during a comparison's write leaves: compare/.<id>.<8 chars>/<id>/...
    parent = tmp_path / "compare"
    stale = parent / ".0123456789ab.k3x_9q2z"
    (stale / "0123456789ab" / "runs").mkdir(parents=True)
    (stale / "0123456789ab" / "comparison.json").write_text("{}")
    _age(stale, STALE_AFTER_S + 60)
    # a write under way elsewhere, complete results and someone's own hidden folder, all old
    live = parent / ".ba9876543210.abcdefgh"
    (live / "ba9876543210").mkdir(parents=True)
    (live / "ba9876543210" / "comparison.json").write_text("{}")
    done = parent / "0123456789ab"
    done.mkdir()
    (done / "comparison.json").write_text("{}")
    own = parent / ".notes.12345678"
    (own / "mine.txt").parent.mkdir()
    (own / "mine.txt").write_text("keep")
    for p in (done, own):
        _age(p, STALE_AFTER_S * 10)
    os.utime(live, (time.time() - STALE_AFTER_S * 10,) * 2)  # only its folder is old

    with replacing(parent / "fedcba987654") as tmp:
        tmp.mkdir()
    assert sorted(p.name for p in parent.iterdir()) == sorted(
        [live.name, done.name, own.name, "fedcba987654"]
    )
    assert (done / "comparison.json").read_text() == "{}"
    assert (own / "mine.txt").read_text() == "keep"


def test_a_recent_scratch_folder_is_left_to_its_writer(tmp_path: Path) -> None:
    scratch = tmp_path / ".report.html.abcd1234"
    scratch.mkdir()
    (scratch / "report.html").write_text("half")
    assert remove_stale_scratch(tmp_path) == []
    assert remove_stale_scratch(tmp_path, now=time.time() + STALE_AFTER_S + 1) == [scratch]
    assert not scratch.exists()
