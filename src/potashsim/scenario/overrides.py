"""``set:`` entries and ``--set key=value`` options: a value put at a dotted path of the network,
remembering where each came from so a problem with the merged network names the right line.

Two paths name no single value of the network, so that a quick change needs no list index:

- ``markets.all.FIELD``: ``FIELD`` of every market, e.g. ``markets.all.price_scale=0.8``;
- ``markets.ID.price_scale``: multiplies the market's whole price series (every quote and
  ``price_after_last_usd_per_t``, with their ranges) by a factor above 0; applied twice, the
  factors multiply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from potashsim.errors import Problem
from potashsim.scenario import schema as sc
from potashsim.scenario.introspect import allowed_keys
from potashsim.scenario.messages import Origin
from potashsim.scenario.params import is_param, split_params
from potashsim.scenario.paths import KeyPath, dotted, key_path, slot, walk
from potashsim.scenario.yamlio import Document, parse_value
from potashsim.text import did_you_mean

__all__ = [
    "ALL_MARKETS",
    "COMMAND_LINE_SETTINGS",
    "PRICE_SCALE",
    "UNSOURCED",
    "SetEntry",
    "apply_set",
    "apply_sets",
    "command_line_sets",
    "origin_for",
    "param_problems",
    "parse_set_option",
]

SetEntry = tuple[str, Any, Origin]
"""One override: dotted path, value as written (parameters with provenance allowed), origin."""

COMMAND_LINE_SETTINGS = ("horizon", "stochastic")
"""Scenario settings (not network parameters) that ``--set`` on the command line may change:
``horizon.start``, ``horizon.end``, ``horizon`` and ``stochastic``."""
ALL_MARKETS = "all"
"""``markets.all.FIELD`` sets ``FIELD`` of every market (as the event target ``market:all``)."""
PRICE_SCALE = "price_scale"
"""``markets.ID.price_scale``: a factor on the market's whole price series, not a stored value."""
_SETTING_KEYS = ("horizon.start", "horizon.end", "stochastic")
_SCALED_PRICE_FIELDS = ("low", "high", "mode", "mean", "sd")


