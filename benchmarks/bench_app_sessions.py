"""`potashsim serve` under N concurrent users: each in its own Chromium context picks
us_eu_lifted_lithuania_holds over 2019-2022, switches a different measure off and presses Run at
the same moment; prints each user's time to an answer (the summary line) and to its charts, then
the time of the same request again (answered from the cache), and checks each got the answer to
its own question.

Then one lever change with a warm base, the case of a student moving a slider: a user picks
``history`` as scenario and base over its whole horizon (2019-2030), runs it once (the base's
runs are now in memory), sets the world price level to 0.9 and runs again; printed are the time
to the summary line and to the charts, for 1 replication and then 2.

    .venv/bin/python benchmarks/bench_app_sessions.py [--users 5] [--no-lever]
        [--screenshot docs/img/app.png]

``--screenshot`` saves the first user's page after its run (its top, and the results as
``app-results.png``): the images of docs/app.md.

Needs Dash (pip install -e '.[app]'), Playwright and /usr/bin/chromium. Never asserts on time.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("POTASHSIM_CHROMIUM", "/usr/bin/chromium")
# one measure per user, all inside 2019-2022; None: the scenario as it is
SWITCHED = ["lt_2022_transit", "ua_2022_transit", "us_2022_india", None, "eu_2022_market"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pick(page: object, dropdown: str, value: str) -> None:
    page.click(f"#{dropdown}")  # type: ignore[attr-defined]
    page.get_by_role("option", name=value, exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_function(  # type: ignore[attr-defined]
        "([id, v]) => document.getElementById(id).textContent.includes(v)", arg=[dropdown, value]
    )


def _answer(page: object, runs: int, t0: float, what: str = "answered") -> tuple[float, str]:
    page.wait_for_function(  # type: ignore[attr-defined]
        f"n => document.querySelector('#{what}').textContent === String(n)",
        arg=runs,
        timeout=600_000,
    )
    return time.perf_counter() - t0, page.text_content("#summary") or ""  # type: ignore[attr-defined]


def _lever_change(browser: object, url: str) -> None:
    """A run of history, then the same with the price level lever moved: the base is warm."""
    page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()  # type: ignore[attr-defined]
    page.goto(url)
    page.wait_for_selector("#policy details")
    _pick(page, "scenario", "history")
    page.wait_for_timeout(500)
    page.wait_for_selector("#policy details")
    _pick(page, "base", "history")
    lever = page.locator("input[id*='price_level']")
    runs = 0
    for reps, levels in (("1", ("1", "0.9", "0.95")), ("2", ("0.9",))):
        page.fill("#replications", reps)
        for level in levels:
            lever.fill(level)
            lever.press("Enter")
            runs += 1
            t0 = time.perf_counter()
            page.click("#run")
            took, summary = _answer(page, runs, t0)
            drawn, _ = _answer(page, runs, t0, "charted")
            print(
                f"history 2019-2030, price level {level:4}, {reps} replication(s): summary "
                f"{took:5.2f} s, charts {drawn:5.2f} s  [{page.text_content('#timing')}]"
                f"  load {os.getloadavg()[0]:.1f}"
            )
            print(f"    {summary[:150]}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=5)
    ap.add_argument("--screenshot", type=Path, default=None)
    ap.add_argument("--no-lever", action="store_true", help="skip the lever change")
    args = ap.parse_args()
    print(f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f}, users {args.users}")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "potashsim", "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            pages = []
            for i in range(args.users):
                page = browser.new_context(viewport={"width": 1300, "height": 1000}).new_page()
                page.goto(url)
                page.wait_for_selector("#policy details")
                _pick(page, "horizon-end", "2022-12-31")
                off = SWITCHED[i % len(SWITCHED)]
                if off:
                    label = f"label:has-text('({off})')"
                    page.locator(f"#policy details:has({label})").evaluate("d => d.open = true")
                    page.locator(f"#policy {label} input").uncheck()
                pages.append((page, off))
            for runs, rnd in enumerate(("first", "again (cache)"), start=1):
                t0 = time.perf_counter()
                for page, _ in pages:
                    page.click("#run")
                for i, (page, off) in enumerate(pages):
                    took, summary = _answer(page, runs, t0)
                    drawn, _ = _answer(page, runs, t0, "charted")
                    own = (f"without {off}" in summary) if off else ("without" not in summary)
                    print(
                        f"{rnd:14} user {i}: summary {took:6.1f} s, charts {drawn:6.1f} s  "
                        f"own answer: {own}  {summary[:80]}"
                    )
            if args.screenshot is not None:
                page = pages[0][0]
                page.wait_for_function(
                    "() => document.querySelectorAll('#results .main-svg').length >= 6"
                )
                page.evaluate("window.scrollTo(0, 0)")
                page.wait_for_timeout(1000)
                page.screenshot(path=str(args.screenshot), full_page=False)
                results = args.screenshot.with_name(f"{args.screenshot.stem}-results.png")
                page.evaluate("document.querySelector('#summary').scrollIntoView()")
                page.wait_for_timeout(500)
                page.screenshot(path=str(results), full_page=False)
                print(f"screenshots: {args.screenshot}, {results}")
            if not args.no_lever:
                _lever_change(browser, url)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
