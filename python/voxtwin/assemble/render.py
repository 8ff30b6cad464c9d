"""Lazy, procedural materialization: the voxels of any window, regenerated from block seeds.

A window (an output chunk, or the whole volume) is filled with the air label and every block
cell that overlaps it is pasted in by the C++ kernel (offset, quarter turns, mirrors, clipping).
Generated blocks are kept in a bounded LRU cache so a block spanning several chunks is not
regenerated for each, while memory stays bounded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

import numpy as np

from .. import _core, _limits
from . import transforms

if TYPE_CHECKING:
    from .assembly import Assembly

__all__ = ["BlockCache", "available_memory", "chunk_counts", "chunk_window", "paste_cell", "render_window"]


class BlockCache:
    """Thread-safe LRU of generated blocks, bounded in bytes (at least one block is kept).

    Threads asking for the same key at once generate it once: the others wait for it.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._data: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._pending: dict[Hashable, threading.Event] = {}
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, make: Callable[[], np.ndarray]) -> np.ndarray:
        """The cached array for ``key``, made with ``make()`` when absent."""
        while True:
            with self._lock:
                if key in self._data:
                    self._data.move_to_end(key)
                    self.hits += 1
                    return self._data[key]
                event = self._pending.get(key)
                if event is None:
                    event = self._pending[key] = threading.Event()
                    break
            event.wait()  # another thread is making it; look again (it may have failed or been evicted)
        self.misses += 1
        value = None
        try:
            value = make()
            return value
        finally:
            with self._lock:
                if value is not None:
                    self._data[key] = value
                    self._bytes += value.nbytes
                    while self._bytes > self.max_bytes and len(self._data) > 1:
                        _, old = self._data.popitem(last=False)
                        self._bytes -= old.nbytes
                del self._pending[key]
            event.set()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._bytes = 0

    @property
    def nbytes(self) -> int:
        return self._bytes


def chunk_counts(shape: tuple[int, int, int], chunks: tuple[int, int, int]) -> tuple[int, int, int]:
    """Number of chunks along each axis (edge chunks clipped, as zarr does)."""
    return tuple(-(-s // c) for s, c in zip(shape, chunks))  # type: ignore[return-value]


def chunk_window(index: tuple[int, int, int], shape: tuple[int, int, int],
                 chunks: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """First voxel and extent of chunk ``index``."""
    lo = np.asarray(index, dtype=np.int64) * np.asarray(chunks, dtype=np.int64)
    hi = np.minimum(lo + np.asarray(chunks, dtype=np.int64), np.asarray(shape, dtype=np.int64))
    return lo, hi - lo


def paste_cell(asm: Assembly, cell: np.ndarray, out: np.ndarray, lo: np.ndarray, cache: BlockCache,
               seeds: np.ndarray) -> None:
    """Pastes the block of grid ``cell`` into ``out`` (whose first voxel is ``lo``)."""
    i, j, k = (int(c) for c in cell)
    block = asm.cell_labels(i, j, k, cache=cache, seeds=seeds)
    axis, flip = transforms.axis_flip(int(asm._tf[i, j, k]))
    offset = cell.astype(np.int64) * np.asarray(asm.library.block_shape, dtype=np.int64) - lo
    _core.paste(block, out, [int(o) for o in offset], list(axis), list(flip))


def render_window(asm: Assembly, lo: np.ndarray, extent: np.ndarray, cache: BlockCache) -> np.ndarray:
    """uint8 labels of the voxel window [lo, lo + extent) of an assembly."""
    out = np.full(tuple(int(e) for e in extent), asm.air_label, dtype=np.uint8)
    bs = np.asarray(asm.library.block_shape, dtype=np.int64)
    c_lo = lo // bs
    c_hi = np.minimum(-(-(lo + extent) // bs), np.asarray(asm.grid_shape, dtype=np.int64))
    sub = asm._ids[c_lo[0]:c_hi[0], c_lo[1]:c_hi[1], c_lo[2]:c_hi[2]]
    seeds = asm._seeds()
    for cell in np.argwhere(sub >= 0):
        paste_cell(asm, cell + c_lo, out, lo, cache, seeds)
    return out


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable capped by a cgroup limit; see voxtwin._limits)."""
    return _limits.available_memory()
