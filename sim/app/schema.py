"""Input bounds read from the config schema, so the app never repeats a number.

A field's limits live in its pydantic annotation (``Field(ge=0, le=1)``, or
inside a list's item type, as in a weekly slot list). ``bounds`` reads them
through the parameter space (``sim/inputs/parameters.py``), as sweeps,
switching values and calibration do.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from pydantic import BaseModel

from ..inputs.config import ConfigError
from ..inputs.parameters import field_parameter


@dataclass(frozen=True)
class Bounds:
    """Allowed range of a number; ``None`` means unbounded on that side.

    ``low_open`` says the low end itself is not allowed (``gt`` rather than ``ge``).
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    whole: bool = False

    def widget_low(self, step: float) -> float | None:
        """Lowest value a widget may offer (one step above an open low end)."""
        if self.low is None:
            return None
        return self.low + step if self.low_open else self.low


def bounds(model: type[BaseModel], field: str) -> Bounds:
    """The range a config field (or each item of a list field) must lie in, from the parameter space.

    Parameters
    ----------
    model : type of a config block, e.g. ``PatientCriteria``
    field : the field's name in that block, e.g. ``"sda_eligible"``
    """
    p = field_parameter(model, field)
    return Bounds(
        low=p.lower,
        high=None if p.upper is None or math.isinf(p.upper) else p.upper,
        low_open=p.lower_open,
        whole=p.whole,
    )


def _number_words(value: float, whole: bool) -> str:
    return f"{int(value):,}" if whole else f"{value:,g}"


def allowed(b: Bounds, whole: bool) -> str:
    """The range in words: ``a whole number from 1 to 10,000``, ``a number above 0``."""
    kind = "a whole number" if whole else "a number"
    low = None if b.low is None else _number_words(b.low, whole)
    high = None if b.high is None else _number_words(b.high, whole)
    if low is not None and high is not None and not b.low_open:
        return f"{kind} from {low} to {high}"
    if low is not None and high is not None:
        return f"{kind} above {low} and at most {high}"
    if low is not None:
        return f"{kind} above {low}" if b.low_open else f"{kind} of at least {low}"
    if high is not None:
        return f"{kind} of at most {high}"
    return kind


THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
"""``10,000`` or ``1,234.5``: a number typed with thousands separators."""


def read_number(text: str, label: str, b: Bounds, whole: bool | None = None) -> float | int:
    """A number typed in a box, checked against its bounds; never clamped.

    Parameters
    ----------
    text : what the lead typed, e.g. ``"10,000"``
    label : the box's label in words, named in the message
    b : the allowed range (:func:`bounds`)
    whole : a whole number is required (default: ``b.whole``)

    Raises
    ------
    ConfigError
        One line naming the box and what was typed: ``Replications = 0: give a whole number from 1 to 10,000``.
    """
    whole = b.whole if whole is None else whole
    typed = text.strip()
    shown = typed or "(empty)"
    plain = typed.replace(",", "") if THOUSANDS.fullmatch(typed) else typed
    try:
        value = float(plain)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ConfigError(f"{label} = {shown}: not a number; give {allowed(b, whole)}")
    if (
        (whole and value != int(value))
        or (b.low is not None and (value < b.low or (b.low_open and value == b.low)))
        or (b.high is not None and value > b.high)
    ):
        raise ConfigError(f"{label} = {shown}: give {allowed(b, whole)}")
    return int(value) if whole else value
