"""``read`` and ``write``: pick the format from the path and hand over to its reader or writer."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .._validate import choice
from .._limits import regular_file
from ..errors import FileFormatError, MissingFileError
from ._common import check_data, check_field, check_target, chunk_shape, resolve_voxel_size, voxel_size_arg
from .downsample import METHODS
from .npy import read_npy, write_npy
from .raw import RAW_SUFFIXES, read_raw, write_raw
from .tiff import TIFF_SUFFIXES, read_tiff, read_tiff_folder, tiff_slices, write_tiff, write_tiff_folder
from .volume import Volume
from .ome_zarr import write_ome_zarr
from .vti import write_vti
from .zarr_store import DEFAULT_CHUNKS, is_zarr, read_zarr, write_zarr

__all__ = ["read", "write", "detect_format", "FORMATS"]

FORMATS = ("tiff", "tiff-folder", "raw", "npy", "zarr", "ome-zarr", "vti")
_READ_FORMATS = ("tiff", "tiff-folder", "raw", "npy", "zarr", "ome-zarr")
# Formats that also take a field with components, [c, x, y, z].
_FIELD_FORMATS = ("ome-zarr", "vti")
# Formats with no place for a voxel size (npy) or no header at all (raw).
_NO_VOXEL_SIZE = ("raw", "npy")
_WRITE_SUFFIXES = {".tif": "tiff", ".tiff": "tiff", ".raw": "raw", ".bin": "raw", ".npy": "npy", ".zarr": "ome-zarr",
                   ".vti": "vti"}


def _as_path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"`path` must be a str or path-like, got path={path!r}")
    return Path(path)


def detect_format(path: str | os.PathLike) -> str:
    """The format ``read`` would use for ``path``: from its suffix, or what a folder holds.

    ``.tif``/``.tiff`` → "tiff"; ``.raw``/``.bin`` → "raw"; ``.npy`` → "npy"; ``.zarr`` or a folder
    with zarr metadata → "zarr"; a folder of TIFF files → "tiff-folder".
    """
    p = _as_path(path)
    suffix = p.suffix.lower()
    if suffix == ".zarr" or is_zarr(p):
        return "zarr"
    if p.is_dir():
        if tiff_slices(p):
            return "tiff-folder"
        raise FileFormatError(f"{p}: folder holds neither zarr metadata nor .tif/.tiff slices")
    if suffix in TIFF_SUFFIXES:
        return "tiff"
    if suffix in RAW_SUFFIXES:
        return "raw"
    if suffix == ".npy":
        return "npy"
    raise FileFormatError(f"{p}: unknown volume format (suffix {suffix!r}); use .tif, .tiff, .raw, .bin, .npy, "
                          "a .zarr store or a folder of TIFF slices, or pass format=")


def read(path: str | os.PathLike, *, format: str | None = None, shape: tuple[int, int, int] | None = None,
         dtype: object = None, byte_order: str | None = None, offset: int = 0, order: str = "F",
         voxel_size: float | None = None, array_path: str | None = None, axes: str | None = None,
         progress: bool = True) -> Volume:
    """Read a CT volume into memory, indexed [x, y, z].

    Args:
        path: a ``.tif``/``.tiff`` stack (pages along z), a folder of TIFF slices (natural name
            order along z), a ``.raw``/``.bin`` file, a ``.npy`` file, or a zarr store (v3 or v2).
        format: force one of ``FORMATS`` instead of guessing from the path.
        shape: (nx, ny, nz) of a raw file (required for raw).
        dtype: voxel type of a raw file (required for raw), e.g. ``"uint16"`` or ``">f4"``.
        byte_order: ``"little"``, ``"big"`` or ``"native"`` for multi-byte raw dtypes (required unless
            ``dtype`` states it, as in ``"<u2"``).
        offset: bytes to skip at the start of a raw file (a header).
        order: voxel order in a raw file: ``"F"`` (x fastest, as Fiji/ImageJ write) or ``"C"`` (z fastest).
        voxel_size: voxel edge in µm; overrides what the file says (raw and npy files say nothing).
        array_path: the array inside a zarr group (needed when the group holds several arrays).
        axes: axis order of a zarr array as stored (e.g. ``"zyx"``) when its metadata does not say.
        progress: show a progress bar while reading a folder of slices.

    Returns:
        A :class:`Volume`: ``.data`` (C-contiguous, native byte order), ``.voxel_size`` (µm or None)
        and ``.metadata``.

    Raises:
        voxtwin.MissingFileError: nothing at ``path`` (a ``FileNotFoundError`` too).
        voxtwin.InsufficientMemoryError: the size the file declares does not fit the memory available.
        voxtwin.FileFormatError: the file is unreadable, truncated or inconsistent (the message names it).
        ValueError, TypeError: bad arguments (named in the message).
    """
    p = _as_path(path)
    if not p.exists():
        raise MissingFileError(f"{p}: no such file or folder (`path`={str(p)!r})")
    if not p.is_dir():
        regular_file(p)  # devices and pipes have no size to check against memory
    fmt = detect_format(p) if format is None else choice("format", format, _READ_FORMATS)
    given = voxel_size_arg(voxel_size)
    raw_args = (shape, dtype, byte_order)
    if fmt != "raw" and any(a is not None for a in raw_args):
        raise ValueError(f"`shape`, `dtype` and `byte_order` are for raw files only; {p} is {fmt}")
    if fmt == "tiff":
        data, vs, meta = read_tiff(p, given)
    elif fmt == "tiff-folder":
        data, vs, meta = read_tiff_folder(p, given, progress)
    elif fmt == "raw":
        data, vs, meta = read_raw(p, shape=shape, dtype=dtype, byte_order=byte_order, offset=offset, order=order)
        vs = given
    elif fmt == "npy":
        data, vs, meta = read_npy(p)
        vs = given
    else:  # zarr and OME-Zarr: an OME group gives its full-resolution level
        data, spacing, meta = read_zarr(p, array_path=array_path, axes=axes)
        vs = resolve_voxel_size(p, spacing, given, meta)
    return Volume(data=data, voxel_size=vs, metadata=meta)


def write(path: str | os.PathLike, data: np.ndarray, voxel_size: float | None = None, *, format: str | None = None,
          overwrite: bool = False, byte_order: str = "little", order: str = "F", chunks: object = None,
          compression: str | None = None, progress: bool = True, downsampling: str | None = None) -> Path:
    """Write a volume indexed [x, y, z] so that ``read`` gives it back exactly.

    Args:
        path: target; the format follows from the suffix (``.tif``/``.tiff``, ``.raw``/``.bin``,
            ``.npy``, ``.zarr`` → OME-Zarr, ``.vti``) unless ``format`` is given (``"tiff-folder"`` writes one
            TIFF per z slice; ``"zarr"`` a plain zarr v3 array without pyramid; ``"ome-zarr"`` an OME-NGFF 0.5
            group with axes in µm and a multiscale pyramid; ``"vti"`` VTK image data for ParaView, which
            needs the ``vtk`` extra).
        data: 3D numpy array [x, y, z] of booleans, integers or floats; for ``"ome-zarr"`` and ``"vti"``
            also a field [c, x, y, z] with c components (e.g. the six Voigt stresses).
        voxel_size: voxel edge in µm, stored in TIFF (ImageJ) metadata and zarr attributes; raw and
            npy files cannot hold it (a warning says so).
        overwrite: replace an existing file or store; without it an existing target is an error.
        byte_order, order: byte order (``"little"``, ``"big"``, ``"native"``) and voxel order
            (``"F"`` x fastest, ``"C"`` z fastest) of a raw file.
        chunks: zarr chunk shape (an int edge or three ints; default 128³ or the volume if smaller).
        compression: TIFF compression passed to tifffile (e.g. ``"zlib"``); none by default.
        progress: show a progress bar while writing a folder of slices.
        downsampling: how OME-Zarr levels summarise 2×2×2 voxels: ``"mode"`` (labels) or ``"mean"`` (grey
            values, fields); by default labels are recognised as booleans or integers with ≤ 16 values.

    Returns:
        The path written.
    """
    p = _as_path(path)
    vs = voxel_size_arg(voxel_size)
    if format is None:
        suffix = p.suffix.lower()
        fmt = _WRITE_SUFFIXES.get(suffix)
        if fmt is None:
            raise ValueError(f"`path` must end in .tif, .tiff, .raw, .bin, .npy or .zarr (or pass format=), got "
                             f"path={str(p)!r}")
    else:
        fmt = choice("format", format, FORMATS)
    arr = check_field(data) if fmt in _FIELD_FORMATS and getattr(data, "ndim", 0) == 4 else check_data(data)
    if downsampling is not None:
        choice("downsampling", downsampling, METHODS)
    check_target(p, overwrite)
    if not p.parent.is_dir():
        raise FileNotFoundError(f"{p.parent}: folder does not exist (writing {p.name})")
    if vs is not None and fmt in _NO_VOXEL_SIZE:
        warnings.warn(f"{p}: the {fmt} format has no place for voxel_size={vs} µm; it is not stored",
                      UserWarning, stacklevel=2)
    if fmt == "tiff":
        write_tiff(p, arr, vs, compression)
    elif fmt == "tiff-folder":
        write_tiff_folder(p, arr, vs, compression, progress)
    elif fmt == "raw":
        write_raw(p, arr, byte_order=byte_order, order=order)
    elif fmt == "npy":
        write_npy(p, arr)
    elif fmt == "zarr":
        write_zarr(p, arr, vs, chunks=chunks, overwrite=overwrite)
    elif fmt == "ome-zarr":
        write_ome_zarr(p, arr, vs, chunks=chunk_shape(chunks, DEFAULT_CHUNKS), method=downsampling,
                       overwrite=overwrite)
    else:
        write_vti(p, arr, vs)
    return p

