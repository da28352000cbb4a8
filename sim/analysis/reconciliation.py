"""Reconciliation with the paper: its arithmetic reproduced, the model beside it, the gap explained.

``paper_calculation`` is deterministic (no simulation): from the unit costs and
volumes in ``configs/reconciliation.yaml`` it reproduces each of the paper's
figures and says what volume a day each implies. ``reconcile`` puts the model's
figure (gross activity basis, paired 95% interval) beside each line and splits
the gap into named reasons, each marked *measured* (from the model's KPIs) or
*estimate* (arithmetic on the paper's volumes or the config's shares).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.business_case import BusinessCase
from ..inputs.config import Config
from ..inputs.reconciliation import ReconciliationInputs
from .business_case import Arm, replication_savings
from .output_analysis import fill_route_columns, t_interval

LINES = ("per_patient_via_utc", "per_patient_from_ia", "current_flow", "x1", "x4", "x5", "x8", "total")
LINE_LABELS = {
    "per_patient_via_utc": "Cost of a patient streamed to UTC, then redirected to SDA",
    "per_patient_from_ia": "Cost of a patient redirected to SDA from A&E (IA nurse)",
    "current_flow": "Annual cost of today's redirection flow",
    "x1": "X1 (with X2): practice overflow slots keep patients out of A&E/UTC",
    "x4": "X4 (with X3): NHS 111 books PCN slots instead of sending to UTC",
    "x5": "X5: UTC stops redirecting",
    "x8": "X8: IA nurse redirects straight to SDA",
    "total": "Total recurrent saving (X1 + X4 + X5 + X8)",
}
CHANGE_GROUPS = {
    "x1": ("x1_overflow_instead_of_walk_in", "x2_overflow_instead_of_practice_referral"),
    "x4": ("x3_overflow_instead_of_111_call", "x4_111_books_pcn_sda"),
    "x5": ("x5_utc_stops_redirecting",),
    "x8": ("x8_ia_nurse_redirects",),
}
"""Which of the model's changes each paper line covers."""
FRONT_DOOR_ROUTE_VIA_UTC = "walk_in:ia>utc>sda_gpcg"
FRONT_DOOR_ROUTES_FROM_IA = ("walk_in:ia>navigator>sda_gpcg", "walk_in:ia>sda_gpcg")


def paper_calculation(rec: ReconciliationInputs) -> pd.DataFrame:
    """The paper's figures recomputed from ``rec``, with the volume a day each implies.

    Columns: ``figure, label, paper_gbp, calculated_gbp, difference_pct, within_tolerance,
    implied_per_day, implied_volume, formula``.
    """
    utc, sda, days = rec.unit_costs_gbp.utc_attendance, rec.unit_costs_gbp.sda_appointment, rec.days_per_year
    cur, paper = rec.current, rec.paper_gbp
    via_utc = utc + sda
    extra_ia = rec.x8_ia.redirections_per_day - cur.redirections_per_day
    rows = [
        ("per_patient_via_utc", via_utc, float("nan"), "",
         f"UTC attendance {utc:.2f} + SDA appointment {sda:.2f}"),
        ("per_patient_from_ia", sda, float("nan"), "", f"SDA appointment {sda:.2f} (IA streaming costs nothing extra)"),
        ("current_flow", cur.redirections_per_day * days * via_utc, paper.current_flow / (days * via_utc),
         "redirections a day, each costed at UTC + SDA",
         f"{cur.redirections_per_day:g} redirections a day x {days:g} days x {via_utc:.2f}"),
        ("x1", rec.x1_overflow.slots_used_per_day * rec.x1_overflow.share_would_attend * days * utc,
         paper.x1 / (days * utc), "patients kept out of A&E/UTC a day, each saving a UTC attendance",
         f"{rec.x1_overflow.slots_used_per_day:g} overflow slots used a day x {rec.x1_overflow.share_would_attend:g}"
         f" would have attended x {days:g} days x {utc:.2f}"),
        ("x4", rec.x4_nhs111.to_utc_per_day * rec.x4_nhs111.reduction * days * utc,
         paper.x4 / (days * utc), "NHS 111 referrals to UTC avoided a day, each saving a UTC attendance",
         f"{rec.x4_nhs111.to_utc_per_day:g} NHS 111 referrals to UTC a day x {rec.x4_nhs111.reduction:g} avoided"
         f" x {days:g} days x {utc:.2f}"),
        ("x5", cur.redirections_per_day * cur.share_via_utc * days * utc, paper.x5 / (days * utc),
         "redirections moved from UTC triage to the IA nurse a day, each saving a UTC attendance",
         f"{cur.redirections_per_day:g} redirections a day x {cur.share_via_utc:g} via UTC x {days:g} days x {utc:.2f}"),
        ("x8", extra_ia * days * (utc - sda), paper.x8 / (days * (utc - sda)),
         "extra redirections a day, each saving a UTC attendance less an SDA appointment",
         f"({rec.x8_ia.redirections_per_day:g} - {cur.redirections_per_day:g}) redirections a day x {days:g} days"
         f" x ({utc:.2f} - {sda:.2f})"),
    ]
    table = pd.DataFrame(rows, columns=["figure", "calculated_gbp", "implied_per_day", "implied_volume", "formula"])
    total = float(table.loc[table["figure"].isin(["x1", "x4", "x5", "x8"]), "calculated_gbp"].sum())
    table.loc[len(table)] = ["total", total, float("nan"), "", "X1 + X4 + X5 + X8"]
    table.insert(1, "label", [LINE_LABELS[f] for f in table["figure"]])
    table.insert(2, "paper_gbp", [getattr(paper, f) for f in table["figure"]])
    table.insert(4, "difference_pct", 100.0 * (table["calculated_gbp"] / table["paper_gbp"] - 1.0))
    table.insert(5, "within_tolerance", table["difference_pct"].abs() <= 100.0 * rec.tolerance)
    return table


