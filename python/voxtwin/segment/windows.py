"""Sliding windows: tile positions that cover a volume with overlap, and the weights that blend them.

Predictions of neighbouring windows disagree near window borders, where the network sees less
context; weighting each window's output by a taper that is 1 in its interior and falls towards
its faces, then dividing by the summed weights, hides the seams.
"""

from __future__ import annotations

import itertools

import numpy as np

__all__ = ["starts", "tiles", "blend_weights", "pad_to"]

_EDGE_WEIGHT = 1e-3  # weight at a window face: small, never zero, so volume borders stay covered


def starts(size: int, window: int, overlap: float) -> list[int]:
    """Start offsets of windows of ``window`` voxels covering ``size`` voxels, overlapping by ≥ ``overlap``.

    The first window starts at 0 and the last ends at ``size``; the others are spread evenly between.
    """
    if size <= window:
        return [0]
    step = max(1, int(round(window * (1.0 - overlap))))
    n = int(np.ceil((size - window) / step)) + 1
    return [int(round(i * (size - window) / (n - 1))) for i in range(n)]


def tiles(shape: tuple[int, ...], window: tuple[int, ...], overlap: float) -> list[tuple[slice, ...]]:
    """All windows (as slices) covering an array of ``shape``."""
    per_axis = [starts(n, w, overlap) if w > 1 else list(range(n)) for n, w in zip(shape, window)]
    return [tuple(slice(s, s + w) for s, w in zip(corner, window)) for corner in itertools.product(*per_axis)]


def blend_weights(window: tuple[int, ...], overlap: float) -> np.ndarray:
    """Separable taper over a window: 1 inside, falling linearly to ``_EDGE_WEIGHT`` over the overlap."""
    weight = np.ones(window, dtype=np.float32)
    for axis, w in enumerate(window):
        ramp_len = int(round(w * overlap / 2))
        if w == 1 or ramp_len == 0:
            continue
        profile = np.ones(w, dtype=np.float32)
        ramp = np.linspace(_EDGE_WEIGHT, 1.0, ramp_len + 1, dtype=np.float32)[:-1]
        profile[:ramp_len] = ramp
        profile[w - ramp_len:] = ramp[::-1]
        shape = [1] * len(window)
        shape[axis] = w
        weight *= profile.reshape(shape)
    return weight


def pad_to(array: np.ndarray, window: tuple[int, ...]) -> tuple[np.ndarray, tuple[slice, ...]]:
    """Pad ``array`` (edge values) so that every axis is at least ``window`` long; slices recover the original."""
    pad = [(0, max(0, w - n)) for n, w in zip(array.shape, window)]
    if not any(p for _, p in pad):
        return array, tuple(slice(None) for _ in array.shape)
    return np.pad(array, pad, mode="edge"), tuple(slice(0, n) for n in array.shape)
