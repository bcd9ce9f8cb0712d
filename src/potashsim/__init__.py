"""potashsim: a trade-route and sanctions impact simulator for Belarusian potash exports.

The public API: load a scenario, run it, compare scenarios, save results and load them back
(``load``); ``potashsim.report.charts`` draws any of these objects.

>>> from potashsim import load_scenario, run
>>> result = run(load_scenario("history"))          # doctest: +SKIP
"""

from __future__ import annotations

from importlib import metadata
from typing import Any

__all__ = [
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

try:
    __version__ = metadata.version("potashsim")
except metadata.PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0+unknown"

from potashsim.errors import PotashsimError, ScenarioError


def __getattr__(name: str) -> Any:
    # Lazy re-exports keep `import potashsim` (and the CLI's --help) free of numpy/scipy/simpy.
    if name == "load_scenario":
        from potashsim.scenario.loader import load_scenario

        return load_scenario
    if name in ("run", "compare"):
        from potashsim.analysis import experiment

        return getattr(experiment, name)
    if name == "load":
        # A run folder or a comparison folder, read back: what the chart functions take.
        from potashsim.results.read import load_results

        return load_results
    if name in ("save_run", "save_comparison"):
        from potashsim.results import write as results

        return getattr(results, name)
    raise AttributeError(f"module 'potashsim' has no attribute {name!r}")
