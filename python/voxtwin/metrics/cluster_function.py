"""Two-point cluster function C2(r) per axis (Torquato, Beasley & Chiew 1988).

C2(r) is the probability that a voxel p and the voxel p + r along an axis lie in the *same*
cluster of the phase. C2 <= S2 everywhere; C2 == S2 when the phase is one connected cluster, and
C2 falls to 0 beyond the size of the largest cluster, where S2 still tends to phi^2: it sees the
connectivity S2 is blind to. Clusters are the connected components of the phase (scipy labelling,
joined across opposite faces with ``periodic``); the C++ core counts same-cluster pairs exactly
from runs of equal labels along every line.
"""

from __future__ import annotations

import numpy as np

from .. import _core, _validate
from ._profile import AxisProfiles
from ._volume import as_labels, phase_label
from .topology import cluster_labels

__all__ = ["cluster_function"]


def cluster_function(volume: np.ndarray, phase: int = 1, voxel_size: float = 1.0, periodic: bool = True, *,
                     connectivity: int | None = None, max_distance: float | None = None,
                     plane: str | None = None) -> AxisProfiles:
    """Two-point cluster function C2 of ``phase`` along each axis.

    Parameters
    ----------
    volume:
        uint8 labels ``[x, y, z]``, or a 2D image (its axes named by ``plane``, default "xy").
    phase:
        Label whose clusters are measured.
    voxel_size:
        µm per voxel; distances come out in µm.
    periodic:
        Wrap around (clusters joined across opposite faces, lags wrap) or not (a pair must fit in
        the window; each lag is divided by the positions it fits in).
    connectivity:
        Neighbourhood of a cluster in the scipy.ndimage convention (1 = faces ... ndim = full;
        default full: 26 in 3D, 8 in 2D, as :func:`cluster_count` and the Euler characteristic).
    max_distance:
        Largest distance in µm (default: half the smallest extent).

    Returns
    -------
    AxisProfiles
        ``.x``, ``.y``, ``.z``: C2 at distances 0, 1, ... voxels (``.distance`` in µm); C2(0) is the
        volume fraction; ``.extra["clusters"]`` the number of clusters.
    """
    lab = as_labels(volume, voxel_size, plane)
    a = phase_label(phase)
    dim = len(lab.axes)
    conn = dim if connectivity is None else connectivity
    if conn not in range(1, dim + 1):
        raise ValueError(f"`connectivity` must be 1..{dim} (scipy.ndimage convention), got connectivity={connectivity!r}")
    count = min(lab.lengths) // 2 + 1
    if max_distance is not None:
        limit = int(np.floor(_validate.non_negative("max_distance", max_distance, "µm") / lab.voxel_size)) + 1
        count = min(count, limit)
    labels, clusters = cluster_labels(lab, a, bool(periodic), conn)
    labels = np.ascontiguousarray(labels, dtype=np.uint32)
    flags = lab.periodic_flags(periodic)
    r = np.arange(count)
    axes = {}
    for i, name in enumerate(lab.axes):
        n = lab.array.shape[i]
        c = _core.axis_cluster_counts(labels, i, flags[i]).astype(np.float64)
        lines = lab.array.size // n
        axes[name] = c[r] / (lines * (np.full(count, n) if flags[i] else n - r))
    return AxisProfiles(name="C2", axes=axes, distance=r * lab.voxel_size, phase=a, voxel_size=lab.voxel_size,
                        periodic=bool(periodic), extra={"clusters": clusters})
