"""The inputs a lead set, kept in the page's address so a reload (or a shared link) keeps them.

Every input widget starts from :func:`initial`: the address's value on the first
run of a session (a reload is a new session), else the pathway's own value. After
the page is drawn, :func:`publish` writes into the address (``st.query_params``)
only the inputs that differ from the chosen pathway's shipped config, as short
text (``?pathway=redesign&rate=60&slots=45.45.45.45.45.45.45_...``), so an
untouched page has a clean address. :func:`reset` puts every input back to the
pathway's shipped values and clears the address.

An uploaded config cannot travel in an address: the address names the upload by a
hash of its content, and its edits come back once the same file is uploaded again.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

FROM_URL = "address_at_start"  # session_state key: the address's inputs when this session started
EDITS = "address_edits"  # session_state key: this script run's inputs that differ from the pathway's
PATHWAY = "pathway"  # the address's name for the chosen pathway (and the radio's widget key)


def begin() -> None:
    """Call first in every script run: keep the session's starting address once, start this run's edits."""
    if FROM_URL not in st.session_state:
        st.session_state[FROM_URL] = {name: st.query_params[name] for name in st.query_params}
    st.session_state[EDITS] = {}


def started_pathway() -> str:
    """The pathway the address named when the session started (``current`` if none)."""
    return st.session_state.get(FROM_URL, {}).get(PATHWAY, "current")


def initial(prefix: str, name: str, default: str) -> str:
    """The text an input starts from: the address's, if it was written for this pathway, else ``default``."""
    url = st.session_state.get(FROM_URL, {})
    if url.get(PATHWAY, "current") == prefix and _url_name(name) in url:
        return url[_url_name(name)]
    return default


def _url_name(name: str) -> str:
    """``redirection_x8.rate`` for the input ``redirection_x8|rate``."""
    return name.replace("|", ".")


def remember(name: str, text: str, default: str) -> None:
    """Keep an input for the address if it differs from the pathway's value."""
    if text != default:
        st.session_state.setdefault(EDITS, {})[_url_name(name)] = text


def publish(prefix: str | None) -> None:
    """Write this run's edits into the address (only when they changed, so nothing reruns)."""
    edits = st.session_state.get(EDITS, {})
    wanted = dict(edits)
    if prefix and (prefix != "current" or edits):
        wanted = {PATHWAY: prefix, **edits}
    if {name: st.query_params[name] for name in st.query_params} != wanted:
        st.query_params.from_dict(wanted)


def reset(prefix: str) -> None:
    """Every input of ``prefix``'s pathway back to its shipped value, and a clean address (a button callback)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{prefix}|")]:
        del st.session_state[key]
    st.session_state[FROM_URL] = {PATHWAY: prefix} if prefix != "current" else {}
    st.session_state[EDITS] = {}
    st.query_params.from_dict({PATHWAY: prefix} if prefix != "current" else {})


def on_off(value: bool) -> str:
    return "1" if value else "0"


def number(value: float) -> str:
    """``60``, ``0.5``, ``1.1``: a number as short text (``nan`` for a missing one)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "nan"
    return f"{value:g}" if not float(value).is_integer() else str(int(value))


def pair(values) -> str:
    """``8-20.5``: two numbers (a window of clock hours)."""
    return "-".join(number(v) for v in values)


def read_pair(text: str, default: tuple[float, float]) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in text.split("-"))
    except ValueError:
        return default
    return low, high


def table(frame: pd.DataFrame) -> str:
    """A table of numbers as rows joined by ``_``, cells by ``.`` when whole, else by ``~``."""
    values = frame.to_numpy(dtype=float)
    whole = bool(np.all(np.isnan(values) | (values == np.round(values))))
    sep = "." if whole else "~"
    return "_".join(sep.join(number(v) for v in row) for row in values)


def read_table(text: str, like: pd.DataFrame) -> pd.DataFrame | None:
    """The table :func:`table` wrote, shaped like ``like``; ``None`` if the text does not fit it."""
    sep = "~" if "~" in text else "."
    try:
        rows = [[float(v) for v in row.split(sep)] for row in text.split("_")]
        out = pd.DataFrame(rows, index=like.index, columns=like.columns)
    except ValueError:
        return None
    return out.astype(like.dtypes.iloc[0]) if all(float(v).is_integer() for r in rows for v in r) else out
