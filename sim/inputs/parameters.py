"""The parameter space: one object per model parameter, and one way to set values in a config.

A :class:`Parameter` is addressed by its dotted path in the config, as sweeps
address it (``patients.sda_eligible``, ``unit_costs_gbp.utc_attendance``; a
list position as a number, ``utc.clinicians.11``). Its kind and bounds are read
from the config schema (``sim/inputs/schema.py``), its provenance and optional
distribution from the provenance registry (``configs/provenance.yaml``)::

    >>> parameter("patients.sda_eligible").upper
    1.0

A :class:`ParameterSpace` is a set of parameters with one way to apply values
(:meth:`ParameterSpace.apply`, a new validated config) and one way to draw
them (:meth:`ParameterSpace.sample`). Sweeps, switching values, calibration,
probabilistic sensitivity analysis and a capacity planner all set parameters
through it, so a list-valued parameter (slots a day, Mon-Sun) is treated one
way everywhere: a list sets the whole list, a single number sets every day.
"""

from __future__ import annotations

import copy
import math
import types
import typing
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal

import annotated_types
import numpy as np
from pydantic import BaseModel, TypeAdapter

from .errors import ConfigError
from .loading import validate_config
from .schema import Config
from .distributions import Prior
from .yaml_reader import describe

KINDS = ("float", "int", "bool", "list", "str", "mapping")
"""What a parameter holds; ``mapping`` is a block set whole (a distribution of task times, say)."""
METHODS = ("lhs", "random", "sobol")
"""Ways to draw points: Latin hypercube, independent draws per parameter, Saltelli's design for Sobol indices."""
SAMPLE_STREAM_TAG = zlib.crc32(b"sweep sample")
"""Part of every input stream's seed (``stream_key("sweep sample")``), so input draws never share a
seed with a simulation stream."""
PRIOR = TypeAdapter(Prior)


class ParameterError(ConfigError, ValueError):
    """A value a parameter cannot take, or a path that names no parameter (one line)."""


@dataclass(frozen=True)
class Parameter:
    """One model parameter: where it lives in the config, what it holds, its bounds and provenance.

    ``kind`` is one of :data:`KINDS`; ``lower`` and ``upper`` are the schema's
    bounds on the value (on each element of a list), ``None`` if unbounded,
    excluded when ``lower_open`` / ``upper_open``. ``scalar_ok``: a list-valued
    parameter that also takes one number for all week (a rota). ``nullable``:
    ``None`` is allowed (set from elsewhere, e.g. from ``calibration``).
    """

    path: str
    kind: str
    lower: float | None
    upper: float | None
    distribution: Any | None
    provenance: str | None
    label: str
    whole: bool = False
    """Numbers are whole (a count, slots a day)."""
    lower_open: bool = False
    upper_open: bool = False
    nullable: bool = False
    scalar_ok: bool = False
    unit: str = ""

    def _number(self, value: Any) -> float | int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ParameterError(f"{self.path} = {describe(value)}: must be a number")
        if self.whole and isinstance(value, float):
            if not value.is_integer():
                raise ParameterError(f"{self.path} = {describe(value)}: must be a whole number")
            value = int(value)
        if self.lower is not None and (value < self.lower or (self.lower_open and value == self.lower)):
            word = "above" if self.lower_open else "at least"
            raise ParameterError(f"{self.path} = {describe(value)}: must be {word} {self.lower:g}")
        if self.upper is not None and (value > self.upper or (self.upper_open and value == self.upper)):
            word = "below" if self.upper_open else "at most"
            raise ParameterError(f"{self.path} = {describe(value)}: must be {word} {self.upper:g}")
        return value

    def check(self, value: Any) -> Any:
        """The value, if the parameter can take it; else a one-line ``ParameterError`` naming path and value.

        A whole-number parameter given a float with no fraction (``3.0``) returns the int.
        """
        if value is None:
            if self.nullable:
                return None
            raise ParameterError(f"{self.path} = null: must be given")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ParameterError(f"{self.path} = {describe(value)}: must be true or false")
            return value
        if self.kind == "str":
            if not isinstance(value, str):
                raise ParameterError(f"{self.path} = {describe(value)}: must be text")
            return value
        if self.kind == "mapping":
            if not isinstance(value, dict):
                raise ParameterError(f"{self.path} = {describe(value)}: must be a mapping")
            return value
        if self.kind == "list":
            if isinstance(value, list):
                return [self._checked_item(v) for v in value]
            return self._number(value)  # one number: every element (or all week)
        return self._number(value)

    def _checked_item(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self._checked_item(v) for v in value]
        return self._number(value)


