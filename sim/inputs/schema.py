"""The scenario schema: the shape of a scenario config and the allowed range of every value.

Every model parameter lives in a config file (``configs/base.yaml`` holds the defaults with their
provenance); this module only defines the shape and the allowed ranges, as frozen pydantic models
(:class:`Locked`): unknown keys, wrong types and out-of-range values are refused. :class:`Config` is
a whole scenario; the blocks it holds (``run``, ``demand``, the stations, the slot diaries, the
calibration, the changes X1-X8, the unit costs) follow in the order of a config file.

Each model's validator is built when the first config is validated, not when this module is
imported (``defer_build``), so the command line starts fast.
"""

from __future__ import annotations

import datetime as _dt
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from .calendar import WEEKDAYS, bank_holiday_days, check_weekly, day_types, expand_weekly, year_shares
from .distributions import Distribution

# Bounds on counts and rates: what the model can represent and one machine can hold.
# Each is far above any real value for Tower Hamlets; pydantic states the bound in its message.
MAX_STAFF = 10_000
"""Most staff or cubicles on duty in one hour at one station."""
MAX_SLOTS_PER_DAY = 10_000
"""Most same-day appointments one provider offers in a day."""
MAX_MEAN_PER_DAY = 100_000.0
"""Highest mean demand per day on one channel (the borough sees under 1,000)."""
MAX_GROWTH = 100.0
"""Largest demand multiplier."""
MAX_PROFILE = 1_000.0
"""Largest hour-of-day, day-of-week or hour-of-week multiplier."""
MAX_UNIT_COST = 1_000_000.0
"""Largest unit cost in GBP of one contact (an ED attendance costs a few hundred)."""
MAX_MINUTES = 10_080.0
"""Longest appointment length or booking lead time: one week, in minutes."""

Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegFloat = Annotated[float, Field(ge=0.0)]
NonNegInt = Annotated[int, Field(ge=0)]
Hour = Annotated[float, Field(ge=0.0, le=24.0)]
StaffCount = Annotated[int, Field(ge=0, le=MAX_STAFF)]
Multiplier = Annotated[float, Field(ge=0.0, le=MAX_PROFILE)]
Minutes = Annotated[float, Field(ge=0.0, le=MAX_MINUTES)]
Weekly = Annotated[Multiplier | list[Multiplier] | list[list[Multiplier]], AfterValidator(check_weekly)]
"""A number (all week), 24 hourly values (every day) or 7 x 24 values (Mon first)."""
WeeklyCount = Annotated[StaffCount | list[StaffCount] | list[list[StaffCount]], AfterValidator(check_weekly)]
"""As ``Weekly`` but whole numbers: a staffing rota."""
Days7 = Annotated[list[Annotated[int, Field(ge=0, le=MAX_SLOTS_PER_DAY)]], Field(min_length=7, max_length=7)]
Hours24 = Annotated[list[Multiplier], Field(min_length=24, max_length=24)]
Week7 = Annotated[list[Multiplier], Field(min_length=7, max_length=7)]
UnitCost = Annotated[float, Field(ge=0.0, le=MAX_UNIT_COST)]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
"""A scenario's name, which names its results folder: letters, digits, ``_ . -``, starting with a letter
or digit (so it can be neither a path nor hidden)."""
Flags7 = Annotated[list[bool], Field(min_length=7, max_length=7)]


class Locked(BaseModel):
    """Base for every config block: immutable, strict types, no unknown keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True)


# ---------------------------------------------------------------- run ----
def _iso_date(value: Any) -> Any:
    """A date as YAML reads it (``2025-01-06`` unquoted is a date) or as text, kept as ISO text."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("must be a date written YYYY-MM-DD") from None
    return value


