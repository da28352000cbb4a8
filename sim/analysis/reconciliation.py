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
from ..inputs.calendar import DAYS_PER_YEAR
from ..inputs.config import Config
from ..inputs.reconciliation import ReconciliationInputs
from .business_case import Arm, replication_savings
from .costs import line_volumes
from .output_analysis import fill_route_columns, t_interval

LINES = (
    "per_patient_via_utc",
    "per_patient_from_ia",
    "current_flow",
    "x1",
    "x4",
    "x5",
    "x8",
    "total",
    "total_model_basis",
)
LINE_LABELS = {
    "per_patient_via_utc": "Cost of a patient streamed to UTC, then redirected to SDA",
    "per_patient_from_ia": "Cost of a patient redirected to SDA from A&E (IA nurse)",
    "current_flow": "Annual cost of today's redirection flow",
    "x1": "X1 (with X2): practice overflow slots keep patients out of A&E/UTC",
    "x4": "X4 (with X3): NHS 111 books PCN slots instead of sending to UTC",
    "x5": "X5: UTC stops redirecting",
    "x8": "X8: IA nurse redirects straight to SDA",
    "total": "Total recurrent saving (X1 + X4 + X5 + X8)",
    "total_model_basis": (
        "The paper's volumes on the model's costing basis (every SDA appointment charged, GP time out)"
    ),
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
        ("per_patient_via_utc", via_utc, float("nan"), "", f"UTC attendance {utc:.2f} + SDA appointment {sda:.2f}"),
        ("per_patient_from_ia", sda, float("nan"), "", f"SDA appointment {sda:.2f} (IA streaming costs nothing extra)"),
        (
            "current_flow",
            cur.redirections_per_day * days * (cur.share_via_utc * via_utc + (1 - cur.share_via_utc) * sda),
            paper.current_flow / (days * via_utc),
            "redirections a day if each were costed at UTC + SDA, as the paper's GBP 1.4M implies",
            f"{cur.redirections_per_day:g} redirections a day x {days:g} days x ({cur.share_via_utc:g} via UTC x "
            f"{via_utc:.2f} + {1 - cur.share_via_utc:g} from the IA nurse x {sda:.2f})",
        ),
        (
            "x1",
            rec.x1_overflow.slots_used_per_day * rec.x1_overflow.share_would_attend * days * utc,
            paper.x1 / (days * utc),
            "patients kept out of A&E/UTC a day, each saving a UTC attendance",
            f"{rec.x1_overflow.slots_used_per_day:g} overflow slots used a day x {rec.x1_overflow.share_would_attend:g}"
            f" would have attended x {days:g} days x {utc:.2f}",
        ),
        (
            "x4",
            rec.x4_nhs111.to_utc_per_day * rec.x4_nhs111.reduction * days * utc,
            paper.x4 / (days * utc),
            "NHS 111 referrals to UTC avoided a day, each saving a UTC attendance",
            f"{rec.x4_nhs111.to_utc_per_day:g} NHS 111 referrals to UTC a day x {rec.x4_nhs111.reduction:g} avoided"
            f" x {days:g} days x {utc:.2f}",
        ),
        (
            "x5",
            cur.redirections_per_day * cur.share_via_utc * days * utc,
            paper.x5 / (days * utc),
            "redirections moved from UTC triage to the IA nurse a day, each saving a UTC attendance",
            f"{cur.redirections_per_day:g} redirections a day x {cur.share_via_utc:g} via UTC x {days:g} days x {utc:.2f}",
        ),
        (
            "x8",
            extra_ia * days * (utc - sda),
            paper.x8 / (days * (utc - sda)),
            "extra redirections a day, each saving a UTC attendance less an SDA appointment",
            f"({rec.x8_ia.redirections_per_day:g} - {cur.redirections_per_day:g}) redirections a day x {days:g} days"
            f" x ({utc:.2f} - {sda:.2f})",
        ),
    ]
    table = pd.DataFrame(rows, columns=["figure", "calculated_gbp", "implied_per_day", "implied_volume", "formula"])
    total = float(table.loc[table["figure"].isin(["x1", "x4", "x5", "x8"]), "calculated_gbp"].sum())
    table.loc[len(table)] = ["total", total, float("nan"), "", "X1 + X4 + X5 + X8"]
    # like for like with the model's gross: every SDA appointment the paper's volumes need is charged,
    # GP time is out (the overflow slots replace GP appointments, not only A&E/UTC attendances)
    x1_slots = rec.x1_overflow.slots_used_per_day
    x1_avoided = x1_slots * rec.x1_overflow.share_would_attend
    x4_avoided = rec.x4_nhs111.to_utc_per_day * rec.x4_nhs111.reduction
    like = (
        days * (x1_avoided * utc - x1_slots * sda)
        + days * x4_avoided * (utc - sda)
        + float(table.loc[table["figure"] == "x5", "calculated_gbp"].iloc[0])
        + float(table.loc[table["figure"] == "x8", "calculated_gbp"].iloc[0])
    )
    table.loc[len(table)] = [
        "total_model_basis",
        like,
        float("nan"),
        "",
        f"X1 ({x1_avoided:g} avoided x {utc:.2f} - {x1_slots:g} overflow slots x {sda:.2f}) + X4 ({x4_avoided:g} x "
        f"({utc:.2f} - {sda:.2f})) + X5 + X8, a day x {days:g} days",
    ]
    table.insert(1, "label", [LINE_LABELS[f] for f in table["figure"]])
    table.insert(2, "paper_gbp", [getattr(paper, f, float("nan")) for f in table["figure"]])
    table.insert(4, "difference_pct", 100.0 * (table["calculated_gbp"] / table["paper_gbp"] - 1.0))
    within = (table["difference_pct"].abs() <= 100.0 * rec.tolerance).astype(object)
    table.insert(5, "within_tolerance", within.where(table["paper_gbp"].notna(), None))
    notes = {figure: "" for figure in table["figure"]}
    notes["total_model_basis"] = (
        "The validation target for the model's gross saving: the paper's own volumes, costed as the model costs them"
    )
    notes["current_flow"] = (
        f"Not reproduced on inputs consistent with X5: the paper's GBP 1.4M is close to all "
        f"{cur.redirections_per_day:g} a day costed at UTC + SDA ({cur.redirections_per_day * days * via_utc:,.0f}), "
        f"while its X5 (c. GBP 500k) implies only {cur.share_via_utc:.0%} go via the UTC; the calculator keeps "
        "one set of inputs (current.share_via_utc) for both"
    )
    table["note"] = [notes[f] for f in table["figure"]]
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
        after.label: replication_savings(
            Arm(before.summary, before.cfg),
            Arm(after.summary, after.cfg),
            case,
            new_services=False,
            funded_baseline=False,
        )
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
    per_year = DAYS_PER_YEAR

    def route_cost_per_patient(summary, routes) -> tuple[float, float, float]:
        cost = sum(_kpi(summary, f"cost_annual_gbp_{r}") for r in routes)
        volume = sum(_kpi(summary, f"volume_per_day_{r}") for r in routes) * per_year
        ratio = (cost / volume.replace(0.0, np.nan)).dropna()
        return _interval(ratio) if len(ratio) else (float("nan"),) * 3

    prices = steps[0].cfg.unit_costs_gbp
    flow = per_year * (
        _kpi(base, "sda_redirections_front_door_per_day") * prices.sda_appointment
        + _kpi(base, "sda_redirections_utc_per_day") * prices.utc_attendance
    )
    out = {
        "per_patient_via_utc": route_cost_per_patient(base, [FRONT_DOOR_ROUTE_VIA_UTC]),
        "per_patient_from_ia": route_cost_per_patient(scen, FRONT_DOOR_ROUTES_FROM_IA),
        "current_flow": _interval(flow),
    }
    for line, switches in CHANGE_GROUPS.items():
        parts = [changes[s]["gross_total"] for s in switches if s in changes]
        out[line] = _interval(sum(parts)) if parts else (0.0, 0.0, 0.0)
    out["total"] = _interval(sum(c["gross_total"] for c in changes.values()))
    out["total_model_basis"] = out["total"]
    return out


