"""Pydantic's validation errors → ``file:line: key.path: message`` problems a student can act on.

A pydantic error locates a value by its path through the *types* (a union's tag included); a
problem locates it by its path through the *data*, at the line where that value was written, and
says what is wrong in one plain sentence, with a "did you mean" where one helps.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from potashsim.errors import Problem
from potashsim.scenario import schema as sc
from potashsim.scenario.introspect import (
    DISTRIBUTIONS,
    TAGGED_UNIONS,
    TaggedUnion,
    allowed_keys,
    vocabulary,
)
from potashsim.scenario.paths import MISSING, KeyPath, dotted, key_path
from potashsim.scenario.yamlio import Document
from potashsim.text import did_you_mean

__all__ = [
    "Origin",
    "OriginOf",
    "data_path",
    "distribution_message",
    "message",
    "one_of",
    "problems_from",
]


@dataclass
class Origin:
    """Where a value came from, to place a problem at the right line."""

    doc: Document | None
    """The file it was written in; None for a ``--set`` on the command line."""
    path: KeyPath
    label: str = ""
    prefix: str = ""
    """Put before a reported key: ``set.`` for a file's ``set:`` entry."""

    def problem(self, key: str, message: str) -> Problem:
        """A problem about ``key`` (a dotted path) of the value from here."""
        key = self.prefix + key if key else key
        if self.doc is None:
            return Problem(self.label or "--set", None, key, message)
        return Problem(self.doc.file, self.doc.line(self.path), key, message)


OriginOf = Callable[[KeyPath], tuple[Origin, str]]
"""Given a path in the validated data: where its value came from, and the key to report."""


def problems_from(
    err: ValidationError, data: Any, origin_of: OriginOf, model: Any
) -> list[Problem]:
    """Each error of validating ``data`` as ``model`` (a model or a union type) as a Problem."""
    problems: list[Problem] = []
    for e in err.errors(include_url=False):
        path = data_path(data, e["loc"])
        msg = str(e["msg"])
        if e["type"] == "value_error" and msg.startswith("Value error, @"):
            # after-validators report "@sub.path: message" lines; place each one
            for line in msg.removeprefix("Value error, ").splitlines():
                sub, _, text = line.removeprefix("@").partition(": ")
                origin, key = origin_of((*path, *key_path(sub)))
                problems.append(origin.problem(key, text))
            continue
        origin, key = origin_of(path)
        problems.append(origin.problem(key, message(e, model, path)))
    return problems


def data_path(data: Any, loc: tuple[int | str, ...]) -> KeyPath:
    """Map a pydantic loc onto keys of the input, dropping union tags such as ``'close'``.

    A tag is the value of its union's field in the mapping it stands after (``action: close``),
    and stands once per mapping, so an event field named like its action (a ``note`` event's
    ``note``) is still found. Past a value that is not a mapping or list, the loc names types
    (the members of a plain union), not data, and is dropped.
    """
    path: list[str | int] = []
    node = data
    tag_seen = False
    for item in loc:
        value = _item(node, item)
        if not tag_seen and _is_tag(node, item):
            tag_seen = True
        elif value is not MISSING:
            path.append(item)
            node, tag_seen = value, False
        elif isinstance(node, dict | list) or node is None:
            path.append(item)  # a key that is missing from the data
            node = None
    return tuple(path)


def _item(node: Any, item: int | str) -> Any:
    """``node[item]`` for a key of a mapping or the index of a list item, else MISSING."""
    if isinstance(node, dict):
        return node.get(item, MISSING)
    if isinstance(node, list) and isinstance(item, int) and item < len(node):
        return node[item]
    return MISSING


def _is_tag(node: Any, item: int | str) -> bool:
    return isinstance(node, dict) and any(node.get(u.field) == item for u in TAGGED_UNIONS.values())


def message(e: ErrorDetails, model: Any, path: KeyPath) -> str:
    """A pydantic error as one plain sentence, with a suggestion where one helps.

    ``model`` is the type that was validated (for the keys allowed where a key is unknown),
    ``path`` the error's place in the data.
    """
    special = _SPECIAL.get(e["type"])
    text = special(e, model, path) if special is not None else None
    if text is not None:
        return text
    if e["type"] in _MESSAGES:
        return _MESSAGES[e["type"]] + _shown(e)
    msg = str(e["msg"]).removeprefix("Value error, ")
    return re.sub(r"^Input should be", "should be", msg) + _shown(e)


def distribution_message(err: ValidationError, given: dict[str, Any]) -> str:
    """The errors of validating ``given`` as a ``Distribution``, as one sentence.

    The kind's required parameters that are missing come first, as one clause (``a normal
    distribution needs sd``); then each other error, led by the parameter it is about.
    """
    kind = given.get("dist")
    missing: list[str] = []
    parts: list[str] = []
    for e in err.errors(include_url=False):
        loc = e["loc"][1:] if e["loc"][:1] == (kind,) else e["loc"]  # the tag is no parameter
        if e["type"] == "missing":
            missing.append(dotted(loc))
        elif e["type"] == "union_tag_invalid":
            parts.append(f"{DISTRIBUTIONS.field} {one_of(DISTRIBUTIONS.tags, kind)}")
        else:
            text = message(e, DISTRIBUTIONS.members.get(str(kind)), loc)
            parts.append(f"{dotted(loc)} {text}" if loc else text)
    if missing:
        parts.insert(0, f"a {kind} distribution needs {', '.join(missing)}")
    return "; ".join(parts)


