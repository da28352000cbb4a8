"""The capacity planner in the app: the cheapest slots and staffing that meet a lead's targets.

A lead picks a shipped plan file, the targets (in words), what the planner may change
and within which bounds, and a budget of replications; the planner
(:func:`sim.experiments.planner.run_plan`: a search, then ranking and selection on
common random numbers) runs here with a progress bar. The page then shows the
recommended plan beside the scenario as shipped: the net recurrent cost and each
target's figure with its 95% interval and the paired change, and where every setting
comes from. Replications are kept in one results store for the server
(:class:`sim.experiments.store.SessionStore`), so a rerun with the same settings, or
a page rerun mid-search, reuses every replication already run.

The defaults are a quick look (short runs, few replications): the page says so and
gives the command that runs the plan file in full.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
import yaml
from pydantic import ValidationError

from ..analysis.invariants import InvariantError
from ..experiments.planner import PlanResult, plans_table, resolve, run_plan
from ..experiments.store import SessionStore
from ..inputs.config import ConfigError, format_validation_error
from ..inputs.plan import Plan
from ..outputs.plan_files import chosen_config_yaml, search_figure, with_target_labels
from .planner_words import (
    PLANS,
    TargetChoice,
    is_whole,
    sense_words,
    settings_table,
    shipped_plans,
    target_choices,
    targets_table,
    value_words,
    variable_words,
)
from .runs import SECONDS_PER_REPLICATION_DAY, SPEED, rough_time

DEFAULT_FILE = "gpcg_sda_next_year.yaml"
PENDING = "planner_pending"  # session_state key: the search asked for and not finished
RESULT = "planner_result"  # session_state key: the last finished search (its request and result)
KEY = "planner"  # prefix of every widget key on the page


@dataclass(frozen=True)
class Quick:
    """A quick look's run settings: what the page starts from (the plan file's own are for the command line)."""

    days: int = 14
    budget: int = 80
    trials: int = 12
    search_replications: int = 2
    candidates: int = 3
    first_replications: int = 4
    max_replications: int = 10


QUICK = Quick()


@st.cache_resource(show_spinner=False)
def _planner_results() -> dict:
    """The server's finished planner replications, keyed by config (the same config gives the same numbers)."""
    return {}


def planner_store() -> SessionStore:
    """The results store the planner's replications are kept in, across reruns and sessions."""
    return SessionStore(_planner_results())


@dataclass(frozen=True)
class Request:
    """A search asked for: the plan as set on the page, the folder its paths start from, its file name."""

    plan: Plan
    folder: Path
    file: str

    def same_as(self, other: Request | None) -> bool:
        return other is not None and self.file == other.file and self.plan == other.plan


def build_plan(plan: Plan, targets: list, variables: dict[str, tuple[float, float]], days: int, quick: Quick) -> Plan:
    """The plan file with the page's targets, variable bounds and run settings, validated like the file.

    ``targets``: constraints; ``variables``: the bounds of each variable the planner may change
    (the others are left as the scenario has them). A one-line ``ConfigError`` names what is refused.
    """
    if not variables:
        raise ConfigError("planner: tick at least one setting the planner may change")
    data = plan.model_dump(mode="json")
    data["variables"] = {
        name: {**data["variables"][name], "lower": lo, "upper": hi} for name, (lo, hi) in variables.items()
    }
    data["constraints"] = [c.model_dump(mode="json", exclude_none=True) for c in targets]
    data["run"] = {**data["run"], "days": days}
    data["search"] = {
        **data["search"],
        "trials": quick.trials,
        "replications": quick.search_replications,
        "batch": min(data["search"]["batch"], quick.trials),
    }
    data["selection"] = {
        **data["selection"],
        "candidates": quick.candidates,
        "first_replications": quick.first_replications,
        "max_replications": max(quick.max_replications, quick.first_replications),
    }
    data["budget"] = quick.budget
    try:
        return Plan.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error("planner", err, data)) from None


def run_request(request: Request, on_progress=None) -> PlanResult:
    """Run a search (replications kept in :func:`planner_store`), with the shipped scenario beside the chosen plan."""
    scenario, baseline, case = resolve(request.plan, request.folder)
    warmup = scenario.run.warmup_days
    if request.plan.run.days is not None and request.plan.run.days <= warmup:
        raise ConfigError(
            f"planner: days per replication = {request.plan.run.days}: must be more than the {warmup}-day warm-up"
        )
    return run_plan(
        request.plan,
        scenario,
        baseline,
        case,
        checkpoints=planner_store(),
        progress=False,
        on_progress=on_progress,
        shipped=True,
    )