class RunConfig(Locked):
    """Length, replications and seed of a run, and the calendar its days follow.

    ``start_date`` (optional, YYYY-MM-DD) dates day 0; its weekday must be
    ``start_weekday``. With ``bank_holidays`` the England and Wales bank holidays
    (``configs/bank_holidays_england_wales.yaml``) in the run follow the pattern
    of ``bank_holiday_as_weekday`` (6 = Sunday): demand, rotas and slot diaries.
    """

    days: int = Field(ge=1, le=3660)
    warmup_days: NonNegInt
    replications: int = Field(ge=1, le=10000)
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)]
    start_weekday: int = Field(ge=0, le=6)
    start_date: Annotated[str, BeforeValidator(_iso_date)] | None
    """The calendar date of day 0 (YYYY-MM-DD), needed to place bank holidays; none: an undated run."""
    bank_holidays: bool
    bank_holiday_as_weekday: int = Field(ge=0, le=6)

    @field_validator("start_date")
    @classmethod
    def _date_on_start_weekday(cls, value, info):
        start_weekday = info.data.get("start_weekday")
        if value is not None and start_weekday is not None:
            weekday = _dt.date.fromisoformat(value).weekday()
            if weekday != start_weekday:
                raise ValueError(
                    f"is a {WEEKDAYS[weekday]}, but start_weekday is {start_weekday} ({WEEKDAYS[start_weekday]})"
                )
        return value

    @field_validator("bank_holidays")
    @classmethod
    def _holidays_known(cls, value, info):
        if value:
            start, days = info.data.get("start_date"), info.data.get("days")
            if start is None:
                raise ValueError("bank holidays need run.start_date (YYYY-MM-DD) to place them")
            if days is not None:
                bank_holiday_days(_dt.date.fromisoformat(start), days)  # the dates must be known for the run
        return value

    def holiday_days(self) -> list[int]:
        """Simulation days that are bank holidays (none unless ``bank_holidays``)."""
        if not self.bank_holidays or self.start_date is None:
            return []
        return bank_holiday_days(_dt.date.fromisoformat(self.start_date), self.days)

    def day_types(self):
        """The weekday whose pattern each simulation day follows (bank holidays as configured)."""
        return day_types(self.days, self.start_weekday, self.holiday_days(), self.bank_holiday_as_weekday)

    def year_shares(self):
        """Share of a year's days following each weekday's pattern (for annual figures)."""
        return year_shares(self.bank_holidays, self.bank_holiday_as_weekday)


# ------------------------------------------------------------- demand ----
class ArrivalProfile(Locked):
    """Demand on one channel: mean per day, growth, and its weekly shape.

    ``mean_per_day`` is the mean over all 7 days of the week, whatever the
    shape: the shape lists give only the relative level of each hour. The
    hourly rate is ``mean_per_day / 24 * growth * m`` where ``m`` is the
    hour-of-week multiplier, of mean 1 over the week. Given ``hour_of_day`` and
    ``day_of_week`` (each rescaled to mean 1), ``m = hour_of_day[h] *
    day_of_week[d]``; ``hour_of_week`` (7 lists of 24, Monday first) is rescaled
    to mean 1 over its 168 hours. A channel with no weekend demand
    (``day_of_week`` zero on Saturday and Sunday) thus has ``mean_per_day * 7 / 5``
    on an average weekday.
    """

    mean_per_day: Annotated[float, Field(ge=0.0, le=MAX_MEAN_PER_DAY)]
    """Mean new patients a day on this channel, over all 7 days of the week."""
    growth: Annotated[float, Field(ge=0.0, le=MAX_GROWTH)]
    """Demand multiplier (1: today's demand; 1.1: ten per cent more)."""
    hour_of_day: Hours24 | None = None
    """Relative level of each clock hour, 00:00 first (rescaled to mean 1)."""
    day_of_week: Week7 | None = None
    """Relative level of each weekday, Monday first (rescaled to mean 1)."""
    hour_of_week: Annotated[list[Hours24], Field(min_length=7, max_length=7)] | None = None
    """The whole week's shape, 7 lists of 24 hours, Monday first (rescaled to mean 1); replaces the two above."""

    @model_validator(mode="after")
    def _one_shape(self):
        if self.hour_of_week is None and (self.hour_of_day is None or self.day_of_week is None):
            raise ValueError("give hour_of_day and day_of_week, or hour_of_week")
        if self.mean_per_day > 0 and self.growth > 0:
            # a profile of zeros would silence the channel whatever its mean: say so
            profiles = (
                {"hour_of_week": self.hour_of_week}
                if self.hour_of_week is not None
                else {"hour_of_day": self.hour_of_day, "day_of_week": self.day_of_week}
            )
            for name, values in profiles.items():
                if sum(v for row in values for v in (row if isinstance(row, list) else [row])) <= 0:
                    raise ValueError(
                        f"{name} must not be all zero when mean_per_day is above 0 "
                        "(set mean_per_day: 0 to switch the channel off)"
                    )
        return self


