"""The parameter space: bounds from the schema, one-line errors, apply, reproducible draws."""

import pytest

from sim.inputs.config import SHIPPED_CONFIGS, Config, ConfigError, load_config
from sim.inputs.parameters import Parameter, ParameterError, ParameterSpace, parameter


@pytest.fixture(scope="module")
def cfg() -> Config:
    return load_config(SHIPPED_CONFIGS / "current.yaml")


def test_bounds_and_kind_are_read_from_the_schema():
    share = parameter("patients.sda_eligible")
    assert (share.kind, share.lower, share.upper, share.provenance) == ("float", 0.0, 1.0, "paper")
    slots = parameter("slot_diaries.gpcg_sda.slots_per_day")
    assert (slots.kind, slots.whole, slots.lower, slots.upper) == ("list", True, 0.0, 10_000.0)
    assert not slots.scalar_ok
    rota = parameter("utc.clinicians")
    assert rota.kind == "list" and rota.scalar_ok
    assert parameter("utc.clinicians.11").kind == "int"
    assert parameter("changes.x8_ia_nurse_redirects").kind == "bool"
    assert parameter("ia_nurse.redirection_current.probability").nullable
    appointment = parameter("slot_diaries.pcn_sda.appointment_min")
    assert appointment.lower == 0.0 and appointment.lower_open
    assert parameter("unit_costs_gbp.utc_attendance").unit == "GBP"


def test_an_unknown_path_is_one_line_naming_it():
    with pytest.raises(ParameterError, match=r"^patients\.no_such_share: no such parameter$"):
        parameter("patients.no_such_share")
    with pytest.raises(ConfigError, match=r"^nope\.deeper: no such parameter \(nope is not in the config\)$"):
        parameter("nope.deeper")


@pytest.mark.parametrize(
    "path, value, words",
    [
        ("patients.sda_eligible", 1.5, "patients.sda_eligible = 1.5: must be at most 1"),
        ("patients.sda_eligible", "lots", "must be a number"),
        ("slot_diaries.gpcg_sda.slots_per_day", [30, 2.5], "must be a whole number"),
        ("slot_diaries.pcn_sda.appointment_min", 0.0, "must be above 0"),
        ("changes.x8_ia_nurse_redirects", 1, "must be true or false"),
    ],
)
def test_check_refuses_in_one_line(path, value, words):
    with pytest.raises(ValueError, match=words) as err:
        parameter(path).check(value)
    assert "\n" not in str(err.value)


def test_check_returns_the_value():
    assert parameter("patients.sda_eligible").check(0.7) == 0.7
    assert parameter("run.days").check(7.0) == 7 and isinstance(parameter("run.days").check(7.0), int)
    assert parameter("ia_nurse.redirection_current.probability").check(None) is None


def test_apply_returns_a_new_validated_config(cfg):
    space = ParameterSpace(["patients.sda_eligible", "slot_diaries.gpcg_sda.slots_per_day", "utc.clinicians"])
    assert space.names == ["patients.sda_eligible", "slot_diaries.gpcg_sda.slots_per_day", "utc.clinicians"]
    new = space.apply(
        cfg, {"patients.sda_eligible": 0.5, "slot_diaries.gpcg_sda.slots_per_day": 20, "utc.clinicians": 3}
    )
    assert isinstance(new, Config) and new is not cfg
    assert new.patients.sda_eligible == 0.5
    assert new.slot_diaries.gpcg_sda.slots_per_day == [20] * 7  # one number: every day
    assert new.utc.clinicians == 3  # a rota also takes one number for all week
    assert cfg.patients.sda_eligible != 0.5  # the original is untouched
    whole = space.apply(cfg, {"slot_diaries.gpcg_sda.slots_per_day": [1, 2, 3, 4, 5, 6, 7]})
    assert whole.slot_diaries.gpcg_sda.slots_per_day == [1, 2, 3, 4, 5, 6, 7]
    rounded = space.apply(cfg, {"slot_diaries.gpcg_sda.slots_per_day": 20.4}, rounding=True)
    assert rounded.slot_diaries.gpcg_sda.slots_per_day == [20] * 7