def parse_set_option(text: str) -> tuple[str, Any] | Problem:
    """Parse one ``--set key=value``; the value is read as YAML (``11``, ``2030-01-01``)."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        return Problem(
            "--set", None, text, "expected key=value, e.g. ports.klaipeda.handling_usd_per_t=11"
        )
    # a colour ("#332288") is text here: on the command line a # starts no comment
    value = raw.strip() if raw.lstrip().startswith("#") else parse_value(raw, "--set")
    if isinstance(value, Problem):  # e.g. 2020-02-30: the same words as in a file
        return Problem("--set", None, key, value.message)
    return key, value


def command_line_sets(options: Sequence[str], problems: list[Problem]) -> list[SetEntry]:
    """The ``--set`` options as overrides; an option that is not ``key=value`` is a problem."""
    entries: list[SetEntry] = []
    for text in options:
        parsed = parse_set_option(text)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            entries.append((parsed[0], parsed[1], Origin(None, (), "--set")))
    return entries


def apply_sets(
    tree: dict[str, Any],
    meta: dict[str, dict[str, Any]],
    entries: Sequence[SetEntry],
    problems: list[Problem],
) -> dict[str, Origin]:
    """Apply ``entries`` in order to the plain network ``tree`` and its parameter ``meta``.

    Returns the origin of each key that was set (the last entry wins); an entry that cannot be
    applied is a problem at its own line.
    """
    origins: dict[str, Origin] = {}
    for key, value, origin in entries:
        unknown = _unknown_market_field(key)
        if unknown:  # one message for the key given, not one per market it stands for
            problems.append(origin.problem(key, unknown))
            continue
        for one in _each_market(tree, key):
            message = apply_set(tree, meta, one, value)
            if message:
                problems.append(origin.problem(key, message))
                break
            origins.update(dict.fromkeys(_touched(one), origin))
    return origins


def _each_market(tree: dict[str, Any], key: str) -> list[str]:
    """``markets.all.FIELD`` as one key per market of ``tree``; any other key as itself."""
    segs = key.split(".")
    markets = tree.get("markets")
    if len(segs) > 2 and segs[:2] == ["markets", ALL_MARKETS] and isinstance(markets, dict):
        return [dotted(["markets", str(m), *segs[2:]]) for m in markets]
    return [key]


def _unknown_market_field(key: str) -> str:
    """Why ``markets.all.FIELD`` names no field of a market ('' when it does, or is another
    key)."""
    segs = key.split(".")
    if len(segs) < 3 or segs[:2] != ["markets", ALL_MARKETS]:
        return ""
    fields = [*sc.MarketSpec.model_fields, PRICE_SCALE]
    if segs[2] in fields:
        return ""
    where = dotted(segs[:3])
    hint = did_you_mean(segs[2], fields, prefix=f"markets.{ALL_MARKETS}.")
    return f"no such parameter `{where}`{hint or '; a market has ' + ', '.join(fields)}"


def _touched(key: str) -> list[str]:
    """The keys of the network a set of ``key`` changed (a price scale changes the series)."""
    segs = key.split(".")
    if _is_price_scale(segs):
        market = dotted(segs[:2])
        return [f"{market}.prices", f"{market}.price_after_last_usd_per_t"]
    return [key]


def _is_price_scale(segs: list[str]) -> bool:
    return len(segs) == 3 and segs[0] == "markets" and segs[2] == PRICE_SCALE


def apply_set(tree: dict[str, Any], meta: dict[str, dict[str, Any]], key: str, value: Any) -> str:
    """Apply one override in place; return an error message, or '' when applied."""
    segs = key.split(".")
    if segs[0] not in tree:  # a set never adds a section of its own
        return _unknown(tree, segs[0], segs[:1])
    parent, depth = walk(tree, segs[:-1])
    if depth < len(segs) - 1:
        return _unknown(parent, segs[depth], segs[: depth + 1])
    if _is_price_scale(segs) and isinstance(parent, dict):
        return scale_prices(parent, meta, dotted(segs[:2]), value)
    where = slot(parent, segs[-1])
    if where is None:
        if isinstance(parent, list):
            return f"{key}: no item {segs[-1]} (the list has {len(parent)} items)"
        return f"{dotted(segs[:-1])} is a value, not a section"
    parent[where] = _replace_meta(meta, key, value)
    return ""


def scale_prices(
    market: dict[str, Any], meta: dict[str, dict[str, Any]], key: str, factor: Any
) -> str:
    """Multiply the price series of ``market`` (at dotted ``key``) by ``factor`` in place: every
    quote's ``usd_per_t``, ``price_after_last_usd_per_t``, and the range each is drawn from; each
    one's citation says it was scaled. Return an error message, or '' when applied."""
    if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 < factor < math.inf:
        return (
            f"{PRICE_SCALE} must be a number above 0 (0.8: every price of the series 20% "
            f"lower), not {factor!r}"
        )
    prices = market.get("prices")
    paths = [
        (f"{key}.prices.{i}.usd_per_t", point, "usd_per_t")
        for i, point in enumerate(prices if isinstance(prices, list) else [])
        if isinstance(point, dict) and isinstance(point.get("usd_per_t"), int | float)
    ]
    if isinstance(market.get("price_after_last_usd_per_t"), int | float):
        paths.append((f"{key}.price_after_last_usd_per_t", market, "price_after_last_usd_per_t"))
    highest = max((holder[field] * factor for _, holder, field in paths), default=0.0)
    if highest > sc.MAX_USD_PER_T:  # one message, not one per quote
        return (
            f"{PRICE_SCALE} {factor:g} puts the highest price at {highest:,.0f} USD/t, above "
            f"the {sc.MAX_USD_PER_T:,} USD/t that potashsim takes"
        )
    for path, holder, field in paths:
        holder[field] = holder[field] * factor
        entry = meta.get(path)
        if entry is None:
            continue
        if isinstance(entry.get("dist"), BaseModel):
            dist = entry["dist"]
            entry["dist"] = dist.model_copy(
                update={
                    f: getattr(dist, f) * factor
                    for f in _SCALED_PRICE_FIELDS
                    if getattr(dist, f) is not None
                }
            )
        if entry.get("cite"):
            entry["cite"] += f"; scaled by {factor:g} ({PRICE_SCALE})"
    return ""


