"""The app's pages: compare the scenario with the current pathway, sweep one input, about.

Every page reads and writes only ``st.session_state`` (this browser session) and
its arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from ..inputs.config import Config, ConfigError
from ..analysis.invariants import InvariantError
from ..experiments.attribution import attribution_table, build_steps
from ..experiments.store import SessionStore, replication_key
from . import charts
from ..outputs.labels import PROVIDER_NAMES, kpi_label
from .scenario import Choices, build_configs, config_yaml, run_settings
from .simulate import comparison, replications, run_all, session_store, slot_use, summary
from .workbook import workbook_section

STORE = "results"      # session_state key: the session's finished replications
SHOWN = "shown"        # the baseline and scenario whose results the Compare page shows
SWEEP = "sweep"        # the last sweep run on the Sweep page
METRICS = ("utc_within_4h_pct", "sda_redirections_front_door_per_day", "sda_no_slot_per_day")
"""The KPIs shown as tiles beside the annual saving."""
HEADLINE_KPIS = (
    "ia_wait_mean_min", "utc_wait_mean_min", "ed_wait_mean_min", "redirected_time_to_slot_mean_min",
    "pcn_time_to_slot_mean_min", "utc_time_in_dept_mean_min", "utc_within_4h_pct", "ed_within_4h_pct",
    "ia_within_15min_pct", "utc_attendances_per_day", "ed_attendances_per_day",
    "sda_redirections_front_door_per_day", "sda_redirections_ia_per_day", "sda_redirections_utc_per_day",
    "sda_bookings_111_per_day", "sda_bookings_overflow_per_day", "sda_slot_utilisation_pct",
    "sda_unused_slots_per_day", "sda_no_slot_per_day", "nhs111_no_slot_to_front_door_per_day",
    "gp_reattendance_hours_per_week", "cost_total_annual_gbp",
)
"""The headline KPIs, in the order the results table shows them (named in words by ``kpi_label``)."""


def store() -> SessionStore:
    """This session's finished replications."""
    return session_store(st.session_state.setdefault(STORE, {}))


