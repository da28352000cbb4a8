"""Back test: the model reproduces its stored results exactly.

A change that alters numbers must regenerate ``golden_kpis.json`` with
``python -m tests.back.make_golden`` in the same commit, and show in a test that
the KPIs are statistically unchanged if it was meant to be a pure optimisation.
"""

import json
import math

from .make_golden import GOLDEN, golden_runs


def test_results_match_golden_file():
    stored = json.loads(GOLDEN.read_text())
    fresh = golden_runs()
    assert set(stored) == set(fresh)
    for name in stored:
        for rep, (old, new) in enumerate(zip(stored[name], fresh[name], strict=True)):
            assert set(old) == set(new), (name, rep, set(old) ^ set(new))
            for kpi, value in old.items():
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    assert new[kpi] is None or math.isnan(new[kpi]), (name, rep, kpi)
                else:
                    assert math.isclose(new[kpi], value, rel_tol=1e-9, abs_tol=1e-9), (name, rep, kpi, value, new[kpi])
