"""The ``extends`` chain: a scenario file and the files it extends, read, checked and merged.

Merging runs from the root down to the named file, each later file overriding: settings it
gives replace inherited ones, its ``set`` entries are applied after the inherited ones, and its
events join the inherited events once ``exclude_actors`` and ``exclude_events`` have dropped
some of those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from potashsim.errors import Problem
from potashsim.scenario import schema as sc
from potashsim.scenario.locate import find_scenario, scenario_names, shipped_scenario_dirs
from potashsim.scenario.messages import Origin, problems_from
from potashsim.scenario.overrides import COMMAND_LINE_SETTINGS, SetEntry
from potashsim.scenario.paths import KeyPath, dotted
from potashsim.scenario.yamlio import Document, read_yaml
from potashsim.text import did_you_mean

__all__ = [
    "Link",
    "Merged",
    "command_line_settings",
    "merge_chain",
    "read_chain",
]


@dataclass
class Link:
    """One file of an ``extends`` chain; ``events``/``sets`` keep only the entries that are valid
    (with their index in the file), so a file with a few bad entries is still checked further."""

    doc: Document
    file: sc.ScenarioFile
    events: list[tuple[int, dict[str, Any]]]
    sets: dict[str, Any]
    horizon_broken: bool = False
    """Its horizon was invalid (and dropped to check the rest)."""


def read_chain(path: Path, problems: list[Problem]) -> list[Link] | None:
    """Read ``path`` and its ``extends`` ancestors, root first; None at a broken link.

    Problems of every file read are added to ``problems``, the named file's first.
    """
    chain: list[Link] = []
    seen: list[Path] = []
    current = path
    last: Document | None = None  # the file whose `extends` led to `current`
    while True:
        resolved = current.resolve()
        if resolved in seen and last is not None:
            problems.append(_circular(last, [*seen, resolved]))
            return None
        seen.append(resolved)
        link = _read_link(current, last, problems)
        if link is None:
            return None
        chain.insert(0, link)
        parent = link.doc.data.get("extends")
        if not isinstance(parent, str):  # absent, or a wrong type already reported
            return chain
        nxt = find_scenario(parent, relative_to=current.parent)
        if nxt is None:
            problems.append(_not_found(link.doc, parent, current.parent))
            return None
        last, current = link.doc, nxt


def _circular(last: Document, visited: list[Path]) -> Problem:
    """``visited`` ends with a file seen before: the cycle runs from its first visit."""
    cycle = " → ".join(p.name for p in visited[visited.index(visited[-1]) :])
    return Problem(
        last.file,
        last.line(("extends",)),
        "extends",
        f"circular: {cycle} (a scenario cannot extend itself, directly or through others)",
    )


def _not_found(doc: Document, parent: str, folder: Path) -> Problem:
    known = scenario_names([folder, *shipped_scenario_dirs()])
    hint = did_you_mean(parent.removesuffix(".yaml"), known)
    return Problem(
        doc.file,
        doc.line(("extends",)),
        "extends",
        f"cannot find {parent!r} (a path relative to this "
        f"file, or the name of a shipped scenario){hint}",
    )


def _read_link(path: Path, extended_by: Document | None, problems: list[Problem]) -> Link | None:
    """Read and check one file of the chain; None when it cannot be used at all."""
    doc = read_yaml(path)
    if isinstance(doc, Problem):
        if extended_by is not None and doc.line is None:  # say which file asked for it
            line = extended_by.line(("extends",))
            doc = Problem(
                doc.file, None, "", f"{doc.message} (extended by {extended_by.file}, line {line})"
            )
        problems.append(doc)
        return None
    if doc.data is None:
        problems.append(Problem(doc.file, 1, "", "empty file: a scenario needs at least `name`"))
        return None
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        problems.append(
            Problem(
                doc.file,
                1,
                "",
                f"the top level must be a mapping "
                f"of keys (name, horizon, events, ...), found a {kind}",
            )
        )
        return None
    return _validate_file(doc, problems)


def _validate_file(doc: Document, problems: list[Problem]) -> Link | None:
    """Validate one file; on problems, report them and keep its valid parts for further checks."""
    data: dict[str, Any] = doc.data
    try:
        parsed = sc.ScenarioFile.model_validate(data)
        return Link(
            doc, parsed, list(enumerate(data.get("events") or [])), dict(data.get("set") or {})
        )
    except ValidationError as err:

        def origin_of(path: KeyPath) -> tuple[Origin, str]:
            return Origin(doc, path), dotted(path)

        problems.extend(problems_from(err, data, origin_of, sc.ScenarioFile))
        errors = err.errors()
    # Salvage: drop what is wrong (bad events one by one), keep the rest to check it too.
    salvaged = dict(data)
    bad_events: set[int] = set()
    horizon_broken = False
    for e in errors:
        loc = e["loc"]
        if not loc or loc[0] in ("extends", "network"):  # cannot go on without these
            return None
        if loc[0] == "events" and len(loc) > 1 and isinstance(loc[1], int):
            bad_events.add(loc[1])
        elif loc[0] == "name":
            salvaged["name"] = "unnamed"
        else:
            salvaged.pop(str(loc[0]), None)
            horizon_broken |= loc[0] == "horizon"
    events = data.get("events")
    kept = (
        [(i, ev) for i, ev in enumerate(events) if i not in bad_events]
        if isinstance(events, list)
        else []
    )
    salvaged["events"] = [ev for _, ev in kept]
    try:
        parsed = sc.ScenarioFile.model_validate(salvaged)
    except ValidationError:
        return None
    return Link(doc, parsed, kept, dict(salvaged.get("set") or {}), horizon_broken)


@dataclass
class Merged:
    """What a chain of files says once merged, before the network and the events are checked."""

    leaf: Document
    """The named file (the last of the chain)."""
    horizon_broken: bool
    """A file's horizon was invalid: do not also report events as outside the inherited one."""
    name: str = ""
    description: str = ""
    horizon: sc.Horizon | None = None
    seed: int = 0
    stochastic: bool = True
    network_ref: tuple[Document, str] | None = None
    """The last ``network:`` of the chain and the file that names it; None: the shipped one."""
    inherited: int = 0
    """Events before this index come from files above the one that set the horizon."""
    sets: list[SetEntry] = field(default_factory=list)
    events: list[tuple[dict[str, Any], Origin]] = field(default_factory=list)
    expect: tuple[sc.Expectation, ...] = ()
    """The named file's own expectations (not inherited)."""

    def take(self, link: Link) -> None:
        """Merge the next file down the chain into this."""
        f = link.file
        if f.horizon is not None:
            self.inherited = len(self.events)
        self.horizon = f.horizon or self.horizon
        self.seed = f.seed if f.seed is not None else self.seed
        self.stochastic = f.stochastic if f.stochastic is not None else self.stochastic
        # a file without a description inherits its parent's, saying so
        self.description = f.description or (
            f"Extends {self.name}: {self.description}" if self.description else ""
        )
        self.name = f.name
        self.expect = f.expect  # a child's outcomes differ: expectations are not inherited
        self.network_ref = (link.doc, f.network) if f.network else self.network_ref
        self.sets += [
            (key, value, Origin(link.doc, ("set", key), prefix="set."))
            for key, value in link.sets.items()
        ]
        self.events += [(raw, Origin(link.doc, ("events", i))) for i, raw in link.events]


