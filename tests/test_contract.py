"""The results contract is written down once (potashsim.contract); the files and the docs follow
it."""

from __future__ import annotations

import re
from pathlib import Path

from potashsim import contract

DOC = Path(__file__).resolve().parents[1] / "docs" / "results-contract.md"


def test_the_docs_name_every_file_column_and_key_of_the_contract() -> None:
    named = set(re.findall(r"`([^`]+)`", DOC.read_text(encoding="utf-8")))
    quoted = set(re.findall(r'"([a-z_]+)"', " ".join(n for n in named if n.startswith("{"))))
    files = {*contract.RUN_FILES, *contract.COMPARISON_FILES}
    columns = {c for cols in contract.COLUMNS.values() for c in cols}
    keys = {k for ks in contract.JSON_KEYS.values() for k in ks}
    assert files - named == set()
    assert columns - named - quoted == set()
    assert keys - named - quoted == set()
    parts = {*contract.MONEY, *contract.METRICS, *contract.STATS, *contract.DECOMPOSITION}
    assert parts - named - quoted == set()


def test_every_name_that_ends_in_a_unit_has_that_unit() -> None:
    suffix = {"_t": "t", "_usd": "USD", "_days": "days", "_km": "km"}
    names = {c for cols in contract.COLUMNS.values() for c in cols}
    names |= {*contract.DECOMPOSITION, *contract.UNITS}
    for name in names:
        for end, unit in suffix.items():
            if name.endswith(end):
                assert contract.UNITS.get(name) == unit, name
