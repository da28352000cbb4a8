"""The business-case workbook in the app: built on request, kept for the browser session.

The workbook is the one ``python run_sim.py business-case`` writes, made by the same
code (``sim.outputs.business_case_files``) from the app's baseline and scenario and
the shipped business case and reconciliation inputs. Building it runs the whole
business case (every change switched on in turn, the switching values, slot use by
hour), so it is built only when asked and kept, per session, by a key of the configs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, MutableMapping

import streamlit as st

from ..analysis.invariants import InvariantError
from ..experiments.business_case import (
    BusinessCasePlan,
    check_switching_inputs,
    plan_business_case,
    run_business_case,
)
from ..experiments.executors import Executor, SerialExecutor
from ..experiments.store import replication_key
from ..inputs.business_case import BusinessCase, load_business_case
from ..inputs.config import SHIPPED_CONFIGS, Config, ConfigError
from ..inputs.reconciliation import ReconciliationInputs, load_reconciliation
from ..outputs.business_case_files import WORKBOOK, business_case_files
from .scenario import QUICK_DAYS, QUICK_REPLICATIONS

CASE_FILE = SHIPPED_CONFIGS / "business_case.yaml"
RECONCILIATION_FILE = SHIPPED_CONFIGS / "reconciliation.yaml"
WORKBOOKS = "workbooks"  # session_state key: this session's built workbooks, by key
MAX_KEPT = 4
"""Workbooks a session keeps before dropping the oldest."""
SECONDS_PER_REPLICATION_DAY = 0.022
"""Rough time one simulated day of one replication takes on one core: the quick-mode business case
(124 replications of 28 days) took 70 s on a shared two-core machine. Only for the estimate shown
before building."""


def shipped_inputs() -> tuple[BusinessCase, ReconciliationInputs]:
    """The shipped business case and reconciliation inputs."""
    return load_business_case(CASE_FILE), load_reconciliation(RECONCILIATION_FILE)


def workbook_key(baseline: Config, scenario: Config, case: BusinessCase, rec: ReconciliationInputs) -> str:
    """A hash of everything that sets the workbook's numbers: both configs, the replication count, the inputs."""
    text = json.dumps(
        [
            replication_key(baseline),
            replication_key(scenario),
            baseline.run.replications,
            case.model_dump(mode="json"),
            rec.model_dump(mode="json"),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class CountingExecutor(SerialExecutor):
    """Runs each replication in this process, as the app does, and says when each one is done."""

    def __init__(self, on_done: Callable[[], None]):
        self._on_done = on_done

    def run(self, fn, calls, finished) -> None:
        def counted(i, result) -> None:
            finished(i, result)
            self._on_done()

        super().run(fn, calls, counted)


def build_workbook(
    baseline: Config,
    scenario: Config,
    case: BusinessCase,
    rec: ReconciliationInputs,
    executor: Executor | None = None,
    quick: bool = False,
) -> bytes:
    """Run the business case for ``baseline`` against ``scenario`` and return the workbook as .xlsx bytes.

    The replications run on ``executor`` (default: in this process). The workbook says it was
    built in the web app (values away from the shipped defaults are credited to it) and, with
    ``quick``, that it is a quick run. Raises ``ConfigError`` (a switching value the configs
    refuse) or ``InvariantError``.
    """
    scenario = scenario.model_copy(update={"run": baseline.run})
    check_switching_inputs(case, baseline, scenario)
    result = run_business_case(baseline, scenario, case, rec, progress=False, executor=executor or SerialExecutor())
    caveat = (
        "Built in the web app in QUICK MODE: every interval is wide; do not quote these figures."
        if quick
        else "Built in the web app."
    )
    return business_case_files(
        result,
        baseline,
        scenario,
        case,
        rec,
        RECONCILIATION_FILE,
        with_report=False,
        caveat=caveat,
        set_by=(f"{baseline.name} as set in the web app", f"{scenario.name} as set in the web app"),
    ).workbook


QUICK_NOTE = (
    f"Quick mode: at most {QUICK_REPLICATIONS} replications of {QUICK_DAYS} days, so every interval in "
    "the workbook is wide and the switching values rest on as few replications; turn quick mode off "
    "before quoting a figure."
)


def plan_line(plan: BusinessCasePlan, quick: bool) -> str:
    """What building runs and roughly how long it takes, in one line (two in quick mode)."""
    seconds = plan.replications * plan.days * SECONDS_PER_REPLICATION_DAY
    rough = (
        f"about {max(1, round(seconds / 60))} minutes"
        if seconds >= 90
        else f"about {max(5, round(seconds, -1)):.0f} seconds"
    )
    line = (
        f"Building runs the whole business case: the current pathway and each change switched on in turn "
        f"({plan.steps} steps x {plan.step_replications // plan.steps} replications), the switching values "
        f"({plan.switching_replications} replications) and slot use by hour ({plan.slot_use_replications}), "
        f"each replication {plan.days} days: {plan.replications} replications, {rough} on one core. "
        "It uses the shipped business case inputs (configs/business_case.yaml, configs/reconciliation.yaml)."
    )
    return f"{line} {QUICK_NOTE}" if quick else line


def workbook_section(baseline: Config, scenario: Config, quick: bool, ready: bool, file_name: str = WORKBOOK) -> None:
    """The build button, a progress bar over the replications while it runs, then the download.

    ``baseline`` and ``scenario`` are the configs whose results are shown; ``ready`` is
    False when those are for earlier inputs, and a workbook not yet built is then not
    offered (press Run first), so the workbook always matches the results shown.
    """
    st.markdown("**Business-case workbook (Excel)**")
    kept: MutableMapping[str, bytes] = st.session_state.setdefault(WORKBOOKS, {})
    try:
        case, rec = shipped_inputs()
        plan = plan_business_case(baseline, scenario, case)
    except ConfigError as exc:
        st.error(str(exc))
        return
    key = workbook_key(baseline, scenario, case, rec)
    if key not in kept:
        ask = st.empty()  # the line and the button, cleared once the workbook is built
        with ask.container():
            st.caption(plan_line(plan, quick))
            if not ready:
                st.info("Press Run first: the workbook is built for the inputs whose results are shown.")
                return
            if not st.button("Build the business-case workbook", key="build_workbook"):
                return
        bar = st.progress(0.0, text=f"Running the business case: 0 of {plan.replications} replications")
        done = [0]

        def one_more() -> None:
            done[0] += 1
            bar.progress(
                min(done[0] / plan.replications, 1.0),
                text=f"Running the business case: {done[0]} of {plan.replications} replications",
            )

        try:
            kept[key] = build_workbook(baseline, scenario, case, rec, CountingExecutor(one_more), quick)
        except (ConfigError, InvariantError) as exc:
            bar.empty()
            st.error(f"The business case could not be built: {exc}")
            return
        bar.empty()
        ask.empty()
        while len(kept) > MAX_KEPT:
            del kept[next(iter(kept))]
    st.caption("Built in this session for the results shown." + (f" {QUICK_NOTE}" if quick else ""))
    st.download_button(
        "Business-case workbook (Excel)",
        kept[key],
        file_name=file_name,
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="dl_workbook",
        help="The workbook python run_sim.py business-case writes, for these inputs: the three "
        "savings, savings by change, the reconciliation with the paper, the economic summary, "
        "switching values and every assumption.",
    )
