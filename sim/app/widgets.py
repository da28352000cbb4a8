"""The sidebar: every input, with the pathway's value as default and the schema's bounds.

Each widget's key starts with the pathway (and, for the redirection inputs, the
policy in force), so choosing another pathway or switching X8 shows that
config's own values rather than the last ones typed.
"""

from __future__ import annotations

import hashlib
from types import MappingProxyType

import numpy as np
import pandas as pd
import streamlit as st

from ..inputs.calendar import WEEKDAYS, expand_weekly
from ..inputs.config import (
    ArrivalProfile,
    Config,
    ConfigError,
    PatientCriteria,
    Redirection,
    RunConfig,
    SlotDiary,
    load_config,
)
from ..outputs.labels import CHANGE_NAMES, PROVIDER_NAMES, change_help, change_label
from .editors import ROTA_FIELDS, rota_editor, slots_editor
from .scenario import (
    PROVIDERS,
    QUICK_DAYS,
    QUICK_REPLICATIONS,
    SHIPPED,
    Choices,
    choices_from_config,
    demand_weights,
    ia_policy,
    load_uploaded,
    redirection_rate,
    session_hours,
    time_field,
)
from .schema import bounds

BOTH_ARMS = ("Applies to both arms (a fact about patients or demand): on its own it moves today's pathway "
             "as much as the scenario, so it gives no saving; it changes the saving only through what the "
             "scenario does differently.")

PATHWAYS = MappingProxyType(
    {"current": "Current pathway", "redesign": "Redesigned pathway (X1-X8)", "upload": "Upload a YAML config"})


def _pct_slider(label: str, value: float, model, field: str, key: str, help: str) -> float:
    """A share (0-1 in the config) shown as a percentage slider within the field's bounds."""
    b = bounds(model, field)
    low, high = 100 * (b.low or 0.0), 100 * (b.high if b.high is not None else 1.0)
    return st.slider(label, low, high, round(100 * value, 1), step=1.0, format="%.0f%%", key=key, help=help) / 100


def pathway_config(current: Config) -> tuple[str, Config]:
    """The chosen pathway's id and config; raises ``ConfigError`` for a bad upload."""
    choice = st.radio("Pathway to test", list(PATHWAYS), format_func=PATHWAYS.get, key="pathway",
                      help="The scenario starts from this config; the baseline is always the current pathway.")
    if choice == "current":
        return "current", current
    if choice == "redesign":
        return "redesign", load_config(SHIPPED["redesign"])
    upload = st.file_uploader("Scenario config (YAML)", type=["yaml", "yml"], key="upload",
                              help="A config such as a copy of configs/redesign.yaml, or one downloaded from "
                                   "this app. 'extends: base.yaml' (or current.yaml, redesign.yaml) is allowed.")
    if upload is None:
        raise ConfigError("upload a YAML config, or choose the current or redesigned pathway")
    content = upload.getvalue()
    cfg = load_uploaded(upload.name, content)
    return "upload-" + hashlib.sha256(content).hexdigest()[:12], cfg


def _changes(prefix: str, cfg: Config) -> dict[str, bool]:
    st.subheader("Changes X1-X8")
    defaults = cfg.changes.model_dump()
    return {name: st.toggle(change_label(name), value=defaults[name], key=f"{prefix}|{name}", help=change_help(name))
            for name in CHANGE_NAMES}


