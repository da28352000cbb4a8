"""The model's figures against the paper's and public ones: where it agrees, and where it does not.

The targets are data (``configs/targets.yaml``, read by
:func:`sim.inputs.targets.load_targets`): each names a published figure, where
it comes from, the range the model's figure should fall in, and which KPI of
which run it is compared with (``current``, ``redesign`` and
``redesign_without_x6``, paired on the same patients). The current-pathway
targets are those the defaults were calibrated to; the redesign targets are the
paper's estimates, which the model is not tuned to and may miss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..inputs.config import Config
from ..inputs.parameters import ParameterSpace
from ..inputs.targets import Target, load_targets
from ..analysis.output_analysis import t_interval

Tables = dict[str, pd.DataFrame]


def validation_targets() -> tuple[Target, ...]:
    """The targets ``run_sim.py validate`` checks, from ``configs/targets.yaml``."""
    return tuple(load_targets(use="validation"))


def validation_runs(current: Config, redesign: Config) -> dict[str, Config]:
    """The scenarios the targets read from, all on the current config's run settings."""
    redesign = redesign.model_copy(update={"run": current.run})
    x6 = "changes.x6_comprehensive_sda_consultation"
    without_x6 = ParameterSpace([x6]).apply(redesign, {x6: False}, "validation: the redesign without X6")
    return {"current": current, "redesign": redesign, "redesign_without_x6": without_x6}


def validate(tables: Tables, targets: Sequence[Target] | None = None) -> pd.DataFrame:
    """One row per target: the model's mean and 95% interval against the published figure and range.

    ``targets`` defaults to :func:`validation_targets`. ``within`` says whether
    the model's mean falls in ``[low, high]``.
    """
    targets = validation_targets() if targets is None else targets
    rows = []
    for target in targets:
        values = target.measure(tables).to_numpy(dtype=float)
        mean, ci_low, ci_high, n = t_interval(values[np.isfinite(values)])
        rows.append(
            {
                "target": target.label or target.name,
                "published": target.published,
                "source": target.source,
                "range_low": target.low,
                "range_high": target.high,
                "model_mean": mean,
                "model_ci_low": ci_low,
                "model_ci_high": ci_high,
                "n_reps": n,
                "within": target.within(mean),
            }
        )
    return pd.DataFrame(rows)
