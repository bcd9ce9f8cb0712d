"""The worked notebook, docs/notebook.ipynb, runs from top to bottom in a fresh kernel, as CI
runs it (nbclient), and draws what it says: the charts, and a map with one frame per year."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import potashsim

NOTEBOOK = Path(__file__).resolve().parents[1] / "docs" / "notebook.ipynb"
PLOTLY = "application/vnd.plotly.v1+json"

pytestmark = pytest.mark.slow  # a kernel and a small comparison: about 15 s


def test_the_worked_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    # the kernel imports the potashsim under test, wherever it is installed from
    package_root = str(Path(potashsim.__file__).resolve().parents[1])
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")])
    )
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()  # raises CellExecutionError naming the cell that failed
    outputs = [o for cell in notebook.cells for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    figures = [o["data"][PLOTLY] for o in outputs if PLOTLY in o.get("data", {})]
    assert len(figures) == 5  # bars, waterfall, routes, map, timeline
    (slider_map,) = [f for f in figures if f.get("frames")]
    assert [frame["name"] for frame in slider_map["frames"]] == ["2021", "2022", "2023", "2024"]