def _front_door(prefix: str, cfg: Config, changes: dict[str, bool], defaults: Choices) -> dict:
    st.subheader("Front-door redirection to SDA")
    policy_name = ia_policy(changes)
    policy = getattr(cfg.ia_nurse, policy_name)
    key = f"{prefix}|{policy_name}"
    which = "with X8" if policy_name == "redirection_x8" else "today (without X8)"
    rate = _pct_slider(
        f"IA nurse redirection rate {which}", redirection_rate(cfg, policy_name), Redirection, "probability",
        f"{key}|rate",
        "Of the patients the IA nurse streams to the UTC who are candidates for SDA (registered with a "
        "Tower Hamlets practice, clinically eligible and willing to go), the share redirected to an SDA slot "
        "inside the window below. It is not a share of all patients.")
    hours = bounds(Redirection, "start_hour")
    window = st.slider("Redirection window (clock hours)", hours.low, hours.high,
                       (float(policy.start_hour), float(policy.end_hour)), step=0.5, key=f"{key}|window",
                       help="The IA nurse redirects only between these hours, on the policy's days.")
    navigator = st.toggle("Care Navigator books the SDA slot", value=policy.care_navigator_books,
                          key=f"{key}|navigator",
                          help="On: a Care Navigator books the slot (a short queue for the navigator). "
                               "Off: the IA nurse books it directly.")
    eligible = _pct_slider(
        "Clinically eligible for SDA", defaults.sda_eligible, PatientCriteria, "sda_eligible", f"{prefix}|eligible",
        "Share of UTC-suitable patients a GP could see the same day (a fact about patients: both arms).")
    accepts = _pct_slider(
        "Willing to be redirected", defaults.accepts_redirection, PatientCriteria, "accepts_redirection",
        f"{prefix}|accepts", "Share of eligible patients who agree to go to an SDA slot (both arms).")
    if abs(eligible - defaults.sda_eligible) > 1e-9 or abs(accepts - defaults.accepts_redirection) > 1e-9:
        st.caption(BOTH_ARMS)
    return dict(redirection_rate=rate, window=tuple(window), care_navigator_books=navigator,
                sda_eligible=eligible, accepts_redirection=accepts)


HOUR_MODES = MappingProxyType({
    "even": "evenly over the session",
    "demand": "following front-door arrivals by hour",
    "custom": "by hour, as in the table",
})


def _hour_weights(prefix: str, cfg: Config, provider: str, weights) -> list | None:
    """How the provider's daily slots are shared among clock hours: ``None`` (evenly) or weights."""
    diary = getattr(cfg.slot_diaries, provider)
    hours = session_hours(diary)
    mode = st.selectbox(
        "Slots through the day", list(HOUR_MODES), format_func=HOUR_MODES.get,
        index=0 if weights is None else 2, key=f"{prefix}|hours|{provider}",
        help="Evenly: equal gaps over the session. Following arrivals: more slots in the hours more patients "
             "arrive at the front door. By hour: the weights in the table (relative sizes; each day's total "
             "stays as set above).")
    if mode == "even" or not hours:
        return None
    if mode == "demand":
        return demand_weights(diary, cfg.demand.walk_in.hour_of_day or [1.0] * 24)
    start = expand_weekly(weights).reshape(7, 24) if weights is not None else np.ones((7, 24))
    table = pd.DataFrame(start[:, hours], index=list(WEEKDAYS), columns=[f"{h:02d}:00" for h in hours])
    wb = bounds(SlotDiary, "hour_weights")
    edited = st.data_editor(
        table, key=f"{prefix}|weights|{provider}", width="stretch",
        column_config={c: st.column_config.NumberColumn(c, min_value=wb.low, max_value=wb.high, step=0.5,
                                                        format="%.1f")
                       for c in table.columns})
    week = np.zeros((7, 24))
    week[:, hours] = edited.fillna(0.0).to_numpy(dtype=float)
    return week.tolist()


def slots_and_staff(prefix: str, cfg: Config, defaults: Choices) -> dict:
    """The SDA slot table, how each provider's slots spread through the day, and the staff rotas.

    Returns ``slots``, ``slot_hours`` and ``rotas`` for ``Choices``; raises ``ConfigError`` for a bad cell.
    """
    st.markdown("#### SDA slots a day, by provider and weekday")
    st.caption("Type over a number to change it. Slots added cost money in the net and cash savings "
               "(commissioned slots are paid whether used or not).")
    slots = slots_editor(prefix, defaults.slots)
    hours = {}
    with st.expander("How each provider's slots spread through the day"):
        for provider in PROVIDERS:
            st.markdown(f"**{PROVIDER_NAMES[provider]}**")
            hours[provider] = _hour_weights(prefix, cfg, provider, defaults.slot_hours.get(provider))
    st.markdown("#### Staff rotas, by weekday and hour")
    st.caption("Staff on duty in each hour (a row is the hour it starts: 18:00 = 18:00-19:00), one column a "
               "weekday. Type over a number, or add staff to a block of hours with the button below the table. "
               "Each hour added costs money in the net and cash savings (configs/business_case.yaml staff_hour_gbp).")
    rotas = {}
    for tab, group in zip(st.tabs([ROTA_FIELDS[g][0] for g in ROTA_FIELDS]), ROTA_FIELDS, strict=True):
        with tab:
            rotas[group] = rota_editor(prefix, cfg, group)
    return dict(slots=slots, slot_hours=hours, rotas=rotas)


