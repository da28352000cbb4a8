"""Calibration of the unmeasured inputs by history matching: a set of plausible inputs, not one point.

A few inputs of the current pathway have no measurement behind them (today's
redirection propensity and its IA/UTC split, the UTC rota, the practice slots
NHS 111 can book, ...). Each published figure the current pathway should
reproduce (``configs/targets.yaml``, use ``calibration``) comes with a range.
History matching (Craig et al. 1997; Vernon, Goldstein and Bower 2010;
Andrianakis et al. 2015 for stochastic simulators) rules out the inputs at
which the model cannot reproduce every figure, in waves:

1. a space-filling design of input sets (a Latin hypercube, thinned to the
   points farthest apart) inside the region not yet ruled out;
2. every set run for a few replications, all on common random numbers
   (replication *r* of every set sees the same patients), so the
   differences between sets are the inputs' and not the patients';
3. per target, a Gaussian-process emulator of the model's mean figure (with
   each set's own simulation variance as its noise) and a second one of the
   log of that variance, so the emulator says what the model would give, and
   how surely, anywhere in the region without running it;
4. the implausibility of an input set for a target,
   ``|E[f(x)] - z| / sqrt(Var_emulator(x) + Var_sim(x) / R + Var_target)``,
   with ``z`` the middle of the published range and ``Var_target`` such that
   a cut-off of 3 equals the range's half-width: an input set is ruled out
   as soon as one target's implausibility exceeds the cut-off (3, Pukelsheim's
   three-sigma rule). The region shrinks; the next wave refocuses on it.

After the last wave, input sets spread over the region left are run with more
replications; those whose every mean figure falls inside its published range,
allowing two standard errors of that mean for the noise of a few replications
(``FinalSettings.noise_allowance``), are the **plausible set**. The calibrated defaults are its medoid (the member
nearest all the others). The method, its settings and how to read its output
are in ``docs/calibration.md``.

The model is reached only through a ``simulate(rows, replications)``
callable returning the tidy per-replication table of
:func:`sim.experiments.evaluate.evaluate`, so the method is tested on cheap
functions with known answers as well as on the model.
"""

from __future__ import annotations

import copy
import hashlib
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import Field, ValidationError, model_validator

from ..inputs.config import (
    Config,
    ConfigError,
    Locked,
    Name,
    NonNegInt,
    format_validation_error,
    read_yaml_mapping,
)
from ..model.random_streams import stream_key

IMPLAUSIBILITY_CUTOFF = 3.0
"""Pukelsheim's three-sigma rule: any unimodal distribution has 95% of its mass within 3 sd."""
CANDIDATES = 4000
"""Candidate input sets drawn per wave to find the region not yet ruled out."""
REFILL_ROUNDS = 4
"""Times a too-small region is refilled by jittering its members before the design gives up."""
DESIGN_STREAM = stream_key("calibration design")
"""Part of the design's seed, so the design's draws never share a seed with a simulation stream."""

Simulate = Callable[[list[dict[str, float]], int], pd.DataFrame]
"""``simulate(rows, replications)``: the tidy table of :func:`evaluate` for input sets ``rows``."""


# ------------------------------------------------------------------ the spec ----
class InputSpec(Locked):
    """One input to calibrate: a config value, or a multiplier of a list in the config."""

    path: str | None = None
    """Dotted config path (default: the input's name)."""
    low: float
    high: float
    scale: bool = False
    """The input multiplies the list at ``path`` (a rota, slots by day) rather than setting a value."""
    entries: list[int] | None = None
    """With ``scale``: which positions of the list it multiplies (default: all)."""
    label: str = ""

    @model_validator(mode="after")
    def _ordered(self):
        if not self.low < self.high:
            raise ValueError(f"low ({self.low:g}) must be below high ({self.high:g})")
        if self.entries is not None and not self.scale:
            raise ValueError("entries: give it with scale: true only")
        return self


class WaveSettings(Locked):
    points: int = Field(default=30, ge=4, le=2000)
    """Input sets run per wave."""
    replications: int = Field(default=2, ge=2, le=100)
    """Replications of each set (at least 2: the emulator of the variance needs them)."""
    max_waves: int = Field(default=3, ge=1, le=20)
    cutoff: float = Field(default=IMPLAUSIBILITY_CUTOFF, gt=0.0, le=10.0)
    """Implausibility cut-off."""
    stop_when_shrinking_less_than: float = Field(default=0.1, ge=0.0, lt=1.0)
    """Stop refocusing once a wave rules out less than this share of the region left."""
    second_largest_from: int = Field(default=4, ge=2, le=1000)
    """With this many targets or more, rule a set out on its second-largest implausibility
    (Vernon et al. 2010): one emulator's miss does not decide alone."""


class FinalSettings(Locked):
    points: int = Field(default=30, ge=1, le=5000)
    """Input sets from the region left run to decide the plausible set."""
    replications: int = Field(default=4, ge=1, le=1000)
    noise_allowance: float = Field(default=2.0, ge=0.0, le=5.0)
    """Standard errors of a set's mean figure by which the final check widens each range.

    A set is plausible when no target's range is missed by more than this many standard errors of
    the set's mean over its replications (the sample SD over the square root of the count): with a
    few replications a set whose true figure lies within the range misses it by noise alone. 0:
    the mean itself must lie within every range. With one replication there is no standard error
    and the mean itself must lie within."""


class CalibrationRun(Locked):
    days: int | None = Field(default=None, ge=1, le=3660)
    warmup_days: NonNegInt | None = None
    seed: NonNegInt | None = None


