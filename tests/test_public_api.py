"""The public API a user imports: its exact names, that each resolves, and that it loads lazily.

`import potashsim` and `potashsim --help` must stay free of the heavy libraries: a user asking
for help should not wait for numpy, scipy or plotly to load (benchmarks/bench_cli.py times it).
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import potashsim

HEAVY = (
    "numpy",
    "scipy",
    "highspy",
    "numba",
    "pandas",
    "simpy",
    "plotly",
    "pydantic",
    "yaml",
    "dash",
    "flask",
    "waitress",
)

# Each lazily re-exported name and the module that defines it.
LAZY_HOMES = {
    "load_scenario": "potashsim.scenario.loader",
    "run": "potashsim.analysis.experiment",
    "compare": "potashsim.analysis.experiment",
    "save_run": "potashsim.results.write",
    "save_comparison": "potashsim.results.write",
    "load": "potashsim.results.read",
}
#: Names exported under another name than their home's.
HOME_NAMES = {"load": "load_results"}


def test_the_public_names_are_exactly_these() -> None:
    assert sorted(potashsim.__all__) == [
        "PotashsimError",
        "ScenarioError",
        "__version__",
        "compare",
        "load",
        "load_scenario",
        "run",
        "save_comparison",
        "save_run",
    ]


@pytest.mark.parametrize("name", potashsim.__all__)
def test_every_public_name_resolves(name: str) -> None:
    value = getattr(potashsim, name)
    if name in LAZY_HOMES:
        home = importlib.import_module(LAZY_HOMES[name])
        assert value is getattr(home, HOME_NAMES.get(name, name))
    elif name == "__version__":
        assert isinstance(value, str) and value
    else:
        assert isinstance(value, type) and issubclass(value, Exception)


def test_a_name_outside_the_api_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'simulate'"):
        _ = potashsim.simulate


def imported_top_level_packages(*args: str) -> set[str]:
    """Top-level packages a fresh ``python -X importtime ARGS`` imports (it must exit 0)."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", *args], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in proc.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


@pytest.mark.parametrize(
    "args", [("-m", "potashsim", "--help"), ("-c", "import potashsim")], ids=" ".join
)
def test_help_and_import_load_no_heavy_library(args: tuple[str, ...]) -> None:
    imported = imported_top_level_packages(*args)
    assert "potashsim" in imported  # the check saw the package load at all
    assert sorted(imported & set(HEAVY)) == []
