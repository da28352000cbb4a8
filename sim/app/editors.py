"""Editors that fit the data: SDA slots per weekday, and staff rotas per weekday and hour, as tables.

Each table starts from the pathway's config and is validated through the parameter
space (the schema's bounds), so a value the config would refuse is refused here
with the same one-line message. "Copy Monday to every day" copies a row down.
"""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd
import streamlit as st

from ..inputs.calendar import WEEKDAYS, expand_weekly
from ..inputs.config import CareNavigator, Config, ConfigError, IaNurse, SlotDiary, Utc
from ..outputs.labels import PROVIDER_NAMES
from .scenario import PROVIDERS
from .schema import bounds

HOURS = tuple(f"{h:02d}:00" for h in range(24))
"""Row names of a rota table: the hour each row starts (18:00 = 18:00-19:00)."""
ROTA_FIELDS = MappingProxyType({
    "utc_clinician": ("UTC clinicians on duty", "utc", "clinicians", Utc),
    "ia_nurse": ("IA nurses on duty", "ia_nurse", "nurses", IaNurse),
    "care_navigator": ("Care Navigators on duty", "care_navigator", "navigators", CareNavigator),
})
"""Each editable rota: title, config block, field, schema model."""


def rota_table(rota) -> pd.DataFrame:
    """A rota (a number, 24 hourly values or 7 x 24) as an hour x weekday table of whole numbers."""
    week = expand_weekly(rota).reshape(7, 24).astype(int)
    return pd.DataFrame(week.T, index=list(HOURS), columns=list(WEEKDAYS))


def table_rota(table: pd.DataFrame, field: str, model) -> list[list[int]]:
    """An hour x weekday table back to a 7 x 24 rota; a ``ConfigError`` names a cell out of bounds."""
    b = bounds(model, field)
    week = table.reindex(index=list(HOURS), columns=list(WEEKDAYS))
    for hour, row in week.iterrows():
        for day, value in row.items():
            if pd.isna(value):
                raise ConfigError(f"{field} on {day} at {hour}: empty; give a whole number")
            if value != int(value) or (b.low is not None and value < b.low) or (b.high is not None and value > b.high):
                raise ConfigError(f"{field} on {day} at {hour} = {value:g}: give a whole number from "
                                  f"{b.low:g} to {b.high:g}")
    return week.to_numpy(dtype=float).astype(int).T.tolist()


def add_to_block(table: pd.DataFrame, days: list[str], start: int, end: int, extra: int) -> pd.DataFrame:
    """A copy of an hour x weekday rota table with ``extra`` staff on ``days`` from ``start`` to ``end`` o'clock."""
    out = table.copy()
    hours = list(HOURS[start:end])
    out.loc[hours, days] = (out.loc[hours, days] + extra).clip(lower=0)
    return out


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


def _replace(key: str, table: pd.DataFrame) -> None:
    """Start the editor again from ``table`` (a new widget key drops the old edits)."""
    st.session_state[f"{key}|base"] = table
    st.session_state[f"{key}|version"] = st.session_state.get(f"{key}|version", 0) + 1


def rota_editor(prefix: str, cfg: Config, group: str) -> list[list[int]]:
    """One rota as an editable hour x weekday table, with a block tool and copy across; returns the 7 x 24 rota.

    Raises ``ConfigError`` for a cell out of bounds.
    """
    title, block, field, model = ROTA_FIELDS[group]
    key = f"{prefix}|rota|{group}"
    start = rota_table(getattr(getattr(cfg, block), field))
    version = st.session_state.get(f"{key}|version", 0)
    b = bounds(model, field)
    edited = st.data_editor(
        _base(key, start), key=f"{key}|{version}", width="stretch", height=35 * 25 + 3,
        column_config={d: st.column_config.NumberColumn(d, min_value=b.low, max_value=b.high, step=1, format="%d")
                       for d in WEEKDAYS})
    with st.expander(f"Add or remove {title.split(' on ')[0]} for a block of hours"):
        cols = st.columns(4)
        days = cols[0].multiselect("Days", list(WEEKDAYS), default=list(WEEKDAYS), key=f"{key}|days")
        first = cols[1].selectbox("From", range(24), index=18, format_func=lambda h: f"{h:02d}:00", key=f"{key}|from")
        last = cols[2].selectbox("Until", range(1, 25), index=21, format_func=lambda h: f"{h:02d}:00",
                                 key=f"{key}|until")
        extra = cols[3].number_input("Staff (+ or -)", min_value=-10, max_value=10, value=1, step=1,
                                     key=f"{key}|extra")
        if st.button("Apply to the table", key=f"{key}|apply", type="primary"):
            if last <= first:
                st.error(f"From {first:02d}:00 until {last:02d}:00: the block must end after it starts")
            else:
                _replace(key, add_to_block(edited, days, first, last, int(extra)))
                st.rerun()
    if st.button("Copy Monday to every day", key=f"{key}|copy", help=f"{title}: Monday's column on every weekday"):
        _replace(key, edited.assign(**{d: edited["Mon"] for d in WEEKDAYS}))
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