class CalibrationSpec(Locked):
    """A calibration file (``configs/calibration.yaml``), validated."""

    name: Name = "calibration"
    description: str = ""
    baseline: str
    """The pathway the targets describe (today's), relative to this file."""
    inputs: dict[str, InputSpec] = Field(min_length=1)
    targets: list[str] | None = None
    """Names of the targets to match (default: every target whose use includes calibration)."""
    run: CalibrationRun = CalibrationRun()
    waves: WaveSettings = WaveSettings()
    final: FinalSettings = FinalSettings()
    budget: int = Field(default=2000, ge=1, le=10_000_000)
    """Most simulator runs (one run = one replication of one input set)."""
    design_seed: NonNegInt = 0


def load_calibration(path: str | Path) -> CalibrationSpec:
    """Read and validate a calibration file (one-line ``ConfigError`` on bad input)."""
    path = Path(path)
    data = read_yaml_mapping(path, "calibration")
    try:
        return CalibrationSpec.model_validate(data)
    except ValidationError as err:
        raise ConfigError(format_validation_error(str(path), err, data)) from None


# ------------------------------------------------------------- the problem ----
@dataclass(frozen=True)
class CalibrationInput:
    """An input to calibrate, on its own scale between ``low`` and ``high``."""

    name: str
    path: str
    low: float
    high: float
    scale: bool = False
    entries: tuple[int, ...] | None = None
    label: str = ""

    def value(self, u: np.ndarray) -> np.ndarray:
        """The input's values at unit-cube coordinates ``u``."""
        return self.low + np.asarray(u, dtype=float) * (self.high - self.low)

    def unit(self, x: np.ndarray) -> np.ndarray:
        """Unit-cube coordinates of values ``x``."""
        return (np.asarray(x, dtype=float) - self.low) / (self.high - self.low)


def inputs_from_spec(spec: CalibrationSpec) -> list[CalibrationInput]:
    """The spec's inputs, in file order."""
    return [
        CalibrationInput(
            name,
            entry.path or name,
            entry.low,
            entry.high,
            entry.scale,
            None if entry.entries is None else tuple(entry.entries),
            entry.label,
        )
        for name, entry in spec.inputs.items()
    ]


def _get(data: Any, dotted: str) -> Any:
    node = data
    for key in dotted.split("."):
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def apportion(values: Sequence[float], factor: float) -> list[int]:
    """Whole numbers ``values x factor`` whose total is the rounded scaled total (largest remainders).

    A rota of 4s and 5s scaled by 1.1 gains one clinician-hour in the hours
    nearest to the next whole clinician rather than none or one in every hour,
    so the input moves the rota in steps of one clinician-hour.
    """
    exact = np.asarray(values, dtype=float) * float(factor)
    floor = np.floor(exact)
    extra = round(float(exact.sum())) - int(floor.sum())
    order = np.argsort(-(exact - floor), kind="stable")
    out = floor.copy()
    out[order[: max(0, extra)]] += 1
    return [int(v) for v in out]


def config_values(base: Config, inputs: Sequence[CalibrationInput], row: Mapping[str, float]) -> dict[str, Any]:
    """The config values (``{path: value}``) an input set stands for.

    A plain input sets its path (rounded where the config holds a whole
    number); a scale input multiplies the positions it names of the list in
    ``base`` (by largest remainders where the list holds whole numbers).
    """
    data = base.model_dump()
    out: dict[str, Any] = {}
    for item in inputs:
        x = float(row[item.name])
        if not item.scale:
            current = _get(data, item.path)
            whole = isinstance(current, int) and not isinstance(current, bool)
            out[item.path] = round(x) if whole else x
            continue
        current = copy.deepcopy(out.get(item.path, _get(data, item.path)))
        flat = isinstance(current, list) and all(not isinstance(v, list) for v in current)
        if not flat:
            raise ConfigError(f"calibration: inputs.{item.name}: {item.path} is not a list of numbers to scale")
        original = _get(data, item.path)
        where = list(item.entries) if item.entries is not None else list(range(len(current)))
        if any(i >= len(current) for i in where):
            raise ConfigError(
                f"calibration: inputs.{item.name}: entries {list(where)} beyond the "
                f"{len(current)} values of {item.path}"
            )
        picked = [original[i] for i in where]
        whole = all(isinstance(v, int) and not isinstance(v, bool) for v in original)
        scaled = apportion(picked, x) if whole else [v * x for v in picked]
        for i, v in zip(where, scaled):
            current[i] = v
        out[item.path] = current
    return out


def target_values(table: pd.DataFrame, kpi: str) -> pd.Series:
    """A target's figure in every row of a per-replication table.

    ``kpi`` is a KPI column, or ``A / B`` for the ratio of two (the share of
    today's redirections made via the UTC, say).
    """
    if "/" in kpi:
        top, bottom = (part.strip() for part in kpi.split("/", 1))
        return target_values(table, top) / target_values(table, bottom)
    if kpi not in table.columns:
        raise ConfigError(f"calibration: target KPI {kpi!r} is not a KPI the model reports")
    return table[kpi].astype(float)


