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
from . import address
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
from .schema import Bounds, allowed, bounds, read_number

BOTH_ARMS = (
    "Applies to both arms (a fact about patients or demand): on its own it moves today's pathway "
    "as much as the scenario, so it gives no saving; it changes the saving only through what the "
    "scenario does differently."
)

PATHWAYS = MappingProxyType(
    {"current": "Current pathway", "redesign": "Redesigned pathway (X1-X8)", "upload": "Upload a YAML config"}
)


def _pct_slider(label: str, value: float, model, field: str, key: str, help: str) -> float:
    """A share (0-1 in the config) shown as a percentage slider within the field's bounds.

    ``key`` is ``prefix|name``: ``name`` is the slider's name in the page's address.
    """
    b = bounds(model, field)
    low, high = 100 * (b.low or 0.0), 100 * (b.high if b.high is not None else 1.0)
    prefix, name = key.split("|", 1)
    default = address.number(round(100 * value, 1))
    start = _float(address.initial(prefix, name, default), round(100 * value, 1))
    chosen = st.slider(label, low, high, min(max(start, low), high), step=1.0, format="%.0f%%", key=key, help=help)
    address.remember(name, address.number(chosen), default)
    return chosen / 100


def _float(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def _toggle(label: str, value: bool, prefix: str, name: str, help: str) -> bool:
    """A switch that starts from the page's address (a reload keeps it)."""
    default = address.on_off(value)
    on = st.toggle(label, value=address.initial(prefix, name, default) == "1", key=f"{prefix}|{name}", help=help)
    address.remember(name, address.on_off(on), default)
    return on


def number_box(
    label: str,
    prefix: str,
    name: str,
    default: float,
    b: Bounds,
    problems: list[str],
    *,
    whole: bool | None = None,
    text: str | None = None,
    help: str | None = None,
    container=st,
) -> float | int | None:
    """A box the lead types a number in, checked against the schema's bounds and never clamped.

    A number out of range, or not a number, is shown as wrong just below the box in one
    line naming the box and what was typed; the line is added to ``problems`` (Run is
    refused while any is there) and ``None`` is returned.

    Parameters
    ----------
    label : the box's label in words
    prefix, name : the pathway's id and the input's name (the widget key is ``prefix|name``)
    default : the pathway's value
    b : the allowed range (:func:`sim.app.schema.bounds`)
    problems : collects the messages of wrong inputs
    text : the default as shown (``1.00``); ``f"{default:g}"`` if not given
    """
    shown = text if text is not None else address.number(default)
    typed = container.text_input(label, value=address.initial(prefix, name, shown), key=f"{prefix}|{name}", help=help)
    address.remember(name, typed, shown)
    try:
        return read_number(typed, label, b, whole)
    except ConfigError as exc:
        container.error(str(exc))
        problems.append(str(exc))
        return None


def pathway_config(current: Config) -> tuple[str, Config]:
    """The chosen pathway's id and config; raises ``ConfigError`` for a bad upload."""
    started = address.started_pathway()
    start = "upload" if started.startswith("upload") else started
    choice = st.radio(
        "Pathway to test",
        list(PATHWAYS),
        format_func=PATHWAYS.get,
        key=address.PATHWAY,
        index=list(PATHWAYS).index(start) if start in PATHWAYS else 0,
        help="The scenario starts from this config; the baseline is always the current pathway.",
    )
    if choice == "current":
        return "current", current
    if choice == "redesign":
        return "redesign", load_config(SHIPPED["redesign"])
    upload = st.file_uploader(
        "Scenario config (YAML)",
        type=["yaml", "yml"],
        key="upload",
        help="A config such as a copy of configs/redesign.yaml, or one downloaded from "
        "this app. 'extends: base.yaml' (or current.yaml, redesign.yaml) is allowed.",
    )
    if upload is None:
        if started.startswith("upload-"):
            st.info(
                "This page's address keeps the inputs set on an uploaded config: upload the same file again "
                "to get them back."
            )
        raise ConfigError("upload a YAML config, or choose the current or redesigned pathway")
    content = upload.getvalue()
    cfg = load_uploaded(upload.name, content)
    return "upload-" + hashlib.sha256(content).hexdigest()[:12], cfg


def _changes(prefix: str, cfg: Config) -> dict[str, bool]:
    st.subheader("Changes X1-X8")
    defaults = cfg.changes.model_dump()
    return {name: _toggle(change_label(name), defaults[name], prefix, name, change_help(name)) for name in CHANGE_NAMES}


def _front_door(prefix: str, cfg: Config, changes: dict[str, bool], defaults: Choices) -> dict:
    st.subheader("Front-door redirection to SDA")
    policy_name = ia_policy(changes)
    policy = getattr(cfg.ia_nurse, policy_name)
    key = f"{prefix}|{policy_name}"
    which = "with X8" if policy_name == "redirection_x8" else "today (without X8)"
    rate = _pct_slider(
        f"IA nurse redirection rate {which}",
        redirection_rate(cfg, policy_name),
        Redirection,
        "probability",
        f"{key}|rate",
        "Of the patients the IA nurse streams to the UTC who are candidates for SDA (registered with a "
        "Tower Hamlets practice, clinically eligible and willing to go), the share redirected to an SDA slot "
        "inside the window below. It is not a share of all patients.",
    )
    hours = bounds(Redirection, "start_hour")
    shipped = (float(policy.start_hour), float(policy.end_hour))
    first, last = address.read_pair(address.initial(prefix, f"{policy_name}|window", address.pair(shipped)), shipped)
    window = st.slider(
        "Redirection window (clock hours)",
        hours.low,
        hours.high,
        (max(first, hours.low), min(last, hours.high)),
        step=0.5,
        key=f"{key}|window",
        help="The IA nurse redirects only between these hours, on the policy's days.",
    )
    address.remember(f"{policy_name}|window", address.pair(window), address.pair(shipped))
    navigator = _toggle(
        "Care Navigator books the SDA slot",
        policy.care_navigator_books,
        prefix,
        f"{policy_name}|navigator",
        "On: a Care Navigator books the slot (a short queue for the navigator). Off: the IA nurse books it directly.",
    )
    eligible = _pct_slider(
        "Clinically eligible for SDA",
        defaults.sda_eligible,
        PatientCriteria,
        "sda_eligible",
        f"{prefix}|eligible",
        "Share of UTC-suitable patients a GP could see the same day (a fact about patients: both arms).",
    )
    accepts = _pct_slider(
        "Willing to be redirected",
        defaults.accepts_redirection,
        PatientCriteria,
        "accepts_redirection",
        f"{prefix}|accepts",
        "Share of eligible patients who agree to go to an SDA slot (both arms).",
    )
    if abs(eligible - defaults.sda_eligible) > 1e-9 or abs(accepts - defaults.accepts_redirection) > 1e-9:
        st.caption(BOTH_ARMS)
    return dict(
        redirection_rate=rate,
        window=tuple(window),
        care_navigator_books=navigator,
        sda_eligible=eligible,
        accepts_redirection=accepts,
    )


HOUR_MODES = MappingProxyType(
    {
        "even": "evenly over the session",
        "demand": "following front-door arrivals by hour",
        "custom": "by hour, as in the table",
    }
)


def _hour_weights(prefix: str, cfg: Config, provider: str, weights, problems: list[str]) -> list | None:
    """How the provider's daily slots are shared among clock hours: ``None`` (evenly) or weights.

    A weight out of the schema's range is shown as wrong below the table and added to ``problems``.
    """
    diary = getattr(cfg.slot_diaries, provider)
    hours = session_hours(diary)
    shipped = "even" if weights is None else "custom"
    started = address.initial(prefix, f"hours|{provider}", shipped)
    mode = st.selectbox(
        "Slots through the day",
        list(HOUR_MODES),
        format_func=HOUR_MODES.get,
        index=list(HOUR_MODES).index(started if started in HOUR_MODES else shipped),
        key=f"{prefix}|hours|{provider}",
        help="Evenly: equal gaps over the session. Following arrivals: more slots in the hours more patients "
        "arrive at the front door. By hour: the weights in the table (relative sizes; each day's total "
        "stays as set above).",
    )
    address.remember(f"hours|{provider}", mode, shipped)
    if mode == "even" or not hours:
        return None
    if mode == "demand":
        return demand_weights(diary, cfg.demand.walk_in.hour_of_day or [1.0] * 24)
    start = expand_weekly(weights).reshape(7, 24) if weights is not None else np.ones((7, 24))
    table = pd.DataFrame(start[:, hours], index=list(WEEKDAYS), columns=[f"{h:02d}:00" for h in hours])
    name = f"weights|{provider}"
    restored = (
        address.read_table(address.initial(prefix, name, ""), table) if address.initial(prefix, name, "") else None
    )
    edited = st.data_editor(  # no min or max in the column: the grid would clamp a typed value silently
        table if restored is None else restored,
        key=f"{prefix}|{name}",
        width="stretch",
        column_config={c: st.column_config.NumberColumn(c, step=0.5, format="%.1f") for c in table.columns},
    )
    address.remember(name, address.table(edited), address.table(table))
    try:
        checked = weights_table(edited, PROVIDER_NAMES[provider])
    except ConfigError as exc:
        st.error(str(exc))
        problems.append(str(exc))
        return None
    week = np.zeros((7, 24))
    week[:, hours] = checked
    return week.tolist()


def weights_table(table: pd.DataFrame, provider: str) -> np.ndarray:
    """A weekday x hour table of slot weights as numbers (an empty cell is 0); a ``ConfigError`` names a bad cell."""
    wb = bounds(SlotDiary, "hour_weights")
    for day, row in table.iterrows():
        for hour, value in row.items():
            if pd.notna(value) and (
                (wb.low is not None and value < wb.low) or (wb.high is not None and value > wb.high)
            ):
                raise ConfigError(f"{provider}, slot weight on {day} at {hour} = {value:g}: give {allowed(wb, False)}")
    return table.fillna(0.0).to_numpy(dtype=float)


def slots_and_staff(prefix: str, cfg: Config, defaults: Choices, problems: list[str]) -> dict:
    """The SDA slot table, how each provider's slots spread through the day, and the staff rotas.

    Returns ``slots``, ``slot_hours`` and ``rotas`` for ``Choices``; a wrong cell is shown below its
    table and added to ``problems`` (its value is then ``None``).
    """
    st.markdown("#### SDA slots a day, by provider and weekday")
    st.caption(
        "Type over a number to change it. Slots added cost money in the net and cash savings "
        "(commissioned slots are paid whether used or not)."
    )
    slots = slots_editor(prefix, defaults.slots, problems)
    hours = {}
    with st.expander("How each provider's slots spread through the day"):
        for provider in PROVIDERS:
            st.markdown(f"**{PROVIDER_NAMES[provider]}**")
            hours[provider] = _hour_weights(prefix, cfg, provider, defaults.slot_hours.get(provider), problems)
    st.markdown("#### Staff rotas, by weekday and hour")
    st.caption(
        "Staff on duty in each hour (a row is the hour it starts: 18:00 = 18:00-19:00), one column a "
        "weekday. Type over a number, or add staff to a block of hours with the button below the table. "
        "Each hour added costs money in the net and cash savings (configs/business_case.yaml staff_hour_gbp)."
    )
    rotas = {}
    for tab, group in zip(st.tabs([ROTA_FIELDS[g][0] for g in ROTA_FIELDS]), ROTA_FIELDS, strict=True):
        with tab:
            rotas[group] = rota_editor(prefix, cfg, group, problems)
    return dict(slots=slots, slot_hours=hours, rotas=rotas)


def _demand_and_ia(prefix: str, cfg: Config, defaults: Choices, problems: list[str]) -> dict:
    st.subheader("IA time and demand")
    ia_time = cfg.ia_nurse.time_min
    field = time_field(ia_time.model_dump())
    if field is None:
        st.caption(f"Minutes per IA assessment: set by the config ({ia_time.dist} distribution).")
        minutes = defaults.ia_minutes
    else:
        minutes = number_box(
            "Minutes per IA assessment",
            prefix,
            "ia_minutes",
            float(defaults.ia_minutes),
            bounds(type(ia_time), field),
            problems,
            whole=False,
            help="The IA nurse's time with each patient (the mean, if it varies).",
        )
    growth = number_box(
        "Demand growth (x)",
        prefix,
        "growth",
        float(defaults.growth),
        bounds(ArrivalProfile, "growth"),
        problems,
        whole=False,
        text=f"{defaults.growth:.2f}",
        help="Multiplies demand on every channel (walk-ins, NHS 111, practice overflow) in both arms: "
        "1.10 is 10% more patients.",
    )
    if growth is not None and abs(growth - defaults.growth) > 1e-12:
        st.caption(BOTH_ARMS)
    return dict(
        ia_nurses_added=0,
        ia_minutes=None if minutes is None else float(minutes),
        utc_clinicians_added=0,
        growth=None if growth is None else float(growth),
    )


def _run_settings(prefix: str, defaults: Choices, problems: list[str]) -> dict:
    st.subheader("Run")
    replications = number_box(
        "Replications",
        prefix,
        "reps",
        defaults.replications,
        bounds(RunConfig, "replications"),
        problems,
        whole=True,
        help="Independent runs; more give narrower intervals but take longer.",
    )
    n_days = number_box(
        "Days per replication (warm-up included)",
        prefix,
        "days",
        defaults.days,
        bounds(RunConfig, "days"),
        problems,
        whole=True,
        help="Simulated days in each replication; the first week is warm-up and not counted.",
    )
    n_seed = number_box(
        "Seed",
        prefix,
        "seed",
        defaults.seed,
        bounds(RunConfig, "seed"),
        problems,
        whole=True,
        help="The random-number start: the same seed and inputs always give the same numbers.",
    )
    quick = _toggle(
        "Quick mode",
        False,
        prefix,
        "quick",
        f"Runs at most {QUICK_REPLICATIONS} replications of {QUICK_DAYS} days: a few seconds instead of about "
        "a minute, but intervals roughly four times as wide (fewer and shorter replications), and each weekday "
        "is seen only three times per replication.",
    )
    if quick:
        st.caption(
            f"Quick mode: {QUICK_REPLICATIONS} replications x {QUICK_DAYS} days. Good for exploring; "
            "intervals are wider, so rerun without it before quoting a figure."
        )
    return dict(replications=replications, days=n_days, seed=n_seed, quick=quick)


def pathway_label(prefix: str) -> str:
    """The chosen pathway in words."""
    return PATHWAYS["upload"] if prefix.startswith("upload") else PATHWAYS[prefix]


def sidebar(current: Config, problems: list[str]) -> tuple[str, Config, Choices, dict]:
    """Draw the sidebar's inputs: the pathway's id, its config, its defaults and the values chosen.

    The slot and rota tables are drawn on the page (:func:`slots_and_staff`). A wrong number is
    shown below its box and added to ``problems`` (its value is ``None``). Raises ``ConfigError``
    if the uploaded config cannot be used.
    """
    with st.sidebar:
        st.header("Inputs")
        prefix, cfg = pathway_config(current)
        defaults = choices_from_config(cfg)
        changes = _changes(prefix, cfg)
        values = dict(changes=changes)
        values.update(_front_door(prefix, cfg, changes, defaults))
        values.update(_demand_and_ia(prefix, cfg, defaults, problems))
        values.update(_run_settings(prefix, defaults, problems))
        st.button(
            "Reset to the shipped values",
            key="reset",
            on_click=address.reset,
            args=(prefix,),
            help="Every input back to the chosen pathway's shipped config (slots and rotas too), and a clean "
            "page address. Results already run are kept.",
        )
    return prefix, cfg, defaults, values
