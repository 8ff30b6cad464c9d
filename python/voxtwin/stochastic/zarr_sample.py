"""Slab-by-slab zarr writing of a sampled model: resumable, with the bytes of the whole sample."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from .._progress import progress_bar

__all__ = ["write_slabs"]


def write_slabs(path: Path, shape: tuple[int, int, int], voxel_size: float, slab: int,
                make: Callable[[tuple[int, int]], np.ndarray], meta: dict[str, Any], progress: bool) -> Path:
    """Writes ``make((x0, x1))`` for consecutive x-slabs into ``path``/labels; slabs already flagged
    done in ``path``/done (same shape, slab and parameters) are skipped."""
    from zarr.codecs import ZstdCodec

    attrs = {"voxtwin": {"axes": "xyz", "voxel_size_um": voxel_size, "unit": "micrometer", "slab": slab,
                         "shape": list(shape), "stochastic": json.loads(json.dumps(meta))}}
    n_slabs = -(-shape[0] // slab)
    root = None
    if (path / "zarr.json").exists():
        existing = zarr.open_group(str(path), mode="r+")
        if dict(existing.attrs).get("voxtwin") == attrs["voxtwin"]:
            root = existing
    if root is None:
        root = zarr.open_group(str(path), mode="w", zarr_format=3, attributes=attrs)
        chunks = (min(slab, shape[0]), min(shape[1], 256), min(shape[2], 256))
        root.create_array("labels", shape=shape, chunks=chunks, dtype="uint8", compressors=ZstdCodec(level=3),
                          dimension_names=("x", "y", "z"))
        root.create_array("done", shape=(n_slabs,), chunks=(1,), dtype="uint8", fill_value=0, compressors=None)
    labels, done = root["labels"], root["done"]
    flags = np.asarray(done[:])
    with progress_bar(n_slabs, desc="sample", enabled=progress, unit="slab") as bar:
        for i in range(n_slabs):
            if not flags[i]:
                x0, x1 = i * slab, min((i + 1) * slab, shape[0])
                labels[x0:x1] = make((x0, x1))
                done[i] = 1  # flagged only once the slab's chunks are written
            bar.update(1)
    return path
