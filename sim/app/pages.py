"""The app's pages: the scenario against today's pathway, scenarios side by side, a sweep, the glossary.

Every page reads and writes only ``st.session_state`` (this browser session), its
arguments and the results store (finished replications keyed by their config).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd
import streamlit as st

from ..experiments.attribution import attribution_table, build_steps, resolve_order
from ..experiments.store import replication_key
from ..inputs.config import Config, ConfigError
from ..outputs.labels import CHANGE_NAMES, PROVIDER_NAMES, change_label, change_number, kpi_label, route_label
from . import charts
from .money import charges_new_services, headline, savings, shipped_case, staff_change
from .runs import SECONDS_PER_REPLICATION_DAY, SPEED, estimate, resume, rough_time, start, store
from .scenario import Choices, build_configs, config_yaml
from .simulate import WAIT_STAGES, comparison, replications, slot_use, stage_label, summary, wait_times
from .tables import stacked_table
from .trust import Verdict, clip, interval, quote, quote_gbp, signed, verdict
from .workbook import workbook_section

SHOWN = "shown"  # session_state key: the name of the scenario the Results tab shows
SCENARIOS = "scenarios"  # session_state key: this session's finished scenarios, by name
SWEEP = "sweep"  # the last sweep run on the Sweep page
WAIT_LOGS = "wait_logs"  # session_state key: each shown scenario's waits, from its first replication's event log
KEPT_WAIT_LOGS = 4
"""Scenarios whose waits a session keeps (each a few MB for a 90-day run)."""
FLOWS = "patient_flows"  # session_state key: the animated patient flow of each shown scenario, once drawn
KEPT_FLOWS = 2
"""Animations a session keeps (each a few MB of frames)."""
METRICS = ("utc_within_4h_pct", "sda_redirections_front_door_per_day", "sda_no_slot_per_day")
"""The KPIs shown as tiles beside the savings."""
HEADLINE_KPIS = (
    "ia_wait_mean_min",
    "utc_wait_mean_min",
    "ed_wait_mean_min",
    "redirected_time_to_slot_mean_min",
    "pcn_time_to_slot_mean_min",
    "utc_time_in_dept_mean_min",
    "utc_within_4h_pct",
    "ed_within_4h_pct",
    "ia_within_15min_pct",
    "utc_attendances_per_day",
    "ed_attendances_per_day",
    "sda_redirections_front_door_per_day",
    "sda_redirections_ia_per_day",
    "sda_redirections_utc_per_day",
    "sda_bookings_111_per_day",
    "sda_bookings_overflow_per_day",
    "sda_slot_utilisation_pct",
    "sda_unused_slots_per_day",
    "sda_no_slot_per_day",
    "nhs111_no_slot_to_front_door_per_day",
    "gp_reattendance_hours_per_week",
    "cost_total_annual_gbp",
)
"""The headline KPIs, in the order the results table shows them (named in words by ``kpi_label``)."""
TODAY = "Today's pathway"


def slug(name: str) -> str:
    """A scenario's name as a file name: ``Evening clinician + weekend SDA`` -> ``evening_clinician_weekend_sda``."""
    text = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return text[:60] or "scenario"


@dataclass(frozen=True)
class Shown:
    """A finished scenario: its name, today's pathway and the scenario as run, and what the lead should know."""

    name: str
    baseline: Config
    scenario: Config
    quick: bool = False
    shared_inputs: tuple[str, ...] = ()
    """Inputs moved from the pathway's values that apply to both arms (facts about patients and demand)."""


def shared_inputs(choices: Choices, defaults: Choices) -> tuple[str, ...]:
    """The inputs set on both arms that the lead moved, in words with their values."""
    moved = []
    if abs(choices.sda_eligible - defaults.sda_eligible) > 1e-9:
        moved.append(f"clinically eligible for SDA {100 * choices.sda_eligible:.0f}%")
    if abs(choices.accepts_redirection - defaults.accepts_redirection) > 1e-9:
        moved.append(f"willing to be redirected {100 * choices.accepts_redirection:.0f}%")
    if abs(choices.growth - defaults.growth) > 1e-9:
        moved.append(f"demand growth x{choices.growth:.2f}")
    return tuple(moved)


@dataclass(frozen=True)
class Outcome:
    """A finished scenario's numbers: the KPI comparison, the three savings, the verdict, the staff added."""

    table: pd.DataFrame
    money: pd.DataFrame
    verdict: Verdict
    staff: pd.DataFrame
    new_services: bool


def outcome(shown: Shown) -> Outcome:
    """The comparison of a finished scenario with today's pathway (every replication read from the store)."""
    base = summary(replications(shown.baseline, store()))
    scen = summary(replications(shown.scenario, store()))
    case = shipped_case()
    names = {"baseline": TODAY, "scenario": f"The scenario ({shown.name})"}
    return Outcome(
        comparison(base, scen),
        headline(savings(base, scen, shown.baseline, shown.scenario, case)),
        verdict(base, scen, names),
        staff_change(shown.baseline, shown.scenario, case),
        charges_new_services(shown.baseline, shown.scenario),
    )


