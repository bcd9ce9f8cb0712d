"""Read a YAML file safely into plain data, keeping the line of every key, or say what is wrong.

The only module besides ``results`` that touches YAML files. Refuses files that are too large,
binary or not UTF-8 before parsing, so a bad path never hangs or dumps a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from potashsim.errors import Problem

__all__ = ["MAX_FILE_BYTES", "Document", "KeyPath", "read_yaml"]

MAX_FILE_BYTES = 1_000_000
"""Scenario and network files larger than this are refused (a scenario is a few kB)."""

KeyPath = tuple[str | int, ...]


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
    try:
        if not path.exists():
            return Problem(file, None, "", "no such file")
        if path.is_dir():
            return Problem(file, None, "", "is a folder, not a YAML file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Problem(file, None, "", f"file is {size:,} bytes, over the "
                           f"{MAX_FILE_BYTES:,}-byte limit for scenario and network files")
        raw = path.read_bytes()
    except OSError as err:
        return Problem(file, None, "", f"cannot read: {err.strerror or err}")
    if b"\x00" in raw:
        return Problem(file, None, "", "binary file (contains NUL bytes), not YAML text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        return Problem(file, line, "", f"not UTF-8 text (byte 0x{raw[err.start]:02x}); "
                       "save the file as UTF-8")
    return parse_yaml(text, file)


def parse_yaml(text: str, file: str) -> Document | Problem:
    """Parse YAML text with the safe loader; duplicate keys are errors, not silent overwrites."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        line = mark.line + 1 if mark is not None else None
        return Problem(file, line, "", f"YAML syntax error: {err.problem}")
    except yaml.YAMLError as err:
        return Problem(file, None, "", f"YAML error: {err}")
    if node is None:
        return Problem(file, 1, "", "empty file: a scenario needs at least `name`")
    lines: dict[KeyPath, int] = {(): node.start_mark.line + 1}
    dup = _walk(node, (), lines)
    if dup is not None:
        key, line = dup
        return Problem(file, line, ".".join(map(str, key)), "duplicate key")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:  # constructor errors, e.g. an impossible date
        mark = getattr(err, "problem_mark", None)
        return Problem(file, mark.line + 1 if mark else None, "", f"YAML error: {err}")
    return Document(file, data, lines)


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> tuple[KeyPath, int] | None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            sub = (*path, key)
            if key in seen:
                return sub, key_node.start_mark.line + 1
            seen.add(key)
            lines[sub] = key_node.start_mark.line + 1
            found = _walk(value_node, sub, lines)
            if found:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            lines[sub] = item.start_mark.line + 1
            found = _walk(item, sub, lines)
            if found:
                return found
    return None
