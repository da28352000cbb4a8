"""Back test: the shipped defaults still meet the figures they were calibrated to.

The current pathway's defaults were tuned to public and paper figures (README
"Calibration"); a change to a default that moves the model away from them fails
here. The paper's redesign estimates that the model does not reproduce (the
total saving, the 60 a day ambition, X4's effect) are reported by
``run_sim.py validate`` and discussed in the README, not asserted.
"""

from __future__ import annotations

from sim.experiments.runner import run_replications, summary_table
from sim.experiments.validation import validate, validation_runs

from ..conftest import tweak


def test_calibrated_figures_and_x6_hours_are_within_range(current_cfg, redesign_cfg):
    current = tweak(current_cfg, run__replications=8)  # shipped days, warm-up and seed
    runs = validation_runs(current, redesign_cfg)
    tables = {label: summary_table(run_replications(cfg, progress=False)) for label, cfg in runs.items()}
    table = validate(tables).set_index("target")
    checked = [t for t in table.index if t.startswith("current:") or "X6" in t]
    assert len(checked) == 8
    outside = table.loc[checked][~table.loc[checked, "within"]]
    assert outside.empty, outside[["model_mean", "range_low", "range_high"]].to_string()
