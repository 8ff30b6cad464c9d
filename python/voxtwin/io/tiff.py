"""TIFF volumes: one multi-page file or a folder of single-slice files, pages along z.

tifffile gives pages as (z, y, x); voxtwin works in [x, y, z], so reading transposes and writing
transposes back. A round trip is exact and the files open the right way round in Fiji/ImageJ.
The voxel size goes into the ImageJ metadata (``spacing``, ``unit``) and the resolution tags for
the dtypes ImageJ knows (uint8, uint16, float32), else into tifffile's JSON description.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import tifffile

from .._progress import progress
from .._limits import require_memory
from ..errors import FileFormatError
from ._common import as_xyz, atomic_file, resolve_voxel_size, reverse_axes, unit_to_um

__all__ = ["read_tiff", "write_tiff", "read_tiff_folder", "write_tiff_folder", "TIFF_SUFFIXES"]

TIFF_SUFFIXES = (".tif", ".tiff")
_IMAGEJ_DTYPES = (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32))
# TIFF ResolutionUnit values (tag 296) and tifffile's extensions, in µm.
_RESUNIT_UM = {3: 1e4, 4: 1e3, 5: 1.0}  # CENTIMETER, MILLIMETER, MICROMETER


def _xy_resolution_um(page: tifffile.TiffPage, unit_um: float | None) -> tuple[float, float] | None:
    """Pixel size in x and y (µm) from the resolution tags, or None when they carry no length."""
    tags = page.tags
    if "XResolution" not in tags or "YResolution" not in tags:
        return None
    if unit_um is None:
        resunit = int(tags["ResolutionUnit"].value) if "ResolutionUnit" in tags else 2
        unit_um = _RESUNIT_UM.get(resunit)
        if unit_um is None:  # none or inch: a print resolution, not a voxel size
            return None
    sizes = []
    for name in ("XResolution", "YResolution"):
        num, den = tags[name].value
        if num <= 0 or den <= 0:
            return None
        sizes.append(unit_um * den / num)
    return sizes[0], sizes[1]


def _spacing(tif: tifffile.TiffFile) -> tuple[tuple[float, float, float] | None, dict[str, Any]]:
    """The (x, y, z) spacing in µm a TIFF file states, and the metadata it came from."""
    meta: dict[str, Any] = {}
    page = tif.pages[0]
    ij = tif.imagej_metadata
    if ij:
        meta["imagej"] = dict(ij)
        unit_um = unit_to_um(ij.get("unit"))
        if unit_um is not None:
            xy = _xy_resolution_um(page, unit_um)
            if xy is not None:
                z = float(ij["spacing"]) * unit_um if "spacing" in ij else xy[0]
                return (xy[0], xy[1], z), meta
        return None, meta
    shaped = tif.shaped_metadata
    if shaped:
        meta["description"] = dict(shaped[0])
        vs = shaped[0].get("voxel_size_um")
        if isinstance(vs, (int, float)) and vs > 0:
            return (float(vs),) * 3, meta  # type: ignore[return-value]
    xy = _xy_resolution_um(page, None)
    if xy is not None:
        return (xy[0], xy[1], xy[0]), meta
    return None, meta


def read_tiff(path: Path, voxel_size: float | None) -> tuple[np.ndarray, float | None, dict[str, Any]]:
    """Read a multi-page TIFF: pages along z, returned as a C-contiguous [x, y, z] array."""
    try:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            _check_series(path, tif, series)
            zyx = series.asarray()
            spacing, meta = _spacing(tif)
            meta["axes"] = series.axes
    except (FileFormatError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file makes tifffile raise almost anything (struct.error, ...)
        raise FileFormatError(f"{path}: not a readable TIFF volume ({type(exc).__name__}: {exc})") from exc
    if zyx.ndim == 3 and series.axes[-1] in "SC" and zyx.shape[-1] in (3, 4):
        raise FileFormatError(f"{path}: colour (RGB) images are not grey-value volumes, axes {series.axes!r}")
    data = as_xyz(reverse_axes(zyx) if zyx.ndim == 3 else zyx.T, path)
    meta.update(format="tiff", path=str(path))
    return data, resolve_voxel_size(path, spacing, voxel_size, meta), meta


def _check_series(path: Path, tif: tifffile.TiffFile, series: tifffile.TiffPageSeries) -> None:
    """Refuse pages that do not form one volume, and volumes the memory cannot hold, before reading.

    tifffile puts pages of another size or dtype into further series; reading only the first
    would silently drop them.
    """
    # reduced-resolution pages (thumbnails, previews) are not part of the volume
    others = [s for s in tif.series[1:] if not getattr(s.keyframe, "is_reduced", False)]
    if others:
        other = others[0]
        raise FileFormatError(
            f"{path}: pages differ in size or dtype ({len(others) + 1} series: the first {series.shape} of "
            f"{series.dtype}, then {other.shape} of {other.dtype}); a volume needs pages of one size and dtype")
    need = float(np.prod(series.shape, dtype=np.float64)) * np.dtype(series.dtype).itemsize
    require_memory(2 * need, f"reading {path} (declared shape {series.shape}, {series.dtype})")  # + [x, y, z] copy


def write_tiff(path: Path, data: np.ndarray, voxel_size: float | None, compression: str | None = None) -> None:
    """Write [x, y, z] as a multi-page TIFF (pages along z) with the voxel size in its metadata."""
    zyx = reverse_axes(data)  # tifffile writes the last two axes as the page (y, x)
    # minisblack: tifffile would otherwise store a 3- or 4-slice volume as RGB(A) samples
    kwargs: dict[str, Any] = {"compression": compression, "photometric": "minisblack"}
    if data.dtype in _IMAGEJ_DTYPES:
        metadata: dict[str, Any] = {"axes": "ZYX"}
        if voxel_size is not None:
            kwargs["resolution"] = (1.0 / voxel_size, 1.0 / voxel_size)
            metadata.update(spacing=voxel_size, unit="micron")
        kwargs.update(imagej=True, metadata=metadata)
    else:
        metadata = {"axes": "ZYX"}
        if voxel_size is not None:
            kwargs.update(resolution=(1e4 / voxel_size, 1e4 / voxel_size), resolutionunit="CENTIMETER")
            metadata["voxel_size_um"] = voxel_size
        kwargs.update(metadata=metadata, bigtiff=data.nbytes > 2**32 - 2**25)
    with atomic_file(path) as tmp:
        tifffile.imwrite(tmp, zyx, **kwargs)


def _natural_key(path: Path) -> list[object]:
    """Sort slice_2 before slice_10."""
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", path.name)]


def tiff_slices(folder: Path) -> list[Path]:
    """The TIFF files in ``folder``, in natural order of their names (the slice order)."""
    return sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in TIFF_SUFFIXES
                   and not p.name.startswith(".")), key=_natural_key)


def read_tiff_folder(folder: Path, voxel_size: float | None,
                     show_progress: bool = True) -> tuple[np.ndarray, float | None, dict[str, Any]]:
    """Read a folder of single-slice TIFF files (one z slice each, in natural name order)."""
    files = tiff_slices(folder)
    if not files:
        raise FileFormatError(f"{folder}: folder holds no .tif/.tiff files")
    first, spacing, meta = None, None, {}
    data = None
    for z, file in enumerate(progress(files, total=len(files), desc="read TIFF slices", enabled=show_progress,
                                      unit="slice")):
        try:
            with tifffile.TiffFile(file) as tif:
                if z == 0:
                    s0 = tif.series[0]
                    require_memory(2.0 * float(np.prod(s0.shape, dtype=np.float64)) * np.dtype(s0.dtype).itemsize
                                   * len(files), f"reading {len(files)} slices of {s0.shape} ({s0.dtype}) from {folder}")
                page = tif.series[0].asarray()
                if z == 0:
                    spacing, meta = _spacing(tif)
        except MemoryError:
            raise
        except Exception as exc:  # noqa: BLE001 - see read_tiff
            raise FileFormatError(f"{file}: not a readable TIFF slice ({type(exc).__name__}: {exc})") from exc
        if page.ndim != 2:
            raise FileFormatError(f"{file}: expected one 2D grey-value slice, found an array of shape {page.shape}")
        if first is None:
            first = page
            data = np.empty((page.shape[1], page.shape[0], len(files)), dtype=page.dtype.newbyteorder("="))
        elif page.shape != first.shape or page.dtype != first.dtype:
            raise FileFormatError(f"{file}: slice of shape {page.shape} and dtype {page.dtype} does not match "
                                  f"the first slice {files[0].name} ({first.shape}, {first.dtype})")
        data[:, :, z] = page.T
    meta.update(format="tiff-folder", path=str(folder), files=len(files))
    if spacing is not None and meta.get("imagej", {}).get("spacing") is None:
        spacing = (spacing[0], spacing[1], spacing[0])  # single slices carry no z step: assume cubic
    assert data is not None
    return as_xyz(data, folder), resolve_voxel_size(folder, spacing, voxel_size, meta), meta


def write_tiff_folder(folder: Path, data: np.ndarray, voxel_size: float | None, compression: str | None = None,
                      show_progress: bool = True) -> None:
    """Write one TIFF file per z slice into ``folder`` (created; named slice_00000.tif, ...).

    TIFF files already in the folder are removed first (the caller allowed overwriting), so the
    folder never mixes slices of two volumes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in tiff_slices(folder):
        old.unlink()
    width = max(5, len(str(data.shape[2] - 1)))
    for z in progress(range(data.shape[2]), total=data.shape[2], desc="write TIFF slices", enabled=show_progress,
                      unit="slice"):
        write_tiff(folder / f"slice_{z:0{width}d}.tif", data[:, :, z:z + 1], voxel_size, compression)
