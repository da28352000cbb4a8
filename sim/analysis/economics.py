"""Economic summary in the Green Book manner: optimism bias, discounting over a horizon.

The recurrent annual savings (gross, net, cash-releasing) are adjusted for
optimism bias (savings lowered by ``optimism_bias_savings_pct``, cost increases and
the new services' costs raised by ``optimism_bias_costs_pct``), then discounted at
``discount_rate`` for years 1..``horizon_years``. Each figure is worked out per
replication, so it keeps a paired 95% interval.
"""

from __future__ import annotations

import pandas as pd

from ..inputs.business_case import SERVICE_LINES, BusinessCase
from .business_case import MEASURES
from .output_analysis import t_interval

MEASURE_NAMES = {"gross": "Gross activity saving", "net": "Net saving", "cash": "Cash-releasing saving"}


def optimism_adjusted(savings: pd.DataFrame, case: BusinessCase, measure: str) -> pd.Series:
    """Per-replication annual saving of ``measure`` after optimism bias."""
    down = 1.0 - case.economics.optimism_bias_savings_pct / 100.0
    up = 1.0 + case.economics.optimism_bias_costs_pct / 100.0
    total = pd.Series(0.0, index=savings.index)
    for line in (*SERVICE_LINES, "implementation"):
        value = savings[f"{measure}_{line}"]
        total += value.where(value < 0, value * down).where(value >= 0, value * up)
    return total


def discount_factors(case: BusinessCase) -> list[float]:
    """Discount factor of each year 1..horizon: ``1 / (1 + r) ** year``."""
    rate = case.economics.discount_rate
    return [1.0 / (1.0 + rate) ** year for year in range(1, case.economics.horizon_years + 1)]


def economic_summary(savings: pd.DataFrame, case: BusinessCase) -> pd.DataFrame:
    """One row per measure: annual saving, after optimism bias, and its present value over the horizon.

    Columns: ``measure, label, annual_gbp (+ci), annual_after_optimism_bias_gbp (+ci),
    present_value_gbp (+ci), horizon_years, discount_rate, optimism_bias_savings_pct,
    optimism_bias_costs_pct``.
    """
    factor = sum(discount_factors(case))
    rows = []
    for measure in MEASURES:
        row = {"measure": measure, "label": MEASURE_NAMES[measure]}
        adjusted = optimism_adjusted(savings, case, measure)
        for name, series in (("annual", savings[f"{measure}_total"]),
                             ("annual_after_optimism_bias", adjusted),
                             ("present_value", adjusted * factor)):
            mean, low, high, _ = t_interval(series)
            row[f"{name}_gbp"], row[f"{name}_ci_low_gbp"], row[f"{name}_ci_high_gbp"] = mean, low, high
        rows.append(row)
    table = pd.DataFrame(rows)
    econ = case.economics
    table["horizon_years"] = econ.horizon_years
    table["discount_rate"] = econ.discount_rate
    table["optimism_bias_savings_pct"] = econ.optimism_bias_savings_pct
    table["optimism_bias_costs_pct"] = econ.optimism_bias_costs_pct
    return table


def yearly_table(savings: pd.DataFrame, case: BusinessCase) -> pd.DataFrame:
    """Year by year: discount factor and each measure's discounted saving after optimism bias (means)."""
    means = {m: float(optimism_adjusted(savings, case, m).mean()) for m in MEASURES}
    rows = []
    for year, factor in enumerate(discount_factors(case), start=1):
        row = {"year": year, "discount_factor": factor}
        for measure in MEASURES:
            row[f"{measure}_saving_gbp"] = means[measure]
            row[f"{measure}_discounted_gbp"] = means[measure] * factor
        rows.append(row)
    return pd.DataFrame(rows)
