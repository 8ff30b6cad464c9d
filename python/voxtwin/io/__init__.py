"""Step 1 of the pipeline: read and write CT volumes (TIFF stacks, raw binary, .npy, zarr v3).

Volumes are numpy arrays indexed ``[x, y, z]`` (C-contiguous) with the voxel size in µm::

    vol = vt.io.read("scan.tif")                   # TIFF pages along z
    vol = vt.io.read("scan.raw", shape=(512, 512, 300), dtype="uint16", byte_order="little")
    vt.io.write("labels.zarr", labels, voxel_size=vol.voxel_size)
"""

from __future__ import annotations

from .readwrite import FORMATS, detect_format, read, write
from .volume import Volume

__all__ = ["read", "write", "detect_format", "Volume", "FORMATS"]
