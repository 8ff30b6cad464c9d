"""2×2×2 downsampling for multiscale pyramids: labels by majority (mode), grey values and fields by mean.

A coarse voxel covers the 2×2×2 fine voxels ``[2i:2i+2, 2j:2j+2, 2k:2k+2]``; at an odd edge it
covers fewer, and only those count. Works on the trailing three axes (a leading component axis of
a field is kept). No per-voxel Python loops: the eight sub-lattices are strided views.
"""

from __future__ import annotations

import numpy as np

__all__ = ["downsample2", "METHODS", "coarse_shape"]

METHODS = ("mode", "mean")
_MAX_VALUE_LOOP = 16  # up to this many distinct labels, count per label (8 compares each); else compare pairs


def coarse_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Shape after one 2×2×2 step: the trailing three axes halved, rounded up."""
    return tuple(shape[:-3]) + tuple((n + 1) // 2 for n in shape[-3:])


def _views(padded: np.ndarray) -> list[np.ndarray]:
    return [padded[..., a::2, b::2, c::2] for a in (0, 1) for b in (0, 1) for c in (0, 1)]


def _pad(block: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``block`` padded to even trailing sizes (edge values) and a mask of the real voxels, if padding was needed."""
    pads = [(0, 0)] * (block.ndim - 3) + [(0, n % 2) for n in block.shape[-3:]]
    if not any(p[1] for p in pads):
        return block, None
    valid = np.pad(np.ones(block.shape[-3:], dtype=bool), pads[-3:])
    return np.pad(block, pads, mode="edge"), valid


def _mean(block: np.ndarray) -> np.ndarray:
    padded, valid = _pad(block)
    total = np.zeros(coarse_shape(block.shape), dtype=np.float64)
    if valid is None:
        for v in _views(padded):
            total += v
        total /= 8.0
    else:
        count = np.zeros(total.shape[-3:], dtype=np.float64)
        for v, m in zip(_views(padded), _views(valid)):
            total += np.where(m, v, 0)
            count += m
        total /= count
    if block.dtype.kind == "f":
        return total.astype(block.dtype)
    if block.dtype.kind == "b":
        return total >= 0.5
    info = np.iinfo(block.dtype)
    return np.clip(np.rint(total), info.min, info.max).astype(block.dtype)


def _mode(block: np.ndarray) -> np.ndarray:
    """The most frequent value of each 2×2×2 cell; ties go to the smallest value (deterministic)."""
    padded, valid = _pad(block)
    views = _views(padded)
    masks = _views(valid) if valid is not None else [None] * 8
    values = np.unique(block)
    out_shape = coarse_shape(block.shape)
    if values.size <= _MAX_VALUE_LOOP:
        best = np.full(out_shape, values[0], dtype=block.dtype)
        best_count = np.full(out_shape, -1, dtype=np.int8)
        for value in values:  # ascending: a later value must beat, not tie, the count so far
            count = np.zeros(out_shape, dtype=np.int8)
            for v, m in zip(views, masks):
                hit = v == value
                count += hit if m is None else (hit & m)
            better = count > best_count
            best[better] = value
            best_count[better] = count[better]
        return best
    # Many distinct values (instance labels): for each of the 8 positions, count its equals.
    best = np.array(views[0], copy=True)
    best_count = np.full(out_shape, -1, dtype=np.int8)
    for i, vi in enumerate(views):
        count = np.zeros(out_shape, dtype=np.int8)
        for v, m in zip(views, masks):
            hit = v == vi
            count += hit if m is None else (hit & m)
        if masks[i] is not None:
            count = np.where(masks[i], count, -1).astype(np.int8)
        better = (count > best_count) | ((count == best_count) & (vi < best))
        best[better] = vi[better]
        best_count[better] = count[better]
    return best


def downsample2(block: np.ndarray, method: str) -> np.ndarray:
    """One 2×2×2 pyramid step of ``block`` (trailing axes x, y, z): ``"mode"`` or ``"mean"``."""
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got method={method!r}")
    if block.ndim < 3:
        raise ValueError(f"`block` must have at least 3 axes (x, y, z last), got block.shape={block.shape}")
    return _mode(block) if method == "mode" else _mean(block)
