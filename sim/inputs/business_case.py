"""Business case inputs: the costing table, the new services' costs, the financial and economic cases.

``configs/business_case.yaml`` holds them; ``configs/provenance.yaml`` gives each
its provenance under ``business_case.<path>``. Prices per attendance or
appointment stay in the scenario config (``unit_costs_gbp``); how each line is
paid for is the costing table (``costing:`` names its file, ``configs/costing.yaml``
by default, read by ``sim.inputs.costing``).

A bad value stops the command with one line naming the file, field and value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
import datetime as dt

from pydantic import Field, ValidationError, model_validator

from .config import ConfigError, Locked, NonNegFloat, format_validation_error, read_yaml_mapping
from .costing import CostingTable, load_costing

COSTING_LINES = (
    "nhs111_call",
    "ia_streaming",
    "pharmacy_first",
    "care_navigator_booking",
    "utc_attendance",
    "ed_attendance",
    "sda_gpcg",
    "sda_pcn",
    "gp_appointments",
    "gp_reattendances",
    "ambulance",
    "self_care",
)
"""The shipped costing table's lines (each listed as one parameter in the assumptions)."""

WHOLE = ("switching.inputs", "costing.contract_events", "options", *(f"costing.lines.{x}" for x in COSTING_LINES))
"""Business case mappings listed as one parameter each (for provenance and the assumptions list);
each costing line is listed by its own fields."""


class Implementation(Locked):
    """Annual costs of the redesign's new services (none in the current pathway)."""

    care_navigator_wte: NonNegFloat
    care_navigator_gbp_per_wte: NonNegFloat
    ia_nurse_extra_hours_per_day: Annotated[float, Field(ge=0.0, le=24.0 * 10)]
    ia_nurse_gbp_per_hour: NonNegFloat
    pcn_pilot_funding_gbp: NonNegFloat
    estates_gbp: NonNegFloat
    cash_releasing: bool


class StaffHourCosts(Locked):
    """Cost of one staff hour added to, or taken from, a pathway's own rota, GBP (the web app costs rota edits)."""

    utc_clinician: NonNegFloat = 0.0
    ia_nurse: NonNegFloat = 0.0
    care_navigator: NonNegFloat = 0.0


class Financial(Locked):
    """The financial case: nominal cash by financial year, year 0 (set-up) to ``years``."""

    go_live: dt.date
    years: int = Field(ge=1, le=30)
    ramp_up: Annotated[list[Annotated[float, Field(ge=0.0, le=1.0)]], Field(min_length=1, max_length=30)]
    cost_inflation_pct: Annotated[float, Field(ge=0.0, le=50.0)]
    one_off_costs_gbp: NonNegFloat
    transition_costs_gbp: NonNegFloat

    @model_validator(mode="after")
    def _ramp_covers_the_years(self):
        if len(self.ramp_up) > self.years:
            raise ValueError(f"ramp_up: {len(self.ramp_up)} values for {self.years} years")
        return self

    def ramp(self, year: int) -> float:
        """Share of the full-year change reached in ``year`` (1..years); the last value holds after."""
        return self.ramp_up[min(year, len(self.ramp_up)) - 1]


class Economics(Locked):
    """The economic case (Green Book): real terms, discounting, optimism bias, non-cash benefits."""

    horizon_years: int = Field(ge=1, le=60)
    discount_rate: Annotated[float, Field(ge=0.0, le=0.5)]
    optimism_bias_category: str = Field(min_length=1)
    optimism_bias_costs_pct: Annotated[float, Field(ge=0.0, le=500.0)]
    optimism_bias_savings_pct: Annotated[float, Field(ge=0.0, lt=100.0)]
    gp_hour_value_gbp: NonNegFloat
    patient_hour_value_gbp: NonNegFloat


class SwitchingInput(Locked):
    """One key input: the values tried, and whether it is a fact of both arms or of the redesign only."""

    label: str
    values: Annotated[list[float], Field(min_length=1, max_length=6)]
    apply_to: Literal["both", "scenario"]


class Switching(Locked):
    replications: int = Field(ge=2, le=200)
    inputs: dict[str, SwitchingInput]


class OptionSpec(Locked):
    """A variant of the redesign appraised beside it: settings applied to the redesign's config."""

    label: str = Field(min_length=1)
    settings: dict[str, Any] = Field(min_length=1)


class BusinessCase(Locked):
    """Every business case input."""

    costing: CostingTable
    implementation: Implementation
    financial: Financial
    economics: Economics
    switching: Switching
    options: dict[str, OptionSpec] = Field(default_factory=dict)
    attribution_order: list[str]
    staff_hour_gbp: StaffHourCosts = Field(default_factory=StaffHourCosts)

    @model_validator(mode="after")
    def _probabilities_in_range(self):
        for path, spec in self.switching.inputs.items():
            if path.startswith(("patients.", "demand.walk_in.utc_suitable")):
                bad = [v for v in spec.values if not 0.0 <= v <= 1.0]
                if bad:
                    raise ValueError(f"switching.inputs.{path}.values: {bad[0]} is not a share between 0 and 1")
        return self


def load_business_case(path: str | Path) -> BusinessCase:
    """Read and validate a business case file; a one-line ``ConfigError`` if it cannot be used.

    ``costing:`` names the costing table's file (relative to the business case file) or holds it.
    """
    path = Path(path)
    data = read_yaml_mapping(path, "business case")
    if isinstance(data.get("costing"), str):
        data = {**data, "costing": load_costing(path.parent / data["costing"]).model_dump()}
    try:
        return BusinessCase.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None
