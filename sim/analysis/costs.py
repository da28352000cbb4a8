"""Unit costs per activity, and the cost of each patient's route.

The cost of a route prices the services a patient uses on the way through the
pathway. A reattendance at the patient's own GP afterwards (after an SDA
appointment, X6, or after a UTC visit) is GP time paid for by capitation: it
releases no cash when it is avoided, and the paper counts X6 in GP hours, not
pounds. So reattendances are left out of the route cost (and of every saving
built on it); :func:`reattendance_value` prices them apart, for reference.
"""

from __future__ import annotations

import numpy as np

from ..inputs.config import UnitCosts
from ..model.eventlog import ACTIVITIES, BIT

# Which unit cost prices each activity.
ACTIVITY_COST = {
    "call_111": "nhs111_call",
    "ia": "ia_streaming",
    "pharmacy": "pharmacy_first",
    "navigator": "care_navigator_booking",
    "utc": "utc_attendance",
    "ed": "ed_attendance",
    "sda_gpcg": "sda_appointment",
    "sda_pcn": "sda_appointment",
    "practice_111": "gp_appointment",
    "hub_111": "gp_appointment",
    "gp_next_day": "gp_appointment",
    "self_care": None,
    "ambulance": "ambulance",
    "gp_reattend": None,  # GP time (capitation): reported in hours and by reattendance_value
    "gp_reattend_utc": None,
}
assert set(ACTIVITY_COST) == set(ACTIVITIES)

REATTENDANCES = ("gp_reattend", "gp_reattend_utc")
"""Reattendances at the patient's own GP: GP time, kept out of the route cost."""
REATTENDANCE_COST = "gp_appointment"
"""The unit cost that values a reattendance (a GP appointment)."""


def patient_costs(activities: np.ndarray, unit_costs: UnitCosts) -> np.ndarray:
    """Cost in GBP of each patient: the sum of the unit costs along their route."""
    prices = unit_costs.model_dump()
    cost = np.zeros(activities.shape, dtype=float)
    for activity, price_name in ACTIVITY_COST.items():
        if price_name is not None and prices[price_name]:
            cost += ((activities & BIT[activity]) != 0) * prices[price_name]
    return cost


def reattendance_value(activities: np.ndarray, unit_costs: UnitCosts) -> float:
    """Value in GBP of the GP reattendances among ``activities`` (GP time, not cash)."""
    mask = 0
    for activity in REATTENDANCES:
        mask |= BIT[activity]
    return float(np.count_nonzero(activities & mask)) * unit_costs.model_dump()[REATTENDANCE_COST]