def headline_table(table: pd.DataFrame) -> pd.DataFrame:
    """The headline KPIs in words: today, the scenario and the paired change, each beside its 95% interval."""
    rows = []
    by_kpi = table.set_index("kpi")
    for kpi in HEADLINE_KPIS:
        if kpi not in by_kpi.index:
            continue
        r = by_kpi.loc[kpi]
        row = {
            "KPI": kpi_label(kpi),
            "Today": quote(r["baseline_mean"], kpi),
            "Today, 95% interval": interval(r["baseline_ci_low"], r["baseline_ci_high"], kpi),
            "Scenario": quote(r["scenario_mean"], kpi),
            "Scenario, 95% interval": interval(r["scenario_ci_low"], r["scenario_ci_high"], kpi),
        }
        if kpi.startswith("cost_"):
            row["Change"] = "saving " + quote(r["saving_mean"], kpi)
            row["Change, 95% interval"] = interval(r["saving_ci_low"], r["saving_ci_high"], kpi, change=True)
        else:
            row["Change"] = signed(r["change_mean"], kpi)
            row["Change, 95% interval"] = interval(r["change_ci_low"], r["change_ci_high"], kpi, change=True)
        rows.append(row)
    return pd.DataFrame(rows).set_index("KPI")


def attribution_order() -> list[str]:
    """The order the changes are switched on in, shared with the business case and its workbook."""
    return list(shipped_case().attribution_order)


def order_words() -> str:
    return ", ".join(change_number(c) for c in resolve_order(attribution_order()))


def _savings_by_change(shown: Shown) -> None:
    order = attribution_order()
    steps = build_steps(shown.baseline, shown.scenario, order)
    st.caption(
        f"The changes are switched on one after another in the business case's order ({order_words()}; "
        "configs/business_case.yaml attribution_order, the same order as the business-case workbook), "
        "starting from today's pathway; each step is compared with the one before on the same patients, "
        "and the steps add up to the whole gross saving. A change that comes later finds part of its work "
        "already done, so another order splits the saving differently."
    )
    if len(steps) < 2:
        st.info("The scenario is today's pathway: nothing to split.")
        return
    configs = [(s.label, s.cfg) for s in steps]
    if not all(store().has(s.cfg) for s in steps):
        st.caption(estimate(configs))
        if st.button(f"Split the saving change by change ({len(steps) - 1} steps)", key="attribute"):
            start(f"the saving split change by change for {shown.name}", configs, lambda: None)
            st.rerun()
        return
    tables = {s.label: summary(replications(s.cfg, store())) for s in steps}
    st.altair_chart(
        charts.savings_by_change_chart(
            attribution_table(steps, tables)[["step", "saving_mean_gbp", "saving_ci_low_gbp", "saving_ci_high_gbp"]]
        ),
        width="stretch",
    )


def _money_tiles(result: Outcome) -> None:
    cols = st.columns(3)
    for col, (_, row) in zip(cols, result.money.iterrows(), strict=True):
        with col:
            st.metric(f"{row['name']} a year", quote_gbp(row["mean"]))
            if not math.isnan(row["ci_low"]):
                st.markdown(f"95% interval **{quote_gbp(row['ci_low'])} to {quote_gbp(row['ci_high'])}**")
            st.caption(row["meaning"] + ".")


def _kpi_tiles(table: pd.DataFrame) -> None:
    by_kpi = table.set_index("kpi")
    cols = st.columns(len(METRICS))
    for col, kpi in zip(cols, METRICS, strict=True):
        r = by_kpi.loc[kpi]
        with col:
            st.metric(
                kpi_label(kpi),
                quote(r["scenario_mean"], kpi),
                delta=f"{signed(r['change_mean'], kpi)} against today",
                delta_color="off",
            )
            text = interval(r["change_ci_low"], r["change_ci_high"], kpi, change=True)
            st.caption(f"Today {quote(r['baseline_mean'], kpi)}" + (f"; change 95% interval {text}" if text else ""))


def _costs_added(result: Outcome) -> str:
    parts = []
    for _, row in result.staff.iterrows():
        if abs(row["hours_per_week"]) > 1e-9:
            cost = row["cost_gbp_per_year"]
            parts.append(
                f"{row['label']} {row['hours_per_week']:+,.0f} hours a week "
                f"({'costing' if cost >= 0 else 'saving'} {quote_gbp(abs(cost))} a year at GBP "
                f"{row['gbp_per_hour']:,.2f} an hour)"
            )
    staff = "; ".join(parts) if parts else "no staff hours added or taken away"
    services = (
        "the redesign's new services are charged (the scenario switches on changes X1-X8)"
        if result.new_services
        else "no new services charged (no change X1-X8 switched on)"
    )
    return f"Against today's rotas: {staff}; {services}. Both come off the net and cash savings."


