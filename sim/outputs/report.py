"""Figures for a business case: the saving by route, change by change, and over a sweep.

Each function takes a result table the commands already write and returns a
matplotlib ``Figure`` (object interface only: no pyplot, no global state), which
``ResultWriter.figure`` saves as PNG. Intervals are the paired 95% intervals of
the tables themselves.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .labels import change_label, route_label

ROUTE_COST_PREFIX = "cost_annual_gbp_"
BASELINE_COLOUR, SCENARIO_COLOUR, SAVING_COLOUR, LOSS_COLOUR = "#7f7f7f", "#1f77b4", "#2ca02c", "#d62728"


def _thousands(axis) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:,.0f}k" if v else "0"))


def _wrapped(text: str, width: int = 16) -> str:
    """Text broken onto lines of about ``width`` characters, for tick labels."""
    return textwrap.fill(text, width)


def _short(dotted: str) -> str:
    """A parameter's dotted path cut to its last two names (and a list position if it ends in one)."""
    parts = dotted.split(".")
    keep = 3 if parts[-1].isdigit() else 2
    return ".".join(parts[-keep:])


def _error(mean: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """Error-bar half-widths from an interval (zero where the interval is unknown)."""
    below = (mean - low).to_numpy(dtype=float)
    above = (high - mean).to_numpy(dtype=float)
    return np.nan_to_num(np.vstack([below, above]), nan=0.0).clip(min=0.0)


def cost_change_by_route_figure(comparison: pd.DataFrame, baseline: str, scenario: str, top: int = 12) -> Figure:
    """Where the saving comes from: the paired annual saving on each route, routes in words.

    The ``top`` routes with the largest changes are shown one by one, the rest
    together as "other routes". A saving is positive (right of zero); a route that
    costs more under the scenario shows as a negative saving.
    """
    rows = comparison[comparison["kpi"].str.startswith(ROUTE_COST_PREFIX)].copy()
    rows["route"] = rows["kpi"].str.removeprefix(ROUTE_COST_PREFIX)
    rows["saving"] = -rows["diff_mean"]
    rows = rows[rows["saving"] != 0]
    rows = rows.reindex(rows["saving"].abs().sort_values(ascending=False).index)
    shown = rows.head(top)
    rest = rows.iloc[top:]
    labels = [route_label(r) for r in shown["route"]]
    means = list(shown["saving"])
    err = _error(shown["saving"], -shown["diff_ci_high"], -shown["diff_ci_low"])
    if len(rest):
        labels.append(f"other routes ({len(rest)})")
        means.append(float(rest["saving"].sum()))
        err = np.hstack([err, [[0.0], [0.0]]])  # a sum of paired means: no interval of its own
    fig = Figure(figsize=(10, 0.42 * len(labels) + 1.8))
    ax = fig.add_subplot()
    y = np.arange(len(labels))[::-1]
    colours = [SAVING_COLOUR if m > 0 else LOSS_COLOUR for m in means]
    ax.barh(y, means, color=colours)
    ax.errorbar(means, y, xerr=err, fmt="none", ecolor="black", capsize=3, lw=1)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    _thousands(ax.xaxis)
    ax.set_xlabel(f"annual saving, GBP, {baseline} cost - {scenario} cost (paired 95% CI); a saving is positive")
    ax.set_title(f"Where the saving comes from: {baseline} -> {scenario}")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def attribution_figure(table: pd.DataFrame) -> Figure:
    """The saving step by step as a waterfall, each step with its paired 95% interval."""
    steps = table[table["step"] != "total"].reset_index(drop=True)
    total = table[table["step"] == "total"].iloc[0]
    fig = Figure(figsize=(max(7.0, 1.2 * len(table) + 2), 5.5))
    ax = fig.add_subplot()
    before = np.concatenate([[0.0], steps["saving_mean_gbp"].cumsum().to_numpy()[:-1]])
    colours = [SAVING_COLOUR if v >= 0 else LOSS_COLOUR for v in steps["saving_mean_gbp"]]
    x = np.arange(len(steps))
    ax.bar(x, steps["saving_mean_gbp"], bottom=before, color=colours)
    ax.errorbar(
        x,
        before + steps["saving_mean_gbp"],
        yerr=_error(steps["saving_mean_gbp"], steps["saving_ci_low_gbp"], steps["saving_ci_high_gbp"]),
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    ax.bar([len(steps)], [total["saving_mean_gbp"]], color=SCENARIO_COLOUR)
    ax.errorbar(
        [len(steps)],
        [total["saving_mean_gbp"]],
        yerr=_error(
            pd.Series([total["saving_mean_gbp"]]),
            pd.Series([total["saving_ci_low_gbp"]]),
            pd.Series([total["saving_ci_high_gbp"]]),
        ),
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    labels = [_wrapped(change_label(s)) for s in steps["step"]] + ["Total"]
    ax.set_xticks(np.arange(len(labels)), labels, fontsize=7)
    _thousands(ax.yaxis)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_ylabel("recurrent annual saving, GBP")
    ax.set_title("Saving change by change (each step paired with the one before)")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def sweep_figure(table: pd.DataFrame, varied: list[str], title: str) -> Figure:
    """Saving (with its paired 95% interval) and UTC 4-hour performance at every sweep point."""
    labels = [", ".join(f"{_short(name)}={row[name]}" for name in varied) for _, row in table.iterrows()]
    fig = Figure(figsize=(10, 0.4 * len(table) + 2))
    saving, utc = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [3, 1]})
    y = np.arange(len(table))[::-1]
    saving.errorbar(
        table["saving_mean_gbp"],
        y,
        xerr=_error(table["saving_mean_gbp"], table["saving_ci_low_gbp"], table["saving_ci_high_gbp"]),
        fmt="o",
        color=SAVING_COLOUR,
        ecolor="black",
        capsize=3,
    )
    saving.set_yticks(y, labels)
    saving.axvline(0, color="black", lw=0.8)
    _thousands(saving.xaxis)
    saving.set_xlabel("recurrent annual saving, GBP (paired 95% CI)")
    saving.grid(axis="x", alpha=0.3)
    if "utc_within_4h_pct" in table:
        utc.plot(table["utc_within_4h_pct"], y, "s", color=SCENARIO_COLOUR)
    utc.set_xlabel("UTC within 4 h, %")
    utc.grid(axis="x", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def sample_figure(table: pd.DataFrame, varied: list[str], title: str) -> Figure:
    """Saving against each sampled input (one panel per input), with the saving's 95% range."""
    saving = table["saving_mean_gbp"]
    low, high = np.nanpercentile(saving, [2.5, 97.5])
    cols = min(3, len(varied))
    rows = -(-len(varied) // cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows + 0.6))
    axes = fig.subplots(rows, cols, sharey=True, squeeze=False).ravel()
    for ax, name in zip(axes, varied):
        ax.plot(pd.to_numeric(table[name], errors="coerce"), saving, "o", color=SAVING_COLOUR, alpha=0.7)
        ax.axhspan(low, high, color=BASELINE_COLOUR, alpha=0.12, lw=0)
        ax.set_xlabel(_short(name))
        _thousands(ax.yaxis)
        ax.grid(alpha=0.3)
    for ax in axes[len(varied) :]:
        ax.set_visible(False)
    for ax in axes[::cols]:
        ax.set_ylabel("saving, GBP pa")
    fig.suptitle(
        f"{title}\nsaving over {len(table)} draws: median {np.nanmedian(saving) / 1000:,.0f}k, "
        f"95% of draws {low / 1000:,.0f}k to {high / 1000:,.0f}k (shaded)"
    )
    fig.tight_layout()
    return fig
