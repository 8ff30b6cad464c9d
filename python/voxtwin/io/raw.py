"""Raw binary volumes: bare voxels with no header, so the caller states shape, dtype and byte order.

The voxel order in the file is ``order="F"`` (x fastest, then y, then z: how Fiji/ImageJ, Avizo and
most CT software write raw stacks) or ``order="C"`` (z fastest: numpy's order of vol[x, y, z]).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._validate import choice, integer, shape3
from ..errors import FileFormatError
from ._common import atomic_file, native, reverse_axes

__all__ = ["read_raw", "write_raw", "RAW_SUFFIXES", "raw_dtype"]

RAW_SUFFIXES = (".raw", ".bin")
_BYTE_ORDERS = {"little": "<", "big": ">", "<": "<", ">": ">", "native": "="}


def raw_dtype(dtype: object, byte_order: object) -> np.dtype:
    """The file dtype with its byte order: from ``byte_order``, or stated in ``dtype`` ('<u2', '>f4').

    Multi-byte dtypes need one of the two; when both are given they must agree.
    """
    if dtype is None:
        raise ValueError("`dtype` is required for raw files (e.g. dtype='uint16'), got dtype=None")
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError:
        raise TypeError(f"`dtype` must be a numpy dtype, got dtype={dtype!r}") from None
    if dt.kind not in "biuf":
        raise TypeError(f"`dtype` must be a boolean, integer or float type, got dtype={dtype!r}")
    if dt.itemsize == 1:
        return dt
    stated = dt if isinstance(dtype, str) and dtype[:1] in "<>" else None
    if byte_order is None:
        if stated is None:
            raise ValueError(f"`byte_order` is required for the {dt.itemsize}-byte dtype {dt} "
                             "('little' or 'big'), got byte_order=None")
        return stated
    wanted = dt.newbyteorder(_byte_order_code(byte_order))
    if stated is not None and stated.str != wanted.str:
        raise ValueError(f"`byte_order`={byte_order!r} contradicts dtype={dtype!r}")
    return wanted


def _byte_order_code(byte_order: object) -> str:
    code = _BYTE_ORDERS.get(byte_order) if isinstance(byte_order, str) else None
    if code is None:
        raise ValueError(f"`byte_order` must be 'little', 'big' or 'native', got byte_order={byte_order!r}")
    return code


def read_raw(path: Path, *, shape: object, dtype: object, byte_order: object, offset: int = 0,
             order: str = "F") -> tuple[np.ndarray, None, dict[str, Any]]:
    """Read a raw volume of ``shape`` (nx, ny, nz); the file size must match exactly."""
    if shape is None:
        raise ValueError("`shape` (nx, ny, nz) is required for raw files, got shape=None")
    nxyz = shape3("shape", shape)
    dt = raw_dtype(dtype, byte_order)
    offset = integer("offset", offset, minimum=0)
    order = choice("order", order, ("F", "C"))
    expected = offset + int(np.prod(nxyz, dtype=np.int64)) * dt.itemsize
    actual = path.stat().st_size
    if actual != expected:
        raise FileFormatError(f"{path}: file has {actual} bytes but shape={nxyz}, dtype={dt.str}"
                              f"{f', offset={offset}' if offset else ''} needs {expected} bytes")
    flat = np.fromfile(path, dtype=dt, offset=offset)
    data = reverse_axes(flat.reshape(nxyz[::-1])) if order == "F" else flat.reshape(nxyz)
    meta = {"format": "raw", "path": str(path), "byte_order": {"<": "little", ">": "big"}.get(dt.str[0], "none"),
            "order": order, "offset": offset}
    return native(data), None, meta


def write_raw(path: Path, data: np.ndarray, *, byte_order: object = "little", order: str = "F") -> None:
    """Write bare voxels (no header) in ``order`` with ``byte_order``."""
    code = _byte_order_code(byte_order)
    order = choice("order", order, ("F", "C"))
    out = data.astype(data.dtype.newbyteorder(code), copy=False)
    with atomic_file(path) as tmp:
        # tofile writes C order: the transpose of [x, y, z] in C order is x fastest (F).
        (reverse_axes(out) if order == "F" else np.ascontiguousarray(out)).tofile(tmp)