def results_page(shown: Shown | None) -> None:
    """The last finished scenario against today's pathway: the verdict, the savings, the KPIs, the charts."""
    if shown is None:
        st.info("Set the inputs (the sidebar and the Slots and staff tab), name the scenario and press Run.")
        return
    result = outcome(shown)
    run = shown.baseline.run
    st.subheader(f"{shown.name} against today's pathway")
    if not result.verdict.trusted:  # first, where the saving would be
        st.error(
            "**No saving is shown: this scenario is not a steady state, so its costs mean nothing.**\n\n"
            + "\n".join(f"- {r}" for r in result.verdict.reasons)
            + "\n\nAdd capacity where the queue grows (staff in the Slots and staff tab) or lower demand, "
            "then run again. The table below shows what broke."
        )
    st.caption(
        f"{run.replications} paired replications x {run.days} days ({run.warmup_days} warm-up), "
        f"seed {run.seed} (the random-number start: the same seed and inputs give the same numbers). "
        "Both arms see the same patients. Intervals are 95% across replications."
        + (" QUICK MODE: intervals are wide; run again without it before quoting a figure." if shown.quick else "")
    )
    if replication_key(shown.baseline) == replication_key(shown.scenario):
        st.info(
            "The scenario is today's pathway with the same inputs, so every change and saving is zero by "
            "construction."
            + (
                f" The inputs moved ({', '.join(shown.shared_inputs)}) are facts about patients "
                "or demand, set on both arms."
                if shown.shared_inputs
                else ""
            )
            + " To see what a change does, choose the redesigned pathway or change what the pathway does "
            "(X1-X8, the redirection rate, slots, staff)."
        )
    elif shown.shared_inputs:
        st.info(
            f"Set on both arms: {', '.join(shown.shared_inputs)}. These are facts about patients or demand, "
            "so they move today's pathway too: on their own they give no saving, and the saving below comes "
            "from what the scenario does differently."
        )
    if result.verdict.trusted:
        _money_tiles(result)
        st.caption(_costs_added(result))
    _kpi_tiles(result.table)
    st.table(headline_table(result.table))

    waits, pathway, flow, slots, costs, changes, downloads = st.tabs(
        ["Waits", "Pathway", "Patient flow", "SDA slot use", "Cost by route", "Savings by change", "Downloads"]
    )
    names = {"baseline": TODAY, "scenario": f"Scenario ({shown.name})"}
    with pathway:
        _pathway(result.table, names)
    with flow:
        _patient_flow(shown, names)
    with waits:
        st.altair_chart(charts.waits_chart(result.table, names), width="stretch")
        _wait_distributions(shown, names)
    with slots:
        arm = st.radio("Show", ["scenario", "baseline"], format_func=names.get, horizontal=True, key="slot_arm")
        cfg = shown.scenario if arm == "scenario" else shown.baseline
        use = slot_use(replications(cfg, store()), cfg)
        if use.empty:
            st.info("No SDA slots in this arm.")
        else:
            st.caption(
                "Share of the slots starting in each hour that were booked, averaged over the weeks "
                "after warm-up; hours without slots are left blank. Below: slots offered and booked a day."
            )
            st.altair_chart(charts.slot_use_chart(use))
            st.altair_chart(charts.weekday_use_chart(use))
    with costs:
        if result.verdict.trusted:
            st.altair_chart(charts.cost_by_route_chart(result.table), width="stretch")
        else:
            st.warning("Withheld: the scenario is not a steady state.")
    with changes:
        if result.verdict.trusted:
            _savings_by_change(shown)
        else:
            st.warning("Withheld: the scenario is not a steady state.")
    with downloads:
        _downloads(shown, result)


