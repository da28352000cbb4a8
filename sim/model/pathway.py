"""The pathway model: patients flowing through 111, the front door, UTC, ED and SDA.

One ``PathwayModel`` is one replication of one scenario. The switches in
``config.changes`` (X1-X8) select between the current and the redesigned
pathway; everything else is shared, so both see the same patients.
"""

from __future__ import annotations

import gc

import numpy as np
import simpy

from ..inputs.calendar import MIN_PER_DAY, MIN_PER_HOUR, expand_weekly, type_of_day
from ..inputs.config import Config, Window
from .eventlog import BIT, OUT, EventLog
from .patients import (
    D_AMBULANCE,
    D_ED,
    D_PHARMACY,
    DISPOSITIONS,
    D_PRIMARY_CARE,
    GP_OVERFLOW,
    INDUCED,
    NHS111,
    O_NEXT_DAY,
    O_NHS111,
    O_PHARMACY,
    O_REFERRAL,
    O_SELF_CARE,
    O_WALK_IN,
    WALK_IN,
    PatientTable,
    draw_patients,
)
from .policy import DIARY_ACTIVITY, resolve_policy
from .random_streams import RandomStreams
from .slots import NHS111_POOL, OVERFLOW_POOL, SlotBook
from .stations import ImpatientStation, Station


