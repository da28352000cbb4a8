"""Charts for the app (Altair, drawn by the browser): waits and their distribution, SDA use, cost by route, savings.

Each function takes a table the app has built and returns a chart; none keeps state.
Error bars and bands are 95% intervals across replications (paired where a change
or saving is shown). A saving is positive.
"""

from __future__ import annotations

import textwrap

import altair as alt
import numpy as np
import pandas as pd

from ..experiments.business_case import WAIT_KPIS
from ..inputs.calendar import WEEKDAYS
from ..outputs.labels import CHANNEL_NAMES, PROVIDER_NAMES, change_label, route_label, service_label

ARM_COLOURS = ("#7f7f7f", "#1f77b4")
"""Baseline, scenario."""
SAVING_COLOUR, LOSS_COLOUR = "#2ca02c", "#d62728"


def _provider_rows() -> alt.Row:
    """One panel per provider, named above it in plain words."""
    return alt.Row(
        "provider:N",
        title=None,
        header=alt.Header(
            labelAngle=0, labelOrient="top", labelAnchor="start", labelFontWeight="bold", labelFontSize=13
        ),
    )


def _arms_long(table: pd.DataFrame, kpis: dict[str, str], names: dict[str, str]) -> pd.DataFrame:
    rows = []
    rows_by_kpi = table.set_index("kpi")
    for kpi, label in kpis.items():
        if kpi not in rows_by_kpi.index:
            continue
        row = rows_by_kpi.loc[kpi]
        for arm in ("baseline", "scenario"):
            rows.append(
                {
                    "what": label,
                    "arm": arm,
                    "name": names[arm],
                    "mean": row[f"{arm}_mean"],
                    "low": row[f"{arm}_ci_low"],
                    "high": row[f"{arm}_ci_high"],
                }
            )
    return pd.DataFrame(rows).dropna(subset=["mean"])


def waits_chart(table: pd.DataFrame, names: dict[str, str]) -> alt.Chart:
    """Mean wait at each step of the routes, baseline beside scenario, with 95% intervals."""
    data = _arms_long(table, dict(WAIT_KPIS), names)
    base = alt.Chart(data).encode(
        y=alt.Y("what:N", title=None, sort=[label for _, label in WAIT_KPIS], axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("arm:N"),
        color=alt.Color(
            "name:N",
            title=None,  # the arms by the names the results table uses
            scale=alt.Scale(domain=[names["baseline"], names["scenario"]], range=list(ARM_COLOURS)),
        ),
        tooltip=[
            "what",
            "name",
            alt.Tooltip("mean:Q", format=".1f"),
            alt.Tooltip("low:Q", format=".1f"),
            alt.Tooltip("high:Q", format=".1f"),
        ],
    )
    bars = base.mark_bar().encode(x=alt.X("mean:Q", title="minutes (mean, 95% interval)"))
    errors = base.mark_rule(color="black").encode(x="low:Q", x2="high:Q")
    return (bars + errors).properties(height=260, title="Waits along the routes")


def slot_use_chart(use: pd.DataFrame) -> alt.Chart:
    """Share of SDA slots booked, by weekday and hour of the slot, one panel per provider."""
    data = use.assign(
        provider=use["provider"].map(PROVIDER_NAMES),
        day=use["weekday"].map(dict(enumerate(WEEKDAYS))),
    )
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title="hour the slot starts", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("day:N", sort=list(WEEKDAYS), title=None),
            color=alt.Color("use_pct:Q", title="% of slots booked", scale=alt.Scale(domain=[0, 100], scheme="blues")),
            tooltip=[
                "provider",
                "day",
                "hour",
                alt.Tooltip("slots_per_day:Q", format=".1f"),
                alt.Tooltip("booked_per_day:Q", format=".1f"),
                alt.Tooltip("use_pct:Q", format=".0f"),
            ],
        )
        .properties(height=180, width=520)
        .facet(row=_provider_rows())
    )


def slot_use_by_weekday(use: pd.DataFrame) -> pd.DataFrame:
    """Slots and bookings per day and % used, by provider and weekday."""
    by_day = use.groupby(["provider", "weekday"], as_index=False)[["slots_per_day", "booked_per_day"]].sum()
    by_day["use_pct"] = 100.0 * by_day["booked_per_day"] / by_day["slots_per_day"]
    by_day["provider"] = by_day["provider"].map(PROVIDER_NAMES)
    by_day["day"] = by_day["weekday"].map(dict(enumerate(WEEKDAYS)))
    return by_day


