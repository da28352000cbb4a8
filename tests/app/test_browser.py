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
import time
import urllib.request
from pathlib import Path

import pytest

from sim.inputs.config import load_config

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
        pytest.fail(f"BROWSER MISSING: no chromium at {CHROMIUM}; the end-to-end web app test cannot run. "
                    "Install it with: apt-get install -y chromium (.ci/run does this).")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("PLAYWRIGHT MISSING: pip install -e '.[test]' installs it; the end-to-end test cannot run.")
    return sync_playwright


@pytest.fixture
def app_url(tmp_path):
    """The app served by ``run_sim.py app`` on a free port; stopped after the test."""
    port = _free_port()
    env = dict(os.environ, STREAMLIT_SERVER_HEADLESS="true")
    log = open(tmp_path / "server.log", "wb")
    server = subprocess.Popen([sys.executable, "run_sim.py", "app", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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


def _set_number(page, label: str, value: int) -> None:
    from playwright.sync_api import expect

    box = page.get_by_label(label, exact=True)
    # after a rerun the page may still hold the previous run's box for a moment: wait until it is gone
    expect(box).to_have_count(1, timeout=STEP_TIMEOUT)
    box.fill(str(value))
    box.press("Enter")
    page.wait_for_timeout(500)


def test_app_in_a_real_browser(app_url, tmp_path):
    sync_playwright = _browser_or_fail()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(STEP_TIMEOUT)
            page.goto(app_url)
            page.get_by_text("Pathway to test").wait_for()
            page.get_by_text("Redesigned pathway (X1-X8)").click()
            page.get_by_text("IA nurse redirection rate with X8").wait_for()
            _set_number(page, "Replications", 2)
            _set_number(page, "Days per replication (warm-up included)", 10)
            slider = page.get_by_role("slider", name=re.compile("IA nurse redirection rate"))
            slider.focus()
            for _ in range(40):  # 100% -> 60%, one percent a key press
                slider.press("ArrowLeft")
            page.wait_for_timeout(1000)
            page.get_by_role("button", name="Run", exact=True).click()
            saving = page.get_by_test_id("stMetric").filter(has_text="Gross activity saving a year")
            saving.wait_for()
            value = saving.get_by_test_id("stMetricValue").inner_text()
            assert re.fullmatch(r"-?£[\d,]+", value), value
            page.get_by_text("Downloads", exact=True).wait_for()
            page.wait_for_timeout(2000)  # let the charts draw
            page.set_viewport_size({"width": 1400, "height": 2600})  # the page scrolls inside its own pane
            page.wait_for_timeout(1500)
            page.screenshot(path=str(tmp_path / "app.png"))

            with page.expect_download() as info:
                page.get_by_role("button", name="Scenario config (YAML)").click()
            path = tmp_path / "scenario.yaml"
            info.value.save_as(path)
            cfg = load_config(path)
            assert cfg.ia_nurse.redirection_x8.probability == pytest.approx(0.60)
            assert (cfg.run.replications, cfg.run.days) == (2, 10)
            print(f"screenshot: {tmp_path / 'app.png'}; annual saving shown: {value}")
        finally:
            browser.close()