def _demand_and_ia(prefix: str, cfg: Config, defaults: Choices) -> dict:
    st.subheader("IA time and demand")
    ia_time = cfg.ia_nurse.time_min
    field = time_field(ia_time.model_dump())
    if field is None:
        st.caption(f"Minutes per IA assessment: set by the config ({ia_time.dist} distribution).")
        minutes = defaults.ia_minutes
    else:
        tb = bounds(type(ia_time), field)
        minutes = st.number_input(
            "Minutes per IA assessment", min_value=tb.widget_low(0.5), max_value=tb.high,
            value=float(defaults.ia_minutes), step=0.5,
            key=f"{prefix}|ia_minutes", help="The IA nurse's time with each patient (the mean, if it varies).")
    growth_b = bounds(ArrivalProfile, "growth")
    growth = st.number_input(
        "Demand growth (x)", min_value=growth_b.low, max_value=growth_b.high, value=float(defaults.growth),
        step=0.05, format="%.2f",
        key=f"{prefix}|growth",
        help="Multiplies demand on every channel (walk-ins, NHS 111, practice overflow) in both arms: "
             "1.10 is 10% more patients.")
    if abs(growth - defaults.growth) > 1e-12:
        st.caption(BOTH_ARMS)
    return dict(ia_nurses_added=0, ia_minutes=float(minutes), utc_clinicians_added=0, growth=float(growth))


BROWSER_MAX_INT = 2**53 - 1
"""Largest whole number a browser number box holds exactly (bounds above it are capped here)."""


def _int(value: float | None) -> int | None:
    """A whole-number widget bound (``None``: unbounded), within what the browser can hold."""
    return None if value is None else max(-BROWSER_MAX_INT, min(int(value), BROWSER_MAX_INT))


def _rota_max(rota) -> int:
    if isinstance(rota, list):
        return max(_rota_max(v) for v in rota)
    return int(rota)


def _run_settings(prefix: str, defaults: Choices) -> dict:
    st.subheader("Run")
    reps = bounds(RunConfig, "replications")
    days = bounds(RunConfig, "days")
    seed = bounds(RunConfig, "seed")
    replications = st.number_input("Replications", min_value=int(reps.low), max_value=int(reps.high),
                                   value=defaults.replications, step=1, key=f"{prefix}|reps",
                                   help="Independent runs; more give narrower intervals but take longer.")
    n_days = st.number_input("Days per replication (warm-up included)", min_value=int(days.low),
                             max_value=int(days.high), value=defaults.days, step=7, key=f"{prefix}|days",
                             help="Simulated days in each replication; the first week is warm-up and not counted.")
    n_seed = st.number_input("Seed", min_value=_int(seed.low), max_value=_int(seed.high), value=defaults.seed,
                             step=1, key=f"{prefix}|seed",
                             help="The same seed and inputs always give the same numbers.")
    quick = st.toggle(
        "Quick mode", value=False, key=f"{prefix}|quick",
        help=f"Runs at most {QUICK_REPLICATIONS} replications of {QUICK_DAYS} days: a few seconds instead of about "
             "a minute, but intervals roughly four times as wide (fewer and shorter replications), and each weekday "
             "is seen only three times per replication.")
    if quick:
        st.caption(f"Quick mode: {QUICK_REPLICATIONS} replications x {QUICK_DAYS} days. Good for exploring; "
                   "intervals are wider, so rerun without it before quoting a figure.")
    return dict(replications=int(replications), days=int(n_days), seed=int(n_seed), quick=quick)


def pathway_label(prefix: str) -> str:
    """The chosen pathway in words."""
    return PATHWAYS["upload"] if prefix.startswith("upload") else PATHWAYS[prefix]


def sidebar(current: Config) -> tuple[str, Config, Choices, dict]:
    """Draw the sidebar's inputs: the pathway's id, its config, its defaults and the values chosen.

    The slot and rota tables are drawn on the page (:func:`slots_and_staff`). Raises
    ``ConfigError`` if the uploaded config cannot be used.
    """
    with st.sidebar:
        st.header("Inputs")
        prefix, cfg = pathway_config(current)
        defaults = choices_from_config(cfg)
        changes = _changes(prefix, cfg)
        values = dict(changes=changes)
        values.update(_front_door(prefix, cfg, changes, defaults))
        values.update(_demand_and_ia(prefix, cfg, defaults))
        values.update(_run_settings(prefix, defaults))
    return prefix, cfg, defaults, values
