"""Distributions of fibre sizes (diameter, length in µm): Normal, LogNormal, Fixed, Empirical.

Every distribution samples by inverting its (truncated) cumulative distribution at uniform numbers
drawn from the caller's ``numpy.random.Generator``, one uniform per value, so a seed fixes the
values and the stream advances the same way whatever the distribution.

``low`` / ``high`` truncate a distribution: values outside are never drawn (the density is
renormalized, not piled up at the bounds). For ``Normal`` and ``LogNormal`` the ``mean`` and
``std`` attributes are the parameters of the untruncated distribution; :meth:`Distribution.moments`
gives the mean and standard deviation of what is actually sampled.

>>> import numpy as np, voxtwin as vt
>>> vt.Normal(15.0, 1.5, low=10.0).sample(3, np.random.default_rng(0)).shape
(3,)
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from . import _validate

__all__ = [
    "Distribution",
    "Normal",
    "LogNormal",
    "Fixed",
    "Empirical",
    "as_distribution",
    "distribution_from_dict",
    "open_uniform",
    "check_sample_arguments",
]

_TWO52 = float(2**52)


def open_uniform(rng: np.random.Generator, size: int | tuple[int, ...]) -> np.ndarray:
    """Uniform numbers strictly inside (0, 1): ``(m + 0.5) / 2**52`` with m drawn from ``rng.random``.

    Never 0 or 1, so inverse CDFs stay finite; exact in float64.
    """
    return (np.floor(rng.random(size) * _TWO52) + 0.5) / _TWO52


def check_sample_arguments(n: object, rng: object) -> int:
    """``n`` as an int >= 0; TypeError unless ``rng`` is a numpy Generator (shared by every sampler)."""
    count = _validate.integer("n", n, minimum=0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"`rng` must be a numpy.random.Generator, got rng={rng!r}")
    return count


def _bound(name: str, value: object) -> float | None:
    return None if value is None else _validate.real(name, value, "µm")


def _check_bounds(low: float | None, high: float | None) -> None:
    if low is not None and high is not None and not low < high:
        raise ValueError(f"`low` must be < `high`, got low={low!r}, high={high!r}")


def _std_normal_ppf(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Inverse CDF of the standard normal truncated to [a, b] (either may be infinite)."""
    if a > 0.0:  # the upper tail: reflect so that the CDF values stay small and accurate
        return -_std_normal_ppf(1.0 - u, -b, -a)
    pa, pb = special.ndtr(a), special.ndtr(b)
    x = special.ndtri(pa + u * (pb - pa))
    return np.clip(x, a, b)


def _std_normal_mass(a: float, b: float) -> float:
    """P(a <= Z <= b) for a standard normal Z, accurate in both tails."""
    if a > 0.0:
        return float(special.ndtr(-a) - special.ndtr(-b))
    return float(special.ndtr(b) - special.ndtr(a))


def _standardized(value: float | None, loc: float, scale: float, default: float) -> float:
    return default if value is None else (value - loc) / scale


