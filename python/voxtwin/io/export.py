"""``voxtwin export``: a volume (any format ``read`` takes, or one level of an OME-Zarr pyramid)
converted to VTK image data (ParaView), OME-Zarr (napari, neuroglancer) or a TIFF stack (Fiji)."""

from __future__ import annotations

import os
from pathlib import Path

import zarr

from .._validate import choice, integer
from ..errors import FileFormatError
from .readwrite import read, write

__all__ = ["export", "EXPORT_FORMATS"]

EXPORT_FORMATS = ("vti", "ome-zarr", "tiff")
_SUFFIX = {"vti": ".vti", "ome-zarr": ".zarr", "tiff": ".tif"}


def _level_path(source: Path, level: int) -> str:
    try:
        ome = dict(zarr.open_group(str(source), mode="r").attrs)["ome"]["multiscales"][0]
        datasets = ome["datasets"]
    except (KeyError, IndexError, TypeError, ValueError, OSError) as exc:
        raise FileFormatError(f"{source}: `level`={level} needs an OME-Zarr store with multiscales ({exc})") from exc
    if level >= len(datasets):
        raise ValueError(f"`level` must be below the {len(datasets)} levels of {source}, got level={level}")
    return str(datasets[level]["path"])


def export(source: str | os.PathLike, out: str | os.PathLike | None = None, format: str = "vti", *,
           level: int = 0, overwrite: bool = False) -> Path:
    """Write the volume at ``source`` to ``out`` as ``format`` ("vti", "ome-zarr" or "tiff").

    ``out`` defaults to ``source`` with the format's suffix. ``level``: the pyramid level of an
    OME-Zarr source (0 = full resolution; level n has voxels 2**n times larger), so that a giga-voxel
    store can go to ParaView at a size that fits in memory. The voxel size (µm) carries over.
    """
    fmt = choice("format", format, EXPORT_FORMATS)
    level = integer("level", level, minimum=0)
    src = Path(os.fspath(source))
    vol = read(src, array_path=_level_path(src, level) if level else None, progress=False)
    vs = None if vol.voxel_size is None else vol.voxel_size * 2 ** level
    if out is None:
        stem = src.name[:-len(".ome.zarr")] if src.name.endswith(".ome.zarr") else src.stem
        out = src.with_name(stem + (f"_level{level}" if level else "") + _SUFFIX[fmt])
    return write(out, vol.data, vs, format=fmt, overwrite=overwrite, progress=False)
