"""Unit costs per activity, and the cost of each patient's route."""

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
    "gp_reattend": "gp_appointment",
    "gp_reattend_utc": "gp_appointment",
}
assert set(ACTIVITY_COST) == set(ACTIVITIES)


def patient_costs(activities: np.ndarray, unit_costs: UnitCosts) -> np.ndarray:
    """Cost in GBP of each patient: the sum of the unit costs along their route."""
    prices = unit_costs.model_dump()
    cost = np.zeros(activities.shape, dtype=float)
    for activity, price_name in ACTIVITY_COST.items():
        if price_name is not None and prices[price_name]:
            cost += ((activities & BIT[activity]) != 0) * prices[price_name]
    return cost
