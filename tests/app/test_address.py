"""A reload keeps what the lead set (the inputs live in the page's address), and a button resets them."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from sim.app import address

from .helpers import APP, TIMEOUT, problems, run, small_app


def _reload(at: AppTest) -> AppTest:
    """A new session opened on the address ``at`` shows (what a browser reload does)."""
    again = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    again.query_params = dict(at.query_params)
    return again.run()


def test_an_untouched_page_has_a_clean_address():
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    assert problems(at) == [] and at.query_params == {}


def test_a_reload_keeps_the_inputs_set():
    at = small_app("redesign")
    at.slider(key="redesign|redirection_x8|rate").set_value(60.0)
    at.toggle(key="redesign|x5_utc_stops_redirecting").set_value(False)  # on in the redesign
    at.text_input(key="redesign|growth").set_value("1.10")
    at.text_input(key="redesign|seed").set_value("oops").run()
    assert at.query_params == {
        "pathway": "redesign",
        "redirection_x8.rate": "60",
        "x5_utc_stops_redirecting": "0",
        "growth": "1.10",
        "reps": "2",
        "days": "10",
        "seed": "oops",
    }
    again = _reload(at)
    assert again.radio(key="pathway").value == "redesign"
    assert again.slider(key="redesign|redirection_x8|rate").value == 60.0
    assert again.toggle(key="redesign|x5_utc_stops_redirecting").value is False
    assert again.text_input(key="redesign|growth").value == "1.10"
    assert [e.value for e in again.sidebar.error] == [  # a wrong number comes back wrong, and Run stays refused
        "Seed = oops: not a number; give a whole number from 0 to 9,223,372,036,854,775,808"
    ]
    assert again.button(key="run").disabled
    assert again.query_params == at.query_params


def test_a_reload_keeps_the_slot_table_and_the_run_uses_it():
    at = small_app()
    slots = at.query_params | {"slots": "_".join([".".join(["9"] * 7)] + [".".join(["0"] * 7)] * 3)}
    at.query_params = slots
    again = _reload(at)
    assert again.query_params == slots
    run(again, "Nine GPCG slots")
    assert problems(again) == []
    shown = again.session_state["scenarios"]["Nine GPCG slots"]
    assert shown.scenario.slot_diaries.gpcg_sda.slots_per_day == [9] * 7
    assert shown.scenario.slot_diaries.pcn_sda.slots_per_day == [0] * 7
    assert shown.baseline.run.days == 10  # the run settings came back too


def test_reset_puts_the_shipped_values_back_and_clears_the_address():
    at = small_app("redesign")
    at.slider(key="redesign|redirection_x8|rate").set_value(60.0).run()
    at.button(key="reset").click().run()
    assert at.slider(key="redesign|redirection_x8|rate").value == 100.0  # the shipped X8 rate
    assert at.text_input(key="redesign|reps").value != "2"
    assert at.query_params == {"pathway": "redesign"}
    again = _reload(at)
    assert again.slider(key="redesign|redirection_x8|rate").value == 100.0


def test_tables_travel_in_the_address_as_short_text():
    frame = pd.DataFrame([[1, 2], [3, 40]], index=["a", "b"], columns=["x", "y"])
    assert address.table(frame) == "1.2_3.40"
    assert address.read_table("1.2_3.40", frame).equals(frame)
    weights = frame.astype(float) / 2
    assert address.read_table(address.table(weights), frame).equals(weights)
    assert address.read_table("1.2.3", frame) is None  # not this table's shape: the config's is used
