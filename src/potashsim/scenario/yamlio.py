"""Read a YAML file safely into plain data, keeping the line of every key, or say what is wrong.

The only module besides ``results`` that touches YAML files. Refuses what is not a regular file
(a device such as ``/dev/zero``, a named pipe, a socket), files that are too large, binary or not
UTF-8 before parsing, and values nested deeper than any scenario needs, so a bad path or a hostile
file never hangs, eats memory or dumps a traceback.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from potashsim.errors import Problem
from potashsim.scenario.paths import KeyPath

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "Document",
    "KeyPath",
    "parse_value",
    "parse_yaml",
    "read_yaml",
]

MAX_FILE_BYTES = 1_000_000
"""Scenario and network files larger than this are refused (a scenario is a few kB, the shipped
network about 30 kB). Enforced while reading, not from ``stat`` alone: a device reports 0 bytes."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists a file or a ``--set`` value may have (the shipped
network needs 5: ``markets.brazil.prices.0.date``). Deeper input is refused before anything
recursive (``deepcopy``, validation) can overflow the stack."""


@dataclass(frozen=True)
class Document:
    """A parsed YAML file: its data and the 1-based line of each key path."""

    file: str
    data: Any
    lines: dict[KeyPath, int]

    def line(self, path: KeyPath) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)


def read_yaml(path: Path, *, label: str | None = None) -> Document | Problem:
    """Read ``path`` as YAML; return a Document, or the one Problem that stops reading it."""
    file = label or str(path)
    raw = _read_bytes(path)
    if isinstance(raw, str):
        return Problem(file, None, "", raw)
    if b"\x00" in raw:
        return Problem(file, None, "", "binary file (contains NUL bytes), not YAML text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return Problem(
            file, line, "", f"not UTF-8 text (byte 0x{raw[err.start]:02x}); save the file as UTF-8"
        )
    return parse_yaml(text, file)


def _read_bytes(path: Path) -> bytes | str:
    """The bytes of a regular file of at most ``MAX_FILE_BYTES``, or why it cannot be used.

    The file is opened without blocking (a named pipe would otherwise wait for a writer), checked
    on the open descriptor (no race with a file swapped in between) and read with a hard limit.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return "no such file"
    except IsADirectoryError:
        return "is a folder, not a YAML file"
    except OSError as err:
        return f"cannot read: {err.strerror or err}"
    try:
        info = os.fstat(fd)
        mode = info.st_mode
        if stat.S_ISDIR(mode):
            return "is a folder, not a YAML file"
        if not stat.S_ISREG(mode):
            return (
                f"is not a regular file (a {_kind(mode)}); "
                "scenario and network files must be ordinary files"
            )
        if info.st_size > MAX_FILE_BYTES:  # refused unread
            return _too_large(f"is {info.st_size:,} bytes")
        with os.fdopen(fd, "rb", closefd=False) as f:
            raw = f.read(MAX_FILE_BYTES + 1)
    except OSError as err:
        return f"cannot read: {err.strerror or err}"
    finally:
        os.close(fd)
    if len(raw) > MAX_FILE_BYTES:  # it grew while being read
        return _too_large(f"has more than {MAX_FILE_BYTES:,} bytes")
    return raw


def _too_large(size: str) -> str:
    return f"file {size}, over the {MAX_FILE_BYTES:,}-byte limit for scenario and network files"


def _kind(mode: int) -> str:
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "special file"


def parse_value(text: str, label: str) -> Any | Problem:
    """One value written on the command line (``--set key=VALUE``) as YAML: ``11``,
    ``2030-01-01``, ``{value: 7, source: C6}``.

    Text that is not valid YAML syntax is taken as the text itself (what the shell user wrote);
    a value that cannot be built (``2020-02-30``) or is nested too deeply is a Problem of
    ``label``.
    """
    if not text.strip():
        return None
    doc = _parse(text, label, syntax_is_problem=False)
    if doc is None:
        return text
    return doc if isinstance(doc, Problem) else doc.data