class WalkInDemand(ArrivalProfile):
    registered_th: Prob
    utc_suitable: Prob


class Shares(Locked):
    """Probabilities of mutually exclusive outcomes: they must sum to 1."""

    @model_validator(mode="after")
    def _sums_to_one(self):
        shares = {name: getattr(self, name) for name in type(self).model_fields}  # no serializer to build
        total = sum(shares.values())
        if abs(total - 1.0) > 1e-6:
            terms = " + ".join(f"{name} {value:.4g}" for name, value in shares.items())
            raise ValueError(f"shares must sum to 1, got {total:.6g} ({terms})")
        return self


class Nhs111Dispositions(Shares):
    ambulance: Prob
    """Share of calls sent an ambulance."""
    ed: Prob
    """Share told to go to the ED (they travel to the front door)."""
    primary_care: Prob
    """Share given a primary-care disposition, booked into a same-day slot."""
    pharmacy: Prob
    """Share sent to a community pharmacy."""
    self_care: Prob
    """Share advised to care for themselves."""
    other: Prob
    """Share with any other disposition (ends after the call, as self-care)."""


BookingDiary = Literal["practice_111", "st_andrews_hub", "pcn_sda"]
"""A slot diary NHS 111 can book for a primary-care disposition."""


def _no_repeats(names: list[str]) -> list[str]:
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"{', '.join(repeated)} listed more than once")
    return names


class Nhs111Demand(ArrivalProfile):
    """NHS 111 calls; ``booking_order`` is the order a primary-care disposition tries slot diaries
    (with ``booking_rule`` ``earliest_slot``, the order only breaks ties between slots at the same time).

    A diary left out of ``booking_order`` is never tried by 111. The St Andrews hub is
    skipped once it has ceased (X7) and the PCN diary until 111 may book it (X4).
    """

    dispositions: Nhs111Dispositions
    call_time_min: Distribution
    no_slot_to_front_door: Prob
    booking_order: Annotated[list[BookingDiary], Field(min_length=1), AfterValidator(_no_repeats)]
    booking_rule: Literal["in_order", "earliest_slot"]
    """``in_order``: the first diary in ``booking_order`` with a reachable slot today, whatever its time;
    ``earliest_slot``: the earliest reachable slot among the diaries, ties going to the first in the order."""


class OverflowChoice(Shares):
    """What a patient with no slot at their own practice does without an SDA overflow slot."""

    walk_in: Prob
    """Share who walk into A&E (X1)."""
    practice_referral: Prob
    """Share the practice refers to A&E (X2)."""
    nhs111: Prob
    """Share who call NHS 111 (X3)."""
    next_day: Prob
    """Share who wait for a slot at their own practice tomorrow."""
    pharmacy: Prob
    """Share who go to a community pharmacy."""
    self_care: Prob
    """Share who care for themselves."""


class OverflowDemand(ArrivalProfile):
    choice: OverflowChoice
    utc_suitable: Prob
    next_day_group_uses_sda: bool


