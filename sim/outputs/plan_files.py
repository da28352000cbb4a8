"""What ``run_sim.py plan`` writes: the chosen plan as a config, its tables in words, and a chart of the search."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import yaml
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..experiments.planner import (
    COST,
    PlanResult,
    comparison_table,
    pareto_table,
    plans_table,
)
from .labels import kpi_label

COST_LABEL = "Net recurrent cost a year, GBP"


def _words(kpi: str) -> str:
    return COST_LABEL if kpi == COST else kpi_label(kpi)


def gbp(value: float) -> str:
    """Money as GBP with thousands separators (``GBP 1,234,567``)."""
    if value is None or not np.isfinite(value):
        return "n/a"
    return f"{'-' if value < 0 else ''}GBP {abs(value):,.0f}"


def chosen_config_yaml(result: PlanResult, plan_file: str) -> str | None:
    """The chosen plan as a ready scenario config (YAML text), or ``None`` if no plan meets the targets."""
    chosen = result.chosen
    if chosen is None:
        return None
    data = chosen.cfg.model_dump(mode="json")
    data["name"] = f"{result.plan.name}_chosen"
    data["description"] = f"Chosen by run_sim.py plan {plan_file}: " + ", ".join(
        f"{k} = {v:g}" for k, v in chosen.values.items()
    )
    head = [
        f"# The plan chosen by `run_sim.py plan {plan_file}`.",
        "# A complete scenario: run it with `run_sim.py run` or compare it with today's pathway.",
        "# Values set by the planner:",
    ]
    head += [f"#   {name} = {value:g}" for name, value in chosen.values.items()]
    return "\n".join(head) + "\n" + yaml.safe_dump(data, sort_keys=False, width=120)


def comparison_in_words(result: PlanResult) -> pd.DataFrame:
    """The chosen plan against today's pathway, each KPI named in words."""
    table = comparison_table(result)
    if table.empty:
        return table
    table.insert(1, "label", [_words(k) for k in table["kpi"]])
    return table


def search_figure(result: PlanResult) -> Figure:
    """Two panels: each plan's cost in the order tried (the search), and cost against the main target (trade-off)."""
    plans = plans_table(result, plan_replications := result.plan.search.replications)
    fig = Figure(figsize=(11, 4.8), layout="constrained")
    ax_search, ax_front = fig.subplots(1, 2)
    plan = result.plan
    meets = plans["meets_targets_on_means"].to_numpy(dtype=bool) if len(plans) else np.array([], bool)
    thousands = plans["cost_mean_gbp"] / 1000.0
    ax_search.scatter(
        plans["order"][~meets], thousands[~meets], marker="x", color="tab:grey", label="misses a target (on its mean)"
    )
    ax_search.scatter(
        plans["order"][meets], thousands[meets], marker="o", color="tab:blue", label="meets every target (on its mean)"
    )
    best = []
    running = math.inf
    for m, c in zip(meets, thousands):
        if m:
            running = min(running, c)
        best.append(running if np.isfinite(running) else np.nan)
    ax_search.step(
        plans["order"], best, where="post", color="tab:blue", alpha=0.6, label="cheapest so far that meets every target"
    )
    chosen = result.chosen
    if chosen is not None:
        row = plans[plans["plan"] == chosen.key].iloc[0]
        ax_search.scatter(
            [row["order"]],
            [row["cost_mean_gbp"] / 1000.0],
            marker="*",
            s=250,
            color="tab:red",
            zorder=5,
            label="chosen plan",
        )
    ax_search.set_xlabel("Plan, in the order the search tried it")
    ax_search.set_ylabel("Net recurrent cost a year, GBP thousand")
    ax_search.set_title(f"The search (each plan on its first {plan_replications} replications)")
    ax_search.legend(fontsize=8)
    ax_search.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))

    if plan.constraints:
        main = plan.constraints[0]
        front = pareto_table(result)
        ax_front.scatter(plans[main.kpi], thousands, color="tab:grey", alpha=0.5, label="plans tried")
        if not front.empty:
            ax_front.plot(
                front[main.kpi],
                front["cost_mean_gbp"] / 1000.0,
                marker="o",
                color="tab:green",
                label="trade-off: no plan is both cheaper and better on this target",
            )
        ax_front.axvline(
            main.bound,
            color="tab:red",
            linestyle="--",
            label=f"target: {'at least' if main.sense == 'at_least' else 'at most'} {main.bound:g}",
        )
        if chosen is not None:
            row = plans[plans["plan"] == chosen.key].iloc[0]
            ax_front.scatter(
                [row[main.kpi]],
                [row["cost_mean_gbp"] / 1000.0],
                marker="*",
                s=250,
                color="tab:red",
                zorder=5,
                label="chosen plan",
            )
        ax_front.set_xlabel(main.label or kpi_label(main.kpi))
        ax_front.set_ylabel("Net recurrent cost a year, GBP thousand")
        ax_front.set_title("Cost against the main target")
        ax_front.legend(fontsize=8)
        ax_front.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    else:
        ax_front.set_axis_off()
    fig.suptitle(plan.description or plan.name)
    return fig


