"""NumPy ``.npy`` files holding a volume indexed [x, y, z] (no voxel size: the format has no place for it)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .._limits import require_memory
from ..errors import FileFormatError
from ._common import as_xyz, atomic_file

__all__ = ["read_npy", "write_npy"]

_MAX_HEADER = 10000  # numpy's own default limit on header text


def read_npy(path: Path) -> tuple[np.ndarray, None, dict[str, Any]]:
    """Read a .npy volume (no pickles); the header's shape and dtype are checked against the file
    size and the memory available before the data is read."""
    size = path.stat().st_size
    try:
        with path.open("rb") as f:
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            header = read_header(f, max_header_size=_MAX_HEADER)
            offset = f.tell()
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy raises ValueError, tokenize/SyntaxError, EOFError, ...
        raise FileFormatError(f"{path}: not a readable .npy array (bad header: {type(exc).__name__}: {exc})") from exc
    shape, _, dtype = header
    if dtype.hasobject:
        raise FileFormatError(f"{path}: .npy holds Python objects (a pickle), refused")
    need = math.prod(shape) * dtype.itemsize
    if size - offset < need:
        raise FileFormatError(f"{path}: truncated .npy: header declares shape {shape} of {dtype} ({need} bytes) "
                              f"but only {size - offset} bytes of data follow")
    require_memory(2 * need, f"reading {path} (shape {shape}, {dtype})")  # the array and its [x, y, z] copy
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise FileFormatError(f"{path}: not a readable .npy array ({exc})") from exc
    if not isinstance(array, np.ndarray):
        raise FileFormatError(f"{path}: expected one array, found {type(array).__name__}")
    return as_xyz(array, path), None, {"format": "npy", "path": str(path)}


def write_npy(path: Path, data: np.ndarray) -> None:
    """Write a .npy volume."""
    with atomic_file(path) as tmp, tmp.open("wb") as f:
        np.save(f, np.ascontiguousarray(data), allow_pickle=False)
