"""Scenario configuration: a locked, validated parameter tree loaded from YAML.

This module gathers, under the name every caller has always imported, what three modules do:

- :mod:`sim.inputs.schema`: the shape of a scenario and the allowed range of every value
  (:class:`Config` and its blocks, the bounds, :class:`Locked`);
- :mod:`sim.inputs.loading`: reading a scenario file, following ``extends:`` and validating it
  (:func:`load_config`, :func:`validate_config`, :func:`read_yaml_mapping`, ``SHIPPED_CONFIGS``);
- :mod:`sim.inputs.errors`: :class:`ConfigError` and its one-line messages
  (:func:`format_validation_error`);

and :func:`apply_overrides`, the command line's ``run`` settings, from :mod:`sim.inputs.overrides`
(which also holds ``--set PATH=VALUE``). Unknown keys, wrong types and out-of-range values are
refused with a one-line message naming the field path and the offending value.
"""

from __future__ import annotations

from .errors import ConfigError, format_validation_error
from .loading import MAX_EXTENDS, SHIPPED_CONFIGS, load_config, read_yaml_mapping, validate_config
from .overrides import apply_overrides
from .schema import (
    MAX_GROWTH,
    MAX_MEAN_PER_DAY,
    MAX_MINUTES,
    MAX_PROFILE,
    MAX_SLOTS_PER_DAY,
    MAX_STAFF,
    MAX_UNIT_COST,
    ArrivalProfile,
    BookingDiary,
    Calibration,
    CareNavigator,
    CarveOut,
    Changes,
    ClinicalNeed,
    Config,
    Days7,
    Demand,
    Disposition,
    Ed,
    Flags7,
    Hour,
    Hours24,
    IaNurse,
    InducedDemand,
    Locked,
    Minutes,
    Multiplier,
    Name,
    Nhs111Demand,
    Nhs111Dispositions,
    NonNegFloat,
    NonNegInt,
    OverflowChoice,
    OverflowDemand,
    PatientCriteria,
    Prob,
    Reception,
    Redirection,
    RunConfig,
    SdaConsultation,
    Shares,
    SlotDiaries,
    SlotDiary,
    StaffCount,
    UnitCost,
    UnitCosts,
    Utc,
    WalkInDemand,
    Week7,
    Weekly,
    WeeklyCount,
    Window,
)

__all__ = [
    "MAX_EXTENDS", "MAX_GROWTH", "MAX_MEAN_PER_DAY", "MAX_MINUTES", "MAX_PROFILE", "MAX_SLOTS_PER_DAY",
    "MAX_STAFF", "MAX_UNIT_COST", "SHIPPED_CONFIGS",
    "ArrivalProfile", "BookingDiary", "Calibration", "CareNavigator", "CarveOut", "Changes", "ClinicalNeed",
    "Config", "ConfigError", "Days7", "Demand", "Disposition", "Ed", "Flags7", "Hour", "Hours24", "IaNurse",
    "InducedDemand", "Locked", "Minutes", "Multiplier", "Name", "Nhs111Demand", "Nhs111Dispositions",
    "NonNegFloat", "NonNegInt", "OverflowChoice", "OverflowDemand", "PatientCriteria", "Prob", "Reception",
    "Redirection", "RunConfig", "SdaConsultation", "Shares", "SlotDiaries", "SlotDiary", "StaffCount",
    "UnitCost", "UnitCosts", "Utc", "WalkInDemand", "Week7", "Weekly", "WeeklyCount", "Window",
    "apply_overrides", "format_validation_error", "load_config", "read_yaml_mapping", "validate_config",
]
