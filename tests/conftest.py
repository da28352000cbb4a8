"""Shared fixtures: the shipped configs and a helper to vary them by dotted path."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from sim.inputs.config import Config, load_config, validate_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"


def tweak(cfg: Config, **changes) -> Config:
    """A copy of ``cfg`` with dotted-path fields replaced (``__`` stands for ``.``).

    ``tweak(cfg, run__days=7, utc__clinicians=3)``
    """
    data = copy.deepcopy(cfg.model_dump())
    for dotted, value in changes.items():
        keys = dotted.split("__")
        node = data
        for key in keys[:-1]:
            node = node[key]
        if keys[-1] not in node:
            raise KeyError(dotted)
        node[keys[-1]] = value
    return validate_config(data, "test")


@pytest.fixture(scope="session")
def current_cfg() -> Config:
    return load_config(CONFIGS / "current.yaml")


@pytest.fixture(scope="session")
def redesign_cfg() -> Config:
    return load_config(CONFIGS / "redesign.yaml")


@pytest.fixture(scope="session")
def small_current(current_cfg) -> Config:
    """Current pathway, two short replications."""
    return tweak(current_cfg, run__days=14, run__warmup_days=2, run__replications=2)


@pytest.fixture(scope="session")
def small_redesign(redesign_cfg) -> Config:
    return tweak(redesign_cfg, run__days=14, run__warmup_days=2, run__replications=2)
