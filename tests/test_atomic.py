"""One atomic writer serves the results folders and the report's files: all of it or none."""

from __future__ import annotations

from pathlib import Path

import pytest

from potashsim.results.atomic import replacing, write_bytes


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
