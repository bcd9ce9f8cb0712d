"""A sweep folder on disk: ``sweep.json`` and two Parquet datasets written as runs finish.

::

    DIR/sweep.json              the spec (params, design, n, seed, granularity, sets), the scenario
                                hashes, the number of runs
    DIR/runs/part-NNNNN.parquet  one row per run: sample, seed, the parameter values, status,
                                error, the totals (and diff_* against the base)
    DIR/years/part-NNNNN.parquet one row per run and year: sample, year, the same outputs

Rows are buffered and written a part at a time, so a sweep never holds all its rows. A part is
written to a scratch name and renamed, the years part before the runs part with the same number:
a runs part on disk is a finished batch. A sweep killed at any point therefore leaves finished
parts and, at worst, a scratch file or a years part without its runs part; :meth:`SweepStore.open`
with ``resume`` removes those and reports which samples are done, so no run is lost or repeated.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from potashsim.contract import SWEEP_RUNS, SWEEP_SPEC, SWEEP_YEARS
from potashsim.errors import ResultsError
from potashsim.results.atomic import check_writable

__all__ = ["SPEC_FILE", "SweepStore", "read_sweep", "sweep_spec"]

SPEC_FILE = SWEEP_SPEC
_RUNS = SWEEP_RUNS
_YEARS = SWEEP_YEARS
_SCRATCH = ".tmp"


def _parts(folder: Path) -> dict[int, Path]:
    """Finished part files of ``folder`` by number."""
    if not folder.is_dir():
        return {}
    out = {}
    for p in folder.glob("part-*.parquet"):
        try:
            out[int(p.stem.removeprefix("part-"))] = p
        except ValueError:
            continue
    return out


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    scratch = path.with_name(path.name + _SCRATCH)
    frame.to_parquet(scratch, index=False)
    with open(scratch, "rb") as f:  # the rename below must not overtake the data
        os.fsync(f.fileno())
    os.replace(scratch, path)


class SweepStore:
    """Appends a sweep's rows to its folder, a part at a time."""

    def __init__(self, folder: Path, done: set[int], next_part: int) -> None:
        self.folder = folder
        self.done = done
        """Samples whose rows are on disk."""
        self._next = next_part
        self._runs: list[dict[str, Any]] = []
        self._years: list[dict[str, Any]] = []
        self._buffered: set[int] = set()

    @classmethod
    def open(cls, folder: Path, spec: dict[str, Any], *, resume: bool) -> SweepStore:
        """Start a sweep in ``folder``, or continue one with ``resume``.

        Raises:
            ResultsError: ``folder`` holds a sweep (or anything) and ``resume`` is not given; with
                ``resume``, its ``sweep.json`` records a different spec (the differing keys are
                named) or is missing; nothing is changed in either case.
        """
        spec_path = folder / SPEC_FILE
        if resume:
            if not spec_path.is_file():
                raise ResultsError(f"{folder}: no {SPEC_FILE} here, so there is no sweep to resume")
            old = sweep_spec(folder)
            diff = sorted(
                k for k in set(old) | set(spec) if k != "runs_total" and old.get(k) != spec.get(k)
            )
            if diff:
                raise ResultsError(
                    f"{folder} holds a different sweep ({', '.join(diff)} differ); nothing was "
                    "changed: resume it with the same parameters, or write to another --out"
                )
            for scratch in folder.glob(f"*/*{_SCRATCH}"):
                scratch.unlink()
            runs = _parts(folder / _RUNS)
            for n, orphan in _parts(folder / _YEARS).items():
                if n not in runs:  # killed between the two renames: its runs were not kept
                    orphan.unlink()
            done: set[int] = set()
            for p in runs.values():
                done.update(int(s) for s in pd.read_parquet(p, columns=["sample"])["sample"])
            return cls(folder, done, max(runs, default=-1) + 1)
        if folder.exists() and any(folder.iterdir()):
            what = "a sweep" if spec_path.is_file() else "other files"
            raise ResultsError(
                f"{folder} already holds {what}; nothing was changed: continue it with --resume, "
                "or choose another --out"
            )
        check_writable(folder, folder=True)
        (folder / _RUNS).mkdir(parents=True, exist_ok=True)
        (folder / _YEARS).mkdir(parents=True, exist_ok=True)
        text = json.dumps(spec, indent=2, sort_keys=True, default=str) + "\n"
        scratch = spec_path.with_name(SPEC_FILE + _SCRATCH)
        scratch.write_text(text, encoding="utf-8")
        os.replace(scratch, spec_path)
        return cls(folder, set(), 0)

    def add(self, result: dict[str, Any]) -> bool:
        """Buffer one run's ``{"run": row, "years": rows}`` (written at the next :meth:`flush`);
        return whether it was new. A sample already on disk or buffered is ignored, so that a
        result handed over twice (a task rerun after its worker died, say) is written once."""
        sample = int(result["run"]["sample"])
        if sample in self.done or sample in self._buffered:
            return False
        self._buffered.add(sample)
        self._runs.append(result["run"])
        self._years.extend(result["years"])
        return True

    @property
    def pending(self) -> int:
        """Runs buffered and not yet on disk."""
        return len(self._runs)

    def flush(self) -> None:
        """Write the buffered rows as one part (the years first; the runs part commits it)."""
        if not self._runs:
            return
        name = f"part-{self._next:05d}.parquet"
        years = pd.DataFrame(self._years, columns=None if self._years else ["sample", "year"])
        _write_parquet(years, self.folder / _YEARS / name)
        _write_parquet(pd.DataFrame(self._runs), self.folder / _RUNS / name)
        self.done.update(int(r["sample"]) for r in self._runs)
        self._runs, self._years = [], []
        self._buffered.clear()
        self._next += 1


def sweep_spec(folder: Path) -> dict[str, Any]:
    """The ``sweep.json`` of ``folder``.

    Raises:
        ResultsError: missing or not JSON.
    """
    path = Path(folder) / SPEC_FILE
    try:
        spec: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ResultsError(f"{folder}: no {SPEC_FILE}; not a sweep folder") from err
    except (OSError, ValueError) as err:
        raise ResultsError(f"{path}: cannot read it ({err})") from err
    if not isinstance(spec, dict):
        raise ResultsError(f"{path}: not a sweep spec (expected a JSON object)")
    return spec


def _read_parts(paths: Iterable[Path], sort: list[str]) -> pd.DataFrame:
    frames = [pd.read_parquet(p) for p in paths]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame(columns=sort)
    return pd.concat(frames, ignore_index=True).sort_values(sort, ignore_index=True)


def read_sweep(folder: Path | str) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """A sweep folder's spec, runs (one row per sample, by sample) and years (by sample, year).

    Raises:
        ResultsError: not a sweep folder.
    """
    folder = Path(folder)
    spec = sweep_spec(folder)
    runs = _read_parts(sorted(_parts(folder / _RUNS).values()), ["sample"])
    years = _read_parts(sorted(_parts(folder / _YEARS).values()), ["sample", "year"])
    return spec, runs, years