#: The citation of a number given by ``set`` or ``--set`` without a source or an estimate.
UNSOURCED = "set by the scenario, no source given"


def _replace_meta(meta: dict[str, dict[str, Any]], key: str, value: Any) -> Any:
    """The value replaces what was at ``key``, and so do its provenance and uncertainty: update
    ``meta`` and return the plain value to store."""
    for k in [k for k in meta if k == key or k.startswith(key + ".")]:
        del meta[k]
    if isinstance(value, dict) and not is_param(value) and "dist" not in value:
        plain, sub_meta = split_params(value)
        meta.update({f"{key}.{k}": v for k, v in sub_meta.items()})
        return plain
    if isinstance(value, dict):  # one parameter, e.g. {value: 11, source: C19}
        plain, sub_meta = split_params({"x": value})
        if "x" in sub_meta:
            meta[key] = sub_meta["x"]
        return plain["x"]
    if isinstance(value, int | float) and not isinstance(value, bool):
        # a bare number replaces a cited one: it stays listed (explain --parameters), as the
        # scenario's own value, so the number a user changed is not the one that disappears
        meta[key] = {"cite": UNSOURCED}
    return value


def _unknown(node: Any, seg: str, path: list[str]) -> str:
    """Why ``path`` (ending in ``seg``, which ``node`` lacks) names nothing, and what might."""
    where = ".".join(path)
    if isinstance(node, dict):
        hint = did_you_mean(seg, map(str, node), prefix="".join(f"{p}." for p in path[:-1]))
        if hint:
            return f"no such parameter `{where}`{hint}"
        if len(path) == 1:
            if seg in sc.ScenarioFile.model_fields:
                return (
                    f"`{seg}` is a scenario setting, not a network parameter: write it at "
                    "the top level of a scenario file (on the command line, --set takes "
                    f"{', '.join(_SETTING_KEYS)})"
                )
            return (
                f"no such parameter `{where}`; a path starts with one of: "
                f"{', '.join(map(str, node))}"
            )
        if seg in allowed_keys(sc.NetworkSpec, tuple(path)):
            return (
                f"`{where}` is not set in the network, so it has no parts to change: "
                f"set `{where}` as a whole"
            )
    if isinstance(node, list):
        return (
            f"no item {seg} in `{'.'.join(path[:-1])}` (it has {len(node)} items, numbered from 0)"
        )
    return f"no such parameter `{where}`"


def origin_for(path: KeyPath, origins: dict[str, Origin], net_doc: Document) -> tuple[Origin, str]:
    """Where a value of the merged network came from (the last set that touched it, else the
    network file), and the key to show."""
    key_shown = dotted(path)
    for key in sorted(origins, key=len, reverse=True):
        if key_shown == key or key_shown.startswith(key + "."):
            return origins[key], key_shown
        if key.startswith(key_shown + "."):  # a check on a section, caused by this entry
            return origins[key], key
    return Origin(net_doc, path), key_shown


def param_problems(
    meta: dict[str, dict[str, Any]], origins: dict[str, Origin], net_doc: Document
) -> list[Problem]:
    """Invalid uncertain parameters, each at the line of the file or ``set`` that gave it."""
    problems: list[Problem] = []
    for key, entry in meta.items():
        if "error" in entry:
            origin, shown = origin_for(key_path(key), origins, net_doc)
            problems.append(origin.problem(shown, entry["error"]))
    return problems
