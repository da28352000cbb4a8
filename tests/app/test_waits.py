"""Wait distributions per route, today against the scenario, from the first replication's event log."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.app.charts import wait_histogram
from sim.app.simulate import replications, session_store, wait_times
from sim.app.tables import CSS_CLASS, read_stacked_table
from sim.outputs.labels import kpi_label

from .helpers import problems, run, small_app


def test_the_histogram_shares_add_to_100_and_the_last_band_holds_the_long_waits():
    waits = pd.DataFrame(
        {
            "wait": "Wait for UTC clinician",
            "name": ["Today"] * 100 + ["Scenario"] * 50,
            "minutes": list(np.arange(100.0)) + [5.0] * 49 + [10_000.0],
        }
    )
    hist = wait_histogram(waits, bins=20)
    assert hist.groupby("name")["share_pct"].sum().round(9).eq(100.0).all()
    assert set(np.diff(sorted(set(hist["from_min"])))) == {5}  # a round band width: 99 minutes in 20 bands
    last = hist[hist["from_min"] == hist["from_min"].max()].set_index("name")
    assert last.loc["Scenario", "patients"] == 1 and last.loc["Scenario", "band"].endswith("minutes or more")


def test_waits_match_the_kpi_means_of_the_same_replication(redesign_cfg):
    cfg = redesign_cfg.model_copy(update={"run": redesign_cfg.run.model_copy(update={"days": 10, "replications": 1})})
    waits = wait_times(cfg)
    kpis = replications(cfg, session_store({}))[0].kpis
    for stage, kpi in (
        ("ia", "ia_wait_mean_min"),
        ("utc", "utc_wait_mean_min"),
        ("ed", "ed_wait_mean_min"),
        ("sda_gpcg", "redirected_time_to_slot_mean_min"),
    ):
        assert np.isclose(waits.loc[waits["stage"] == stage, "minutes"].mean(), kpis[kpi]), stage
    assert (waits["minutes"] >= 0).all()


def test_the_waits_tab_shows_the_distribution_by_route_on_request():
    at = small_app("redesign")
    run(at, "Redesign")
    assert not any(CSS_CLASS in h.proto.body and "Wait" in h.proto.body for h in at.get("html"))  # not until asked
    at.button(key="show_waits").click().run()
    assert problems(at) == []
    table = next(
        read_stacked_table(h.proto.body) for h in at.get("html") if "<th scope='col'>Wait</th>" in h.proto.body
    )
    utc = kpi_label("utc_wait_mean_min").removesuffix(", mean, minutes")
    assert utc in table.index and set(table.columns) == {"Today's pathway", "Scenario (Redesign)"}
    assert table.loc[utc, "Scenario (Redesign)"].startswith("median ")
    route = at.selectbox(key="wait_route")
    assert route.options[0] == "Every route" and any(
        o.startswith("Walk-in: streamed by IA nurse") for o in route.options
    )
    route.select_index(1).run()
    assert problems(at) == []
