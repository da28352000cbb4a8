"""The app's inputs as plain data, and the two configs (baseline and scenario) they make.

``Choices`` holds every value the sidebar offers. ``build_configs`` applies them
to the pathway's config (the scenario) and to the shipped current pathway (the
baseline) and validates both; a bad value raises the config's one-line
``ConfigError``. Facts about patients and demand (eligibility, acceptance,
growth) and the run settings apply to both arms, so the comparison stays paired
on the same patients; everything else changes the scenario only.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import numpy as np
import yaml

from ..inputs.calendar import expand_weekly
from ..inputs.config import SHIPPED_CONFIGS, Changes, Config, ConfigError, load_config
from ..inputs.parameters import ParameterSpace

CONFIGS = SHIPPED_CONFIGS
SHIPPED = MappingProxyType({"current": CONFIGS / "current.yaml", "redesign": CONFIGS / "redesign.yaml"})
PROVIDERS = ("gpcg_sda", "pcn_sda", "practice_111", "st_andrews_hub")
QUICK_REPLICATIONS = 5
QUICK_DAYS = 28
"""Quick mode: fewer and shorter replications (intervals roughly four times as wide)."""


@dataclass(frozen=True)
class Choices:
    """Every input the app offers, in the config's units (shares 0-1, hours 0-24)."""

    changes: dict[str, bool]
    redirection_rate: float
    window: tuple[float, float]
    care_navigator_books: bool
    sda_eligible: float
    accepts_redirection: float
    slots: dict[str, list[int]]
    ia_nurses_added: int
    ia_minutes: float
    utc_clinicians_added: int
    growth: float
    replications: int
    days: int
    seed: int
    quick: bool = False
    slot_hours: dict[str, list | None] = field(default_factory=dict)
    """Per provider: how the day's slots are shared among clock hours (``hour_weights``); ``None`` = evenly."""
    rotas: dict[str, list] = field(default_factory=dict)
    """Staff on duty as edited (7 x 24), by group (``utc_clinician``, ``ia_nurse``, ``care_navigator``);
    a group not given keeps the pathway's rota. The ``*_added`` counts go on top."""
    label: str = field(default="", compare=False)

    def with_value(self, name: str, value) -> Choices:
        """A copy with one input replaced (``slots.gpcg_sda`` sets that provider's whole week)."""
        if name.startswith("slots."):
            provider = name.split(".", 1)[1]
            return replace(self, slots={**self.slots, provider: [int(value)] * 7})
        return replace(self, **{name: value})


def ia_policy(changes: dict[str, bool]) -> str:
    """The redirection policy in force: X8's, or today's."""
    return "redirection_x8" if changes.get("x8_ia_nurse_redirects") else "redirection_current"


def redirection_rate(cfg: Config, policy_name: str) -> float:
    """The IA nurse's redirection rate under a policy; today's comes from ``calibration`` unless set."""
    if policy_name == "redirection_current":
        return cfg.ia_redirect_probability_current
    return getattr(cfg.ia_nurse, policy_name).probability


def time_field(dist: dict) -> str | None:
    """The field holding a distribution's typical time: ``value`` if fixed, else ``mean`` (if it has one)."""
    if dist.get("dist") == "fixed":
        return "value"
    return "mean" if "mean" in dist else None


def choices_from_config(cfg: Config) -> Choices:
    """The inputs as a pathway's config sets them (the app's defaults)."""
    changes = cfg.changes.model_dump()
    policy = getattr(cfg.ia_nurse, ia_policy(changes))
    ia_time = cfg.ia_nurse.time_min.model_dump()
    ia_field = time_field(ia_time)
    return Choices(
        changes=changes,
        redirection_rate=redirection_rate(cfg, ia_policy(changes)),
        window=(policy.start_hour, policy.end_hour),
        care_navigator_books=policy.care_navigator_books,
        sda_eligible=cfg.patients.sda_eligible,
        accepts_redirection=cfg.patients.accepts_redirection,
        slots={p: list(getattr(cfg.slot_diaries, p).slots_per_day) for p in PROVIDERS},
        ia_nurses_added=0,
        ia_minutes=float(ia_time[ia_field]) if ia_field else float("nan"),
        utc_clinicians_added=0,
        growth=cfg.demand.walk_in.growth,
        replications=cfg.run.replications,
        days=cfg.run.days,
        seed=cfg.run.seed,
        slot_hours={p: getattr(cfg.slot_diaries, p).hour_weights for p in PROVIDERS},
    )


def session_hours(diary) -> list[int]:
    """Clock hours (0-23) that overlap a slot diary's session."""
    return [h for h in range(24) if h + 1 > diary.session_start_hour and h < diary.session_end_hour]


def demand_weights(diary, hour_of_day: list[float]) -> list[float]:
    """Hour weights that follow a 24-hour demand shape inside the diary's session (0 outside it)."""
    inside = set(session_hours(diary))
    return [float(w) if h in inside else 0.0 for h, w in enumerate(hour_of_day)]


def add_to_rota(rota, extra: int):
    """A staffing rota (a number, 24 hourly values or 7 x 24) with ``extra`` added to every hour."""
    if isinstance(rota, list):
        return [add_to_rota(v, extra) for v in rota]
    return rota + extra


def rota_minimum(rota) -> int:
    """The fewest staff on duty in any hour of a rota."""
    if isinstance(rota, list):
        return min(rota_minimum(v) for v in rota)
    return int(rota)