@dataclass(frozen=True)
class StepRun:
    """One cumulative step of an attribution: its label, config and per-replication KPIs."""

    label: str
    cfg: Config
    summary: pd.DataFrame


def _kpi(summary: pd.DataFrame, name: str) -> pd.Series:
    frame = fill_route_columns(summary.set_index("replication").copy())
    return frame[name] if name in frame else pd.Series(0.0, index=frame.index)


def step_changes(steps: list[StepRun], case: BusinessCase) -> dict[str, pd.DataFrame]:
    """Each step's per-replication savings against the step before (gross, net, cash).

    The redesign's new services are charged to no step (see ``replication_savings``).
    """
    return {
        after.label: replication_savings(Arm(before.summary, before.cfg), Arm(after.summary, after.cfg), case,
                                         new_services=False)
        for before, after in zip(steps[:-1], steps[1:])
    }


def _group_kpi_change(steps: list[StepRun], labels, kpi: str) -> pd.Series:
    """Per-replication change in a KPI over the steps in ``labels`` (each against the step before)."""
    total = None
    for before, after in zip(steps[:-1], steps[1:]):
        if after.label in labels:
            change = _kpi(after.summary, kpi) - _kpi(before.summary, kpi)
            total = change if total is None else total + change
    return total if total is not None else pd.Series(0.0, index=_kpi(steps[0].summary, kpi).index)


def _interval(values: pd.Series) -> tuple[float, float, float]:
    mean, low, high, _ = t_interval(values)
    return mean, low, high


def _window_share(cfg: Config) -> float:
    """Share of the week's walk-ins arriving inside the IA redirection window of X8."""
    policy = cfg.ia_nurse.redirection_x8
    walk_in = cfg.demand.walk_in
    if walk_in.hour_of_week is not None:
        week = np.asarray(walk_in.hour_of_week, dtype=float)
    else:
        week = np.outer(walk_in.day_of_week, walk_in.hour_of_day)
    hours = np.arange(24)
    in_hours = (hours >= policy.start_hour) & (hours < policy.end_hour)
    inside = week[np.asarray(policy.days, dtype=bool)][:, in_hours].sum()
    return float(inside / week.sum()) if week.sum() > 0 else 0.0


def model_figures(steps: list[StepRun], changes: dict[str, pd.DataFrame]) -> dict[str, tuple[float, float, float]]:
    """The model's figure for each paper line: (mean, 95% low, 95% high), gross activity basis."""
    base, scen = steps[0].summary, steps[-1].summary
    per_year = 365.0

    def route_cost_per_patient(summary, routes) -> tuple[float, float, float]:
        cost = sum(_kpi(summary, f"cost_annual_gbp_{r}") for r in routes)
        volume = sum(_kpi(summary, f"volume_per_day_{r}") for r in routes) * per_year
        ratio = (cost / volume.replace(0.0, np.nan)).dropna()
        return _interval(ratio) if len(ratio) else (float("nan"),) * 3

    frame = fill_route_columns(base.set_index("replication").copy())
    flow_cols = [c for c in frame.columns if c.startswith("cost_annual_gbp_walk_in:") and "sda_gpcg" in c]
    out = {
        "per_patient_via_utc": route_cost_per_patient(base, [FRONT_DOOR_ROUTE_VIA_UTC]),
        "per_patient_from_ia": route_cost_per_patient(scen, FRONT_DOOR_ROUTES_FROM_IA),
        "current_flow": _interval(frame[flow_cols].sum(axis=1)) if flow_cols else (0.0, 0.0, 0.0),
    }
    for line, switches in CHANGE_GROUPS.items():
        parts = [changes[s]["gross_total"] for s in switches if s in changes]
        out[line] = _interval(sum(parts)) if parts else (0.0, 0.0, 0.0)
    out["total"] = _interval(sum(c["gross_total"] for c in changes.values()))
    return out


