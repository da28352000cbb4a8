"""Where every parameter comes from, as data: the provenance registry.

``configs/provenance.yaml`` gives each default parameter, by its dotted path, a
provenance tag, a unit and a note::

    patients.sda_eligible:
      tag: paper
      unit: share
      note: caseload review of 50 UTC cases (95% CI ~0.69-0.90)

An entry may also give a ``distribution:`` (a spec as in
``sim/inputs/distributions.py``, or ``beta`` / ``gamma``): what is believed of the
value, drawn by probabilistic sensitivity analysis and calibration
(``sim/inputs/parameters.py``).

Tags: ``paper`` (the Board paper), ``public`` (public NHS statistics),
``assumed`` (a placeholder to replace with local data), ``calibrated`` (an
assumed value tuned so the current pathway matches public figures). Business
case inputs (``configs/business_case.yaml``) are keyed ``business_case.<path>``.

``parameter_table`` lists every parameter of a scenario with its value, unit,
provenance and note; a value the scenario sets away from the default is shown
as set by that scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import ConfigError
from .loading import read_yaml_mapping
from .distributions import Prior

if TYPE_CHECKING:  # imported where the table is made, so --set keeps pandas off a run's start
    import pandas as pd

REGISTRY_FILE = Path(__file__).resolve().parents[2] / "configs" / "provenance.yaml"
TAGS = ("paper", "public", "assumed", "calibrated")
SKIPPED = ("name", "description")
"""Top-level keys that name a scenario rather than set a parameter."""


class Provenance(BaseModel):
    """One parameter's provenance: tag, unit and a short note on its source."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tag: Literal["paper", "public", "assumed", "calibrated"]
    unit: str
    note: str = ""
    distribution: Prior | None = None
    """What is believed of the value (optional): drawn by PSA and calibration."""


def load_registry(path: str | Path = REGISTRY_FILE) -> dict[str, Provenance]:
    """The registry as ``{dotted path: Provenance}``; a one-line ``ConfigError`` if an entry is bad."""
    data = read_yaml_mapping(Path(path), "provenance registry")
    registry = {}
    for key, entry in data.items():
        try:
            registry[str(key)] = Provenance.model_validate(entry)
        except ValidationError as err:
            first = err.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            raise ConfigError(f"{path}: {key}.{field}: {first['msg']}") from None
    return registry


def is_leaf(value: Any) -> bool:
    """A parameter: anything but a mapping, or a distribution (a mapping with ``dist``)."""
    return not isinstance(value, dict) or "dist" in value


def leaves(data: dict, prefix: str = "", whole: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every parameter of a nested mapping as ``{dotted path: value}``, in file order.

    An optional parameter left unset (``None``) is not listed; a mapping whose path is in
    ``whole`` counts as one parameter.
    """
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if (not prefix and key in SKIPPED) or value is None:
            continue
        if is_leaf(value) or path in whole:
            out[path] = value
        else:
            out.update(leaves(value, path, whole))
    return out


def registry_gaps(paths, registry: dict[str, Provenance], prefix: str = "") -> tuple[list[str], list[str]]:
    """Parameters without an entry, and entries (under ``prefix``) naming no parameter."""
    paths = list(paths)
    missing = [p for p in paths if p not in registry]
    known = set(paths)
    stale = [k for k in registry if k.startswith(prefix) and k not in known]
    return missing, stale


def _shown(value: Any) -> str:
    """A value as one short line of text (lists and distributions in flow style)."""
    if isinstance(value, (dict, list)):
        return yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return str(value)


def parameter_table(
    data: dict,
    defaults: dict,
    registry: dict[str, Provenance],
    scenario: str,
    prefix: str = "",
    whole: tuple[str, ...] = (),
) -> pd.DataFrame:
    """Every parameter with ``path, value, unit, provenance, note``.

    Parameters
    ----------
    data : dict
        The scenario's resolved parameters (``Config.model_dump()``, say).
    defaults : dict
        The defaults the registry describes (``configs/base.yaml`` resolved).
    registry : dict
        From ``load_registry``.
    scenario : str
        Name shown for a value the scenario sets away from its default.
    prefix : str
        Prepended to every path (``business_case.``).
    whole : tuple of str
        Paths of mappings listed as one parameter.
    """
    base = leaves(defaults, whole=whole)
    rows = []
    for path, value in leaves(data, whole=whole).items():
        entry = registry.get(prefix + path)
        row = {
            "path": prefix + path,
            "value": _shown(value),
            "unit": entry.unit if entry else "",
            "provenance": entry.tag if entry else "none",
            "note": entry.note if entry else "no entry in the provenance registry",
        }
        if path in base and base[path] != value:
            row["note"] = f"set by scenario {scenario}; default {_shown(base[path])} [{row['provenance']}]"
            row["provenance"] = f"scenario {scenario}"
        elif path not in base and entry is None:
            row["note"] = f"set by scenario {scenario}; no default"
            row["provenance"] = f"scenario {scenario}"
        rows.append(row)
    import pandas as pd

    return pd.DataFrame(rows, columns=["path", "value", "unit", "provenance", "note"])