def parse_yaml(text: str, file: str) -> Document | Problem:
    """Parse YAML text with the safe loader; duplicate keys are errors, not silent overwrites."""
    doc = _parse(text, file, syntax_is_problem=True)
    assert doc is not None  # a syntax error is a Problem here
    return doc


def _parse(text: str, file: str, *, syntax_is_problem: bool) -> Document | Problem | None:
    """Parse YAML text with the safe loader; duplicate keys are errors, not silent overwrites."""
    try:
        node = yaml.compose(text, Loader=_COMPOSER)
    except yaml.MarkedYAMLError as err:
        return Problem(file, _line(err), "", _syntax_message(err)) if syntax_is_problem else None
    except yaml.YAMLError as err:
        return Problem(file, None, "", f"YAML error: {_first_line(err)}")
    except RecursionError:
        return Problem(file, None, "", "nested too deeply to be a scenario or network file")
    if node is None:  # empty, or only comments: the caller says what it needed
        return Document(file, None, {(): 1})
    lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
    try:
        dup = _walk(node, (), lines, [MAX_NODES])
    except _TooDeep as err:
        return Problem(
            file,
            err.line,
            "",
            f"nested more than {MAX_DEPTH} levels deep; too deep for a scenario or network file",
        )
    except _TooBig:
        return Problem(
            file,
            None,
            "",
            f"more than {MAX_NODES:,} values once anchors and "
            "aliases (&, *) are expanded; too large for a scenario or network file",
        )
    if dup is not None:
        key, line = dup
        return Problem(
            file,
            line,
            ".".join(map(str, key)),
            "duplicate key (each key may appear only once in a mapping)",
        )
    try:
        # build the values from the nodes already composed: one parse, not two
        data = _Loader("").construct_document(node)  # a SafeLoader subclass: safe
    except yaml.MarkedYAMLError as err:  # constructor errors, e.g. an impossible date
        return Problem(file, _line(err), "", f"YAML error: {err.problem or _first_line(err)}")
    except yaml.YAMLError as err:
        return Problem(file, None, "", f"YAML error: {_first_line(err)}")
    return Document(file, data, lines)


# libyaml's parser where it is installed (several times faster); the same nodes and marks
_COMPOSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_NODES = 200_000
"""Most YAML values a file may expand to (guards against alias bombs; the network has ~2,000)."""


class _TooBig(Exception):
    pass


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


class _Loader(yaml.SafeLoader):
    """The safe loader, but a value it cannot build (``2022-02-30``) is a marked YAML error."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as err:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r}: {err}", node.start_mark
            ) from err


def _line(err: yaml.MarkedYAMLError) -> int | None:
    mark = err.problem_mark or err.context_mark
    return mark.line + 1 if mark is not None else None


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _syntax_message(err: yaml.MarkedYAMLError) -> str:
    """One line: what is wrong, the column, and where the unfinished construct began."""
    msg = "YAML syntax error"
    if err.problem_mark is not None:
        msg += f" at column {err.problem_mark.column + 1}"
    msg += f": {err.problem or _first_line(err)}"
    ctx, ctx_mark = err.context, err.context_mark
    if (
        ctx
        and ctx_mark is not None
        and (err.problem_mark is None or ctx_mark.line != err.problem_mark.line)
    ):
        msg += f" ({ctx} that starts on line {ctx_mark.line + 1})"
    if err.problem and ("'\\t'" in err.problem or "tab character" in err.problem):
        msg += "; indent with spaces, not tabs"
    return msg


def _walk(
    node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], budget: list[int]
) -> tuple[KeyPath, int] | None:
    budget[0] -= 1
    if budget[0] < 0:
        raise _TooBig
    if len(path) > MAX_DEPTH:
        raise _TooDeep(node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = (*path, key)
            if key in seen:
                return sub, key_node.start_mark.line + 1
            seen.add(key)
            lines[sub] = key_node.start_mark.line + 1
            found = _walk(value_node, sub, lines, budget)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            lines[sub] = item.start_mark.line + 1
            found = _walk(item, sub, lines, budget)
            if found:
                return found
    return None
