"""Figures: built from the result tables, one mark per row, unknown intervals drawn without whiskers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.outputs.report import (
    _error,
    _short,
    attribution_figure,
    cost_change_by_route_figure,
    sweep_figure,
)


def test_error_bars_are_half_widths_and_zero_when_unknown():
    err = _error(pd.Series([10.0, 5.0]), pd.Series([8.0, math.nan]), pd.Series([13.0, math.nan]))
    assert err.tolist() == [[2.0, 0.0], [3.0, 0.0]]


def test_cost_change_by_route_shows_the_largest_changes_and_lumps_the_rest():
    routes = [f"route_{i}" for i in range(5)]
    comparison = pd.DataFrame(
        {
            "kpi": ["cost_total_annual_gbp", *(f"cost_annual_gbp_{r}" for r in routes), "utc_wait_mean_min"],
            "diff_mean": [-90.0, -50.0, 30.0, 0.0, -5.0, 2.0, -1.0],
            "diff_ci_low": [-95.0, -55.0, 25.0, 0.0, math.nan, 1.0, -2.0],
            "diff_ci_high": [-85.0, -45.0, 35.0, 0.0, math.nan, 3.0, 0.0],
        }
    )
    fig = cost_change_by_route_figure(comparison, "current", "redesign", top=2)
    ax = fig.axes[0]
    widths = [bar.get_width() for bar in ax.patches]
    ticks = sorted(zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels())), reverse=True)
    labels = [label for _, label in ticks]  # top to bottom
    assert labels == ["route 0: no service", "route 1: no service", "other routes (2)"]  # unchanged route left out
    assert widths == [50.0, -30.0, 3.0]  # a saving is positive


def test_attribution_waterfall_stacks_the_steps_and_ends_with_the_total():
    table = pd.DataFrame(
        {
            "step": ["settings", "x8_ia_nurse_redirects", "x7_st_andrews_hub_ceased", "total"],
            "saving_mean_gbp": [-50.0, 700.0, -10.0, 640.0],
            "saving_ci_low_gbp": [-60.0, 690.0, math.nan, 620.0],
            "saving_ci_high_gbp": [-40.0, 710.0, math.nan, 660.0],
        }
    )
    fig = attribution_figure(table)
    bars = fig.axes[0].patches
    assert len(bars) == 4
    # each step starts where the one before ended
    assert [b.get_y() for b in bars[:3]] == [0.0, -50.0, 650.0]
    assert np.isclose(bars[3].get_height(), 640.0)
    ticks = [t.get_text().replace("\n", " ") for t in fig.axes[0].get_xticklabels()]
    assert ticks[0].startswith("Settings other than X1-X8") and ticks[-1] == "Total"
    assert ticks[1].startswith("X8 IA nurse redirects") and ticks[2].startswith("X7 St Andrews")


def test_sweep_figure_labels_every_point(tmp_path):
    table = pd.DataFrame(
        {
            "point": [0, 1],
            "a.b.rate": [0.25, 1.0],
            "saving_mean_gbp": [1.0e5, 2.0e5],
            "saving_ci_low_gbp": [0.9e5, 1.9e5],
            "saving_ci_high_gbp": [1.1e5, 2.1e5],
            "utc_within_4h_pct": [90.0, 95.0],
        }
    )
    fig = sweep_figure(table, ["a.b.rate"], "title")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == ["b.rate=0.25", "b.rate=1.0"]
    path = tmp_path / "s.png"
    fig.savefig(path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_short_parameter_names_keep_a_list_position():
    assert _short("patients.sda_eligible") == "patients.sda_eligible"
    assert _short("ia_nurse.redirection_x8.probability") == "redirection_x8.probability"
    assert _short("slot_diaries.gpcg_sda.slots_per_day.6") == "gpcg_sda.slots_per_day.6"


def test_workbook_headers_name_the_interval_in_words():
    from sim.outputs.workbook import header_in_words

    assert header_in_words("ci_low") == "95% CI low"
    assert header_in_words("ci_high") == "95% CI high"
    assert header_in_words("gross_saving_ci_low_gbp") == "Gross saving 95% CI low, GBP"
    assert header_in_words("n_reps") == "Replications"
