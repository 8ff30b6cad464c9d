"""Module blocks: named groups of pre-attached building blocks (seed 000, §2.3: α′, β′, γ′).

A module holds block *names* and their turns, not voxels and not seeds: every placement of a
module in an assembly gets fresh seeds from its grid position (one-to-many), and a module saved
to JSON can be reloaded into any library that defines the same block names.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Module"]

_FORMAT = "voxtwin.Module"


@dataclass(frozen=True, eq=False)
class Module:
    """A named grid of block references.

    ``palette``: the block names; ``ids``: int32 ``[gx, gy, gz]`` indices into ``palette``
    (-1 = air); ``transforms``: uint8 turn/mirror code per cell (see ``assemble.transforms``).
    """

    name: str
    palette: tuple[str, ...]
    ids: np.ndarray
    transforms: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"`name` must be a non-empty string, got name={self.name!r}")
        ids = np.ascontiguousarray(self.ids, dtype=np.int32)
        tfs = np.ascontiguousarray(self.transforms, dtype=np.uint8)
        if ids.ndim != 3 or ids.shape != tfs.shape:
            raise ValueError(f"`ids` and `transforms` must be 3D grids of one shape, got {ids.shape} and {tfs.shape}")
        if ids.size and (ids.min() < -1 or ids.max() >= len(self.palette)):
            raise ValueError(f"`ids` must index `palette` (0..{len(self.palette) - 1}) or be -1 (air)")
        if tfs.size and tfs.max() >= 48:
            raise ValueError(f"`transforms` codes must be in 0..47, got max {int(tfs.max())}")
        ids.flags.writeable = False
        tfs.flags.writeable = False
        object.__setattr__(self, "ids", ids)
        object.__setattr__(self, "transforms", tfs)
        object.__setattr__(self, "palette", tuple(self.palette))

    @property
    def grid_shape(self) -> tuple[int, int, int]:
        """Extent in blocks along X, Y, Z."""
        return tuple(int(n) for n in self.ids.shape)  # type: ignore[return-value]

    @property
    def n_blocks(self) -> int:
        """Number of non-air cells."""
        return int(np.count_nonzero(self.ids >= 0))

    def to_dict(self) -> dict:
        """JSON-ready description (block names, grid of palette indices, transform codes)."""
        return {"format": _FORMAT, "version": 1, "name": self.name, "grid_shape": list(self.grid_shape),
                "palette": list(self.palette), "ids": self.ids.tolist(), "transforms": self.transforms.tolist()}

    @classmethod
    def from_dict(cls, data: dict) -> Module:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise ValueError(f"not a voxtwin module description (format {_FORMAT!r} expected)")
        ids = np.asarray(data["ids"], dtype=np.int32).reshape(data["grid_shape"])
        tfs = np.asarray(data["transforms"], dtype=np.uint8).reshape(data["grid_shape"])
        return cls(data["name"], tuple(data["palette"]), ids, tfs)

    def save(self, path: str | os.PathLike) -> Path:
        """Writes the module as JSON; returns the path."""
        path = Path(path)
        path.write_text(json.dumps(self.to_dict()))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> Module:
        """Reads a module written by :meth:`save`."""
        from ..errors import FileFormatError

        try:
            data = json.loads(Path(path).read_text())
            return cls.from_dict(data)
        except (OSError, json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
            raise FileFormatError(f"cannot read module from `path`={str(path)!r}: {exc}") from exc

    def __repr__(self) -> str:
        gx, gy, gz = self.grid_shape
        return f"Module({self.name!r}, {gx}×{gy}×{gz} cells, {self.n_blocks} blocks of {sorted(set(self.palette))})"
