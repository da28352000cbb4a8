"""A lean install and a fast start: heavy libraries stay out of the start-up path, extras are optional.

Each check runs the command line in a fresh process (what was imported before is what a user
pays for). No assertion depends on how fast the machine is: ``benchmarks/bench_startup.py``
measures the times; these tests keep the heavy imports out of the way that makes them fast.
A library "not installed" is emulated by ``sys.modules[name] = None``, which makes any import of
it fail as a missing package does.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from ..conftest import ROOT

HEAVY = (
    "pandas",
    "scipy",
    "matplotlib",
    "streamlit",
    "altair",
    "dask",
    "distributed",
    "SALib",
    "openpyxl",
    "pyarrow",
    "sim.experiments.business_case",
    "sim.analysis.business_case",
    "tqdm",
)  # tqdm: only where a progress bar is drawn (a terminal, no --quiet)
SERIAL_ONLY = ("concurrent.futures.process", "multiprocessing.pool")
"""A run with one job makes no process pool, so it loads none of a pool's machinery."""
EXTRAS_ONLY = (
    "streamlit",
    "altair",
    "dask",
    "distributed",
    "SALib",
    "pytest",
    "hypothesis",
    "xdist",
    "playwright",
    "formulas",
    "sklearn",
    "optuna",
)
TINY = ["--reps", "1", "--days", "2", "--warmup-days", "0", "--quiet"]


def _python(code: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _without(libraries, argv: list[str]) -> str:
    """Code that runs ``run_sim.py argv`` as if ``libraries`` were not installed."""
    return (
        f"import sys\nfor name in {tuple(libraries)!r}:\n    sys.modules[name] = None\n"
        f"sys.argv = ['run_sim.py', *{argv!r}]\nfrom sim.cli import script\nscript()\n"
    )


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_import_no_heavy_library(flag):
    code = (
        f"import sys\nsys.argv = ['run_sim.py', '{flag}']\nfrom sim.cli import script\n"
        "try:\n    script()\nexcept SystemExit:\n    pass\n"
        f"print('HEAVY=' + ','.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
        "print('PYDANTIC=' + str('pydantic' in sys.modules))\n"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY=\n" in proc.stdout, proc.stdout
    assert "PYDANTIC=False" in proc.stdout, "the config schema is built for --help/--version"


@pytest.mark.parametrize("more", [[], ["--set", "patients.sda_eligible=0.75"]], ids=["plain", "set"])
def test_a_run_reaches_its_first_replication_without_heavy_libraries(tmp_path, more):
    """The probe replaces the first replication and reports what was loaded by then (``--set`` included:
    it lives with the inputs, not with the sweeps and their pandas)."""
    code = f"""
import os, sys
import sim.experiments.runner as runner

def first_replication(cfg, replication):
    print("HEAVY=" + ",".join(sorted(m for m in {HEAVY + SERIAL_ONLY!r} if m in sys.modules)), flush=True)
    os._exit(0)

runner.run_replication = first_replication
sys.argv = ["run_sim.py", "run", "configs/current.yaml", *{TINY!r}, *{more!r}, "--out", {str(tmp_path / "o")!r}]
from sim.cli import script
script()
"""
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY=\n" in proc.stdout, proc.stdout


def test_the_main_job_runs_with_no_extra_installed(tmp_path):
    """compare (with its figure) needs only the core: no web app, Dask, SALib or test tool."""
    out = tmp_path / "cmp"
    proc = _python(
        _without(
            EXTRAS_ONLY,
            ["compare", "configs/current.yaml", "configs/redesign.yaml", *TINY, "--jobs", "2", "--out", str(out)],
        )
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "comparison.csv").is_file() and (out / "cost_change_by_route.png").is_file()


@pytest.mark.parametrize(
    ("argv", "extra"),
    [
        (["run", "configs/current.yaml", *TINY, "--scheduler", "local"], "dask"),
        (["app", "--port", "8599"], "app"),
        (["sweep", "sobol.yaml", *TINY], "sensitivity"),
    ],
    ids=["scheduler", "app", "sobol"],
)
def test_a_command_missing_its_extra_names_it_in_one_line(argv, extra, tmp_path):
    if argv[0] == "sweep":
        sobol = tmp_path / "sobol.yaml"
        sobol.write_text(
            f"name: sobol_probe\nbaseline: {ROOT / 'configs' / 'current.yaml'}\n"
            f"scenario: {ROOT / 'configs' / 'redesign.yaml'}\ndesign: sobol\nsamples: 16\n"
            "vary:\n  patients.sda_eligible: {dist: uniform, low: 0.7, high: 0.9}\n"
            "  patients.accepts_redirection: {dist: uniform, low: 0.6, high: 0.8}\n"
        )
        argv = ["sweep", str(sobol), *argv[2:]]
    proc = _python(_without(EXTRAS_ONLY, [*argv, "--out", str(tmp_path / "o")] if argv[0] != "app" else argv))
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"pip install -e '.[{extra}]'" in proc.stderr, proc.stderr
    assert not (tmp_path / "o").exists()


def test_the_core_install_leaves_the_extras_out():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = " ".join(project["dependencies"]).lower()
    for optional in (
        "streamlit",
        "altair",
        "dask",
        "salib",
        "pytest",
        "hypothesis",
        "playwright",
        "formulas",
        "scikit-learn",
        "optuna",
    ):
        assert optional not in core, f"{optional} is in the core install"
    extras = project["optional-dependencies"]
    assert {"app", "dask", "sensitivity", "test", "all"} <= set(extras)
    assert any("streamlit" in d for d in extras["app"]) and any("altair" in d for d in extras["app"])
    assert any(d.startswith("dask") for d in extras["dask"]) and any(
        d.startswith("SALib") for d in extras["sensitivity"]
    )
    for tool in ("pytest", "hypothesis", "pytest-xdist", "playwright", "formulas"):
        assert any(d.startswith(tool) for d in extras["test"]), tool
    assert any(d.startswith("scikit-learn") for d in extras["calibrate"])
    assert any(d.startswith("optuna") for d in extras["plan"])
    everything = " ".join(extras["all"])
    assert all(extra in everything for extra in ("app", "calibrate", "dask", "plan", "sensitivity", "test"))
    assert project["scripts"]["run-sim"] == "sim.cli:script"


def test_ci_installs_everything_and_keeps_its_browser():
    ci = (ROOT / ".ci" / "run").read_text()
    assert '-e ".[all]"' in ci
    assert "apt-get install" in ci and "chromium" in ci


def test_the_start_up_benchmark_reports_every_case(tmp_path):
    """Smoke test of benchmarks/bench_startup.py: it runs and writes its figures (no timing asserted)."""
    import json

    out = tmp_path / "startup.json"
    proc = subprocess.run(
        [sys.executable, "benchmarks/bench_startup.py", "--rounds", "1", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert set(data["cases"]) == {"python -c pass", "--version", "--help", "run", "run, no bytecode"}
    assert data["bytecode_cache"] is True
    for case in data["cases"].values():
        assert case["wall_s"] > 0 and case["cpu_s"] >= 0 and case["ratio_to_reference"] > 0
    assert data["heavy_before_first_replication"] == []
