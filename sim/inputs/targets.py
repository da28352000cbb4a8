"""Published figures the model is checked against and tuned to, as data: ``configs/targets.yaml``.

Each :class:`Target` names a KPI, the run it is read from, the published
figure, the range the model's mean should fall in, its source and what it is
used for (``validation``: ``run_sim.py validate``; ``calibration``: the figures
the current pathway's [calibrated] defaults are tuned to)::

    utc_4h:
      label: "current: UTC seen within 4 hours, %"
      arm: current
      kpi: utc_within_4h_pct
      value: 77.0
      low: 72.0
      high: 82.0
      source: "[public] UTC 4-hour performance (calibrated)"
      provenance: public
      use: [validation, calibration]

``arm`` is the run read (``current``, ``redesign``, ``redesign_without_x6``)
or ``saving``: the KPI in ``baseline`` (``current``) less the KPI in
``scenario`` (``redesign``). ``per`` divides by another KPI of the same run;
``relative_to`` gives the % change from another run. :meth:`Target.measure`
reads the model's figure for each replication from the runs' KPI tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .config import ConfigError, read_yaml_mapping

TARGETS_FILE = Path(__file__).resolve().parents[2] / "configs" / "targets.yaml"
USES = ("validation", "calibration")
RunName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


@dataclass(frozen=True)
class Target:
    """One published figure, the KPI it is compared with, and the range the model's mean should fall in."""

    name: str
    kpi: str
    arm: str
    value: float
    low: float
    high: float
    source: str
    provenance: str
    use: tuple[str, ...]
    label: str = ""
    """Words for a reader (the name if not given)."""
    published: str = ""
    """The published figure in words (``~30 a day Mon-Sat``)."""
    per: str | None = None
    """Divide by this KPI of the same run (a share)."""
    relative_to: str | None = None
    """Report the % change from this run."""
    baseline: str = "current"
    """With ``arm: saving``, the run the saving is measured from."""
    scenario: str = "redesign"
    """With ``arm: saving``, the run the saving is measured in."""

    @property
    def runs(self) -> tuple[str, ...]:
        """The runs whose KPI tables the target reads."""
        if self.arm == "saving":
            return (self.baseline, self.scenario)
        return (self.arm,) if self.relative_to is None else (self.relative_to, self.arm)

    def within(self, figure: float) -> bool:
        """Whether a figure falls in the accepted range ``[low, high]``."""
        return bool(self.low <= figure <= self.high)

    def measure(self, tables: Mapping[str, pd.DataFrame]) -> pd.Series:
        """The model's figure for each replication (indexed by replication), from each run's KPI table.

        ``tables`` maps a run name (``current``, ...) to its per-replication
        KPIs (a ``replication`` column, one column per KPI).
        """
        for run in self.runs:
            if run not in tables:
                raise KeyError(f"target {self.name}: needs the {run} run's KPIs")

        def kpi(run: str, name: str) -> pd.Series:
            table = tables[run]
            if name not in table.columns:
                raise KeyError(f"target {self.name}: the {run} run has no KPI {name}")
            return table.set_index("replication")[name]

        if self.arm == "saving":
            return -(kpi(self.scenario, self.kpi) - kpi(self.baseline, self.kpi))
        figure = kpi(self.arm, self.kpi)
        if self.per is not None:
            return figure / kpi(self.arm, self.per)
        if self.relative_to is not None:
            return 100.0 * (figure / kpi(self.relative_to, self.kpi) - 1.0)
        return figure


class _Entry(BaseModel):
    """One entry of the targets file, validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    label: str = ""
    arm: RunName
    kpi: Annotated[str, Field(min_length=1)]
    value: float
    low: float
    high: float
    published: str = ""
    source: Annotated[str, Field(min_length=1)]
    provenance: Literal["paper", "public", "assumed"]
    use: Annotated[list[Literal["validation", "calibration"]], Field(min_length=1)]
    per: str | None = None
    relative_to: RunName | None = None
    baseline: RunName = "current"
    scenario: RunName = "redesign"

    @model_validator(mode="after")
    def _consistent(self):
        if self.high < self.low:
            raise ValueError(f"high ({self.high:g}) must be >= low ({self.low:g})")
        if self.per is not None and self.relative_to is not None:
            raise ValueError("give per or relative_to, not both")
        if self.arm == "saving" and (self.per is not None or self.relative_to is not None):
            raise ValueError("a saving takes neither per nor relative_to")
        return self


def load_targets(path: str | Path = TARGETS_FILE, use: str | None = None) -> list[Target]:
    """The targets in a targets file, in file order; only those for ``use`` if given.

    A bad entry is a one-line ``ConfigError`` naming the file, the target and the field.
    """
    if use is not None and use not in USES:
        raise ConfigError(f"targets: use = {use!r}: must be one of {', '.join(USES)}")
    path = Path(path)
    data = read_yaml_mapping(path, "targets")
    targets = []
    for name, entry in data.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {name}: must be a mapping of value, low, high, source, ...")
        try:
            item = _Entry.model_validate(entry)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            where = f"{name}.{field}" if field else str(name)
            raise ConfigError(f"{path}: {where}: {first['msg'].replace('Value error, ', '')}") from None
        fields = item.model_dump()
        fields["use"] = tuple(fields["use"])
        fields["label"] = fields["label"] or str(name)
        targets.append(Target(name=str(name), **fields))
    return [t for t in targets if use is None or use in t.use]
