"""The business case's files made in memory: every file present, the workbook opens, the result left as it was."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from sim.experiments.business_case import plan_business_case, run_business_case
from sim.inputs.business_case import load_business_case
from sim.inputs.reconciliation import load_reconciliation
from sim.outputs.business_case_files import business_case_files
from sim.outputs.labels import change_label

from ..conftest import CONFIGS, tweak
from .test_business_case_cli import _small_case


def test_every_file_is_made_from_any_working_folder(tmp_path, monkeypatch, current_cfg, redesign_cfg):
    case = load_business_case(_small_case(tmp_path))
    rec_path = CONFIGS / "reconciliation.yaml"
    rec = load_reconciliation(rec_path)
    current = tweak(current_cfg, run__replications=2, run__days=3, run__warmup_days=1)
    redesign = redesign_cfg.model_copy(update={"run": current.run})
    monkeypatch.chdir(tmp_path)  # the shipped base.yaml is found from the package, not the working folder
    result = run_business_case(current, redesign, case, rec, progress=False)
    plan = plan_business_case(current, redesign, case)
    assert plan.steps == len(result.summaries)  # one summary per attribution step run
    made = business_case_files(result, current, redesign, case, rec, rec_path)

    assert "label" not in result.savings_by_change.columns  # the words go on a copy
    for name in ("business_case.xlsx", "business_case.html", "savings_waterfall.png", "cost_by_route.png"):
        assert len(made.files[name]) > 1000, name
    assert {"summary.csv", "savings_by_change.csv", "assumptions.csv", "comparison.csv"} <= set(made.tables)
    book = load_workbook(io.BytesIO(made.workbook))
    assert book.sheetnames[0] == "Summary"
    by_change = made.tables["savings_by_change.csv"].set_index("step")
    assert by_change.loc["x8_ia_nurse_redirects", "label"] == change_label("x8_ia_nurse_redirects")
    assert (made.tables["assumptions.csv"]["provenance"] != "none").all()

    quick = business_case_files(result, current, redesign, case, rec, rec_path, with_report=False)
    assert set(quick.files) == {"business_case.xlsx"}