class Distribution(ABC):
    """A distribution of a positive size in µm. Subclasses are immutable."""

    low: float | None
    high: float | None

    @abstractmethod
    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        """Values at the uniform numbers ``u`` in (0, 1) (inverse CDF), float64, same shape."""

    @abstractmethod
    def moments(self) -> tuple[float, float]:
        """(mean, standard deviation) of the values sampled, truncation included (µm)."""

    @property
    @abstractmethod
    def support(self) -> tuple[float, float]:
        """(smallest, largest) value that can be sampled (µm); may be infinite."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description; :func:`distribution_from_dict` reads it back."""

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` values (float64, µm), drawn with one uniform number each from ``rng``."""
        return self.from_uniform(open_uniform(rng, check_sample_arguments(n, rng)))


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal distribution with ``mean`` and ``std`` (µm), optionally truncated to [low, high].

    ``std = 0`` is the single value ``mean`` (as :class:`Fixed`), which must then lie in [low, high].
    """

    mean: float
    std: float
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _validate.real("mean", self.mean, "µm"))
        object.__setattr__(self, "std", _validate.non_negative("std", self.std, "µm"))
        object.__setattr__(self, "low", _bound("low", self.low))
        object.__setattr__(self, "high", _bound("high", self.high))
        _check_bounds(self.low, self.high)
        if self.std == 0.0:  # a fixed value, written the way people write "no scatter"
            if (self.low is not None and self.mean < self.low) or (self.high is not None and self.mean > self.high):
                raise ValueError(f"`mean` must lie in [low, high] when std=0, got mean={self.mean}, "
                                 f"low={self.low}, high={self.high}")
            return
        if _std_normal_mass(*self._limits()) < 1e-12:
            raise ValueError(
                f"`low`/`high` leave no probability to Normal(mean={self.mean}, std={self.std}): "
                f"got low={self.low}, high={self.high}"
            )

    def _limits(self) -> tuple[float, float]:
        return (
            _standardized(self.low, self.mean, self.std, -math.inf),
            _standardized(self.high, self.mean, self.std, math.inf),
        )

    def cdf(self, x: float) -> float:
        """P(value <= x) of the (truncated) distribution; ``x`` in µm."""
        if self.std == 0.0:
            return 1.0 if x >= self.mean else 0.0
        a, b = self._limits()
        return _std_normal_mass(a, min(max((x - self.mean) / self.std, a), b)) / _std_normal_mass(a, b)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        if self.std == 0.0:
            return np.full(np.shape(u), self.mean, dtype=np.float64)
        a, b = self._limits()
        x = self.mean + self.std * _std_normal_ppf(np.asarray(u, dtype=np.float64), a, b)
        return np.clip(x, self.support[0], self.support[1])

    def moments(self) -> tuple[float, float]:
        if self.std == 0.0:
            return self.mean, 0.0
        a, b = self._limits()
        z = _std_normal_mass(a, b)
        pa = 0.0 if math.isinf(a) else math.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)
        pb = 0.0 if math.isinf(b) else math.exp(-0.5 * b * b) / math.sqrt(2 * math.pi)
        apa = 0.0 if math.isinf(a) else a * pa
        bpb = 0.0 if math.isinf(b) else b * pb
        shift = (pa - pb) / z
        var = 1.0 + (apa - bpb) / z - shift * shift
        return self.mean + self.std * shift, self.std * math.sqrt(max(var, 0.0))

    @property
    def support(self) -> tuple[float, float]:
        if self.std == 0.0:
            return self.mean, self.mean
        return (-math.inf if self.low is None else self.low, math.inf if self.high is None else self.high)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "normal", "mean": self.mean, "std": self.std, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class LogNormal(Distribution):
    """Log-normal distribution given by the ``mean`` and ``std`` of the value itself (µm), not of its log.

    ``log(x)`` is normal with sigma² = log(1 + (std/mean)²) and mu = log(mean) - sigma²/2.
    Optionally truncated to [low, high] (µm, low >= 0).
    """

    mean: float
    std: float
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _validate.positive("mean", self.mean, "µm"))
        object.__setattr__(self, "std", _validate.positive("std", self.std, "µm (use Fixed for a single value)"))
        object.__setattr__(self, "low", _bound("low", self.low))
        object.__setattr__(self, "high", _bound("high", self.high))
        if self.low is not None and self.low < 0:
            raise ValueError(f"`low` must be >= 0 µm for a LogNormal, got low={self.low!r}")
        if self.high is not None and self.high <= 0:
            raise ValueError(f"`high` must be > 0 µm for a LogNormal, got high={self.high!r}")
        _check_bounds(self.low, self.high)
        if _std_normal_mass(*self._limits()) < 1e-12:
            raise ValueError(
                f"`low`/`high` leave no probability to LogNormal(mean={self.mean}, std={self.std}): "
                f"got low={self.low}, high={self.high}"
            )

    @property
    def mu(self) -> float:
        """Mean of log(x) (log µm)."""
        return math.log(self.mean) - 0.5 * self.sigma**2

    @property
    def sigma(self) -> float:
        """Standard deviation of log(x)."""
        return math.sqrt(math.log1p((self.std / self.mean) ** 2))

    def _limits(self) -> tuple[float, float]:
        a = -math.inf if not self.low else (math.log(self.low) - self.mu) / self.sigma
        b = math.inf if self.high is None else (math.log(self.high) - self.mu) / self.sigma
        return a, b

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        a, b = self._limits()
        x = np.exp(self.mu + self.sigma * _std_normal_ppf(np.asarray(u, dtype=np.float64), a, b))
        return np.clip(x, self.support[0], self.support[1])

    def moments(self) -> tuple[float, float]:
        # E[x^k | a <= z <= b] = exp(k mu + k² sigma²/2) P(a - k sigma <= z <= b - k sigma) / P(a <= z <= b)
        a, b = self._limits()
        z = _std_normal_mass(a, b)
        s = self.sigma
        m1 = math.exp(self.mu + 0.5 * s * s) * _std_normal_mass(a - s, b - s) / z
        m2 = math.exp(2 * self.mu + 2 * s * s) * _std_normal_mass(a - 2 * s, b - 2 * s) / z
        return m1, math.sqrt(max(m2 - m1 * m1, 0.0))

    @property
    def support(self) -> tuple[float, float]:
        return (0.0 if self.low is None else self.low, math.inf if self.high is None else self.high)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "lognormal", "mean": self.mean, "std": self.std, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class Fixed(Distribution):
    """Always ``value`` (µm)."""

    value: float

    low = None
    high = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _validate.real("value", self.value, "µm"))

    @property
    def mean(self) -> float:
        return self.value

    @property
    def std(self) -> float:
        return 0.0

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=np.float64)

    def moments(self) -> tuple[float, float]:
        return self.value, 0.0

    @property
    def support(self) -> tuple[float, float]:
        return self.value, self.value

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "fixed", "value": self.value}


class Empirical(Distribution):
    """Resampling of measured values (µm), e.g. the diameters characterized from a scan.

    Values outside [low, high] are dropped first; sampling draws the kept values with equal
    probability (with replacement).
    """

    def __init__(self, samples: object, low: float | None = None, high: float | None = None) -> None:
        try:
            data = np.asarray(samples, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            raise TypeError(f"`samples` must be a sequence of numbers, got samples={samples!r}") from None
        if data.size == 0:
            raise ValueError("`samples` must hold at least one value, got an empty sequence")
        if not np.all(np.isfinite(data)):
            raise ValueError(f"`samples` must be finite, got {int(np.sum(~np.isfinite(data)))} NaN/inf values")
        self.low = _bound("low", low)
        self.high = _bound("high", high)
        _check_bounds(self.low, self.high)
        keep = np.ones(data.size, dtype=bool)
        if self.low is not None:
            keep &= data >= self.low
        if self.high is not None:
            keep &= data <= self.high
        if not keep.any():
            raise ValueError(
                f"`low`/`high` exclude every sample: got low={self.low}, high={self.high}, "
                f"samples in [{data.min()}, {data.max()}]"
            )
        values = np.sort(data[keep])
        values.flags.writeable = False
        self._values = values

    @property
    def values(self) -> np.ndarray:
        """The values drawn from (sorted, within the bounds, read-only)."""
        return self._values

    @property
    def mean(self) -> float:
        return float(self._values.mean())

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0) of the values."""
        return float(self._values.std())

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        idx = np.minimum((np.asarray(u, dtype=np.float64) * self._values.size).astype(np.int64), self._values.size - 1)
        return self._values[idx]

    def moments(self) -> tuple[float, float]:
        return self.mean, self.std

    @property
    def support(self) -> tuple[float, float]:
        return float(self._values[0]), float(self._values[-1])

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "empirical", "samples": self._values.tolist(), "low": self.low, "high": self.high}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Empirical):
            return NotImplemented
        return (self.low, self.high) == (other.low, other.high) and np.array_equal(self._values, other._values)

    def __hash__(self) -> int:
        return hash((self.low, self.high, self._values.tobytes()))

    def __repr__(self) -> str:
        return f"Empirical(<{self._values.size} values, mean={self.mean:.4g}, std={self.std:.4g}>, low={self.low}, high={self.high})"


def as_distribution(name: str, value: object) -> Distribution:
    """A Distribution as given, or a number turned into :class:`Fixed`; TypeError otherwise."""
    if isinstance(value, Distribution):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return Fixed(float(value))
    raise TypeError(
        f"`{name}` must be a number (µm) or a distribution (Normal, LogNormal, Fixed, Empirical), got {name}={value!r}"
    )


def distribution_from_dict(data: Mapping[str, Any]) -> Distribution:
    """Inverse of ``Distribution.to_dict``."""
    if not isinstance(data, Mapping) or "kind" not in data:
        raise ValueError(f"`data` must be a mapping with a 'kind' key, got data={data!r}")
    kind = data["kind"]
    args = {k: v for k, v in data.items() if k != "kind"}
    classes: dict[str, type[Distribution]] = {
        "normal": Normal,
        "lognormal": LogNormal,
        "fixed": Fixed,
        "empirical": Empirical,
    }
    if kind not in classes:
        raise ValueError(f"`kind` must be one of {', '.join(map(repr, classes))}, got kind={kind!r}")
    try:
        return classes[kind](**args)  # type: ignore[call-arg]
    except TypeError as exc:
        raise ValueError(f"bad parameters for a {kind!r} distribution: {args!r} ({exc})") from None
