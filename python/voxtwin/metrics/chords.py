"""Chord-length distributions per axis: the lengths of the maximal runs of a phase along x, y, z.

Chords cut by a non-periodic window are dropped by default (their length is unknown), like
PoreSpy's ``trim_edges``; with ``periodic=True`` runs wrap and none is cut.
"""

from __future__ import annotations

import numpy as np

from .. import _core
from ._profile import AxisProfiles
from ._volume import as_labels, phase_label

__all__ = ["chords"]


def chords(volume: np.ndarray, phase: int = 1, voxel_size: float = 1.0, periodic: bool = True, *,
           trim_edges: bool = True, plane: str | None = None) -> AxisProfiles:
    """Chord-length distribution of ``phase`` along each axis.

    Returns
    -------
    AxisProfiles
        ``.x``, ``.y``, ``.z``: fraction of chords of length 0, 1, 2, ... voxels (``.distance`` in µm;
        entry 0 is always 0); ``.extra["counts"]`` the chord counts, ``.extra["mean"]`` the mean
        chord length per axis in µm (NaN without chords).
    """
    lab = as_labels(volume, voxel_size, plane)
    a = phase_label(phase)
    if not isinstance(trim_edges, (bool, np.bool_)):
        raise TypeError(f"`trim_edges` must be True or False, got trim_edges={trim_edges!r}")
    flags = lab.periodic_flags(periodic)
    size = max(lab.lengths) + 1
    pdf, counts, mean = {}, {}, {}
    for i, name in enumerate(lab.axes):
        inner, edge = _core.run_lengths(lab.array, i, a, flags[i])
        # a periodic line wholly in the phase has no ends: not a chord
        c = inner if (flags[i] or trim_edges) else inner + edge
        c = np.pad(c, (0, size - c.size))
        total = c.sum()
        counts[name] = c
        pdf[name] = c / total if total else np.zeros(size)
        mean[name] = float((np.arange(size) * c).sum() / total * lab.voxel_size) if total else float("nan")
    return AxisProfiles(name="chord length pdf", axes=pdf, distance=np.arange(size) * lab.voxel_size, phase=a,
                        voxel_size=lab.voxel_size, periodic=bool(periodic),
                        extra={"counts": counts, "mean": mean})
