"""The web app (Streamlit): try redirection rates, slots and staffing in the browser.

Start it with ``python run_sim.py app``. The modules below hold no state of their
own: each browser session keeps its inputs and results in ``st.session_state``.
"""
