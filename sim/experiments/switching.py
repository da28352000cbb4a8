"""Switching values: the value of a key input at which the net saving reaches zero.

Two kinds of input:

- **modelled** inputs (eligibility, acceptance, SDA capacity, the IA/UTC split)
  change who goes where, so the model is run at a few values on the same
  patients (common random numbers). For each replication the net saving is
  interpolated linearly between the values tried and the zero crossing found;
  outside the values tried it is extrapolated from the nearest two and flagged.
- **price** inputs (the UTC tariff, the Care Navigator cost) leave every patient's
  route unchanged, and the net saving is linear in them: the switching value
  follows from each replication's volumes exactly, with no further runs.

Each switching value has a 95% interval across replications.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..analysis.business_case import DAYS_PER_YEAR, Arm, line_volumes, replication_savings
from ..analysis.output_analysis import t_interval
from ..inputs.business_case import BusinessCase
from ..inputs.config import Config, ConfigError
from ..inputs.parameters import ParameterSpace, get_value
from .runner import run_replications, summary_table

if TYPE_CHECKING:
    from .checkpoint import CheckpointFolder
    from .executors import Executor

COLUMNS = [
    "input",
    "label",
    "current_value",
    "switching_value",
    "ci_low",
    "ci_high",
    "n_reps",
    "within_values_tried",
    "values_tried",
    "method",
    "finding",
]
NO_SWITCHING_VALUE = "no switching value within the possible range"


def get_input(cfg: Config, path: str) -> float:
    """A numeric input by dotted path; a list (slots a day, Mon-Sun) reads as its mean."""
    try:
        node = get_value(cfg.model_dump(), path)
    except KeyError:
        raise ConfigError(f"business case: switching.inputs: unknown parameter {path!r}") from None
    if isinstance(node, dict):
        raise ConfigError(f"business case: switching.inputs: unknown parameter {path!r}")
    if isinstance(node, list):
        return float(np.mean(node))
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        raise ConfigError(f"business case: switching.inputs: {path} is not a number")
    return float(node)


def set_input(cfg: Config, path: str, value: float, source: str) -> Config:
    """A copy of ``cfg`` with the input set through the parameter space, as sweeps set it.

    One number sets a list (slots a day, Mon-Sun) on every day; whole numbers are rounded.
    """
    return ParameterSpace([path]).apply(cfg, {path: float(value)}, source, rounding=True)


def zero_crossing(values: np.ndarray, savings: np.ndarray) -> tuple[float, bool]:
    """Where a piecewise-linear saving through ``(values, savings)`` reaches zero.

    Returns ``(value, inside)``; ``inside`` is False when the value is extrapolated
    from the two points nearest zero, NaN if the saving does not move.
    """
    order = np.argsort(values)
    x, y = np.asarray(values, dtype=float)[order], np.asarray(savings, dtype=float)[order]
    for i in range(len(x) - 1):
        if y[i] == 0.0:
            return float(x[i]), True
        if y[i] * y[i + 1] < 0.0:
            return float(x[i] - y[i] * (x[i + 1] - x[i]) / (y[i + 1] - y[i])), True
    if y[-1] == 0.0:
        return float(x[-1]), True
    nearest = np.sort(np.argsort(np.abs(y))[:2])
    (x0, x1), (y0, y1) = x[nearest], y[nearest]
    if x1 == x0 or y1 == y0:
        return math.nan, False
    return float(x0 - y0 * (x1 - x0) / (y1 - y0)), False


def _row(
    path: str,
    label: str,
    current: float,
    per_rep: list[float],
    inside: bool,
    tried: str,
    method: str,
    finding: str = "",
) -> dict:
    mean, low, high, n = t_interval(per_rep)
    if not finding:
        finding = "within the values tried" if inside else f"extrapolated beyond the values tried ({tried})"
    return dict(zip(COLUMNS, [path, label, current, mean, low, high, n, inside, tried, method, finding]))


def _possible(cfg: Config, path: str, value: float) -> bool:
    """Whether the config allows ``value`` for the input (its schema's bounds decide)."""
    if not math.isfinite(value):
        return False
    try:
        set_input(cfg, path, value, "switching value")
    except ConfigError:
        return False
    return True


def price_switching_values(savings: pd.DataFrame, baseline: Arm, scenario: Arm, case: BusinessCase) -> list[dict]:
    """Switching values of the UTC tariff and the Care Navigator cost, from each replication's volumes."""
    rows = []
    net = savings["net_total"]
    if "utc_attendance" in case.costing.lines:  # net counts UTC attendances at the tariff on every basis
        fewer = (
            line_volumes(baseline.summary)["utc_attendance"]
            - line_volumes(scenario.summary)["utc_attendance"].reindex(net.index)
        ) * DAYS_PER_YEAR
        tariff = scenario.cfg.unit_costs_gbp.utc_attendance
        per_rep = (tariff - net / fewer.replace(0.0, np.nan)).tolist()
        rows.append(
            _row(
                "unit_costs_gbp.utc_attendance",
                "UTC tariff, GBP an attendance",
                tariff,
                per_rep,
                True,
                "exact (net saving is linear in the tariff)",
                "exact",
                "exact",
            )
        )
    imp = case.implementation
    if imp.care_navigator_wte > 0:
        per_rep = (imp.care_navigator_gbp_per_wte + net / imp.care_navigator_wte).tolist()
        rows.append(
            _row(
                "business_case.implementation.care_navigator_gbp_per_wte",
                "Care Navigator cost, GBP a year per WTE",
                imp.care_navigator_gbp_per_wte,
                per_rep,
                True,
                "exact (net saving is linear in the cost)",
                "exact",
                "exact",
            )
        )
    return rows


def modelled_switching_values(
    baseline: Arm,
    scenario: Arm,
    savings: pd.DataFrame,
    case: BusinessCase,
    jobs: int = 1,
    progress: bool = False,
    checkpoints: CheckpointFolder | None = None,
    executor: Executor | None = None,
) -> list[dict]:
    """Switching values of the modelled inputs, from paired runs at the values in the business case.

    The runs go to ``executor`` if one is given (it is left open), else to ``jobs`` local processes.
    """
    reps = min(case.switching.replications, baseline.cfg.run.replications)
    keep = list(range(reps))
    base_summary = baseline.summary[baseline.summary["replication"].isin(keep)]
    rows = []
    for path, spec in case.switching.inputs.items():
        current = get_input(scenario.cfg, path)
        points = {current: savings.loc[keep, "net_total"].to_numpy()}
        for value in spec.values:
            if value in points:
                continue
            source = f"business case: switching.inputs.{path} = {value}"
            scen_cfg = set_input(scenario.cfg, path, value, source)
            scen_cfg = scen_cfg.model_copy(update={"run": scen_cfg.run.model_copy(update={"replications": reps})})
            arms = [("scenario", scen_cfg)]
            if spec.apply_to == "both":
                base_cfg = set_input(baseline.cfg, path, value, source)
                base_cfg = base_cfg.model_copy(update={"run": scen_cfg.run})
                arms.insert(0, ("baseline", base_cfg))
            tables = {"baseline": base_summary}
            for role, cfg in arms:
                results = run_replications(
                    cfg,
                    jobs=jobs,
                    progress=progress,
                    label=f"{path}={value:g} {role}",
                    executor=executor,
                    checkpoint=None if checkpoints is None else checkpoints.for_scenario(cfg),
                )
                tables[role] = summary_table(results)
            base_cfg_used = arms[0][1] if spec.apply_to == "both" else baseline.cfg
            point = replication_savings(Arm(tables["baseline"], base_cfg_used), Arm(tables["scenario"], scen_cfg), case)
            points[value] = point.loc[keep, "net_total"].to_numpy()
        values = np.array(sorted(points))
        per_rep, inside_all = [], True
        for r in range(len(keep)):
            value, inside = zero_crossing(values, np.array([points[v][r] for v in values]))
            per_rep.append(value)
            inside_all &= inside
        tried = ", ".join(f"{v:g}" for v in values)
        method = f"interpolated over {reps} paired replications"
        mean = float(np.nanmean(per_rep)) if np.isfinite(per_rep).any() else math.nan
        if not inside_all and not _possible(scenario.cfg, path, mean):
            # the line through the values tried reaches zero only where the input cannot go
            where = f"; the line through them reaches zero at {mean:.3g}" if math.isfinite(mean) else ""
            row = _row(
                path,
                spec.label,
                current,
                [math.nan] * len(keep),
                False,
                tried,
                method,
                f"{NO_SWITCHING_VALUE}: the net saving keeps its sign over the values tried{where}",
            )
            rows.append({**row, "n_reps": len(keep)})
            continue
        rows.append(_row(path, spec.label, current, per_rep, inside_all, tried, method))
    return rows


def switching_table(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=COLUMNS)