def _targets(plan: Plan, file: str) -> list:
    st.markdown("**Targets**: the recommended plan must meet every ticked one (on its mean over replications).")
    chosen = []
    own = len(plan.constraints)
    for i, choice in enumerate(target_choices(plan)):
        cols = st.columns([4, 1])
        on = cols[0].checkbox(
            f"{choice.words}, {sense_words(choice.sense)}",
            value=i < own,
            key=f"{KEY}|{file}|target|{choice.kpi}|on",
            help=f"Met within {choice.tolerance:g} (the tolerance the selection needs to stop).",
        )
        bound = cols[1].number_input(
            "Target",
            value=float(choice.bound),
            key=f"{KEY}|{file}|target|{choice.kpi}",
            label_visibility="collapsed",
            disabled=not on,
        )
        if on:
            chosen.append((choice, bound))
    out = []
    for choice, bound in chosen:
        try:
            out.append(choice.constraint(bound))
        except ValidationError as err:
            raise ConfigError(format_validation_error(f"planner: target {choice.words}", err)) from None
    return out


def _variables(plan: Plan, file: str) -> dict[str, tuple[float, float]]:
    st.markdown("**What the planner may change**, and within which bounds (a setting not ticked stays as shipped).")
    out = {}
    for name, var in plan.variables.items():
        levels = var.levels()
        cols = st.columns([2, 3])
        on = cols[0].checkbox(variable_words(var), value=True, key=f"{KEY}|{file}|var|{name}|on")
        if len(levels) == 1:
            cols[1].caption(f"fixed at {value_words(levels[0], var)} in the plan file")
            lo = hi = levels[0]
        else:
            lo, hi = cols[1].select_slider(
                "Bounds",
                options=levels,
                value=(levels[0], levels[-1]),
                key=f"{KEY}|{file}|var|{name}",
                format_func=lambda v, var=var: value_words(v, var),
                label_visibility="collapsed",
                disabled=not on,
            )
        if on:
            out[name] = (int(lo), int(hi)) if is_whole(var) else (float(lo), float(hi))
    return out


def _settings(plan: Plan) -> tuple[int, Quick]:
    cols = st.columns(2)
    budget = int(
        cols[0].number_input(
            "Replications the planner may run in all",
            min_value=10,
            max_value=2000,
            value=QUICK.budget,
            step=10,
            key=f"{KEY}|budget",
            help="Every plan tried, today's pathway and the selection stage count against it.",
        )
    )
    days = int(
        cols[1].number_input(
            "Simulated days per replication (the first 7 are warm-up)",
            min_value=8,
            max_value=365,
            value=QUICK.days,
            key=f"{KEY}|days",
            help=f"The plan file's own is {plan.run.days or 'the scenario’s'}; fewer days, a rougher answer sooner.",
        )
    )
    with st.expander("Search settings"):
        c = st.columns(4)
        trials = int(c[0].number_input("Plans the search tries", 2, 500, QUICK.trials, key=f"{KEY}|trials"))
        reps = int(
            c[1].number_input(
                "Replications of each plan tried", 2, 50, QUICK.search_replications, key=f"{KEY}|search_reps"
            )
        )
        cands = int(
            c[2].number_input("Best plans compared in selection", 1, 20, QUICK.candidates, key=f"{KEY}|candidates")
        )
        first = int(
            c[3].number_input(
                "First replications of each in selection", 3, 100, QUICK.first_replications, key=f"{KEY}|first_reps"
            )
        )
    return days, Quick(days, budget, trials, reps, cands, first, max(QUICK.max_replications, 2 * first))


def _run(pending: Request) -> bool:
    """Run the pending search with a progress bar and the time left; True once it finished."""
    bar = st.progress(0.0, text=f"Searching {pending.file}: starting")
    started = time.monotonic()

    def progress(spent: int, total: int) -> None:
        elapsed = time.monotonic() - started
        left = elapsed / spent * max(0, total - spent) if spent else 0.0
        bar.progress(
            min(1.0, spent / total),
            text=f"Searching {pending.file}: {spent} of at most {total} replications; at most {rough_time(left)} left",
        )

    try:
        result = run_request(pending, progress)
    except (ConfigError, InvariantError) as exc:
        del st.session_state[PENDING]
        bar.empty()
        st.error(str(exc))
        return False
    bar.empty()
    del st.session_state[PENDING]
    st.session_state[RESULT] = (pending, result)
    if result.evaluator.spent:
        st.session_state[SPEED] = (time.monotonic() - started) / max(1, result.evaluator.spent * pending.plan.run.days)
    return True