def weekday_use_chart(use: pd.DataFrame) -> alt.Chart:
    """Slots offered and booked per day, by weekday, one bar pair per provider."""
    by_day = slot_use_by_weekday(use)
    long = by_day.melt(
        id_vars=["provider", "day"],
        value_vars=["slots_per_day", "booked_per_day"],
        var_name="what",
        value_name="per_day",
    )
    long["what"] = long["what"].map({"slots_per_day": "slots", "booked_per_day": "booked"})
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("day:N", sort=list(WEEKDAYS), title=None, axis=alt.Axis(labelAngle=0)),
            xOffset="what:N",
            y=alt.Y("per_day:Q", title="per day"),
            color=alt.Color(
                "what:N", title=None, scale=alt.Scale(domain=["slots", "booked"], range=["#c6dbef", "#08519c"])
            ),
            tooltip=["provider", "day", "what", alt.Tooltip("per_day:Q", format=".1f")],
        )
        .properties(height=160, width=520)
        .facet(row=_provider_rows())
    )


def cost_by_route_chart(table: pd.DataFrame, top: int = 12) -> alt.Chart:
    """Where the saving comes from: the paired annual saving of the routes that change most."""
    rows = table[table["kpi"].str.startswith("cost_annual_gbp_")].copy()
    rows = rows[rows["saving_mean"].fillna(0) != 0]
    rows = rows.reindex(rows["saving_mean"].abs().sort_values(ascending=False).index).head(top)
    rows["route"] = rows["kpi"].str.removeprefix("cost_annual_gbp_").map(route_label)
    rows["kind"] = ["saving" if v > 0 else "extra cost" for v in rows["saving_mean"]]
    base = alt.Chart(rows).encode(
        y=alt.Y("route:N", sort=list(rows["route"]), title=None, axis=alt.Axis(labelLimit=420, labelOverlap=False))
    )
    bars = base.mark_bar().encode(
        x=alt.X("saving_mean:Q", title="annual saving, GBP (paired 95% interval); negative = extra cost"),
        color=alt.Color(
            "kind:N", title=None, scale=alt.Scale(domain=["saving", "extra cost"], range=[SAVING_COLOUR, LOSS_COLOUR])
        ),
        tooltip=[
            "route",
            alt.Tooltip("saving_mean:Q", format=",.0f"),
            alt.Tooltip("saving_ci_low:Q", format=",.0f"),
            alt.Tooltip("saving_ci_high:Q", format=",.0f"),
        ],
    )
    errors = base.mark_rule(color="black").encode(x="saving_ci_low:Q", x2="saving_ci_high:Q")
    return (bars + errors).properties(height=max(120, 30 * len(rows)), title="Cost by route")


def savings_by_change_chart(table: pd.DataFrame) -> alt.Chart:
    """Each change's annual saving (paired with the step before) and the total, with 95% intervals."""
    rows = table.copy()
    rows["change"] = [change_label(s) for s in rows["step"]]
    rows["kind"] = [
        "total" if s == "total" else "saving" if v > 0 else "extra cost"
        for s, v in zip(rows["step"], rows["saving_mean_gbp"], strict=True)
    ]
    base = alt.Chart(rows).encode(
        y=alt.Y("change:N", sort=list(rows["change"]), title=None, axis=alt.Axis(labelLimit=420, labelOverlap=False))
    )
    bars = base.mark_bar().encode(
        x=alt.X("saving_mean_gbp:Q", title="annual saving, GBP (paired 95% interval)"),
        color=alt.Color(
            "kind:N",
            title=None,
            scale=alt.Scale(domain=["saving", "extra cost", "total"], range=[SAVING_COLOUR, LOSS_COLOUR, "#1f77b4"]),
        ),
        tooltip=[
            "change",
            alt.Tooltip("saving_mean_gbp:Q", format=",.0f"),
            alt.Tooltip("saving_ci_low_gbp:Q", format=",.0f"),
            alt.Tooltip("saving_ci_high_gbp:Q", format=",.0f"),
        ],
    )
    errors = base.mark_rule(color="black").encode(x="saving_ci_low_gbp:Q", x2="saving_ci_high_gbp:Q")
    return (bars + errors).properties(height=max(120, 30 * len(rows)), title="Saving change by change")


