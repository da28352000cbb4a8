"""The business case: every run and table behind the workbook, the report and the charts.

One call runs the current and redesigned pathways change by change on the same
patients (the attribution steps), then works out from those runs the three
savings, the savings by change, the reconciliation with the paper, the economic
summary, the switching values, and the activity, cost, wait and slot-use tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.business_case import (
    Arm,
    headline_table,
    line_volumes,
    replication_savings,
    savings_table,
)
from ..analysis.economics import economic_summary, financial_case, options_appraisal, yearly_table
from ..analysis.output_analysis import paired_comparison, summarise, t_interval
from ..analysis.reconciliation import StepRun, activity_bridge, overflow_table, reconcile, step_changes
from ..inputs.business_case import BusinessCase
from ..inputs.calendar import MIN_PER_DAY, MIN_PER_HOUR
from ..inputs.config import Config
from ..inputs.reconciliation import ReconciliationInputs
from ..model.slots import SlotBook
from .attribution import run_steps
from .executors import Executor, executor_scope
from .precision import Precision
from .runner import events_table, run_replications, summary_table
from .switching import modelled_switching_values, price_switching_values, switching_table

if TYPE_CHECKING:
    from .checkpoint import CheckpointFolder

WAIT_KPIS = (
    ("ia_wait_mean_min", "Front door to IA nurse"),
    ("utc_wait_mean_min", "UTC queue, waiting for a clinician"),
    ("utc_time_in_dept_mean_min", "Time in UTC, arrival to leaving"),
    ("ed_wait_mean_min", "ED queue, waiting for a cubicle"),
    ("redirected_time_to_slot_mean_min", "Redirected patient: arrival to GPCG SDA appointment"),
    ("pcn_time_to_slot_mean_min", "PCN SDA patient: contact to appointment"),
)
HEATMAP_REPLICATIONS = 2
"""Replications re-run with the event log to count slot use by hour and weekday."""


@dataclass
class BusinessCaseResult:
    """Every table of the business case, keyed as the workbook's sheets are."""

    headline: pd.DataFrame
    savings_by_line: pd.DataFrame
    savings_by_change: pd.DataFrame
    reconciliation: pd.DataFrame
    gap_reasons: pd.DataFrame
    economic_summary: pd.DataFrame
    economic_years: pd.DataFrame
    financial: pd.DataFrame
    options: pd.DataFrame
    activity_bridge: pd.DataFrame
    overflow: pd.DataFrame
    line_volumes: pd.DataFrame
    """Each costing line's volume a day, current and redesign (means): what the live workbook computes from."""
    waiting_hours_saved: float
    switching: pd.DataFrame
    activity_by_route: pd.DataFrame
    cost_by_route: pd.DataFrame
    waits: pd.DataFrame
    slot_use: pd.DataFrame
    uncertainty: pd.DataFrame
    comparison: pd.DataFrame
    summaries: dict[str, pd.DataFrame] = field(default_factory=dict)
    replications: int = 0
    """Paired replications behind every figure (chosen by the precision asked for, if any)."""
    precision_reached: bool | None = None
    """Whether the precision asked for was reached (``None``: a fixed number of replications)."""


def _order(case: BusinessCase) -> list[str]:
    return list(case.attribution_order)


NEW_SERVICES_STEP = "new_services"


def savings_by_change(steps: list[StepRun], case: BusinessCase, whole: pd.DataFrame) -> pd.DataFrame:
    """One row per attribution step, the new services, and the total: three savings and GP hours, paired intervals.

    ``whole`` is the per-replication saving of the last step over the first with the new
    services charged and SDA slots against the funded baseline; the ``new_services`` row is
    what the steps leave of it (the new services, and any difference between the slots
    funded today and the current pathway's), so the rows add up to it exactly.
    """
    changes = step_changes(steps, case)
    new_services = whole.copy()
    for frame in changes.values():
        new_services = new_services - frame.reindex(whole.index)
    attributed = capacity_attributed(changes, new_services, whole, case)
    rows = []
    for label, frame in [*changes.items(), (NEW_SERVICES_STEP, new_services), ("total", whole)]:
        row = {"step": label}
        for measure in ("gross", "net", "cash"):
            mean, low, high, _ = t_interval(frame[f"{measure}_total"])
            row[f"{measure}_saving_gbp"], row[f"{measure}_saving_ci_low_gbp"] = mean, low
            row[f"{measure}_saving_ci_high_gbp"] = high
        row["net_saving_capacity_attributed_gbp"] = attributed[label]
        mean, low, high, _ = t_interval(frame["gp_hours_per_week"])
        row["gp_hours_per_week"], row["gp_hours_ci_low"], row["gp_hours_ci_high"] = mean, low, high
        row["gp_time_value_gbp"] = float(frame["gp_time_value_gbp"].mean())
        rows.append(row)
    return pd.DataFrame(rows)


