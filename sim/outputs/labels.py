"""Plain-word labels for changes, routes, providers and KPIs: the one set of words the command line, the
workbook, the report and the web app all use, so a reader sees the same name for the same thing.

The model names things by code (``x8_ia_nurse_redirects``, ``walk_in:ia>navigator>sda_gpcg``,
``utc_within_4h_pct``). These functions turn a code into words:

>>> change_label("x8_ia_nurse_redirects")
'X8 IA nurse redirects straight to SDA, 7 days a week'
>>> route_label("walk_in:ia>navigator>sda_gpcg")
'Walk-in: streamed by IA nurse, booked by Care Navigator into GPCG SDA'
>>> kpi_label("utc_within_4h_pct")
'UTC patients within 4 hours, %'

An unknown code is returned readable but unchanged in meaning (underscores become spaces),
so a new KPI or route never breaks a table.
"""

from __future__ import annotations

import re

from ..analysis.kpis import kpi_unit as registry_unit

CHANGE_NAMES = {
    "x1_overflow_instead_of_walk_in": "Practice overflow: a PCN SDA slot instead of walking in to A&E",
    "x2_overflow_instead_of_practice_referral": "Practice overflow: a PCN SDA slot instead of a referral to A&E",
    "x3_overflow_instead_of_111_call": "Practice overflow: a PCN SDA slot instead of calling NHS 111",
    "x4_111_books_pcn_sda": "NHS 111 books PCN SDA slots",
    "x5_utc_stops_redirecting": "UTC stops redirecting to SDA",
    "x6_comprehensive_sda_consultation": "Comprehensive SDA consultation: fewer GP reattendances",
    "x7_st_andrews_hub_ceased": "St Andrews hub stops taking NHS 111 bookings; its capacity moves to PCN SDA",
    "x8_ia_nurse_redirects": "IA nurse redirects straight to SDA, 7 days a week",
}
"""Each change X1-X8 in words (without its X number): the same words in the app, the workbook and the CLI."""

CHANGE_HELP = {
    "x1_overflow_instead_of_walk_in": "Patients who find no slot at their own practice and would walk in to A&E/UTC are offered a PCN SDA "
    "slot first.",
    "x2_overflow_instead_of_practice_referral": "Patients the practice would refer to A&E/UTC are offered a PCN SDA slot first.",
    "x3_overflow_instead_of_111_call": "Patients who would call NHS 111 are offered a PCN SDA slot first.",
    "x4_111_books_pcn_sda": "When the practices' NHS 111 slots are gone, NHS 111 books a PCN SDA slot instead of sending the patient "
    "to A&E/UTC.",
    "x5_utc_stops_redirecting": "The UTC clinician's referral follow-up triage (redirection to SDA after joining the UTC queue) stops.",
    "x6_comprehensive_sda_consultation": "SDA clinicians see records, order tests and refer, so fewer patients go back to their own GP.",
    "x7_st_andrews_hub_ceased": "The hub's capacity moves into the PCN SDA diary.",
    "x8_ia_nurse_redirects": "The initial-assessment (IA) nurse redirects every eligible, willing candidate 08:00-20:00 Mon-Sun; "
    "the Care Navigator books.",
}
"""One line of help for each change X1-X8 (the web app shows it beside the switch)."""

STEP_NAMES = {
    "settings": "Settings other than X1-X8 (slots, rotas, rates)",
    "total": "Total",
    "baseline": "Current pathway",
    "new_services": "New services: Care Navigator, extra IA nurse time, PCN pilots, estates",
}
"""Attribution steps that are not a change."""

PROVIDER_NAMES = {
    "gpcg_sda": "GP Care Group SDA service (front-door redirections)",
    "pcn_sda": "PCN SDA pilots (practice overflow and NHS 111)",
    "practice_111": "Practice slots NHS 111 can book",
    "st_andrews_hub": "St Andrews hub (NHS 111 bookings)",
}
"""Each slot diary (a provider of same-day appointments) in words."""

CHANNEL_NAMES = {
    "walk_in": "Walk-in",
    "nhs111": "NHS 111 caller",
    "gp_overflow": "Practice overflow",
    "induced": "Induced demand (new route preferred to own GP)",
}

STEP_PHRASES = {
    "call_111": "NHS 111 call",
    "ia": "streamed by IA nurse",
    "pharmacy": "Pharmacy First",
    "navigator": "booked by Care Navigator",
    "utc": "UTC",
    "ed": "ED",
    "sda_gpcg": "GPCG SDA",
    "sda_pcn": "PCN SDA",
    "practice_111": "practice slot booked by NHS 111",
    "hub_111": "St Andrews hub slot",
    "gp_next_day": "own GP next day",
    "self_care": "self-care",
    "ambulance": "ambulance",
    "gp_reattend": "GP reattendance",
    "gp_reattend_utc": "GP reattendance after UTC",
}
"""Each service a route can use, in words."""

