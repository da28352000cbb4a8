"""The command line as a new user meets it: every refusal is one line, every default is shown."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from sim.cli import build_parser, main

from ..conftest import ROOT

SHORT = ["--reps", "2", "--days", "3", "--warmup-days", "1", "--quiet"]


def _cli(*argv, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "run_sim.py", *argv], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False, **kw
    )


def test_a_change_named_twice_in_order_is_refused(tmp_path, capsys):
    code = main(
        [
            "attribute",
            "configs/current.yaml",
            "configs/redesign.yaml",
            "--order",
            "x8,x8",
            *SHORT,
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err == "error: --order: 'x8' is given twice (each change once)\n"
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    ("command", "folder"),
    [
        ("run", "results/<the config's name>"),
        ("compare", "results/<baseline name>_vs_<scenario name>"),
        ("attribute", "results/<baseline name>_vs_<scenario name>_attribution"),
        ("validate", "results/validation"),
        ("sweep", "results/sweep_<the sweep's name>"),
        ("warmup", "results/warmup_<the config's name>"),
    ],
)
def test_every_help_shows_its_real_output_folder_and_every_default(command, folder):
    sub = build_parser()._subparsers._group_actions[0].choices[command]
    text = " ".join(sub.format_help().split())
    assert f"(default: {folder}" in text
    for action in sub._actions:
        if action.option_strings and action.dest != "help":
            assert "default" in (action.help or ""), f"{command} {action.option_strings[0]} shows no default"


def test_one_replication_warns_that_it_gives_no_interval(tmp_path, capsys):
    code = main(
        [
            "run",
            "configs/current.yaml",
            "--reps",
            "1",
            "--days",
            "2",
            "--warmup-days",
            "0",
            "--quiet",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    assert "warning: 1 replication gives no confidence interval" in capsys.readouterr().err
    kpis = pd.read_csv(tmp_path / "o" / "kpis.csv")
    assert kpis["ci_low"].isna().all()


def test_a_sweep_file_given_to_run_and_a_scenario_given_to_sweep_name_their_command(tmp_path, capsys):
    sweep = "configs/sweeps/ia_redirection.yaml"
    assert main(["run", sweep, *SHORT, "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {sweep}: this is a sweep file, not a scenario: run it with `run_sim.py sweep {sweep}`\n"
    assert main(["sweep", "configs/redesign.yaml", *SHORT, "--out", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "error: configs/redesign.yaml: this is a scenario config, not a sweep file: "
        "run it with `run_sim.py run configs/redesign.yaml`"
    )
    assert err.count("\n") == 1
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_set_changes_one_parameter_and_is_checked_like_a_config(tmp_path, capsys):
    out = tmp_path / "set"
    assert main(["run", "configs/current.yaml", *SHORT, "--set", "patients.sda_eligible=0.5", "--out", str(out)]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["configs"]["scenario"]["patients"]["sda_eligible"] == 0.5
    for bad, message in [
        ("patients.sda_eligible=1.5", "patients.sda_eligible = 1.5"),
        ("patients.sda_eligble=0.5", "--set: patients.sda_eligble: no such parameter"),
        ("patients.sda_eligible", "--set 'patients.sda_eligible': give PATH=VALUE"),
    ]:
        assert (
            main(
                [
                    "compare",
                    "configs/current.yaml",
                    "configs/redesign.yaml",
                    *SHORT,
                    "--set",
                    bad,
                    "--out",
                    str(tmp_path / "bad"),
                ]
            )
            == 2
        ), bad
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "bad").exists()


def test_version():
    proc = _cli("--version")
    assert proc.returncode == 0
    assert proc.stdout.startswith("run_sim.py ") and proc.stdout.split()[1][0].isdigit()


def test_warmup_refuses_a_run_too_short_to_place_a_cut(tmp_path, capsys):
    code = main(["warmup", "configs/current.yaml", "--reps", "2", "--days", "3", "--out", str(tmp_path / "w")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --days 3: too short to find a warm-up") and len(err.splitlines()) == 1
    assert not (tmp_path / "w").exists()


def test_app_on_a_port_in_use_is_one_line_and_exit_2(capsys):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("localhost", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["app", "--port", str(port)])
    err = capsys.readouterr().err
    assert (
        code == 2 and err == f"error: --port {port}: already in use on this machine; choose another, e.g. --port 8502\n"
    )