ROTA_PATHS = MappingProxyType(
    {
        "utc_clinician": ("utc", "clinicians"),
        "ia_nurse": ("ia_nurse", "nurses"),
        "care_navigator": ("care_navigator", "navigators"),
    }
)


def _rota(pathway: Config, choices: Choices, group: str, added: int = 0):
    """A group's rota in the scenario: the edited one if it differs from the pathway's, plus ``added``."""
    block, name = ROTA_PATHS[group]
    own = getattr(getattr(pathway, block), name)
    edited = choices.rotas.get(group)
    rota = own if edited is None or np.array_equal(expand_weekly(edited), expand_weekly(own)) else edited
    return add_to_rota(rota, added) if added else rota


def run_settings(choices: Choices) -> dict:
    """Replications, days and seed, after quick mode."""
    if choices.quick:
        return {
            "replications": min(choices.replications, QUICK_REPLICATIONS),
            "days": min(choices.days, QUICK_DAYS),
            "seed": choices.seed,
        }
    return {"replications": choices.replications, "days": choices.days, "seed": choices.seed}


def _facts(cfg: Config, choices: Choices) -> dict:
    """The inputs shared by both arms, by parameter path: patients, demand growth, run settings."""
    values = {
        "patients.sda_eligible": choices.sda_eligible,
        "patients.accepts_redirection": choices.accepts_redirection,
    }
    values.update({f"demand.{channel}.growth": choices.growth for channel in cfg.demand.model_dump()})
    values.update({f"run.{name}": value for name, value in run_settings(choices).items()})
    return values


def build_configs(pathway: Config, current: Config, choices: Choices) -> tuple[Config, Config]:
    """The baseline (the current pathway) and the scenario (the pathway with the inputs applied).

    The inputs are set through the parameter space (``sim/inputs/parameters.py``),
    as sweeps and switching values set theirs.

    Raises
    ------
    ConfigError
        One line naming the field and value, if an input is out of range.
    """
    if choices.window[1] <= choices.window[0]:
        raise ConfigError(
            f"redirection window {choices.window[0]:05.2f}-{choices.window[1]:05.2f}: no hours in it; "
            "the window must end after it starts".replace(".50", ":30").replace(".00", ":00")
        )
    space = ParameterSpace([])  # every path read from the schema
    baseline = space.apply(current, _facts(current, choices), "inputs")
    values = _facts(pathway, choices)
    changes = {name: bool(choices.changes[name]) for name in Changes.model_fields}
    values.update({f"changes.{name}": on for name, on in changes.items()})
    policy = f"ia_nurse.{ia_policy(changes)}"
    if abs(choices.redirection_rate - redirection_rate(pathway, ia_policy(changes))) > 1e-6:
        values[f"{policy}.probability"] = choices.redirection_rate  # else today's stays read from calibration
    values.update(
        {
            f"{policy}.start_hour": choices.window[0],
            f"{policy}.end_hour": choices.window[1],
            f"{policy}.care_navigator_books": choices.care_navigator_books,
        }
    )
    for provider, week in choices.slots.items():
        values[f"slot_diaries.{provider}.slots_per_day"] = [int(v) for v in week]
    for provider, weights in choices.slot_hours.items():
        values[f"slot_diaries.{provider}.hour_weights"] = weights
    values["ia_nurse.nurses"] = _rota(pathway, choices, "ia_nurse", choices.ia_nurses_added)
    values["care_navigator.navigators"] = _rota(pathway, choices, "care_navigator")
    ia_field = time_field(pathway.ia_nurse.time_min.model_dump())
    if ia_field:
        values[f"ia_nurse.time_min.{ia_field}"] = choices.ia_minutes
    values["utc.clinicians"] = _rota(pathway, choices, "utc_clinician", choices.utc_clinicians_added)
    values["run"] = baseline.run.model_dump()  # paired: the same patients in both arms
    scenario = space.apply(pathway, values, "inputs")
    return baseline, scenario.model_copy(update={"description": f"{pathway.description} (inputs set in the web app)"})


def config_yaml(cfg: Config) -> str:
    """The whole config as YAML: ``load_config`` reads it back and ``run_sim.py run`` runs it."""
    header = (
        f"# {cfg.name}: {cfg.description}\n"
        "# Every parameter, as used in the web app. Run it with: python run_sim.py run THIS_FILE\n"
    )
    return header + yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def load_uploaded(name: str, content: bytes) -> Config:
    """Validate an uploaded YAML config; ``extends:`` may name a shipped config (``base.yaml``).

    Raises ``ConfigError`` with the loader's one-line message, naming the upload.
    """
    shown = filename = Path(name).name or "uploaded.yaml"
    with tempfile.TemporaryDirectory(prefix="sim-upload-") as tmp:
        folder = Path(tmp)
        for shipped in ("base.yaml", "current.yaml", "redesign.yaml"):
            shutil.copyfile(CONFIGS / shipped, folder / shipped)
        if filename in ("base.yaml", "current.yaml", "redesign.yaml"):
            filename = f"uploaded_{filename}"
        path = folder / filename
        path.write_bytes(content)
        try:
            return load_config(path)
        except ConfigError as exc:
            raise ConfigError(str(exc).replace(str(path), shown).replace(f"{folder}/", "")) from None
