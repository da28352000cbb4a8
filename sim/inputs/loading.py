"""Reading scenario files: YAML read with bounds, ``extends:`` chains merged, the result validated.

A config may start with ``extends: other.yaml`` (a path relative to itself); its keys are then
merged, recursively, over the parent's (a distribution, a mapping with ``dist``, is replaced whole).
Every problem is a one-line :class:`~sim.inputs.errors.ConfigError` naming the file.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from .errors import ConfigError, format_validation_error
from .schema import Config
from .yaml_reader import YamlRefused, describe, load_bounded, read_bounded_text, yaml_problem

SHIPPED_CONFIGS = Path(__file__).resolve().parents[2] / "configs"
"""The configs shipped with the package (``base.yaml``, ``current.yaml``, ...), found from this file,
so they are found whatever the working folder."""


def _merge(base: dict, over: dict) -> dict:
    """``over`` merged into ``base``; a distribution (a mapping with ``dist``) is replaced whole."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and "dist" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def read_yaml_mapping(path: Path, kind: str = "config") -> dict:
    """A YAML file's top-level mapping; a one-line ``ConfigError`` if it is missing or unreadable."""
    path = Path(path)
    try:
        if not path.is_file():
            raise ConfigError(f"{path}: {kind} file not found")
        text = read_bounded_text(path)
    except YamlRefused as exc:
        raise ConfigError(f"{path}: {exc.problem}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    try:
        data = load_bounded(text)
    except YamlRefused as exc:
        where = f" line {exc.problem_mark.line + 1}:" if exc.problem_mark is not None else ""
        raise ConfigError(f"{path}:{where} {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {yaml_problem(exc)}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping, got {type(data).__name__}")
    return data


MAX_EXTENDS = 10
"""Longest chain of ``extends:`` files (the shipped configs use one)."""


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    path = Path(path)
    if path.is_file() and path.resolve() in seen:
        raise ConfigError(f"{path}: extends itself in a loop")
    if len(seen) > MAX_EXTENDS:
        raise ConfigError(f"{path}: more than {MAX_EXTENDS} config files chained by extends")
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ConfigError(f"{path}: extends = {describe(parent)}: must be a file name")
    parent_data = _read_yaml(path.parent / parent, seen + (path.resolve(),))
    return _merge(parent_data, data)


def validate_config(data: dict, source: str = "config") -> Config:
    """Validate a plain mapping into a ``Config``, raising ``ConfigError`` on failure."""
    try:
        return Config.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(source, err, data)) from None


def load_config(path: str | Path) -> Config:
    """Read a YAML scenario (following ``extends``) and validate it."""
    data = _read_yaml(Path(path))
    return validate_config(data, str(path))