# ------------------------------------------------------ reading the schema ----
def _strip(tp: Any) -> tuple[Any, list]:
    """``tp`` without ``Annotated``, and the metadata it carried."""
    meta: list = []
    while typing.get_origin(tp) is typing.Annotated:
        meta += list(tp.__metadata__)
        tp = tp.__origin__
    return tp, meta


def _branches(tp: Any, meta: list) -> list[tuple[Any, list]]:
    """The alternatives of a (possibly optional, possibly union) type, each with its metadata."""
    tp, more = _strip(tp)
    meta = meta + more
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        out = []
        for arg in typing.get_args(tp):
            out += _branches(arg, meta)
        return out
    return [(tp, meta)]


def _constraints(meta: list) -> dict[str, float]:
    """Bounds from pydantic ``Field`` metadata (``ge, gt, le, lt``), nested ``FieldInfo`` included."""
    found: dict[str, float] = {}
    for item in meta:
        inner = getattr(item, "metadata", None)
        if isinstance(inner, list):
            found.update(_constraints(inner))
        for name, cls in (
            ("ge", annotated_types.Ge),
            ("gt", annotated_types.Gt),
            ("le", annotated_types.Le),
            ("lt", annotated_types.Lt),
        ):
            if isinstance(item, cls):
                found[name] = float(getattr(item, name))
    return found


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _leaf(path: str, branches: list[tuple[Any, list]]) -> dict[str, Any]:
    """Kind, bounds and flags of a parameter whose type has the given alternatives."""
    nullable = any(tp is type(None) for tp, _ in branches)
    branches = [(tp, meta) for tp, meta in branches if tp is not type(None)]
    lists = [(tp, meta) for tp, meta in branches if typing.get_origin(tp) is list]
    scalars = [(tp, meta) for tp, meta in branches if typing.get_origin(tp) is not list]
    numbers: list[tuple[Any, list]] = list(scalars)
    todo = list(lists)
    while todo:  # the elements of (lists of) lists
        tp, _ = todo.pop()
        for inner, inner_meta in _branches(typing.get_args(tp)[0], []):
            (todo if typing.get_origin(inner) is list else numbers).append((inner, inner_meta))
    info: dict[str, Any] = {"nullable": nullable, "scalar_ok": bool(lists and scalars)}
    kinds = {tp for tp, _ in numbers}
    if lists:
        info["kind"] = "list"
    elif kinds == {bool}:
        info["kind"] = "bool"
    elif kinds == {int}:
        info["kind"] = "int"
    elif kinds and kinds <= {int, float}:
        info["kind"] = "float"
    elif kinds == {str} or all(typing.get_origin(tp) is Literal for tp in kinds):
        info["kind"] = "str"
    else:
        info["kind"] = "mapping"
    info["whole"] = bool(kinds) and kinds == {int}
    if kinds and kinds <= {int, float}:
        bounds = _constraints([m for _, meta in numbers for m in meta])
        info["lower"] = bounds.get("ge", bounds.get("gt"))
        info["upper"] = bounds.get("le", bounds.get("lt"))
        info["lower_open"] = "gt" in bounds and "ge" not in bounds
        info["upper_open"] = "lt" in bounds and "le" not in bounds
    return info


