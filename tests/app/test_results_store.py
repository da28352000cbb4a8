"""The app's numbers and the command line's come from one code path: the results store."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from sim.app.scenario import build_configs, choices_from_config, config_yaml
from sim.app.simulate import replications, run_all, session_store, summary
from sim.cli import main
from sim.experiments.runner import run_replications, summary_table
from sim.experiments.store import replication_key


def test_the_apps_results_equal_the_command_lines_for_the_same_config(current_cfg, redesign_cfg, tmp_path):
    choices = replace(choices_from_config(redesign_cfg), replications=2, days=9, sda_eligible=0.7)
    baseline, scenario = build_configs(redesign_cfg, current_cfg, choices)
    store = session_store({})
    progress = []
    assert (
        run_all(
            [("current pathway", baseline), ("scenario", scenario)],
            store,
            lambda done, total, label: progress.append((done, total)),
        )
        == 4
    )
    assert progress[-1] == (4, 4)
    assert run_all([("scenario", scenario)], store) == 0  # kept in the session: nothing runs again
    app = summary(replications(scenario, store))

    path = tmp_path / "scenario.yaml"
    path.write_text(config_yaml(scenario), encoding="utf-8")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    cli = pd.read_csv(tmp_path / "out" / "summary.csv")
    assert list(cli["replication"]) == [0, 1]
    # the CSV holds 7 decimals; the runner's own table is equal to the last bit
    pd.testing.assert_frame_equal(app[cli.columns].reset_index(drop=True), cli, check_dtype=False, rtol=0, atol=1e-6)
    pd.testing.assert_frame_equal(app, summary_table(run_replications(scenario, progress=False)), check_exact=True)


def test_one_key_for_the_session_and_the_disk(current_cfg):
    renamed = current_cfg.model_copy(
        update={"name": "other", "description": "x", "run": current_cfg.run.model_copy(update={"replications": 3})}
    )
    assert replication_key(renamed) == replication_key(current_cfg)
    store = session_store({})
    assert store.for_scenario(renamed)._key == replication_key(current_cfg)
