"""OME-Zarr (OME-NGFF 0.5 on zarr v3): named axes in micrometres, the voxel size as the scale
transform, and a multiscale pyramid that napari, neuroglancer, ParaView and ``ome-zarr`` open lazily.

Layout of a store written by :func:`write_ome_zarr` (an assembly store keeps its own level-0 path
``labels`` and puts its levels under ``pyramid/``)::

    zarr.json      attributes["ome"] = {"version": "0.5", "multiscales": [...]}, attributes["voxtwin"]
    0/             full resolution, indexed [x, y, z] (or [c, x, y, z] for a field with components)
    1/, 2/, ...    each level 2×2×2 coarser: labels by majority (mode), grey values and fields by mean

Axes stay in voxtwin's order (x, y, z) and are named so; NGFF requires only that space axes come
last. Levels are built chunk by chunk from the level above (one output chunk reads a 2× window), so a
giga-voxel store never sits in memory; with ``done`` flags per level an interrupted build resumes.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from zarr.codecs import Crc32cCodec, ZstdCodec

from .._progress import progress_bar
from .downsample import METHODS, coarse_shape, downsample2

__all__ = ["NGFF_VERSION", "multiscales", "level_shapes", "pick_method", "build_pyramid", "write_ome_zarr",
           "write_multiscales_attrs"]

NGFF_VERSION = "0.5"
_ZSTD_LEVEL = 3
_MODE_MAX_DISTINCT = 16  # integer volumes with at most this many values are labels (phases, few classes)


def pick_method(data: np.ndarray) -> str:
    """``"mode"`` for labels (booleans; integers with at most 16 distinct values), else ``"mean"``."""
    if data.dtype.kind == "b":
        return "mode"
    if data.dtype.kind in "iu" and np.unique(data).size <= _MODE_MAX_DISTINCT:
        return "mode"
    return "mean"


def level_shapes(shape: tuple[int, ...], chunks: tuple[int, ...], max_levels: int | None = None) -> list[tuple[int, ...]]:
    """Shapes of the pyramid levels: halve the x, y, z axes until a level fits in one chunk."""
    shapes = [tuple(int(n) for n in shape)]
    while any(n > c for n, c in zip(shapes[-1][-3:], chunks[-3:])) and (max_levels is None or len(shapes) < max_levels):
        shapes.append(coarse_shape(shapes[-1]))
    return shapes


def multiscales(paths: list[str], voxel_size: float | None, *, components: bool = False, name: str = "",
                method: str = "mode") -> dict[str, Any]:
    """The NGFF 0.5 ``ome`` attribute for levels ``paths`` (level i is 2**i coarser), axes x, y, z in µm.

    Each level's scale is ``voxel_size * 2**i`` µm and its translation ``voxel_size * (2**i - 1) / 2`` µm,
    which keeps voxel centres where the full-resolution voxels they summarise are centred.
    """
    vs = 1.0 if voxel_size is None else float(voxel_size)
    axes: list[dict[str, str]] = [{"name": "c", "type": "channel"}] if components else []
    axes += [{"name": n, "type": "space", "unit": "micrometer"} for n in "xyz"]
    lead = [1.0] if components else []
    lead0 = [0.0] if components else []
    datasets = []
    for i, path in enumerate(paths):
        f = 2.0 ** i
        transforms: list[dict[str, Any]] = [{"type": "scale", "scale": lead + [vs * f] * 3}]
        if i:
            transforms.append({"type": "translation", "translation": lead0 + [vs * (f - 1) / 2] * 3})
        datasets.append({"path": path, "coordinateTransformations": transforms})
    entry: dict[str, Any] = {"name": name or "volume", "axes": axes, "datasets": datasets,
                             "type": "mode" if method == "mode" else "mean",
                             "metadata": {"description": "2x2x2 downsampling per level",
                                          "method": f"voxtwin.io.downsample ({method})",
                                          "voxel_size_known": voxel_size is not None}}
    return {"version": NGFF_VERSION, "multiscales": [entry]}


def write_multiscales_attrs(group: zarr.Group, paths: list[str], voxel_size: float | None, *,
                            components: bool = False, name: str = "", method: str = "mode") -> None:
    """Store the NGFF ``ome`` attribute on ``group`` (leaving its other attributes alone)."""
    group.attrs.update({"ome": multiscales(paths, voxel_size, components=components, name=name, method=method)})


def _chunk_windows(shape: tuple[int, ...], chunks: tuple[int, ...]) -> list[tuple[slice, ...]]:
    counts = [-(-n // c) for n, c in zip(shape, chunks)]
    return [tuple(slice(i * c, min((i + 1) * c, n)) for i, c, n in zip(idx, chunks, shape))
            for idx in np.ndindex(*counts)]


def _fine_window(window: tuple[slice, ...], fine_shape: tuple[int, ...]) -> tuple[slice, ...]:
    lead = len(window) - 3
    return window[:lead] + tuple(slice(2 * s.start, min(2 * s.stop, n)) for s, n in zip(window[lead:], fine_shape[lead:]))


def build_pyramid(group: zarr.Group, base: str, level_paths: list[str], method: str, *,
                  done_group: str | None = None, threads: int = 1, progress: bool = False) -> None:
    """Write levels ``level_paths`` (each 2×2×2 coarser than the one before) below ``group[base]``.

    Each output chunk reads only the matching window of the level above. With ``done_group``, a
    uint8 flag per output chunk is set after its data is stored, and a rerun skips flagged chunks
    (resumable like the assembly's level 0). Levels keep the base's dtype, codecs and fill value.
    """
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got method={method!r}")
    src = group[base]
    chunks = tuple(src.chunks)
    shapes = level_shapes(tuple(src.shape), chunks)[1:len(level_paths) + 1]
    if len(shapes) != len(level_paths):
        raise ValueError(f"{len(level_paths)} pyramid levels asked for a {src.shape} volume in chunks {chunks}; "
                         f"it has {len(shapes)}")
    plan = []
    for path, shape in zip(level_paths, shapes):
        if path in group:
            arr = group[path]
        else:
            arr = group.create_array(path, shape=shape, chunks=tuple(min(c, n) for c, n in zip(chunks, shape)),
                                     dtype=src.dtype, compressors=src.compressors, fill_value=src.fill_value,
                                     dimension_names=src.metadata.dimension_names)
        windows = _chunk_windows(shape, tuple(arr.chunks))
        flags = None
        if done_group is not None:
            flag_path = f"{done_group}/{path.replace('/', '_')}"
            if flag_path in group:
                flags = group[flag_path]
            else:
                flags = group.create_array(flag_path, shape=(len(windows),), chunks=(len(windows),),
                                           dtype="uint8", fill_value=0, compressors=None)
        plan.append((arr, windows, flags))
    total = sum(len(w) for _, w, _ in plan)
    with progress_bar(total, desc="pyramid", enabled=progress, unit="chunk") as bar:
        prev = src
        for arr, windows, flags in plan:
            done = np.asarray(flags[...], dtype=bool) if flags is not None else np.zeros(len(windows), bool)
            bar.update(int(done.sum()))
            fine = prev

            def one(i: int, fine: Any = fine, arr: Any = arr, windows: Any = windows) -> None:
                block = np.asarray(fine[_fine_window(windows[i], tuple(fine.shape))])
                arr[windows[i]] = downsample2(block, method)

            pending = [i for i in range(len(windows)) if not done[i]]
            # The flags share one zarr chunk: data is written in parallel, each batch's flags after its data.
            step = max(1, threads)
            with ThreadPoolExecutor(max_workers=step) as pool:
                for start in range(0, len(pending), step):
                    batch = pending[start:start + step]
                    list(pool.map(one, batch))
                    if flags is not None:
                        for i in batch:
                            flags[i] = 1
                    bar.update(len(batch))
            prev = arr


def write_ome_zarr(path: str | os.PathLike, data: np.ndarray, voxel_size: float | None, *,
                   chunks: tuple[int, ...], method: str | None = None, overwrite: bool = False,
                   name: str = "", attributes: dict[str, Any] | None = None) -> zarr.Group:
    """Write ``data`` ([x, y, z], or [c, x, y, z] for a field with components) as an OME-Zarr pyramid.

    ``voxel_size``: µm per voxel (the level-0 scale). ``chunks``: the chunk shape of level 0
    (three ints; a component axis is chunked whole). ``method``: ``"mode"`` (labels) or ``"mean"``
    (grey values, fields); by default :func:`pick_method` decides from the data.
    """
    components = data.ndim == 4
    method = pick_method(data) if method is None else method
    full_chunks = ((data.shape[0],) if components else ()) + tuple(min(c, n) for c, n in zip(chunks, data.shape[-3:]))
    names = (("c",) if components else ()) + ("x", "y", "z")
    # every level-0 chunk is stored, even one of fill values alone, so that a deleted chunk is found on reading
    ours = {"axes": "xyz", "voxel_size_um": voxel_size, "unit": "micrometer", "downsampling": method,
            "all_chunks_stored": True}
    if components:
        ours["components"] = int(data.shape[0])
    root = zarr.open_group(str(path), mode="w" if overwrite else "w-", zarr_format=3,
                           attributes={"voxtwin": ours, **(attributes or {})})
    level0 = root.create_array("0", shape=data.shape, chunks=full_chunks, dtype=data.dtype,
                               compressors=(ZstdCodec(level=_ZSTD_LEVEL), Crc32cCodec()),  # a damaged chunk fails
                               dimension_names=names, config={"write_empty_chunks": True})
    level0[...] = data
    paths = [str(i) for i in range(len(level_shapes(data.shape, full_chunks)))]
    build_pyramid(root, "0", paths[1:], method)
    write_multiscales_attrs(root, paths, voxel_size, components=components, name=name or Path(path).stem,
                            method=method)
    return root
