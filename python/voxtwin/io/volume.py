"""The volume a reader returns: voxel data indexed [x, y, z], the voxel size, and what the file said."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Volume"]


@dataclass(frozen=True)
class Volume:
    """A volume read from a file.

    Attributes:
        data: the voxels, a C-contiguous numpy array indexed ``[x, y, z]`` in the file's dtype
            (native byte order).
        voxel_size: edge length of a voxel in µm, or None when the file does not say (or says it
            anisotropically: then ``metadata["spacing_um"]`` holds the (x, y, z) spacing).
        metadata: what else the file said: ``format``, the source ``path``, and format-specific
            entries (TIFF ImageJ metadata, zarr attributes, raw byte order, ...).
    """

    data: np.ndarray
    voxel_size: float | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``data`` (nx, ny, nz)."""
        return tuple(self.data.shape)

    @property
    def path(self) -> Path | None:
        """The file or folder the volume was read from."""
        path = self.metadata.get("path")
        return Path(path) if path is not None else None

    def __repr__(self) -> str:
        vs = "unknown" if self.voxel_size is None else f"{self.voxel_size:g} µm"
        return (f"Volume(shape={self.shape}, dtype={self.data.dtype}, voxel_size={vs}, "
                f"format={self.metadata.get('format')!r})")
