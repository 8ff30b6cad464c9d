"""Argument checks for the Python layer: every message names the argument and echoes the value."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "real",
    "positive",
    "non_negative",
    "fraction",
    "integer",
    "seed",
    "vector3",
    "shape3",
    "choice",
    "modulus",
    "voxel_size",
    "VOXEL_SIZE_RANGE_UM",
    "expansion",
    "MODULUS_RANGE_GPA",
    "MAX_EXPANSION",
]

#: Moduli a material may have, GPa: from soft gels (1 kPa) to ten times diamond. Outside this
#: range a value is a unit slip (Pa or MPa typed as GPa) and the solver could not resolve the
#: contrast in floating point anyway.
MODULUS_RANGE_GPA = (1e-6, 1e4)
#: Voxel edges accepted, µm: a picometre to a kilometre. Beyond, positions overflow or lose all digits.
VOXEL_SIZE_RANGE_UM = (1e-6, 1e9)
#: Largest |CTE| accepted, 1/K (elastomers reach 3e-4).
MAX_EXPANSION = 1e-2


def real(name: str, value: object, unit: str = "") -> float:
    """A finite real number, else TypeError (not a number) or ValueError (NaN, inf)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"`{name}` must be a real number{' in ' + unit if unit else ''}, got {name}={value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"`{name}` must be finite, got {name}={value!r}")
    return out


def positive(name: str, value: object, unit: str = "") -> float:
    """A finite number > 0."""
    out = real(name, value, unit)
    if out <= 0:
        raise ValueError(f"`{name}` must be > 0{' ' + unit if unit else ''}, got {name}={value!r}")
    return out


def non_negative(name: str, value: object, unit: str = "") -> float:
    """A finite number >= 0."""
    out = real(name, value, unit)
    if out < 0:
        raise ValueError(f"`{name}` must be >= 0{' ' + unit if unit else ''}, got {name}={value!r}")
    return out


def fraction(name: str, value: object, *, open_low: bool = True, open_high: bool = True) -> float:
    """A number in (0, 1) (ends included when ``open_low``/``open_high`` is False)."""
    out = real(name, value)
    low_ok = out > 0 if open_low else out >= 0
    high_ok = out < 1 if open_high else out <= 1
    if not (low_ok and high_ok):
        lo = "(" if open_low else "["
        hi = ")" if open_high else "]"
        raise ValueError(f"`{name}` must be in {lo}0, 1{hi}, got {name}={value!r}")
    return out


def integer(name: str, value: object, minimum: int | None = None) -> int:
    """An int (numpy integers too), optionally >= minimum."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"`{name}` must be an int, got {name}={value!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"`{name}` must be >= {minimum}, got {name}={value!r}")
    return out


def seed(value: object, name: str = "seed") -> int:
    """A reproducibility seed: an int in [0, 2**64)."""
    out = integer(name, value, minimum=0)
    if out >= 2**64:
        raise ValueError(f"`{name}` must be < 2**64, got {name}={value!r}")
    return out


def vector3(name: str, value: object, *, unit_length: bool = False) -> np.ndarray:
    """A finite 3-vector (float64); with ``unit_length`` it is normalized and must be non-zero."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a sequence of 3 numbers, got {name}={value!r}") from None
    if arr.shape != (3,):
        raise ValueError(f"`{name}` must have 3 components, got {name}={value!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {name}={value!r}")
    if unit_length:
        scale = float(np.abs(arr).max())
        if scale == 0.0:
            raise ValueError(f"`{name}` must be a non-zero direction, got {name}={value!r}")
        arr = arr / scale  # first to the largest component: the norm of (1e200, 1e200, 0) would overflow
        arr = arr / float(np.linalg.norm(arr))
    return arr


def shape3(name: str, value: object) -> tuple[int, int, int]:
    """A grid shape: three positive ints."""
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3:
        raise ValueError(f"`{name}` must be three positive ints (nx, ny, nz), got {name}={value!r}")
    out = tuple(integer(f"{name}[{i}]", v, minimum=1) for i, v in enumerate(value))
    return out  # type: ignore[return-value]


def choice(name: str, value: object, options: Sequence[str]) -> str:
    """One of a fixed set of strings."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"`{name}` must be one of {', '.join(repr(o) for o in options)}, got {name}={value!r}")
    return value


def modulus(name: str, value: object) -> float:
    """A stiffness modulus in GPa within ``MODULUS_RANGE_GPA``."""
    out = positive(name, value, "GPa")
    lo, hi = MODULUS_RANGE_GPA
    if not lo <= out <= hi:
        raise ValueError(f"`{name}` must be in [{lo:g}, {hi:g}] GPa (moduli are in GPa: 3.4 for PLA, not 3.4e9), "
                         f"got {name}={value!r}")
    return out


def expansion(name: str, value: object) -> float:
    """A coefficient of thermal expansion in 1/K with |value| <= ``MAX_EXPANSION``."""
    out = real(name, value, "1/K")
    if abs(out) > MAX_EXPANSION:
        raise ValueError(f"`{name}` must be within ±{MAX_EXPANSION:g} 1/K (steel: 1.2e-5), got {name}={value!r}")
    return out


def voxel_size(value: object, name: str = "voxel_size") -> float:
    """A voxel edge in µm within ``VOXEL_SIZE_RANGE_UM``."""
    out = positive(name, value, "µm")
    lo, hi = VOXEL_SIZE_RANGE_UM
    if not lo <= out <= hi:
        raise ValueError(f"`{name}` must be in [{lo:g}, {hi:g}] µm, got {name}={value!r}")
    return out
