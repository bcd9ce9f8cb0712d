"""`potashsim serve` in a real browser: the policy panel, the download that `potashsim run`
reproduces, a bad upload, no request leaving the machine, and sessions that keep their own state.

The server runs as `potashsim serve` in a subprocess on a free port. Runs are kept short by
choosing a horizon ending 2022-12-31 in the page (Lithuania's ban starts 2022-02-01).
Skipped with a reason when /usr/bin/chromium or Dash is missing.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import potashsim

CHROMIUM = os.environ.get("POTASHSIM_CHROMIUM", "/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK), reason=f"{CHROMIUM} not found: apt-get install chromium"
    ),
]
sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("dash")
SCENARIO = "us_eu_lifted_lithuania_holds"
END = "2022-12-31"
RUN_TIMEOUT_MS = 240_000
# the CLI and the server in subprocesses run this source tree's code, whatever their folder
ENV = {**os.environ, "PYTHONPATH": str(Path(potashsim.__file__).resolve().parents[1])}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "potashsim", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
            break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("potashsim serve did not start")
    yield url, proc
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        yield b
        b.close()


class Session:
    """One browser context on the app, recording console errors and non-local requests."""

    def __init__(self, browser: Any, url: str, tmp: Path) -> None:
        self.errors: list[str] = []
        self.external: list[str] = []
        self.context = browser.new_context(
            viewport={"width": 1300, "height": 1000}, accept_downloads=True
        )
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.wait_for_selector("#policy details", timeout=60_000)
        self.tmp = tmp
        self.runs = 0

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def pick(self, dropdown: str, value: str) -> None:
        self.page.click(f"#{dropdown}")
        self.page.get_by_role("option", name=value, exact=True).click()
        # the options may still have been loading: the dropdown must now show the value
        self.page.wait_for_function(
            "([id, v]) => document.getElementById(id).textContent.includes(v)",
            arg=[dropdown, value],
        )

    def choose(self, scenario: str, base: str, end: str) -> None:
        self.pick("scenario", scenario)
        self.page.wait_for_timeout(500)
        self.page.wait_for_selector("#policy details", timeout=60_000)
        self.pick("base", base)
        self.pick("horizon-end", end)

    def switch_off(self, event_id: str) -> None:
        label = f"label:has-text('({event_id})')"
        self.page.locator(f"#policy details:has({label})").evaluate("d => d.open = true")
        box = self.page.locator(f"#policy {label} input")
        box.uncheck()

    def click_run(self) -> None:
        self.runs += 1
        self.page.click("#run")

    def answer(self) -> str:
        """The summary of the last Run, once the server has answered it."""
        self.page.wait_for_function(
            "n => document.querySelector('#answered').textContent === String(n)",
            arg=self.runs,
            timeout=RUN_TIMEOUT_MS,
        )
        problems = self.page.text_content("#run-problems")
        assert problems == "", problems
        return self.page.text_content("#summary") or ""

    def run(self) -> str:
        self.click_run()
        return self.answer()

    def download(self) -> Path:
        with self.page.expect_download() as info:
            self.page.click("#download-button")
        path = self.tmp / info.value.suggested_filename
        info.value.save_as(path)
        return path


def _netback_per_year(summary: str) -> float:
    found = re.search(r"is worth ([+-]\d+\.\d+) bn USD a year of netback", summary)
    assert found, summary
    return float(found.group(1))


def test_lithuania_off_raises_netback_and_the_download_reproduces_the_run(
    server: tuple[str, Any], browser: Any, tmp_path: Path
) -> None:
    url, proc = server
    s = Session(browser, url, tmp_path)
    s.choose(SCENARIO, SCENARIO, END)
    s.page.fill("#replications", "2")  # an interval, as `potashsim compare -n 2` below gives
    s.switch_off("lt_2022_transit")
    summary = s.run()
    assert "2 paired replications" in summary
    # Klaipeda reopens from February to June 2022 (the EU's transit ban closes it after):
    # cheaper logistics and more tonnes, so netback rises against the base
    assert _netback_per_year(summary) > 0, summary
    assert f"over 2019-01-01..{END}" in summary
    # the report's charts, drawn; each map draws the bundled countries as its first trace (a
    # long outline path), so no geography is fetched
    s.page.wait_for_function(
        "() => document.querySelectorAll('#results .js-plotly-plot .main-svg').length >= 6"
        " && [...document.querySelectorAll('#results .geo .scatterlayer .trace path')]"
        ".some(p => (p.getAttribute('d') || '').length > 1000)",
        timeout=60_000,
    )
    one_run = s.page.text_content("#one-run")

    downloaded = s.download()
    text = downloaded.read_text(encoding="utf-8")
    assert "exclude_events:\n- lt_2022_transit" in text and f"extends: {SCENARIO}" in text
    cli = subprocess.run(
        [sys.executable, "-m", "potashsim", "run", str(downloaded), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
    )
    assert cli.returncode == 0, cli.stderr
    # the CLI's line is the app's, plus the run's wall time
    assert cli.stdout.splitlines()[0].startswith(one_run.rstrip(")") + ", "), (one_run, cli.stdout)

    # `potashsim compare` of the same change gives the app's netback difference: the base as
    # the app runs it (fast, same horizon) against the downloaded file, same root seed
    base = tmp_path / "app_base.yaml"
    base.write_text(
        f"name: {SCENARIO}\nextends: {SCENARIO}\nhorizon: {{start: 2019-01-01, end: {END}}}\n"
        "set: {model.granularity: fast}\n",
        encoding="utf-8",
    )
    cmp = subprocess.run(
        [
            sys.executable,
            "-m",
            "potashsim",
            "compare",
            str(base),
            str(downloaded),
            "-n",
            "2",
            "-j",
            "1",
            "--out",
            str(tmp_path / "cmp"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        env=ENV,
    )
    assert cmp.returncode == 0, cmp.stderr
    (folder,) = (tmp_path / "cmp" / "compare").iterdir()
    stats = json.loads((folder / "comparison.json").read_text(encoding="utf-8"))["stats"]
    netback = stats[f"{SCENARIO}_custom"]["netback_usd"]
    years = 1461 / 365.25  # 2019-01-01..2022-12-31
    assert abs(netback["diff_mean"] / years / 1e9 - _netback_per_year(summary)) <= 0.005
    assert netback["diff_ci_low"] <= netback["diff_mean"] <= netback["diff_ci_high"]
    assert s.errors == [] and s.external == []
    assert proc.poll() is None


def test_bad_upload_shows_the_clis_messages_and_the_server_stays_up(
    server: tuple[str, Any], browser: Any, tmp_path: Path
) -> None:
    url, proc = server
    bad = tmp_path / "bad_case.yaml"
    bad.write_text(
        "name: bad_case\nextends: history\nevents:\n"
        "  - {date: 2023-01-01, actor: Lithuania, action: close, target: 'link:nowhere'}\n",
        encoding="utf-8",
    )
    cli = subprocess.run(
        [sys.executable, "-m", "potashsim", "validate", bad.name],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=ENV,
        timeout=120,
    )
    expected = [line for line in cli.stdout.splitlines() if line.startswith("bad_case.yaml:")]
    assert cli.returncode == 2 and expected
    s = Session(browser, url, tmp_path)
    s.page.set_input_files("#upload input[type=file]", str(bad))
    s.page.wait_for_function(
        "() => document.querySelector('#upload-problems').textContent.length > 0"
    )
    assert s.page.text_content("#upload-problems").splitlines() == expected
    s.page.reload()
    s.page.wait_for_selector("#policy details", timeout=60_000)
    assert proc.poll() is None
    assert s.errors == [] and s.external == []


def test_concurrent_sessions_keep_their_own_state(
    server: tuple[str, Any], browser: Any, tmp_path: Path
) -> None:
    url, _ = server
    # the same first page for each, then different choices, run at the same time
    # five users, as the issue asks: each with a different measure off (or none)
    switched = ["lt_2022_transit", None, "ua_2022_transit", "us_2022_discount", "eu_2022_market"]
    sessions = [Session(browser, url, tmp_path / str(i)) for i in range(len(switched))]
    for s, off in zip(sessions, switched, strict=True):
        s.tmp.mkdir()
        s.choose(SCENARIO, SCENARIO, END)
        s.page.fill("#replications", "1")  # one pair each: five at once stay quick
        if off:
            s.switch_off(off)
    # Playwright's sync API is bound to one thread: click every Run, then wait for each, so
    # the server answers the five requests at once
    for s in sessions:
        s.click_run()
    summaries = {i: s.answer() for i, s in enumerate(sessions)}
    assert "without lt_2022_transit" in summaries[0]
    assert "without" not in summaries[1] and _netback_per_year(summaries[1]) == 0.0
    assert "without ua_2022_transit" in summaries[2]
    assert "without us_2022_discount" in summaries[3]
    assert "without eu_2022_market" in summaries[4]
    for s, off in zip(sessions, switched, strict=True):
        text = s.download().read_text(encoding="utf-8")
        assert (f"- {off}" in text) if off else ("exclude_events" not in text)
        assert s.errors == [] and s.external == []
