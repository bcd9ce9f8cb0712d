"""docs/examples/prim_recovery.py, the documented PRIM example, runs as shipped on a small sample
and a short horizon: the experiments table, the recovery share and PRIM's box are what it says."""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

import potashsim
from potashsim.scenario.granularity import with_granularity

pytest.importorskip("ema_workbench")
pytestmark = pytest.mark.slow  # 10 experiments and PRIM: about 8 s of CPU

SCRIPT = Path(__file__).resolve().parents[1] / "docs" / "examples" / "prim_recovery.py"
# the shortest horizon the scenario accepts (a contract lag of 180 days fits inside it)
START, END = dt.date(2028, 1, 1), dt.date(2028, 6, 30)
N = 10


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("prim_recovery", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_the_prim_example_runs_and_finds_a_box_inside_the_ranges(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _script()
    out = tmp_path / "experiments.csv"
    found = script.main(
        ["--n", str(N), "--start", str(START), "--end", str(END), "--out", str(out)]
    )
    table = found.table
    assert len(table) == N and out.exists()
    assert 4 <= len(found.ranges) <= 8

    # the pre-2022 netback is history's own over 2019-2021, by the public API
    history = potashsim.load_scenario(
        "history", overrides=["horizon.start=2019-01-01", "horizon.end=2021-12-31"]
    )
    ran = potashsim.run(with_granularity(history, "fast"), seed=1)
    assert math.isclose(
        found.pre_usd_per_day * 1096, ran.monthly["netback_usd"].sum(), rel_tol=1e-9
    )

    # a known row: its own experiment, run again, over the pre-2022 netback of the same days
    model = script.ema.model(
        script.SCENARIO, params=script.UNCERTAINTIES, sets=script.horizon_sets(START, END), seed=1
    )
    row = table.iloc[3]
    again = model.function(**{name: row[name] for name in found.ranges}, seed=1)
    assert again["netback_usd"] == row["netback_usd"]
    expected = again["netback_usd"] / (found.pre_usd_per_day * 182)
    assert row["recovery_share"] == pytest.approx(expected, rel=1e-12)
    assert table["recovery_share"].between(0.2, 3).all()  # a share, not a sum in USD

    # PRIM's box restricts some uncertainties, within their ranges, and says how good it is
    if found.of_interest:
        assert 0 < found.coverage <= 1 and 0 < found.density <= 1
        for name, lims in found.box.iterrows():
            lo, hi = found.ranges[str(name)]
            assert lo <= lims["low"] <= lims["high"] <= hi
        assert "PRIM box: coverage" in capsys.readouterr().out
    else:
        assert "no experiment recovers" in capsys.readouterr().out
