"""HTML tables of the report (provenance, scenario differences): escaped, no styling logic."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

__all__ = ["cell", "provenance_table"]


def provenance_table(rows: Sequence[Mapping[str, object]]) -> str:
    """An HTML ``<table>`` of provenance rows; columns are the keys of the first row.

    Values are escaped; ``None`` shows as an empty cell. Returns ``""`` for no rows.
    """
    if not rows:
        return ""
    cols = list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{cell(c, r.get(c))}</td>" for c in cols) + "</tr>" for r in rows
    )
    return f'<table class="provenance"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def cell(column: str, value: object) -> str:
    """One escaped cell; hashes and commands as code."""
    text = "" if value is None else html.escape(str(value))
    return f"<code>{text}</code>" if column in ("Scenario SHA-256", "Command") and text else text
