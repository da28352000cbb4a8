"""Seeded sampling distributions, specified in config and sampled in blocks.

Each class is both the validated config entry (``{dist: lognormal, mean: 17.5,
sd: 5}``) and the sampler: ``spec.sample(rng, n)`` draws ``n`` values from a
numpy Generator. Drawing a whole block per named stream keeps runs fast and
keeps common random numbers intact between scenarios.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_VALUE = 1_000_000.0
"""Largest parameter of any distribution (task times are minutes; a week is 10,080)."""
MAX_CV = 10.0
"""Largest coefficient of variation (sd / mean) of a lognormal; real task times stay below 2."""
Value = Annotated[float, Field(ge=0, le=MAX_VALUE)]
PositiveValue = Annotated[float, Field(gt=0, le=MAX_VALUE)]


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, defer_build=True)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    @property
    def expected(self) -> float:  # pragma: no cover
        """Mean of the distribution."""
        raise NotImplementedError


class Fixed(_Dist):
    """Always the same value (deterministic runs and fixed task times)."""

    dist: Literal["fixed"]
    value: Value

    def sample(self, rng, n):
        return np.full(n, float(self.value))

    @property
    def expected(self):
        return float(self.value)


class Exponential(_Dist):
    """Exponential with the given mean."""

    dist: Literal["exponential"]
    mean: PositiveValue

    def sample(self, rng, n):
        return rng.exponential(self.mean, n)

    @property
    def expected(self):
        return float(self.mean)


class Lognormal(_Dist):
    """Lognormal parameterised by its own mean and standard deviation."""

    dist: Literal["lognormal"]
    mean: PositiveValue
    sd: PositiveValue

    @model_validator(mode="after")
    def _spread(self):
        if self.sd > MAX_CV * self.mean:
            raise ValueError(
                f"sd ({self.sd:.6g}) must be at most {MAX_CV:g} x mean ({self.mean:.6g}): "
                "a wider lognormal cannot be sampled faithfully"
            )
        return self

    def sample(self, rng, n):
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        mu = math.log(self.mean) - sigma2 / 2.0
        return rng.lognormal(mu, math.sqrt(sigma2), n)

    @property
    def expected(self):
        return float(self.mean)


class Uniform(_Dist):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: Value
    high: Value

    @model_validator(mode="after")
    def _ordered(self):
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    def sample(self, rng, n):
        return rng.uniform(self.low, self.high, n)

    @property
    def expected(self):
        return (self.low + self.high) / 2.0


class Triangular(_Dist):
    """Triangular with ``low <= mode <= high``."""

    dist: Literal["triangular"]
    low: Value
    mode: Value
    high: Value

    @model_validator(mode="after")
    def _ordered(self):
        if not (self.low <= self.mode <= self.high) or self.low == self.high:
            raise ValueError("need low <= mode <= high and low < high")
        return self

    def sample(self, rng, n):
        return rng.triangular(self.low, self.mode, self.high, n)

    @property
    def expected(self):
        return (self.low + self.mode + self.high) / 3.0


Distribution = Annotated[
    Fixed | Exponential | Lognormal | Uniform | Triangular,
    Field(discriminator="dist"),
]
"""Any distribution a config may name under ``dist:``."""


# ------------------------------------------------ priors on parameters ----
class Beta(_Dist):
    """Beta with shape parameters ``alpha`` and ``beta``: a prior on a probability or share."""

    dist: Literal["beta"]
    alpha: PositiveValue
    beta: PositiveValue

    def sample(self, rng, n):
        return rng.beta(self.alpha, self.beta, n)

    @property
    def expected(self):
        return self.alpha / (self.alpha + self.beta)


class Gamma(_Dist):
    """Gamma parameterised by its own mean and standard deviation: a prior on a cost or a time."""

    dist: Literal["gamma"]
    mean: PositiveValue
    sd: PositiveValue

    @property
    def shape(self) -> float:
        return (self.mean / self.sd) ** 2

    @property
    def scale(self) -> float:
        return self.sd**2 / self.mean

    def sample(self, rng, n):
        return rng.gamma(self.shape, self.scale, n)

    @property
    def expected(self):
        return float(self.mean)


Prior = Annotated[
    Fixed | Exponential | Lognormal | Uniform | Triangular | Beta | Gamma,
    Field(discriminator="dist"),
]
"""A distribution over a parameter's value (sweeps, the provenance registry's ``distribution:``):
any ``Distribution``, or ``beta`` for a probability, or ``gamma`` for a cost or a time."""


def quantile(dist, u) -> np.ndarray:
    """Values of a distribution at probabilities ``u`` (its inverse distribution function)."""
    u = np.asarray(u, dtype=float)
    kind = dist.dist
    if kind == "fixed":
        return np.full(u.shape, float(dist.value))
    if kind == "uniform":
        return dist.low + u * (dist.high - dist.low)
    if kind == "exponential":
        return -dist.mean * np.log1p(-u)
    if kind == "triangular":
        low, mode, high = dist.low, dist.mode, dist.high
        split = (mode - low) / (high - low)
        left = low + np.sqrt(u * (high - low) * (mode - low))
        right = high - np.sqrt((1 - u) * (high - low) * (high - mode))
        return np.where(u < split, left, right)
    if kind == "lognormal":
        from scipy.special import ndtri

        sigma2 = math.log(1.0 + (dist.sd / dist.mean) ** 2)
        mu = math.log(dist.mean) - sigma2 / 2.0
        return np.exp(mu + math.sqrt(sigma2) * ndtri(u))
    if kind == "beta":
        from scipy.stats import beta

        return beta.ppf(u, dist.alpha, dist.beta)
    if kind == "gamma":
        from scipy.stats import gamma

        return gamma.ppf(u, dist.shape, scale=dist.scale)
    raise ValueError(f"no quantile function for {kind}")  # pragma: no cover - every kind is covered
