"""The lines the CLI prints about a scenario's ineffective events, repeats summarised.

A scenario with thousands of events that change nothing would print thousands of lines that
hide everything else; the first few of each kind say what is wrong, a count says how often.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from potashsim.sim.policy import EventNote

__all__ = ["SHOWN_PER_KIND", "event_lines"]

SHOWN_PER_KIND = 3


def event_lines(
    ref: str, notes: Sequence[EventNote], shown: int = SHOWN_PER_KIND
) -> list[tuple[str, bool]]:
    """``(line, is_warning)`` for each of the first ``shown`` notes of each kind, in their order,
    then ``... and N more like this`` for each kind with more."""
    seen: Counter[str] = Counter()
    lines: list[tuple[str, bool]] = []
    for note in notes:
        seen[note.kind] += 1
        if seen[note.kind] <= shown:
            lines.append((f"{ref}: {_label(note)}: {note}", note.is_warning))
    for note in {n.kind: n for n in notes}.values():
        more = seen[note.kind] - shown
        if more > 0:
            lines.append(
                (
                    f"{ref}: {_label(note)}: ... and {more} more like this ({note.kind})",
                    note.is_warning,
                )
            )
    return lines


def _label(note: EventNote) -> str:
    return "warning" if note.is_warning else "note"