class InducedDemand(ArrivalProfile):
    """New same-day demand drawn to the SDA route by the redesign itself.

    Patients who would otherwise have contacted their own GP now walk in to A&E
    to be redirected to an SDA slot, or call NHS 111 for a PCN SDA slot. They are
    Tower Hamlets patients with a primary-care need who accept an SDA slot; the
    SDA-eligible share applies to them as to everyone.
    """

    via_nhs111: Prob
    """Share who call NHS 111 (primary-care disposition); the rest walk in to A&E."""


class Demand(Locked):
    walk_in: WalkInDemand
    nhs111: Nhs111Demand
    practice_overflow: OverflowDemand
    induced: InducedDemand


# ---------------------------------------------------------- patients ----
class PatientCriteria(Locked):
    """Who may be redirected, how long travel takes, and what a patient who leaves unseen does next.

    ``left_unseen_sees_gp`` is the share of patients who leave the UTC or ED
    without being seen who see their own GP the next day; the rest look after
    themselves.
    """

    sda_eligible: Prob
    accepts_redirection: Prob
    travel_time_min: Distribution
    left_unseen_sees_gp: Prob


# ------------------------------------------------------------- places ----
class Reception(Locked):
    clerks: WeeklyCount
    """Reception clerks on duty: one number, 24 hourly values or 7 x 24 (Monday first)."""
    time_min: Distribution
    """Minutes to take one patient's details."""


class Window(Locked):
    """Clock hours ``[start_hour, end_hour)`` on the weekdays flagged in ``days`` (Mon first)."""

    start_hour: Hour
    """First clock hour of the window (8.5 is 08:30)."""
    end_hour: Hour
    """Clock hour the window closes (20 is 20:00)."""
    days: Flags7
    """On which weekdays the window is open, Monday first."""

    @model_validator(mode="after")
    def _window(self):
        if self.end_hour < self.start_hour:
            raise ValueError("end_hour must be >= start_hour (a window cannot cross midnight)")
        return self


class Redirection(Window):
    """Who the IA nurse redirects to SDA, and when.

    A candidate who can reach no free slot today (every slot taken, or the last
    one too soon) is offered the earliest free slot of the next day and accepts
    it with ``next_day_accept_probability`` (0: same-day booking only).
    ``probability`` may be ``None`` for today's policy only: it is then set from
    ``calibration`` (see :class:`Calibration`).
    """

    probability: Prob | None
    """Chance the IA nurse redirects a candidate in the window; ``None`` (today's only): from ``calibration``."""
    care_navigator_books: bool
    next_day_accept_probability: Prob


class IaNurse(Locked):
    nurses: WeeklyCount
    """IA streaming nurses on duty: one number, 24 hourly values or 7 x 24 (Monday first)."""
    time_min: Distribution
    pharmacy_first_probability: Prob
    redirection_current: Redirection
    redirection_x8: Redirection


class CareNavigator(Locked):
    navigators: WeeklyCount
    time_min: Distribution


class Utc(Locked):
    """The UTC; its referral follow-up triage may redirect to SDA only inside ``triage_window``."""

    clinicians: WeeklyCount
    consult_time_min: Distribution
    triage_time_min: Distribution
    triage_redirect_probability: Prob | None
    """``None``: set from ``calibration`` (see :class:`Calibration`); a number overrides it."""
    triage_window: Window
    reattend_probability: Prob
    """Share of patients seen and discharged by the UTC who then see their own GP about it."""
    patience_min: Distribution | None
    """How long a patient waits for a UTC clinician before leaving unseen; ``None``: nobody leaves."""


class Ed(Locked):
    cubicles: WeeklyCount
    time_min: Distribution
    patience_min: Distribution | None
    """How long a patient waits for an ED cubicle before leaving unseen; ``None``: nobody leaves."""


class CarveOut(Locked):
    """Share of a PCN diary's slots held for NHS 111; the rest are for practice overflow."""

    nhs111: Prob
    """Share of each day's slots held for NHS 111 (rounded to whole slots)."""


