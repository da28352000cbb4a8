"""Plan files: what a capacity plan may change, what it must achieve, and what it costs.

A plan file (``configs/plans/*.yaml``) names the scenario whose capacity is
planned, today's pathway to compare with, the decision variables with their
bounds and steps, the KPI targets a plan must meet (the constraints) and how the
search spends its replications. ``run_sim.py plan PLAN.yaml`` finds the cheapest
plan that meets the targets (see :mod:`sim.experiments.planner`).

Decision variables come in three kinds:

- ``slots``: same-day appointments a day in one slot diary, on some weekdays and
  optionally in one block of clock hours (a session); the rest of the diary is
  kept as the scenario has it;
- ``staff``: staff on duty at one station in a block of clock hours, on some
  weekdays (a rota);
- ``value``: any one number of the scenario config by its dotted path, e.g. the
  PCN diary's carve-out share ``slot_diaries.pcn_sda.carve_out.nhs111``.

Each takes the values ``lower, lower + step, ...`` up to ``upper``. Like every
config, a bad plan file stops the command with one line naming the field and
its value (exit 2).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from .calendar import WEEKDAYS
from .config import (
    ConfigError,
    Locked,
    Name,
    format_validation_error,
    read_yaml_mapping,
)

DIARIES = ("gpcg_sda", "pcn_sda", "practice_111", "st_andrews_hub")
"""Slot diaries a ``slots`` variable may change."""
STATIONS = {
    "reception": "reception.clerks",
    "ia_nurse": "ia_nurse.nurses",
    "care_navigator": "care_navigator.navigators",
    "utc": "utc.clinicians",
    "ed": "ed.cubicles",
}
"""Stations a ``staff`` variable may change, and the rota each one's staffing is in."""
MAX_LEVELS = 1000
"""Most values one decision variable may take (bounds and step)."""
MAX_VARIABLES = 40
MAX_CONSTRAINTS = 20
MAX_BUDGET = 1_000_000

Weekday = Literal["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
HourBlock = Annotated[list[Annotated[int, Field(ge=0, le=24)]], Field(min_length=2, max_length=2)]
"""Clock hours ``[start, end)``, whole hours, e.g. ``[8, 14]`` for 08:00-14:00."""
Finite = Annotated[float, Field(ge=-1e12, le=1e12)]


class _Steps(Locked):
    """Bounds and step of a decision variable; its levels are ``lower, lower + step, ... <= upper``."""

    label: str | None = None
    lower: Finite
    upper: Finite
    step: Annotated[float, Field(gt=0, le=1e12)]

    @model_validator(mode="after")
    def _bounds(self):
        if self.upper < self.lower:
            raise ValueError(f"upper ({self.upper:g}) must be >= lower ({self.lower:g})")
        if (self.upper - self.lower) / self.step + 1 > MAX_LEVELS:
            raise ValueError(f"more than {MAX_LEVELS} values between lower and upper at this step")
        return self

    def levels(self) -> list[float]:
        """The values the variable may take, lowest first."""
        n = math.floor((self.upper - self.lower) / self.step + 1e-9) + 1
        return [round(self.lower + i * self.step, 10) for i in range(n)]


class _Whole(_Steps):
    """Counts: bounds and step are whole numbers."""

    lower: Annotated[int, Field(ge=0, le=10_000)]
    upper: Annotated[int, Field(ge=0, le=10_000)]
    step: Annotated[int, Field(ge=1, le=10_000)]

    def levels(self) -> list[int]:
        return list(range(self.lower, self.upper + 1, self.step))


class _Timed(_Whole):
    days: Annotated[list[Weekday], Field(min_length=1, max_length=7, default_factory=lambda: list(WEEKDAYS))]
    """Weekdays the value applies to (default: all seven)."""

    @model_validator(mode="after")
    def _distinct_days(self):
        if len(set(self.days)) != len(self.days):
            raise ValueError(f"days lists a weekday twice: {self.days}")
        return self

    def day_numbers(self) -> list[int]:
        return [WEEKDAYS.index(d) for d in self.days]


def _check_block(hours: list[int] | None) -> None:
    if hours is not None and hours[1] <= hours[0]:
        raise ValueError(f"hours {hours}: the block must end after it starts")


class SlotsVariable(_Timed):
    """Slots a day in one diary on ``days``; with ``hours``, only the slots in that block of clock hours."""

    kind: Literal["slots"]
    diary: Literal["gpcg_sda", "pcn_sda", "practice_111", "st_andrews_hub"]
    hours: HourBlock | None = None

    @model_validator(mode="after")
    def _block(self):
        _check_block(self.hours)
        return self


class StaffVariable(_Timed):
    """Staff on duty at one station in every hour of ``hours`` on ``days``."""

    kind: Literal["staff"]
    station: Literal["reception", "ia_nurse", "care_navigator", "utc", "ed"]
    hours: HourBlock

    @model_validator(mode="after")
    def _block(self):
        _check_block(self.hours)
        return self


class ValueVariable(_Steps):
    """One number of the scenario config, by its dotted path."""

    kind: Literal["value"]
    path: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]


Variable = Annotated[SlotsVariable | StaffVariable | ValueVariable, Field(discriminator="kind")]