def _wait_distributions(shown: Shown, names: dict[str, str]) -> None:
    """Per route, how long patients waited at each step, today against the scenario (asked for by a button)."""
    st.markdown("#### How long patients waited: the distribution, by route")
    key = (replication_key(shown.baseline), replication_key(shown.scenario))
    logs: dict = st.session_state.setdefault(WAIT_LOGS, {})
    if key not in logs:
        days = shown.baseline.run.days
        st.caption(
            "The chart above shows mean waits. The distribution comes from the event log of the first "
            "replication of both arms, replayed on the same patients: "
            f"{rough_time(2 * days * st.session_state.get(SPEED, SECONDS_PER_REPLICATION_DAY))} on one core."
        )
        place = st.empty()
        if not place.button("Show the distribution of waits", key="show_waits"):
            return
        place.empty()  # the button goes once pressed
        with st.spinner("Replaying the first replication of both arms with its event log"):
            logs[key] = {
                arm: wait_times(cfg) for arm, cfg in (("baseline", shown.baseline), ("scenario", shown.scenario))
            }
        while len(logs) > KEPT_WAIT_LOGS:
            del logs[next(iter(logs))]
    arms = logs[key]
    counts = pd.concat([arms["baseline"]["route"], arms["scenario"]["route"]]).value_counts()
    route = st.selectbox(
        "Route",
        ["all", *counts.index],
        key="wait_route",
        format_func=lambda r: "Every route" if r == "all" else f"{route_label(r)} ({counts[r]:,} waits)",
        help="The routes are listed by the waits on them in both arms, most first.",
    )
    frames = []
    for arm, data in arms.items():
        part = data if route == "all" else data[data["route"] == route]
        frames.append(part.assign(name=names[arm], wait=part["stage"].map(stage_label)))
    waits = pd.concat(frames, ignore_index=True)
    if waits.empty:
        st.info("No patient on this route waited at any step after the warm-up.")
        return
    order = [stage_label(s) for s in WAIT_STAGES if stage_label(s) in set(waits["wait"])]
    waits["wait"] = pd.Categorical(waits["wait"], order)
    days_counted = shown.baseline.run.days - shown.baseline.run.warmup_days
    st.caption(
        f"Patients arriving in the {days_counted} days after warm-up of the first replication (of "
        f"{shown.baseline.run.replications}); each panel is one wait, in minutes, as its mean is measured "
        "in the table above. The height is the share of that arm's patients who waited that long."
    )
    st.altair_chart(
        charts.wait_distribution_chart(charts.wait_histogram(waits.sort_values("wait")), names), width="stretch"
    )
    summary_rows = {}
    for (wait, name), part in waits.groupby(["wait", "name"], sort=False, observed=True):
        minutes = part["minutes"]
        summary_rows.setdefault(wait, {})[name] = (
            f"median {minutes.median():,.0f} min, 90% within {minutes.quantile(0.9):,.0f} min "
            f"({len(minutes):,} patients)"
        )
    table = pd.DataFrame.from_dict(summary_rows, orient="index").reindex(columns=[names["baseline"], names["scenario"]])
    table.index.name = "Wait"
    st.html(stacked_table(table.reindex(order)))


def _patient_flow(shown: Shown, names: dict[str, str]) -> None:
    """One simulated day animated, today's pathway above the scenario, drawn only while the switch is on."""
    from .animation import FIRST_HOUR, LAST_HOUR

    st.caption(
        f"Each dot is a patient, {FIRST_HOUR:02d}:00-{LAST_HOUR:02d}:00 on the first day after warm-up of "
        "the first replication; the same patients arrive in both arms. Press the play button under the "
        "picture, or drag its slider. Where a step holds more patients than fit, '+ N more' counts them."
    )
    if not st.toggle(
        "Show the animated patient flow",
        key="show_flow",
        help="Replays the first replication of both arms with its event log and draws one day "
        f"({rough_time(2 * shown.baseline.run.days * st.session_state.get(SPEED, SECONDS_PER_REPLICATION_DAY) + 10)} "
        "the first time for a scenario); nothing is computed while it is off.",
    ):
        return
    key = (replication_key(shown.baseline), replication_key(shown.scenario))
    kept: dict = st.session_state.setdefault(FLOWS, {})
    if key not in kept:
        try:
            from .animation import patient_flow

            with st.spinner("Replaying one day of both arms and drawing it"):
                kept[key] = patient_flow(shown.baseline, shown.scenario, names)
        except ImportError:
            st.info("The animation needs vidigi: pip install -e '.[app]'.")
            return
        while len(kept) > KEPT_FLOWS:
            del kept[next(iter(kept))]
    st.plotly_chart(kept[key], width="stretch", config={"displayModeBar": False}, key="patient_flow")


def _pathway(table: pd.DataFrame, names: dict[str, str]) -> None:
    """The routes as a diagram, today and in the scenario, and the arrows that change most as a table."""
    flows = charts.route_flows(table)
    if flows.empty:
        st.info("No routes in these results.")
        return
    st.caption(
        "Where patients go: each arrow is the patients a day taking that step (mean over replications; "
        "hover for the number). Below: the arrows that change most."
    )
    try:
        cols = st.columns(2)
        for col, arm in zip(cols, ("baseline", "scenario"), strict=True):
            col.plotly_chart(
                charts.pathway_sankey(flows, arm, names[arm]),
                width="stretch",
                config={"displayModeBar": False},
                key=f"sankey_{arm}",
            )
    except ImportError:
        st.info("The pathway diagram needs plotly: pip install -e '.[app]'. The table below has the same numbers.")
    moved = flows.reindex(flows["change"].abs().sort_values(ascending=False).index).head(12)
    shown = pd.DataFrame(
        {
            "From": moved["source"],
            "To": moved["target"],
            "Today, a day": moved["baseline"].map(lambda v: f"{v:,.1f}"),
            "Scenario, a day": moved["scenario"].map(lambda v: f"{v:,.1f}"),
            "Change": moved["change"].map(lambda v: signed(v, "volume_per_day")),
        }
    )
    st.table(shown.set_index("From"))