class SlotDiary(Locked):
    """Same-day appointments of one provider over a daily session.

    Each day has ``slots_per_day[weekday]`` slots. Without ``hour_weights`` they
    start at even intervals over the session. With ``hour_weights`` (24 values, or
    7 lists of 24, Monday first) the day's slots are shared among the clock hours
    in proportion to the weights (largest remainders, so whole slots and the same
    daily total) and spread evenly within each hour's part of the session; hours
    wholly outside the session must have weight 0. ``carve_out`` (PCN diary only)
    holds a share of each day's slots for NHS 111; ``null`` pools them.
    """

    slots_per_day: Days7
    """Appointments offered each weekday, Monday first."""
    session_start_hour: Hour
    """Clock hour of the first appointment (8.5 is 08:30)."""
    session_end_hour: Hour
    """Clock hour the session ends; the day's slots are spread over the session before it."""
    appointment_min: Annotated[float, Field(gt=0, le=MAX_MINUTES)]
    """Length of one appointment, minutes."""
    booking_lead_min: Minutes
    """Least time between booking and the appointment (travel), minutes."""
    hour_weights: Weekly | None
    """How each day's slots are shared among the clock hours; ``null``: spread evenly."""
    carve_out: CarveOut | None
    """PCN diary only: a share held for NHS 111; ``null``: one pool."""

    @model_validator(mode="after")
    def _session(self):
        if self.session_end_hour < self.session_start_hour:
            raise ValueError("session_end_hour must be >= session_start_hour")
        if self.hour_weights is not None:
            weights = expand_weekly(self.hour_weights).reshape(7, 24)
            for hour in range(24):
                inside = hour + 1 > self.session_start_hour and hour < self.session_end_hour
                if not inside and weights[:, hour].any():
                    raise ValueError(
                        f"hour_weights: weight at {hour:02d}:00 lies outside the session "
                        f"{self.session_start_hour:g}-{self.session_end_hour:g}"
                    )
            for day, n in enumerate(self.slots_per_day):
                if n > 0 and weights[day].sum() <= 0:
                    raise ValueError(f"hour_weights: all zero on {WEEKDAYS[day]}, which has {n} slots")
        return self


class SlotDiaries(Locked):
    gpcg_sda: SlotDiary
    pcn_sda: SlotDiary
    practice_111: SlotDiary
    st_andrews_hub: SlotDiary

    @model_validator(mode="after")
    def _carve_out_pcn_only(self):
        for name in ("gpcg_sda", "practice_111", "st_andrews_hub"):
            if getattr(self, name).carve_out is not None:
                raise ValueError(f"{name}.carve_out: only the PCN diary (pcn_sda) can be carved out")
        return self


class SdaConsultation(Locked):
    reattend_probability_current: Prob
    reattend_probability_comprehensive: Prob
    gp_appointment_min: Annotated[float, Field(gt=0, le=MAX_MINUTES)]


class Calibration(Locked):
    """Today's front-door redirections to SDA, as two figures from which the model's rates follow.

    ``current_redirection_propensity`` (``r``) is the chance that an SDA
    candidate streamed to the UTC inside the IA nurse's window is redirected at
    one point or the other; ``current_redirections_share_at_ia`` (``s``) is the
    share of those redirections made directly by the IA nurse, the rest by the
    UTC's referral follow-up triage. Today's IA redirection probability is
    ``s * r`` and the UTC triage's, applied to the candidates the IA nurse did
    not redirect, is ``(1 - s) * r / (1 - s * r)``. So ``s = 0`` sends every
    redirection via the UTC and ``s = 1`` makes them all at the IA, and ``r``
    stays the same throughout. The realised share differs a little (the UTC
    triage also reaches candidates outside the IA window, and slots run out at
    different times of day): the ``sda_redirections_ia_per_day`` and
    ``..._utc_...`` KPIs report it.
    """

    current_redirection_propensity: Prob
    current_redirections_share_at_ia: Prob

    @property
    def ia_redirect_probability(self) -> float:
        """Today's IA nurse redirection probability, ``s * r``."""
        return self.current_redirections_share_at_ia * self.current_redirection_propensity

    @property
    def utc_triage_redirect_probability(self) -> float:
        """Today's UTC triage redirection probability, ``(1 - s) * r / (1 - s * r)``."""
        left = 1.0 - self.ia_redirect_probability
        if left <= 0.0:
            return 0.0  # the IA nurse redirects every candidate: none is left to the UTC
        return (1.0 - self.current_redirections_share_at_ia) * self.current_redirection_propensity / left


