"""The services a patient can use, as the event log records them: one name per bit, in route order.

The model's event log (``sim.model.eventlog``) sets bit ``1 << position`` for each service a patient
uses; the costing table (``configs/costing.yaml``) names these activities on its lines. Both read
them from here, so the two cannot drift apart.
"""

from __future__ import annotations

ACTIVITIES = (
    "call_111",
    "ia",
    "pharmacy",
    "navigator",
    "utc",
    "ed",
    "sda_gpcg",
    "sda_pcn",
    "practice_111",
    "hub_111",
    "gp_next_day",
    "self_care",
    "ambulance",
    "gp_reattend",
    "gp_reattend_utc",
)
"""Every activity of the event log, in bit order."""
