"""Plain-word names for the app: KPIs, changes X1-X8, SDA providers, routes.

All the words the app shows for model names live here, so they can be replaced
in one place.
"""

from __future__ import annotations

from types import MappingProxyType

CHANGE_LABELS = MappingProxyType({
    "x1_overflow_instead_of_walk_in":
        ("X1 Practice overflow: an SDA slot instead of walking in to A&E",
         "Patients who find no slot at their own practice and would walk in to A&E/UTC are offered a PCN SDA slot first."),
    "x2_overflow_instead_of_practice_referral":
        ("X2 Practice overflow: an SDA slot instead of a referral to A&E",
         "Patients the practice would refer to A&E/UTC are offered a PCN SDA slot first."),
    "x3_overflow_instead_of_111_call":
        ("X3 Practice overflow: an SDA slot instead of calling NHS 111",
         "Patients who would call NHS 111 are offered a PCN SDA slot first."),
    "x4_111_books_pcn_sda":
        ("X4 NHS 111 books PCN SDA slots",
         "When the practices' 111 slots are gone, NHS 111 books a PCN SDA slot instead of sending the patient to A&E/UTC."),
    "x5_utc_stops_redirecting":
        ("X5 The UTC stops redirecting to SDA",
         "The UTC clinician's referral follow-up triage (redirection to SDA after joining the UTC queue) stops."),
    "x6_comprehensive_sda_consultation":
        ("X6 A comprehensive SDA consultation",
         "SDA clinicians see records, order tests and refer, so fewer patients go back to their own GP."),
    "x7_st_andrews_hub_ceased":
        ("X7 The St Andrews hub stops taking 111 bookings",
         "Its capacity moves into the PCN SDA diary."),
    "x8_ia_nurse_redirects":
        ("X8 The IA nurse redirects to SDA, 7 days a week",
         "The initial-assessment nurse redirects every eligible, willing candidate 08:00-20:00 Mon-Sun; the Care Navigator books."),
})
"""Switch name -> (label, one line of help)."""

PROVIDER_LABELS = MappingProxyType({
    "gpcg_sda": "GP Care Group SDA service (front-door redirections)",
    "pcn_sda": "PCN SDA pilots (practice overflow and NHS 111)",
    "practice_111": "Practice slots NHS 111 can book",
    "st_andrews_hub": "St Andrews hub (NHS 111 bookings)",
})

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

KPI_LABELS = MappingProxyType({
    "ia_wait_mean_min": "Wait for the IA nurse, mean (min)",
    "utc_wait_mean_min": "Wait for a UTC clinician, mean (min)",
    "ed_wait_mean_min": "Wait for an ED cubicle, mean (min)",
    "redirected_time_to_slot_mean_min": "Redirected patient: arrival to SDA slot, mean (min)",
    "pcn_time_to_slot_mean_min": "PCN SDA patient: arrival to slot, mean (min)",
    "utc_time_in_dept_mean_min": "Time in the UTC, mean (min)",
    "utc_within_4h_pct": "UTC patients leaving within 4 hours (%)",
    "ed_within_4h_pct": "ED patients leaving within 4 hours (%)",
    "ia_within_15min_pct": "Seen by the IA nurse within 15 minutes (%)",
    "utc_attendances_per_day": "UTC attendances per day",
    "ed_attendances_per_day": "ED attendances per day",
    "sda_redirections_front_door_per_day": "Front-door redirections to SDA per day",
    "sda_redirections_ia_per_day": "... of which by the IA nurse",
    "sda_redirections_utc_per_day": "... of which via the UTC",
    "sda_bookings_111_per_day": "PCN SDA bookings by NHS 111 per day",
    "sda_bookings_overflow_per_day": "PCN SDA bookings for practice overflow per day",
    "sda_slot_utilisation_pct": "SDA slots used (%)",
    "sda_unused_slots_per_day": "SDA slots left unused per day",
    "sda_no_slot_per_day": "Patients who wanted an SDA slot and found none, per day",
    "nhs111_no_slot_to_front_door_per_day": "NHS 111 callers sent to A&E/UTC for want of a slot, per day",
    "gp_reattendance_hours_per_week": "GP hours a week spent on reattendances after SDA",
    "cost_total_annual_gbp": "Recurrent annual cost (GBP)",
})
"""The headline KPIs, in the order the results table shows them."""

WAIT_KPIS = MappingProxyType({
    "ia_wait_mean_min": "Front door: wait for the IA nurse",
    "utc_wait_mean_min": "UTC: wait for a clinician",
    "ed_wait_mean_min": "ED: wait for a cubicle",
    "redirected_time_to_slot_mean_min": "Redirected to GPCG SDA: arrival to slot",
    "pcn_time_to_slot_mean_min": "PCN SDA: arrival to slot",
})
"""Mean waits along each route, for the waits chart."""

CHANNEL_LABELS = MappingProxyType({
    "walk_in": "Walk-in",
    "nhs111": "NHS 111",
    "gp_overflow": "Practice overflow",
})

SERVICE_LABELS = MappingProxyType({
    "call_111": "111 call", "ia": "IA nurse", "pharmacy": "Pharmacy First", "navigator": "Care Navigator",
    "utc": "UTC", "ed": "ED", "sda_gpcg": "GPCG SDA", "sda_pcn": "PCN SDA", "practice_111": "practice (111)",
    "hub_111": "St Andrews hub", "gp_next_day": "own GP next day", "self_care": "self-care",
    "ambulance": "ambulance", "none": "no service",
})


def kpi_label(kpi: str) -> str:
    """A KPI in words (its own name if it has none)."""
    return KPI_LABELS.get(kpi, kpi)


def route_label(route: str) -> str:
    """A route such as ``walk_in:ia>utc>sda_gpcg`` in words: ``Walk-in: IA nurse > UTC > GPCG SDA``."""
    channel, _, steps = route.partition(":")
    words = [SERVICE_LABELS.get(step, step) for step in steps.split(">")] if steps else []
    return f"{CHANNEL_LABELS.get(channel, channel)}: " + " > ".join(words)


def change_label(switch: str) -> str:
    """A change's label, e.g. ``X8 The IA nurse redirects to SDA, 7 days a week``."""
    return CHANGE_LABELS[switch][0] if switch in CHANGE_LABELS else switch
