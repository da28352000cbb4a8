"""What the app may say: figures rounded as a lead quotes them, intervals within their limits, the verdict."""

from __future__ import annotations

import pandas as pd

from sim.app.trust import clip, interval, quote, quote_gbp, signed, verdict


def test_money_is_quoted_as_a_lead_would():
    assert quote_gbp(1_242_049) == "GBP 1.24M"
    assert quote_gbp(-310_400) == "-GBP 310k"
    assert quote_gbp(4_321) == "GBP 4.3k"
    assert quote_gbp(-0.3) == "GBP 0"


def test_intervals_stay_within_their_possible_limits():
    assert clip(98.0, 100.1, "utc_within_4h_pct") == (98.0, 100.0)
    assert interval(-0.1, 2.0, "sda_unused_slots_per_day") == "0.0 to 2.0"
    assert interval(-120.0, 5.0, "utc_within_4h_pct", change=True) == "-100.0 points to 5.0 points"
    assert interval(float("nan"), 1.0, "utc_wait_mean_min") == ""


def test_changes_carry_their_sign_and_unit():
    assert signed(3.21, "utc_within_4h_pct") == "+3.2 points"
    assert signed(-12.4, "utc_wait_mean_min") == "-12"
    assert signed(0.0, "utc_wait_mean_min") == "0"
    assert quote(65.4, "utc_wait_mean_min") == "65"


def _arm(**kpis) -> pd.DataFrame:
    return pd.DataFrame(
        {
            k: [v, v]
            for k, v in {
                "unstable": 0.0,
                "utc_within_4h_pct": 80.0,
                "ed_within_4h_pct": 60.0,
                "utc_wait_mean_min": 100.0,
                "in_system_at_end": 20.0,
                **kpis,
            }.items()
        }
    )


def test_the_verdict_withholds_a_saving_from_a_broken_scenario():
    assert verdict(_arm(), _arm()).trusted
    assert not verdict(_arm(), _arm(unstable=1.0)).trusted
    assert not verdict(_arm(), _arm(utc_within_4h_pct=10.0)).trusted  # collapsed
    assert not verdict(_arm(), _arm(utc_within_4h_pct=55.0)).trusted  # fell 25 points
    assert not verdict(_arm(), _arm(utc_wait_mean_min=3191.0)).trusted
    reasons = verdict(_arm(), _arm(unstable=1.0)).reasons
    assert "unstable in 2 of 2 replications" in reasons[0]
