"""Entry script of the web app: ``streamlit run sim/app/main.py`` (or ``python run_sim.py app``)."""

from __future__ import annotations

import streamlit as st

from sim.app.pages import about_page, compare_page, sweep_page
from sim.app.scenario import SHIPPED, build_configs
from sim.app.widgets import sidebar
from sim.inputs.config import ConfigError, load_config


def main() -> None:
    st.set_page_config(page_title="Same-day urgent care simulator", layout="wide")
    st.title("Tower Hamlets same-day urgent care: what if?")
    st.markdown("Change the inputs on the left, press **Run**, and compare the scenario with the current "
                "pathway: waits, SDA slot use and the annual cost, each with a 95% interval.")
    current = load_config(SHIPPED["current"])
    pathway = choices = configs = None
    try:
        pathway, choices = sidebar(current)
        configs = build_configs(pathway, current, choices)
    except ConfigError as exc:
        st.error(str(exc))
    compare, sweep, about = st.tabs(["Compare", "Sweep one input", "About the model"])
    with compare:
        compare_page(configs, choices)
    with sweep:
        sweep_page(pathway if configs is not None else None, current, choices)
    with about:
        about_page(current)


main()