def sweep_chart(table: pd.DataFrame, x_title: str, kpi_title: str, money: bool = False) -> alt.Chart:
    """One KPI against the swept input: the mean as a line, its 95% interval as a band.

    ``money``: the axis in GBP millions, with a reference line at zero (no saving).
    """
    data = table.copy()
    if money:
        for col in ("mean", "low", "high"):
            data[col] = data[col] / 1e6
    y_title = "GBP million a year" if money else None
    base = alt.Chart(data).encode(x=alt.X("value:Q", title=x_title))
    band = base.mark_area(opacity=0.25, color="#1f77b4").encode(
        y=alt.Y("low:Q", title=y_title, scale=alt.Scale(zero=money)), y2="high:Q"
    )
    fmt = ",.2f"
    line = base.mark_line(point=True, color="#1f77b4").encode(
        y="mean:Q",
        tooltip=[
            alt.Tooltip("value:Q", title=x_title),
            alt.Tooltip("mean:Q", format=fmt),
            alt.Tooltip("low:Q", format=fmt),
            alt.Tooltip("high:Q", format=fmt),
        ],
    )
    title = alt.TitleParams(textwrap.wrap(kpi_title, 48), anchor="start", fontSize=13)
    layers = [band, line]
    if money:
        layers.append(
            alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="black", strokeDash=[4, 3]).encode(y="zero:Q")
        )
    return alt.layer(*layers).properties(height=260, title=title)


def scenarios_chart(money: pd.DataFrame) -> alt.Chart:
    """The three savings of each scenario side by side, with paired 95% intervals (GBP million a year)."""
    data = money.assign(
        mean=money["mean"] / 1e6,
        ci_low=money["ci_low"] / 1e6,
        ci_high=money["ci_high"] / 1e6,
        what=money["label"].str.replace(", GBP a year", "", regex=False),
    )
    order = list(dict.fromkeys(data["what"]))
    base = alt.Chart(data).encode(
        y=alt.Y("what:N", sort=order, title=None, axis=alt.Axis(labelLimit=220)),
        yOffset=alt.YOffset("scenario:N", sort=list(dict.fromkeys(data["scenario"]))),
        color=alt.Color(
            "scenario:N",
            title=None,
            sort=list(dict.fromkeys(data["scenario"])),
            legend=alt.Legend(orient="top", labelLimit=300),
        ),
        tooltip=[
            "scenario",
            "what",
            alt.Tooltip("mean:Q", format=",.2f", title="GBP million"),
            alt.Tooltip("ci_low:Q", format=",.2f"),
            alt.Tooltip("ci_high:Q", format=",.2f"),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("mean:Q", title="GBP million a year (paired 95% interval); negative = extra cost")
    )
    errors = base.mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q")
    zero = alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="black").encode(x="zero:Q")
    return alt.layer(bars, errors, zero).properties(height=90 * len(order), title="Savings against today's pathway")


def route_flows(table: pd.DataFrame) -> pd.DataFrame:
    """Patients a day on each arrow of the pathway, today and in the scenario, from the route KPIs.

    A route ``walk_in:ia>utc`` is the arrows channel -> IA -> UTC; each arrow sums the routes
    through it. Columns: ``source, target, baseline, scenario, change`` (in words), largest first.
    """
    rows = table[table["kpi"].str.startswith("volume_per_day_")].fillna({"baseline_mean": 0.0, "scenario_mean": 0.0})
    flows: dict[tuple[str, str], list[float]] = {}
    for _, r in rows.iterrows():
        channel, _, steps = r["kpi"].removeprefix("volume_per_day_").partition(":")
        nodes = [CHANNEL_NAMES.get(channel, channel)] + [service_label(s) for s in steps.split(">") if s]
        for a, b in zip(nodes[:-1], nodes[1:], strict=True):
            flow = flows.setdefault((a, b), [0.0, 0.0])
            flow[0] += float(r["baseline_mean"])
            flow[1] += float(r["scenario_mean"])
    out = pd.DataFrame(
        [
            {"source": a, "target": b, "baseline": v[0], "scenario": v[1], "change": v[1] - v[0]}
            for (a, b), v in flows.items()
        ],
        columns=["source", "target", "baseline", "scenario", "change"],
    )
    return out.sort_values("baseline", ascending=False, ignore_index=True)


