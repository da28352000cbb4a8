"""Changes made on the command line to a loaded scenario, each re-validated like a config.

- :func:`apply_overrides`: the ``run`` settings of ``--reps``, ``--days``, ``--warmup-days`` and ``--seed``;
- :func:`set_parameters`: ``--set PATH=VALUE`` for any parameter, addressed by its dotted path in the
  config (``patients.sda_eligible``; a list position as a number, ``utc.clinicians.0``), the value
  read as YAML with the bounds of a config file and set through the parameter space
  (:mod:`sim.inputs.parameters`), as sweeps set theirs.
"""

from __future__ import annotations

from typing import Any

import yaml

from .errors import ConfigError
from .loading import validate_config
from .schema import Config
from .yaml_reader import describe, load_value, yaml_problem


def apply_overrides(cfg: Config, *, source: str = "command line", **run_overrides) -> Config:
    """Return a copy with ``run`` fields replaced (``None`` values are ignored), re-validated.

    ``source`` names where the overrides came from in an error message.
    """
    changes = {k: v for k, v in run_overrides.items() if v is not None}
    if not changes:
        return cfg
    data = cfg.model_dump()
    data["run"].update(changes)
    return validate_config(data, source)


def set_parameters(cfg: Config, assignments: list[str], source: str = "--set") -> Config:
    """``cfg`` with ``PATH=VALUE`` assignments applied (values read as YAML), validated like a config.

    ``set_parameters(cfg, ["utc.clinicians.0=4", "patients.sda_eligible=0.75"])``; the values are set
    through the parameter space, so one number sets every day of a list such as slots a day.
    """
    if not assignments:
        return cfg
    values: dict[str, Any] = {}
    for text in assignments:
        dotted, sep, raw = text.partition("=")
        dotted = dotted.strip()
        if not sep or not dotted:
            raise ConfigError(f"{source} {describe(text)}: give PATH=VALUE, e.g. patients.sda_eligible=0.75")
        try:  # read with the bounds of a config file (size, nesting, digits)
            value = load_value(raw) if raw.strip() else None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{source} {describe(dotted)}: the value is refused ({yaml_problem(exc)})") from None
        values.pop(dotted, None)  # a path given twice: the last one wins, in its place
        values[dotted] = value
    from .parameters import ParameterSpace  # when --set is given: the parameter space is built then

    return ParameterSpace([]).apply(cfg, values, source)
