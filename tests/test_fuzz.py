"""Fuzz: random ``--set`` changes, and random changes to shipped scenario files, never crash
potashsim (issue 11).

Each ``--set`` example changes one to three parameters (paths from ``explain --parameters``,
plus whole sections and paths that do not exist) to values of every kind: zero, negatives, huge
numbers, ``.inf``, ``.nan``, dates real and impossible, text, nested mappings and lists. It is
validated through the command line; a valid one is run on a seven-month horizon with point
values. The test fails on any exit status but 0 and 2, any traceback or internal error, a run
that breaks mass balance, or ``run`` reporting other problems than ``validate`` for the same
input.

Each file example takes a shipped scenario on the same horizon and replaces one to three of its
values (a key, a list item, an event field, the horizon) by values of every kind.

CI runs a few fixed examples of each (well under a minute, the same ones every time, so that a
red CI is a change, not luck); ``POTASHSIM_FUZZ_EXAMPLES=2000`` runs a long random campaign.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
from functools import cache
from pathlib import Path

import yaml
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from potashsim.cli import main

EXAMPLES = int(os.environ.get("POTASHSIM_FUZZ_EXAMPLES", "15"))
LONG = "POTASHSIM_FUZZ_EXAMPLES" in os.environ

SCENARIO = """\
name: fuzz
extends: history
stochastic: false
horizon: {start: 2021-06-01, end: 2021-12-31}
"""
"""History on a short horizon (longer than the network's longest price lag, 180 days)."""


def invoke(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code in (0, 2), f"exit {result.exit_code} for {args}:\n{result.output}"
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@cache
def parameters() -> dict[str, str]:
    """Every network parameter's dotted path and its value as the table shows it."""
    table = invoke("explain", "baseline", "--parameters").stdout
    return dict(re.findall(r"^\| `([^`]+)` \| ([^|]*) \|", table, flags=re.MULTILINE))


def parameter_paths() -> tuple[str, ...]:
    return tuple(parameters())


def number(shown: str) -> float | None:
    """A value of the parameter table as a number (``750,000`` → 750000.0), or None."""
    try:
        return float(shown.replace(",", "").strip())
    except ValueError:
        return None


def yaml_text(value: object) -> str:
    """``value`` as one line of YAML, as a user would type it after ``--set key=``."""
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("...").strip()


NUMBERS = st.one_of(
    st.sampled_from([0, -1, 1, 10**9, 10**30, -(10**30), 1e-300, 0.5]),
    st.floats(0, 1000),  # mostly valid: these reach the engine
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
)
RAW = st.sampled_from(
    [
        ".inf",
        "-.inf",
        ".nan",
        "1e400",
        "2020-02-30",
        "2022-13-01",
        "0001-01-01",
        "9999-12-31",
        "2021-07-01",
        "true",
        "null",
        "",
        "~",
        "[]",
        "{}",
        "a: b: c",
        "{value: .inf, source: X}",
        "{value: 5, low: 10, high: 1}",
        "{dist: normal, mean: 5, sd: -1}",
        "{dist: uniform, low: 0, high: 1e30}",
        "{dist: triangular, low: -5, mode: 0, high: 5}",
        "[" * 40 + "]" * 40,
        "&a [*a]",
        "!!python/object:os.system ls",
        "x" * 300,
    ]
)
PLAIN = st.one_of(
    NUMBERS,
    st.booleans(),
    st.none(),
    st.dates().map(str),
    st.text(max_size=20),
)
NESTED = st.recursive(
    PLAIN,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["value", "source", "low", "high", "x", "dist"]), inner),
    ),
    max_leaves=6,
)
VALUES = st.one_of(RAW, NUMBERS.map(yaml_text), NESTED.map(yaml_text))


@st.composite
def plausible_option(draw: st.DrawFn) -> str:
    """A numeric parameter scaled or made uncertain: mostly valid, so the engine meets it."""
    numeric = {p: v for p, v in parameters().items() if number(v) is not None}
    path = draw(st.sampled_from(sorted(numeric)))
    v = number(numeric[path]) or 0.0
    factor = draw(st.sampled_from([0, 0.01, 0.5, 1.5, 3, 10]))
    new: object = round(v * factor) if v == int(v) else v * factor
    if draw(st.booleans()) and v > 0:
        new = {"dist": "triangular", "low": v * 0.5, "mode": v, "high": v * factor + v}
    return f"{path}={yaml_text(new)}"


