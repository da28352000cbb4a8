"""Editors that fit the data: SDA slots per weekday, and staff rotas per weekday and hour, as tables.

Each table starts from the pathway's config (or the page's address, after a reload)
and is validated through the parameter space (the schema's bounds): a value the
config would refuse is shown as wrong below the table, in one line naming the cell
in words, and Run is refused until it is fixed. The grid's columns carry no min or
max, because the grid would clamp a typed value silently. "Copy Monday to every
day" copies a row down.
"""

from __future__ import annotations

from types import MappingProxyType

import pandas as pd
import streamlit as st

from ..inputs.calendar import WEEKDAYS, expand_weekly
from ..inputs.config import CareNavigator, Config, ConfigError, IaNurse, SlotDiary, Utc
from ..outputs.labels import PROVIDER_NAMES
from . import address
from .scenario import PROVIDERS
from .schema import Bounds, allowed, bounds, read_number

HOURS = tuple(f"{h:02d}:00" for h in range(24))
"""Row names of a rota table: the hour each row starts (18:00 = 18:00-19:00)."""
ROTA_FIELDS = MappingProxyType(
    {
        "utc_clinician": ("UTC clinicians on duty", "utc", "clinicians", Utc),
        "ia_nurse": ("IA nurses on duty", "ia_nurse", "nurses", IaNurse),
        "care_navigator": ("Care Navigators on duty", "care_navigator", "navigators", CareNavigator),
    }
)
"""Each editable rota: title, config block, field, schema model."""
EXTRA_STAFF = Bounds(low=-10, high=10, whole=True)
"""Staff the block tool adds to (or takes from) each hour at once."""


def rota_table(rota) -> pd.DataFrame:
    """A rota (a number, 24 hourly values or 7 x 24) as an hour x weekday table of whole numbers."""
    week = expand_weekly(rota).reshape(7, 24).astype(int)
    return pd.DataFrame(week.T, index=list(HOURS), columns=list(WEEKDAYS))


def table_rota(table: pd.DataFrame, field: str, model, title: str | None = None) -> list[list[int]]:
    """An hour x weekday table back to a 7 x 24 rota; a ``ConfigError`` names a cell out of bounds.

    ``title`` names the rota in the message (``UTC clinicians on duty``); the field's name if not given.
    """
    b = bounds(model, field)
    title = title or field
    week = table.reindex(index=list(HOURS), columns=list(WEEKDAYS))
    for hour, row in week.iterrows():
        for day, value in row.items():
            if pd.isna(value):
                raise ConfigError(f"{title} on {day} at {hour}: empty; give {allowed(b, True)}")
            if value != int(value) or (b.low is not None and value < b.low) or (b.high is not None and value > b.high):
                raise ConfigError(f"{title} on {day} at {hour} = {value:g}: give {allowed(b, True)}")
    return week.to_numpy(dtype=float).astype(int).T.tolist()


def add_to_block(table: pd.DataFrame, days: list[str], start: int, end: int, extra: int) -> pd.DataFrame:
    """A copy of an hour x weekday rota table with ``extra`` staff on ``days`` from ``start`` to ``end`` o'clock."""
    out = table.copy()
    hours = list(HOURS[start:end])
    out.loc[hours, days] = (out.loc[hours, days] + extra).clip(lower=0)
    return out


def slots_table(slots: dict[str, list[int]]) -> pd.DataFrame:
    """SDA slots a day: one row per provider, one column per weekday."""
    return pd.DataFrame(
        [slots[p] for p in PROVIDERS], index=[PROVIDER_NAMES[p] for p in PROVIDERS], columns=list(WEEKDAYS)
    )


def table_slots(table: pd.DataFrame) -> dict[str, list[int]]:
    """A providers x weekdays table back to slots a day per provider; a ``ConfigError`` names a bad cell."""
    b = bounds(SlotDiary, "slots_per_day")
    out = {}
    for provider in PROVIDERS:
        row = table.loc[PROVIDER_NAMES[provider], list(WEEKDAYS)]
        for day, value in row.items():
            if pd.isna(value) or value != int(value) or value < (b.low or 0) or (b.high is not None and value > b.high):
                shown = "empty" if pd.isna(value) else f"= {value:g}"
                raise ConfigError(
                    f"{PROVIDER_NAMES[provider]}: SDA slots a day on {day} {shown}: give {allowed(b, True)}"
                )
        out[provider] = [int(v) for v in row]
    return out