def one_of(choices: Sequence[str], got: Any) -> str:
    """``should be one of: a, b (got 'x'); did you mean `a`?`` (the suggestion for text only)."""
    hint = did_you_mean(got, choices) if isinstance(got, str) else ""
    return f"should be one of: {', '.join(choices)}{_got(got)}{hint}"


def _got(value: Any) -> str:
    """`` (got 'x')`` for a single value; nothing for a mapping or list; a long text cut short."""
    if isinstance(value, dict | list):
        return ""
    if isinstance(value, dt.date):
        return f" (got {value})"
    if isinstance(value, str) and len(value) > 40:
        return f" (got {value[:30]!r}... of {len(value):,} characters)"
    return f" (got {value!r})"


def _shown(e: ErrorDetails) -> str:
    """`` (got 'x')`` for the single value an error is about, if it has one."""
    return _got(e["input"]) if "input" in e else ""


def _unknown_key(e: ErrorDetails, model: Any, path: KeyPath) -> str:
    word = str(path[-1]) if path else ""
    allowed = allowed_keys(model, e["loc"])
    hint = did_you_mean(word, allowed) if allowed else did_you_mean(word, vocabulary(), cutoff=0.75)
    starting = [k for k in allowed if k.startswith(word.lower())] if len(word) > 2 else []
    if not hint and len(starting) == 1:  # `capacity` for `capacity_t_per_year`: the one key
        hint = did_you_mean(word, starting, cutoff=0.0)
    if not hint and allowed:
        hint = f"; allowed here: {', '.join(allowed)}"
    return "unknown key" + hint


def _union(e: ErrorDetails) -> TaggedUnion | None:
    return TAGGED_UNIONS.get(str((e.get("ctx") or {}).get("discriminator", "")).strip("'"))


def _unknown_tag(e: ErrorDetails, model: Any, path: KeyPath) -> str | None:
    union = _union(e)
    if union is None:
        return None
    given = e.get("input")
    got = given.get(union.field) if isinstance(given, dict) else None
    return (
        f"unknown {union.field} {got!r}{did_you_mean(str(got), union.tags)} "
        f"(one of: {', '.join(union.tags)})"
    )


def _missing_tag(e: ErrorDetails, model: Any, path: KeyPath) -> str | None:
    union = _union(e)
    if union is None:
        return None
    return f"missing {union.field}: every {union.noun} needs one ({', '.join(union.tags)})"


def _literal(e: ErrorDetails, model: Any, path: KeyPath) -> str:
    choices = re.findall(r"'([^']*)'", str((e.get("ctx") or {}).get("expected", "")))
    return one_of(choices, e.get("input"))


def _pattern(e: ErrorDetails, model: Any, path: KeyPath) -> str | None:
    pattern = (e.get("ctx") or {}).get("pattern")
    if pattern == sc.ID_PATTERN:
        return (
            "should be a lower_snake_case id: small letters, digits and _, starting "
            f"with a letter{_shown(e)}"
        )
    if pattern == sc.TARGET_PATTERN:
        return (
            f"should be kind:id, e.g. link:lt_transit, port:klaipeda, market:all or "
            f"lane:baltic_lt.brazil (kinds: {', '.join(sc.TARGET_KINDS)}){_shown(e)}"
        )
    return None


def _date_bound(e: ErrorDetails, model: Any, path: KeyPath) -> str | None:
    """``should be on or before 2199-12-31`` for a date out of range; numbers keep pydantic's
    ``should be less than or equal to 1000``."""
    ctx = e.get("ctx") or {}
    words = {"le": "on or before", "lt": "before", "ge": "on or after", "gt": "after"}
    op = next((k for k in words if k in ctx), None)
    if op is None or not isinstance(e.get("input"), dt.date):
        return None
    return f"should be {words[op]} {ctx[op]}{_shown(e)}"


def _too_long(e: ErrorDetails, model: Any, path: KeyPath) -> str:
    n = (e.get("ctx") or {}).get("max_length")
    return f"should be at most {n} characters{_shown(e)}"


def _too_short(e: ErrorDetails, model: Any, path: KeyPath) -> str:
    n = (e.get("ctx") or {}).get("min_length", 1)
    return f"should have at least {n} item{'s' if n != 1 else ''}"


_SPECIAL: dict[str, Callable[[ErrorDetails, Any, KeyPath], str | None]] = {
    "extra_forbidden": _unknown_key,
    "missing": lambda e, model, path: "missing required key",
    "union_tag_invalid": _unknown_tag,
    "union_tag_not_found": _missing_tag,
    "literal_error": _literal,
    "string_pattern_mismatch": _pattern,
    "too_short": _too_short,
    "string_too_long": _too_long,
    "less_than_equal": _date_bound,
    "less_than": _date_bound,
    "greater_than_equal": _date_bound,
    "greater_than": _date_bound,
}
"""Error types whose sentence depends on the error; None falls back to the plain ones below."""

_MESSAGES = {
    "int_parsing": "should be a whole number",
    "int_type": "should be a whole number",
    "int_from_float": "should be a whole number",
    "float_parsing": "should be a number",
    "float_type": "should be a number",
    "finite_number": "should be a finite number, not .inf or .nan",
    "bool_parsing": "should be true or false",
    "bool_type": "should be true or false",
    "string_type": "should be text",
    "date_parsing": "should be a date like 2022-02-01",
    "date_from_datetime_parsing": "should be a date like 2022-02-01",
    "date_from_datetime_inexact": "should be a date like 2022-02-01, without a time",
    "date_type": "should be a date like 2022-02-01",
    "dict_type": "should be a mapping of keys",
    "model_type": "should be a mapping of keys",
    "model_attributes_type": "should be a mapping of keys",
    "tuple_type": "should be a list",
    "list_type": "should be a list",
}
