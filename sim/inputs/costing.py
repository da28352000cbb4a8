"""The costing table: every line of activity, what prices it, who pays and how.

``configs/costing.yaml`` holds it. Each line names the event-log activities it
counts, the ``unit_costs_gbp`` field that prices it (the price knobs stay in the
scenario configs, where sweeps, ``--set`` and the app vary them), its payer and
its basis (tariff, block, commissioned slots, fixed, capitation = GP time,
unpriced), and where its price came from. Contract events (a block reset to the
new activity from a date) are data too. Every saving the simulator reports is
derived from this one table (``sim.analysis.costs``), so no line can be priced
one way in one place and another way in the next.

A bad value stops the command with one line naming the file, field and value.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator

from .activities import ACTIVITIES
from .config import SHIPPED_CONFIGS, ConfigError, Locked, UnitCosts, format_validation_error, read_yaml_mapping

COSTING_FILE = SHIPPED_CONFIGS / "costing.yaml"
"""The shipped costing table."""

EVENT_LOG_ACTIVITIES = ACTIVITIES
"""The activities of the event log (``sim.inputs.activities``, which the model's event log reads too)."""

DIARIES = ("gpcg_sda", "pcn_sda")
"""Slot diaries a commissioned line may be paid by."""

Basis = Literal["tariff", "block", "commissioned", "fixed", "capitation", "unpriced"]
MONEY_BASES = ("tariff", "block", "commissioned", "fixed")
"""Bases whose line is in the money savings (capitation is GP time; unpriced costs nothing)."""


class CostLine(Locked):
    """One line of activity: what it counts, what prices it, who pays, on what basis."""

    label: str = Field(min_length=1)
    """The line's name in words, as the workbook shows it."""
    activities: list[str] = Field(min_length=1)
    """The event-log activities this line pays for (e.g. utc, sda_gpcg)."""
    price: str | None
    """The unit_costs_gbp entry that prices one unit of the line (none for a line with no unit price)."""
    payer: str
    """Who pays for the line (e.g. the ICB, NHS England, practices under capitation)."""
    basis: Basis
    """How the line is paid: tariff (per unit), block, commissioned slots, fixed, capitation (GP time, in hours) or unpriced."""
    diary: str | None = None
    """For commissioned SDA slots: the slot diary whose slots are paid for, used or not."""
    funded_slots_per_day: list[float] | None = Field(default=None, min_length=7, max_length=7)
    """Slots a day funded today, Monday to Sunday (the funded baseline of a commissioned line)."""
    cash_from: dt.date | None = None
    """The date from which a change in this line's activity changes what is paid (none: never, as contracts stand)."""
    source_price_year: str
    """The financial year of the source unit cost, before uprating to the price base year."""
    uprated_by: str
    """The index that uprates the source price to the price base year."""

    @model_validator(mode="after")
    def _consistent(self):
        for activity in self.activities:
            if activity not in EVENT_LOG_ACTIVITIES:
                raise ValueError(
                    f"activities: {activity!r} is not an event-log activity ({', '.join(EVENT_LOG_ACTIVITIES)})"
                )
        if self.price is not None and self.price not in UnitCosts.model_fields:
            raise ValueError(
                f"price: {self.price!r} is not a field of unit_costs_gbp ({', '.join(UnitCosts.model_fields)})"
            )
        if (self.price is None) != (self.basis == "unpriced"):
            raise ValueError(f"price: {self.price!r} with basis {self.basis!r} (only an unpriced line has no price)")
        if (self.basis == "commissioned") != (self.diary is not None):
            raise ValueError(
                f"diary: {self.diary!r} with basis {self.basis!r} "
                "(a commissioned line, and only one, names its slot diary)"
            )
        if (self.funded_slots_per_day is not None) != (self.diary is not None):
            raise ValueError(
                "funded_slots_per_day: a commissioned line, and only one, gives the slots a day "
                "(Mon-Sun) paid for today"
            )
        if self.funded_slots_per_day is not None and min(self.funded_slots_per_day) < 0:
            raise ValueError(f"funded_slots_per_day: {min(self.funded_slots_per_day)} is below 0")
        if self.diary is not None and self.diary not in DIARIES:
            raise ValueError(f"diary: {self.diary!r} is not a slot diary ({', '.join(DIARIES)})")
        if self.cash_from is not None and self.basis != "tariff":
            raise ValueError(
                f"cash_from: {self.cash_from} on a {self.basis} line (only a tariff line releases "
                "cash from a date; a block releases it at a contract event)"
            )
        return self


class ContractEvent(Locked):
    """A block contract reset to the new activity level from ``date``."""

    name: str = Field(min_length=1)
    label: str
    line: str
    date: dt.date
    scenario: bool


class CostingTable(Locked):
    """The whole table: the lines, the price base and the contract events."""

    price_base_year: str
    uprating_index: str
    lines: dict[str, CostLine]
    contract_events: list[ContractEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _every_activity_once(self):
        seen: dict[str, str] = {}
        for name, line in self.lines.items():
            for activity in line.activities:
                if activity in seen:
                    raise ValueError(f"lines.{name}.activities: {activity!r} is already in line {seen[activity]!r}")
                seen[activity] = name
        missing = [a for a in EVENT_LOG_ACTIVITIES if a not in seen]
        if missing:
            raise ValueError(f"lines: no line counts the activities {missing}")
        names = [event.name for event in self.contract_events]
        for i, event in enumerate(self.contract_events):
            if event.line not in self.lines:
                raise ValueError(f"contract_events.{i}.line: {event.line!r} is not a line")
            if self.lines[event.line].basis != "block":
                raise ValueError(f"contract_events.{i}.line: {event.line!r} is not a block line")
            if names.count(event.name) > 1:
                raise ValueError(f"contract_events.{i}.name: {event.name!r} appears twice")
        return self

    def money_lines(self) -> list[str]:
        """Lines in the money savings, in table order (not GP time, not unpriced)."""
        return [name for name, line in self.lines.items() if line.basis in MONEY_BASES]

    def gp_time_lines(self) -> list[str]:
        """Lines of GP time (capitation): in GP hours, valued apart, in no money saving."""
        return [name for name, line in self.lines.items() if line.basis == "capitation"]

    def line_of(self) -> dict[str, str]:
        """The line each event-log activity belongs to."""
        return {activity: name for name, line in self.lines.items() for activity in line.activities}


def load_costing(path: str | Path = COSTING_FILE) -> CostingTable:
    """Read and validate a costing table; a one-line ``ConfigError`` if it cannot be used."""
    data = read_yaml_mapping(Path(path), "costing")
    try:
        return CostingTable.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None


@lru_cache(maxsize=1)
def shipped_costing() -> CostingTable:
    """The shipped table (read once; immutable), which prices the pathway cost KPIs."""
    return load_costing(COSTING_FILE)
