"""``potashsim schema``: a JSON Schema (draft 2020-12) an editor can use on scenario files.

It must accept every shipped scenario as written (after the YAML → JSON conversion an editor
does: dates become ISO strings) and reject the structural mistakes the loader rejects.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from potashsim.cli import main

REPO = Path(__file__).resolve().parents[1]
SHIPPED = sorted((REPO / "scenarios").glob("*.yaml"))
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(schema)


def as_json(text: str) -> Any:
    """YAML text as an editor's YAML → JSON conversion sees it (dates as ISO strings)."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def errors(validator: jsonschema.Draft202012Validator, data: Any) -> list[str]:
    """Every error message, including those under anyOf/oneOf branches."""

    def walk(errs: Any) -> list[str]:
        return [m for e in errs for m in [e.message, *walk(e.context or [])]]

    return walk(validator.iter_errors(data))


def test_the_schema_is_a_valid_draft_2020_12_schema(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"] == "potashsim scenario"
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object"
    assert schema["required"] == ["name"]
    assert schema["additionalProperties"] is False


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_the_schema_accepts_every_shipped_scenario_as_written(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    assert errors(validator, as_json(path.read_text(encoding="utf-8"))) == []


EXAMPLES = sorted((DATA / "chain").glob("*.yaml")) + sorted((REPO / "docs").glob("**/*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_the_schema_accepts_the_documented_examples_and_valid_test_scenarios(
    validator: jsonschema.Draft202012Validator, path: Path
) -> None:
    assert errors(validator, as_json(path.read_text(encoding="utf-8"))) == []


def test_the_schema_accepts_every_kind_of_set_value_and_event(
    validator: jsonschema.Draft202012Validator,
) -> None:
    data = as_json("""\
name: everything
description: every action, and set values of every shape
extends: history
network: my_network.yaml
horizon: {start: 2019-01-01, end: 2030-12-31}
seed: 0
stochastic: false
exclude_actors: [US, EU]
set:
  ports.klaipeda.handling_usd_per_t: 11
  ports.klaipeda.opens_on: 2024-01-01
  ports.klaipeda.built: false
  model.dispatcher: lp
  ports.klaipeda.loading_t_per_day: {value: 15000, low: 8000, high: 20000, source: E6}
  ports.klaipeda.storage_t: {dist: uniform, low: 100000, high: 300000}
  nodes.riga: {name: Riga, lat: 56.95, lon: 24.1}
  mines.belaruskali.output_schedule: [{from_date: 2019-01-01, output_t_per_year: 1}]
  ports.klaipeda.ice: null
events:
  - {date: 2022-01-01, actor: Lithuania, action: close, target: "link:lt_transit", source: S9}
  - {date: 2023-01-01, actor: Lithuania, action: reopen, target: "link:lt_transit"}
  - {date: 2023-01-01, actor: Russia, action: set_capacity, target: "port:ust_luga",
     capacity_t_per_year: 4000000}
  - {date: 2023-01-01, actor: Russia, action: set_capacity, target: "link:ru_nw",
     capacity_trains_per_day: 9}
  - {date: 2023-01-01, actor: Russia, action: set_cost, target: "lane:gulf_of_finland.china",
     cost_usd_per_t: 60}
  - {date: 2022-04-01, actor: US, action: discount, target: "market:all", discount_usd_per_t: 30}
  - {date: 2025-12-15, actor: US, action: remove_discount, target: "market:all"}
  - {date: 2025-12-15, actor: US, action: lift, note: "GL 13"}
  - {date: 2021-06-25, actor: EU, action: note, note: "no effect"}
""")
    assert errors(validator, data) == []


BAD = [
    (
        "unknown_key",
        "name: x\nhorizn: {start: 2020-01-01, end: 2021-01-01}\n",
        "Additional properties are not allowed ('horizn' was unexpected)",
    ),
    (
        "unknown_key_in_horizon",
        "name: x\nhorizon: {start: 2020-01-01, ende: 2021-01-01}\n",
        "'ende' was unexpected",
    ),
    ("wrong_type_seed", 'name: x\nseed: "abc"\n', "'abc' is not of type 'integer'"),
    ("negative_seed", "name: x\nseed: -1\n", "-1 is less than the minimum of 0"),
    ("wrong_type_stochastic", "name: x\nstochastic: [yes]\n", "[True] is not of type 'boolean'"),
    (
        "bad_action",
        "name: x\nevents:\n  - {date: 2022-01-01, actor: EU, action: clos, target: 'market:eu'}\n",
        "'close' was expected",
    ),
    (
        "bad_actor",
        "name: x\nevents:\n  - {date: 2022-01-01, actor: Nobody, action: close, "
        "target: 'market:eu'}\n",
        "'Nobody' is not one of",
    ),
    (
        "bad_target",
        "name: x\nevents:\n  - {date: 2022-01-01, actor: EU, action: close, target: 'eu'}\n",
        "'eu' does not match",
    ),
    (
        "close_without_target",
        "name: x\nevents:\n  - {date: 2022-01-01, actor: EU, action: close}\n",
        "'target' is a required property",
    ),
    (
        "unknown_event_key",
        "name: x\nevents:\n  - {date: 2022-01-01, actor: EU, action: close, "
        "target: 'market:eu', capacity: 3}\n",
        "('capacity' was unexpected)",
    ),
    ("missing_name", "extends: history\n", "'name' is a required property"),
    ("name_not_an_id", "name: My Scenario\n", "does not match"),
    ("top_level_a_list", "- name: x\n", "is not of type 'object'"),
    ("top_level_a_string", "just words\n", "is not of type 'object'"),
    ("unknown_actor_excluded", "name: x\nexclude_actors: [Mars]\n", "'Mars' is not one of"),
    ("events_not_a_list", "name: x\nevents: {a: 1}\n", "is not of type 'array'"),
]


@pytest.mark.parametrize(("text", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_the_schema_rejects_structural_mistakes(
    validator: jsonschema.Draft202012Validator, text: str, expected: str
) -> None:
    found = errors(validator, as_json(text))
    assert found, f"accepted: {text!r}"
    assert any(expected in message for message in found), found


def test_the_schema_documents_fields_for_editors(schema: dict[str, Any]) -> None:
    props = schema["properties"]
    assert "shipped scenario" in props["extends"]["description"]
    assert "dotted path" in props["set"]["description"]
    assert "events of these actors" in props["exclude_actors"]["description"]
    assert "events with these ids" in props["exclude_events"]["description"]
    # an editor picks a distribution's required parameters from its `dist`
    [dist_union] = [v for v in props["set"]["additionalProperties"]["anyOf"] if "oneOf" in v]
    assert dist_union["discriminator"]["propertyName"] == "dist"
    required = {
        k: schema["$defs"][k]["required"] for k in ("UniformDistribution", "NormalDistribution")
    }
    assert required == {
        "UniformDistribution": ["dist", "low", "high"],
        "NormalDistribution": ["dist", "mean", "sd"],
    }
    actions = {
        d["properties"]["action"]["const"]
        for name, d in schema["$defs"].items()
        if name.endswith("Event")
    }
    assert actions == {
        "close",
        "reopen",
        "set_capacity",
        "set_cost",
        "discount",
        "remove_discount",
        "lift",
        "note",
    }
