"""Zarr (v3) volumes: chunked, compressed arrays with the voxel size in their attributes.

voxtwin writes the array indexed [x, y, z] with ``dimension_names=("x", "y", "z")`` and the
attribute ``voxtwin = {"axes": "xyz", "voxel_size_um": ...}``. Stores written by others are read too:
the axis order comes from ``dimension_names`` when they name x, y and z, else from OME-NGFF
``multiscales`` axes, else it is taken as [x, y, z] (pass ``axes="zyx"`` to say otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import zarr
import zarr.errors

from .._limits import require_memory
from . import chunk_manifest
from ..errors import FileFormatError
from ._common import as_xyz, chunk_shape, unit_to_um

__all__ = ["read_zarr", "write_zarr", "is_zarr", "DEFAULT_CHUNKS"]

DEFAULT_CHUNKS = 128  # voxels per chunk edge: 2 MiB chunks of uint8, large enough for fast compression
_ZSTD_LEVEL = 3  # zstd's own default: good ratio at ~100s of MB/s


def is_zarr(path: Path) -> bool:
    """A folder with zarr metadata (v3 ``zarr.json`` or v2 ``.zarray``/``.zgroup``)."""
    return path.is_dir() and any((path / name).is_file() for name in ("zarr.json", ".zarray", ".zgroup"))


def _check_axes(axes: object) -> str:
    if not isinstance(axes, str) or sorted(axes.lower()) != ["x", "y", "z"]:
        raise ValueError(f"`axes` must name the stored axes as a permutation of 'xyz' (e.g. 'zyx'), got axes={axes!r}")
    return axes.lower()


def _ome(attrs: dict[str, Any]) -> dict[str, Any] | None:
    multiscales = attrs.get("ome", attrs).get("multiscales")
    if isinstance(multiscales, list) and multiscales and isinstance(multiscales[0], dict):
        return multiscales[0]
    return None


def _open_array(path: Path, array_path: str | None) -> tuple[Any, dict[str, Any]]:
    """The array to read and the attributes of the node that describes it (the group for OME-NGFF)."""
    try:
        node = zarr.open(str(path), mode="r")
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged metadata makes zarr raise many kinds of errors
        raise FileFormatError(f"{path}: not a readable zarr store ({type(exc).__name__}: {exc})") from exc
    if isinstance(node, zarr.Array):
        if array_path is not None:
            raise ValueError(f"`array_path` is only for zarr groups; {path} is an array, got array_path={array_path!r}")
        return node, dict(node.attrs)
    group_attrs = dict(node.attrs)
    if array_path is None:
        ome = _ome(group_attrs)
        keys = sorted(node.array_keys())
        ours = group_attrs.get("voxtwin") if isinstance(group_attrs.get("voxtwin"), dict) else {}
        if ome and ome.get("datasets"):
            array_path = str(ome["datasets"][0]["path"])  # full resolution
        elif ours.get("kind") == "voxtwin.Assembly" and "labels" in keys:
            array_path = "labels"  # an assembly store: the volume beside its bookkeeping arrays
        elif len(keys) == 1:
            array_path = keys[0]
        else:
            raise FileFormatError(f"{path}: zarr group holds {len(keys)} arrays {keys}; choose one with array_path=")
    try:
        array = node[array_path]
    except KeyError:
        raise FileFormatError(f"{path}: zarr group has no array {array_path!r}") from None
    if not isinstance(array, zarr.Array):
        raise FileFormatError(f"{path}: {array_path!r} is a group, not an array")
    attrs = {**group_attrs, **dict(array.attrs)}
    return array, attrs


def _layout(array: Any, attrs: dict[str, Any], axes: str | None) -> tuple[str, tuple[float, ...] | None]:
    """Axis order of the stored array (letters x, y, z) and the spacing along those axes in µm."""
    ours = attrs.get("voxtwin") if isinstance(attrs.get("voxtwin"), dict) else {}
    spacing = None
    if ours.get("voxel_size_um") is not None:
        spacing = (float(ours["voxel_size_um"]),) * 3
    names = getattr(array.metadata, "dimension_names", None)
    ome = _ome(attrs)
    found = None
    if names and all(isinstance(n, str) for n in names) and sorted(n.lower() for n in names) == ["x", "y", "z"]:
        found = "".join(n.lower() for n in names)
    elif isinstance(ours.get("axes"), str):
        found = ours["axes"]
    elif ome is not None:
        ome_axes = [a.get("name", "") if isinstance(a, dict) else str(a) for a in ome.get("axes", [])]
        spatial = [a.lower() for a in ome_axes if a.lower() in ("x", "y", "z")]
        if len(ome_axes) == array.ndim == 3 and sorted(spatial) == ["x", "y", "z"]:
            found = "".join(spatial)
            if spacing is None:
                spacing = _ome_spacing(ome, ome_axes)
    if spacing is None and ome is not None:
        ome_axes = [a.get("name", "") if isinstance(a, dict) else str(a) for a in ome.get("axes", [])]
        if len(ome_axes) == array.ndim:
            spacing = _ome_spacing(ome, ome_axes)
            if spacing is not None and found is not None:  # the scale follows the stored axis order
                spacing = tuple(spacing[[a.lower() for a in ome_axes].index(c)] for c in found)
    if axes is not None:
        return axes, spacing
    return found or "xyz", spacing


def _ome_spacing(ome: dict[str, Any], names: list[str]) -> tuple[float, ...] | None:
    """Per-axis scale (µm) of the first OME-NGFF dataset when its axes carry length units."""
    try:
        transforms = ome["datasets"][0]["coordinateTransformations"]
        scale = next(t["scale"] for t in transforms if t.get("type") == "scale")
        units = [unit_to_um(a.get("unit")) for a in ome["axes"]]
    except (KeyError, IndexError, StopIteration, TypeError, AttributeError):
        return None
    if any(u is None for u in units) or len(scale) != len(names):
        return None
    return tuple(float(s) * u for s, u in zip(scale, units))  # type: ignore[operator]


def read_zarr(path: Path, *, array_path: str | None = None,
              axes: str | None = None) -> tuple[np.ndarray, tuple[float, float, float] | None, dict[str, Any]]:
    """Read a zarr array (or one array of a group) into memory as [x, y, z].

    Returns the data, the (x, y, z) spacing in µm when the store states one, and metadata.
    """
    if axes is not None:
        axes = _check_axes(axes)
    array, attrs = _open_array(path, array_path)
    if array.ndim not in (2, 3):
        raise FileFormatError(f"{path}: expected a 3D volume, found a zarr array of shape {array.shape}")
    stored, spacing = _layout(array, attrs, axes) if array.ndim == 3 else ("xy", None)
    need = float(np.prod(array.shape, dtype=np.float64)) * array.dtype.itemsize
    require_memory(2 * need, f"reading {path} (zarr.json declares shape {tuple(array.shape)}, {array.dtype})")
    _check_chunks(path, array, attrs)
    try:
        data = np.asarray(array[...])
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - codecs raise RuntimeError (zstd), ValueError, ...
        raise FileFormatError(f"{path}: zarr chunks could not be read ({type(exc).__name__}: {exc}); "
                              "run `voxtwin verify` on the store to find the damaged chunk") from exc
    if data.ndim == 3:
        perm = tuple(stored.index(a) for a in "xyz")
        data = data.transpose(perm)
        if spacing is not None:
            spacing = tuple(spacing[i] for i in perm)
    meta = {"format": "zarr", "path": str(path), "attributes": attrs, "stored_axes": stored,
            "chunks": tuple(array.chunks)}
    return as_xyz(data, path), spacing, meta  # type: ignore[return-value]


def _check_chunks(path: Path, array: Any, attrs: dict[str, Any]) -> None:
    """Missing chunks of a store that says it stores all of them (voxtwin's own ``write``), or that
    carries a chunk manifest (assembly stores), are an error: zarr would read them as fill values."""
    ours = attrs.get("voxtwin") if isinstance(attrs.get("voxtwin"), dict) else {}
    if ours.get("all_chunks_stored"):
        found = array.nchunks_initialized
        if found != array.nchunks:
            raise FileFormatError(f"{path}: {array.nchunks - found} of {array.nchunks} chunks are missing "
                                  "(the store was written with every chunk); it is damaged")
    manifest = chunk_manifest.open_for(path, array)
    if manifest is not None:
        bad = chunk_manifest.check(array, manifest, path)
        if bad:
            raise FileFormatError(f"{path}: {len(bad)} damaged chunk(s): {chunk_manifest.describe(bad)}; "
                                  "`voxtwin verify --repair` rewrites them")


def write_zarr(path: Path, data: np.ndarray, voxel_size: float | None, *, chunks: object = None,
               overwrite: bool = False) -> None:
    """Write [x, y, z] to a zarr v3 array, chunked and zstd-compressed, with the voxel size in its attributes."""
    chunks3 = tuple(min(c, n) for c, n in zip(chunk_shape(chunks, DEFAULT_CHUNKS), data.shape))
    from zarr.codecs import Crc32cCodec, ZstdCodec

    attrs = {"voxtwin": {"axes": "xyz", "voxel_size_um": voxel_size, "unit": "micrometer"}}
    # every chunk is stored, even one of fill values alone, so that a deleted chunk is found on reading
    attrs["voxtwin"]["all_chunks_stored"] = True
    array = zarr.create_array(store=str(path), shape=data.shape, dtype=data.dtype, chunks=chunks3,
                              compressors=(ZstdCodec(level=_ZSTD_LEVEL), Crc32cCodec()),  # a damaged chunk fails
                              dimension_names=("x", "y", "z"),
                              attributes=attrs, overwrite=overwrite, zarr_format=3,
                              config={"write_empty_chunks": True})
    array[...] = data
