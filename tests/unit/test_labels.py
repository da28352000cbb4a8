"""Labels in words: every change, route step and headline KPI has one, unknown codes stay readable."""

from sim.inputs.config import Changes, SlotDiaries
from sim.model.eventlog import ACTIVITIES
from sim.model.patients import CHANNELS
from sim.outputs.labels import (
    CHANGE_HELP,
    CHANGE_NAMES,
    CHANNEL_NAMES,
    PROVIDER_NAMES,
    SERVICE_NAMES,
    STEP_PHRASES,
    change_label,
    kpi_label,
    kpi_unit,
    route_label,
)


def test_every_change_channel_and_service_has_words():
    assert set(CHANGE_NAMES) == set(CHANGE_HELP) == set(Changes.model_fields)
    assert all(CHANGE_HELP.values())
    assert set(PROVIDER_NAMES) == set(SlotDiaries.model_fields)
    assert set(CHANNEL_NAMES) == set(CHANNELS)
    assert set(STEP_PHRASES) == set(ACTIVITIES) == set(SERVICE_NAMES)


def test_route_in_words():
    assert route_label("walk_in:ia>navigator>sda_gpcg") == (
        "Walk-in: streamed by IA nurse, booked by Care Navigator into GPCG SDA"
    )
    assert route_label("walk_in:ia>utc>sda_gpcg") == "Walk-in: streamed by IA nurse, UTC, redirected to GPCG SDA"
    assert (
        route_label("nhs111:call_111>practice_111") == "NHS 111 caller: NHS 111 call, practice slot booked by NHS 111"
    )
    assert route_label("gp_overflow:none") == "Practice overflow: no service"


def test_change_and_kpi_labels_carry_numbers_and_units():
    assert change_label("x5_utc_stops_redirecting") == "X5 UTC stops redirecting to SDA"
    assert change_label("x5_utc_stops_redirecting", number=False) == "UTC stops redirecting to SDA"
    assert change_label("settings").startswith("Settings other than X1-X8")
    assert kpi_label("cost_annual_gbp_walk_in:ia>ed") == "Annual cost, GBP: Walk-in: streamed by IA nurse, ED"
    assert kpi_label("some_new_kpi") == "some new kpi"
    assert kpi_unit("cost_total_annual_gbp") == "GBP a year"
    assert kpi_unit("utc_wait_mean_min") == "minutes"
    assert kpi_unit("gp_reattendance_hours_per_week") == "hours a week"
    assert kpi_unit("sda_slot_utilisation_pct_gpcg") == "%"


def test_every_kpi_a_run_reports_has_a_name_in_words(small_current):
    """No KPI of a run falls back to its code name with spaces; hourly KPIs name their hour."""
    from sim.analysis.kpis import compute_kpis
    from sim.model.pathway import run_replication
    from sim.outputs.labels import kpi_label, kpi_unit

    kpis = compute_kpis(run_replication(small_current, 0))
    bare = [k for k in kpis if kpi_label(k) == k.replace("_", " ")]
    assert bare == []
    assert kpi_label("sda_unused_slots_per_day_gpcg_h08").endswith("starting 08:00-09:00")
    assert kpi_unit("gp_reattendance_hours_after_sda_per_week") == "hours a week"
