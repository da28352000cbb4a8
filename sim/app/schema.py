"""Input bounds read from the config schema, so the app never repeats a number.

A field's limits live in its pydantic annotation (``Field(ge=0, le=1)``, or
inside a list's item type, as in a weekly slot list). ``bounds`` reads them
through the parameter space (``sim/inputs/parameters.py``), as sweeps,
switching values and calibration do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import BaseModel

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
