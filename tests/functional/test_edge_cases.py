"""Edge cases of scenarios and runs, each as an explicit test.

A run shorter than its warm-up, zero demand on a channel, every capacity zero
on a day, an empty IA redirection window, a run starting on a Sunday and a
leap-year-long run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
import yaml

from sim.cli import EXIT_BAD_INPUT, main
from sim.inputs.config import ConfigError, validate_config
from sim.model.pathway import run_replication
from sim.experiments.runner import run_one

from ..property.strategies import (
    CHANNEL_LABEL,
    CONFIG_DIR,
    ROOT,
    base_dict,
    channel_mask,
    count_step,
    minute_of_day,
    sim_day,
    step_mask,
    weekday,
)

HOURLY_UTC = base_dict("current")["utc"]["clinicians"]


def small(name: str = "current", days: int = 14, warmup: int = 0, start_weekday: int = 0, scale: float = 1.0) -> dict:
    d = base_dict(name)
    d["run"].update(days=days, warmup_days=warmup, start_weekday=start_weekday, replications=1)
    for ch in ("walk_in", "nhs111", "practice_overflow"):
        d["demand"][ch]["mean_per_day"] *= scale
    return d


def run(d: dict, replication: int = 0):
    result = run_one(validate_config(d, "edge case"), replication, events=True)
    return result.kpis, result.events


def write(tmp_path, d: dict, name: str = "scenario.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    return path


def assert_refused(rc, captured, out_dir, *words):
    assert rc == EXIT_BAD_INPUT, captured.err
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    for word in words:
        assert word in captured.err
    assert not out_dir.exists()
    assert not list(out_dir.parent.glob(f".{out_dir.name}-partial-*"))


# ------------------------------------------------------ shorter than warm-up --
@pytest.mark.parametrize("days, warmup", [(3, 7), (7, 7), (1, 1), (1, 5)])
def test_run_not_longer_than_warmup_is_a_config_error(days, warmup, tmp_path, capsys):
    d = small(days=10, warmup=2)
    d["run"].update(days=days, warmup_days=warmup)
    path = write(tmp_path, d)
    out_dir = tmp_path / "out"
    rc = main(["run", str(path), "--out", str(out_dir), "--quiet"])
    assert_refused(rc, capsys.readouterr(), out_dir, str(path), "run.warmup_days", f"({warmup})", f"({days})")


@pytest.mark.parametrize("override", [["--days", "5"], ["--days", "7"], ["--days", "30", "--warmup-days", "30"]])
def test_command_line_run_shorter_than_warmup_is_a_config_error(override, tmp_path, capsys):
    out_dir = tmp_path / "out"
    rc = main(
        [
            "compare",
            str(CONFIG_DIR / "current.yaml"),
            str(CONFIG_DIR / "redesign.yaml"),
            "--out",
            str(out_dir),
            "--quiet",
            *override,
        ]
    )
    assert_refused(rc, capsys.readouterr(), out_dir, "command line", "run.warmup_days")


def test_run_shorter_than_warmup_in_a_subprocess(tmp_path):
    out_dir = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "run_sim.py", "run", "configs/current.yaml", "--days", "3", "--out", str(out_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == EXIT_BAD_INPUT
    assert proc.stderr.count("\n") == 1 and "run.warmup_days" in proc.stderr and "Traceback" not in proc.stderr
    assert not out_dir.exists()


def test_one_day_run_without_warmup_works(tmp_path, capsys):
    out_dir = tmp_path / "out"
    rc = main(
        [
            "run",
            str(CONFIG_DIR / "redesign.yaml"),
            "--days",
            "1",
            "--warmup-days",
            "0",
            "--reps",
            "2",
            "--out",
            str(out_dir),
            "--quiet",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    assert sorted(p.name for p in out_dir.iterdir()) == ["kpis.csv", "manifest.json", "summary.csv"]


# --------------------------------------------------------------- zero demand --
@pytest.mark.parametrize("how", ["mean_zero", "growth_zero", "every_day_zero"])
@pytest.mark.parametrize("channel", ["walk_in", "nhs111", "practice_overflow"])
@pytest.mark.parametrize("scenario", ["current", "redesign"])
def test_zero_demand_on_one_channel(scenario, channel, how):
    d = small(scenario, days=8, scale=0.3)
    profile = d["demand"][channel]
    if how == "mean_zero":
        profile["mean_per_day"] = 0.0
    elif how == "growth_zero":
        profile["growth"] = 0.0
    else:  # demand with no day to fall on: refused, so a channel is never silenced by accident
        profile["day_of_week"] = [0.0] * 7
        with pytest.raises(ConfigError, match=f"demand.{channel}.*day_of_week must not be all zero"):
            validate_config(d, "edge case")
        return
    kpis, ev = run(d)
    label = CHANNEL_LABEL[channel]
    assert not channel_mask(ev, channel).any()
    assert kpis[f"arrivals_per_day_{label}"] == 0
    for other in {"walk_in", "nhs111", "practice_overflow"} - {channel}:
        assert channel_mask(ev, other).any(), f"{other} should still have patients"
    if channel == "practice_overflow":
        assert kpis["sda_bookings_overflow_per_day"] == 0
    if channel == "nhs111" and scenario == "current":  # 111 callers: direct, or overflow patients who call
        assert kpis["sda_bookings_111_per_day"] == 0


def test_no_demand_at_all():
    d = small(days=5)
    for ch in ("walk_in", "nhs111", "practice_overflow"):
        d["demand"][ch]["mean_per_day"] = 0.0
    kpis, ev = run(d)
    assert len(ev) == 0
    assert kpis["arrivals_per_day"] == 0 and kpis["cost_total_annual_gbp"] == 0
    assert kpis["sda_slot_utilisation_pct"] == 0  # slots offered, none booked


# -------------------------------------------------------- zero capacity days --
def test_utc_and_sda_closed_all_monday():
    """UTC rota zero all Monday and no SDA slots on Mondays: nothing starts on a Monday."""
    d = small("redesign", days=15, start_weekday=0, scale=0.3)
    d["utc"]["clinicians"] = [[0] * 24] + [list(HOURLY_UTC)] * 6
    for diary in ("gpcg_sda", "pcn_sda"):
        d["slot_diaries"][diary]["slots_per_day"][0] = 0
    kpis, ev = run(d)
    mondays = {0, 7, 14}
    utc_start = ev["utc_start"].dropna().to_numpy()
    assert utc_start.size > 0
    assert not set(sim_day(utc_start)) & mondays, "a UTC consultation started on a Monday"
    # the Monday queue is seen first thing on Tuesday
    assert (minute_of_day(utc_start[sim_day(utc_start) == 1]) < 60).any()
    for step in ("sda_gpcg", "sda_pcn"):
        slots = ev["sda_slot"].to_numpy()[step_mask(ev, step)]
        assert slots.size > 0, step
        assert not set(sim_day(slots)) & mondays, f"{step} booked on a Monday"


def test_every_place_closed_all_monday_with_start_on_monday():
    """A whole day with no staff and no slots, on day 0 (the rota's first hour is zero)."""
    d = small("current", days=3, start_weekday=0, scale=0.2)
    closed_monday = [[0] * 24] + [[2] * 24] * 6
    for station, key in (
        ("reception", "clerks"),
        ("ia_nurse", "nurses"),
        ("care_navigator", "navigators"),
        ("utc", "clinicians"),
        ("ed", "cubicles"),
    ):
        d[station][key] = closed_monday
    for diary in ("gpcg_sda", "pcn_sda", "practice_111", "st_andrews_hub"):
        d["slot_diaries"][diary]["slots_per_day"] = [0, 20, 20, 20, 20, 20, 20]
    kpis, ev = run(d)
    for column in ("ia_start", "utc_start", "ed_start", "sda_slot"):
        values = ev[column].dropna().to_numpy()
        assert not (sim_day(values) == 0).any(), f"{column} on the closed day"
    # Monday's walk-ins wait for Tuesday's first hour
    assert ((sim_day(ev["ia_start"].dropna()) == 1) & (minute_of_day(ev["ia_start"].dropna()) < 60)).any()
    # 111 callers on Monday found no slots anywhere (none offered): next-day GP, not the front door
    monday_111 = channel_mask(ev, "nhs111") & (sim_day(ev["arrival"]) == 0)
    assert not (step_mask(ev, "practice_111") & monday_111).any()


def test_every_capacity_zero_for_the_whole_run():
    d = small("redesign", days=4, scale=0.2)
    for station, key in (
        ("reception", "clerks"),
        ("ia_nurse", "nurses"),
        ("care_navigator", "navigators"),
        ("utc", "clinicians"),
        ("ed", "cubicles"),
    ):
        d[station][key] = 0
    for diary in ("gpcg_sda", "pcn_sda", "practice_111", "st_andrews_hub"):
        d["slot_diaries"][diary]["slots_per_day"] = [0] * 7
    kpis, ev = run(d)
    assert ev["ia_start"].isna().all() and ev["utc_start"].isna().all() and ev["ed_start"].isna().all()
    assert ev["sda_slot"].isna().all()
    door = ev["door_arrival"].notna()
    assert door.any() and (ev["outcome"][door].astype(str) == "in_system").all()
    assert kpis["in_system_at_end"] == door.sum()
    assert np.isnan(kpis["sda_slot_utilisation_pct"])  # no slots at all: undefined, not a crash


# -------------------------------------------------- empty redirection window --
@pytest.mark.parametrize("scenario, policy", [("current", "redirection_current"), ("redesign", "redirection_x8")])
def test_zero_length_redirection_window_means_no_ia_redirections(scenario, policy):
    d = small(scenario, days=8, scale=0.5)
    kpis_open, _ = run(d)
    assert kpis_open["sda_redirections_ia_per_day"] > 0  # the window matters in this scenario
    d["ia_nurse"][policy].update(start_hour=12, end_hour=12)
    kpis, ev = run(d)
    assert kpis["sda_redirections_ia_per_day"] == 0
    assert not (step_mask(ev, "sda_gpcg") & ~step_mask(ev, "utc")).any()
    assert count_step(ev, "navigator") == 0
    if scenario == "current":  # the UTC triage still redirects (X5 off)
        assert kpis["sda_redirections_utc_per_day"] > 0


def test_zero_length_sda_session_means_no_gpcg_slots():
    d = small("current", days=8, scale=0.5)
    d["slot_diaries"]["gpcg_sda"].update(session_start_hour=14, session_end_hour=14)
    kpis, ev = run(d)
    assert count_step(ev, "sda_gpcg") == 0
    assert np.isnan(kpis["sda_slot_utilisation_pct_gpcg"])
    assert kpis["sda_no_slot_per_day"] == 0  # a diary with no slots is closed, not full


# ----------------------------------------------------- start on a Sunday --
def test_weekday_slot_counts_land_on_the_right_days_from_a_sunday():
    d = small("current", days=15, start_weekday=6, scale=0.1)
    d["slot_diaries"]["gpcg_sda"]["slots_per_day"] = [1, 2, 3, 4, 5, 6, 7]  # Mon..Sun
    model = run_replication(validate_config(d), 0)
    per_day = np.bincount(sim_day(model.gpcg_sda.slot_times()), minlength=15)
    # day 0 is a Sunday (7 slots), day 1 a Monday (1 slot), ...
    assert per_day.tolist() == [7, 1, 2, 3, 4, 5, 6] * 2 + [7]


def test_sunday_only_sda_from_a_sunday_start():
    d = small("current", days=15, start_weekday=6, scale=0.5)
    d["slot_diaries"]["gpcg_sda"]["slots_per_day"] = [0, 0, 0, 0, 0, 0, 40]
    d["utc"]["clinicians"] = [list(HOURLY_UTC)] * 6 + [[3] * 24]
    d["utc"]["triage_window"]["days"] = [True] * 7  # the UTC triage works on Sundays too here
    kpis, ev = run(d)
    sundays = {0, 7, 14}
    slots = ev["sda_slot"].to_numpy()[step_mask(ev, "sda_gpcg")]
    assert slots.size > 0
    assert set(sim_day(slots)) <= sundays
    assert set(sim_day(slots)) == sundays
    # current pathway: the IA nurse does not redirect on Sundays, so all of these came via UTC triage
    assert kpis["sda_redirections_ia_per_day"] == 0 and kpis["sda_redirections_utc_per_day"] > 0
    # practice overflow has no demand at weekends (base.yaml): none on Saturday (day 6, 13) or Sunday
    overflow = ev["arrival"].to_numpy()[channel_mask(ev, "practice_overflow")]
    assert overflow.size > 0
    assert set(weekday(overflow, 6)) <= {0, 1, 2, 3, 4}
    assert not set(sim_day(overflow)) & {0, 6, 7, 13, 14}


def test_hourly_rota_by_weekday_follows_a_sunday_start():
    """A UTC closed all Sunday is closed on simulated days 0, 7 and 14 when day 0 is a Sunday."""
    d = small("current", days=15, start_weekday=6, scale=0.3)
    d["utc"]["clinicians"] = [list(HOURLY_UTC)] * 6 + [[0] * 24]
    _, ev = run(d)
    days = set(sim_day(ev["utc_start"].dropna()))
    assert days and not days & {0, 7, 14}
    assert days & {1, 8}  # Mondays are open


# -------------------------------------------------------------- leap year --
def test_leap_year_length_run(tmp_path, capsys):
    d = small("current", days=366, scale=0.04)  # ~18 walk-ins, ~14 calls, ~2 overflow a day
    path = write(tmp_path, d)
    out_dir = tmp_path / "out"
    rc = main(["run", str(path), "--reps", "1", "--out", str(out_dir), "--quiet"])
    assert rc == 0, capsys.readouterr().err
    manifest = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["days"] == 366 and manifest["warmup_days"] == 0

    model = run_replication(validate_config(d), 0)
    arrivals = model.patients.arrival
    assert arrivals.max() >= 365 * 1440 and arrivals.max() < 366 * 1440  # the 366th day has patients
    slot_days = np.bincount(sim_day(model.gpcg_sda.slot_times()), minlength=366)
    assert slot_days.size == 366
    weekly = d["slot_diaries"]["gpcg_sda"]["slots_per_day"]
    assert slot_days.tolist() == [weekly[day % 7] for day in range(366)]

    kpis, ev = run(d)
    # the mean day of a year: 366 days hold two Mondays' and Tuesdays' worth more, each weighted by its share
    from sim.inputs.calendar import day_types, mean_day_weights, year_shares

    weights = mean_day_weights(day_types(366, d["run"]["start_weekday"]), year_shares())
    assert kpis["arrivals_per_day"] == pytest.approx(
        np.bincount(sim_day(ev["arrival"].to_numpy()), minlength=366) @ weights
    )
    walk_in = d["demand"]["walk_in"]
    expected = walk_in["mean_per_day"] * np.mean(walk_in["day_of_week"])
    assert kpis["arrivals_per_day_walk_in"] == pytest.approx(expected, rel=0.1)


# ------------------------------------------------- regressions (bugs found here) --
def test_out_naming_an_existing_file_is_a_clean_error(tmp_path):
    taken = tmp_path / "taken"
    taken.write_text("not a folder\n", encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "run_sim.py",
            "run",
            "configs/current.yaml",
            "--days",
            "2",
            "--warmup-days",
            "1",
            "--reps",
            "1",
            "--quiet",
            "--out",
            str(taken),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert taken.read_text(encoding="utf-8") == "not a folder\n"
    assert not list(tmp_path.glob(".taken-partial-*"))
    assert proc.returncode == EXIT_BAD_INPUT, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