def _resolve(path: str) -> dict[str, Any]:
    """Walk the ``Config`` schema along ``path``; a one-line ``ParameterError`` if it names nothing."""
    keys = path.split(".")
    branches: list[tuple[Any, list]] = [(Config, [])]
    for depth, key in enumerate(keys):
        following: list[tuple[Any, list]] = []
        for tp, _meta in branches:
            if key.isdigit() and typing.get_origin(tp) is list:
                following += _branches(typing.get_args(tp)[0], [])
            elif _is_model(tp) and key in tp.model_fields and not (tp is Config and key in ("name", "description")):
                field = tp.model_fields[key]
                following += _branches(field.annotation, list(field.metadata))
        if not following:
            missing = ".".join(keys[: depth + 1])
            where = "" if missing == path else f" ({_shown(missing)} is not in the config)"
            raise ParameterError(f"{_shown(path)}: no such parameter{where}")
        branches = following
    if any(_is_model(tp) for tp, _ in branches):
        return {"kind": "mapping", "nullable": any(tp is type(None) for tp, _ in branches)}
    if keys[-1].isdigit() and any(typing.get_origin(tp) is not list for tp, _ in branches):
        # one position of a rota given as one list (24 hours), not as a day of 7 x 24
        branches = [(tp, meta) for tp, meta in branches if typing.get_origin(tp) is not list]
    return _leaf(path, branches)


def _registry_entry(path: str):
    registry = _cached_registry()
    keys = path.split(".")
    while keys:  # a list position (utc.clinicians.11) takes its list's entry
        entry = registry.get(".".join(keys))
        if entry is not None:
            return entry
        keys = keys[:-1] if keys[-1].isdigit() else []
    return None


@lru_cache(maxsize=1)
def _cached_registry():
    from .provenance import (
        load_registry,  # provenance reads this stage's config module too
    )

    return load_registry()


def _label(path: str, unit: str) -> str:
    keys = [k for k in path.split(".") if not k.isdigit()]
    words = " ".join(keys[-2:]).replace("_", " ")
    positions = [k for k in path.split(".") if k.isdigit()]
    if positions:
        words += f" [{', '.join(positions)}]"
    return f"{words} ({unit})" if unit else words


def field_parameter(block: type[BaseModel], field: str) -> Parameter:
    """One field of a config block (``PatientCriteria``, ``"sda_eligible"``): its kind and bounds.

    For a block met in many places (a slot diary, a distribution), where no one
    config path names it; the path is ``Block.field`` and there is no provenance.
    """
    if not _is_model(block) or field not in block.model_fields:
        raise ParameterError(f"{getattr(block, '__name__', block)}.{field}: no such field")
    info = block.model_fields[field]
    found = _branches(info.annotation, list(info.metadata))
    path = f"{block.__name__}.{field}"
    resolved = {"kind": "mapping"} if any(_is_model(tp) for tp, _ in found) else _leaf(path, found)
    return Parameter(
        path=path,
        kind=resolved["kind"],
        lower=resolved.get("lower"),
        upper=resolved.get("upper"),
        distribution=None,
        provenance=None,
        label=_label(path, ""),
        whole=resolved.get("whole", False),
        lower_open=resolved.get("lower_open", False),
        upper_open=resolved.get("upper_open", False),
        nullable=resolved.get("nullable", False),
        scalar_ok=resolved.get("scalar_ok", False),
    )


@lru_cache(maxsize=512)
def parameter(path: str) -> Parameter:
    """One parameter, read from the ``Config`` schema and the provenance registry.

    Raises a one-line ``ParameterError`` if ``path`` names no parameter.
    """
    if not isinstance(path, str) or not path:
        raise ParameterError(f"parameter path = {describe(path)}: give a dotted config path")
    info = _resolve(path)
    entry = _registry_entry(path)
    unit = entry.unit if entry is not None else ""
    return Parameter(
        path=path,
        kind=info["kind"],
        lower=info.get("lower"),
        upper=info.get("upper"),
        distribution=entry.distribution if entry is not None else None,
        provenance=entry.tag if entry is not None else None,
        label=_label(path, unit),
        whole=info.get("whole", False),
        lower_open=info.get("lower_open", False),
        upper_open=info.get("upper_open", False),
        nullable=info.get("nullable", False),
        scalar_ok=info.get("scalar_ok", False),
        unit=unit,
    )


