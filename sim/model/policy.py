"""The pathway's rules for one scenario, with the switches X1-X8 resolved once.

``resolve_policy(cfg)`` reads the changes X1-X8 and the settings they select
between, and returns a frozen plain object. The model's processes read only
this object for the pathway's rules (never ``cfg.changes``), so which rule a
switch selects is decided in one place, as Ciw resolves a network before it
runs it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..inputs.config import Config, Window
from .patients import O_NEXT_DAY, O_NHS111, O_REFERRAL, O_WALK_IN, OVERFLOW_CHOICES

DIARY_ACTIVITY = {"practice_111": "practice_111", "st_andrews_hub": "hub_111", "pcn_sda": "sda_pcn"}
"""The activity (route step) of a slot booked by NHS 111 in each diary."""


@dataclass(frozen=True, slots=True)
class Policy:
    """Every rule the processes apply, resolved from one scenario's config.

    Attributes
    ----------
    ia_redirect_probability : float
        Chance the IA nurse redirects an SDA candidate inside ``ia_window`` (today's
        calibrated rate, or X8's).
    ia_window : Window
        Hours and days the IA nurse redirects (today's, or X8's 7-day window).
    ia_care_navigator_books : bool
        The Care Navigator books the slot (X8).
    ia_next_day_accept_probability : float
        Chance a candidate with no slot left today accepts tomorrow's earliest.
    pharmacy_first_probability : float
        UTC-suitable walk-ins the IA nurse sends to Pharmacy First.
    utc_redirects : bool
        The UTC's referral follow-up triage redirects to SDA (not after X5).
    utc_triage_probability : float
        Its redirection probability.
    utc_triage_window : Window
        Hours and days it redirects.
    utc_reattend_probability : float
        Patients seen in the UTC who then see their own GP.
    sda_reattend_probability : float
        Patients seen in SDA who then see their own GP (comprehensive consultation with X6).
    nhs111_diaries : tuple of str
        Diaries a 111 primary-care disposition may book, in the configured order (the hub
        until X7, the PCN diary with X4).
    nhs111_soonest_slot : bool
        111 books the soonest slot of any of them (else the first diary with one left).
    nhs111_no_slot_to_front_door : float
        Share 111 sends to A&E/UTC when every diary ran out in hours.
    overflow_offered : tuple of bool
        By overflow choice (``OVERFLOW_CHOICES`` order): offered a PCN SDA overflow slot (X1-X3).
    ed_need_may_book_sda : bool
        A patient with an ED need may be booked into an SDA slot.
    left_unseen_sees_gp : float
        Share of those who leave the UTC or ED unseen who see their own GP next day.
    """

    ia_redirect_probability: float
    ia_window: Window
    ia_care_navigator_books: bool
    ia_next_day_accept_probability: float
    pharmacy_first_probability: float
    utc_redirects: bool
    utc_triage_probability: float
    utc_triage_window: Window
    utc_reattend_probability: float
    sda_reattend_probability: float
    nhs111_diaries: tuple[str, ...]
    nhs111_soonest_slot: bool
    nhs111_no_slot_to_front_door: float
    overflow_offered: tuple[bool, ...]
    ed_need_may_book_sda: bool
    left_unseen_sees_gp: float


def resolve_policy(cfg: Config) -> Policy:
    """The rules of the pathway ``cfg`` describes, switches X1-X8 applied."""
    ch = cfg.changes
    redirection = cfg.ia_nurse.redirection_x8 if ch.x8_ia_nurse_redirects else cfg.ia_nurse.redirection_current
    diaries = [
        name
        for name in cfg.demand.nhs111.booking_order
        if not (name == "st_andrews_hub" and ch.x7_st_andrews_hub_ceased)
        and not (name == "pcn_sda" and not ch.x4_111_books_pcn_sda)
    ]
    overflow_service = (
        ch.x1_overflow_instead_of_walk_in
        or ch.x2_overflow_instead_of_practice_referral
        or ch.x3_overflow_instead_of_111_call
    )
    offered = [False] * len(OVERFLOW_CHOICES)
    offered[O_WALK_IN] = ch.x1_overflow_instead_of_walk_in
    offered[O_REFERRAL] = ch.x2_overflow_instead_of_practice_referral
    offered[O_NHS111] = ch.x3_overflow_instead_of_111_call
    offered[O_NEXT_DAY] = overflow_service and cfg.demand.practice_overflow.next_day_group_uses_sda
    sda = cfg.sda_consultation
    return Policy(
        ia_redirect_probability=(
            redirection.probability if ch.x8_ia_nurse_redirects else cfg.ia_redirect_probability_current
        ),
        ia_window=redirection,
        ia_care_navigator_books=redirection.care_navigator_books,
        ia_next_day_accept_probability=redirection.next_day_accept_probability,
        pharmacy_first_probability=cfg.ia_nurse.pharmacy_first_probability,
        utc_redirects=not ch.x5_utc_stops_redirecting,
        utc_triage_probability=cfg.utc_triage_redirect_probability,
        utc_triage_window=cfg.utc.triage_window,
        utc_reattend_probability=cfg.utc.reattend_probability,
        sda_reattend_probability=(
            sda.reattend_probability_comprehensive
            if ch.x6_comprehensive_sda_consultation
            else sda.reattend_probability_current
        ),
        nhs111_diaries=tuple(diaries),
        nhs111_soonest_slot=cfg.demand.nhs111.booking_rule == "earliest_slot",
        nhs111_no_slot_to_front_door=cfg.demand.nhs111.no_slot_to_front_door,
        overflow_offered=tuple(offered),
        ed_need_may_book_sda=cfg.clinical_need.ed_need_may_book_sda,
        left_unseen_sees_gp=cfg.patients.left_unseen_sees_gp,
    )