class Constraint(Locked):
    """A KPI target: its mean over replications must be ``at_least`` or ``at_most`` a value.

    ``tolerance``: a plan missing the target by less than this is treated as
    meeting it (the indifference the selection stage needs to stop; in the
    KPI's own unit). Default: 2% of the target's size, at least 0.1.
    """

    kpi: Annotated[str, Field(min_length=1, max_length=120)]
    label: str | None = None
    at_least: Finite | None = None
    at_most: Finite | None = None
    tolerance: Annotated[float, Field(gt=0, le=1e12)] | None = None

    @model_validator(mode="after")
    def _one_bound(self):
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least and at_most")
        return self

    @property
    def bound(self) -> float:
        return self.at_least if self.at_least is not None else self.at_most

    @property
    def sense(self) -> str:
        return "at_least" if self.at_least is not None else "at_most"

    @property
    def slack_tolerance(self) -> float:
        """The tolerance in the KPI's unit."""
        return self.tolerance if self.tolerance is not None else max(0.1, 0.02 * abs(self.bound))

    def shortfall(self, value: float) -> float:
        """How far ``value`` misses the target (<= 0: met), in the KPI's unit."""
        return self.bound - value if self.at_least is not None else value - self.bound


class StaffCosts(Locked):
    """Cost of one hour of one member of staff at each station, GBP (an extra hour costs it, one fewer saves it)."""

    reception: Annotated[float, Field(ge=0, le=1e6)] = 0.0
    ia_nurse: Annotated[float, Field(ge=0, le=1e6)] = 0.0
    care_navigator: Annotated[float, Field(ge=0, le=1e6)] = 0.0
    utc: Annotated[float, Field(ge=0, le=1e6)] = 0.0
    ed: Annotated[float, Field(ge=0, le=1e6)] = 0.0


class Objective(Locked):
    """What the planner minimises: the plan's net recurrent cost a year, GBP.

    The cost as paid of every service line (a block-funded SDA diary costs its
    commissioned slots, used or not), the redesign's new services, and the
    change in staff hours against the scenario's own rota at ``staff_cost_gbp_per_hour``.
    """

    measure: Literal["net_recurrent_cost"] = "net_recurrent_cost"
    staff_cost_gbp_per_hour: StaffCosts = StaffCosts()


class RunOverrides(Locked):
    """Run settings for every plan and the baseline (``None``: the scenario's own)."""

    days: Annotated[int, Field(ge=1, le=3660)] | None = None
    warmup_days: Annotated[int, Field(ge=0, le=3659)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] | None = None


class Search(Locked):
    """Stage 1: a constrained black-box search (Optuna's TPE sampler with constraints) on few replications."""

    trials: Annotated[int, Field(ge=1, le=100_000)] = 60
    replications: Annotated[int, Field(ge=2, le=1000)] = 3
    """Replications of each plan tried (the same replications for every plan: common random numbers)."""
    batch: Annotated[int, Field(ge=1, le=1000)] = 4
    """Plans asked of the sampler at a time (fixed, so the search is the same on any number of cores)."""
    seed: Annotated[int, Field(ge=0, le=2**32 - 1)] = 1
    """Seed of the sampler (the simulation's own seed is ``run.seed``)."""
    budget_share: Annotated[float, Field(gt=0, lt=1)] = 0.5
    """Share of the budget the search may spend; the selection stage has the rest."""


class Selection(Locked):
    """Stage 2: ranking and selection among the best plans of the search (KN++ with feasibility checks)."""

    candidates: Annotated[int, Field(ge=1, le=100)] = 6
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    """Probability that the chosen plan is the cheapest one meeting the targets (up to the tolerances)."""
    cost_indifference_gbp: Annotated[float, Field(gt=0, le=1e12)] = 20_000.0
    """Plans whose costs differ by less than this a year are equally good."""
    first_replications: Annotated[int, Field(ge=3, le=1000)] = 5
    max_replications: Annotated[int, Field(ge=3, le=100_000)] = 60
    """Most replications of any one plan in the selection stage."""
    batch: Annotated[int, Field(ge=1, le=1000)] = 2
    """Replications added to every surviving plan at a time."""

    @model_validator(mode="after")
    def _order(self):
        if self.max_replications < self.first_replications:
            raise ValueError(
                f"max_replications ({self.max_replications}) must be >= first_replications ({self.first_replications})"
            )
        return self


class Plan(Locked):
    """A whole plan file."""

    name: Name
    description: str = ""
    scenario: Annotated[str, Field(min_length=1, max_length=500)]
    """The scenario whose capacity is planned (a path relative to the plan file)."""
    baseline: Annotated[str, Field(min_length=1, max_length=500)]
    """Today's pathway, for the comparison (a path relative to the plan file)."""
    business_case: Annotated[str, Field(min_length=1, max_length=500)]
    """How each service is paid for and what the new services cost (a path relative to the plan file)."""
    run: RunOverrides = RunOverrides()
    variables: Annotated[
        dict[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)], Variable],
        Field(min_length=1, max_length=MAX_VARIABLES),
    ]
    objective: Objective = Objective()
    constraints: Annotated[list[Constraint], Field(max_length=MAX_CONSTRAINTS, default_factory=list)]
    search: Search = Search()
    selection: Selection = Selection()
    budget: Annotated[int, Field(ge=10, le=MAX_BUDGET)] = 600
    """Most simulator replications the whole plan may spend (plans and today's pathway)."""

    @model_validator(mode="after")
    def _distinct_kpis(self):
        seen = set()
        for c in self.constraints:
            key = (c.kpi, c.sense)
            if key in seen:
                raise ValueError(f"constraints: {c.kpi} {c.sense.replace('_', ' ')} given twice")
            seen.add(key)
        return self

    def grid_size(self) -> int:
        """How many distinct plans the variables allow."""
        return math.prod(len(v.levels()) for v in self.variables.values())


def load_plan(path: str | Path) -> tuple[Plan, Path]:
    """Read and validate a plan file; returns it and the folder its relative paths start from.

    Raises
    ------
    ConfigError
        One line naming the file, the field and its value.
    """
    path = Path(path)
    data = read_yaml_mapping(path, "plan")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None
    return plan, path.resolve().parent
