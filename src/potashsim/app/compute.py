"""From the user's choices to the report's sections: load the scenario files the app writes with
the CLI's loader, compare the changed scenario with the base over paired replications, save the
comparison as ``potashsim compare`` does and draw it with the report's own sections.

A change is answered fast by doing only what the page shows: the runs are at the fast
granularity (the scenario files say so), replications already run (the base's, while a lever
moves) are taken from a :class:`~potashsim.analysis.run_cache.RunCache`, the shadow prices are
not computed (the page does not show them; ``potashsim compare`` on the downloaded file does) and
the map's slider has the first, middle and last year.

Caps keep one user from stalling a shared server: at most :data:`MAX_REPLICATIONS` replications,
:data:`MAX_RUN_YEARS` simulated scenario-years a request, :data:`MAX_REQUEST_S` seconds of
simulation (checked after each replication) and :data:`MAX_BUSY` comparisons at once. Results are
kept in a small in-process LRU cache keyed by the hash of both resolved scenarios.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from potashsim.analysis.experiment import Comparison, compare
from potashsim.analysis.run_cache import RunCache
from potashsim.app.levers import lever_sets
from potashsim.app.scenario_file import Choices, base_yaml, scenario_yaml, variant_name
from potashsim.contract import DECOMPOSITION
from potashsim.errors import PotashsimError, Problem, ScenarioError
from potashsim.report.sections import Section, comparison_sections, default_periods, palette
from potashsim.results.read import load_comparison
from potashsim.results.write import save_comparison
from potashsim.scenario.digest import scenario_hash
from potashsim.scenario.loader import load_scenario
from potashsim.scenario.locate import scenario_names, shipped_scenario_dirs
from potashsim.scenario.schema import Scenario
from potashsim.scenario.yamlio import MAX_FILE_BYTES, Document, read_yaml
from potashsim.text import run_line

__all__ = [
    "DEFAULT_REPLICATIONS",
    "MAX_BUSY",
    "MAX_REPLICATIONS",
    "MAX_REQUEST_S",
    "MAX_RUN_YEARS",
    "MAX_UPLOAD_BYTES",
    "Outcome",
    "Upload",
    "Workspace",
    "shipped",
]

#: Replications the page asks for unless the user chooses more: one answers fastest (no
#: interval); the runs it made are reused when more are asked for.
DEFAULT_REPLICATIONS = 1
#: Replications a request may ask for (2 gives an interval; the CLI default is 20).
MAX_REPLICATIONS = 5
#: Simulated years a request may cost: replications × 2 scenarios × horizon years. A 12-year
#: history-length pair at 2 replications is 48.
MAX_RUN_YEARS = 60
#: Seconds of simulation a request may take before it is stopped (checked per replication).
MAX_REQUEST_S = 120.0
#: Comparisons simulated at once; the others wait their turn (the machine's cores are few).
MAX_BUSY = 2
#: Largest uploaded scenario file: the loader's own limit (scenario/yamlio.py).
MAX_UPLOAD_BYTES = MAX_FILE_BYTES
_CACHE_SIZE = 16
#: Replications kept in memory (a replication 0 with its full run is a few MB): the bases and
#: variants of the last few questions.
_RUN_CACHE_PARTS = 48
_ASKED_BEFORE = "the same question was answered before: taken from memory"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}\.ya?ml$")
_EFFECT_WORDS = {
    "volume_usd": ("selling more", "selling less"),
    "mix_usd": ("a better market mix", "a worse market mix"),
    "price_usd": ("a higher world price", "a lower world price"),
    "discount_usd": ("a smaller sanctions discount", "a larger sanctions discount"),
    "logistics_usd": ("cheaper logistics", "dearer logistics"),
}


@functools.lru_cache(maxsize=32)
def _load_shipped(name: str) -> Scenario:
    # shipped scenarios do not change while the server runs; a Scenario is frozen
    return load_scenario(name)


def shipped() -> list[str]:
    """The names of the shipped scenarios, sorted."""
    return scenario_names(shipped_scenario_dirs())


@dataclass(frozen=True)
class Upload:
    """An uploaded scenario file: its name as the user's machine had it, and its text."""

    filename: str
    text: str


@dataclass
class Outcome:
    """What the page shows after a run: the changed scenario's file, the summary sentence and
    the one run ``potashsim run`` reproduces at once; the report's sections once drawn
    (:meth:`Workspace.sections`)."""

    yaml: str
    summary: str
    one_run: str
    base: str
    variant: str
    key: str
    """The answer's key in the workspace: the hashes of both resolved scenarios and the
    replications."""
    timing: str = ""
    """How the answer was made: runs simulated and taken from memory, and the seconds it took
    (what the first asker waited for)."""
    sections: list[Section] | None = None
    """The report's sections, None until drawn."""
    charts_timing: str = ""
    comparison: Comparison | None = field(default=None, repr=False)
    """The comparison, kept until its sections are drawn."""