def measure(target, table: pd.DataFrame) -> np.ndarray:
    """A target's figure in every row of a per-replication table of one run (rows of several input sets).

    Uses the target's own ``measure`` (``sim/inputs/targets.py``: a KPI, or a
    share ``per`` another) on each input set's rows; an object without one is
    read by :func:`target_values` from its ``kpi``.
    """
    if not hasattr(target, "measure"):
        return target_values(table, target.kpi).to_numpy(dtype=float)
    out = np.full(len(table), np.nan)
    by = table.groupby("design", sort=False).indices if "design" in table.columns else {0: np.arange(len(table))}
    for rows in by.values():
        part = table.iloc[rows]
        out[rows] = target.measure({target.arm: part}).to_numpy(dtype=float)
    return out


def check_targets(targets: Sequence, run: str = "current") -> None:
    """Refuse a target the calibration cannot read from the one run it makes (one line)."""
    for target in targets:
        arm = getattr(target, "arm", run)
        if arm != run or getattr(target, "relative_to", None) is not None:
            raise ConfigError(
                f"calibration: target {target.name}: reads the {arm} run"
                f"{' relative to another' if getattr(target, 'relative_to', None) else ''}; "
                f"calibration runs the {run} pathway only"
            )


def _target_halfwidth(target) -> float:
    return (float(target.high) - float(target.low)) / 2.0


def _target_middle(target) -> float:
    return (float(target.high) + float(target.low)) / 2.0


# ------------------------------------------------------------- emulators ----
class Emulator:
    """A Gaussian-process emulator of one target's mean, and one of its simulation variance.

    Parameters
    ----------
    u : array (n, d)
        Input sets on the unit cube.
    mean, var : array (n,)
        Each set's mean over its replications and the variance of one replication.
    replications : array (n,)
        Replications behind each mean (the mean's noise is ``var / replications``).
    seed : int
        Seed of the optimiser's restarts.

    The mean's GP has a Matern 5/2 kernel with one length scale per input and
    each point's own noise (``var / replications``) plus a small fitted
    nugget (rounding a rota or a slot count to whole numbers makes steps a
    smooth function does not have). The variance's GP is fitted on the log
    of the sample variances.
    """

    def __init__(self, u: np.ndarray, mean: np.ndarray, var: np.ndarray, replications: np.ndarray, seed: int):
        from sklearn.gaussian_process import GaussianProcessRegressor
        from sklearn.gaussian_process.kernels import ConstantKernel, Matern, WhiteKernel
        from threadpoolctl import threadpool_limits  # comes with scikit-learn

        u = np.atleast_2d(np.asarray(u, dtype=float))
        mean = np.asarray(mean, dtype=float)
        var = np.maximum(np.asarray(var, dtype=float), 0.0)
        reps = np.asarray(replications, dtype=float)
        d = u.shape[1]
        spread = float(np.std(mean))
        scale = spread if spread > 0 else 1.0
        self._centre, self._scale = float(np.mean(mean)), scale
        y = (mean - self._centre) / scale
        noise = var / reps / scale**2
        kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            length_scale=[0.5] * d, length_scale_bounds=(0.05, 20.0), nu=2.5
        ) + WhiteKernel(1e-3, (1e-8, 1.0))
        self._gp = GaussianProcessRegressor(
            kernel, alpha=noise + 1e-8, normalize_y=False, n_restarts_optimizer=1, random_state=seed
        )
        logvar = np.log(np.maximum(var, 1e-12 * max(1.0, float(np.max(var)) if var.size else 1.0)))
        self._lv_centre = float(np.mean(logvar))
        lv_spread = float(np.std(logvar)) or 1.0
        self._lv_scale = lv_spread
        var_kernel = ConstantKernel(1.0, (1e-3, 1e3)) * Matern(
            length_scale=[0.5] * d, length_scale_bounds=(0.05, 20.0), nu=2.5
        ) + WhiteKernel(0.5, (1e-4, 10.0))
        self._var_gp = GaussianProcessRegressor(
            var_kernel, normalize_y=False, n_restarts_optimizer=0, random_state=seed
        )
        with warnings.catch_warnings(), threadpool_limits(1):  # small matrices: threads only contend
            warnings.simplefilter("ignore")  # a length scale at its bound: the target ignores that input
            self._gp.fit(u, y)
            self._var_gp.fit(u, (logvar - self._lv_centre) / self._lv_scale)
        self._white = float(self._gp.kernel_.k2.noise_level)

    def predict(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Emulated mean, the emulator's variance of it, and the simulation variance of one replication."""
        from threadpoolctl import threadpool_limits

        u = np.atleast_2d(np.asarray(u, dtype=float))
        with threadpool_limits(1):
            mu, sd = self._gp.predict(u, return_std=True)
            lv = self._var_gp.predict(u) * self._lv_scale + self._lv_centre
        em_var = np.maximum(sd**2 - self._white, 0.0) + self._white  # the fitted nugget stays: steps
        return mu * self._scale + self._centre, em_var * self._scale**2, np.exp(lv)


@dataclass
class Wave:
    """One wave's emulators (one per target) and what it left of the input space."""

    number: int
    emulators: dict[str, Emulator]
    share_left: float = float("nan")
    robust_from: int = 4
    """With this many targets or more, a set is judged on its second-largest implausibility."""


SHARE_EDGE = 0.001
"""A share or percentage is emulated on the logit scale, clipped this far from 0 and 1."""


def on_emulator_scale(target, values) -> np.ndarray:
    """A target's figures on the scale its emulator works on.

    Percentages (a KPI ending ``_pct``) and shares (a target ``per`` another
    KPI) go through the logit, so a 4-hour figure that falls from 99% to 0% as
    a queue tips over becomes a smooth S rather than a cliff; anything else is
    left as it is. The transformation is monotone, so a figure is within the
    target's range exactly when its transform is within the transformed range.
    """
    values = np.asarray(values, dtype=float)
    kpi = str(getattr(target, "kpi", ""))
    if kpi.endswith("_pct"):
        p = np.clip(values / 100.0, SHARE_EDGE, 1 - SHARE_EDGE)
    elif getattr(target, "per", None) is not None:
        p = np.clip(values, SHARE_EDGE, 1 - SHARE_EDGE)
    else:
        return values
    return np.log(p / (1 - p))


def _scaled_range(target) -> tuple[float, float]:
    low, high = on_emulator_scale(target, [float(target.low), float(target.high)])
    return float(low), float(high)


def implausibility(
    waves: Sequence[Wave], targets: Sequence, u: np.ndarray, cutoff: float, final_replications: int
) -> np.ndarray:
    """Each input set's implausibility over every target and wave (``u`` on the unit cube).

    Per wave, the largest implausibility over the targets; with the wave's
    ``robust_from`` targets or more, the second largest (Vernon, Goldstein and Bower 2010), so
    one emulator's miss alone does not rule a set out (the final check still
    asks every figure to meet its range). Over the waves, the largest.
    """
    u = np.atleast_2d(u)
    worst = np.zeros(len(u))
    for wave in waves:
        scores = []
        for target in targets:
            mu, em_var, sim_var = wave.emulators[target.name].predict(u)
            low, high = _scaled_range(target)
            target_var = ((high - low) / 2.0 / cutoff) ** 2
            scores.append(np.abs(mu - (low + high) / 2.0) / np.sqrt(em_var + sim_var / final_replications + target_var))
        scores = np.sort(np.vstack(scores), axis=0)
        pick = scores[-2] if len(targets) >= wave.robust_from and len(targets) > 1 else scores[-1]
        worst = np.maximum(worst, pick)
    return worst


# --------------------------------------------------------------- designs ----
def _rng(seed: int, *tags: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, DESIGN_STREAM, *(stream_key(t) for t in tags)]))


