"""Regenerate the golden results: ``python -m tests.back.make_golden``.

Do this only in a commit that deliberately changes how random numbers are
drawn or what the model does, and say so in the commit message.
"""

import json
from pathlib import Path

from sim.inputs.config import load_config
from sim.experiments.runner import run_replications

from ..conftest import CONFIGS, tweak

GOLDEN = Path(__file__).with_name("golden_kpis.json")


def golden_runs() -> dict:
    results = {}
    for name in ("current", "redesign"):
        cfg = tweak(
            load_config(CONFIGS / f"{name}.yaml"),
            run__days=14,
            run__warmup_days=2,
            run__replications=2,
            run__seed=12345,
        )
        results[name] = [r.kpis for r in run_replications(cfg, progress=False)]
    return results


if __name__ == "__main__":
    GOLDEN.write_text(json.dumps(golden_runs(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
