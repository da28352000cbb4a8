"""The docs' figures are read from the result files, so a changed file changes the page."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from sim.outputs.result_pages import EXAMPLE, FIGURES, FRAGMENTS, figure_png, gbp, headline_saving, validation_summary


@pytest.fixture
def results(tmp_path):
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLE, folder)
    return folder


def test_every_fragment_and_figure_is_made_from_the_shipped_files():
    for name, fragment in FRAGMENTS.items():
        assert fragment(EXAMPLE).strip(), name
    assert all(figure_png(name).startswith(b"\x89PNG") for name in FIGURES)


def test_the_headline_follows_the_comparison_file(results):
    table = pd.read_csv(results / "comparison.csv")
    at = table["kpi"] == "cost_total_annual_gbp"
    table.loc[at, ["saving_gbp_mean", "saving_gbp_ci_low", "saving_gbp_ci_high"]] = [2_345_678, 2_300_000, 2_400_000]
    table.to_csv(results / "comparison.csv", index=False)
    assert "GBP 2.35M a year" in headline_saving(results) and "GBP 2.30M to GBP 2.40M" in headline_saving(results)


def test_the_validation_count_follows_the_validation_file(results):
    table = pd.read_csv(results / "validation.csv")
    inside = int(table["within"].astype(bool).sum())
    table["within"] = ~table["within"].astype(bool)  # every verdict turned: the count must follow
    table.to_csv(results / "validation.csv", index=False)
    assert validation_summary(results).startswith(f"{len(table) - inside} of {len(table)}")


def test_a_missing_result_file_names_itself(results):
    (results / "validation.csv").unlink()
    with pytest.raises(FileNotFoundError, match="validation.csv"):
        validation_summary(results)


def test_money_has_separators_and_a_sign():
    assert gbp(1_262_933.2) == "GBP 1,262,933"
    assert gbp(-15_445.4) == "-GBP 15,445"
    assert gbp(-0.2) == "GBP 0"
