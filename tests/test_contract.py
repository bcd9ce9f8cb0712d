"""The results contract is written down once (potashsim.contract); the files and the docs follow
it."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from conftest import SavedResults
from potashsim import contract

DOC = Path(__file__).resolve().parents[1] / "docs" / "results-contract.md"


def test_the_docs_name_every_file_column_and_key_of_the_contract() -> None:
    named = set(re.findall(r"`([^`]+)`", DOC.read_text(encoding="utf-8")))
    quoted = set(re.findall(r'"([a-z_]+)"', " ".join(n for n in named if n.startswith("{"))))
    files = {*contract.RUN_FILES, *contract.OPTIONAL_RUN_FILES, *contract.COMPARISON_FILES}
    columns = {c for cols in contract.COLUMNS.values() for c in cols}
    keys = {k for ks in contract.JSON_KEYS.values() for k in ks} | set(contract.SWEEP_KEYS)
    files |= {*contract.SWEEP_FILES}
    assert files - named == set()
    assert columns - named - quoted == set()
    assert keys - named - quoted == set()
    parts = {*contract.MONEY, *contract.METRICS, *contract.STATS, *contract.DECOMPOSITION}
    assert parts - named - quoted == set()


def test_every_name_that_ends_in_a_unit_has_that_unit() -> None:
    # the longest ending decides: a price ``_usd_per_t`` is not a tonnage ``_t``
    suffix = {"_usd_per_t": "USD/t", "_t": "t", "_usd": "USD", "_days": "days", "_km": "km"}
    names = {c for cols in contract.COLUMNS.values() for c in cols}
    names |= {*contract.DECOMPOSITION, *contract.UNITS}
    for name in names:
        for end, unit in suffix.items():
            if name.endswith(end):
                assert contract.UNITS.get(name) == unit, name
                break


def _header(path: Path) -> tuple[str, ...]:
    with path.open(encoding="utf-8", newline="") as fh:
        return tuple(next(csv.reader(fh)))


def test_written_folders_hold_exactly_the_contract(saved_results: SavedResults) -> None:
    folders = [
        (saved_results.run, (*contract.RUN_FILES, *contract.OPTIONAL_RUN_FILES)),
        (saved_results.compare, contract.COMPARISON_FILES),
        # a comparison's runs, the ones its report shows, carry their shadow prices
        *(
            (p, (*contract.RUN_FILES, *contract.OPTIONAL_RUN_FILES))
            for p in (saved_results.compare / contract.RUNS).iterdir()
        ),
    ]
    for folder, files in folders:
        assert sorted(p.name for p in folder.iterdir() if p.is_file()) == sorted(files)
        for name in files:
            if name.endswith(".csv"):
                assert _header(folder / name) == contract.COLUMNS[name], name
            elif name.endswith(".json"):
                data = json.loads((folder / name).read_text(encoding="utf-8"))
                assert set(contract.JSON_KEYS[name]) <= set(data), name