def capacity_attributed(
    changes: dict[str, pd.DataFrame], new_services: pd.DataFrame, whole: pd.DataFrame, case: BusinessCase
) -> dict[str, float]:
    """Each step's net saving (mean) with the cost of new SDA slots moved to the changes that use them.

    The slots are a setting, so their cost falls on the settings step; here each commissioned
    line's slot cost (its net saving over every step and the new services' row) is shared among
    the steps in proportion to the extra appointments each books on that line (its negative
    gross saving). The rows still add up to the whole net saving.
    """
    rows = {**changes, NEW_SERVICES_STEP: new_services}
    out = {label: float(frame["net_total"].mean()) for label, frame in rows.items()}
    for name, line in case.costing.lines.items():
        if line.basis != "commissioned":
            continue
        cost = {label: float(frame[f"net_{name}"].mean()) for label, frame in rows.items()}
        used = {label: max(-float(frame[f"gross_{name}"].mean()), 0.0) for label, frame in changes.items()}
        if sum(used.values()) <= 0:
            continue
        for label in rows:
            out[label] -= cost[label]
        for label, extra in used.items():
            out[label] += sum(cost.values()) * extra / sum(used.values())
    out["total"] = float(whole["net_total"].mean())
    return out


def waiting_hours_saved_per_year(baseline: pd.DataFrame, scenario: pd.DataFrame) -> pd.Series:
    """Patient hours a year no longer spent queueing for the IA nurse, the UTC and ED, per replication."""

    def hours(summary: pd.DataFrame) -> pd.Series:
        frame = summary.set_index("replication")
        total = pd.Series(0.0, index=frame.index)
        for wait, volume in (
            ("ia_wait_mean_min", "front_door_arrivals_per_day"),
            ("utc_wait_mean_min", "utc_attendances_per_day"),
            ("ed_wait_mean_min", "ed_attendances_per_day"),
        ):
            if wait in frame and volume in frame:
                total = total + frame[wait].fillna(0.0) * frame[volume].fillna(0.0)
        return total / 60.0 * 365.0

    base = hours(baseline)
    return base - hours(scenario).reindex(base.index)


def option_config(redesign: Config, settings: dict, source: str) -> Config:
    """The redesign with an option's settings (dotted paths) applied; a one-line ConfigError if one is bad."""
    import copy

    from ..inputs.config import ConfigError, validate_config

    data = copy.deepcopy(redesign.model_dump())
    for path, value in settings.items():
        node = data
        keys = path.split(".")
        for key in keys[:-1]:
            if not isinstance(node, dict) or key not in node:
                raise ConfigError(f"{source}: {path}: unknown parameter")
            node = node[key]
        if not isinstance(node, dict) or keys[-1] not in node:
            raise ConfigError(f"{source}: {path}: unknown parameter")
        node[keys[-1]] = value
    return validate_config(data, source)