@st.composite
def set_options(draw: st.DrawFn) -> list[str]:
    if draw(st.booleans()):
        return draw(st.lists(plausible_option(), min_size=1, max_size=3))
    paths = parameter_paths()
    sections = sorted({".".join(p.split(".")[:n]) for p in paths for n in (1, 2)})
    path = st.one_of(
        st.sampled_from(paths),
        st.sampled_from(sections),
        st.sampled_from(["nope", "links.nope.capacity_trains_per_day", "model.x", "name"]),
    )
    n = draw(st.integers(1, 3))
    return [f"{draw(path)}={draw(VALUES)}" for _ in range(n)]


def problem_lines(text: str) -> list[str]:
    return [
        ln
        for ln in text.splitlines()
        if ln
        and not ln.endswith(": ok")
        and " file(s) checked: " not in ln
        and ": note: " not in ln
        and "problem(s); nothing was run" not in ln
    ]


@settings(
    max_examples=EXAMPLES,
    derandomize=not LONG,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(options=set_options())
def test_random_set_changes_validate_and_run_without_a_crash(options: list[str]) -> None:
    sets = [a for option in options for a in ("--set", option)]
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "fuzz.yaml"
        scenario.write_text(SCENARIO, encoding="utf-8")
        validate_and_run(scenario, sets, Path(tmp) / "out")


def validate_and_run(scenario: Path, sets: list[str], out: Path) -> None:
    """Validate ``scenario`` with ``sets``, run it into ``out``, check the run is consistent."""
    checked = invoke("validate", str(scenario), *sets)
    ran = invoke("run", str(scenario), *sets, "--out", str(out))
    event("invalid" if checked.exit_code == 2 else f"valid, run exit {ran.exit_code}")
    if checked.exit_code == 2:
        assert ran.exit_code == 2, ran.output
        # validate prints its problems on stdout, run on stderr: the same problems
        assert problem_lines(ran.stderr) == problem_lines(checked.stdout)
        assert not out.exists()
        return
    if ran.exit_code == 2:  # a run may stop on a runaway price response, with a message
        assert ran.stderr.startswith("error: "), ran.output
        return
    [summary_file] = out.glob("fuzz/*/summary.json")
    totals = json.loads(summary_file.read_text(encoding="utf-8"))["totals"]
    supplied = totals["initial_stock_t"] + totals["produced_t"]
    used = (
        totals["exported_t"] + totals["domestic_t"] + totals["end_stock_t"] + totals["in_transit_t"]
    )
    assert abs(supplied - used) <= 1.0 + 1e-9 * supplied, (sets, totals)


# --- scenario files mutated at random ------------------------------------------------------------

SHIPPED = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
SHORT_HORIZON = {"start": "2021-06-01", "end": "2021-12-31"}


def _places(node: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every key path of a YAML tree (mappings and lists), the root left out."""
    found: list[tuple[object, ...]] = [path] if path else []
    if isinstance(node, dict):
        for k, v in node.items():
            found += _places(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _places(v, (*path, i))
    return found


FILE_VALUES = st.one_of(
    NESTED,
    st.sampled_from(
        [
            "2020-02-30",
            "9999-12-31",
            {"start": "2021-06-01", "end": "2021-06-01"},
            {"start": "2021-06-01"},
            ["US", "EU"],
            [{"date": "2021-07-01", "actor": "EU", "action": "lift"}],
            {"date": "2021-07-01", "actor": "EU", "action": "close", "target": "link:nope"},
            "link:lt_transit",
            "../../etc/passwd",
            "x" * 100,
        ]
    ),
)


@settings(
    max_examples=EXAMPLES,
    derandomize=not LONG,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_random_changes_to_a_scenario_file_validate_and_run_without_a_crash(
    data: st.DataObject,
) -> None:
    source = data.draw(st.sampled_from(SHIPPED))
    tree = yaml.safe_load(source.read_text(encoding="utf-8"))
    tree.update(name="fuzz", stochastic=False, horizon=dict(SHORT_HORIZON))
    tree.pop("exclude_events", None)  # ids of the parent: valid only beside it
    if isinstance(tree.get("extends"), str):
        tree["extends"] = Path(tree["extends"]).stem  # a shipped name, not a path beside it
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_places(tree)))
        parent = tree
        for key in path[:-1]:
            parent = parent[key]  # type: ignore[index]
        parent[path[-1]] = copy.deepcopy(data.draw(FILE_VALUES))  # type: ignore[index]
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "fuzz.yaml"
        scenario.write_text(yaml.safe_dump(tree, sort_keys=False), encoding="utf-8")
        validate_and_run(scenario, [], Path(tmp) / "out")