def maximin(points: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Positions of ``n`` of ``points`` chosen greedily to lie as far apart as possible."""
    if len(points) <= n:
        return np.arange(len(points))
    chosen = [int(rng.integers(len(points)))]
    nearest = np.linalg.norm(points - points[chosen[0]], axis=1)
    for _ in range(n - 1):
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, np.linalg.norm(points - points[nxt], axis=1))
    return np.array(chosen)


def region_sample(
    waves: Sequence[Wave],
    targets: Sequence,
    d: int,
    cutoff: float,
    final_replications: int,
    rng: np.random.Generator,
    candidates: int = CANDIDATES,
) -> tuple[np.ndarray, float]:
    """Input sets not ruled out by any wave (unit cube), and the share of a Latin hypercube they were.

    A region too small to hold enough of the Latin hypercube is refilled by
    jittering its members (their spread shrinks round by round), so later
    waves still get a full design.
    """
    from scipy.stats import qmc

    cube = qmc.LatinHypercube(d=d, seed=rng).random(candidates)
    if not waves:
        return cube, 1.0
    keep = cube[implausibility(waves, targets, cube, cutoff, final_replications) < cutoff]
    share = len(keep) / candidates
    for round_ in range(REFILL_ROUNDS):
        if len(keep) == 0 or len(keep) >= candidates // 8:
            break
        width = 0.5 * np.std(keep, axis=0) + 0.02 / (round_ + 1)
        jitter = keep[rng.integers(len(keep), size=candidates)] + rng.normal(0.0, 1.0, (candidates, d)) * width
        jitter = jitter[np.all((jitter >= 0) & (jitter <= 1), axis=1)]
        ok = jitter[implausibility(waves, targets, jitter, cutoff, final_replications) < cutoff]
        keep = np.vstack([keep, ok])
    return keep, share


def final_design(
    waves: Sequence[Wave],
    targets: Sequence,
    region: np.ndarray,
    n: int,
    cutoff: float,
    final_replications: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """The final check's input sets: spread over those the emulators expect to meet every target.

    The region left may have been kept on its second-largest implausibility;
    here every target counts (the largest), so the sets run are those the
    emulators think meet every range. If fewer than ``n`` do, the ``3 n`` with
    the smallest largest implausibility are the pool. From the pool, ``n`` as
    far apart as possible.
    """
    if not waves or len(region) <= n:
        return region[maximin(region, n, rng)]
    strict = [replace(wave, robust_from=10**9) for wave in waves]
    score = implausibility(strict, targets, region, cutoff, final_replications)
    pool = region[score < cutoff]
    if len(pool) < n:
        pool = region[np.argsort(score, kind="stable")[: 3 * n]]
    return pool[maximin(pool, n, rng)]


# ----------------------------------------------------------------- state ----
class CalibrationState:
    """What each finished wave ran, kept on disk so an interrupted calibration resumes.

    One Parquet file per wave (``wave_01.parquet``..., then ``final.parquet``)
    in ``folder``, with a ``key`` file naming the calibration it belongs to; a
    folder of another calibration (other inputs, targets, settings or base
    config) is cleared rather than reused. ``folder=None`` keeps nothing.
    """

    def __init__(self, folder: Path | None, key: str, resume: bool = True):
        self.folder = None if folder is None else Path(folder)
        self.key = key
        self.resumed_waves = 0
        if self.folder is None:
            return
        key_file = self.folder / "key"
        if self.folder.exists() and (
            not resume or not key_file.exists() or key_file.read_text(encoding="utf-8").strip() != key
        ):
            for part in self.folder.glob("*.parquet"):
                part.unlink()
        self.folder.mkdir(parents=True, exist_ok=True)
        key_file.write_text(key + "\n", encoding="utf-8")

    def _file(self, label: str) -> Path | None:
        return None if self.folder is None else self.folder / f"{label}.parquet"

    def load(self, label: str) -> pd.DataFrame | None:
        """The runs of a finished wave, or ``None``."""
        path = self._file(label)
        if path is None or not path.exists():
            return None
        try:
            frame = pd.read_parquet(path)
        except (OSError, ValueError):
            return None
        self.resumed_waves += 1
        return frame

    def save(self, label: str, frame: pd.DataFrame) -> None:
        """Keep a finished wave's runs (written whole or not at all)."""
        path = self._file(label)
        if path is None:
            return
        tmp = path.with_suffix(".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(path)

    def remove(self) -> None:
        """Delete the kept waves (after the results are written)."""
        if self.folder is None or not self.folder.exists():
            return
        for part in self.folder.iterdir():
            part.unlink()
        self.folder.rmdir()


def state_key(spec: CalibrationSpec, base: Config, targets: Sequence) -> str:
    """A hash of everything a calibration's runs depend on (the budget aside: more budget, more waves)."""
    data = {
        # the budget aside (more budget, more waves) and the final check's allowance (it judges the runs,
        # it does not make them)
        "spec": spec.model_dump(
            mode="json", exclude={"budget": True, "name": True, "description": True, "final": {"noise_allowance"}}
        ),
        "base": base.model_dump(mode="json"),
        "targets": [[t.name, t.kpi, float(t.low), float(t.high)] for t in targets],
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:24]


# ----------------------------------------------------------- the method ----
@dataclass
class CalibrationResult:
    """Everything a calibration produced.

    ``runs``: one row per replication run (``stage`` wave_NN or final,
    ``point``, the inputs, ``replication``, one column per target).
    ``points``: one row per input set (means and sample variances per target,
    ``max_implausibility`` under the waves before it, ``within_all``).
    ``plausible``: the final input sets within every target's range.
    ``waves``: one row per wave. ``medoid``: the plausible set's medoid (or
    ``None``). ``stopped``: why refocusing stopped.
    """

    inputs: list[CalibrationInput]
    targets: list
    runs: pd.DataFrame
    points: pd.DataFrame
    plausible: pd.DataFrame
    waves: pd.DataFrame
    medoid: dict[str, float] | None
    stopped: str
    simulator_runs: int
    emulator_waves: list[Wave] = field(default_factory=list)

    def not_ruled_out(self, row: Mapping[str, float], cutoff: float, final_replications: int) -> bool:
        """Whether an input set survives every wave's emulators (is in the region left)."""
        u = np.array([[item.unit(row[item.name]) for item in self.inputs]])
        if np.any(u < 0) or np.any(u > 1):
            return False
        return bool(implausibility(self.emulator_waves, self.targets, u, cutoff, final_replications)[0] < cutoff)


def _point_table(runs: pd.DataFrame, names: list[str], targets: Sequence, allowance: float = 0.0) -> pd.DataFrame:
    """Per input set: the inputs, then per target its mean and sample variance over the replications, and
    how many targets it meets as the final check judges (``allowance`` standard errors)."""
    keys = ["stage", "point"]
    grouped = runs.groupby(keys, sort=False)
    frame = grouped[names].first()
    for target in targets:
        frame[f"{target.name}__mean"] = grouped[target.name].mean()
        frame[f"{target.name}__var"] = grouped[target.name].var(ddof=1)
        scaled = runs[keys].assign(value=on_emulator_scale(target, runs[target.name])).groupby(keys, sort=False)
        frame[f"{target.name}__emulated_mean"] = scaled["value"].mean()
        frame[f"{target.name}__emulated_var"] = scaled["value"].var(ddof=1)
    frame["replications"] = grouped["replication"].count()
    frame = frame.reset_index()
    frame["targets_met"] = sum(_meets(frame, t, allowance).astype(int) for t in targets)
    return frame


def _meets(points: pd.DataFrame, target, allowance: float) -> pd.Series:
    """Per input set: whether ``target``'s mean figure is within its range, widened by ``allowance``
    standard errors of that mean (a set with no spread or count recorded, or one replication: the
    mean itself within)."""
    mean = points[f"{target.name}__mean"]
    slack = 0.0
    if allowance and f"{target.name}__var" in points and "replications" in points:
        standard_error = np.sqrt(points[f"{target.name}__var"] / points["replications"])
        slack = allowance * standard_error.fillna(0.0)
    return (mean >= float(target.low) - slack) & (mean <= float(target.high) + slack)


def _within(points: pd.DataFrame, targets: Sequence, allowance: float = 0.0) -> pd.Series:
    """Per input set: whether every target's mean figure is within its range, widened by
    ``allowance`` standard errors of that mean (see :class:`FinalSettings`)."""
    ok = pd.Series(True, index=points.index)
    for target in targets:
        ok &= _meets(points, target, allowance)
    return ok


def meets_every_range(table: pd.DataFrame, targets: Sequence, allowance: float = 0.0) -> bool:
    """Whether one input set's runs (a ``simulate`` table, one row per replication) meet every
    target's range as the final check judges it: the mean within the range widened by
    ``allowance`` standard errors (the same rule, on the same summaries, as :func:`_within`)."""
    point = {"replications": [len(table)]}
    for target in targets:
        values = pd.Series(np.asarray(measure(target, table), dtype=float))
        point[f"{target.name}__mean"] = [values.mean()]
        point[f"{target.name}__var"] = [values.var(ddof=1)]
    return bool(_within(pd.DataFrame(point), targets, allowance).iloc[0])


def _run_stage(
    label: str,
    units: np.ndarray,
    inputs: Sequence[CalibrationInput],
    targets: Sequence,
    simulate: Simulate,
    replications: int,
    state: CalibrationState,
) -> pd.DataFrame:
    """Run (or take from the kept state) one stage's input sets; one row per replication."""
    kept = state.load(label)
    if kept is not None:
        return kept
    rows = [{item.name: float(item.value(u[j])) for j, item in enumerate(inputs)} for u in units]
    table = simulate(rows, replications)
    frame = pd.DataFrame(
        {"stage": label, "point": table["design"].astype(int), "replication": table["replication"].astype(int)}
    )
    for j, item in enumerate(inputs):
        frame[item.name] = [rows[p][item.name] for p in frame["point"]]
        frame[f"u_{item.name}"] = units[frame["point"].to_numpy(), j]
    for target in targets:
        frame[target.name] = measure(target, table)
    frame = frame.sort_values(["point", "replication"], ignore_index=True)
    state.save(label, frame)
    return frame


def history_match(
    inputs: Sequence[CalibrationInput],
    targets: Sequence,
    simulate: Simulate,
    waves: WaveSettings | None = None,
    final: FinalSettings | None = None,
    budget: int = 2000,
    seed: int = 0,
    state: CalibrationState | None = None,
    on_plan: Callable[[int], None] | None = None,
) -> CalibrationResult:
    """Calibrate ``inputs`` to ``targets`` by history matching (see the module's text).

    Parameters
    ----------
    inputs : sequence of CalibrationInput
    targets : sequence
        Each with ``name``, ``kpi`` (a KPI or ``A / B``), ``low``, ``high``.
    simulate : callable
        ``simulate(rows, replications)`` -> tidy table (``design``,
        ``replication``, KPI columns), replications on common random numbers.
    waves, final : settings
    budget : int
        Most simulator runs (replications) in all; the waves stop early so the
        final check fits.
    seed : int
        Seed of the designs and the emulators' optimiser.
    state : CalibrationState
        Where finished waves are kept (``None``: nowhere).
    on_plan : callable
        Called with the number of runs planned whenever the plan changes (a progress bar's total).

    Returns
    -------
    CalibrationResult
    """
    inputs, targets = list(inputs), list(targets)
    waves = waves or WaveSettings()
    final = final or FinalSettings()
    state = state or CalibrationState(None, "")
    names = [item.name for item in inputs]
    d = len(inputs)
    wave_cost = waves.points * waves.replications
    final_cost = final.points * final.replications
    if budget < wave_cost + final.replications:
        raise ConfigError(
            f"calibration: budget = {budget:,}: too small for one wave of {waves.points} sets x "
            f"{waves.replications} replications and a final check; give at least "
            f"{wave_cost + final_cost:,}"
        )
    used = 0
    done: list[Wave] = []
    all_runs: list[pd.DataFrame] = []
    point_frames: list[pd.DataFrame] = []
    wave_rows: list[dict] = []
    u_names = [f"u_{n}" for n in names]
    share = 1.0
    stopped = f"the most waves the settings allow ({waves.max_waves})"
    if on_plan:
        most = min(waves.max_waves, max(1, (budget - final_cost) // wave_cost))
        on_plan(most * wave_cost + min(final_cost, budget - most * wave_cost))
    for number in range(1, waves.max_waves + 1):
        if done and used + wave_cost + final_cost > budget:
            stopped = f"the budget ({budget:,} runs) leaves room for the final check only"
            break
        rng = _rng(seed, "wave", str(number))
        region, share_now = region_sample(done, targets, d, waves.cutoff, final.replications, rng)
        if done:
            done[-1].share_left = share_now
        if len(region) == 0:
            stopped = "no input set is left: the model cannot meet every target's range at once in these input ranges"
            share = 0.0
            break
        if done and (share - share_now) / share < waves.stop_when_shrinking_less_than:
            stopped = (
                f"wave {number - 1} ruled out less than {waves.stop_when_shrinking_less_than:.0%} of the region left"
            )
            break
        share = share_now
        units = region[maximin(region, waves.points, rng)]
        runs = _run_stage(f"wave_{number:02d}", units, inputs, targets, simulate, waves.replications, state)
        used += len(runs)
        all_runs.append(runs)
        pts = _point_table(runs, names + u_names, targets, final.noise_allowance)
        pts["max_implausibility"] = (
            implausibility(done, targets, pts[u_names].to_numpy(), waves.cutoff, final.replications) if done else 0.0
        )
        point_frames.append(pts)
        # this wave's emulators: fitted on every set run so far that the earlier waves leave in the region
        every = pd.concat(point_frames, ignore_index=True)
        fit = every
        if done:
            fit = every[
                implausibility(done, targets, every[u_names].to_numpy(), waves.cutoff, final.replications)
                < waves.cutoff
            ]
        emulators = {
            t.name: Emulator(
                fit[u_names].to_numpy(),
                fit[f"{t.name}__emulated_mean"].to_numpy(),
                fit[f"{t.name}__emulated_var"].to_numpy(),
                fit["replications"].to_numpy(),
                seed=seed + number,
            )
            for t in targets
        }
        done.append(Wave(number, emulators, robust_from=waves.second_largest_from))
        wave_rows.append(
            {
                "wave": number,
                "input_sets": len(pts),
                "replications_each": waves.replications,
                "simulator_runs": len(runs),
                "share_of_space_left_before": share,
                "sets_within_every_range": int(_within(pts, targets, final.noise_allowance).sum()),
                "sets_fitted_by_emulators": len(fit),
            }
        )
    # what the last wave left, and the final check
    rng = _rng(seed, "final")
    region, share_now = region_sample(done, targets, d, waves.cutoff, final.replications, rng)
    if done:
        done[-1].share_left = share_now
    for row, wave in zip(wave_rows, done):
        row["share_of_space_left_after"] = wave.share_left
    n_final = min(final.points, max(0, (budget - used) // final.replications), len(region))
    if on_plan:
        on_plan(used + n_final * final.replications)
    final_points = pd.DataFrame()
    if n_final > 0:
        units = final_design(done, targets, region, n_final, waves.cutoff, final.replications, rng)
        runs = _run_stage("final", units, inputs, targets, simulate, final.replications, state)
        used += len(runs)
        all_runs.append(runs)
        final_points = _point_table(runs, names + u_names, targets, final.noise_allowance)
        final_points["max_implausibility"] = implausibility(
            done, targets, final_points[u_names].to_numpy(), waves.cutoff, final.replications
        )
        point_frames.append(final_points)
    runs_all = pd.concat(all_runs, ignore_index=True) if all_runs else pd.DataFrame()
    points = pd.concat(point_frames, ignore_index=True) if point_frames else pd.DataFrame()
    if len(points):
        points["within_all"] = _within(points, targets, final.noise_allowance)
    plausible = (
        final_points[_within(final_points, targets, final.noise_allowance)].reset_index(drop=True)
        if len(final_points)
        else pd.DataFrame(columns=["stage", "point", *names])
    )
    medoid = None
    if len(plausible):
        u = plausible[[f"u_{n}" for n in names]].to_numpy()
        dist = np.linalg.norm(u[:, None, :] - u[None, :, :], axis=2).sum(axis=1)
        best = int(np.argmin(dist))
        medoid = {n: float(plausible.iloc[best][n]) for n in names}
        plausible["medoid"] = np.arange(len(plausible)) == best
    return CalibrationResult(
        inputs, targets, runs_all, points, plausible, pd.DataFrame(wave_rows), medoid, stopped, used, done
    )


# ------------------------------------------------------ reading the result ----
def summary_table(result: CalibrationResult, shipped: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Per input: its range searched, the shipped value, and the plausible set's medoid, spread and ends.

    Rows ``kind=input``: ``name, label, low, high, shipped, medoid, p5, median, p95, set_min, set_max``;
    rows ``kind=target``: ``name, low, high`` (its range), ``medoid`` (the figure at the medoid),
    ``set_min, set_max`` over the plausible set, ``p5, median, p95`` likewise.
    """
    rows = []
    plaus = result.plausible
    for item in result.inputs:
        values = plaus[item.name].to_numpy(dtype=float) if len(plaus) else np.array([])
        rows.append(
            {
                "kind": "input",
                "name": item.name,
                "label": item.label or item.path,
                "low": item.low,
                "high": item.high,
                "shipped": (shipped or {}).get(item.name, np.nan),
                "medoid": np.nan if result.medoid is None else result.medoid[item.name],
                **_spread(values),
            }
        )
    for target in result.targets:
        col = f"{target.name}__mean"
        values = plaus[col].to_numpy(dtype=float) if len(plaus) else np.array([])
        at = plaus.loc[plaus["medoid"], col].iloc[0] if len(plaus) else np.nan
        rows.append(
            {
                "kind": "target",
                "name": target.name,
                "label": getattr(target, "kpi", ""),
                "low": float(target.low),
                "high": float(target.high),
                "shipped": np.nan,
                "medoid": at,
                **_spread(values),
            }
        )
    return pd.DataFrame(rows)


def _spread(values: np.ndarray) -> dict[str, float]:
    if values.size == 0:
        return {"p5": np.nan, "median": np.nan, "p95": np.nan, "set_min": np.nan, "set_max": np.nan}
    p5, med, p95 = np.percentile(values, [5, 50, 95])
    return {"p5": p5, "median": med, "p95": p95, "set_min": float(values.min()), "set_max": float(values.max())}


def shipped_values(base: Config, inputs: Sequence[CalibrationInput]) -> dict[str, float]:
    """Each input's value in ``base`` (a scale input: 1, the list as shipped)."""
    data = base.model_dump()
    return {item.name: 1.0 if item.scale else float(_get(data, item.path)) for item in inputs}


def defaults_snippet(result: CalibrationResult, base: Config, source: str) -> str:
    """The medoid as a YAML snippet to paste into ``configs/base.yaml`` (with the set's ranges as comments)."""
    import yaml

    if result.medoid is None:
        return "# no plausible input set: nothing to ship\n"
    values = config_values(base, result.inputs, result.medoid)
    nested: dict = {}
    for path, value in values.items():
        node = nested
        keys = path.split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    lines = [
        f"# Calibrated defaults: the medoid of {len(result.plausible)} plausible input sets",
        f"# ({source}). Ranges over the set:",
    ]
    for item in result.inputs:
        col = result.plausible[item.name]
        lines.append(f"#   {item.name}: {col.min():.4g} to {col.max():.4g} (medoid {result.medoid[item.name]:.4g})")
    return (
        "\n".join(lines)
        + "\n"
        + yaml.dump(_rounded(nested), Dumper=_FlowListDumper, sort_keys=False, default_flow_style=False, width=120)
    )


def _rounded(value: Any) -> Any:
    """Floats to 4 significant figures (a calibrated value is no more precise than its set)."""
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, float):
        return float(f"{value:.4g}")
    return value


def _flow_list(dumper, data):
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)


def _make_dumper():
    import yaml

    class FlowListDumper(yaml.SafeDumper):
        """Mappings as blocks, lists on one line (as in ``configs/base.yaml``)."""

    FlowListDumper.add_representer(list, _flow_list)
    return FlowListDumper


_FlowListDumper = _make_dumper()


# ------------------------------------------------------- synthetic truth ----
def synthetic_targets(
    targets: Sequence,
    simulate: Simulate,
    truth: Mapping[str, float],
    replications: int,
    halfwidth: Mapping[str, float] | None = None,
) -> list:
    """Targets made by the model itself at known inputs ``truth`` (a verification of the method).

    Each target keeps its name and KPI; its figure becomes the model's mean at
    ``truth`` over ``replications`` and its range that figure +/- the
    published range's half-width (or ``halfwidth[name]``). Run ``simulate``
    on other seeds than the calibration's, so the targets carry noise the
    calibration does not share.
    """
    table = simulate([dict(truth)], replications)
    out = []
    for target in targets:
        value = float(np.mean(measure(target, table)))
        half = (halfwidth or {}).get(target.name, _target_halfwidth(target))
        out.append(replace(target, value=value, low=value - half, high=value + half))
    return out


def inside_set(result: CalibrationResult, truth: Mapping[str, float]) -> bool:
    """Whether ``truth`` lies inside the plausible set: within its span on every input (its bounding box).

    With one or two inputs the test is also whether it lies inside the set's
    convex hull (a point between the plausible sets, not beyond them).
    """
    plaus = result.plausible
    if len(plaus) == 0:
        return False
    names = [item.name for item in result.inputs]
    x = np.array([truth[n] for n in names], dtype=float)
    pts = plaus[names].to_numpy(dtype=float)
    if np.any(x < pts.min(axis=0)) or np.any(x > pts.max(axis=0)):
        return False
    if len(names) == 2 and len(pts) >= 3:
        from scipy.spatial import Delaunay, QhullError

        try:
            return bool(Delaunay(pts).find_simplex(x) >= 0)
        except QhullError:  # all on a line: the box test stands
            return True
    return True


def runs_needed(spec: CalibrationSpec) -> int:
    """The most simulator runs a calibration may use (its budget, or all its waves and final check)."""
    most = (
        spec.waves.max_waves * spec.waves.points * spec.waves.replications + spec.final.points * spec.final.replications
    )
    return min(spec.budget, most)


__all__ = [
    "CalibrationInput",
    "CalibrationResult",
    "CalibrationSpec",
    "CalibrationState",
    "Emulator",
    "apportion",
    "config_values",
    "defaults_snippet",
    "history_match",
    "implausibility",
    "inputs_from_spec",
    "inside_set",
    "load_calibration",
    "runs_needed",
    "shipped_values",
    "state_key",
    "summary_table",
    "synthetic_targets",
    "target_values",
]


# ------------------------------------------------------------ the model ----
class CountingExecutor:
    """An executor that ticks a progress bar as each call finishes (the bar spans several runs).

    Wraps any :class:`~sim.experiments.executors.Executor`; its own ``close``
    is left to whoever made it.
    """

    def __init__(self, inner, tick: Callable[[], None]):
        self.inner = inner
        self.tick = tick
        self.workers = getattr(inner, "workers", 1)
        self.description = getattr(inner, "description", "serial")

    def run(self, fn, calls, finished) -> None:
        def done(i, result):
            finished(i, result)
            self.tick()

        self.inner.run(fn, calls, done)

    def close(self) -> None:
        """Nothing: the wrapped executor is closed by its owner."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def model_simulator(base: Config, inputs: Sequence[CalibrationInput], executor=None, store=None) -> Simulate:
    """``simulate(rows, replications)`` for the model: each input set run as ``base`` with its values.

    Replication *r* of every set uses the seeds of replication *r* of ``base``
    (common random numbers, :func:`sim.experiments.evaluate.evaluate`); with a
    ``store``, replications it holds are reused.
    """
    from ..inputs.parameters import ParameterSpace
    from .evaluate import evaluate

    space = ParameterSpace(list(dict.fromkeys(item.path for item in inputs)))

    def simulate(rows: list[dict[str, float]], replications: int) -> pd.DataFrame:
        designs = [config_values(base, inputs, row) for row in rows]
        return evaluate(base, designs, replications, space=space, executor=executor, store=store, progress=False)

    return simulate


def check_inputs(base: Config, inputs: Sequence[CalibrationInput], source: str) -> None:
    """Refuse, before anything runs, an input whose range reaches a value the config cannot take."""
    from ..inputs.parameters import ParameterSpace

    space = ParameterSpace(list(dict.fromkeys(item.path for item in inputs)))
    middle = {item.name: (item.low + item.high) / 2.0 for item in inputs}
    for item in inputs:
        for end in (item.low, item.high):
            values = config_values(base, inputs, {**middle, item.name: end})
            space.apply(base, values, f"{source}: inputs.{item.name} (its range reaches {end:g})")
