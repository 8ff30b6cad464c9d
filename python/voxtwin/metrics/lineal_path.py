"""Lineal path function L(r) per axis (seed 003, eq. 19; Lu & Torquato 1992).

L(r) is the probability that the whole segment from voxel p to voxel p + r along an axis lies in
the phase: L(0) = volume fraction, L decreases monotonically. It follows exactly from the run
lengths the C++ core counts: a run of l voxels holds l - r such segments.
"""

from __future__ import annotations

import numpy as np

from .. import _core, _validate
from ._profile import AxisProfiles
from ._volume import as_labels, phase_label

__all__ = ["lineal_path", "lineal_path_from_runs"]


def lineal_path_from_runs(inner: np.ndarray, edge: np.ndarray, n: int, lines: int, periodic: bool,
                          count: int) -> np.ndarray:
    """L(r), r = 0..count-1, from run-length histograms (index = length in voxels) of ``lines`` lines of n voxels."""
    lengths = np.arange(inner.size)
    r = np.arange(count)[:, None]
    if periodic:
        # a line wholly in the phase (edge[n]) holds a segment at every one of its n positions
        held = (np.clip(lengths[None, :] - r, 0, None) * inner[None, :]).sum(axis=1) + edge[n] * n
        return held / float(n * lines)
    held = (np.clip(lengths[None, :] - r, 0, None) * (inner + edge)[None, :]).sum(axis=1)
    return held / (lines * (n - r[:, 0])).astype(np.float64)


def lineal_path(volume: np.ndarray, phase: int = 1, voxel_size: float = 1.0, periodic: bool = True, *,
                max_distance: float | None = None, plane: str | None = None) -> AxisProfiles:
    """Lineal path function L(r) of ``phase`` along each axis.

    Parameters as :func:`~voxtwin.metrics.two_point`; ``.x``, ``.y``, ``.z`` hold L at distances
    0, 1, ... voxels (``.distance`` in µm). Without ``periodic`` a segment must fit in the window.
    """
    lab = as_labels(volume, voxel_size, plane)
    a = phase_label(phase)
    count = min(lab.lengths) // 2 + 1
    if max_distance is not None:
        limit = int(np.floor(_validate.non_negative("max_distance", max_distance, "µm") / lab.voxel_size)) + 1
        count = min(count, limit)
    flags = lab.periodic_flags(periodic)
    axes = {}
    for i, name in enumerate(lab.axes):
        n = lab.array.shape[i]
        inner, edge = _core.run_lengths(lab.array, i, a, flags[i])
        axes[name] = lineal_path_from_runs(inner, edge, n, lab.array.size // n, flags[i], count)
    return AxisProfiles(name="lineal path", axes=axes, distance=np.arange(count) * lab.voxel_size, phase=a,
                        voxel_size=lab.voxel_size, periodic=bool(periodic))
