"""History matching on cheap functions with known answers, and the pieces it is made of."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from sim.experiments.calibration import (
    CalibrationInput,
    CalibrationState,
    Emulator,
    FinalSettings,
    WaveSettings,
    apportion,
    config_values,
    history_match,
    inside_set,
    load_calibration,
    meets_every_range,
    synthetic_targets,
)
from sim.inputs.config import ConfigError, load_config


@dataclass(frozen=True)
class Aim:
    """A target as the method reads it: a name, a KPI column and a range."""

    name: str
    kpi: str
    value: float = 0.0
    low: float = 0.0
    high: float = 0.0


def toy(seed: int):
    """Two noisy figures of two inputs; replication r has the same noise at every input set (CRN)."""

    def simulate(rows, replications):
        out = []
        for i, row in enumerate(rows):
            for r in range(replications):
                e = np.random.default_rng([seed, r]).normal(size=2)
                a, b = row["a"], row["b"]
                out.append(
                    {
                        "design": i,
                        "replication": r,
                        "y1": 20 * a + 2 * b * b + e[0],
                        "y2": 10 * a * b + 5 * b + 0.8 * e[1],
                    }
                )
        return pd.DataFrame(out)

    return simulate


INPUTS = [CalibrationInput("a", "a", 0.0, 1.0), CalibrationInput("b", "b", 0.0, 2.0)]
AIMS = [Aim("t1", "y1"), Aim("t2", "y2")]
WAVES = WaveSettings(points=20, replications=2, max_waves=3)
FINAL = FinalSettings(points=40, replications=4)


def _calibrate(seed: int, truth: dict, state=None, simulate=None):
    targets = synthetic_targets(AIMS, toy(1000 + seed), truth, 20, {"t1": 1.5, "t2": 1.5})
    return targets, history_match(
        INPUTS, targets, simulate or toy(seed), WAVES, FINAL, budget=400, seed=seed, state=state
    )


def test_known_inputs_are_recovered_in_at_least_9_of_10_seeds():
    hits = 0
    for seed in range(10):
        truth = {"a": 0.3 + 0.04 * seed, "b": 1.2 - 0.05 * seed}
        _, result = _calibrate(seed, truth)
        hits += inside_set(result, truth) and result.not_ruled_out(truth, 3.0, FINAL.replications)
    assert hits >= 9


def test_every_plausible_set_meets_every_range_and_the_budget_holds():
    truth = {"a": 0.5, "b": 1.0}
    targets, result = _calibrate(3, truth)
    assert result.simulator_runs <= 400
    assert len(result.plausible) >= 5
    plaus = result.plausible
    for t in targets:  # within the range, widened by two standard errors of the mean (FinalSettings)
        slack = FINAL.noise_allowance * np.sqrt(plaus[f"{t.name}__var"] / plaus["replications"])
        assert (plaus[f"{t.name}__mean"] >= t.low - slack).all()
        assert (plaus[f"{t.name}__mean"] <= t.high + slack).all()
    # the waves shrink the region; the medoid is one of the plausible sets
    assert result.waves["share_of_space_left_after"].iloc[-1] < 0.5
    assert result.plausible["medoid"].sum() == 1
    assert result.medoid == pytest.approx(
        {n: result.plausible.loc[result.plausible["medoid"], n].iloc[0] for n in ("a", "b")}
    )


def test_a_target_no_input_can_meet_leaves_no_plausible_set():
    impossible = [Aim("t1", "y1", 100.0, 99.0, 101.0)]  # y1 is at most 28 in the ranges searched
    result = history_match(INPUTS, impossible, toy(0), WAVES, FINAL, budget=400)
    assert len(result.plausible) == 0
    assert result.medoid is None
    assert "no input set is left" in result.stopped


def test_budget_too_small_for_a_wave_is_one_line():
    with pytest.raises(ConfigError, match="budget = 10"):
        history_match(INPUTS, AIMS, toy(0), WAVES, FINAL, budget=10)


def test_finished_waves_are_kept_and_reused(tmp_path):
    truth = {"a": 0.4, "b": 1.1}
    state = CalibrationState(tmp_path / "waves", "key-1")
    _, first = _calibrate(1, truth, state)
    assert "final.parquet" in {p.name for p in (tmp_path / "waves").glob("*.parquet")}

    def refuse(rows, replications):
        raise AssertionError("a kept wave was run again")

    again = CalibrationState(tmp_path / "waves", "key-1")
    _, second = _calibrate(1, truth, again, simulate=refuse)
    assert again.resumed_waves == len(first.waves) + 1
    pd.testing.assert_frame_equal(first.plausible, second.plausible)
    # another calibration's folder is cleared, not reused
    other = CalibrationState(tmp_path / "waves", "key-2")
    assert not list((tmp_path / "waves").glob("*.parquet"))
    other.remove()
    assert not (tmp_path / "waves").exists()


def test_emulator_interpolates_a_smooth_function_and_knows_its_noise():
    rng = np.random.default_rng(0)
    u = rng.random((30, 1))
    mean = np.sin(3 * u[:, 0])
    em = Emulator(u, mean, np.full(30, 0.04), np.full(30, 4), seed=0)
    grid = np.linspace(0.05, 0.95, 7)[:, None]
    mu, em_var, sim_var = em.predict(grid)
    assert mu == pytest.approx(np.sin(3 * grid[:, 0]), abs=0.05)
    assert np.all(em_var < 0.01)
    assert sim_var == pytest.approx(np.full(7, 0.04), rel=0.3)


@pytest.mark.parametrize(
    "values, factor, expected",
    [
        ([4, 5, 4], 1.0, [4, 5, 4]),
        ([4, 5, 4], 1.1, [4, 6, 4]),  # 14.3 -> 14 clinician-hours: the largest remainder gains one
        ([1, 1, 1, 1], 1.5, [2, 2, 1, 1]),  # 6 whole: ties go to the first hours
        ([95, 85, 85, 85, 90], 0.9, [86, 77, 76, 76, 81]),
    ],
)
def test_apportion_keeps_the_rounded_total(values, factor, expected):
    out = apportion(values, factor)
    assert out == expected
    assert sum(out) == round(sum(values) * factor)


def test_config_values_scale_only_the_named_days_and_round_counts():
    base = load_config("configs/current.yaml")
    slots = base.slot_diaries.practice_111.slots_per_day
    inputs = [
        CalibrationInput(
            "wk", "slot_diaries.practice_111.slots_per_day", 0.8, 1.2, scale=True, entries=(0, 1, 2, 3, 4)
        ),
        CalibrationInput("we", "slot_diaries.practice_111.slots_per_day", 0.8, 1.2, scale=True, entries=(5, 6)),
        CalibrationInput("ed.cubicles", "ed.cubicles", 40, 56),
    ]
    values = config_values(base, inputs, {"wk": 1.0, "we": 0.5, "ed.cubicles": 44.6})
    assert values["slot_diaries.practice_111.slots_per_day"] == [*slots[:5], *apportion(slots[5:], 0.5)]
    assert values["ed.cubicles"] == 45


def test_calibration_file_errors_name_the_field(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("baseline: current.yaml\ninputs:\n  ed.cubicles: {low: 50, high: 40}\n")
    with pytest.raises(ConfigError, match="inputs.ed.cubicles"):
        load_calibration(path)
    path.write_text("baseline: current.yaml\ninputs:\n  x: {low: 0, high: 1, entries: [1]}\n")
    with pytest.raises(ConfigError, match="scale: true"):
        load_calibration(path)


def test_shipped_calibration_file_reads():
    spec = load_calibration("configs/calibration.yaml")
    assert {
        "calibration.current_redirection_propensity",
        "calibration.current_redirections_share_at_ia",
        "utc_rota_scale",
        "practice_111_weekday_scale",
    } <= set(spec.inputs)
    assert spec.waves.cutoff == 3.0


def _runs(values):
    return pd.DataFrame({"design": 0, "replication": range(len(values)), "y1": values})


def test_the_final_check_allows_for_the_noise_of_a_mean_of_few_replications():
    """By hand: runs 10, 12, 14 have mean 12, sample SD 2, standard error 2 / sqrt(3) = 1.155."""
    runs = _runs([10.0, 12.0, 14.0])
    in_range = Aim("t", "y1", 12.0, 11.0, 13.0)
    just_over = Aim("t", "y1", 10.0, 9.0, 11.0)  # the mean misses the top by 1.0 < 2 x 1.155
    far_over = Aim("t", "y1", 8.0, 7.0, 9.0)  # misses by 3.0 > 2.31
    assert meets_every_range(runs, [in_range], allowance=0.0)
    assert not meets_every_range(runs, [just_over], allowance=0.0)
    assert meets_every_range(runs, [just_over], allowance=2.0)
    assert not meets_every_range(runs, [just_over], allowance=0.8)  # 0.8 x 1.155 = 0.92 < 1.0
    assert not meets_every_range(runs, [far_over], allowance=2.0)
    assert not meets_every_range(runs, [in_range, far_over], allowance=2.0)  # every range, not most
    # one replication: no standard error, so the mean itself must be within
    assert not meets_every_range(_runs([12.0]), [just_over], allowance=2.0)
    assert meets_every_range(_runs([10.5]), [just_over], allowance=2.0)


def test_with_no_allowance_every_plausible_set_is_strictly_within():
    truth = {"a": 0.5, "b": 1.0}
    targets = synthetic_targets(AIMS, toy(1003), truth, 20, {"t1": 1.5, "t2": 1.5})
    strict = FinalSettings(points=40, replications=4, noise_allowance=0.0)
    result = history_match(INPUTS, targets, toy(3), WAVES, strict, budget=400, seed=3)
    widened = history_match(INPUTS, targets, toy(3), WAVES, FINAL, budget=400, seed=3)
    assert len(result.plausible) >= 1
    for t in targets:
        assert result.plausible[f"{t.name}__mean"].between(t.low, t.high).all()
    # the same final check's sets: the widened check accepts each strict one, and maybe more
    assert set(result.plausible["point"]) <= set(widened.plausible["point"])


def test_the_points_check_skips_what_it_cannot_know():
    """A set with one replication (no variance) or a table with no spread recorded: the mean itself within."""
    from sim.experiments.calibration import _within

    aim = Aim("t", "y1", 10.0, 9.0, 11.0)
    points = pd.DataFrame({"t__mean": [11.5, 11.5, 10.5], "t__var": [np.nan, 1.0, np.nan], "replications": [1, 4, 1]})
    # set 0: one replication, no standard error; set 1: 11.5 within 11 + 2 x sqrt(1 / 4) = 12; set 2: within
    assert _within(points, [aim], 2.0).tolist() == [False, True, True]
    assert _within(points, [aim], 0.0).tolist() == [False, False, True]
    bare = points[["t__mean"]]
    assert _within(bare, [aim], 2.0).tolist() == [False, False, True]
