"""End to end in a real headless browser: Debian's chromium, driven by Playwright.

``python run_sim.py app`` is started on a free localhost port; the test loads the
page, changes inputs, runs, waits for a KPI, downloads the config and saves a
screenshot. Without chromium or Playwright the test fails and says why: it never
passes without a browser.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from sim.app.tables import CSS_CLASS, NARROW_PX

from .helpers import ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
START_TIMEOUT = 90  # seconds for the server to answer
STEP_TIMEOUT = 180_000  # milliseconds for any page step (a tiny run included) on a busy machine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _browser_or_fail():
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"BROWSER MISSING: no chromium at {CHROMIUM}; the end-to-end web app test cannot run. "
            "Install it with: apt-get install -y chromium (.ci/run does this)."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("PLAYWRIGHT MISSING: pip install -e '.[test]' installs it; the end-to-end test cannot run.")
    return sync_playwright


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app served by ``run_sim.py app`` on a free port, shared by this module's tests; stopped after them."""
    tmp_path = tmp_path_factory.mktemp("app_server")
    port = _free_port()
    env = dict(os.environ, STREAMLIT_SERVER_HEADLESS="true")
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "run_sim.py", "app", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://localhost:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"the app did not start: {(tmp_path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _set_number(page, label: str, value: int | str) -> None:
    from playwright.sync_api import expect

    box = page.get_by_label(label, exact=True)
    # after a rerun the page may still hold the previous run's box for a moment: wait until it is gone
    expect(box).to_have_count(1, timeout=STEP_TIMEOUT)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(500)


SHOTS = Path(os.environ.get("APP_SCREENSHOTS", Path(tempfile.gettempdir()) / "app_screenshots"))
"""Where the screenshots of each task go (look at them before calling the app done); the committed examples in
results/example/app_screenshots were made with APP_SCREENSHOTS=results/example/app_screenshots."""
VIEWPORTS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _sidebar(page, open_it: bool) -> None:
    """At phone width the sidebar is folded away: open it to set inputs, close it to see the page."""
    if page.viewport_size["width"] >= 640:
        return
    button = page.get_by_test_id("stExpandSidebarButton" if open_it else "stSidebarCollapseButton")
    if button.count():
        button.first.click()
        page.wait_for_timeout(800)


def _tiny_run_settings(page) -> None:
    _sidebar(page, True)
    _set_number(page, "Replications", 2)
    _set_number(page, "Days per replication (warm-up included)", 10)
    _sidebar(page, False)


def _block(page, who: str, first: int, until: int, extra: int) -> None:
    """Add (or take away) staff for a block of hours on every day, through the Slots and staff tab."""
    from playwright.sync_api import expect

    page.get_by_role("tab", name="Slots and staff").click()
    if who != "UTC clinicians":
        page.get_by_role("tab", name=f"{who} on duty").click()
    tool = page.get_by_test_id("stExpander").filter(has_text=f"Add or remove {who} for a block of hours")
    popover = tool.get_by_test_id("stExpanderDetails")
    if not popover.get_by_role("button", name="Apply to the table").is_visible():  # open after the last Apply
        tool.get_by_text(f"Add or remove {who} for a block of hours").click()
    popover.get_by_role("button", name="Apply to the table").scroll_into_view_if_needed()
    for label, hour in (("From", first), ("Until", until)):
        popover.get_by_label(label).click()
        page.keyboard.type(f"{hour:02d}:00")  # the select filters its options as one types
        page.keyboard.press("Enter")
        expect(popover.get_by_label(label)).to_have_value(f"{hour:02d}:00")
    box = popover.get_by_role("textbox", name="Staff (+ or -)")
    box.fill(str(extra))
    box.press("Enter")
    page.wait_for_timeout(500)
    popover.get_by_role("button", name="Apply to the table").click()
    page.wait_for_timeout(1500)


def _run(page, name: str) -> None:
    box = page.get_by_role("textbox", name="Name this scenario")
    box.fill(name)
    box.press("Enter")
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("tab", name="Results").click()
    page.get_by_role("heading", name=f"{name} against today's pathway").wait_for()
    page.wait_for_timeout(1500)


