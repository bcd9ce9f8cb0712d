"""The exception tree of potashsim: every error the library raises on purpose.

    PotashsimError
    ├── ScenarioError      a scenario or data file is invalid (carries every problem found)
    ├── SimulationError    the engine met a state it cannot continue from
    │   └── SchedulerError the Dask scheduler cannot be reached, or it lost every worker
    ├── ResultsError       a results folder is missing, incomplete or would be overwritten
    └── ReportError        a chart or report cannot be made (e.g. no Chromium for PNG export)

Only ``potashsim.cli`` turns these into messages and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PotashsimError",
    "Problem",
    "ReportError",
    "ResultsError",
    "ScenarioError",
    "SchedulerError",
    "SimulationError",
]


class PotashsimError(Exception):
    """Root of every error potashsim raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one input: where it is and what is wrong.

    Attributes:
        file: the file (or ``--set``) the problem comes from.
        line: 1-based line in ``file``, or None when no line can be given.
        key: dotted key path inside the file, e.g. ``events.2.target``; empty for the whole file.
        message: what is wrong, in one sentence, with a suggestion where one exists.
    """

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


class ScenarioError(PotashsimError):
    """A scenario, network data file or override is invalid; ``problems`` lists every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class SimulationError(PotashsimError):
    """The engine reached a state it cannot continue from."""


class SchedulerError(SimulationError):
    """The Dask scheduler cannot be reached, or no worker is left to run the replications; the
    message names the scheduler's address."""


class MarketError(PotashsimError):
    """The market inputs make prices run away during a run (e.g. a price response so steep that a
    few weeks' supply multiplies or wipes out the price); the message names when and what."""


class ResultsError(PotashsimError):
    """A results folder is missing, incomplete, or would overwrite different content."""


class ReportError(PotashsimError):
    """A chart or report cannot be made."""