def test_apply_errors_name_source_path_and_value(cfg):
    space = ParameterSpace(["patients.sda_eligible"])
    with pytest.raises(ConfigError, match=r"^my design: patients\.sda_eligible = 1\.5: ") as err:
        space.apply(cfg, {"patients.sda_eligible": 1.5}, source="my design")
    assert "\n" not in str(err.value)
    with pytest.raises(ConfigError, match=r"my design: vary\.patients\.nope: no such parameter"):
        space.apply(cfg, {"patients.nope": 1}, source="my design", prefix="vary.")


def test_sample_is_reproducible_by_seed_and_inside_the_distribution():
    space = ParameterSpace(["patients.sda_eligible", "patients.accepts_redirection"]).with_distributions(
        {
            "patients.sda_eligible": {"dist": "beta", "alpha": 20, "beta": 5},
            "patients.accepts_redirection": {"dist": "uniform", "low": 0.3, "high": 0.5},
        }
    )
    first = space.sample(20, seed=7)
    assert first == space.sample(20, seed=7)
    assert first != space.sample(20, seed=8)
    assert all(0.3 <= p["patients.accepts_redirection"] <= 0.5 for p in first)
    # Latin hypercube: one draw in each of the 20 equally likely strata
    strata = sorted(int((p["patients.accepts_redirection"] - 0.3) / 0.2 * 20) for p in first)
    assert strata == list(range(20))
    shares = [p["patients.sda_eligible"] for p in space.sample(200, seed=1, method="random")]
    assert 0.75 < sum(shares) / len(shares) < 0.85  # beta(20, 5) has mean 0.8


def test_sample_refuses_a_parameter_with_nothing_to_draw_from():
    space = ParameterSpace(["changes.x8_ia_nurse_redirects"])
    with pytest.raises(ParameterError, match="changes.x8_ia_nurse_redirects: no distribution"):
        space.sample(3, seed=1)
    whole = ParameterSpace([Parameter("run.days", "int", 1, 3, None, None, "days", whole=True)])
    assert all(isinstance(p["run.days"], int) for p in whole.sample(5, seed=1))


def test_sweeps_switching_values_and_set_treat_a_list_alike(cfg):
    from sim.experiments.sweep import _with_values, set_parameters
    from sim.experiments.switching import set_input

    path = "slot_diaries.gpcg_sda.slots_per_day"
    made = [
        set_input(cfg, path, 20.0, "switching"),
        set_parameters(cfg, [f"{path}=20"]),
        _with_values(cfg, {path: 20}, "sweep"),
    ]
    assert [c.slot_diaries.gpcg_sda.slots_per_day for c in made] == [[20] * 7] * 3
    with pytest.raises(ConfigError, match=r"^--set: slot_diaries\.gpcg_sda\.slots_per_day\.0 = -1: "):
        set_parameters(cfg, [f"{path}=-1"])


def test_a_registry_entry_may_give_a_distribution(tmp_path):
    from sim.inputs.distributions import Beta
    from sim.inputs.provenance import load_registry

    path = tmp_path / "provenance.yaml"
    path.write_text(
        "patients.sda_eligible:\n  tag: paper\n  unit: share\n  distribution: {dist: beta, alpha: 41, beta: 9}\n",
        encoding="utf-8",
    )
    entry = load_registry(path)["patients.sda_eligible"]
    assert isinstance(entry.distribution, Beta) and entry.distribution.expected == pytest.approx(0.82)
    path.write_text(
        "patients.sda_eligible:\n  tag: paper\n  unit: share\n  distribution: {dist: beta, alpha: -1, beta: 9}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"patients\.sda_eligible\.distribution\.beta\.alpha: ") as err:
        load_registry(path)
    assert "\n" not in str(err.value)