def _cut_cells(table) -> list[str]:
    """The cells of an HTML table reaching past the window's right or left edge (their text), if any."""
    return table.evaluate("""t => [...t.querySelectorAll('th, td')].filter(c => {
        const r = c.getBoundingClientRect();
        return r.width > 0 && (r.left < -1 || r.right > window.innerWidth + 1 || c.scrollWidth > c.clientWidth + 1);
    }).map(c => c.textContent)""")


def _in_view(page, locator) -> bool:
    """Whether the element lies inside the window as it stands (no scrolling)."""
    box = locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_a_leads_three_tasks_in_a_real_browser(app_url, viewport):
    sync_playwright = _browser_or_fail()
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport=VIEWPORTS[viewport])
            page.set_default_timeout(STEP_TIMEOUT)
            page.goto(app_url)
            page.get_by_role("button", name="Run", exact=True).wait_for()
            assert page.get_by_role("button", name="Deploy").count() == 0  # no Streamlit Deploy button
            _tiny_run_settings(page)

            # a number typed wrong is marked under its box and Run is refused; nothing is clamped
            _sidebar(page, True)
            seed = page.get_by_label("Seed", exact=True).input_value()
            _set_number(page, "Seed", "4x")
            expect(page.get_by_test_id("stSidebar").get_by_text("Seed = 4x: not a number")).to_be_visible()
            _sidebar(page, False)
            expect(page.get_by_role("button", name="Run", exact=True)).to_be_disabled()
            expect(page.get_by_text("Run is refused until these inputs are fixed")).to_be_visible()
            _sidebar(page, True)
            _set_number(page, "Seed", seed)
            _sidebar(page, False)
            expect(page.get_by_role("button", name="Run", exact=True)).to_be_enabled()

            # a reload keeps what was set (the inputs live in the page's address)
            page.wait_for_url(lambda url: "seed=" not in url)  # the seed is back to the pathway's own
            assert "reps=2" in page.url and "days=10" in page.url, page.url
            page.reload()
            page.get_by_role("button", name="Run", exact=True).wait_for()
            _sidebar(page, True)
            expect(page.get_by_label("Replications", exact=True)).to_have_value("2")
            expect(page.get_by_label("Days per replication (warm-up included)", exact=True)).to_have_value("10")
            _sidebar(page, False)

            # a broken scenario: one UTC clinician fewer in every hour. A warning, not a saving.
            _block(page, "UTC clinicians", 0, 24, -1)
            _run(page, "One clinician fewer")
            warning = page.get_by_text("No saving is shown")
            expect(warning).to_be_visible()
            assert page.get_by_test_id("stMetric").filter(has_text="saving a year").count() == 0
            warning.scroll_into_view_if_needed()
            assert _in_view(page, warning)
            page.screenshot(path=str(SHOTS / f"broken_scenario_{viewport}.png"))

            # task 2: put the clinician back, and add one UTC clinician 18:00-22:00 every day: costed
            _block(page, "UTC clinicians", 0, 24, 1)
            _block(page, "UTC clinicians", 18, 22, 1)
            _run(page, "Evening UTC clinician")
            net = page.get_by_test_id("stMetric").filter(has_text="Net saving a year")
            net.evaluate("e => e.scrollIntoView({block: 'center'})")  # as a lead looking at it would, not at an edge
            page.wait_for_timeout(500)
            value = net.get_by_test_id("stMetricValue").inner_text()
            assert re.fullmatch(r"-GBP [\d.,]+[kM]?", value), value  # the clinician costs money: a net loss
            interval = page.get_by_text(re.compile(r"^95% interval")).nth(1)
            assert _in_view(page, net) and _in_view(page, interval)  # the interval beside it, no table to scroll
            expect(page.get_by_text(re.compile(r"UTC clinicians \+28 hours a week \(costing GBP"))).to_be_visible()
            page.screenshot(path=str(SHOTS / f"evening_clinician_{viewport}.png"))

            # task 1 against it: the redesign with 60% of candidates redirected, side by side
            _sidebar(page, True)
            page.get_by_text("Redesigned pathway (X1-X8)").click()
            page.get_by_text("IA nurse redirection rate with X8").wait_for()
            _set_number(page, "Replications", 2)
            _set_number(page, "Days per replication (warm-up included)", 10)
            slider = page.get_by_role("slider", name=re.compile("IA nurse redirection rate"))
            slider.focus()
            for _ in range(40):  # 100% -> 60%, one percent a key press
                slider.press("ArrowLeft")
            page.wait_for_timeout(1000)
            _sidebar(page, False)
            _run(page, "Redesign 60 percent")
            page.get_by_role("tab", name="Scenarios side by side").click()
            table = page.locator(f"table.{CSS_CLASS}").filter(has_text="Steady state?")
            expect(table).to_contain_text("Evening UTC clinician")
            expect(table).to_contain_text("Redesign 60 percent")
            page.wait_for_timeout(1500)
            table.scroll_into_view_if_needed()
            cut = _cut_cells(table)
            assert cut == [], f"side-by-side cells cut at {viewport} width: {cut[:3]}"
            stacked = table.evaluate("t => getComputedStyle(t.querySelector('tbody tr')).display") == "block"
            assert stacked == (VIEWPORTS[viewport]["width"] < NARROW_PX)  # one block per figure on a phone
            saving = table.locator("tr").filter(has_text="Net saving a year")
            saving.scroll_into_view_if_needed()
            assert _in_view(page, saving)  # a whole figure, every scenario's value, readable without side-scrolling
            page.screenshot(path=str(SHOTS / f"side_by_side_{viewport}.png"), full_page=False)

            # the distribution of waits per route, and (on the laptop) the animated patient flow
            page.get_by_role("tab", name="Results").click()
            page.get_by_role("tab", name="Waits").click()
            page.get_by_role("button", name="Show the distribution of waits").click()
            summary = page.locator(f"table.{CSS_CLASS}").filter(has_text="median ")
            summary.wait_for()
            expect(page.get_by_role("button", name="Show the distribution of waits")).to_have_count(
                0, timeout=STEP_TIMEOUT
            )
            page.wait_for_timeout(2500)  # let the chart draw
            summary.scroll_into_view_if_needed()
            page.mouse.wheel(0, -450)  # the chart above its table
            page.wait_for_timeout(1000)
            page.screenshot(path=str(SHOTS / f"wait_distribution_{viewport}.png"), full_page=False)
            if viewport == "laptop":
                page.get_by_role("tab", name="Patient flow").click()
                page.get_by_text("Show the animated patient flow").click()
                slider = page.locator(".slider-rail-touch-rect")  # the animation's clock (the only plotly slider)
                slider.first.wait_for()
                slider.first.scroll_into_view_if_needed()
                slider.first.click(position={"x": 300, "y": 20})  # to about midday
                page.wait_for_timeout(2500)
                page.screenshot(path=str(SHOTS / f"patient_flow_{viewport}.png"), full_page=False)

            # task 3: sweep the redirection rate (the redesign as set), typed without commas
            page.get_by_role("tab", name="Sweep one input").click()
            values = page.get_by_role("textbox", name="Values (commas or spaces)")
            values.fill("20 60")
            values.press("Enter")
            page.wait_for_timeout(800)
            page.get_by_role("button", name="Run the sweep").click()
            page.get_by_role("tab", name="Sweep one input").click()
            page.get_by_role("button", name="Sweep results (CSV)").wait_for()  # drawn once the sweep has run
            page.get_by_role("button", name="Run the sweep").scroll_into_view_if_needed()
            page.mouse.wheel(0, 250)
            page.wait_for_timeout(2500)  # let the charts draw
            page.screenshot(path=str(SHOTS / f"sweep_{viewport}.png"), full_page=False)
        finally:
            browser.close()
