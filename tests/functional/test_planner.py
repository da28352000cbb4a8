"""The capacity planner against an exhaustive reference, an impossible plan, and the command.

The toy pathway (a quarter of the demand, 8 days) keeps these under a minute; the full check,
64 plans and 10 seeds, is benchmarks/bench_planner.py.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments.planner import exhaustive, plans_table, resolve, run_plan
from sim.inputs.plan import load_plan

from ..conftest import CONFIGS

TOY = CONFIGS / "plans" / "toy.yaml"


def _toy(**changes):
    plan, folder = load_plan(TOY)
    return plan.model_copy(update=changes), folder


def _small_toy():
    """16 plans: weekday and weekend GPCG SDA slots, one UTC daytime clinician."""
    plan, folder = _toy()
    variables = dict(plan.variables)
    variables["utc_daytime_clinicians"] = variables["utc_daytime_clinicians"].model_copy(update={"upper": 1})
    plan = plan.model_copy(
        update={
            "variables": variables,
            "search": plan.search.model_copy(update={"trials": 12, "batch": 4}),
            "selection": plan.selection.model_copy(update={"candidates": 3}),
        }
    )
    return plan, folder


def test_planner_returns_the_exhaustive_best_for_a_quarter_of_its_budget():
    plan, folder = _small_toy()
    scenario, baseline, case = resolve(plan, folder)
    reference_reps = 25
    table, best = exhaustive(plan, scenario, baseline, case, reference_reps)
    assert len(table) == 16 and best is not None
    # the answer is not trivial: cheaper plans miss a target
    assert not table.iloc[0]["meets_targets"]
    quarter = len(table) * reference_reps // 4
    for seed in (1, 2):
        seeded = plan.model_copy(update={"search": plan.search.model_copy(update={"seed": seed})})
        result = run_plan(seeded, scenario, baseline, case, budget=quarter, progress=False)
        assert result.evaluator.spent <= quarter
        assert result.selection.chosen == best, (seed, result.selection)
        assert result.selection.guaranteed


def test_no_feasible_plan_names_the_binding_target(tmp_path, capsys):
    data = yaml.safe_load(TOY.read_text())
    for key in ("scenario", "baseline", "business_case"):
        data[key] = str((TOY.parent / data[key]).resolve())
    data["constraints"] = [
        {"kpi": "sda_redirections_front_door_per_day", "at_least": 30, "tolerance": 0.5},
        {"kpi": "utc_within_4h_pct", "at_least": 90, "tolerance": 1},
    ]
    data["search"] = {"trials": 8, "replications": 3, "batch": 4, "seed": 1}
    data["selection"] = {"candidates": 2, "first_replications": 4, "max_replications": 10}
    path = tmp_path / "impossible.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    code = main(["plan", str(path), "--budget", "80", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "No plan found meets every target" in printed
    assert "Binding target: Front-door redirections to GPCG SDA a day at least 30" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["plan"]["chosen"] is None
    assert manifest["plan"]["binding"]["kpi"] == "sda_redirections_front_door_per_day"
    assert manifest["plan"]["budget_used"] <= 80
    assert not (out / "chosen_plan.yaml").exists()
    evaluations = pd.read_parquet(out / "evaluations.parquet")
    assert {"plan", "stage", "replication", "gpcg_weekday_slots", "net_recurrent_cost_gbp"} <= set(evaluations)
    assert (evaluations["plan"] == "baseline").any()
    assert (out / "search.png").stat().st_size > 0 and (out / "study.db").stat().st_size > 0


def test_plan_command_writes_a_ready_config(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["plan", str(TOY), "--budget", "150", "--out", str(out), "--quiet"])
    assert code == 0
    chosen = out / "chosen_plan.yaml"
    assert chosen.exists()
    # the chosen plan is a scenario the simulator runs as it is
    assert (
        main(
            [
                "run",
                str(chosen),
                "--reps",
                "1",
                "--days",
                "3",
                "--warmup-days",
                "1",
                "--out",
                str(tmp_path / "run"),
                "--quiet",
            ]
        )
        == 0
    )
    comparison = pd.read_csv(out / "comparison.csv")
    assert comparison.loc[0, "kpi"] == "net_recurrent_cost_gbp"
    assert comparison.loc[0, "label"].startswith("Net recurrent cost")
    pareto = pd.read_csv(out / "pareto.csv")
    assert pareto["cost_mean_gbp"].is_monotonic_increasing
    assert pareto["sda_redirections_front_door_per_day"].is_monotonic_increasing


@pytest.mark.parametrize(
    "args, words",
    [
        (["--budget", "3"], "--budget: must be between 10"),
    ],
)
def test_bad_budget_is_refused(args, words, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["plan", str(TOY), *args])
    assert exit_.value.code == 2 and words in capsys.readouterr().err


def test_bad_plan_file_exits_2_in_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: bad\nscenario: x.yaml\nbaseline: y.yaml\nbusiness_case: z.yaml\n"
        "variables: {a: {kind: staff, station: utc, hours: [8, 9], lower: 1, upper: 2, step: 0}}\n"
    )
    assert main(["plan", str(path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "variables.a" in err and "step = 0" in err


def test_a_rerun_resumes_from_the_study_and_the_kept_replications(tmp_path, monkeypatch):
    from sim.experiments import runner
    from sim.experiments.checkpoint import CheckpointFolder

    plan, folder = _toy()
    plan = plan.model_copy(
        update={
            "search": plan.search.model_copy(update={"trials": 8}),
            "selection": plan.selection.model_copy(
                update={"candidates": 2, "first_replications": 4, "max_replications": 6}
            ),
        }
    )
    scenario, baseline, case = resolve(plan, folder)
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    first = run_plan(
        plan,
        scenario,
        baseline,
        case,
        budget=150,
        checkpoints=CheckpointFolder(tmp_path / "out"),
        storage=storage,
        progress=False,
    )

    def no_simulation(*args, **kwargs):
        raise AssertionError("a kept replication was simulated again")

    monkeypatch.setattr(runner, "run_one", no_simulation)
    said = []
    again = run_plan(
        plan,
        scenario,
        baseline,
        case,
        budget=150,
        checkpoints=CheckpointFolder(tmp_path / "out"),
        storage=storage,
        progress=False,
        say=said.append,
    )
    assert any("resumed the search" in s for s in said)
    assert again.selection.chosen == first.selection.chosen
    assert set(again.evaluator.plans) == set(first.evaluator.plans)


def test_same_answer_and_numbers_serial_or_parallel():
    from pandas.testing import assert_frame_equal

    from sim.experiments.executors import ProcessExecutor
    from sim.experiments.planner import evaluations_table

    plan, folder = _toy()
    plan = plan.model_copy(
        update={
            "search": plan.search.model_copy(update={"trials": 4, "replications": 2}),
            "selection": plan.selection.model_copy(
                update={"candidates": 2, "first_replications": 3, "max_replications": 4}
            ),
        }
    )
    scenario, baseline, case = resolve(plan, folder)
    serial = run_plan(plan, scenario, baseline, case, budget=60, progress=False)
    with ProcessExecutor(2) as executor:
        parallel = run_plan(plan, scenario, baseline, case, budget=60, executor=executor, progress=False)
    assert parallel.selection == serial.selection
    assert_frame_equal(evaluations_table(parallel), evaluations_table(serial))


def test_the_chosen_plan_beside_the_scenario_as_shipped_and_the_progress_reported():
    from sim.experiments.evaluate import evaluate
    from sim.experiments.planner import BASELINE, COST, SHIPPED, shipped_comparison

    plan, folder = _toy()
    plan = plan.model_copy(
        update={
            "search": plan.search.model_copy(update={"trials": 4, "replications": 2}),
            "selection": plan.selection.model_copy(
                update={"candidates": 2, "first_replications": 3, "max_replications": 4}
            ),
        }
    )
    scenario, baseline, case = resolve(plan, folder)
    seen = []
    result = run_plan(
        plan,
        scenario,
        baseline,
        case,
        budget=60,
        progress=False,
        shipped=True,
        on_progress=lambda spent, budget: seen.append((spent, budget)),
    )
    ev = result.evaluator
    assert result.chosen is not None
    n = len(result.chosen.rows)
    # progress: every round reported, never backwards, the selection within the budget, the comparison beyond it
    assert seen and [s for s, _ in seen] == sorted(s for s, _ in seen) and {b for _, b in seen} == {60}
    assert seen[-1][0] == ev.spent and ev.spent - result.reporting <= 60 and result.reporting >= n
    table = shipped_comparison(result).set_index("kpi")
    assert table.index[0] == COST and list(table.index[1:3]) == [c.kpi for c in plan.constraints]
    assert (table["n_reps"] == n).all()
    # the shipped side is the scenario itself on the same replications (the same patients as the plan)
    direct = evaluate(scenario, [{}], n, progress=False)
    kpi = "sda_redirections_front_door_per_day"
    assert table.loc[kpi, "shipped_mean"] == pytest.approx(direct[kpi].mean())
    assert ev.values(SHIPPED, kpi, n).tolist() == direct[kpi].tolist()
    # the toy scenario as shipped: what each variable is there
    assert result.space.scenario_values() == {
        "gpcg_weekday_slots": [float(scenario.slot_diaries.gpcg_sda.slots_per_day[0])],
        "gpcg_weekend_slots": [float(scenario.slot_diaries.gpcg_sda.slots_per_day[5])],
        "utc_daytime_clinicians": [1.0],
    }
    # the scenario as shipped costs no staff hours against itself: its cost differs from the baseline's only by services
    assert np.isfinite(ev.values(SHIPPED, COST, n)).all() and np.isfinite(ev.values(BASELINE, COST, n)).all()
    # the shipped scenario is never a plan tried
    assert SHIPPED not in ev.plans and SHIPPED not in set(plans_table(result)["plan"])
