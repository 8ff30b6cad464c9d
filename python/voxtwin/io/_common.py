"""Helpers shared by the format readers and writers: argument checks, units, safe writes."""

from __future__ import annotations

import contextlib
import math
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .._validate import voxel_size as check_voxel_size
from .._validate import integer, positive
from ..errors import FileFormatError

# Length units a file may name, in µm. Inches are left out on purpose: TIFF writers put a
# default print resolution (72, 96, 100 dpi) in inches on uncalibrated images, never a CT voxel size.
_UNIT_TO_UM = {
    "m": 1e6, "meter": 1e6, "metre": 1e6,
    "cm": 1e4, "centimeter": 1e4, "centimetre": 1e4,
    "mm": 1e3, "millimeter": 1e3, "millimetre": 1e3,
    "um": 1.0, "µm": 1.0, "μm": 1.0, "\\u00b5m": 1.0, "micron": 1.0, "microns": 1.0,
    "micrometer": 1.0, "micrometre": 1.0,
    "nm": 1e-3, "nanometer": 1e-3, "nanometre": 1e-3,
}
# Spacings that agree to this relative tolerance count as one isotropic voxel size (rationals in
# TIFF tags and float32 round trips differ in the last digits).
_ISOTROPIC_RTOL = 1e-6
_ALLOWED_KINDS = "biuf"


def unit_to_um(unit: object) -> float | None:
    """Micrometres per ``unit`` (a length unit name), or None when it is not a metric length unit."""
    if not isinstance(unit, str):
        return None
    return _UNIT_TO_UM.get(unit.strip().lower())


def voxel_size_arg(voxel_size: object) -> float | None:
    """Check a ``voxel_size`` argument (µm, > 0) or None."""
    return None if voxel_size is None else check_voxel_size(voxel_size)


def isotropic(spacing: tuple[float, float, float] | None) -> float | None:
    """The common value of an (x, y, z) spacing when the three agree, else None."""
    if spacing is None or not all(s is not None and math.isfinite(s) and s > 0 for s in spacing):
        return None
    first = spacing[0]
    if all(math.isclose(s, first, rel_tol=_ISOTROPIC_RTOL) for s in spacing):
        return float(first)
    return None


def resolve_voxel_size(path: Path, from_file: tuple[float, float, float] | None, given: float | None,
                       metadata: dict) -> float | None:
    """The voxel size to report: the caller's value when given, else the file's isotropic spacing.

    An anisotropic spacing in the file is kept in ``metadata["spacing_um"]`` with a warning, since
    voxtwin works with cubic voxels.
    """
    if from_file is not None:
        metadata["spacing_um"] = tuple(float(s) for s in from_file)
    if given is not None:
        return given
    iso = isotropic(from_file)
    if from_file is not None and iso is None:
        warnings.warn(f"{path}: anisotropic voxel spacing {from_file} µm (x, y, z); voxel_size set to None, "
                      "see metadata['spacing_um'] or pass voxel_size=", UserWarning, stacklevel=4)
    return iso


def check_data(data: object) -> np.ndarray:
    """The ``data`` argument of ``write``: a 3D numpy array of booleans, integers or floats."""
    if not isinstance(data, np.ndarray):
        raise TypeError(f"`data` must be a numpy array indexed [x, y, z], got data of type {type(data).__name__}")
    if data.ndim != 3:
        raise ValueError(f"`data` must be 3D [x, y, z], got data.shape={data.shape}")
    if data.dtype.kind not in _ALLOWED_KINDS:
        raise TypeError(f"`data` must hold booleans, integers or floats, got data.dtype={data.dtype}")
    if 0 in data.shape:
        raise ValueError(f"`data` must not be empty, got data.shape={data.shape}")
    return data


def check_field(data: object) -> np.ndarray:
    """A field with components, [c, x, y, z] (e.g. six Voigt stresses), of integers or floats."""
    if not isinstance(data, np.ndarray) or data.ndim != 4:
        raise ValueError(f"`data` must be a 3D volume [x, y, z] or a 4D field [c, x, y, z], got "
                         f"{type(data).__name__} of shape {getattr(data, 'shape', None)}")
    if data.dtype.kind not in "iuf" or 0 in data.shape:
        raise ValueError(f"`data` must be a non-empty field of integers or floats, got data.dtype={data.dtype}, "
                         f"data.shape={data.shape}")
    return data


def chunk_shape(chunks: object, default: int) -> tuple[int, int, int]:
    """The ``chunks`` argument of the zarr writers: None (``default``³), an int edge, or three ints."""
    if chunks is None:
        return (default,) * 3
    if isinstance(chunks, (int, np.integer)) and not isinstance(chunks, bool):
        edge = integer("chunks", chunks, minimum=1)
        return (edge,) * 3
    if not isinstance(chunks, (tuple, list)) or len(chunks) != 3:
        raise ValueError(f"`chunks` must be an int or three ints (cx, cy, cz), got chunks={chunks!r}")
    return tuple(integer(f"chunks[{i}]", c, minimum=1) for i, c in enumerate(chunks))  # type: ignore[return-value]


def reverse_axes(array: np.ndarray) -> np.ndarray:
    """A C-contiguous copy with the axis order reversed: (z, y, x) <-> [x, y, z].

    Copies one y plane at a time (a 2D transpose each): 4-5x faster than numpy's copy of the
    fully reversed 3D view, whose innermost stride jumps a whole plane (measured, 256³ uint16).
    """
    if array.ndim != 3:
        return np.ascontiguousarray(array.T)
    out = np.empty(array.shape[::-1], dtype=array.dtype)
    for y in range(array.shape[1]):
        out[:, y, :] = array[:, y, :].T
    return out


def native(array: np.ndarray) -> np.ndarray:
    """C-contiguous, native byte order (copies only when needed)."""
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return np.ascontiguousarray(array)


def as_xyz(array: np.ndarray, path: Path) -> np.ndarray:
    """A 2D image [x, y] becomes one slice [x, y, 1]; other than 2D or 3D is a FileFormatError."""
    if array.ndim == 2:
        array = array[:, :, np.newaxis]
    if array.ndim != 3:
        raise FileFormatError(f"{path}: expected a 3D grey-value volume, found an array of shape {array.shape}")
    if array.dtype.kind not in _ALLOWED_KINDS:
        raise FileFormatError(f"{path}: expected booleans, integers or floats, found dtype {array.dtype}")
    if array.size == 0:
        raise FileFormatError(f"{path}: the volume is empty (shape {array.shape})")
    return native(array)


def check_target(path: Path, overwrite: bool) -> None:
    """Refuse to replace an existing file or folder unless asked, so nothing written is lost by accident."""
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Write to a temporary file beside ``path`` and move it into place only when writing succeeded.

    An existing file at ``path`` stays intact if the write fails half-way.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
