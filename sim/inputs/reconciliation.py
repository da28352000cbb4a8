"""Inputs of the reconciliation with the paper: the paper's own arithmetic, as data.

``configs/reconciliation.yaml`` holds the unit costs and volumes the paper's
figures rest on, and the figures as stated; replace any of them with local data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError

from .config import ConfigError, Locked, NonNegFloat, Prob, format_validation_error, read_yaml_mapping


class RecUnitCosts(Locked):
    utc_attendance: NonNegFloat
    sda_appointment: NonNegFloat


class RecCurrent(Locked):
    redirections_per_day: NonNegFloat
    share_via_utc: Prob


class RecOverflow(Locked):
    slots_used_per_day: NonNegFloat
    share_would_attend: Prob


class RecNhs111(Locked):
    to_utc_per_day: NonNegFloat
    reduction: Prob


class RecIa(Locked):
    redirections_per_day: NonNegFloat


class PaperFigures(Locked):
    per_patient_via_utc: NonNegFloat
    """The paper's cost of a patient redirected via the UTC: a UTC tariff and an SDA appointment, GBP."""
    per_patient_from_ia: NonNegFloat
    """The paper's cost of a patient redirected by the IA nurse: an SDA appointment, GBP."""
    current_flow: NonNegFloat
    x1: NonNegFloat
    x4: NonNegFloat
    x5: NonNegFloat
    x8: NonNegFloat
    total: NonNegFloat


class ReconciliationInputs(Locked):
    """Everything the reconciliation calculator reads."""

    unit_costs_gbp: RecUnitCosts
    days_per_year: Annotated[float, Field(gt=0.0, le=366.0)]
    current: RecCurrent
    x1_overflow: RecOverflow
    x4_nhs111: RecNhs111
    x8_ia: RecIa
    paper_gbp: PaperFigures
    tolerance: Annotated[float, Field(gt=0.0, lt=1.0)]


def load_reconciliation(path: str | Path) -> ReconciliationInputs:
    """Read and validate a reconciliation file; a one-line ``ConfigError`` if it cannot be used."""
    data = read_yaml_mapping(Path(path), "reconciliation")
    try:
        return ReconciliationInputs.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None