# --------------------------------------------------------- setting values ----
def get_value(data: Mapping, path: str) -> Any:
    """The value at a dotted path of a config mapping (``cfg.model_dump()``); ``KeyError`` if absent."""
    node: Any = data
    for key in path.split("."):
        if isinstance(node, list) and key.isdigit() and len(key) < 10 and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise KeyError(path)
    return node


def set_value(data: dict, path: str, value: Any, source: str, prefix: str = "") -> None:
    """Set a dotted path (list positions as numbers) in a config mapping; refuse a path it does not have."""
    keys = path.split(".")
    node = data
    for depth, key in enumerate(keys):
        last = depth == len(keys) - 1
        if isinstance(node, dict) and key in node:
            if last:
                node[key] = copy.deepcopy(value)
            else:
                node = node[key]
        elif isinstance(node, list) and key.isdigit() and len(key) < 10 and int(key) < len(node):
            if last:
                node[int(key)] = copy.deepcopy(value)
            else:
                node = node[int(key)]
        else:
            missing = ".".join(keys[: depth + 1])
            where = "" if missing == path else f" ({_shown(missing)} is not in the config)"
            raise ParameterError(f"{source}: {prefix}{_shown(path)}: no such parameter{where}")


def _shown(path: str) -> str:
    """A path as an error message shows it: whole up to 120 characters, else described."""
    return path if len(path) <= 120 else describe(path)


def _rounded(value: Any) -> Any:
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        return int(round(value))
    return value


def _fill(old: list, value: Any, whole: bool) -> list:
    """A list shaped like ``old`` with ``value`` in every element (``whole``: as a whole number)."""
    return [_fill(x, value, whole) if isinstance(x, list) else (int(round(value)) if whole else value) for x in old]