def paper_lines(rec: ReconciliationInputs) -> dict[str, dict[str, float]]:
    """The paper's figures by line of activity: the volume a day each implies on each line, signed as a saving.

    X1, X4 and X5 are UTC attendances avoided (the paper charges no SDA appointment
    for them); X8 is UTC attendances avoided and SDA appointments added.
    """
    calc = paper_calculation(rec).set_index("figure")
    cur = rec.current
    return {
        "x1": {"utc_attendance": float(calc.loc["x1", "implied_per_day"])},
        "x4": {"utc_attendance": float(calc.loc["x4", "implied_per_day"])},
        "x5": {"utc_attendance": float(calc.loc["x5", "implied_per_day"])},
        "x8": {
            "utc_attendance": float(calc.loc["x8", "implied_per_day"]),
            "sda_gpcg": -float(calc.loc["x8", "implied_per_day"]),
        },
        "current_flow": {"redirections": cur.redirections_per_day},
    }


def _group_line_change(steps: list[StepRun], labels, costing) -> pd.DataFrame:
    """Per-replication fall in each line's volume a day over the steps in ``labels``."""
    total = None
    for before, after in zip(steps[:-1], steps[1:]):
        if after.label in labels:
            change = line_volumes(before.summary, costing) - line_volumes(after.summary, costing)
            total = change if total is None else total + change
    if total is None:
        total = line_volumes(steps[0].summary, costing) * 0.0
    return total