def _downloads(shown: Shown, result: Outcome) -> None:
    name = slug(shown.name)
    cols = st.columns(3)
    table = result.table.copy()
    table.insert(0, "scenario", shown.name)
    cols[0].download_button(
        "Results (CSV)",
        table.to_csv(index=False).encode(),
        file_name=f"{name}_results.csv",
        mime="text/csv",
        key="dl_results",
        help="Every KPI: each arm's mean and 95% interval, the paired change, the saving.",
    )
    cols[1].download_button(
        "Scenario config (YAML)",
        config_yaml(shown.scenario).encode(),
        file_name=f"{name}.yaml",
        mime="application/x-yaml",
        key="dl_scenario",
        help="Run it again with: python run_sim.py run FILE, or upload it here.",
    )
    cols[2].download_button(
        "Today's pathway config (YAML)",
        config_yaml(shown.baseline).encode(),
        file_name=f"{name}_todays_pathway.yaml",
        mime="application/x-yaml",
        key="dl_baseline",
        help="Today's pathway with the shared inputs (patients, growth, run settings).",
    )
    workbook_section(shown.baseline, shown.scenario, shown.quick, ready=True, file_name=f"{name}_business_case.xlsx")


def run_bar(
    configs: tuple[Config, Config] | None, choices: Choices | None, defaults: Choices | None, label: str
) -> None:
    """The scenario's name, the Run button with its time estimate, and the run in progress."""
    kept: dict[str, Shown] = st.session_state.setdefault(SCENARIOS, {})
    cols = st.columns([3, 1])
    name = cols[0].text_input(
        "Name this scenario",
        key="scenario_name",
        placeholder=f"{label} {len(kept) + 1}",
        help="Each run is kept under its name for this session: compare them in "
        "Scenarios side by side. A name used again replaces that scenario.",
    )
    name = name.strip() or f"{label} {len(kept) + 1}"
    with cols[1]:
        st.write("")
        pressed = st.button("Run", type="primary", key="run", disabled=configs is None, width="stretch")
    if configs is None:
        st.caption("Fix the input above to run.")
    else:
        pairs = [(TODAY, configs[0]), (name, configs[1])]
        st.caption(f"Runs today's pathway and the scenario on the same patients. {estimate(pairs)}")
        if pressed:
            shown = Shown(name, configs[0], configs[1], choices.quick, shared_inputs(choices, defaults))

            def done() -> None:
                kept.pop(name, None)
                kept[name] = shown
                st.session_state[SHOWN] = name

            start(f"{name} against today's pathway", pairs, done)
    if resume():
        st.rerun()
    shown = kept.get(st.session_state.get(SHOWN, ""))
    if (
        shown is not None
        and configs is not None
        and (replication_key(shown.baseline), replication_key(shown.scenario), shown.baseline.run.replications)
        != (replication_key(configs[0]), replication_key(configs[1]), configs[0].run.replications)
    ):
        st.caption(
            f"The results shown are for {shown.name!r} as last run; the inputs have changed since. "
            "Press Run to apply them."
        )


COMPARE_KPIS = (
    "utc_within_4h_pct",
    "utc_wait_mean_min",
    "ed_within_4h_pct",
    "sda_redirections_front_door_per_day",
    "sda_no_slot_per_day",
    "sda_unused_slots_per_day",
    "utc_attendances_per_day",
    "gp_reattendance_hours_per_week",
)


