"""Config loading and validation: every bad input is one clear line, exit 2, nothing written."""

import re
from pathlib import Path

import pytest
import yaml

from sim.cli import main
from sim.inputs.config import ConfigError, load_config

from ..conftest import CONFIGS

PROVENANCE = re.compile(r"\[(paper|public|assumed|calibrated)\]")


def test_shipped_configs_load(current_cfg, redesign_cfg):
    assert current_cfg.name == "current" and redesign_cfg.name == "redesign"
    assert not any(current_cfg.changes.model_dump().values())
    assert all(redesign_cfg.changes.model_dump().values())
    # redesign overrides only what it names; the rest comes from base.yaml
    assert redesign_cfg.demand == current_cfg.demand
    assert redesign_cfg.slot_diaries.gpcg_sda.slots_per_day == [60] * 7


def test_every_default_value_states_its_provenance():
    """Each leaf value in base.yaml carries [paper], [public], [assumed] or [calibrated]."""
    lines = (CONFIGS / "base.yaml").read_text().splitlines()
    missing = []
    for number, line in enumerate(lines, 1):
        body = line.split("#", 1)[0].rstrip()
        if not body.strip() or body.endswith(":"):
            continue  # comments, blank lines and block headers hold no value
        if body.strip().startswith(("name:", "description:")):
            continue
        if body.endswith(",") and not PROVENANCE.search(line):
            continue  # a wrapped list: its tag sits on its last line
        if not PROVENANCE.search(line):
            missing.append(f"{number}: {line.strip()}")
    assert not missing, "values without provenance:\n" + "\n".join(missing)


def _write(tmp_path: Path, text: str | bytes, name="bad.yaml") -> Path:
    path = tmp_path / name
    (path.write_bytes if isinstance(text, bytes) else path.write_text)(text)
    return path


def _with(tmp_path, patch: str) -> Path:
    """A config extending the shipped current.yaml with ``patch`` merged on top."""
    return _write(tmp_path, f"extends: {CONFIGS / 'current.yaml'}\n{patch}")


