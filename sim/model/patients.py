"""Patients of one replication: arrival times and every attribute, drawn up front.

Each channel's patients take a block of ids; each attribute comes from its own
named stream (``"walk_in.accepts"``, ...). Patient ``i`` of a channel therefore
has the same arrival time, attributes and task times in every scenario that
shares the seed and that channel's demand, whatever happens to other patients:
the basis of paired comparisons. Yes/no attributes are stored as uniforms
compared with their probability, so raising a probability only ever adds
patients to the "yes" group.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from types import SimpleNamespace

import numpy as np

from .arrivals import hourly_rates, thinned_arrivals
from ..inputs.config import Config
from .random_streams import RandomStreams

CHANNELS = ("walk_in", "nhs111", "gp_overflow", "induced")
WALK_IN, NHS111, GP_OVERFLOW, INDUCED = 0, 1, 2, 3

DISPOSITIONS = ("ambulance", "ed", "primary_care", "pharmacy", "self_care", "other")
D_AMBULANCE, D_ED, D_PRIMARY_CARE, D_PHARMACY, D_SELF_CARE, D_OTHER = range(6)

OVERFLOW_CHOICES = ("walk_in", "practice_referral", "nhs111", "next_day", "pharmacy", "self_care")
O_WALK_IN, O_REFERRAL, O_NHS111, O_NEXT_DAY, O_PHARMACY, O_SELF_CARE = range(6)


def _categorical(u: np.ndarray, probs: dict[str, float], order: tuple[str, ...]) -> np.ndarray:
    cum = np.cumsum([probs[k] for k in order])
    cum[-1] = 1.0 + 1e-12  # guard against rounding in the last category
    return np.searchsorted(cum, u, side="right").astype(np.int8)


@dataclass
class PatientTable:
    """Column arrays, one entry per patient id."""

    n: int
    channel: np.ndarray
    arrival: np.ndarray
    registered_th: np.ndarray
    utc_suitable: np.ndarray
    sda_candidate: np.ndarray  # registered in TH, clinically eligible and accepts
    disposition: np.ndarray
    overflow_choice: np.ndarray
    u_ia_redirect: np.ndarray
    u_utc_triage: np.ndarray
    u_pharmacy: np.ndarray
    u_reattend: np.ndarray  # reattendance after SDA
    u_reattend_utc: np.ndarray  # reattendance after a UTC visit
    u_111_fallback: np.ndarray
    u_next_day: np.ndarray
    reception_time: np.ndarray
    ia_time: np.ndarray
    navigator_time: np.ndarray
    utc_consult_time: np.ndarray
    utc_triage_time: np.ndarray
    ed_time: np.ndarray
    call_time: np.ndarray
    travel_time: np.ndarray
    utc_patience: np.ndarray  # minutes a patient waits for a UTC clinician before leaving unseen
    ed_patience: np.ndarray  # minutes a patient waits for an ED cubicle before leaving unseen
    u_left_unseen: np.ndarray  # after leaving unseen: sees own GP next day if below the share

    def as_lists(self) -> SimpleNamespace:
        """The same columns as Python lists: the event loop reads single items much faster from lists."""
        return SimpleNamespace(
            n=self.n, **{f.name: getattr(self, f.name).tolist() for f in fields(self) if f.name != "n"}
        )


def draw_patients(cfg: Config, streams: RandomStreams, horizon_min: float) -> PatientTable:
    """Draw every patient of a replication (arrivals on ``[0, horizon_min)``)."""
    demand = cfg.demand
    profiles = (demand.walk_in, demand.nhs111, demand.practice_overflow, demand.induced)
    sw = cfg.run.day_types()  # each day's weekday pattern
    blocks: dict[str, list[np.ndarray]] = {}

    def add(name: str, values: np.ndarray) -> None:
        blocks.setdefault(name, []).append(values)

    for code, (label, profile) in enumerate(zip(CHANNELS, profiles)):
        s = lambda attr: streams.get(f"{label}.{attr}")  # noqa: E731, B023 - used within this iteration only
        times = thinned_arrivals(hourly_rates(profile), horizon_min, sw, s("arrivals"))
        n = times.size
        add("channel", np.full(n, code, dtype=np.int8))
        add("arrival", times)
        if code == WALK_IN:
            registered = s("registered_th").random(n) < demand.walk_in.registered_th
            utc = s("utc_suitable").random(n) < demand.walk_in.utc_suitable
        elif code == NHS111:
            registered = np.ones(n, dtype=bool)  # calls from Tower Hamlets residents
            utc = np.ones(n, dtype=bool)  # primary-care need when sent to the front door
        elif code == GP_OVERFLOW:
            registered = np.ones(n, dtype=bool)  # Tower Hamlets practices' patients
            utc = s("utc_suitable").random(n) < demand.practice_overflow.utc_suitable
        else:
            registered = np.ones(n, dtype=bool)  # induced: Tower Hamlets patients
            utc = np.ones(n, dtype=bool)  # with a primary-care need
        eligible = s("sda_eligible").random(n) < cfg.patients.sda_eligible
        accepts = s("accepts").random(n) < cfg.patients.accepts_redirection
        if code == INDUCED:
            accepts = np.ones(n, dtype=bool)  # they came for an SDA slot
        add("registered_th", registered)
        add("utc_suitable", utc)
        add("sda_candidate", registered & eligible & accepts)
        if code == INDUCED:
            # those who call NHS 111 get a primary-care disposition; the others walk in to A&E
            calls_111 = s("via_nhs111").random(n) < demand.induced.via_nhs111
            add("disposition", np.where(calls_111, D_PRIMARY_CARE, D_OTHER).astype(np.int8))
        else:
            add(
                "disposition",
                _categorical(s("disposition").random(n), demand.nhs111.dispositions.model_dump(), DISPOSITIONS),
            )
        if code == GP_OVERFLOW:
            choice = _categorical(
                s("overflow_choice").random(n), demand.practice_overflow.choice.model_dump(), OVERFLOW_CHOICES
            )
        else:
            choice = np.full(n, -1, dtype=np.int8)
        add("overflow_choice", choice)
        for attr in (
            "u_ia_redirect",
            "u_utc_triage",
            "u_pharmacy",
            "u_reattend",
            "u_reattend_utc",
            "u_111_fallback",
            "u_next_day",
        ):
            add(attr, s(attr).random(n))
        add("reception_time", cfg.reception.time_min.sample(s("reception_time"), n))
        add("ia_time", cfg.ia_nurse.time_min.sample(s("ia_time"), n))
        add("navigator_time", cfg.care_navigator.time_min.sample(s("navigator_time"), n))
        add("utc_consult_time", cfg.utc.consult_time_min.sample(s("utc_consult_time"), n))
        add("utc_triage_time", cfg.utc.triage_time_min.sample(s("utc_triage_time"), n))
        add("ed_time", cfg.ed.time_min.sample(s("ed_time"), n))
        add("call_time", demand.nhs111.call_time_min.sample(s("call_time"), n))
        add("travel_time", cfg.patients.travel_time_min.sample(s("travel_time"), n))
        for attr, spec in (("utc_patience", cfg.utc.patience_min), ("ed_patience", cfg.ed.patience_min)):
            add(attr, np.full(n, np.inf) if spec is None else spec.sample(s(attr), n))
        add("u_left_unseen", s("u_left_unseen").random(n))

    columns = {name: np.concatenate(parts) for name, parts in blocks.items()}
    return PatientTable(n=int(columns["arrival"].size), **columns)
