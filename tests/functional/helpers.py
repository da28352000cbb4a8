"""Building blocks for verification tests: quiet configs and hand-made patients."""

from __future__ import annotations

import numpy as np

from sim.model.eventlog import EventLog
from sim.model.pathway import PathwayModel
from sim.model.patients import PatientTable

from ..conftest import tweak

FLAT24 = [1.0] * 24
FLAT7 = [1.0] * 7


def no_demand(cfg):
    """``cfg`` with every channel silent."""
    return tweak(
        cfg,
        demand__walk_in__mean_per_day=0.0,
        demand__nhs111__mean_per_day=0.0,
        demand__practice_overflow__mean_per_day=0.0,
    )


def patients(**columns) -> PatientTable:
    """A hand-made patient table; unspecified columns get neutral values."""
    n = len(columns["arrival"])
    defaults = dict(
        channel=np.zeros(n, dtype=np.int8),
        registered_th=np.zeros(n, dtype=bool),
        utc_suitable=np.ones(n, dtype=bool),
        sda_candidate=np.zeros(n, dtype=bool),
        disposition=np.full(n, 5, dtype=np.int8),
        overflow_choice=np.full(n, -1, dtype=np.int8),
        u_ia_redirect=np.full(n, 0.5),
        u_utc_triage=np.full(n, 0.5),
        u_pharmacy=np.full(n, 0.99),
        u_reattend=np.full(n, 0.99),
        u_reattend_utc=np.full(n, 0.99),
        u_111_fallback=np.full(n, 0.99),
        u_next_day=np.full(n, 0.99),
        reception_time=np.zeros(n),
        ia_time=np.zeros(n),
        navigator_time=np.zeros(n),
        utc_consult_time=np.zeros(n),
        utc_triage_time=np.zeros(n),
        ed_time=np.zeros(n),
        call_time=np.zeros(n),
        travel_time=np.zeros(n),
        utc_patience=np.full(n, np.inf),
        ed_patience=np.full(n, np.inf),
        u_left_unseen=np.full(n, 0.99),
    )
    defaults.update({k: np.asarray(v) for k, v in columns.items()})
    return PatientTable(n=n, **defaults)


def run_with(cfg, table: PatientTable) -> PathwayModel:
    """Run the model on exactly the patients in ``table`` (the config's demand is ignored)."""
    model = PathwayModel(no_demand(cfg), 0)
    model.patients = table
    model.log = EventLog(table.n)
    model.run()
    return model


def as_foreground_job() -> None:
    """In a test's child process, before it starts: Ctrl-C (SIGINT), SIGTERM and SIGHUP at their
    defaults, as in a terminal.

    A shell starts background jobs with SIGINT ignored, ``nohup`` ignores SIGHUP, and a child keeps
    an ignored signal ignored, so a suite run in the background or under ``nohup`` would otherwise
    start its runs deaf to them. The interrupt tests emulate a terminal's foreground job, whatever
    started pytest (a test of ``nohup`` itself ignores SIGHUP again after this).
    """
    import signal

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