def gap_reasons(
    rec: ReconciliationInputs,
    steps: list[StepRun],
    changes: dict[str, pd.DataFrame],
    model: dict[str, tuple[float, float, float]],
    case: BusinessCase,
) -> pd.DataFrame:
    """The gap (paper - model) of each line of the reconciliation split into reasons, line of activity by line.

    Columns: ``figure, reason, gbp, basis`` where basis is ``measured`` (a line's
    volume change in the model against the paper's implied volume, both at the
    reconciliation's unit costs for the lines the paper prices and the model's for
    the rest), ``estimate`` (arithmetic on the paper's own figures) or ``unexplained``
    (what the named reasons leave, with its size; it closes the sum). The reasons of
    each figure add up to its gap.
    """
    costing = case.costing
    utc, sda, days = rec.unit_costs_gbp.utc_attendance, rec.unit_costs_gbp.sda_appointment, rec.days_per_year
    names = {name: line.label for name, line in costing.lines.items()}
    paper = paper_lines(rec)
    rows: list[tuple[str, str, float, str]] = []

    def close(figure: str, paper_figure: float, model_figure: float, named: list[tuple[str, float, str]]):
        gap = paper_figure - model_figure
        for reason, gbp, basis in named:
            rows.append((figure, reason, gbp, basis))
        rest = gap - sum(g for _, g, _ in named)
        if abs(rest) >= 0.5:
            rows.append(
                (
                    figure,
                    "Unexplained: interactions between changes and the order they are switched on",
                    rest,
                    "unexplained",
                )
            )

    def by_line(
        figure: str,
        groups: tuple[str, ...],
        paper_figure: float,
        implied: dict[str, float],
        extra: dict[str, str] | None = None,
    ) -> None:
        """One reason per line of activity: the paper's implied volume against the model's change."""
        labels = [s for g in groups for s in CHANGE_GROUPS[g]]
        fewer = _group_line_change(steps, labels, costing).mean()
        model_gbp = {
            line: sum(float(changes[s][f"gross_{line}"].mean()) for s in labels if s in changes)
            for line in costing.lines
        }
        named = []
        for line in costing.lines:
            paper_volume = implied.get(line, 0.0)
            model_volume = float(fewer[line])
            price = {"utc_attendance": utc, "sda_gpcg": sda}.get(line)
            paper_gbp = paper_volume * days * (price if price is not None else 0.0)
            gbp = paper_gbp - model_gbp[line]
            if abs(gbp) < 0.5 and paper_volume == 0.0:
                continue
            what = "avoided" if model_volume >= 0 else "added"
            if paper_volume:
                reason = (
                    f"{names[line]}: {abs(model_volume):.1f} a day {what} in the model against the paper's "
                    f"{abs(paper_volume):.1f} {'avoided' if paper_volume > 0 else 'added'}"
                )
            else:
                reason = (
                    f"{names[line]}: {abs(model_volume):.1f} a day {what} in the model; "
                    "the paper does not count this line"
                )
            if extra and line in extra:
                reason += f" ({extra[line]})"
            named.append((reason, gbp, "measured"))
        close(figure, paper_figure, model[figure][0] if figure in model else sum(model[g][0] for g in groups), named)

    by_line("x1", ("x1",), rec.paper_gbp.x1, paper["x1"])
    by_line("x4", ("x4",), rec.paper_gbp.x4, paper["x4"])
    scen = steps[-1].summary
    target = rec.x8_ia.redirections_per_day
    redirected = float(_kpi(scen, "sda_redirections_front_door_per_day").mean())
    unused = float(_kpi(scen, "sda_unused_slots_per_day_gpcg").mean())
    no_slot = float(_kpi(scen, "sda_no_slot_per_day").mean())
    front = {
        "utc_attendance": f"{redirected:.1f} redirected a day at the front door against the paper's {target:g}; "
        f"{unused:.1f} GPCG slots a day unused, {no_slot:.1f} patients a day found no SDA slot"
    }
    x58 = {
        "utc_attendance": paper["x5"]["utc_attendance"] + paper["x8"]["utc_attendance"],
        "sda_gpcg": paper["x8"]["sda_gpcg"],
    }
    by_line("x5+x8", ("x5", "x8"), rec.paper_gbp.x5 + rec.paper_gbp.x8, x58, front)

    # today's redirection flow: the paper's GBP 1.4M against the model's current pathway
    base = steps[0].summary
    cur = rec.current
    m_all = float(_kpi(base, "sda_redirections_front_door_per_day").mean())
    m_utc = float(_kpi(base, "sda_redirections_utc_per_day").mean())
    consistent = cur.redirections_per_day * days * (cur.share_via_utc * (utc + sda) + (1 - cur.share_via_utc) * sda)
    share_model = m_utc / m_all if m_all else 0.0
    close(
        "current_flow",
        rec.paper_gbp.current_flow,
        model["current_flow"][0],
        [
            (
                f"The paper costs all {cur.redirections_per_day:g} a day at UTC + SDA; its X5 implies "
                f"{cur.share_via_utc:.0%} via the UTC (consistent inputs give GBP {consistent:,.0f})",
                rec.paper_gbp.current_flow - consistent,
                "estimate",
            ),
            (
                f"{'Fewer' if m_all < cur.redirections_per_day else 'More'} redirections a day in the model: {m_all:.1f} "
                f"against {cur.redirections_per_day:g}",
                (cur.redirections_per_day - m_all)
                * days
                * (cur.share_via_utc * (utc + sda) + (1 - cur.share_via_utc) * sda),
                "measured",
            ),
            (
                f"A different split in the model: {share_model:.0%} of redirections via the UTC against "
                f"{cur.share_via_utc:.0%}",
                m_all * days * (cur.share_via_utc - share_model) * utc,
                "measured",
            ),
        ],
    )

    # the total: the lines above, the paper's rounding and the model's steps the paper does not price
    priced = {s for group in CHANGE_GROUPS.values() for s in group}
    unpriced = {label: float(c["gross_total"].mean()) for label, c in changes.items() if label not in priced}
    line_gaps = [
        (f"Gap on {name.upper()} (its reasons above)", sum(r[2] for r in rows if r[0] == name), "measured")
        for name in ("x1", "x4", "x5+x8")
    ]
    paper_sum = rec.paper_gbp.x1 + rec.paper_gbp.x4 + rec.paper_gbp.x5 + rec.paper_gbp.x8
    close(
        "total",
        rec.paper_gbp.total,
        model["total"][0],
        [
            (
                f"The paper's rounding: its total c. GBP {rec.paper_gbp.total:,.0f} against its lines' sum "
                f"GBP {paper_sum:,.0f}",
                rec.paper_gbp.total - paper_sum,
                "estimate",
            ),
            *line_gaps,
            *(
                (f"Step the paper does not price: {label}", -gbp, "measured")
                for label, gbp in unpriced.items()
                if abs(gbp) >= 0.5
            ),
        ],
    )
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
    return table, gap_reasons(rec, steps, changes, model, case)


