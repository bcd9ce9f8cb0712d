"""Every number in the shipped data and scenarios cites a fact row or gives an estimate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from potashsim.scenario.loader import PACKAGE_NETWORK, is_param

ROOT = Path(__file__).resolve().parents[1]
# coordinates only place things on the map; they are not model inputs
UNCITED_KEYS = {"lat", "lon"}


def fact_ids() -> set[str]:
    text = (ROOT / "docs" / "facts.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| ([A-Z]\d+)\b", text, flags=re.M))


def uncited_numbers(node: Any, path: str = "") -> list[str]:
    """Paths of numbers that are not inside a {value, source|estimate} mapping."""
    if is_param(node):
        ok = bool(node.get("source")) or bool(node.get("estimate"))
        return [] if ok else [path]
    if isinstance(node, dict):
        return [
            p
            for k, v in node.items()
            if k not in UNCITED_KEYS
            for p in uncited_numbers(v, f"{path}.{k}".lstrip("."))
        ]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in uncited_numbers(v, f"{path}.{i}")]
    if isinstance(node, int | float) and not isinstance(node, bool):
        return [path]
    return []


def cited_ids(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["source"]] if isinstance(node.get("source"), str) else []
        return own + [i for v in node.values() for i in cited_ids(v)]
    if isinstance(node, list):
        return [i for v in node for i in cited_ids(v)]
    return []


def test_the_fact_table_copies_the_rows_the_data_relies_on() -> None:
    assert {"R9", "C6", "S9", "E4", "P12"} <= fact_ids()


def test_every_number_in_the_network_data_has_a_source_or_an_estimate() -> None:
    data = yaml.safe_load(PACKAGE_NETWORK.read_text(encoding="utf-8"))
    assert uncited_numbers(data) == []


def test_every_cited_row_exists_in_docs_facts() -> None:
    data = yaml.safe_load(PACKAGE_NETWORK.read_text(encoding="utf-8"))
    missing = sorted(set(cited_ids(data)) - fact_ids())
    assert missing == []


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_cite_their_numbers_and_events(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert uncited_numbers(data.get("set", {})) == []
    for event in data.get("events", []):
        assert event.get("source") in fact_ids(), event
    assert set(cited_ids(data.get("set", {}))) <= fact_ids()


def test_the_uncited_number_check_catches_a_bare_number() -> None:
    assert uncited_numbers({"ports": {"x": {"storage_t": 5}}}) == ["ports.x.storage_t"]
    assert uncited_numbers({"ports": {"x": {"storage_t": {"value": 5}}}}) == ["ports.x.storage_t"]
    assert uncited_numbers({"x": {"value": 5, "estimate": "because"}}) == []
