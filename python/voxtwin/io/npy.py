"""NumPy ``.npy`` files holding a volume indexed [x, y, z] (no voxel size: the format has no place for it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FileFormatError
from ._common import as_xyz, atomic_file

__all__ = ["read_npy", "write_npy"]


def read_npy(path: Path) -> tuple[np.ndarray, None, dict[str, Any]]:
    """Read a .npy volume (no pickles)."""
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
