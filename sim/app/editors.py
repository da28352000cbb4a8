"""Editors that fit the data: SDA slots per weekday, and staff rotas per weekday and hour, as tables.

Each table starts from the pathway's config and is validated through the parameter
space (the schema's bounds), so a value the config would refuse is refused here
with the same one-line message. "Copy Monday to every day" copies a row down.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np
import pandas as pd
import streamlit as st

from ..inputs.calendar import WEEKDAYS, expand_weekly
from ..inputs.config import CareNavigator, Config, ConfigError, IaNurse, SlotDiary, Utc
from ..outputs.labels import PROVIDER_NAMES
from .scenario import PROVIDERS
from .schema import bounds

HOURS = tuple(f"{h:02d}" for h in range(24))
"""Column names of a rota table: the hour each column starts (00 = 00:00-01:00)."""
ROTA_FIELDS = MappingProxyType({
    "utc_clinician": ("UTC clinicians on duty", "utc", "clinicians", Utc),
    "ia_nurse": ("IA nurses on duty", "ia_nurse", "nurses", IaNurse),
    "care_navigator": ("Care Navigators on duty", "care_navigator", "navigators", CareNavigator),
})
"""Each editable rota: title, config block, field, schema model."""


def rota_table(rota) -> pd.DataFrame:
    """A rota (a number, 24 hourly values or 7 x 24) as a weekday x hour table of whole numbers."""
    week = expand_weekly(rota).reshape(7, 24).astype(int)
    return pd.DataFrame(week, index=list(WEEKDAYS), columns=list(HOURS))


def table_rota(table: pd.DataFrame, field: str, model) -> list[list[int]]:
    """A weekday x hour table back to a 7 x 24 rota; a ``ConfigError`` names a cell out of bounds."""
    b = bounds(model, field)
    week = table.reindex(index=list(WEEKDAYS), columns=list(HOURS))
    for day, row in week.iterrows():
        for hour, value in row.items():
            if pd.isna(value):
                raise ConfigError(f"{field} on {day} at {hour}:00: empty; give a whole number")
            if value != int(value) or (b.low is not None and value < b.low) or (b.high is not None and value > b.high):
                raise ConfigError(f"{field} on {day} at {hour}:00 = {value:g}: give a whole number from "
                                  f"{b.low:g} to {b.high:g}")
    return week.to_numpy(dtype=float).astype(int).tolist()


def slots_table(slots: dict[str, list[int]]) -> pd.DataFrame:
    """SDA slots a day: one row per provider, one column per weekday."""
    return pd.DataFrame([slots[p] for p in PROVIDERS], index=[PROVIDER_NAMES[p] for p in PROVIDERS],
                        columns=list(WEEKDAYS))


def table_slots(table: pd.DataFrame) -> dict[str, list[int]]:
    """A providers x weekdays table back to slots a day per provider; a ``ConfigError`` names a bad cell."""
    b = bounds(SlotDiary, "slots_per_day")
    out = {}
    for provider in PROVIDERS:
        row = table.loc[PROVIDER_NAMES[provider], list(WEEKDAYS)]
        for day, value in row.items():
            if pd.isna(value) or value != int(value) or value < (b.low or 0) or (b.high is not None and value > b.high):
                raise ConfigError(f"slot_diaries.{provider}.slots_per_day on {day} = {value}: give a whole "
                                  f"number from {b.low or 0:g} to {b.high:g}")
        out[provider] = [int(v) for v in row]
    return out


def _base(key: str, start: pd.DataFrame) -> pd.DataFrame:
    """The table an editor starts from: the config's, or the last one copied down."""
    return st.session_state.get(f"{key}|base", start)


def _copy_down(key: str, edited: pd.DataFrame) -> None:
    week = edited.copy()
    week.iloc[:, :] = np.tile(edited.iloc[0].to_numpy(), (len(edited), 1))
    st.session_state[f"{key}|base"] = week
    st.session_state[f"{key}|version"] = st.session_state.get(f"{key}|version", 0) + 1


def rota_editor(prefix: str, cfg: Config, group: str) -> list[list[int]]:
    """One rota as an editable weekday x hour table; returns the 7 x 24 rota (raises ``ConfigError``)."""
    title, block, field, model = ROTA_FIELDS[group]
    key = f"{prefix}|rota|{group}"
    start = rota_table(getattr(getattr(cfg, block), field))
    version = st.session_state.get(f"{key}|version", 0)
    st.markdown(f"**{title}**, by weekday (rows) and the hour each column starts")
    b = bounds(model, field)
    edited = st.data_editor(
        _base(key, start), key=f"{key}|{version}", width="stretch",
        column_config={h: st.column_config.NumberColumn(h, min_value=b.low, max_value=b.high, step=1, format="%d",
                                                        width=36) for h in HOURS})
    if st.button("Copy Monday to every day", key=f"{key}|copy", help=f"{title}: Monday's row on every weekday"):
        _copy_down(key, edited)
        st.rerun()
    return table_rota(edited, field, model)


def slots_editor(prefix: str, slots: dict[str, list[int]]) -> dict[str, list[int]]:
    """SDA slots a day per provider and weekday as an editable table (raises ``ConfigError``)."""
    key = f"{prefix}|slot_table"
    b = bounds(SlotDiary, "slots_per_day")
    version = st.session_state.get(f"{key}|version", 0)
    edited = st.data_editor(
        _base(key, slots_table(slots)), key=f"{key}|{version}", width="stretch",
        column_config={d: st.column_config.NumberColumn(d, min_value=b.low or 0, max_value=b.high, step=1,
                                                        format="%d") for d in WEEKDAYS})
    return table_slots(edited)
