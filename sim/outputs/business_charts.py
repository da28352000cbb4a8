"""Charts of the business case, in the words a finance reader uses.

Each function takes a table the business case writes and returns a matplotlib
``Figure`` (object interface, no global state). A saving is positive throughout.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .labels import route_label
from .report import BASELINE_COLOUR, LOSS_COLOUR, SAVING_COLOUR, SCENARIO_COLOUR, _error, _thousands

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _number(value: float) -> str:
    """A value for a label: whole thousands with commas, small values to three figures."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _k(value: float) -> str:
    return f"{value / 1000:,.0f}k" if abs(value) >= 1000 or value == 0 else f"{value:,.0f}"


def savings_waterfall_figure(
    by_change: pd.DataFrame, paper_total: float | None, measure: str = "gross", paper_label: str = "", title: str = ""
) -> Figure:
    """Savings change by change as a waterfall with values on the bars, and a like-for-like paper figure as a line.

    ``by_change`` has one row per step (``label``, ``<measure>_saving_gbp`` and its interval,
    ``gp_hours_per_week``) and a last row ``step == "total"``. ``measure`` ``"net"`` draws
    ``net_saving_capacity_attributed_gbp`` if present (new SDA slots charged to the changes
    that use them; no interval). ``paper_total``: a paper figure on the same basis, or None
    (no line: the paper has no figure like this one).
    """
    steps = by_change[by_change["step"] != "total"].reset_index(drop=True)
    total = by_change[by_change["step"] == "total"].iloc[0]
    col = f"{measure}_saving_gbp"
    attributed = measure == "net" and "net_saving_capacity_attributed_gbp" in by_change
    values = steps["net_saving_capacity_attributed_gbp" if attributed else col].to_numpy(dtype=float)
    before = np.concatenate([[0.0], np.cumsum(values)[:-1]])
    fig = Figure(figsize=(max(8.0, 1.25 * len(by_change) + 2), 6.0))
    ax = fig.add_subplot()
    x = np.arange(len(steps))
    ax.bar(x, values, bottom=before, color=[SAVING_COLOUR if v >= 0 else LOSS_COLOUR for v in values])
    if not attributed:
        ax.errorbar(
            x,
            before + values,
            yerr=_error(steps[col], steps[f"{measure}_saving_ci_low_gbp"], steps[f"{measure}_saving_ci_high_gbp"]),
            fmt="none",
            ecolor="black",
            capsize=3,
            lw=1,
        )
    ax.bar([len(steps)], [total[col]], color=SCENARIO_COLOUR)
    tops = list(before + np.maximum(values, 0)) + [max(total[col], 0.0)]
    texts = [_k(v) for v in values] + [_k(total[col])]
    for i, row in steps.iterrows():
        if row["step"].startswith("x6") and "gp_hours_per_week" in row and np.isfinite(row["gp_hours_per_week"]):
            texts[i] += f"\n{row['gp_hours_per_week']:.1f} GP h/wk\n(not in GBP)"
    for xi, top, text in zip(range(len(texts)), tops, texts):
        ax.annotate(text, (xi, top), textcoords="offset points", xytext=(0, 4), ha="center", fontsize=8)
    if paper_total is not None:
        ax.axhline(paper_total, color="black", ls="--", lw=1)
        ax.annotate(
            paper_label or f"paper: c. GBP {paper_total / 1e6:.2f}M",
            (len(steps), paper_total),
            textcoords="offset points",
            xytext=(0, 4),
            ha="right",
            fontsize=8,
        )
    labels = [textwrap.fill(t, 16) for t in steps["label"]] + ["Total"]
    ax.set_xticks(np.arange(len(labels)), labels, fontsize=7)
    ax.axhline(0, color="black", lw=0.8)
    _thousands(ax.yaxis)
    ax.set_ylabel(f"recurrent annual saving, GBP ({measure}); a saving is positive")
    ax.set_title(
        textwrap.fill(
            title
            or (
                "Gross activity saving change by change (each change paired with the one "
                "before; 95% intervals, simulation noise only)"
            ),
            110,
        ),
        fontsize=10,
    )
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.12 * (high - low))  # room for the values above the bars
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def cost_by_route_figure(routes: pd.DataFrame, top: int = 12) -> Figure:
    """Change in annual cost by route (a saving is positive), the routes that change most, in words.

    ``routes`` has ``route, saving_gbp, saving_ci_low_gbp, saving_ci_high_gbp``. Routes whose
    cost does not change (most ED attendances) are left out: levels would hide the change.
    """
    rows = routes.assign(size=routes["saving_gbp"].abs()).sort_values("size", ascending=False).head(top)
    fig = Figure(figsize=(11, 0.5 * len(rows) + 1.8))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    values = rows["saving_gbp"].to_numpy(dtype=float)
    ax.barh(y, values, color=[SAVING_COLOUR if v >= 0 else LOSS_COLOUR for v in values])
    ax.errorbar(
        values,
        y,
        xerr=_error(rows["saving_gbp"], rows["saving_ci_low_gbp"], rows["saving_ci_high_gbp"]),
        fmt="none",
        ecolor="black",
        capsize=2,
        lw=1,
    )
    ax.set_yticks(y, [textwrap.fill(route_label(r), 42) for r in rows["route"]], fontsize=7)
    ax.axvline(0, color="black", lw=0.8)
    _thousands(ax.xaxis)
    ax.set_xlabel("saving a year, GBP (activity basis, GP time out; 95% interval, simulation noise only)")
    ax.set_title(f"Change in annual cost by route: the {len(rows)} routes that change most")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def waits_figure(waits: pd.DataFrame) -> Figure:
    """Mean waits at each step, current against redesign, with 95% intervals.

    ``waits`` has ``label, baseline_mean, baseline_ci_low, baseline_ci_high`` and the same for ``scenario``.
    """
    fig = Figure(figsize=(10, 0.6 * len(waits) + 1.8))
    ax = fig.add_subplot()
    y = np.arange(len(waits))[::-1]
    for arm, shift, colour, name in (
        ("baseline", 0.2, BASELINE_COLOUR, "current"),
        ("scenario", -0.2, SCENARIO_COLOUR, "redesign"),
    ):
        means = waits[f"{arm}_mean"].fillna(0.0)
        ax.barh(y + shift, means, height=0.4, color=colour, label=name)
        ax.errorbar(
            means,
            y + shift,
            xerr=_error(means, waits[f"{arm}_ci_low"], waits[f"{arm}_ci_high"]),
            fmt="none",
            ecolor="black",
            capsize=2,
            lw=1,
        )
    ax.set_yticks(y, [textwrap.fill(t, 45) for t in waits["label"]], fontsize=8)
    ax.set_xlabel("minutes (mean, 95% interval)")
    ax.set_title("Waits by step of the pathway")
    ax.legend(loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def slot_use_heatmap_figure(use: pd.DataFrame, title: str) -> Figure:
    """SDA slots used (%) by hour and weekday; ``use`` has ``weekday, hour, slots, booked``."""
    hours = sorted(use["hour"].unique())
    grid = np.full((7, len(hours)), np.nan)
    for _, row in use.iterrows():
        if row["slots"] > 0:
            day = row["weekday"]
            day = [w.lower() for w in WEEKDAYS].index(day[:3].lower()) if isinstance(day, str) else int(day)
            grid[day, hours.index(row["hour"])] = 100.0 * row["booked"] / row["slots"]
    fig = Figure(figsize=(max(6.0, 0.55 * len(hours) + 2), 4.2))
    ax = fig.add_subplot()
    image = ax.imshow(grid, aspect="auto", cmap="viridis", vmin=0, vmax=100)
    for (d, h), value in np.ndenumerate(grid):
        if np.isfinite(value):
            ax.text(
                h, d, f"{value:.0f}", ha="center", va="center", fontsize=7, color="white" if value < 60 else "black"
            )
    ax.set_xticks(np.arange(len(hours)), [f"{int(h):02d}:00" for h in hours], rotation=90, fontsize=7)
    ax.set_yticks(np.arange(7), WEEKDAYS)
    fig.colorbar(image, ax=ax, label="slots used, % (blank: no slots)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def switching_tornado_figure(table: pd.DataFrame) -> Figure:
    """Switching values as a tornado: how far each input must move from today's value for the net saving to reach zero.

    Bars show the change as % of the current value, with the 95% interval; inputs
    nearest their switching value come first.
    """
    rows = table.copy()
    rows["change_pct"] = 100.0 * (rows["switching_value"] / rows["current_value"] - 1.0)
    rows["low_pct"] = 100.0 * (rows["ci_low"] / rows["current_value"] - 1.0)
    rows["high_pct"] = 100.0 * (rows["ci_high"] / rows["current_value"] - 1.0)
    rows = rows.reindex(rows["change_pct"].abs().sort_values().index)
    fig = Figure(figsize=(11, 0.8 * len(rows) + 2))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    change = rows["change_pct"].fillna(0.0)
    near = [abs(c) < 25 for c in change]
    ax.barh(y, change, color=[LOSS_COLOUR if n else SAVING_COLOUR for n in near])
    ax.errorbar(
        change,
        y,
        xerr=_error(change, rows[["low_pct", "high_pct"]].min(axis=1), rows[["low_pct", "high_pct"]].max(axis=1)),
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
    )
    labels = []
    for _, row in rows.iterrows():
        if np.isfinite(row["switching_value"]):
            note = "" if row["within_values_tried"] else ", extrapolated"
            where = f"today {_number(row['current_value'])}, zero at {_number(row['switching_value'])}{note}"
        else:
            where = f"today {_number(row['current_value'])}, no switching value within the possible range"
        labels.append(textwrap.fill(row["label"], 40) + "\n" + where)
    ax.set_yticks(y, labels, fontsize=8)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("change from today's value at which the net saving reaches zero, % (95% interval)")
    ax.set_title(
        "Switching values of the key inputs ("
        + ("red: within 25% of today's value; green: further" if any(near) else "none within 25% of today's value")
        + ")"
    )
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
