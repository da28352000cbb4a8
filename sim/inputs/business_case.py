"""Business case inputs: how each service is paid for, the new services' costs, the economics.

``configs/business_case.yaml`` holds them; ``configs/provenance.yaml`` gives each
its provenance under ``business_case.<path>``. Prices per attendance or
appointment stay in the scenario config (``unit_costs_gbp``); this file says
whether a service is paid per activity or as a block, and whether a change in it
releases cash.

A bad value stops the command with one line naming the file, field and value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from .config import ConfigError, Locked, NonNegFloat, format_validation_error, read_yaml_mapping

SERVICE_LINES = (
    "nhs111_call",
    "ia_streaming",
    "pharmacy_first",
    "care_navigator_booking",
    "utc_attendance",
    "ed_attendance",
    "sda_gpcg",
    "sda_pcn",
    "gp_appointment",
    "ambulance",
)
"""Lines of activity a route's cost is made of (GP reattendances, X6, are counted apart)."""

WHOLE = ("switching.inputs", *(f"costing.{line}" for line in SERVICE_LINES))
"""Business case mappings that are one parameter each (for provenance and the assumptions list)."""


class ServiceCosting(Locked):
    """How one service is paid for.

    ``activity``: the unit cost for each attendance or appointment. ``block``: a
    fixed payment; for an SDA service it is the commissioned slots times the
    appointment price, whether used or not; for any other service the contract
    value, unchanged by the pathway, so its volume change saves nothing.
    ``cash_releasing``: a change in this line's cost changes what is actually paid.
    """

    basis: Literal["activity", "block"]
    cash_releasing: bool


class Costing(Locked):
    nhs111_call: ServiceCosting
    ia_streaming: ServiceCosting
    pharmacy_first: ServiceCosting
    care_navigator_booking: ServiceCosting
    utc_attendance: ServiceCosting
    ed_attendance: ServiceCosting
    sda_gpcg: ServiceCosting
    sda_pcn: ServiceCosting
    gp_appointment: ServiceCosting
    ambulance: ServiceCosting


class Implementation(Locked):
    """Annual costs of the redesign's new services (none in the current pathway)."""

    care_navigator_wte: NonNegFloat
    care_navigator_gbp_per_wte: NonNegFloat
    ia_nurse_extra_hours_per_day: Annotated[float, Field(ge=0.0, le=24.0 * 10)]
    ia_nurse_gbp_per_hour: NonNegFloat
    pcn_pilot_funding_gbp: NonNegFloat
    estates_gbp: NonNegFloat
    cash_releasing: bool


class Economics(Locked):
    """Green Book style summary: horizon, discounting, optimism bias."""

    horizon_years: int = Field(ge=1, le=60)
    discount_rate: Annotated[float, Field(ge=0.0, le=0.5)]
    optimism_bias_savings_pct: Annotated[float, Field(ge=0.0, lt=100.0)]
    optimism_bias_costs_pct: Annotated[float, Field(ge=0.0, le=500.0)]


class SwitchingInput(Locked):
    """One key input: the values tried, and whether it is a fact of both arms or of the redesign only."""

    label: str
    values: Annotated[list[float], Field(min_length=1, max_length=6)]
    apply_to: Literal["both", "scenario"]


class Switching(Locked):
    replications: int = Field(ge=2, le=200)
    inputs: dict[str, SwitchingInput]


class BusinessCase(Locked):
    """Every business case input."""

    costing: Costing
    implementation: Implementation
    economics: Economics
    switching: Switching
    attribution_order: list[str]

    @model_validator(mode="after")
    def _probabilities_in_range(self):
        for path, spec in self.switching.inputs.items():
            if path.startswith(("patients.", "demand.walk_in.utc_suitable")):
                bad = [v for v in spec.values if not 0.0 <= v <= 1.0]
                if bad:
                    raise ValueError(f"switching.inputs.{path}.values: {bad[0]} is not a share between 0 and 1")
        return self


def load_business_case(path: str | Path) -> BusinessCase:
    """Read and validate a business case file; a one-line ``ConfigError`` if it cannot be used."""
    data = read_yaml_mapping(Path(path), "business case")
    try:
        return BusinessCase.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None