def route_tables(comparison: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Activity (patients a day) and annual cost by route, current and redesign, with the paired change."""
    tables = []
    for prefix, unit in (("volume_per_day_", "patients_per_day"), ("cost_annual_gbp_", "cost_gbp")):
        rows = comparison[comparison["kpi"].str.startswith(prefix)].copy()
        rows.insert(0, "route", rows["kpi"].str.removeprefix(prefix))
        rows = rows.rename(
            columns={
                "baseline_mean": f"baseline_{unit}",
                "scenario_mean": f"scenario_{unit}",
                "diff_mean": f"change_{unit}",
                "diff_ci_low": f"change_ci_low_{unit}",
                "diff_ci_high": f"change_ci_high_{unit}",
            }
        )
        keep = [
            "route",
            f"baseline_{unit}",
            f"scenario_{unit}",
            f"change_{unit}",
            f"change_ci_low_{unit}",
            f"change_ci_high_{unit}",
        ]
        if unit == "cost_gbp":
            rows["saving_gbp"] = rows["saving_gbp_mean"]
            rows["saving_ci_low_gbp"] = rows["saving_gbp_ci_low"]
            rows["saving_ci_high_gbp"] = rows["saving_gbp_ci_high"]
            keep = [
                "route",
                "baseline_cost_gbp",
                "scenario_cost_gbp",
                "saving_gbp",
                "saving_ci_low_gbp",
                "saving_ci_high_gbp",
            ]
        rows = rows[keep].sort_values(keep[1], ascending=False, key=lambda s: s.abs()).reset_index(drop=True)
        tables.append(rows)
    return tables[0], tables[1]


def waits_table(base_kpis: pd.DataFrame, scen_kpis: pd.DataFrame) -> pd.DataFrame:
    """Mean waits at each step, current and redesign, with 95% intervals."""
    base, scen = base_kpis.set_index("kpi"), scen_kpis.set_index("kpi")
    rows = []
    for kpi, label in WAIT_KPIS:
        row = {"kpi": kpi, "label": label}
        for arm, table in (("baseline", base), ("scenario", scen)):
            for stat in ("mean", "ci_low", "ci_high"):
                row[f"{arm}_{stat}"] = float(table.loc[kpi, stat]) if kpi in table.index else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def slot_use_by_hour(cfg: Config, events: pd.DataFrame, arm: str) -> pd.DataFrame:
    """SDA slots and bookings by service, weekday and hour, counted after warm-up over the replications run."""
    warmup = cfg.run.warmup_days * MIN_PER_DAY
    rows = []
    for service, diary_name, bit in (("GPCG SDA", "gpcg_sda", "sda_gpcg"), ("PCN SDA", "pcn_sda", "sda_pcn")):
        diary = SlotBook(getattr(cfg.slot_diaries, diary_name), cfg.run.days, cfg.run.start_weekday, diary_name)
        times = diary.slot_times()
        times = times[times >= warmup]
        reps = events["replication"].nunique() if len(events) else 0
        booked = events.loc[events["route"].astype(str).str.contains(bit, regex=False), "sda_slot"].to_numpy()
        booked = booked[np.isfinite(booked) & (booked >= warmup)]

        def cells(t: np.ndarray) -> np.ndarray:
            """Counts on a weekday x hour grid."""
            weekday = ((t // MIN_PER_DAY).astype(int) + cfg.run.start_weekday) % 7
            hour = ((t % MIN_PER_DAY) // MIN_PER_HOUR).astype(int)
            return np.bincount(weekday * 24 + hour, minlength=7 * 24)

        slots, used = cells(times) * reps, cells(booked)
        weekday, hour = np.divmod(np.arange(7 * 24), 24)
        table = pd.DataFrame(
            {"arm": arm, "service": service, "weekday": weekday, "hour": hour, "slots": slots, "booked": used}
        )
        table = table[(table["slots"] > 0) | (table["booked"] > 0)]
        table["used_pct"] = 100.0 * table["booked"] / table["slots"].where(table["slots"] > 0)
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


def uncertainty_table(head: pd.DataFrame, n_reps: int) -> pd.DataFrame:
    """How precise each headline figure is: mean, 95% interval, half-width as % of the mean."""
    head = head.copy()
    head["half_width_pct_of_mean"] = 100.0 * (head["ci_high"] - head["ci_low"]) / 2.0 / head["mean"].abs()
    head["source"] = (
        f"paired replications ({n_reps}) on the same patients: simulation noise only, "
        "not the uncertainty of the inputs (unit costs, shares, capacities)"
    )
    return head


def check_switching_inputs(case: BusinessCase, current: Config, redesign: Config) -> None:
    """The attribution order names changes, every switching input names a number, and every value
    tried makes valid configs (else a one-line ConfigError)."""
    from ..inputs.config import ConfigError
    from .attribution import resolve_order
    from .switching import get_input, set_input

    try:
        resolve_order(list(case.attribution_order))
    except ConfigError as exc:
        raise ConfigError(
            f"business case: attribution_order = {list(case.attribution_order)}: {str(exc).split(': ', 1)[-1]}"
        ) from None
    for name, option in case.options.items():
        option_config(redesign, option.settings, f"business case: options.{name}")
    for path, spec in case.switching.inputs.items():
        get_input(redesign, path)
        for value in spec.values:
            source = f"business case: switching.inputs.{path} = {value}"
            set_input(redesign, path, value, source)
            if spec.apply_to == "both":
                set_input(current, path, value, source)


@dataclass(frozen=True)
class BusinessCasePlan:
    """How many replications ``run_business_case`` runs (with a fixed count, not a precision).

    Attributes
    ----------
    steps : int
        Attribution steps (the current pathway, the settings, each change switched on in turn).
    step_replications : int
        Replications over all steps.
    switching_replications : int
        Replications re-run at the switching inputs' values and for the options appraised.
    slot_use_replications : int
        Replications re-run with the event log for slot use by hour.
    days : int
        Days in each replication, warm-up included.
    """

    steps: int
    step_replications: int
    switching_replications: int
    slot_use_replications: int
    days: int

    @property
    def replications(self) -> int:
        """Every replication run."""
        return self.step_replications + self.switching_replications + self.slot_use_replications


def plan_business_case(baseline: Config, scenario: Config, case: BusinessCase) -> BusinessCasePlan:
    """The replications ``run_business_case(baseline, scenario, case, ...)`` will run, counted beforehand."""
    from .attribution import build_steps
    from .switching import get_input

    reps = baseline.run.replications
    scenario = scenario.model_copy(update={"run": baseline.run})
    steps = build_steps(baseline, scenario, _order(case))
    switching_reps = min(case.switching.replications, reps)
    switching = 0
    for path, spec in case.switching.inputs.items():
        tried = {value for value in spec.values if value != get_input(steps[-1].cfg, path)}
        switching += len(tried) * (2 if spec.apply_to == "both" else 1) * switching_reps
    return BusinessCasePlan(
        len(steps),
        len(steps) * reps,
        switching + len(case.options) * reps,
        2 * min(HEATMAP_REPLICATIONS, reps),
        baseline.run.days,
    )


def run_business_case(
    baseline: Config,
    scenario: Config,
    case: BusinessCase,
    rec: ReconciliationInputs,
    jobs: int = 1,
    progress: bool = True,
    checkpoints: CheckpointFolder | None = None,
    executor: Executor | None = None,
    precision: Precision | None = None,
) -> BusinessCaseResult:
    """Run every step and switching point, and build every table.

    Parameters
    ----------
    baseline, scenario : Config
        The current and redesigned pathways; the scenario takes the baseline's run settings.
    case, rec : BusinessCase, ReconciliationInputs
        Costing bases, new services, economics and switching inputs; the paper's arithmetic.
    jobs : int
        Local worker processes, when no ``executor`` is given.
    progress : bool
        Show a progress bar.
    checkpoints : CheckpointFolder or None
        Where finished replications are kept (and taken from on a rerun).
    executor : Executor or None
        Where replications run (e.g. a Dask cluster); left open. Default: one made for ``jobs``.
    precision : Precision or None
        Choose the number of paired replications by a target precision instead of
        ``baseline.run.replications``; every step uses the same number.
    """
    with executor_scope(executor, jobs) as ex:
        return _run_business_case(baseline, scenario, case, rec, ex, progress, checkpoints, precision)


def _run_business_case(
    baseline: Config,
    scenario: Config,
    case: BusinessCase,
    rec: ReconciliationInputs,
    executor: Executor,
    progress: bool,
    checkpoints: CheckpointFolder | None,
    precision: Precision | None,
) -> BusinessCaseResult:
    scenario = scenario.model_copy(update={"run": baseline.run})
    order = _order(case)
    ran, summaries, outcome = run_steps(baseline, scenario, order, progress, checkpoints, executor, precision)
    n_used = outcome.replications
    run = baseline.run.model_copy(update={"replications": n_used})
    steps = [StepRun(step.label, step.cfg.model_copy(update={"run": run}), summaries[step.label]) for step in ran]
    base_arm, scen_arm = Arm(steps[0].summary, steps[0].cfg), Arm(steps[-1].summary, steps[-1].cfg)
    savings = replication_savings(base_arm, scen_arm, case)
    comparison = paired_comparison(base_arm.summary, scen_arm.summary)
    reconciliation, gaps = reconcile(rec, steps, case)
    by_change = savings_by_change(steps, case, savings)
    x6_step = step_changes(steps, case).get("x6_comprehensive_sda_consultation")
    switching_rows = price_switching_values(savings, base_arm, scen_arm, case)
    switching_rows += modelled_switching_values(
        base_arm, scen_arm, savings, case, progress=progress, checkpoints=checkpoints, executor=executor
    )
    heat_run = run.model_copy(update={"replications": min(HEATMAP_REPLICATIONS, n_used)})
    slot_use = []
    for arm, cfg in (("current", steps[0].cfg), ("redesign", steps[-1].cfg)):
        cfg = cfg.model_copy(update={"run": heat_run})
        events = events_table(
            run_replications(cfg, events=True, progress=progress, label=f"{arm} slot use", executor=executor)
        )
        slot_use.append(slot_use_by_hour(cfg, events, arm))
    activity, cost = route_tables(comparison)
    events = [e.line for e in case.costing.contract_events]
    after_reset = replication_savings(base_arm, scen_arm, case, reset_lines=tuple(events))
    headline = headline_table(savings, x6_step=x6_step, after_reset=after_reset)
    by_line = savings_table(savings, case.costing)
    waiting = waiting_hours_saved_per_year(base_arm.summary, scen_arm.summary)
    options = {"redesign": ("The paper's redesign", savings, waiting)}
    utc_fewer = {
        "redesign": (
            line_volumes(base_arm.summary, case.costing)["utc_attendance"]
            - line_volumes(scen_arm.summary, case.costing)["utc_attendance"]
        )
        * 365.0
    }
    for name, spec in case.options.items():
        cfg = option_config(steps[-1].cfg, spec.settings, f"business case: options.{name}")
        table = summary_table(
            run_replications(
                cfg,
                progress=progress,
                label=f"option {name}",
                executor=executor,
                checkpoint=None if checkpoints is None else checkpoints.for_scenario(cfg),
            )
        )
        arm = Arm(table, cfg)
        options[name] = (
            spec.label,
            replication_savings(base_arm, arm, case),
            waiting_hours_saved_per_year(base_arm.summary, table),
        )
        utc_fewer[name] = (
            line_volumes(base_arm.summary, case.costing)["utc_attendance"]
            - line_volumes(table, case.costing)["utc_attendance"].reindex(base_arm.summary["replication"])
        ) * 365.0
    return BusinessCaseResult(
        headline=headline,
        savings_by_line=by_line,
        savings_by_change=by_change,
        reconciliation=reconciliation,
        gap_reasons=gaps,
        economic_summary=economic_summary(savings, case, waiting),
        economic_years=yearly_table(savings, case, waiting),
        financial=financial_case(savings, case),
        options=options_appraisal(options, case, scen_arm.cfg.unit_costs_gbp.utc_attendance, utc_fewer),
        activity_bridge=activity_bridge(rec, steps, case),
        overflow=overflow_table(steps, case),
        line_volumes=pd.DataFrame(
            {
                "line": list(case.costing.lines),
                "label": [x.label for x in case.costing.lines.values()],
                "basis": [x.basis for x in case.costing.lines.values()],
                "current_per_day": line_volumes(base_arm.summary, case.costing).mean().to_numpy(),
                "redesign_per_day": line_volumes(scen_arm.summary, case.costing).mean().to_numpy(),
            }
        ),
        waiting_hours_saved=float(waiting.mean()),
        switching=switching_table(switching_rows),
        activity_by_route=activity,
        cost_by_route=cost,
        waits=waits_table(summarise(base_arm.summary), summarise(scen_arm.summary)),
        slot_use=pd.concat(slot_use, ignore_index=True),
        uncertainty=uncertainty_table(headline, n_used),
        comparison=comparison,
        summaries=summaries,
        replications=n_used,
        precision_reached=outcome.reached,
    )