def pathway_sankey(flows: pd.DataFrame, arm: str, title: str):
    """A Sankey of the pathway for one arm (``baseline`` or ``scenario``): patients a day on each arrow (plotly)."""
    import plotly.graph_objects as go

    kept = flows[flows[arm] > 0.05]
    nodes = list(dict.fromkeys([*kept["source"], *kept["target"]]))
    index = {n: i for i, n in enumerate(nodes)}
    inflow = kept.groupby("target")[arm].sum()
    outflow = kept.groupby("source")[arm].sum()
    labels = [f"{n} ({max(inflow.get(n, 0.0), outflow.get(n, 0.0)):,.0f} a day)" for n in nodes]
    figure = go.Figure(
        go.Sankey(
            node={"label": labels, "pad": 12, "thickness": 14},
            link={
                "source": [index[s] for s in kept["source"]],
                "target": [index[t] for t in kept["target"]],
                "value": kept[arm].round(1).tolist(),
                "hovertemplate": "%{source.label} to %{target.label}: %{value:,.1f} patients a day<extra></extra>",
            },
            valueformat=",.1f",
        )
    )
    figure.update_layout(title_text=title, height=540, margin={"l": 5, "r": 5, "t": 40, "b": 5}, font_size=12)
    return figure


def wait_histogram(waits: pd.DataFrame, bins: int = 30) -> pd.DataFrame:
    """Share of each arm's waits in each band of minutes, per wait; the last band holds every longer wait.

    ``waits`` has ``name`` (the arm in words), ``wait`` (the wait in words) and ``minutes``.
    The band width is a round number (1, 2, 5, 10, 15, 30, 60 ... minutes) giving about ``bins``
    bands up to the 99th centile of both arms together. Shares are per cent of the arm's waits.
    """
    rows = []
    for wait, part in waits.groupby("wait", sort=False):
        top = float(np.nanpercentile(part["minutes"], 99)) if len(part) else 0.0
        width = next((w for w in (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440) if top / w <= bins), 2880)
        last = max(1, int(np.ceil(top / width)))
        for name, arm in part.groupby("name", sort=False):
            band = np.minimum(np.floor(np.maximum(arm["minutes"].to_numpy(), 0.0) / width), last).astype(int)
            counts = np.bincount(band, minlength=last + 1)
            for i, n in enumerate(counts):
                rows.append(
                    {
                        "wait": wait,
                        "name": name,
                        "from_min": i * width,
                        "band": (
                            f"{i * width:,}-{(i + 1) * width:,} minutes"
                            if i < last
                            else f"{i * width:,} minutes or more"
                        ),
                        "share_pct": 100.0 * n / len(arm),
                        "patients": int(n),
                    }
                )
    return pd.DataFrame(rows, columns=["wait", "name", "from_min", "band", "share_pct", "patients"])


def wait_distribution_chart(histogram: pd.DataFrame, names: dict[str, str]) -> alt.VConcatChart:
    """One panel per wait: the share of patients by minutes waited, today's pathway over the scenario."""
    colour = alt.Color(
        "name:N",
        title=None,
        legend=alt.Legend(orient="top", labelLimit=300),
        scale=alt.Scale(domain=[names["baseline"], names["scenario"]], range=list(ARM_COLOURS)),
    )
    panels = []
    for wait, part in histogram.groupby("wait", sort=False):
        panels.append(
            alt.Chart(part)
            .mark_area(interpolate="step-after", opacity=0.35, line=True)
            .encode(
                x=alt.X("from_min:Q", title="minutes waited (the last band: that long or longer)"),
                y=alt.Y("share_pct:Q", title="% of patients", stack=None),
                color=colour,
                tooltip=[
                    alt.Tooltip("name:N", title="Arm"),
                    alt.Tooltip("band:N", title="Waited"),
                    alt.Tooltip("share_pct:Q", title="% of patients", format=".1f"),
                    alt.Tooltip("patients:Q", title="Patients", format=","),
                ],
            )
            .properties(title=wait, height=150, width="container")
        )
    return alt.vconcat(*panels).resolve_scale(x="independent", y="independent")
