"""Runs whose queues grow without bound are flagged, and a saving between them is called meaningless."""

from __future__ import annotations

import math

import yaml

from sim.cli import main
from sim.experiments.runner import run_one

from ..conftest import CONFIGS, tweak


def _short(cfg, **changes):
    return tweak(cfg, run__days=6, run__warmup_days=1, run__replications=1, **changes)


def test_shipped_scenarios_are_stable(current_cfg, redesign_cfg):
    for cfg in (current_cfg, redesign_cfg):
        kpis = run_one(_short(cfg), 0).kpis
        assert kpis["unstable"] == 0.0, kpis["in_system_at_end"]


def test_no_utc_clinicians_is_unstable(current_cfg):
    """With nobody to see them, UTC patients pile up: the run must not look like normal staffing."""
    kpis = run_one(_short(current_cfg, utc__clinicians=0, utc__patience_min=None), 0).kpis
    assert kpis["unstable"] == 1.0
    assert kpis["in_system_at_end"] > 0.5 * kpis["arrivals_per_day"]
    # where patients give up waiting, they all leave unseen: no growing queue, but no working UTC either
    kpis = run_one(_short(current_cfg, utc__clinicians=0), 0).kpis
    assert kpis["utc_left_unseen_pct"] > 80.0 and kpis["unstable"] == 1.0  # the rest still waiting at the end


def test_no_ia_nurse_is_zero_percent_seen_within_15_min_not_nan(current_cfg):
    kpis = run_one(_short(current_cfg, ia_nurse__nurses=0), 0).kpis
    assert kpis["ia_within_15min_pct"] == 0.0
    assert kpis["unstable"] == 1.0


def test_nobody_at_the_front_door_leaves_ia_within_15min_undefined(current_cfg):
    cfg = _short(
        current_cfg,
        demand__walk_in__mean_per_day=0.0,
        demand__nhs111__mean_per_day=0.0,
        demand__practice_overflow__mean_per_day=0.0,
    )
    assert math.isnan(run_one(cfg, 0).kpis["ia_within_15min_pct"])


def test_compare_warns_that_a_saving_between_unstable_scenarios_means_nothing(tmp_path, capsys):
    data = {"extends": str(CONFIGS / "redesign.yaml"), "name": "no_ed", "ed": {"cubicles": 0}}
    (tmp_path / "no_ed.yaml").write_text(yaml.safe_dump(data))
    code = main(
        [
            "compare",
            str(CONFIGS / "current.yaml"),
            str(tmp_path / "no_ed.yaml"),
            "--reps",
            "1",
            "--days",
            "4",
            "--warmup-days",
            "1",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "no_ed is UNSTABLE in 1 of 1 replications" in captured.err
    assert "current is UNSTABLE" not in captured.err
    assert "saving between these scenarios means nothing" in captured.err
    assert "Recurrent annual saving" in captured.out and "Results in" in captured.out


def test_run_reports_an_unstable_scenario_after_its_results(tmp_path, capsys):
    data = {"extends": str(CONFIGS / "current.yaml"), "name": "no_utc", "utc": {"clinicians": 0}}
    (tmp_path / "no_utc.yaml").write_text(yaml.safe_dump(data))
    code = main(
        [
            "run",
            str(tmp_path / "no_utc.yaml"),
            "--reps",
            "1",
            "--days",
            "4",
            "--warmup-days",
            "1",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    captured = capsys.readouterr()
    assert code == 0 and "Results in" in captured.out
    assert "no_utc is UNSTABLE in 1 of 1 replications" in captured.err