def _base(key: str, start: pd.DataFrame, prefix: str, name: str) -> pd.DataFrame:
    """The table an editor starts from: the last one copied down, else the address's, else the config's."""
    if f"{key}|base" in st.session_state:
        return st.session_state[f"{key}|base"]
    text = address.initial(prefix, name, "")
    restored = address.read_table(text, start) if text else None
    return start if restored is None else restored


def _replace(key: str, table: pd.DataFrame) -> None:
    """Start the editor again from ``table`` (a new widget key drops the old edits)."""
    st.session_state[f"{key}|base"] = table
    st.session_state[f"{key}|version"] = st.session_state.get(f"{key}|version", 0) + 1


def _checked(read, problems: list[str]):
    """``read()``, or ``None`` with its one-line message shown below the table and added to ``problems``."""
    try:
        return read()
    except ConfigError as exc:
        st.error(str(exc))
        problems.append(str(exc))
        return None


def rota_editor(prefix: str, cfg: Config, group: str, problems: list[str]) -> list[list[int]] | None:
    """One rota as an editable hour x weekday table, with a block tool and copy across; returns the 7 x 24 rota.

    A cell out of bounds is shown below the table and added to ``problems`` (``None`` is returned).
    """
    title, block, field, model = ROTA_FIELDS[group]
    key = f"{prefix}|rota|{group}"
    name = f"rota|{group}"
    start = rota_table(getattr(getattr(cfg, block), field))
    version = st.session_state.get(f"{key}|version", 0)
    edited = st.data_editor(
        _base(key, start, prefix, name),
        key=f"{key}|{version}",
        width="stretch",
        height=35 * 25 + 3,
        column_config={d: st.column_config.NumberColumn(d, step=1, format="%d") for d in WEEKDAYS},
    )
    address.remember(name, address.table(edited), address.table(start))
    rota = _checked(lambda: table_rota(edited, field, model, title), problems)
    who = title.split(" on ")[0]
    with st.expander(f"Add or remove {who} for a block of hours"):
        cols = st.columns(4)
        days = cols[0].multiselect("Days", list(WEEKDAYS), default=list(WEEKDAYS), key=f"{key}|days")
        first = cols[1].selectbox("From", range(24), index=18, format_func=lambda h: f"{h:02d}:00", key=f"{key}|from")
        last = cols[2].selectbox(
            "Until", range(1, 25), index=21, format_func=lambda h: f"{h:02d}:00", key=f"{key}|until"
        )
        typed = cols[3].text_input(
            "Staff (+ or -)",
            value="1",
            key=f"{key}|extra",
            help="Staff to add in each hour of the block (a minus sign takes them away).",
        )
        try:
            extra = read_number(typed, f"{who} to add or remove", EXTRA_STAFF, whole=True)
        except ConfigError as exc:
            st.error(str(exc))
            extra = None
        if st.button("Apply to the table", key=f"{key}|apply", type="primary", disabled=extra is None):
            if last <= first:
                st.error(f"From {first:02d}:00 until {last:02d}:00: the block must end after it starts")
            else:
                _replace(key, add_to_block(edited, days, first, last, int(extra)))
                st.rerun()
    if st.button("Copy Monday to every day", key=f"{key}|copy", help=f"{title}: Monday's column on every weekday"):
        _replace(key, edited.assign(**{d: edited["Mon"] for d in WEEKDAYS}))
        st.rerun()
    return rota


def slots_editor(prefix: str, slots: dict[str, list[int]], problems: list[str]) -> dict[str, list[int]] | None:
    """SDA slots a day per provider and weekday as an editable table.

    A cell out of bounds is shown below the table and added to ``problems`` (``None`` is returned).
    """
    key = f"{prefix}|slot_table"
    start = slots_table(slots)
    version = st.session_state.get(f"{key}|version", 0)
    edited = st.data_editor(
        _base(key, start, prefix, "slots"),
        key=f"{key}|{version}",
        width="stretch",
        column_config={d: st.column_config.NumberColumn(d, step=1, format="%d") for d in WEEKDAYS},
    )
    address.remember("slots", address.table(edited), address.table(start))
    return _checked(lambda: table_slots(edited), problems)