def merge_chain(chain: list[Link], problems: list[Problem]) -> Merged:
    """Merge ``chain`` (root first); an ``exclude_events`` id no inherited event has is a
    problem."""
    merged = Merged(chain[-1].doc, horizon_broken=any(link.horizon_broken for link in chain))
    for link in chain:
        merged.events = _not_excluded(link, merged.events, problems)
        merged.take(link)
    return merged


def _ids_there_are(ids: list[str], shown: int = 12) -> str:
    """``; the inherited ids are: …`` (the first ``shown``, in file order, and how many more)."""
    if not ids:
        return "; there are no inherited ids"
    more = f" and {len(ids) - shown} more" if len(ids) > shown else ""
    return f"; the inherited ids are: {', '.join(ids[:shown])}{more}"


def _not_excluded(
    link: Link, events: list[tuple[dict[str, Any], Origin]], problems: list[Problem]
) -> list[tuple[dict[str, Any], Origin]]:
    """The inherited ``events`` that ``link`` keeps (not excluded by actor or by id)."""
    doc, f = link.doc, link.file
    known_ids = [k for k in dict.fromkeys(e.get("id") for e, _ in events) if k]
    for i, event_id in enumerate(f.exclude_events):
        if event_id not in known_ids:
            problems.append(
                Problem(
                    doc.file,
                    doc.line(("exclude_events", i)),
                    f"exclude_events.{i}",
                    f"no inherited event has id {event_id!r}"
                    + (did_you_mean(event_id, known_ids) or _ids_there_are(known_ids)),
                )
            )
    actors, ids = set(f.exclude_actors), set(f.exclude_events)
    return [(e, o) for e, o in events if e["actor"] not in actors and e.get("id") not in ids]


def command_line_settings(
    merged: Merged, entries: list[SetEntry], problems: list[Problem]
) -> list[SetEntry]:
    """Apply the ``--set`` entries that change a scenario setting (:data:`COMMAND_LINE_SETTINGS`)
    to ``merged``, as if one more file extended the named one; return the other entries.

    The entries of one setting are applied together and then checked as the same key in a file
    would be (a date is a date, the end not before the start), so that ``horizon.start`` and
    ``horizon.end`` may come in either order; a problem names ``--set`` and the key. A horizon
    set here lets go of the events after its end and keeps those before its start in force from
    the first day, as a child file's shorter horizon does.
    """
    rest: list[SetEntry] = []
    given: dict[str, Any] = {}
    for key, value, origin in entries:
        head, _, sub = key.partition(".")
        if origin.doc is not None or head not in COMMAND_LINE_SETTINGS:
            rest.append((key, value, origin))
        elif head == "horizon" and sub:
            if not isinstance(given.get(head), dict):
                given[head] = merged.horizon.model_dump() if merged.horizon is not None else {}
            given[head][sub] = value
        else:
            given[head] = value
    if not given:
        return rest
    try:
        parsed = sc.ScenarioFile.model_validate({"name": "set", **given})
    except ValidationError as err:

        def origin_of(path: KeyPath) -> tuple[Origin, str]:
            return Origin(None, path), dotted(path)

        problems.extend(problems_from(err, given, origin_of, sc.ScenarioFile))
        return rest
    if parsed.horizon is not None:
        merged.horizon, merged.inherited = parsed.horizon, len(merged.events)
    if parsed.stochastic is not None:
        merged.stochastic = parsed.stochastic
    return rest