SERVICE_NAMES = {
    "call_111": "NHS 111 calls",
    "ia": "IA nurse streaming",
    "pharmacy": "Pharmacy First consultations",
    "navigator": "Care Navigator bookings",
    "utc": "UTC attendances",
    "ed": "ED attendances",
    "sda_gpcg": "GPCG SDA appointments",
    "sda_pcn": "PCN SDA appointments",
    "practice_111": "Practice appointments booked by NHS 111",
    "hub_111": "St Andrews hub appointments",
    "gp_next_day": "Own-GP appointments next day",
    "self_care": "Self-care",
    "ambulance": "Ambulance conveyances",
    "gp_reattend": "GP reattendances after SDA",
    "gp_reattend_utc": "GP reattendances after a UTC visit",
}
"""Each service as a line of activity (plural), for cost and activity tables."""

KPI_NAMES = {
    "arrivals_per_day": "New patients a day",
    "arrivals_per_day_walk_in": "Walk-ins a day",
    "arrivals_per_day_nhs111": "NHS 111 calls a day",
    "arrivals_per_day_gp_overflow": "Practice-overflow patients a day",
    "front_door_arrivals_per_day": "Patients at the RLH front door a day",
    "utc_attendances_per_day": "UTC attendances a day",
    "ed_attendances_per_day": "ED attendances a day",
    "sda_redirections_front_door_per_day": "Front-door redirections to GPCG SDA a day",
    "sda_redirections_ia_per_day": "Redirections to SDA by the IA nurse a day",
    "sda_redirections_utc_per_day": "Redirections to SDA via UTC triage a day",
    "sda_bookings_111_per_day": "PCN SDA bookings by NHS 111 a day",
    "sda_bookings_overflow_per_day": "PCN SDA bookings for practice overflow a day",
    "sda_slot_utilisation_pct": "SDA slots used, %",
    "sda_slot_utilisation_pct_gpcg": "GPCG SDA slots used, %",
    "sda_slot_utilisation_pct_pcn": "PCN SDA slots used, %",
    "sda_unused_slots_per_day": "Unused SDA slots a day",
    "sda_unused_slots_per_day_gpcg": "Unused GPCG SDA slots a day",
    "sda_unused_slots_per_day_pcn": "Unused PCN SDA slots a day",
    "sda_no_slot_per_day": "Patients finding no SDA slot a day",
    "nhs111_no_slot_to_front_door_per_day": "NHS 111 callers sent to A&E/UTC for want of a slot a day",
    "overflow_to_front_door_per_day": "Practice-overflow patients at A&E/UTC a day",
    "pharmacy_first_per_day": "Pharmacy First referrals a day",
    "ia_wait_mean_min": "Wait for IA nurse, mean, minutes",
    "ia_wait_p90_min": "Wait for IA nurse, 90th centile, minutes",
    "ia_within_15min_pct": "Seen by IA nurse within 15 minutes, %",
    "utc_wait_mean_min": "Wait for UTC clinician, mean, minutes",
    "utc_wait_p90_min": "Wait for UTC clinician, 90th centile, minutes",
    "utc_time_in_dept_mean_min": "Time in UTC, mean, minutes",
    "utc_time_in_dept_p90_min": "Time in UTC, 90th centile, minutes",
    "utc_within_4h_pct": "UTC patients within 4 hours, %",
    "ed_wait_mean_min": "Wait for ED cubicle, mean, minutes",
    "ed_wait_p90_min": "Wait for ED cubicle, 90th centile, minutes",
    "ed_within_4h_pct": "ED patients within 4 hours, %",
    "redirected_time_to_slot_mean_min": "Redirected patient: arrival to SDA appointment, mean, minutes",
    "redirected_time_to_slot_p90_min": "Redirected patient: arrival to SDA appointment, 90th centile, minutes",
    "pcn_time_to_slot_mean_min": "PCN SDA patient: contact to appointment, mean, minutes",
    "pcn_time_to_slot_p90_min": "PCN SDA patient: contact to appointment, 90th centile, minutes",
    "gp_reattendances_per_week": "GP reattendances after SDA or a UTC visit a week",
    "gp_reattendance_hours_per_week": "GP hours spent on reattendances a week",
    "gp_reattendances_after_sda_per_week": "GP reattendances after SDA a week",
    "gp_reattendances_after_utc_per_week": "GP reattendances after a UTC visit a week",
    "arrivals_per_day_induced": "Induced-demand patients a day",
    "nhs111_no_slot_to_front_door_per_weekday": "NHS 111 callers sent to A&E/UTC for want of a slot a weekday",
    "nhs111_no_slot_to_front_door_per_weekend_day": "NHS 111 callers sent to A&E/UTC for want of a slot a weekend day",
    "in_system_at_end": "Patients still in the pathway at the end of the run",
    "unstable": "Queues growing without bound (1 = unstable, 0 = steady)",
    "induced_to_sda_per_day": "Induced demand booked into SDA a day",
    "induced_to_utc_per_day": "Induced demand seen in the UTC a day",
    "sda_refused_while_unused_per_day": "Patients refused an SDA slot while one of the same day stood unused, a day",
    "sda_refused_while_unused_per_day_gpcg": "Patients refused a GPCG SDA slot while one of the same day stood unused, a day",
    "sda_refused_while_unused_per_day_pcn": "Patients refused a PCN SDA slot while one of the same day stood unused, a day",
    "gp_reattendance_hours_after_sda_per_week": "GP hours spent on reattendances after SDA a week",
    "gp_reattendance_hours_after_utc_per_week": "GP hours spent on reattendances after a UTC visit a week",
    "utc_left_unseen_pct": "UTC patients who left without being seen, %",
    "ed_left_unseen_pct": "ED patients who left without being seen, %",
    "left_unseen_per_day": "Patients who left the UTC or ED without being seen a day",
    "cost_total_annual_gbp": "Annual cost of the pathway's activity (GP reattendances apart), GBP",
    "gp_reattendance_value_annual_gbp": "Value of GP time spent on reattendances, GBP a year (not cash, not in the cost)",
}
"""KPI names in words, with their unit."""