def activity_bridge(rec: ReconciliationInputs, steps: list[StepRun], case: BusinessCase) -> pd.DataFrame:
    """The paper's implied volumes a day beside the model's, line by line, before any pounds.

    Columns: ``item, paper_per_day, model_current_per_day, model_redesign_per_day,
    model_change_per_day, difference_per_day, paper_basis`` (a change is redesign -
    current; ``difference`` is model change - paper change; NaN where the paper
    gives no figure).
    """
    costing = case.costing
    calc = paper_calculation(rec).set_index("figure")
    base, scen = steps[0].summary, steps[-1].summary
    lines_base, lines_scen = line_volumes(base, costing).mean(), line_volumes(scen, costing).mean()
    over_base = line_volumes(base, costing, channels=["gp_overflow"]).mean()
    over_scen = line_volumes(scen, costing, channels=["gp_overflow"]).mean()
    nan = float("nan")
    utc_avoided = sum(float(calc.loc[f, "implied_per_day"]) for f in ("x1", "x4", "x5", "x8"))
    cur, x8 = rec.current, rec.x8_ia

    def kpi(summary, name):
        return float(_kpi(summary, name).mean())

    rows = [
        (
            "UTC attendances (X1 + X4 + X5 + X8 at the UTC tariff)",
            -utc_avoided,
            lines_base["utc_attendance"],
            lines_scen["utc_attendance"],
            "implied by the savings at GBP 91.00",
        ),
        ("ED attendances", nan, lines_base["ed_attendance"], lines_scen["ed_attendance"], "the paper claims none"),
        ("NHS 111 calls", nan, lines_base["nhs111_call"], lines_scen["nhs111_call"], "the paper claims none"),
        (
            "GPCG SDA appointments (front door)",
            x8.redirections_per_day - cur.redirections_per_day,
            lines_base["sda_gpcg"],
            lines_scen["sda_gpcg"],
            "X8: a doubling of 30 to 60 a day",
        ),
        (
            "PCN SDA appointments (NHS 111 and practice overflow)",
            nan,
            lines_base["sda_pcn"],
            lines_scen["sda_pcn"],
            "the paper prices none (the pilots are in operation)",
        ),
        (
            "Front-door redirections to SDA",
            x8.redirections_per_day - cur.redirections_per_day,
            kpi(base, "sda_redirections_front_door_per_day"),
            kpi(scen, "sda_redirections_front_door_per_day"),
            "30 to 60 a day",
        ),
        (
            "  of which via the UTC's referral triage (X5)",
            -cur.redirections_per_day * cur.share_via_utc,
            kpi(base, "sda_redirections_utc_per_day"),
            kpi(scen, "sda_redirections_utc_per_day"),
            "X5: about half of today's 30 stop",
        ),
        (
            "NHS 111 callers sent to A&E/UTC for want of a slot (X4)",
            -float(calc.loc["x4", "implied_per_day"]),
            kpi(base, "nhs111_no_slot_to_front_door_per_day"),
            kpi(scen, "nhs111_no_slot_to_front_door_per_day"),
            "X4: c. 50% of about 12 a day",
        ),
        (
            "Practice overflow patients at A&E/UTC (X1)",
            -float(calc.loc["x1", "implied_per_day"]),
            kpi(base, "overflow_to_front_door_per_day"),
            kpi(scen, "overflow_to_front_door_per_day"),
            "X1: 1 in 5 of about 38 overflow slots used a day",
        ),
        (
            "Overflow patients' SDA appointments",
            rec.x1_overflow.slots_used_per_day,
            over_base["sda_pcn"] + over_base["sda_gpcg"],
            over_scen["sda_pcn"] + over_scen["sda_gpcg"],
            "X1: about 38 overflow slots used a day",
        ),
        (
            "GP practice, hub and next-day GP appointments (GP time)",
            nan,
            lines_base["gp_appointments"],
            lines_scen["gp_appointments"],
            "GP time: the paper claims none",
        ),
        (
            "GP reattendances (GP time, X6)",
            nan,
            lines_base["gp_reattendances"],
            lines_scen["gp_reattendances"],
            "X6: c. 15 GP hours a week",
        ),
    ]
    table = pd.DataFrame(
        rows, columns=["item", "paper_change_per_day", "model_current_per_day", "model_redesign_per_day", "paper_basis"]
    )
    table["model_change_per_day"] = table["model_redesign_per_day"] - table["model_current_per_day"]
    table["difference_per_day"] = table["model_change_per_day"] - table["paper_change_per_day"]
    return table[
        [
            "item",
            "paper_change_per_day",
            "model_current_per_day",
            "model_redesign_per_day",
            "model_change_per_day",
            "difference_per_day",
            "paper_basis",
        ]
    ]