def gap_reasons(rec: ReconciliationInputs, steps: list[StepRun], changes: dict[str, pd.DataFrame],
                model: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """The gap (paper - model) of each saving line split into named reasons.

    Columns: ``figure, reason, gbp, basis`` where basis is ``measured`` (from the
    model's KPIs), ``estimate`` (arithmetic on the paper's volumes or the config's
    shares) or ``remainder`` (what the named reasons leave; it closes the sum).
    The reasons of each line add up to its gap.
    """
    utc, sda, days = rec.unit_costs_gbp.utc_attendance, rec.unit_costs_gbp.sda_appointment, rec.days_per_year
    calc = paper_calculation(rec).set_index("figure")
    scen_cfg, scen = steps[-1].cfg, steps[-1].summary
    rows: list[tuple[str, str, float, str]] = []

    def close(figure: str, paper_figure: float, model_figure: float, named: list[tuple[str, float, str]]):
        gap = paper_figure - model_figure
        for reason, gbp, basis in named:
            rows.append((figure, reason, gbp, basis))
        rows.append((figure, "Other: interactions, route mix and unit-cost differences",
                     gap - sum(g for _, g, _ in named), "remainder"))

    # X1 and X4: the paper prices a UTC attendance avoided and nets nothing off
    for line, kpi, what in (("x1", "overflow_to_front_door_per_day", "overflow patients kept out of A&E/UTC"),
                            ("x4", "nhs111_no_slot_to_front_door_per_day", "NHS 111 referrals to A&E/UTC avoided")):
        paper_volume = float(calc.loc[line, "implied_per_day"])
        model_volume = -float(_group_kpi_change(steps, CHANGE_GROUPS[line], kpi).mean())
        close(line, getattr(rec.paper_gbp, line), model[line][0], [
            ("SDA appointment netted off (the paper does not charge it)", paper_volume * days * sda, "estimate"),
            (f"Fewer {what}: {model_volume:.1f} a day against the paper's {paper_volume:.1f}",
             (paper_volume - model_volume) * days * utc, "measured"),
        ])

    # X5 and X8 together: the front door. Their split depends on the order the changes are switched on.
    value = utc - sda
    target = rec.x8_ia.redirections_per_day
    redirected = float(_kpi(scen, "sda_redirections_front_door_per_day").mean())
    unused = float(_kpi(scen, "sda_unused_slots_per_day_gpcg").mean())
    no_slot = min(float(_kpi(scen, "sda_no_slot_per_day").mean()), max(target - redirected, 0.0))
    shortfall = max(target - redirected, 0.0) - no_slot
    shares = {
        "outside the redirection window": _window_share(scen_cfg),
        "patients declining": scen_cfg.patients.accepts_redirection,
        "out-of-borough patients (not registered in Tower Hamlets)": scen_cfg.demand.walk_in.registered_th,
        "not clinically eligible": scen_cfg.patients.sda_eligible,
    }
    weights = {k: -np.log(max(v, 1e-9)) for k, v in shares.items()}
    weight_sum = sum(weights.values()) or 1.0
    induced_cols = [c for c in scen.columns if c.startswith("induced")]
    front_door = [
        (f"No SDA slot left when wanted ({no_slot:.1f} a day; counts every SDA request, so at most this much "
         "at the front door)", no_slot * days * value, "measured"),
    ]
    for reason, weight in weights.items():
        front_door.append((f"Slots unused for want of candidates ({redirected:.1f} redirected a day against "
                           f"{target:g}; {unused:.1f} GPCG slots unused a day): {reason}",
                           shortfall * weight / weight_sum * days * value, "estimate"))
    if induced_cols:
        induced = float(_kpi(scen, induced_cols[0]).mean() - _kpi(steps[0].summary, induced_cols[0]).mean())
        front_door.append((f"Induced demand ({induced_cols[0]}: {induced:+.1f} a day)", induced * days * sda, "measured"))
    else:
        front_door.append(("Induced demand (not in the model)", 0.0, "measured"))
    close("x5+x8", rec.paper_gbp.x5 + rec.paper_gbp.x8, model["x5"][0] + model["x8"][0], front_door)

    # the total: the lines above, and the model's steps the paper does not price
    priced = {s for group in CHANGE_GROUPS.values() for s in group}
    unpriced = sum(float(c["gross_total"].mean()) for label, c in changes.items() if label not in priced)
    line_gaps = [(f"Gap on {name.upper()} (its reasons above)", sum(r[2] for r in rows if r[0] == name), "measured")
                 for name in ("x1", "x4", "x5+x8")]
    close("total", rec.paper_gbp.total, model["total"][0], [
        *line_gaps,
        ("Steps the paper does not price (capacity settings, X6 besides GP time, X7)", -unpriced, "measured"),
    ])
    return pd.DataFrame(rows, columns=["figure", "reason", "gbp", "basis"])


def reconcile(rec: ReconciliationInputs, steps: list[StepRun], case: BusinessCase) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reconciliation table (paper, calculated, model with interval, gap) and the gap reasons."""
    changes = step_changes(steps, case)
    model = model_figures(steps, changes)
    table = paper_calculation(rec)
    table["model_gbp"] = [model[f][0] for f in table["figure"]]
    table["model_ci_low_gbp"] = [model[f][1] for f in table["figure"]]
    table["model_ci_high_gbp"] = [model[f][2] for f in table["figure"]]
    table["gap_gbp"] = table["paper_gbp"] - table["model_gbp"]
    return table, gap_reasons(rec, steps, changes, model)