ROUTE_KPI_PREFIXES = {
    "cost_annual_gbp_": "Annual cost, GBP",
    "volume_per_day_": "Patients a day",
    "activity_per_day_": "Patients a day using a service",
}


def change_label(code: str, number: bool = True) -> str:
    """A change (``x8_ia_nurse_redirects``, or an attribution step) in words.

    Parameters
    ----------
    code : str
        The switch name under ``changes:``, or ``settings`` / ``total``.
    number : bool
        Start with the change's number (``X8 ...``).
    """
    if code in STEP_NAMES:
        return STEP_NAMES[code]
    if code in CHANGE_NAMES:
        words = CHANGE_NAMES[code]
        return f"{change_number(code)} {words}" if number else words
    return code.replace("_", " ")


def change_help(code: str) -> str:
    """One line saying what a change X1-X8 does (empty for a step that is not a change)."""
    return CHANGE_HELP.get(code, "")


def change_number(code: str) -> str:
    """``X8`` for ``x8_ia_nurse_redirects``; the code itself for a step that is not a change."""
    head = code.split("_", 1)[0]
    return head.upper() if head[:1] == "x" and head[1:].isdigit() else code


def route_label(route: str) -> str:
    """A route code (``walk_in:ia>utc>sda_gpcg``) in words."""
    channel, _, steps = route.partition(":")
    head = CHANNEL_NAMES.get(channel, channel.replace("_", " "))
    if not steps or steps == "none":
        return f"{head}: no service"
    parts: list[str] = []
    previous = ""
    for step in steps.split(">"):
        phrase = STEP_PHRASES.get(step, step.replace("_", " "))
        if step.startswith("sda_") and previous == "navigator":
            parts[-1] = f"{parts[-1]} into {phrase}"
        elif step.startswith("sda_") and previous == "utc":
            parts.append(f"redirected to {phrase}")
        else:
            parts.append(phrase)
        previous = step
    return f"{head}: " + ", ".join(parts)


def service_label(activity: str) -> str:
    """A service (``utc``) as a line of activity (``UTC attendances``)."""
    return SERVICE_NAMES.get(activity, activity.replace("_", " "))


def kpi_label(kpi: str) -> str:
    """A KPI name in words with its unit; per-route KPIs name the route in words."""
    if kpi in KPI_NAMES:
        return KPI_NAMES[kpi]
    for prefix, words in ROUTE_KPI_PREFIXES.items():
        if kpi.startswith(prefix):
            return f"{words}: {route_label(kpi.removeprefix(prefix))}"
    hourly = re.fullmatch(r"(sda_unused_slots_per_day_(?:gpcg|pcn))_h(\d\d)", kpi)
    if hourly:
        hour = int(hourly.group(2))
        return f"{KPI_NAMES[hourly.group(1)]}, starting {hour:02d}:00-{hour + 1:02d}:00"
    return kpi.replace("_", " ")


def kpi_unit(kpi: str) -> str:
    """The unit of a KPI: from the KPI registry (``sim/analysis/kpis.py``), else read from its name."""
    unit = registry_unit(kpi)
    if unit is not None:
        return unit
    if "_gbp" in kpi:
        return "GBP a year" if "annual" in kpi else "GBP"
    if kpi.endswith("_pct") or "_pct_" in kpi:
        return "%"
    if kpi.endswith("_min"):
        return "minutes"
    if "_hours_" in kpi and kpi.endswith("per_week"):
        return "hours a week"
    if "per_week" in kpi:
        return "a week"
    if "per_day" in kpi:
        return "a day"
    return "count"


def with_labels(table, column: str = "kpi"):
    """A copy of a KPI table with ``label`` and ``unit`` columns in words, just after ``column``."""
    out = table.copy()
    at = list(out.columns).index(column) + 1
    out.insert(at, "label", [kpi_label(k) for k in out[column]])
    out.insert(at + 1, "unit", [kpi_unit(k) for k in out[column]])
    return out