def _num(value: float, kpi: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if "gbp" in kpi:
        pounds = round(value)
        return f"-£{-pounds:,}" if pounds < 0 else f"£{pounds:,}"
    return f"{value + 0.0:,.1f}".replace("-0.0", "0.0")


def _with_ci(mean: float, low: float, high: float, kpi: str) -> str:
    if isinstance(low, float) and math.isnan(low):
        return _num(mean, kpi)
    return f"{_num(mean, kpi)} ({_num(low, kpi)} to {_num(high, kpi)})"


def _run(pairs: list[tuple[str, Config]]) -> bool:
    """Run what is missing with a progress bar; a model error is one message, not a traceback."""
    bar = st.progress(0.0, text="starting")

    def progress(done: int, total: int, label: str) -> None:
        bar.progress(done / total if total else 1.0, text=f"{done} of {total} replications run; {label}")

    try:
        ran = run_all(pairs, store(), progress)
    except InvariantError as exc:
        st.error(f"The model stopped: {exc}")
        return False
    bar.empty()
    if ran == 0:
        st.toast("Reused results already run in this session")
    return True


@dataclass(frozen=True)
class Shown:
    """The two configs of a finished comparison."""

    baseline: Config
    scenario: Config
    label: str
    quick: bool = False


def headline_table(table: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The headline KPIs in words, each arm with its 95% interval, and the change or saving."""
    rows = []
    by_kpi = table.set_index("kpi")
    for kpi in HEADLINE_KPIS:
        if kpi not in by_kpi.index:
            continue
        r = by_kpi.loc[kpi]
        row = {"KPI": kpi_label(kpi),
               names["baseline"]: _with_ci(r["baseline_mean"], r["baseline_ci_low"], r["baseline_ci_high"], kpi),
               names["scenario"]: _with_ci(r["scenario_mean"], r["scenario_ci_low"], r["scenario_ci_high"], kpi)}
        if kpi.startswith("cost_"):
            row["Change, or saving (paired 95% interval)"] = "saving " + _with_ci(
                r["saving_mean"], r["saving_ci_low"], r["saving_ci_high"], kpi)
        else:
            row["Change, or saving (paired 95% interval)"] = _with_ci(
                r["change_mean"], r["change_ci_low"], r["change_ci_high"], kpi)
        rows.append(row)
    return pd.DataFrame(rows)


def _savings_by_change(shown: Shown) -> None:
    steps = build_steps(shown.baseline, shown.scenario)
    st.caption("The changes are switched on one after another (X1 to X8), starting from the current pathway; "
               "each step is compared with the one before on the same patients, and the steps add up to "
               "the whole saving. A change that comes later finds part of its work already done.")
    if len(steps) < 2:
        st.info("The scenario is the current pathway: nothing to split.")
        return
    if not all(store().has(s.cfg) for s in steps):
        if not st.button(f"Split the saving change by change ({len(steps) - 1} steps)", key="attribute"):
            return
        if not _run([(s.label, s.cfg) for s in steps]):
            return
    tables = {s.label: summary(replications(s.cfg, store())) for s in steps}
    st.altair_chart(charts.savings_by_change_chart(
        attribution_table(steps, tables)[["step", "saving_mean_gbp", "saving_ci_low_gbp", "saving_ci_high_gbp"]]), width="stretch")


def _results(shown: Shown, stale: bool) -> None:
    base, scen = shown.baseline, shown.scenario
    results = {arm: replications(cfg, store()) for arm, cfg in (("baseline", base), ("scenario", scen))}
    tables = {arm: summary(res) for arm, res in results.items()}
    table = comparison(tables["baseline"], tables["scenario"])
    names = {"baseline": "Current pathway", "scenario": f"Scenario ({shown.label})"}
    run = base.run
    if stale:
        st.warning("These results are for earlier inputs: press Run to see the current ones.")
    st.caption(f"{run.replications} paired replications x {run.days} days ({run.warmup_days} warm-up), "
               f"seed {run.seed}. Both arms see the same patients. Intervals are 95% across replications.")
    by_kpi = table.set_index("kpi")
    cost = by_kpi.loc["cost_total_annual_gbp"]
    cols = st.columns(4)
    cols[0].metric("Gross activity saving a year", _num(cost["saving_mean"], "gbp"),
                   help=f"95% interval {_num(cost['saving_ci_low'], 'gbp')} to {_num(cost['saving_ci_high'], 'gbp')}; "
                        "positive means the scenario costs less than the current pathway. Activity basis (the "
                        "paper's, and the workbook's gross saving): every attendance and appointment at its unit "
                        "cost. GP time spent on reattendances is not in it (it releases no cash): see the GP hours "
                        "in the table. The business-case workbook adds the net and cash-releasing savings.")
    for col, kpi in zip(cols[1:], METRICS):
        r = by_kpi.loc[kpi]
        col.metric(kpi_label(kpi), _num(r["scenario_mean"]), delta=f"{r['change_mean']:+.1f}", delta_color="off",
                   help="The scenario, and its change from the current pathway "
                        f"({_num(r['baseline_mean'])}).")
    st.dataframe(headline_table(table, names), hide_index=True, width="stretch")

    waits, slots, costs, changes = st.tabs(["Waits", "SDA slot use", "Cost by route", "Savings by change"])
    with waits:
        st.altair_chart(charts.waits_chart(table, names), width="stretch")
    with slots:
        arm = st.radio("Show", ["scenario", "baseline"], format_func=names.get, horizontal=True, key="slot_arm")
        use = slot_use(results[arm], scen if arm == "scenario" else base)
        if use.empty:
            st.info("No SDA slots in this arm.")
        else:
            st.caption("Share of the slots starting in each hour that were booked, averaged over the weeks "
                       "after warm-up; hours without slots are left blank. Below: slots offered and booked a day.")
            st.altair_chart(charts.slot_use_chart(use))
            st.altair_chart(charts.weekday_use_chart(use))
    with costs:
        st.altair_chart(charts.cost_by_route_chart(table), width="stretch")
    with changes:
        _savings_by_change(shown)

    st.subheader("Downloads")
    cols = st.columns(3)
    cols[0].download_button("Results (CSV)", table.to_csv(index=False).encode(), file_name="results.csv",
                            mime="text/csv", key="dl_results",
                            help="Every KPI: each arm's mean and 95% interval, the paired change, the saving.")
    cols[1].download_button("Scenario config (YAML)", config_yaml(scen).encode(), file_name=f"{scen.name}.yaml",
                            mime="application/x-yaml", key="dl_scenario",
                            help="Run it again with: python run_sim.py run FILE, or upload it here.")
    cols[2].download_button("Baseline config (YAML)", config_yaml(base).encode(), file_name=f"{base.name}.yaml",
                            mime="application/x-yaml", key="dl_baseline",
                            help="The current pathway with the shared inputs (patients, growth, run settings).")
    workbook_section(base, scen, shown.quick, ready=not stale)


def compare_page(configs: tuple[Config, Config] | None, choices: Choices | None) -> None:
    """Run the scenario against the current pathway and show the results."""
    shown: Shown | None = st.session_state.get(SHOWN)
    if configs is not None:
        baseline, scenario = configs
        current = Shown(baseline, scenario, choices.label, choices.quick)
        if st.button("Run", type="primary", key="run"):
            if _run([("current pathway", baseline), ("scenario", scenario)]):
                st.session_state[SHOWN] = shown = current
        elif store().has(baseline) and store().has(scenario):
            st.session_state[SHOWN] = shown = current  # already run in this session: show at once
    if shown is None:
        st.info("Set the inputs in the sidebar and press Run.")
        return
    stale = configs is None or (replication_key(shown.baseline), replication_key(shown.scenario),
                                shown.baseline.run.replications) != (
        replication_key(configs[0]), replication_key(configs[1]), configs[0].run.replications)
    _results(shown, stale)


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
SWEEP_KPIS = ("cost_total_annual_gbp", "utc_within_4h_pct", "sda_redirections_front_door_per_day",
              "sda_unused_slots_per_day", "sda_no_slot_per_day", "utc_wait_mean_min")


def parse_values(text: str) -> list[float]:
    """``"20, 40, 60"`` -> ``[20.0, 40.0, 60.0]``; a ``ConfigError`` naming a value that is not a number."""
    values = []
    for item in text.replace(";", ",").split(","):
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


def sweep_points(spec: SweepInput, values: list[float], pathway: Config, current: Config,
                 choices: Choices) -> list[tuple[float, Config, Config]]:
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
    """For every point and KPI: the scenario's mean and 95% interval (the saving for cost), long form."""
    rows = []
    for value, baseline, scenario in points:
        table = comparison(summary(replications(baseline, store())),
                           summary(replications(scenario, store()))).set_index("kpi")
        for kpi in SWEEP_KPIS:
            r = table.loc[kpi]
            if kpi.startswith("cost_"):
                rows.append({"value": value, "kpi": "saving_annual_gbp", "label": "Gross activity saving a year (GBP)",
                             "mean": r["saving_mean"], "low": r["saving_ci_low"], "high": r["saving_ci_high"]})
            else:
                rows.append({"value": value, "kpi": kpi, "label": kpi_label(kpi) + " (scenario)",
                             "mean": r["scenario_mean"], "low": r["scenario_ci_low"], "high": r["scenario_ci_high"]})
    return pd.DataFrame(rows)


def sweep_page(pathway: Config | None, current: Config, choices: Choices | None) -> None:
    """Vary one input over a few values and plot each KPI against it with its 95% band."""
    st.markdown("Vary one input, keep the others as set in the sidebar, and see how each KPI moves. "
                "Each point compares the scenario with the current pathway on the same patients.")
    names = {s.name: s for s in SWEEP_INPUTS}
    name = st.selectbox("Input to vary", list(names), format_func=lambda n: names[n].label, key="sweep_input")
    spec = names[name]
    text = st.text_input("Values (comma-separated)", value=spec.defaults, key=f"sweep_values|{name}",
                         help="For a percentage, type 20 for 20%.")
    if pathway is None or choices is None:
        st.info("Fix the inputs in the sidebar first.")
        return
    try:
        points = sweep_points(spec, parse_values(text), pathway, current, choices)
    except ConfigError as exc:
        st.error(str(exc))
        return
    configs = [(f"{spec.label} = {v:g}: {arm}", cfg) for v, b, s in points for arm, cfg in
               (("current pathway", b), ("scenario", s))]
    runs = run_settings(choices)
    st.caption(f"{len(points)} points x 2 arms x {runs['replications']} replications of {runs['days']} days "
               "(results already run in this session are reused).")
    if st.button("Run the sweep", type="primary", key="run_sweep"):
        if _run(configs):
            st.session_state[SWEEP] = (spec.name, points)
    last = st.session_state.get(SWEEP)
    if last is None:
        return
    last_name, last_points = last
    if last_name != spec.name or [p[0] for p in last_points] != [p[0] for p in points] or any(
            replication_key(a[2]) != replication_key(b[2]) for a, b in zip(last_points, points)):
        st.warning("These results are for earlier inputs: press Run the sweep to see the current ones.")
    table = sweep_table(last_points)
    x_title = names[last_name].label
    cols = st.columns(2)
    for i, (kpi, part) in enumerate(table.groupby("kpi", sort=False)):
        with cols[i % 2]:
            st.altair_chart(charts.sweep_chart(part, x_title, part["label"].iloc[0]), width="stretch")
    st.download_button("Sweep results (CSV)", table.rename(columns={"value": x_title}).to_csv(index=False).encode(),
                       file_name="sweep.csv", mime="text/csv", key="dl_sweep")


ABOUT = """
**What this app does.** It runs a discrete-event simulation of the Tower Hamlets same-day urgent care
pathway: walk-ins at the Royal London front door, NHS 111 calls, and patients who find no slot at their
own practice; reception, the initial-assessment (IA) nurse, the UTC, ED, the Care Navigator, same-day
access (SDA) slots at the GP Care Group and the PCN pilots, practice slots for NHS 111 and Pharmacy First.

**Baseline and scenario.** The baseline is always the current pathway. The scenario is the pathway chosen in
the sidebar with your inputs applied. Both run on the same simulated patients (common random numbers), so the
difference between them is measured precisely: the *paired* interval. Eligibility, willingness, demand growth
and the run settings are facts about patients and the run, so they apply to both; every other input changes
the scenario only.

**The IA nurse's redirection rate** applies only to candidates: patients the IA nurse streams to the UTC who
are registered with a Tower Hamlets practice ({registered:.0%} of walk-ins in the shipped configs), clinically
eligible for SDA and willing to go. Of those, the rate is the share redirected to an SDA slot inside the redirection window. With X8 the
IA nurse uses X8's policy (7 days, Care Navigator books); without X8, today's.

**A saving is positive**: it is the current pathway's recurrent annual cost minus the scenario's.

**Reproducing a run.** Download the scenario config (YAML) and run it from the command line with
`python run_sim.py run scenario.yaml`, or upload it back here.
"""


def about_page(current: Config) -> None:
    st.markdown(ABOUT.format(registered=current.demand.walk_in.registered_th))
    st.markdown("**SDA providers:** " + "; ".join(PROVIDER_NAMES.values()) + ".")
