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
    at.number_input(key=f"{pathway}|reps").set_value(replications)
    at.number_input(key=f"{pathway}|days").set_value(days)
    return at.run()


def headline(at: AppTest) -> dict[str, dict[str, str]]:
    """The headline table as {KPI label: {column: text}}."""
    table = at.dataframe[0].value
    return {row["KPI"]: row.to_dict() for _, row in table.iterrows()}


def problems(at: AppTest) -> list[str]:
    """Every error message and exception the page shows."""
    return [e.value for e in at.error] + [str(e.value) for e in at.exception]
