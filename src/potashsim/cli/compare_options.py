"""The options that make a comparison like for like: ``--window`` and ``--set-for``.

Each parser raises :class:`click.BadParameter` naming its option, so that a bad value ends with a
one-line message and exit 2 before anything runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import click

from potashsim.analysis.experiment import Window, shared_window
from potashsim.scenario.schema import Scenario
from potashsim.text import did_you_mean

__all__ = ["choose_window", "parse_set_for", "parse_window"]


def parse_window(text: str) -> Window:
    """``START..END`` (ISO dates, both included) as a pair of dates.

    Raises:
        click.BadParameter: not two ISO dates joined by ``..``, or END before START.
    """
    start, sep, end = text.partition("..")
    try:
        if not sep:
            raise ValueError("no '..'")
        window = dt.date.fromisoformat(start.strip()), dt.date.fromisoformat(end.strip())
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not START..END in ISO dates, e.g. 2021-01-01..2025-12-31",
            param_hint="--window",
        ) from None
    if window[1] < window[0]:
        raise click.BadParameter(f"{text!r} ends before it starts", param_hint="--window")
    return window


def choose_window(text: str | None, scenarios: Sequence[Scenario]) -> Window:
    """The window a comparison counts: ``--window`` if given, else the days all horizons share.

    Raises:
        click.UsageError: the horizons share no day.
        click.BadParameter: ``text`` is malformed, or it reaches
            outside a scenario's horizon (the message names the scenario and its horizon).
    """
    try:
        shared = shared_window(scenarios)
    except ValueError as err:
        raise click.UsageError(f"{err}: compare scenarios whose horizons overlap") from None
    if text is None:
        return shared
    window = parse_window(text)
    outside = [
        f"{s.name} ({s.horizon.start}..{s.horizon.end})"
        for s in scenarios
        if window[0] < s.horizon.start or window[1] > s.horizon.end
    ]
    if outside:
        raise click.BadParameter(
            f"{window[0]}..{window[1]} lies outside the horizon of {', '.join(outside)}; "
            f"choose a window inside {shared[0]}..{shared[1]}, the days all scenarios share",
            param_hint="--window",
        )
    return window


def parse_set_for(values: Sequence[str], names: Sequence[str]) -> dict[str, list[str]]:
    """``NAME:KEY=VALUE`` strings as ``{NAME: ["KEY=VALUE", ...]}`` (in the order given).

    Raises:
        click.BadParameter: a value lacks ``NAME:`` or ``=``, or NAME is not among ``names``
            (the message lists them).
    """
    out: dict[str, list[str]] = {}
    for value in values:
        name, sep, setting = value.partition(":")
        if not sep or "=" not in setting or not name.strip():
            raise click.BadParameter(
                f"{value!r} is not NAME:KEY=VALUE, e.g. "
                "history:ports.klaipeda.handling_usd_per_t=20",
                param_hint="--set-for",
            )
        name = name.strip()
        if name not in names:
            hint = did_you_mean(name, names)
            raise click.BadParameter(
                f"{name!r} is not a compared scenario (they are: {', '.join(names)}){hint}",
                param_hint="--set-for",
            )
        out.setdefault(name, []).append(setting.strip())
    return out
