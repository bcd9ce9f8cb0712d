"""Small text helpers shared by every layer: the nearest names to a mistyped one, and one run's
totals in a line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["closest", "did_you_mean", "run_line"]


def closest(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice most like ``word``, ignoring case, or None when none is alike enough.

    ``cutoff`` is difflib's similarity ratio in [0, 1] a choice must reach. ``word`` itself is
    never suggested, so a name that is known but wrong where it stands gets no "did you mean".
    """
    by_lower = {c.lower(): c for c in choices if c != word}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[close[0]] if close else None


def did_you_mean(
    word: str, choices: Iterable[str], *, cutoff: float = 0.6, prefix: str = ""
) -> str:
    """``; did you mean `<prefix><choice>`?`` for the :func:`closest` choice, or ``""``.

    ``prefix`` is shown before the choice, for names that are part of a longer one
    (``link:`` before a link id, ``ports.`` before a port).
    """
    match = closest(word, choices, cutoff=cutoff)
    return f"; did you mean `{prefix}{match}`?" if match is not None else ""


def run_line(summary: Mapping[str, Any]) -> str:
    """One run's totals as ``potashsim run`` prints them, from its ``summary.json`` mapping:
    ``name: exported … Mt, revenue … bn USD, netback … bn USD, curtailed … Mt (start..end, seed
    N`` (the caller closes the bracket, the CLI after the run's wall time)."""
    t = summary["totals"]
    return (
        f"{summary['scenario']}: exported {t['exported_t'] / 1e6:.2f} Mt, revenue "
        f"{t['revenue_usd'] / 1e9:.2f} bn USD, netback {t['netback_usd'] / 1e9:.2f} "
        f"bn USD, curtailed {t['curtailed_t'] / 1e6:.2f} Mt "
        f"({summary['horizon_start']}..{summary['horizon_end']}, seed {summary['seed']}"
    )
