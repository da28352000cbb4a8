"""The documentation site builds in strict mode, and its generated pages say what the code and results say.

MkDocs and its Material theme are in the test install (``pip install -e ".[test]"`` pulls in the
``docs`` extra), so this test runs everywhere the suite runs: a broken link, a missing page or
anchor, or a page that names an unknown results fragment fails it.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import mkdocs  # noqa: F401  (a missing docs install fails here, by name, rather than skipping)
import pandas as pd
import pytest
from mkdocs.exceptions import PluginError

from sim.outputs.result_pages import EXAMPLE, FIGURES, FRAGMENTS, gbp_millions

ROOT = Path(__file__).resolve().parents[2]


def load_hook():
    spec = importlib.util.spec_from_file_location("docs_generate_hook", ROOT / "docs" / "hooks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--quiet",
            "-f",
            str(ROOT / "mkdocs.yml"),
            "-d",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    return out


def test_the_site_builds_strictly_with_every_page_and_figure(site):
    for page in (
        "index.html",
        "results/index.html",
        "validation/index.html",
        "verification/index.html",
        "guides/urgent-care-lead/index.html",
        "guides/finance-lead/index.html",
        "guides/analyst/index.html",
        "model/index.html",
        "domain/index.html",
        "business_case/index.html",
        "calibration/index.html",
        "reference/scenario-config/index.html",
        "reference/commands/index.html",
        "contributing/index.html",
    ):
        assert (site / page).is_file(), page
    for name in FIGURES:
        png = (site / "figures" / name).read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000, name


def test_the_home_page_shows_the_saving_of_the_committed_results(site):
    row = pd.read_csv(EXAMPLE / "comparison.csv").set_index("kpi").loc["cost_total_annual_gbp"]
    home = (site / "index.html").read_text(encoding="utf-8")
    for value in (row["saving_gbp_mean"], row["saving_gbp_ci_low"], row["saving_gbp_ci_high"]):
        assert gbp_millions(value) in home
    assert "{{" not in home


def test_the_reference_pages_are_generated_from_the_code(site):
    config = (site / "reference" / "scenario-config" / "index.html").read_text(encoding="utf-8")
    assert "slot_diaries.gpcg_sda.slots_per_day" in config and "[calibrated]" in config
    commands = (site / "reference" / "commands" / "index.html").read_text(encoding="utf-8")
    assert "business-case" in commands and "--precision-kpis" in commands


def test_an_unknown_fragment_stops_the_build():
    hook = load_hook()

    class Page:
        class file:
            src_uri = "x.md"

    assert hook.on_page_markdown("saving {{ headline_saving }}", Page, {}, None) != "saving {{ headline_saving }}"
    with pytest.raises(PluginError, match="unknown fragment"):
        hook.on_page_markdown("{{ no_such_fragment }}", Page, {}, None)
    assert set(FRAGMENTS) >= {"headline_saving", "comparison_table", "validation_table", "attribution_table"}
