"""Shared helpers for the web app's tests: the app under AppTest with tiny runs."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "sim" / "app" / "main.py"
TIMEOUT = 60  # seconds per script run: generous, the machine may be busy


def small_app(pathway: str = "current", replications: int = 2, days: int = 10) -> AppTest:
    """The app with ``pathway`` chosen and a tiny run (``days`` includes the 7-day warm-up)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    if pathway != "current":
        at.radio(key="pathway").set_value(pathway).run()
    at.text_input(key=f"{pathway}|reps").set_value(str(replications))
    at.text_input(key=f"{pathway}|days").set_value(str(days))
    return at.run()


def headline(at: AppTest) -> dict[str, dict[str, str]]:
    """The headline table (the Results tab's table of KPIs) as {KPI label: {column: text}}."""
    table = next(t.value for t in at.table if t.value.index.name == "KPI")
    return {label: row.to_dict() for label, row in table.iterrows()}


def metrics(at: AppTest) -> dict[str, str]:
    """Every tile on the page: {label: value}."""
    return {m.label: m.value for m in at.metric}


def run(at: AppTest, name: str | None = None) -> AppTest:
    """Name the scenario (if given) and press Run."""
    if name is not None:
        at.text_input(key="scenario_name").set_value(name)
    return at.button(key="run").click().run()


def problems(at: AppTest) -> list[str]:
    """Every error message and exception the page shows."""
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]