class Workspace:
    """A private temporary folder for the files the app writes (uploads, the scenario files it
    runs, the saved comparisons), and the LRU cache of outcomes."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="potashsim-serve-"))
        self._cache: OrderedDict[str, Outcome] = OrderedDict()
        self._loaded: OrderedDict[str, Scenario] = OrderedDict()
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}
        self._draw_locks: dict[str, threading.Lock] = {}
        self._busy = threading.BoundedSemaphore(MAX_BUSY)
        self.runs = RunCache(_RUN_CACHE_PARTS)
        """Replications already run, shared by every user's requests."""

    # ------------------------------------------------------------------ files

    def _write(self, folder: Path, name: str, text: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            tmp = folder / f".{name}.{threading.get_ident()}.tmp"
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        return path

    def problems(self, err: ScenarioError) -> list[str]:
        """Each problem as the CLI prints it (``file:line: key: message``), with the app's
        private folder taken off the file names so they read as the user's own files."""
        prefix = re.compile(re.escape(str(self.root)) + r"/(uploads|runs)/[0-9a-f]+/")
        return [str(replace(p, file=prefix.sub("", p.file))) for p in err.problems]

    def place_upload(self, upload: Upload) -> Path:
        """Write ``upload`` into its own folder (named by its content) and return its path.

        Raises:
            ScenarioError: the name is not a plain ``*.yaml`` file name, or the file is larger
                than :data:`MAX_UPLOAD_BYTES`.
        """
        if not _SAFE_NAME.match(upload.filename):
            raise ScenarioError(
                [Problem(upload.filename, None, "", "upload a .yaml or .yml scenario file")]
            )
        size = len(upload.text.encode("utf-8"))
        if size > MAX_UPLOAD_BYTES:
            raise ScenarioError(
                [
                    Problem(
                        upload.filename,
                        None,
                        "",
                        f"{size:,} bytes; a scenario file may be at most {MAX_UPLOAD_BYTES:,}",
                    )
                ]
            )
        digest = hashlib.sha256(upload.text.encode("utf-8")).hexdigest()[:16]
        return self._write(self.root / "uploads" / digest, upload.filename, upload.text)

    def validate_upload(self, upload: Upload) -> tuple[Scenario | None, list[str]]:
        """Load an uploaded file with the CLI's loader: the scenario, or the problems."""
        try:
            path = self.place_upload(upload)
            _check_reach(path)
            return load_scenario(str(path)), []
        except ScenarioError as err:
            return None, self.problems(err)

    def picked(self, ref: str, upload: Upload | None) -> tuple[Scenario, str]:
        """The picked scenario, and how a file beside the upload names it in ``extends``."""
        if upload is not None and ref == upload.filename:
            path = self.place_upload(upload)
            _check_reach(path)
            return load_scenario(str(path)), upload.filename
        if ref not in shipped():
            raise ScenarioError([Problem(ref, None, "", "not a shipped or uploaded scenario")])
        return _load_shipped(ref), ref

    # ------------------------------------------------------------------ scenarios

    def prepare(
        self, choices: Choices, upload: Upload | None, levers: dict[str, Any]
    ) -> tuple[Scenario, Scenario, str, Choices]:
        """The base and the changed scenario as the app runs them, the changed one's file, and
        ``choices`` with the levers' ``set`` entries.

        Raises:
            ScenarioError: the picked scenario, the base or the changes are invalid (every
                problem, as the CLI reports it).
        """
        picked, extends = self.picked(choices.scenario, upload)
        base, base_extends = self.picked(choices.base, upload)
        chosen = replace(choices, sets=lever_sets(picked, levers))
        text = scenario_yaml(
            chosen,
            picked,
            base,
            extends=extends,
            known_ids=[e.id for e in picked.events if e.id],
        )
        base_text = base_yaml(base, extends=base_extends, horizon_end=choices.horizon_end)
        files = {f"{variant_name(picked)}.yaml": text, "potashsim_app_base.yaml": base_text}
        if upload is not None:
            # beside the files that extend it, as it will be beside the downloaded file
            files[upload.filename] = upload.text
        digest = hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()[:16]
        folder = self.root / "runs" / digest
        for name, body in files.items():
            self._write(folder, name, body)
        problems: list[str] = []
        loaded: list[Scenario] = []
        beside = upload.text if upload is not None else ""
        for name in ("potashsim_app_base.yaml", f"{variant_name(picked)}.yaml"):
            # a file and what it extends resolve to the same scenario wherever they are: the
            # base, unchanged while a lever moves, is loaded once
            key = hashlib.sha256(repr((name, files[name], beside)).encode()).hexdigest()
            with self._lock:
                found = self._loaded.get(key)
            if found is not None:
                loaded.append(found)
                continue
            try:
                loaded.append(load_scenario(str(folder / name)))
            except ScenarioError as err:
                problems += self.problems(err)
                continue
            with self._lock:
                self._loaded[key] = loaded[-1]
                while len(self._loaded) > 2 * _CACHE_SIZE:
                    self._loaded.popitem(last=False)
        if problems:
            raise _Shown(problems)
        return loaded[0], loaded[1], text, chosen

    # ------------------------------------------------------------------ runs

    def outcome(self, choices: Choices, upload: Upload | None, levers: dict[str, Any]) -> Outcome:
        """Run (or take from the cache) the comparison of ``choices``.

        Raises:
            ScenarioError, _Shown: the scenarios are invalid.
            PotashsimError: the request is over a cap, or the comparison failed.
        """
        base, variant, text, choices = self.prepare(choices, upload, levers)
        reps = choices.replications
        if not 1 <= reps <= MAX_REPLICATIONS:
            raise PotashsimError(f"replications must be 1 to {MAX_REPLICATIONS}, got {reps}")
        years = sum((s.horizon.end - s.horizon.start).days + 1 for s in (base, variant)) / 365.25
        if years * reps > MAX_RUN_YEARS:
            raise PotashsimError(
                f"{reps} replication(s) of {years:.1f} scenario-years is over this server's "
                f"limit of {MAX_RUN_YEARS} simulated years a request: shorten the horizon or "
                "use fewer replications (or run `potashsim compare` on the downloaded file)"
            )
        key = f"{scenario_hash(base)}:{scenario_hash(variant)}:{reps}"
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return replace(self._cache[key], yaml=text, timing=_ASKED_BEFORE)
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:  # one session computes, another asking the same waits for it
            with self._lock:
                if key in self._cache:
                    return replace(self._cache[key], yaml=text, timing=_ASKED_BEFORE)
            with self._busy:
                found = self._compute(base, variant, reps, choices)
            found = replace(found, yaml=text, key=key)
            with self._lock:
                self._cache[key] = found
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
                self._key_locks.pop(key, None)
        return found

    def _compute(self, base: Scenario, variant: Scenario, reps: int, choices: Choices) -> Outcome:
        t0 = time.perf_counter()

        def deadline(_done: int, _total: int) -> None:
            if time.perf_counter() - t0 > MAX_REQUEST_S:
                raise PotashsimError(
                    f"stopped after {MAX_REQUEST_S:.0f} s, this server's limit a request: "
                    "shorten the horizon or use fewer replications"
                )

        hits = self.runs.hits
        cmp = compare(
            [base, variant],
            replications=reps,
            seed=base.seed,
            progress=deadline,
            shadow_prices=False,
            cache=self.runs,
        )
        from_memory = self.runs.hits - hits
        rep = cmp.representative[variant.name]
        return Outcome(
            yaml="",
            summary=summary_line(cmp, variant.name, choices),
            one_run=f"{run_line(rep.summary)})",
            base=base.name,
            variant=variant.name,
            key="",
            timing=(
                f"{2 * reps - from_memory} run(s) simulated and {from_memory} taken from memory "
                f"in {time.perf_counter() - t0:.1f} s"
            ),
            comparison=cmp,
        )

    def sections(self, key: str) -> Outcome:
        """The answer under ``key`` (:attr:`Outcome.key`) with the report's sections, drawn once
        and kept: the comparison is saved as ``potashsim compare`` saves it and drawn from the
        files exactly as the report draws them. The scenario table (HTML only) and the shadow
        prices (not computed) are left to the downloaded file.

        Raises:
            PotashsimError: no answer is kept under ``key`` (the cache has dropped it).
        """
        with self._lock:
            found = self._cache.get(key)
            draw_lock = self._draw_locks.setdefault(key, threading.Lock())
        if found is None:
            raise PotashsimError("this answer is no longer kept on the server: press Run again")
        with draw_lock:  # one session draws, another asking the same waits for it
            with self._lock:
                found = self._cache.get(key, found)
            if found.sections is not None or found.comparison is None:
                return replace(found, charts_timing="drawn before: taken from memory")
            with self._busy:
                t0 = time.perf_counter()  # after waiting for a turn: the time the work took
                cmp = found.comparison
                folder = save_comparison(cmp, self.root / "results", command="potashsim serve")
                bundle = load_comparison(folder)
                t1 = time.perf_counter()
                periods = map_years(cmp)
                drawn = [
                    s
                    for s in comparison_sections(bundle, palette([bundle], periods), periods, "")
                    if s.charts
                ]
            timing = (
                f"saved and read back in {t1 - t0:.1f} s, charts made in "
                f"{time.perf_counter() - t1:.1f} s"
            )
            found = replace(found, sections=drawn, charts_timing=timing, comparison=None)
            with self._lock:
                if key in self._cache:
                    self._cache[key] = found
                self._draw_locks.pop(key, None)
        return found


def map_years(cmp: Comparison) -> list[int]:
    """The map slider's years: the first, middle and last of the comparison's window (each map
    costs about half a second to draw; the report's default is every year)."""
    start, end = cmp.window
    return default_periods((pd.Timestamp(start), pd.Timestamp(end)))


def _check_reach(path: Path) -> None:
    """Refuse an uploaded file that would read other files on the server: it may extend only a
    shipped scenario (by name) and use only the shipped network.

    Raises:
        ScenarioError: the file names a network file or extends anything but a shipped scenario
            (or cannot be read; the loader then says why).
    """
    doc = read_yaml(path)
    if not isinstance(doc, Document) or not isinstance(doc.data, dict):
        return  # the loader reports what is wrong with it
    problems = []
    if "network" in doc.data:
        problems.append(
            Problem(
                str(path),
                doc.line(("network",)),
                "network",
                "an uploaded scenario uses the shipped network: this server does not read "
                "network files named by uploads",
            )
        )
    parent = doc.data.get("extends")
    if parent is not None and str(parent) not in shipped():
        problems.append(
            Problem(
                str(path),
                doc.line(("extends",)),
                "extends",
                f"an uploaded scenario may extend only a shipped scenario ({', '.join(shipped())}),"
                f" not {parent!r}",
            )
        )
    if problems:
        raise ScenarioError(problems)


class _Shown(ScenarioError):
    """Problems already formatted for the page (``file:line: key: message``)."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__([])
        self.lines = list(lines)


def problem_lines(workspace: Workspace, err: ScenarioError) -> list[str]:
    """The lines to show for ``err``, as the CLI prints them."""
    return err.lines if isinstance(err, _Shown) else workspace.problems(err)


def _bn(usd: float) -> str:
    return f"{usd / 1e9:+.2f}"


def summary_line(cmp: Comparison, variant: str, choices: Choices) -> str:
    """One sentence from the numbers: what the change is worth a year in netback to Belarus,
    with its interval, and the effect of the decomposition that carries most of it."""
    start, end = cmp.window
    years = ((end - start).days + 1) / 365.25
    net = cmp.stats[variant]["netback_usd"]
    rev = cmp.stats[variant]["revenue_usd"]
    mean = float(net["diff_mean"] or 0.0)
    parts = []
    if choices.excluded:
        parts.append("without " + ", ".join(choices.excluded))
    if choices.sets:
        parts.append("with the levers as set")
    what = f"{variant} ({'; '.join(parts)})" if parts else variant
    lo, hi = net.get("diff_ci_low"), net.get("diff_ci_high")
    interval = (
        f" (95% interval {_bn(float(lo) / years)} to {_bn(float(hi) / years)})"
        if lo is not None and hi is not None
        else " (one replication: no interval)"
    )
    effects = cmp.decomposition.get(variant, {})
    named = [e for e in DECOMPOSITION if e in _EFFECT_WORDS and e in effects]
    mostly = ""
    if named and mean:
        top = max(named, key=lambda e: abs(float(effects[e])))
        value = float(effects[top])
        words = _EFFECT_WORDS[top][0 if value >= 0 else 1]
        mostly = f", mostly {words} ({_bn(value / years)} bn USD a year)"
    return (
        f"Against {cmp.base}, {what} is worth {_bn(mean / years)} bn USD a year of netback to "
        f"Belarus{interval}{mostly}; revenue {_bn(float(rev['diff_mean'] or 0.0) / years)} bn "
        f"USD a year, over {start}..{end} ({years:.1f} years, {_replications(cmp.replications)})."
    )


def _replications(n: int) -> str:
    return "1 replication" if n == 1 else f"{n} paired replications"


def horizon_end(text: str | None) -> dt.date | None:
    """The horizon end the page sent (ISO date), or None."""
    return dt.date.fromisoformat(text) if text else None