def overflow_table(steps: list[StepRun], case: BusinessCase) -> pd.DataFrame:
    """Practice overflow patients (who found no slot at their own practice): what the redesign buys and saves.

    Line by line for patients of the overflow channel only: volume a day now and
    after the redesign, the gross saving a year (activity at unit cost; GP time out),
    and the GP hours a week freed. Part of the new SDA capacity serves patients who
    would otherwise have waited for their own GP: it saves GP time, not cash.
    Columns: ``line, label, basis, current_per_day, redesign_per_day, change_per_day,
    gross_saving_gbp, gp_hours_per_week``.
    """
    costing = case.costing
    base, scen = steps[0], steps[-1]
    vb = line_volumes(base.summary, costing, channels=["gp_overflow"])
    vs = line_volumes(scen.summary, costing, channels=["gp_overflow"])
    prices = base.cfg.unit_costs_gbp.model_dump()
    hours_each = scen.cfg.sda_consultation.gp_appointment_min / 60.0
    rows = []
    for name, line in costing.lines.items():
        b, s = float(vb[name].mean()), float(vs[name].mean())
        if b == 0.0 and s == 0.0:
            continue
        price = prices[line.price] if line.price else 0.0
        money = line.basis in ("tariff", "block", "commissioned", "fixed")
        rows.append(
            {
                "line": name,
                "label": line.label,
                "basis": line.basis,
                "current_per_day": b,
                "redesign_per_day": s,
                "change_per_day": s - b,
                "gross_saving_gbp": (b - s) * 365.0 * price if money else 0.0,
                "gp_hours_per_week": (b - s) * 7.0 * hours_each if line.basis == "capitation" else 0.0,
            }
        )
    table = pd.DataFrame(rows)
    total = {
        "line": "total",
        "label": "Total",
        "basis": "",
        "current_per_day": float("nan"),
        "redesign_per_day": float("nan"),
        "change_per_day": float("nan"),
        "gross_saving_gbp": float(table["gross_saving_gbp"].sum()) if len(table) else 0.0,
        "gp_hours_per_week": float(table["gp_hours_per_week"].sum()) if len(table) else 0.0,
    }
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)