class ClockWindow:
    """Clock hours and weekdays of a config ``Window``; ``t in window`` tests a time.

    ``start_weekday`` is the weekday of day 0, or the weekday pattern each day
    follows (a bank holiday as a Sunday, say).
    """

    def __init__(self, window: Window, start_weekday, days: int | None = None):
        self.start = window.start_hour * MIN_PER_HOUR
        self.end = window.end_hour * MIN_PER_HOUR
        self.days = window.days
        self.start_weekday = start_weekday
        if days is None:
            days = len(start_weekday) if isinstance(start_weekday, (list, np.ndarray)) else 7
        self.open_day = [bool(window.days[int(type_of_day(d, start_weekday))]) for d in range(days)]
        self.last_day = days - 1
        self.weekly = isinstance(start_weekday, (int, np.integer))  # every week alike

    def __contains__(self, t: float) -> bool:
        day = int(t // MIN_PER_DAY)
        minute = t - day * MIN_PER_DAY
        if self.weekly:
            day %= 7
        elif day > self.last_day:
            day = self.last_day
        return self.open_day[day] and self.start <= minute < self.end


class Journey:
    """One patient's journey (a generator of SimPy events), driven by its events' callbacks.

    It does what ``env.process(generator)`` does, with less bookkeeping, as the
    model runs hundreds of thousands of journeys a year: the journey takes its
    first step at once, where a SimPy process would schedule an ``Initialize``
    event to take it later in the same instant, and its end schedules nothing,
    since nobody waits for a patient's journey to finish: two events saved for
    each patient who walks in or waits for NHS 111 to book. A journey starts when its patient arrives
    (or waits first), and no other patient arrives in the same instant (arrival
    times are drawn from continuous distributions), so taking the first step a
    moment sooner changes no result. The model's events never fail, so none is
    thrown into a journey; an error raised inside a journey comes out of
    ``env.run`` at once.
    """

    __slots__ = ("_send", "_resume_callback")

    def __init__(self, generator):
        self._send = generator.send
        self._resume_callback = self._resume  # one bound method, re-used at every step
        self._resume(None)

    def _resume(self, event: simpy.Event | None) -> None:
        """Send the event's value into the journey and wait for the event it yields next."""
        send = self._send
        value = None if event is None else event._value  # a processed event's value, as SimPy reads it
        while True:
            try:
                event = send(value)
            except StopIteration:
                # the journey is over: drop the bound method that refers back to the journey, so
                # reference counting frees it now (the cyclic garbage collector is off during a run)
                self._resume_callback = None
                return
            if event.callbacks is not None:  # not yet processed: wait for it
                event.callbacks.append(self._resume_callback)
                return
            value = event._value  # already processed: carry on at once, as a SimPy process does


class PathwayModel:
    """One replication of one scenario.

    Parameters
    ----------
    cfg : Config
        The validated scenario.
    replication : int
        Replication number; selects the random streams.
    """

    def __init__(self, cfg: Config, replication: int):
        self.cfg = cfg
        self.replication = replication
        run = cfg.run
        self.horizon = run.days * MIN_PER_DAY
        self.env = simpy.Environment()
        self.patients: PatientTable = draw_patients(cfg, RandomStreams(run.seed, replication), self.horizon)
        self.log = EventLog(self.patients.n)

        env = self.env
        sw = self.day_types = run.day_types()  # each day's weekday pattern (bank holidays)
        self.reception = Station(env, expand_weekly(cfg.reception.clerks), sw, "reception")
        self.ia_nurse = Station(env, expand_weekly(cfg.ia_nurse.nurses), sw, "ia_nurse")
        self.care_navigator = Station(env, expand_weekly(cfg.care_navigator.navigators), sw, "care_navigator")
        self.utc = ImpatientStation(env, expand_weekly(cfg.utc.clinicians), sw, "utc")
        self.ed = ImpatientStation(env, expand_weekly(cfg.ed.cubicles), sw, "ed")

        diaries = cfg.slot_diaries
        self.gpcg_sda = SlotBook(diaries.gpcg_sda, run.days, sw, "gpcg_sda")
        self.pcn_sda = SlotBook(diaries.pcn_sda, run.days, sw, "pcn_sda")
        self.practice_111 = SlotBook(diaries.practice_111, run.days, sw, "practice_111")
        self.st_andrews_hub = SlotBook(diaries.st_andrews_hub, run.days, sw, "st_andrews_hub")

        # the switches X1-X8 resolved once: the processes read only this
        self.policy = policy = resolve_policy(cfg)
        self.ia_window = ClockWindow(policy.ia_window, sw)
        self.utc_triage_window = ClockWindow(policy.utc_triage_window, sw)
        diary = {"practice_111": self.practice_111, "st_andrews_hub": self.st_andrews_hub, "pcn_sda": self.pcn_sda}
        # the diaries a 111 primary-care disposition may book, in the configured order
        self.nhs111_booking = [(diary[name], DIARY_ACTIVITY[name]) for name in policy.nhs111_diaries]

    # ------------------------------------------------------------ running --
    def ed_need(self) -> np.ndarray:
        """Whether each patient has an ED need, read where the pathway reveals it (``clinical_need``).

        Streaming: a patient the IA nurse would send to ED (not UTC-suitable), if
        ``front_door_ed_stream``. NHS 111: a disposition in ``nhs111_ed_dispositions``;
        it applies to a practice-overflow patient only if their route is a call to 111
        (other overflow patients never get a disposition).
        """
        need, P = self.cfg.clinical_need, self.patients
        ed_codes = [DISPOSITIONS.index(d) for d in need.nhs111_ed_dispositions]
        by_111 = np.isin(P.disposition, ed_codes)
        overflow = P.channel == GP_OVERFLOW
        by_111 &= ~overflow | (P.overflow_choice == O_NHS111)
        by_stream = ~P.utc_suitable.astype(bool) if need.front_door_ed_stream else np.zeros(P.n, dtype=bool)
        by_stream &= ~overflow | (P.overflow_choice != O_NHS111)  # a 111 caller's need is the disposition's
        return by_stream | by_111

    def run(self) -> EventLog:
        """Simulate until the end of the last day and return the event log."""
        self._p = self.patients.as_lists()
        # an ED need is not booked into a primary-care slot as if ED were avoided
        self._sda_barred = [False] * self.patients.n if self.policy.ed_need_may_book_sda else self.ed_need().tolist()
        Journey(self._arrivals())
        # Finished journeys are freed by reference counting; the cyclic garbage
        # collector would only re-scan the live generators of queued patients,
        # which costs most in overloaded runs. Paused for the run only.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.env.run(until=self.horizon)
        finally:
            if collecting:
                gc.enable()
        # patients still queuing whose patience ran out before the end had left by then
        for station in (self.utc, self.ed):
            for pid, deadline in station.still_waiting():
                if deadline < self.horizon:
                    self._left_unseen(pid, deadline)
        self.log.close()
        return self.log

    def release(self) -> None:
        """Free this replication's memory now, once its results are taken.

        The SimPy environment and the generators of patients still queued at the
        end refer back to the model, a reference cycle that only the cyclic
        garbage collector would free, late and slowly. Dropping the model's
        attributes frees the patient table, the log and the lists at once; the
        environment's small remainder goes with the next collection.
        """
        self.__dict__.clear()

    def _arrivals(self):
        env, P = self.env, self._p
        order = np.argsort(self.patients.arrival, kind="stable")
        arrival = P.arrival
        channel = P.channel
        for pid in order.tolist():
            t = arrival[pid]
            if t > env.now:
                yield env.timeout(t - env.now)
            c = channel[pid]
            if c == WALK_IN:
                Journey(self._front_door(pid, P.utc_suitable[pid]))
            elif c == NHS111:
                self._call_111(pid)
            elif c == INDUCED:
                self._induced(pid)
            else:
                self._practice_overflow(pid)

    # ------------------------------------------------------- bookkeeping --
    def _finish(self, pid: int, outcome: str, end: float, activity: str | None = None) -> None:
        log = self.log
        if activity is not None:
            log.activities[pid] |= BIT[activity]
        log.outcome[pid] = OUT[outcome]
        log.end[pid] = end

    def _left_unseen(self, pid: int, t: float) -> None:
        """A patient gave up waiting at ``t`` and left: own GP next day (a share), or self-care."""
        self.log.left_unseen[pid] = t
        if self._p.u_left_unseen[pid] < self.policy.left_unseen_sees_gp:
            self._finish(pid, "gp_practice", t, "gp_next_day")
        else:
            self._finish(pid, "self_care", t, "self_care")

    def _booked_sda(self, pid: int, slot: float, diary: SlotBook, activity: str) -> None:
        log = self.log
        log.sda_booked_at[pid] = self.env.now
        log.sda_slot[pid] = slot
        if self._p.u_reattend[pid] < self.policy.sda_reattend_probability:
            log.activities[pid] |= BIT["gp_reattend"]
        self._finish(pid, "sda", slot + diary.appointment_min, activity)

    # ----------------------------------------------------- stations --
    def _serve(self, station: Station, duration: float):
        """Queue at ``station``, be served for ``duration``, free the server."""
        request = station.request()
        if request is not None:
            yield request
        yield self.env.timeout(duration)
        station.release()

    # ----------------------------------------------------- front door --
    def _front_door(self, pid: int, utc_suitable: bool, delay: float = 0.0):
        """Reception, IA streaming nurse, then SDA, UTC, ED or Pharmacy First."""
        env, log, P, policy = self.env, self.log, self._p, self.policy
        if delay > 0:
            yield env.timeout(delay)
        log.door_arrival[pid] = env.now
        log.activities[pid] |= BIT["ia"]
        # reception, then the IA nurse: each written out rather than ``yield from self._serve``,
        # as every walk-in passes both and a nested generator costs a little at every step
        reception = self.reception
        request = reception.request()
        if request is not None:
            yield request
        yield env.timeout(P.reception_time[pid])
        reception.release()
        ia_nurse = self.ia_nurse
        request = ia_nurse.request()
        if request is not None:
            yield request
        log.ia_start[pid] = env.now
        yield env.timeout(P.ia_time[pid])
        ia_nurse.release()
        now = log.ia_end[pid] = env.now

        if not utc_suitable:
            yield from self._ed(pid)
            return
        if P.u_pharmacy[pid] < policy.pharmacy_first_probability:
            self._finish(pid, "pharmacy", now, "pharmacy")
            return
        candidate = P.sda_candidate[pid]
        if candidate and P.u_ia_redirect[pid] < policy.ia_redirect_probability and now in self.ia_window:
            if policy.ia_care_navigator_books:
                log.activities[pid] |= BIT["navigator"]
                yield from self._serve(self.care_navigator, P.navigator_time[pid])
                now = env.now
            slot = self.gpcg_sda.book(now, who=pid)
            is_open = self.gpcg_sda.is_open(now)
            if slot is None and P.u_next_day[pid] < policy.ia_next_day_accept_probability:
                slot = self.gpcg_sda.book_next_day(now)  # no free slot left today: tomorrow's
            if slot is not None:
                self._booked_sda(pid, slot, self.gpcg_sda, "sda_gpcg")
                return
            log.sda_no_slot[pid] |= is_open
        yield from self._utc(pid, candidate)

    def _utc(self, pid: int, candidate: bool):
        """UTC queue; in the current pathway its triage may redirect to SDA (X5)."""
        env, log, P, policy, utc = self.env, self.log, self._p, self.policy, self.utc
        log.activities[pid] |= BIT["utc"]
        now = log.utc_join[pid] = env.now
        # wait for a clinician, or leave unseen once patience runs out
        request = utc.request(now + P.utc_patience[pid], pid)
        if request is not None and not (yield request):
            self._left_unseen(pid, request.deadline)
            return
        now = log.utc_start[pid] = env.now
        if (
            policy.utc_redirects
            and candidate
            and P.u_utc_triage[pid] < policy.utc_triage_probability
            and now in self.utc_triage_window
            and self.gpcg_sda.is_open(now)
        ):
            # referral follow-up triage, then the clinician books a slot the patient can still reach
            yield env.timeout(P.utc_triage_time[pid])
            slot = self.gpcg_sda.book(env.now, who=pid)
            if slot is not None:
                utc.release()
                log.utc_end[pid] = env.now
                self._booked_sda(pid, slot, self.gpcg_sda, "sda_gpcg")
                return
            log.sda_no_slot[pid] = True  # the service was taking bookings, but none was left
        yield env.timeout(P.utc_consult_time[pid])
        utc.release()
        now = log.utc_end[pid] = env.now
        if P.u_reattend_utc[pid] < policy.utc_reattend_probability:
            log.activities[pid] |= BIT["gp_reattend_utc"]
        self._finish(pid, "utc", now)

    def _ed(self, pid: int):
        env, log, ed = self.env, self.log, self.ed
        log.activities[pid] |= BIT["ed"]
        now = log.ed_join[pid] = env.now
        # wait for a cubicle, or leave unseen once patience runs out
        request = ed.request(now + self._p.ed_patience[pid], pid)
        if request is not None and not (yield request):
            self._left_unseen(pid, request.deadline)
            return
        log.ed_start[pid] = env.now
        yield env.timeout(self._p.ed_time[pid])
        ed.release()
        now = log.ed_end[pid] = env.now
        self._finish(pid, "ed", now)

    # ---------------------------------------------------------- NHS 111 --
    def _call_111(self, pid: int) -> None:
        """A call to NHS 111; dispositions that need no booking finish at once."""
        P, env = self._p, self.env
        self.log.activities[pid] |= BIT["call_111"]
        disposition = P.disposition[pid]
        call_end = env.now + P.call_time[pid]
        if disposition == D_AMBULANCE:
            self._finish(pid, "ambulance", call_end, "ambulance")
        elif disposition == D_PHARMACY:
            self._finish(pid, "pharmacy", call_end, "pharmacy")
        elif disposition == D_ED or disposition == D_PRIMARY_CARE:  # needs a place
            Journey(self._111_referral(pid, disposition))
        else:
            self._finish(pid, "self_care", call_end, "self_care")

    def _111_referral(self, pid: int, disposition: int):
        env, P, log = self.env, self._p, self.log
        yield env.timeout(P.call_time[pid])
        if disposition == D_ED:
            yield from self._front_door(pid, utc_suitable=False, delay=P.travel_time[pid])
            return
        ran_out = False  # a diary tried was still taking bookings today, but full
        booking = self.nhs111_booking
        if self.policy.nhs111_soonest_slot and len(booking) > 1:
            # the diary with the soonest slot first (the first in the order among equals); the others
            # are tried only if it has none, so they keep their order
            now, best, best_time = env.now, None, float("inf")
            for entry in booking:
                t = entry[0].earliest(now, NHS111_POOL)
                if t is not None and t < best_time:
                    best, best_time = entry, t
            if best is not None and best is not booking[0]:
                booking = [best] + [entry for entry in booking if entry is not best]
        for diary, activity in booking:
            slot = diary.book(env.now, NHS111_POOL, pid)
            if slot is not None:
                if activity == "sda_pcn":
                    self._booked_sda(pid, slot, diary, activity)
                else:
                    log.sda_slot[pid] = slot
                    self._finish(pid, "gp_practice", slot + diary.appointment_min, activity)
                return
            is_open = diary.is_open(env.now, NHS111_POOL)
            if activity == "sda_pcn":
                log.sda_no_slot[pid] |= is_open
            ran_out = ran_out or is_open
        # slots ran out in hours: 111 may send the patient to A&E/UTC (X4);
        # out of hours, or otherwise: next-day or out-of-hours GP
        if ran_out and P.u_111_fallback[pid] < self.policy.nhs111_no_slot_to_front_door:
            yield from self._front_door(pid, utc_suitable=True, delay=P.travel_time[pid])
        else:
            self._finish(pid, "gp_practice", env.now, "gp_next_day")

    # ------------------------------------------------- practice overflow --
    def _practice_overflow(self, pid: int) -> None:
        """No slot left at the patient's own practice: SDA overflow slot, or what they did before."""
        env, P = self.env, self._p
        choice = P.overflow_choice[pid]
        if self.policy.overflow_offered[choice] and not self._sda_barred[pid]:
            slot = self.pcn_sda.book(env.now, OVERFLOW_POOL, pid)
            if slot is not None:
                self._booked_sda(pid, slot, self.pcn_sda, "sda_pcn")
                return
            self.log.sda_no_slot[pid] |= self.pcn_sda.is_open(env.now, OVERFLOW_POOL)
        if choice == O_WALK_IN or choice == O_REFERRAL:
            Journey(self._front_door(pid, P.utc_suitable[pid], delay=P.travel_time[pid]))
        elif choice == O_NHS111:
            self._call_111(pid)
        elif choice == O_NEXT_DAY:
            self._finish(pid, "gp_practice", env.now, "gp_next_day")
        elif choice == O_PHARMACY:
            self._finish(pid, "pharmacy", env.now, "pharmacy")
        elif choice == O_SELF_CARE:
            self._finish(pid, "self_care", env.now, "self_care")
        else:  # pragma: no cover - choices are validated
            raise ValueError(f"unknown overflow choice {choice}")

    # ------------------------------------------------------ induced demand --
    def _induced(self, pid: int) -> None:
        """New demand drawn to the SDA route (risk 7): a call to NHS 111, or a walk-in at A&E."""
        if self._p.disposition[pid] == D_PRIMARY_CARE:
            self._call_111(pid)
        else:
            Journey(self._front_door(pid, utc_suitable=True))


def run_replication(cfg: Config, replication: int) -> PathwayModel:
    """Build and run one replication; the finished model holds patients and log."""
    model = PathwayModel(cfg, replication)
    model.run()
    return model
