"""Procedural building blocks: the one place where assembly calls the unit-twin generator.

A procedural block is (fibre spec, in-plane angle θ, seed). Its voxels come from
``voxtwin.generate_fibres`` with the spec's orientation turned by θ about Z (fibres along
(cos θ, sin θ, 0) for an aligned spec): the generator draws the fibres at that angle, so any θ
works and no voxel grid is rotated (which would clip corners and smear fibres).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..errors import BackendUnavailableError

__all__ = ["expected_fibres", "generate_block", "spec_key"]


def _generator() -> Any:
    try:
        from ..generate import generate_fibres
    except ImportError as exc:  # the unit-twin generator (issue 3) is not in this build
        raise BackendUnavailableError(
            f"procedural blocks need the unit-twin generator voxtwin.generate_fibres, which this build lacks ({exc}); "
            "use stored-array blocks (BlockLibrary.add_array) or install a voxtwin with voxtwin.generate") from exc
    return generate_fibres


def generate_block(spec: Any, angle: float | None, block_shape: tuple[int, int, int], voxel_size: float, seed: int,
                   device: str = "auto") -> np.ndarray:
    """Labels (uint8 ``[x, y, z]``, C-contiguous) of one procedural block."""
    generate_fibres = _generator()
    twin = generate_fibres(spec, shape=block_shape, voxel_size=voxel_size, seed=seed, periodic=True, device=device)
    return np.ascontiguousarray(twin.labels, dtype=np.uint8)


def _mean(value: Any) -> float:
    """Mean of a number or of a distribution object with a ``mean`` attribute or method."""
    mean = getattr(value, "mean", value)
    return float(mean() if callable(mean) else mean)


def expected_fibres(spec: Any, block_volume_um3: float) -> float:
    """Expected number of fibres in a block: volume fraction × block volume / mean fibre volume.

    The mean fibre volume is that of a cylinder of the mean diameter and mean length (µm).
    """
    d = _mean(spec.diameter)
    length = _mean(spec.length)
    return float(spec.volume_fraction) * block_volume_um3 / (math.pi / 4.0 * d * d * length)


def spec_key(spec: Any) -> str:
    """A text that changes whenever the spec does (for store fingerprints)."""
    return repr(spec)


def spec_to_dict(obj: Any) -> Any:
    """JSON-ready form of a spec built from voxtwin dataclasses, numbers, strings, tuples and arrays."""
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        cls = type(obj)
        if not cls.__module__.startswith("voxtwin."):
            raise TypeError(f"cannot save a spec part of type {cls.__module__}.{cls.__qualname__}: only voxtwin types")
        fields = {f.name: spec_to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return {"__type__": f"{cls.__module__}:{cls.__qualname__}", "fields": fields}
    if isinstance(obj, np.ndarray):
        return {"__array__": obj.tolist(), "dtype": str(obj.dtype)}
    if isinstance(obj, (tuple, list)):
        return {"__tuple__": [spec_to_dict(v) for v in obj]} if isinstance(obj, tuple) else [spec_to_dict(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot save a spec part of type {type(obj).__name__}")


def spec_from_dict(data: Any) -> Any:
    """Inverse of :func:`spec_to_dict` (only voxtwin classes are rebuilt)."""
    import importlib

    if isinstance(data, list):
        return [spec_from_dict(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__tuple__" in data:
        return tuple(spec_from_dict(v) for v in data["__tuple__"])
    if "__array__" in data:
        return np.asarray(data["__array__"], dtype=data["dtype"])
    module_name, _, qualname = data["__type__"].partition(":")
    if not module_name.startswith("voxtwin."):
        raise ValueError(f"refusing to build a non-voxtwin type {data['__type__']!r}")
    cls: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return cls(**{k: spec_from_dict(v) for k, v in data["fields"].items()})
