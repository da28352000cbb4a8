"""The side-by-side table written as HTML that stacks at phone width: its text and its round trip."""

from __future__ import annotations

import pandas as pd

from sim.app.tables import CSS_CLASS, NARROW_PX, read_stacked_table, stacked_table


def test_a_stacked_table_reads_back_and_names_each_cell_by_its_column():
    table = pd.DataFrame(
        {
            "Today's pathway": ["", "91.2%"],
            "Evening <clinician>": ["GBP 1.2M (GBP 1.1M to GBP 1.3M)", "93.0% (92.1% to 93.8%)"],
        },
        index=["Gross saving a year (95% interval)", "UTC patients within 4 hours, %"],
    )
    table.index.name = "What"
    text = stacked_table(table)
    assert read_stacked_table(text).equals(table)
    assert "<clinician>" not in text and "data-label='Evening &lt;clinician&gt;'" in text  # escaped
    assert f"@media (max-width: {NARROW_PX}px)" in text and f"table.{CSS_CLASS} td::before" in text
    assert text.count("<tr>") == 3  # the header and one row per figure