def scenarios_table(chosen: list[Shown]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two to four scenarios against today's pathway: a table in words, and the same long for the CSV."""
    rows: dict[str, dict[str, str]] = {}
    long = []
    for shown in chosen:
        result = outcome(shown)
        for _, m in result.money.iterrows():
            label = f"{m['name']} a year (95% interval)"
            rows.setdefault(label, {TODAY: ""})
            if result.verdict.trusted:
                text = quote_gbp(m["mean"])
                ci = interval(m["ci_low"], m["ci_high"], "cost_gbp_annual", change=True)
                rows[label][shown.name] = f"{text} ({ci})" if ci else text
            else:
                rows[label][shown.name] = "withheld: not a steady state"
            long.append(
                {
                    "scenario": shown.name,
                    "measure": m["measure"],
                    "label": m["name"] + ", GBP a year",
                    "today": math.nan,
                    "mean": m["mean"],
                    "ci_low": m["ci_low"],
                    "ci_high": m["ci_high"],
                    "trusted": result.verdict.trusted,
                }
            )
        by_kpi = result.table.set_index("kpi")
        for kpi in COMPARE_KPIS:
            r = by_kpi.loc[kpi]
            label = kpi_label(kpi)
            rows.setdefault(label, {TODAY: quote(r["baseline_mean"], kpi)})
            ci = interval(r["scenario_ci_low"], r["scenario_ci_high"], kpi)
            rows[label][shown.name] = (
                f"{quote(r['scenario_mean'], kpi)} ({ci})" if ci else quote(r["scenario_mean"], kpi)
            )
            long.append(
                {
                    "scenario": shown.name,
                    "measure": kpi,
                    "label": label,
                    "today": r["baseline_mean"],
                    "mean": r["scenario_mean"],
                    "ci_low": r["scenario_ci_low"],
                    "ci_high": r["scenario_ci_high"],
                    "trusted": result.verdict.trusted,
                }
            )
        rows.setdefault("Steady state?", {TODAY: ""})[shown.name] = (
            "yes"
            if result.verdict.trusted
            else "NO: "
            + result.verdict.reasons[0].split(":", 1)[-1].strip()
            + (
                ""
                if len(result.verdict.reasons) == 1
                else f" (and {len(result.verdict.reasons) - 1} more: see its Results)"
            )
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "What"
    return table, pd.DataFrame(long)


def scenarios_page() -> None:
    """Two to four of this session's scenarios side by side against today's pathway: one table, one chart, one file."""
    kept: dict[str, Shown] = st.session_state.get(SCENARIOS, {})
    if len(kept) < 2:
        st.info(
            "Run at least two scenarios (name each before pressing Run) to compare them here. "
            f"Kept so far: {', '.join(kept) or 'none'}."
        )
        return
    names = st.multiselect(
        "Scenarios to compare (two to four)",
        list(kept),
        default=list(kept)[-4:],
        max_selections=4,
        key=f"compare_names|{len(kept)}|{list(kept)[-1]}",
        help="The newest four are chosen after each run.",
    )
    if len(names) < 2:
        st.info("Choose at least two scenarios.")
        return
    chosen = [kept[n] for n in names]
    if len({replication_key(s.baseline) for s in chosen}) > 1:
        st.warning(
            "These scenarios were run against different versions of today's pathway (different run "
            "settings, growth or patient facts): each is compared with its own; the Today column is the "
            f"first's ({chosen[0].name})."
        )
    table, long = scenarios_table(chosen)
    st.html(stacked_table(table))  # columns on a laptop, one block per figure on a phone: never cut
    money = long[long["measure"].isin(["gross_total", "net_total", "cash_total"]) & long["trusted"]]
    if not money.empty:
        st.altair_chart(charts.scenarios_chart(money), width="stretch")
    file = "_vs_".join(slug(n) for n in names)[:120]
    st.download_button(
        "These scenarios (CSV)",
        long.to_csv(index=False).encode(),
        file_name=f"{file}.csv",
        mime="text/csv",
        key="dl_scenarios",
        help="Each scenario's savings and KPIs with 95% intervals, one row per scenario and figure.",
    )


@dataclass(frozen=True)
class SweepInput:
    """An input the sweep page can vary: label, unit shown, default values, and to-config scale."""

    name: str
    label: str
    defaults: str
    scale: float = 1.0
    whole: bool = False


SWEEP_INPUTS = (
    SweepInput("redirection_rate", "IA nurse redirection rate (%)", "20, 40, 60, 80", 0.01),
    SweepInput("sda_eligible", "Clinically eligible for SDA (%)", "70, 82, 90", 0.01),
    SweepInput("accepts_redirection", "Willing to be redirected (%)", "55, 68, 80", 0.01),
    SweepInput("slots.gpcg_sda", "GPCG SDA slots per day, every day", "30, 45, 60, 75", 1.0, True),
    SweepInput("utc_clinicians_added", "UTC clinicians added to every hour", "-1, 0, 1, 2", 1.0, True),
    SweepInput("ia_nurses_added", "IA nurses added to every hour", "0, 1, 2", 1.0, True),
    SweepInput("growth", "Demand growth (x)", "1.0, 1.05, 1.1, 1.2"),
)
SWEEP_KPIS = (
    "cost_total_annual_gbp",
    "utc_within_4h_pct",
    "sda_redirections_front_door_per_day",
    "sda_unused_slots_per_day",
    "sda_no_slot_per_day",
    "utc_wait_mean_min",
)


def parse_values(text: str) -> list[float]:
    """``"20, 40, 60"`` or ``"20 40 60"`` -> ``[20.0, 40.0, 60.0]``; a ``ConfigError`` naming a value that is
    not a number."""
    values = []
    for item in re.split(r"[,;\s]+", text):
        item = item.strip()
        if not item:
            continue
        try:
            values.append(float(item))
        except ValueError:
            raise ConfigError(f"sweep values: {item!r} is not a number") from None
    if not values:
        raise ConfigError("sweep values: give at least one number, e.g. 20, 40, 60")
    return values


def sweep_points(
    spec: SweepInput, values: list[float], pathway: Config, current: Config, choices: Choices
) -> list[tuple[float, Config, Config]]:
    """Each value's baseline and scenario; a ``ConfigError`` names the value that cannot be used."""
    points = []
    for value in values:
        config_value = round(value) if spec.whole else value * spec.scale
        try:
            baseline, scenario = build_configs(pathway, current, choices.with_value(spec.name, config_value))
        except ConfigError as exc:
            raise ConfigError(f"{spec.label} = {value:g}: {exc}") from None
        points.append((value, baseline, scenario))
    return points


def sweep_table(points: list[tuple[float, Config, Config]]) -> pd.DataFrame:
    """For every point and KPI: the scenario's mean and 95% interval (the gross saving for cost), long form.

    ``steady`` is False at a point where either arm is not a steady state (:func:`verdict`); its
    saving is withheld (NaN), as on the Results tab.
    """
    rows = []
    for value, baseline, scenario in points:
        base, scen = summary(replications(baseline, store())), summary(replications(scenario, store()))
        steady = verdict(base, scen).trusted
        table = comparison(base, scen).set_index("kpi")
        for kpi in SWEEP_KPIS:
            r = table.loc[kpi]
            if kpi.startswith("cost_"):
                mean, low, high = (
                    (r["saving_mean"], r["saving_ci_low"], r["saving_ci_high"])
                    if steady
                    else (math.nan, math.nan, math.nan)
                )
                rows.append(
                    {
                        "value": value,
                        "kpi": "saving_annual_gbp",
                        "label": "Gross saving a year",
                        "mean": mean,
                        "low": low,
                        "high": high,
                        "steady": steady,
                    }
                )
            else:
                low, high = clip(r["scenario_ci_low"], r["scenario_ci_high"], kpi)  # no band past 100%
                rows.append(
                    {
                        "value": value,
                        "kpi": kpi,
                        "label": kpi_label(kpi) + " (scenario)",
                        "mean": r["scenario_mean"],
                        "low": low,
                        "high": high,
                        "steady": steady,
                    }
                )
    return pd.DataFrame(rows)


def sweep_page(pathway: Config | None, current: Config, choices: Choices | None) -> None:
    """Vary one input over a few values and plot each KPI against it with its 95% band."""
    st.markdown(
        "Vary one input, keep the others as set in the sidebar, and see how each KPI moves. "
        "Each point compares the scenario with today's pathway on the same patients."
    )
    names = {s.name: s for s in SWEEP_INPUTS}
    name = st.selectbox("Input to vary", list(names), format_func=lambda n: names[n].label, key="sweep_input")
    spec = names[name]
    text = st.text_input(
        "Values (commas or spaces)",
        value=spec.defaults,
        key=f"sweep_values|{name}",
        help="For a percentage, type 20 for 20%.",
    )
    if pathway is None or choices is None:
        st.info("Fix the inputs in the sidebar first.")
        return
    try:
        points = sweep_points(spec, parse_values(text), pathway, current, choices)
    except ConfigError as exc:
        st.error(str(exc))
        return
    configs = [
        (f"{spec.label} = {v:g}: {arm}", cfg)
        for v, b, s in points
        for arm, cfg in (("current pathway", b), ("scenario", s))
    ]
    run = points[0][1].run
    st.caption(
        f"{len(points)} points x 2 arms x {run.replications} replications of {run.days} days. {estimate(configs)}"
    )
    if st.button("Run the sweep", type="primary", key="run_sweep"):

        def done() -> None:
            st.session_state[SWEEP] = (spec.name, points)

        start(f"the sweep of {spec.label}", configs, done)
        st.info("The sweep runs at the top of the page (progress, time left and Cancel are there).")
        st.rerun()
    last = st.session_state.get(SWEEP)
    if last is None:
        return
    last_name, last_points = last
    if (
        last_name != spec.name
        or [p[0] for p in last_points] != [p[0] for p in points]
        or any(replication_key(a[2]) != replication_key(b[2]) for a, b in zip(last_points, points, strict=False))
    ):
        st.warning("These results are for earlier inputs: press Run the sweep to see the current ones.")
    table = sweep_table(last_points)
    x_title = names[last_name].label
    broken = sorted(set(table.loc[~table["steady"], "value"]))
    if broken:
        st.error(
            f"Not a steady state at {x_title} = {', '.join(f'{v:g}' for v in broken)}: queues grow or the "
            "4-hour share collapses there, so no saving is shown at those values (run one alone to see why)."
        )
    cols = st.columns(2)
    for i, (kpi, part) in enumerate(table.groupby("kpi", sort=False)):  # noqa: B007 (kpi names the chart)
        with cols[i % 2]:
            st.altair_chart(
                charts.sweep_chart(part, x_title, part["label"].iloc[0], money=kpi.endswith("_gbp")), width="stretch"
            )
    st.download_button(
        "Sweep results (CSV)",
        table.rename(columns={"value": x_title}).to_csv(index=False).encode(),
        file_name=f"sweep_{slug(x_title)}.csv",
        mime="text/csv",
        key="dl_sweep",
    )


ABOUT = """
**What this app does.** It runs a discrete-event simulation of the Tower Hamlets same-day urgent care
pathway: walk-ins at the Royal London front door, NHS 111 calls, and patients who find no slot at their
own practice; reception, the initial-assessment (IA) nurse, the UTC, ED, the Care Navigator, same-day
access (SDA) slots at the GP Care Group and the PCN pilots, practice slots for NHS 111 and Pharmacy First.

**Baseline and scenario.** The baseline is always today's (the current) pathway. The scenario is the pathway chosen in
the sidebar with your inputs applied. Both run on the same simulated patients (common random numbers), so the
difference between them is measured precisely: the *paired* interval. Eligibility, willingness, demand growth
and the run settings are facts about patients and the run, so they apply to both; every other input changes
the scenario only.

**The IA nurse's redirection rate** applies only to candidates: patients the IA nurse streams to the UTC who
are registered with a Tower Hamlets practice ({registered:.0%} of walk-ins in the shipped configs), clinically
eligible for SDA and willing to go. Of those, the rate is the share redirected to an SDA slot inside the
redirection window. With X8 the
IA nurse uses X8's policy (7 days, Care Navigator books); without X8, today's.

**A saving is positive**: it is the current pathway's recurrent annual cost minus the scenario's.

**Reproducing a run.** Download the scenario config (YAML) and run it from the command line with
`python run_sim.py run scenario.yaml`, or upload it back here.
"""


GLOSSARY = MappingProxyType(
    {
        "SDA": "Same-day access: a GP appointment on the day, booked for the patient instead of a UTC or ED visit.",
        "GPCG": "Tower Hamlets GP Care Group, the GP federation that runs the UTC and the GPCG SDA hub slots.",
        "PCN": "Primary care network: a group of neighbouring GP practices; the PCN pilots offer SDA slots.",
        "IA": "Initial assessment: the nurse at the Royal London front door who streams each walk-in "
        "(to the UTC, ED, or with X8 straight to an SDA slot).",
        "UTC": "Urgent treatment centre at the Royal London, beside ED.",
        "ED": "Emergency department (A&E).",
        "NHS 111": "The NHS phone and online service; it can book practice or PCN SDA slots.",
        "Care Navigator": "A non-clinical role that books the SDA slot for a redirected patient (with X8).",
        "KPI": "Key performance indicator: a figure the model reports, such as the share seen within 4 hours.",
        "4-hour share": "Share of patients who leave the UTC or ED within 4 hours of arriving.",
        "Seed": "The start of the random numbers: the same seed and inputs always give the same numbers; another "
        "seed gives other patients (the intervals say how much that matters).",
        "Replication": "One simulated run of the whole period; the app runs several and reports the mean.",
        "Warm-up": "The first days of each run, left out of every figure while the queues fill.",
        "95% interval": "The range the true mean lies in with 95% confidence, from the spread across replications "
        "(simulation noise only, not uncertainty in the inputs).",
        "Paired": "Both arms run on the same simulated patients, so their difference is measured precisely.",
        "Gross saving": "Activity avoided at its unit cost (the paper's basis).",
        "Net saving": "Gross, with SDA slots paid whether used or not, new services and staff hours added taken off.",
        "Cash-releasing saving": "Only payments that change, with contracts as they stand.",
        "Steady state": "Queues that settle; a scenario whose queues keep growing shows a warning, not a saving.",
        **{change_number(code): change_label(code, number=False) for code in CHANGE_NAMES},
    }
)
"""Plain words for every code the app shows."""


def about_page(current: Config) -> None:
    """What the app does, how to read it, and a glossary of every code it uses."""
    st.markdown(ABOUT.format(registered=current.demand.walk_in.registered_th))
    st.markdown("**SDA providers:** " + "; ".join(PROVIDER_NAMES.values()) + ".")
    st.markdown(
        f"**Savings by change** switch the changes on in the business case's order ({order_words()}; "
        "configs/business_case.yaml attribution_order), as the business-case workbook and "
        "`run_sim.py business-case` do."
    )
    st.markdown("#### Glossary")
    st.table(pd.DataFrame({"Means": dict(GLOSSARY)}).rename_axis("Word"))