def _show(request: Request, result: PlanResult) -> None:
    sel = result.selection
    ev = result.evaluator
    extra = f", and {result.reporting:,} to set the comparison beside it" if result.reporting else ""
    st.caption(
        f"{len(ev.plans)} plans tried of {result.space.size():,} allowed; {len(result.candidates)} compared "
        f"in selection; {ev.spent - result.reporting:,} replications of {result.budget:,} budgeted{extra}."
    )
    if result.chosen is None:
        b = sel.binding or {}
        words = {c.kpi: c.label for c in result.plan.constraints}
        if b.get("nearest_meets_all"):
            why = (
                "A plan tried meets every target on its first replications but was not confirmed: give a larger "
                "budget, or compare more plans in selection."
            )
        elif b:
            why = f"The binding target is **{b['target']}**: the nearest plan reaches {b['nearest_value']:,.1f}."
        else:
            why = ""
        st.warning(
            (
                "No plan meets every target: each plan compared was shown to miss one. "
                if sel.guaranteed
                else "No plan was shown to meet every target within the budget. "
            )
            + why
        )
        if b:
            st.markdown(
                "Best reached by any plan tried: "
                + "; ".join(f"{words.get(k) or k} {v:,.1f}" for k, v in b["best_reached"].items())
                + "."
            )
        return
    conf = result.plan.selection.confidence
    if sel.guaranteed:
        st.success(
            f"**Recommended plan.** With probability at least {conf:.0%} it meets every target (within each "
            f"target's tolerance) and is the cheapest such plan of the {len(result.candidates)} compared "
            f"(within {result.plan.selection.cost_indifference_gbp:,.0f} GBP a year)."
        )
    else:
        st.warning(
            f"**Recommended plan, without the {conf:.0%} guarantee**: the budget ran out first, so this is the "
            "cheapest plan compared whose means meet every target. Give a larger budget to be sure."
        )
    n = len(result.chosen.rows)
    st.markdown(
        f"**The recommended plan beside the shipped one**, on the same {n} replications (same patients): "
        "each figure's mean, its 95% interval, and the paired change."
    )
    st.table(targets_table(result))
    st.markdown("**Every setting the planner could change**, and where each value comes from.")
    scenario_file = (request.folder / request.plan.scenario).resolve()
    st.table(settings_table(result, (PLANS / request.file).resolve(), scenario_file))
    with st.expander("The search: each plan's cost and the trade-off against the main target"):
        st.pyplot(search_figure(result))
    cols = st.columns(3)
    text = chosen_config_yaml(result, f"configs/plans/{request.file}")
    name = request.plan.name
    cols[0].download_button(
        "Recommended plan as a scenario (YAML)",
        text.encode(),
        file_name=f"{name}_chosen.yaml",
        mime="application/x-yaml",
        key=f"{KEY}|dl_chosen",
        help="Run it with: python run_sim.py run FILE, or upload it in the sidebar.",
    )
    cols[1].download_button(
        "This plan file, as set here (YAML)",
        yaml.safe_dump(request.plan.model_dump(mode="json", exclude_none=True), sort_keys=False).encode(),
        file_name=f"{name}_as_set.yaml",
        mime="application/x-yaml",
        key=f"{KEY}|dl_plan",
        help=f"Save it in configs/plans/ and run: python run_sim.py plan FILE "
        f"(paths inside are relative to {PLANS.name}/).",
    )
    cols[2].download_button(
        "Every plan tried (CSV)",
        plans_table(result).to_csv(index=False).encode(),
        file_name=f"{name}_plans.csv",
        mime="text/csv",
        key=f"{KEY}|dl_plans",
    )


def planner_page() -> None:
    """Targets, what may change, a budget; the search with a progress bar; the recommended plan beside the shipped one."""
    st.markdown(
        "Find the **cheapest** slots and staffing that meet your targets. The planner tries plans on a few "
        "replications, then compares the best on more until it can say which is cheapest among those "
        "meeting every target. Cost is the net recurrent cost a year: services as paid (SDA slots "
        "whether used or not), the redesign's new services and any staff hours added."
    )
    files = shipped_plans()
    if not files:
        st.info(f"No plan files in {PLANS}.")
        return
    names = list(files)
    file = st.selectbox(
        "Plan file",
        names,
        index=names.index(DEFAULT_FILE) if DEFAULT_FILE in names else 0,
        key=f"{KEY}|file",
        format_func=lambda f: f"{files[f][0].description or f} ({f})",
    )
    plan, folder = files[file]
    plan = with_target_labels(plan)
    request = None
    try:
        left, right = st.columns(2)
        with left:
            targets = _targets(plan, file)
        with right:
            variables = _variables(plan, file)
        days, quick = _settings(plan)
        request = Request(build_plan(plan, targets, variables, days, quick), folder, file)
    except ConfigError as exc:
        st.error(str(exc))
    speed = st.session_state.get(SPEED, SECONDS_PER_REPLICATION_DAY)
    if request is not None:
        st.caption(
            f"At most {request.plan.budget} replications of {days} days, {rough_time(request.plan.budget * days * speed)} "
            f"on one core, plus the shipped scenario beside the recommended plan. A quick look: for a full "
            f"answer run `python run_sim.py plan configs/plans/{file}` (its own budget and run length)."
        )
    pressed = st.button("Find the cheapest plan", type="primary", key=f"{KEY}|run", disabled=request is None)
    if pressed and request is not None:
        st.session_state[PENDING] = request
    pending: Request | None = st.session_state.get(PENDING)
    if pending is not None:
        if st.button(
            "Cancel the search",
            key=f"{KEY}|cancel",
            help="Stops the search; replications already run are kept for the next one.",
        ):
            del st.session_state[PENDING]
            st.info("Search cancelled; replications already run are kept.")
        else:
            _run(pending)
    last = st.session_state.get(RESULT)
    if last is None:
        return
    last_request, result = last
    if not last_request.same_as(request):
        st.caption(
            "The results below are for the settings of the last search; press Find the cheapest plan to "
            "apply the current ones."
        )
    _show(last_request, result)


__all__ = ("TargetChoice", "build_plan", "planner_page", "planner_store", "run_request")