BAD = {
    "unknown key": ("utc:\n  clinician: 3\n", "utc.clinician"),
    "unknown top-level key": ("wibble: 1\n", "wibble"),
    "wrong type": ("ed:\n  cubicles: many\n", "ed.cubicles"),
    "string number": ("run:\n  days: '30'\n", "run.days"),
    "probability above 1": ("patients:\n  accepts_redirection: 1.5\n", "patients.accepts_redirection"),
    "negative probability": ("demand:\n  walk_in:\n    registered_th: -0.1\n", "demand.walk_in.registered_th"),
    "negative capacity": (
        "slot_diaries:\n  gpcg_sda:\n    slots_per_day: [30, 30, -1, 30, 30, 30, 0]\n",
        "slot_diaries.gpcg_sda.slots_per_day",
    ),
    "negative rota": ("ed:\n  cubicles: -4\n", "ed.cubicles"),
    "profile too short": ("demand:\n  walk_in:\n    hour_of_day: [1, 1, 1]\n", "demand.walk_in.hour_of_day"),
    "week too long": ("demand:\n  nhs111:\n    day_of_week: [1, 1, 1, 1, 1, 1, 1, 1]\n", "demand.nhs111.day_of_week"),
    "rota wrong length": ("utc:\n  clinicians: [1, 2, 3]\n", "utc.clinicians"),
    "dispositions do not sum to 1": (
        "demand:\n  nhs111:\n    dispositions:\n      ambulance: 0.5\n",
        "demand.nhs111.dispositions",
    ),
    "unknown distribution": ("ed:\n  time_min: {dist: weibull, mean: 3}\n", "ed.time_min"),
    "warm-up longer than run": ("run:\n  days: 5\n  warmup_days: 5\n", "run.warmup_days"),
    "redirection window reversed": (
        "ia_nurse:\n  redirection_x8:\n    start_hour: 20\n    end_hour: 8\n",
        "ia_nurse.redirection_x8",
    ),
    "infinite demand": ("demand:\n  walk_in:\n    mean_per_day: .inf\n", "demand.walk_in.mean_per_day"),
    "switch not a bool": ("changes:\n  x8_ia_nurse_redirects: 'yes'\n", "changes.x8_ia_nurse_redirects"),
    "booking order repeats a diary": (
        "demand:\n  nhs111:\n    booking_order: [pcn_sda, practice_111, pcn_sda]\n",
        "demand.nhs111.booking_order",
    ),
    "booking order unknown diary": (
        "demand:\n  nhs111:\n    booking_order: [practice_111, gpcg_sda]\n",
        "demand.nhs111.booking_order",
    ),
    "booking order empty": ("demand:\n  nhs111:\n    booking_order: []\n", "demand.nhs111.booking_order"),
    "carve-out outside the PCN diary": (
        "slot_diaries:\n  gpcg_sda:\n    carve_out: {nhs111: 0.5}\n",
        "gpcg_sda.carve_out",
    ),
    "carve-out share above 1": (
        "slot_diaries:\n  pcn_sda:\n    carve_out: {nhs111: 1.5}\n",
        "slot_diaries.pcn_sda.carve_out.nhs111",
    ),
    "slot weight outside the session": (
        "slot_diaries:\n  gpcg_sda:\n    hour_weights: " + str([1] * 24) + "\n",
        "slot_diaries.gpcg_sda",
    ),
    "slot weights of the wrong length": (
        "slot_diaries:\n  gpcg_sda:\n    hour_weights: [1, 1, 1]\n",
        "slot_diaries.gpcg_sda.hour_weights",
    ),
    "next-day acceptance above 1": (
        "ia_nurse:\n  redirection_x8:\n    next_day_accept_probability: 2\n",
        "ia_nurse.redirection_x8.next_day_accept_probability",
    ),
    "triage window reversed": ("utc:\n  triage_window:\n    start_hour: 20\n    end_hour: 8\n", "utc.triage_window"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_one_line_exit_2_nothing_written(case, tmp_path, capsys):
    patch, field = BAD[case]
    path = _with(tmp_path, patch)
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert field in err, err
    assert "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if "partial" in p.name]


def test_error_names_value(tmp_path, capsys):
    main(["run", str(_with(tmp_path, "patients:\n  accepts_redirection: 1.5\n")), "--quiet"])
    assert "= 1.5" in capsys.readouterr().err


def test_missing_file(tmp_path, capsys):
    code = main(["run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "nope.yaml" in err and "not found" in err
    assert not (tmp_path / "o").exists()


def test_missing_parent_file(tmp_path, capsys):
    path = _write(tmp_path, "extends: missing_base.yaml\n")
    assert main(["run", str(path), "--quiet"]) == 2
    assert "missing_base.yaml" in capsys.readouterr().err


def test_truncated_yaml(tmp_path, capsys):
    text = (CONFIGS / "base.yaml").read_text()
    path = _write(tmp_path, text[: text.index("hour_of_day") + 30])
    assert main(["run", str(path), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "bad.yaml" in err


def test_not_utf8(tmp_path, capsys):
    path = _write(tmp_path, b"name: \xff\xfe\n")
    assert main(["run", str(path), "--quiet"]) == 2
    assert "UTF-8" in capsys.readouterr().err


def test_missing_required_field(tmp_path):
    data = yaml.safe_load((CONFIGS / "base.yaml").read_text())
    del data["utc"]["consult_time_min"]
    path = _write(tmp_path, yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"utc\.consult_time_min: required field missing"):
        load_config(path)


@pytest.mark.parametrize(
    "flag,value,field",
    [("--reps", "0", "run.replications"), ("--days", "-3", "run.days"), ("--seed", "-1", "run.seed")],
)
def test_bad_command_line_values(flag, value, field, tmp_path, capsys):
    code = main(["run", str(CONFIGS / "current.yaml"), flag, value, "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and field in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_extends_loop(tmp_path, capsys):
    _write(tmp_path, "extends: b.yaml\n", "a.yaml")
    _write(tmp_path, "extends: a.yaml\n", "b.yaml")
    assert main(["run", str(tmp_path / "a.yaml"), "--quiet"]) == 2
    assert "loop" in capsys.readouterr().err


def test_error_path_is_the_yaml_path(tmp_path, capsys):
    """No pydantic branch labels (constrained-int, lognormal, ...) in the field path."""
    main(["run", str(_with(tmp_path, "ed:\n  time_min: {dist: lognormal, mean: -3, sd: 1}\n")), "--quiet"])
    assert "ed.time_min.mean = -3:" in capsys.readouterr().err
    main(["run", str(_with(tmp_path, "ed:\n  cubicles: -4\n")), "--quiet"])
    assert "ed.cubicles = -4:" in capsys.readouterr().err
    main(["run", str(_with(tmp_path, "utc:\n  clinician: 3\n")), "--quiet"])
    assert capsys.readouterr().err.strip().endswith("utc.clinician: unknown field")


def test_a_distribution_override_replaces_the_parent_distribution(tmp_path):
    """Switching lognormal (mean, sd) to exponential (mean) must not inherit the parent's sd."""
    cfg = load_config(_with(tmp_path, "ed:\n  time_min: {dist: exponential, mean: 30}\n"))
    assert cfg.ed.time_min.dist == "exponential" and cfg.ed.time_min.mean == 30


def test_run_level_errors_do_not_dump_the_config(tmp_path, capsys):
    main(["run", str(_with(tmp_path, "run:\n  days: 5\n  warmup_days: 5\n")), "--quiet"])
    err = capsys.readouterr().err
    assert "warmup_days (5) must be less than run.days (5)" in err and "description" not in err


def test_the_config_module_still_offers_every_name_of_the_modules_it_gathers():
    """``sim.inputs.config`` was split along its ideas; every public name of the parts is importable from it."""
    import ast
    import inspect

    import sim.inputs.config as config
    from sim.inputs import errors, loading, overrides, schema

    for part in (schema, loading, errors):
        tree = ast.parse(inspect.getsource(part))
        defined = {node.name for node in tree.body if isinstance(node, (ast.ClassDef, ast.FunctionDef))}
        defined |= {
            target.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        missing = sorted(
            name
            for name in defined
            if not name.startswith("_") and getattr(config, name, None) is not getattr(part, name)
        )
        assert not missing, f"{part.__name__}: {missing} not re-exported by sim.inputs.config"
    assert config.apply_overrides is overrides.apply_overrides
    assert config.Config.__module__ == "sim.inputs.schema"
