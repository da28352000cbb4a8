"""Entry script of the web app: ``streamlit run sim/app/main.py`` (or ``python run_sim.py app``)."""

from __future__ import annotations

import streamlit as st

from sim.app import address
from sim.app.pages import SCENARIOS, SHOWN, about_page, results_page, run_bar, scenarios_page, sweep_page
from sim.app.planner_page import planner_page
from sim.app.scenario import SHIPPED, Choices, build_configs
from sim.app.widgets import pathway_label, sidebar, slots_and_staff
from sim.inputs.config import ConfigError, load_config


def main() -> None:
    st.set_page_config(page_title="Same-day urgent care simulator", layout="wide")
    st.markdown(
        "<style>.block-container {padding-top: 2.5rem; padding-bottom: 1rem}</style>", unsafe_allow_html=True
    )  # the Run bar and the savings fit a laptop's first screen
    st.markdown("## Tower Hamlets same-day urgent care: what if?")
    st.markdown(
        "Set the inputs (the sidebar and the **Slots and staff** tab), name the scenario and press **Run**: "
        "it runs against today's pathway on the same patients, and shows waits, SDA slot use and the "
        "gross, net and cash savings a year, each with its 95% interval."
    )
    current = load_config(SHIPPED["current"])
    address.begin()  # a reload starts from the inputs kept in the page's address
    pathway = choices = defaults = configs = prefix = None
    label = "Scenario"
    errors = []
    problems = []  # numbers typed wrong: each is shown below its box, and Run is refused
    try:
        prefix, pathway, defaults, values = sidebar(current, problems)
        label = pathway_label(prefix)
    except ConfigError as exc:
        errors.append(str(exc))
    top = st.container()
    results, staff, side_by_side, sweep, plan_capacity, about = st.tabs(
        [
            "Results",
            "Slots and staff",
            "Scenarios side by side",
            "Sweep one input",
            "Plan capacity",
            "Glossary and about",
        ]
    )
    with staff:
        if pathway is None:
            st.info("Choose a pathway in the sidebar first.")
        else:
            try:
                values.update(slots_and_staff(prefix, pathway, defaults, problems))
                if not problems:
                    choices = Choices(**values, label=label)
                    configs = build_configs(pathway, current, choices)
            except ConfigError as exc:
                errors.append(str(exc))  # shown once, above the tabs
    address.publish(prefix)  # before a run starts, so a reload mid-run keeps the inputs
    with top:
        for message in dict.fromkeys(errors):
            st.error(message)
        if problems:
            st.error(
                "**Run is refused until these inputs are fixed** (each is marked where it is typed):\n"
                + "\n".join(f"- {p}" for p in dict.fromkeys(problems))
            )
        run_bar(configs, choices, defaults, label)
    with results:
        results_page(st.session_state.get(SCENARIOS, {}).get(st.session_state.get(SHOWN, "")))
    with side_by_side:
        scenarios_page()
    with sweep:
        sweep_page(pathway if configs is not None else None, current, choices)
    with plan_capacity:
        planner_page()
    with about:
        about_page(current)


main()