class ParameterSpace:
    """A set of parameters, with one way to set them in a config and one way to draw them.

    Parameters
    ----------
    parameters : sequence of Parameter or str
        The parameters, or their dotted paths (read with :func:`parameter`).
    """

    def __init__(self, parameters: Sequence[Parameter | str]):
        resolved = [p if isinstance(p, Parameter) else parameter(p) for p in parameters]
        self.parameters: list[Parameter] = resolved
        self.names: list[str] = [p.path for p in resolved]
        if len(set(self.names)) != len(self.names):
            repeated = sorted({n for n in self.names if self.names.count(n) > 1})
            raise ParameterError(f"parameter space: {repeated[0]} given more than once")
        self._by_path = {p.path: p for p in resolved}

    def __len__(self) -> int:
        return len(self.parameters)

    def __iter__(self):
        return iter(self.parameters)

    def __getitem__(self, path: str) -> Parameter:
        return self._by_path[path]

    def with_distributions(self, distributions: Mapping[str, Any]) -> ParameterSpace:
        """The same space with the given distributions (specs or mappings) in place of the registry's."""
        return ParameterSpace(
            [
                replace(p, distribution=PRIOR.validate_python(distributions[p.path])) if p.path in distributions else p
                for p in self.parameters
            ]
        )

    def values(self, cfg: Config) -> dict[str, Any]:
        """Each parameter's value in ``cfg``."""
        data = cfg.model_dump()
        return {p.path: get_value(data, p.path) for p in self.parameters}

    def apply(
        self,
        cfg: Config,
        values: Mapping[str, Any],
        source: str = "values",
        *,
        rounding: bool = False,
        prefix: str = "",
    ) -> Config:
        """A new validated ``Config`` with ``values`` set, by dotted path.

        A list sets a list-valued parameter whole; one number sets every element
        (every day of slots a day), unless the parameter also takes one number
        for all week (a rota), which is then set as given. With ``rounding``, a
        float set where the config holds a whole number is rounded to the nearest.
        A path outside the space is read from the schema. Bad values give a one-line
        ``ConfigError`` naming ``source``, the path and the value (``prefix`` is
        written before the path: ``vary.``).
        """
        data = cfg.model_dump()
        for path, value in values.items():
            param = self._by_path.get(path)
            if param is None:
                try:
                    param = parameter(path)
                except ParameterError:
                    param = None  # set_value says which part of the path is not in the config
            try:
                old = get_value(data, path)
            except KeyError:
                old = None
            if rounding and param is not None and param.whole:
                value = _rounded(value)
            if (
                isinstance(old, list)
                and not isinstance(value, (list, dict, type(None)))
                and param is not None
                and not param.scalar_ok
            ):
                whole = (
                    param.whole
                    and isinstance(value, (int, float))
                    and not isinstance(value, bool)
                    and (rounding or float(value).is_integer())
                )
                value = _fill(old, value, whole)
            set_value(data, path, value, source, prefix)
        return validate_config(data, source)

    def sample(self, n: int, seed: int, method: str = "lhs") -> list[dict[str, Any]]:
        """``n`` points drawn from each parameter's distribution, reproducible by ``seed``.

        ``lhs``: a Latin hypercube (each parameter's range cut into ``n`` equally
        likely strata, one draw in each). ``random``: independent draws, each
        parameter from its own stream seeded by ``seed`` and its path, so adding
        a parameter leaves the others' draws unchanged. ``sobol``: Saltelli's
        design, ``n * (parameters + 2)`` points (``n`` a power of two). Whole-number
        parameters are rounded. A parameter without a distribution is drawn
        uniformly between its bounds; one with neither is refused.
        """
        if method not in METHODS:
            raise ParameterError(f"sample method = {describe(method)}: use one of {', '.join(METHODS)}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ParameterError(f"sample n = {describe(n)}: must be a whole number of at least 1")
        dists = {}
        for p in self.parameters:
            if p.distribution is not None:
                dists[p.path] = (
                    PRIOR.validate_python(p.distribution) if isinstance(p.distribution, dict) else p.distribution
                )
            elif p.lower is not None and p.upper is not None and p.kind in ("float", "int", "list"):
                dists[p.path] = PRIOR.validate_python({"dist": "uniform", "low": p.lower, "high": p.upper})
            else:
                raise ParameterError(
                    f"{p.path}: no distribution to draw from (give one in configs/provenance.yaml or to the sweep)"
                )
        points = draw(dists, n, seed, method)
        for point in points:
            for path, value in point.items():
                if self._by_path[path].whole:
                    point[path] = int(round(value))
        return points


def unit_design(d: int, n: int, seed: int, method: str) -> np.ndarray:
    """Points on the unit cube, one row per point (``lhs`` or ``sobol``)."""
    if method == "lhs":
        from scipy.stats import qmc

        rng = np.random.default_rng(_design_seed(seed, "latin hypercube"))
        return qmc.LatinHypercube(d=d, seed=rng).random(n)
    from SALib.sample import sobol as sobol_sample  # heavy: only for this design

    salib_seed = int(_design_seed(seed, "sobol").generate_state(1)[0])
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    return sobol_sample.sample(problem, n, calc_second_order=False, seed=salib_seed)


def _design_seed(seed: int, design: str) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, SAMPLE_STREAM_TAG, zlib.crc32(design.encode("utf-8"))])


def draw(distributions: Mapping[str, Any], n: int, seed: int, method: str = "lhs") -> list[dict[str, Any]]:
    """``n`` points (``n * (d + 2)`` for ``sobol``) from named distributions, as ``[{name: value}]``.

    The draws sweeps have always made: ``random`` seeds each name's own stream
    from ``(seed, name)``; ``lhs`` and ``sobol`` map a unit-cube design through
    each distribution's quantile function.
    """
    from .distributions import quantile

    names = list(distributions)
    if method == "random":
        columns = {}
        for name in names:
            rng = np.random.default_rng(
                np.random.SeedSequence([seed, SAMPLE_STREAM_TAG, zlib.crc32(name.encode("utf-8"))])
            )
            columns[name] = distributions[name].sample(rng, n).tolist()
        return [{name: columns[name][i] for name in names} for i in range(n)]
    unit = unit_design(len(names), n, seed, method)
    columns = {name: quantile(distributions[name], unit[:, j]).tolist() for j, name in enumerate(names)}
    return [{name: columns[name][i] for name in names} for i in range(unit.shape[0])]