def summary_lines(result: PlanResult) -> list[str]:
    """What the command prints: the chosen plan or the binding target, the guarantee, costs against today."""
    sel, ev, plan = result.selection, result.evaluator, result.plan
    lines = [
        (
            f"plan {plan.name}: {len(ev.plans)} plans tried of {result.space.size():,}, "
            f"{ev.spent:,} replications of {result.budget:,} budgeted; {len(result.candidates)} entered selection"
        )
    ]
    if result.chosen is None:
        b = sel.binding
        if sel.guaranteed:
            lines.append(
                f"No plan found meets every target: each of the {len(result.candidates)} candidates "
                "(the search's best) was shown to miss one, beyond its tolerance."
            )
        else:
            lines.append(
                f"No plan was shown to meet every target within the budget ({result.budget:,} "
                "replications): give a larger --budget, or relax a target."
            )
        if b is not None:
            lines.append(
                f"Binding target: {b['target']}. The nearest plan ({b['nearest_plan']}) reaches "
                f"{b['nearest_value']:,.2f}, short by {b['nearest_shortfall']:,.2f}."
            )
            labels = {c.kpi: c.label for c in plan.constraints if c.label}
            for kpi, value in b["best_reached"].items():
                lines.append(f"  best reached by any plan tried: {labels.get(kpi) or _words(kpi)}: {value:,.2f}")
        return lines
    chosen = result.chosen
    lines.append("Chosen plan: " + ", ".join(f"{k} = {v:g}" for k, v in chosen.values.items()))
    conf = plan.selection.confidence
    if sel.guaranteed:
        lines.append(
            f"With probability at least {conf:.0%} it meets every target (within each target's tolerance) "
            f"and is the cheapest such plan among the {len(result.candidates)} candidates "
            f"(within {gbp(plan.selection.cost_indifference_gbp)} a year)."
        )
    else:
        lines.append(
            f"warning: the selection stopped on the budget or the replication cap before reaching "
            f"{conf:.0%}: the chosen plan is the cheapest survivor whose means meet every target"
        )
    table = comparison_table(result)
    for _, row in table.iterrows():
        fmt = gbp if row["kpi"] == COST else (lambda v: f"{v:,.2f}")
        lines.append(
            f"  {_words(row['kpi'])}: today {fmt(row['today_mean'])}, plan {fmt(row['plan_mean'])} "
            f"(difference {fmt(row['difference_mean'])}, 95% CI {fmt(row['difference_ci_low'])} to "
            f"{fmt(row['difference_ci_high'])}; {int(row['n_reps'])} paired replications)"
        )
    return lines


def with_target_labels(plan):
    """The plan with every target that has no label of its own named from the label table."""
    constraints = [c if c.label else c.model_copy(update={"label": kpi_label(c.kpi)}) for c in plan.constraints]
    return plan.model_copy(update={"constraints": constraints})
