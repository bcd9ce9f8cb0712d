"""JUnit XML for ``potashsim check``: one test case per checked expectation, so a CI system
shows each scenario's expectations as tests (and an invalid file as an error)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from potashsim.analysis.check import Outcome
from potashsim.errors import Problem
from potashsim.results.atomic import write_bytes

__all__ = ["write_junit"]


def write_junit(path: Path, outcomes: list[Outcome], invalid: dict[str, list[Problem]]) -> None:
    """Write the results of a check to ``path`` atomically (a failure leaves no partial file)."""
    failures = sum(not o.passed for o in outcomes)
    suite = ET.Element(
        "testsuite",
        name="potashsim check",
        tests=str(len(outcomes) + len(invalid)),
        failures=str(failures),
        errors=str(len(invalid)),
    )
    for o in outcomes:
        case = ET.SubElement(suite, "testcase", classname=o.scenario, name=o.name, file=o.file)
        if not o.passed:
            ET.SubElement(
                case, "failure", message=o.message
            ).text = f"{o.file}: {o.name}: {o.message}"
    for file, problems in invalid.items():
        case = ET.SubElement(suite, "testcase", classname=Path(file).stem, name="valid", file=file)
        ET.SubElement(case, "error", message=f"{len(problems)} problem(s)").text = "\n".join(
            str(p) for p in problems
        )
    ET.indent(suite)
    write_bytes(path, ET.tostring(suite, encoding="utf-8", xml_declaration=True) + b"\n")
