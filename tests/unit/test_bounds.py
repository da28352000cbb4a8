"""Counts, rates and distribution parameters are bounded; a run that cannot fit in memory is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.analysis.invariants import InvariantError, check_kpis
from sim.cli import main
from sim.experiments.resources import check_fits, estimated_bytes, expected_patients
from sim.inputs.config import ConfigError

from ..conftest import CONFIGS, tweak


def _with(tmp_path: Path, patch: str) -> Path:
    path = tmp_path / "extreme.yaml"
    path.write_text(f"extends: {CONFIGS / 'current.yaml'}\n{patch}")
    return path


EXTREME = {
    # each used to pass validation and fail later (wrap-round, memory or overflow traceback, model error)
    "cubicles wrap round": ("ed:\n  cubicles: 100000000000000000000\n", "ed.cubicles", "10000"),
    "a billion slots a day": (
        "slot_diaries:\n  gpcg_sda:\n    slots_per_day: [1000000000, 0, 0, 0, 0, 0, 0]\n",
        "slot_diaries.gpcg_sda.slots_per_day",
        "10000",
    ),
    "demand 1e12 a day": ("demand:\n  walk_in:\n    mean_per_day: 1.0e+12\n", "demand.walk_in.mean_per_day", "100000"),
    "growth 1e308": ("demand:\n  nhs111:\n    growth: 1.0e+308\n", "demand.nhs111.growth", "100"),
    "cost 1e308": ("unit_costs_gbp:\n  ed_attendance: 1.0e+308\n", "unit_costs_gbp.ed_attendance", "1000000"),
    "lognormal wider than it can be sampled": (
        "ed:\n  time_min: {dist: lognormal, mean: 1.0e-3, sd: 1000}\n",
        "ed.time_min",
        "10 x mean",
    ),
    "task time 1e300": (
        "utc:\n  consult_time_min: {dist: fixed, value: 1.0e+300}\n",
        "utc.consult_time_min",
        "1000000",
    ),
    "all-zero day_of_week": (
        "demand:\n  walk_in:\n    day_of_week: [0, 0, 0, 0, 0, 0, 0]\n",
        "demand.walk_in",
        "day_of_week must not be all zero",
    ),
    "all-zero hour_of_day": (
        "demand:\n  nhs111:\n    hour_of_day: " + str([0] * 24) + "\n",
        "demand.nhs111",
        "hour_of_day must not be all zero",
    ),
    "profile multiplier 1e300": (
        "demand:\n  walk_in:\n    day_of_week: [1.0e+300, 1, 1, 1, 1, 1, 1]\n",
        "demand.walk_in.day_of_week",
        "1000",
    ),
    "appointment a year long": (
        "slot_diaries:\n  pcn_sda:\n    appointment_min: 525600\n",
        "slot_diaries.pcn_sda.appointment_min",
        "10080",
    ),
}


@pytest.mark.parametrize("case", sorted(EXTREME))
def test_extreme_values_are_refused_stating_the_bound(case, tmp_path, capsys):
    patch, field, bound = EXTREME[case]
    out = tmp_path / "out"
    code = main(["run", str(_with(tmp_path, patch)), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert field in err and bound in err, err
    assert not out.exists()


def test_a_silent_channel_may_have_a_zero_profile(current_cfg):
    cfg = tweak(current_cfg, demand__walk_in__mean_per_day=0.0, demand__walk_in__day_of_week=[0.0] * 7)
    assert cfg.demand.walk_in.mean_per_day == 0


def test_memory_estimate_grows_with_patients_and_processes(current_cfg):
    small = tweak(current_cfg, run__days=10, run__warmup_days=1, run__replications=4)
    big = tweak(small, run__days=100)
    assert expected_patients(big) == pytest.approx(10 * expected_patients(small))
    assert 800 < expected_patients(small) / 10 < 900  # ~850 patients a day on the shipped configs
    assert estimated_bytes(big) > estimated_bytes(small)
    assert estimated_bytes(small, jobs=2) > estimated_bytes(small, jobs=1)
    assert estimated_bytes(small, events=True) > estimated_bytes(small)


def test_a_run_that_cannot_fit_is_refused_in_one_line(current_cfg):
    cfg = tweak(current_cfg, run__days=100, run__warmup_days=1)
    check_fits(cfg, available=10**12)  # fits in a terabyte
    with pytest.raises(
        ConfigError,
        match=r"needs about .* GB of memory .* patients per replication .* "
        r"but 0\.1 GB is available",
    ):
        check_fits(cfg, jobs=2, available=10**8)


def test_cli_refuses_what_cannot_fit_before_running(tmp_path, capsys):
    """Within every bound but 100,000 patients a day x 100 growth x 10 years: refused at once."""
    patch = "run:\n  days: 3650\n  warmup_days: 1\ndemand:\n  walk_in:\n    mean_per_day: 100000\n    growth: 100\n"
    out = tmp_path / "out"
    code = main(["run", str(_with(tmp_path, patch)), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "of memory" in err and len(err.strip().splitlines()) == 1, err
    assert not out.exists()


def test_infinite_costs_do_not_add_up():
    """inf - inf is NaN, and NaN > tolerance is False: the check must not pass on it."""
    kpis = {
        "cost_total_annual_gbp": float("inf"),
        "cost_annual_gbp_walk_in:ia": float("inf"),
        "arrivals_per_day": 1.0,
        "volume_per_day_walk_in:ia": 1.0,
    }
    with pytest.raises(InvariantError, match="not finite"):
        check_kpis(kpis, None)
