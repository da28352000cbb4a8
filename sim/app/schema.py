"""Input bounds read from the config schema, so the app never repeats a number.

A field's limits live in its pydantic annotation (``Field(ge=0, le=1)``, or
inside a list's item type, as in a weekly slot list). ``bounds`` finds them.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo


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


def _constraints(items: typing.Iterable) -> dict:
    found: dict = {}
    for item in items:
        if isinstance(item, FieldInfo):
            found.update({k: v for k, v in _constraints(item.metadata).items() if k not in found})
        elif isinstance(item, at.Ge):
            found.setdefault("ge", item.ge)
        elif isinstance(item, at.Gt):
            found.setdefault("gt", item.gt)
        elif isinstance(item, at.Le):
            found.setdefault("le", item.le)
        elif isinstance(item, at.Lt):
            found.setdefault("lt", item.lt)
    return found


def _search(annotation) -> tuple[dict, bool]:
    """Constraints and whole-number-ness of the first number type inside ``annotation``."""
    if annotation in (int, float):
        return {}, annotation is int
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        inner, whole = _search(args[0])
        return {**_constraints(args[1:]), **inner}, whole
    for arg in args:  # list[...] or a Union: the first branch holding a number
        found, whole = _search(arg)
        if found or arg in (int, float) or typing.get_args(arg):
            return found, whole
    return {}, False


def bounds(model: type[BaseModel], field: str) -> Bounds:
    """The range a config field (or each item of a list field) must lie in.

    Parameters
    ----------
    model : type of a config block, e.g. ``PatientCriteria``
    field : the field's name in that block, e.g. ``"sda_eligible"``
    """
    info = model.model_fields[field]
    found = _constraints(info.metadata)
    inner, whole = _search(info.annotation)
    for key, value in inner.items():
        found.setdefault(key, value)
    low = found.get("ge", found.get("gt"))
    high = found.get("le", found.get("lt"))
    return Bounds(
        low=None if low is None else float(low),
        high=None if high is None or math.isinf(high) else float(high),
        low_open="gt" in found and "ge" not in found,
        whole=whole,
    )