Disposition = Literal["ambulance", "ed", "primary_care", "pharmacy", "self_care", "other"]
"""An NHS 111 disposition (the keys of ``demand.nhs111.dispositions``)."""


class ClinicalNeed(Locked):
    """Who needs ED, and whether a same-day primary-care slot may take them instead.

    A patient's need is read where the pathway reveals it: streaming at the front
    door (``front_door_ed_stream``: the IA nurse would send them to ED, i.e. not
    UTC-suitable) and the NHS 111 disposition (``nhs111_ed_dispositions``). With
    ``ed_need_may_book_sda`` false, a patient whose need is ED is never booked
    into a PCN SDA overflow slot as if ED were avoided: they take the route they
    would have taken without one (walk in, be referred, or call NHS 111).
    """

    front_door_ed_stream: bool
    nhs111_ed_dispositions: Annotated[list[Disposition], AfterValidator(_no_repeats)]
    ed_need_may_book_sda: bool


class Changes(Locked):
    """The programme's pathway changes X1-X8, each a switch."""

    x1_overflow_instead_of_walk_in: bool
    x2_overflow_instead_of_practice_referral: bool
    x3_overflow_instead_of_111_call: bool
    x4_111_books_pcn_sda: bool
    x5_utc_stops_redirecting: bool
    x6_comprehensive_sda_consultation: bool
    x7_st_andrews_hub_ceased: bool
    x8_ia_nurse_redirects: bool


class UnitCosts(Locked):
    nhs111_call: UnitCost
    ia_streaming: UnitCost
    ed_attendance: UnitCost
    utc_attendance: UnitCost
    sda_appointment: UnitCost
    gp_appointment: UnitCost
    pharmacy_first: UnitCost
    care_navigator_booking: UnitCost
    ambulance: UnitCost


class Config(Locked):
    """A whole scenario: every parameter the model reads."""

    name: Name
    """The scenario's name; it names the results folder."""
    description: str
    """A line saying what the scenario is."""
    run: RunConfig
    demand: Demand
    patients: PatientCriteria
    reception: Reception
    ia_nurse: IaNurse
    care_navigator: CareNavigator
    utc: Utc
    ed: Ed
    slot_diaries: SlotDiaries
    sda_consultation: SdaConsultation
    calibration: Calibration
    clinical_need: ClinicalNeed
    changes: Changes
    unit_costs_gbp: UnitCosts

    @property
    def ia_redirect_probability_current(self) -> float:
        """Today's IA redirection probability: the config's number if given, else from ``calibration``."""
        given = self.ia_nurse.redirection_current.probability
        return self.calibration.ia_redirect_probability if given is None else given

    @property
    def utc_triage_redirect_probability(self) -> float:
        """The UTC triage's redirection probability: the config's number if given, else from ``calibration``."""
        given = self.utc.triage_redirect_probability
        return self.calibration.utc_triage_redirect_probability if given is None else given

    @model_validator(mode="after")
    def _x8_rate_given(self):
        if self.ia_nurse.redirection_x8.probability is None:
            raise ValueError("ia_nurse.redirection_x8.probability must be a number (only today's may be null)")
        return self

    @model_validator(mode="after")
    def _warmup_shorter(self):
        if self.run.warmup_days >= self.run.days:
            raise ValueError(f"run.warmup_days ({self.run.warmup_days}) must be less than run.days ({self.run.days})")
        return self
