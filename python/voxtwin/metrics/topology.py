"""Topological descriptors: Euler characteristic density (2x2x2 configuration table) and cluster counts.

Both tell apart structures that share S2 (e.g. Gaussian and chi^2 excursion sets, seed 001): S2 is
blind to connectivity, these count it. Euler characteristic chi = components - tunnels + cavities
(3D; components - holes in 2D) of the phase taken 26-connected (8 in 2D), computed exactly in C++.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .. import _core
from ._volume import Labels, as_labels, phase_label

__all__ = ["Topology", "euler_characteristic", "cluster_count", "cluster_labels", "topology"]


@dataclass(frozen=True)
class Topology:
    """Euler characteristic and cluster count of one phase, and their densities.

    ``density_unit`` is "1/µm³" for volumes and "1/µm²" for images; ``area_or_volume`` is in those
    units' inverse (µm³ or µm²).
    """

    phase: int
    euler: int
    clusters: int
    area_or_volume: float
    density_unit: str

    @property
    def euler_density(self) -> float:
        """Euler characteristic per µm³ (per µm² for an image)."""
        return self.euler / self.area_or_volume

    @property
    def cluster_density(self) -> float:
        """Clusters per µm³ (per µm² for an image)."""
        return self.clusters / self.area_or_volume

    def plot(self, ax: object = None) -> object:
        """Bar chart of the two densities."""
        from .._plot import pyplot

        if ax is None:
            _, ax = pyplot().subplots(figsize=(4, 3))
        ax.bar(["Euler", "clusters"], [self.euler_density, self.cluster_density])  # type: ignore[attr-defined]
        ax.set_ylabel(f"density ({self.density_unit})")  # type: ignore[attr-defined]
        return ax


def _euler(lab: Labels, phase: int, periodic: bool) -> int:
    return int(_core.euler_characteristic(lab.array, phase, lab.periodic_flags(periodic)))


def cluster_labels(lab: Labels, phase: int, periodic: bool, connectivity: int) -> tuple[np.ndarray, int]:
    """Cluster labels of ``phase`` (uint32 of the array's shape, 0 = outside) and their count;
    with ``periodic`` clusters that meet across opposite faces share one label."""
    squeeze = len(lab.axes) == 2
    mask = (lab.array[..., 0] if squeeze else lab.array) == phase
    structure = ndi.generate_binary_structure(mask.ndim, connectivity)
    labels, count = ndi.label(mask, structure=structure, output=np.uint32)
    if periodic and count > 0:
        labels, count = _join_periodic(mask, labels, count, connectivity)
    return (labels[..., None] if squeeze else labels), int(count)


def _join_periodic(mask: np.ndarray, labels: np.ndarray, count: int, connectivity: int) -> tuple[np.ndarray, int]:
    # join clusters that meet across a periodic face: pairs of labels of touching opposite faces
    pairs = []
    for axis in range(mask.ndim):
        if mask.shape[axis] < 2:
            continue
        first, last = np.take(labels, 0, axis=axis), np.take(labels, -1, axis=axis)
        offsets = [0] if connectivity == 1 else [-1, 0, 1]
        for shift in np.array(np.meshgrid(*[offsets] * (mask.ndim - 1), indexing="ij")).reshape(mask.ndim - 1, -1).T:
            if connectivity < mask.ndim and np.abs(shift).sum() > connectivity - 1:
                continue
            moved = np.roll(first, tuple(shift), axis=tuple(range(mask.ndim - 1))) if shift.size else first
            both = (last > 0) & (moved > 0)
            pairs.append(np.stack([last[both], moved[both]]).astype(np.int64))
    if not pairs:
        return labels, count
    p = np.concatenate(pairs, axis=1) - 1
    graph = coo_matrix((np.ones(p.shape[1]), (p[0], p[1])), shape=(count, count))
    joined, comp = connected_components(graph, directed=False)
    lut = np.concatenate([[0], comp.astype(np.uint32) + 1])
    return lut[labels], int(joined)


def _clusters(lab: Labels, phase: int, periodic: bool, connectivity: int) -> int:
    return cluster_labels(lab, phase, periodic, connectivity)[1]


def euler_characteristic(volume: np.ndarray, phase: int = 1, periodic: bool = False, *, plane: str | None = None) -> int:
    """Euler characteristic of ``phase`` (26-connected in 3D, 8-connected in 2D; exact integer)."""
    lab = as_labels(volume, 1.0, plane)
    return _euler(lab, phase_label(phase), periodic)


def cluster_count(volume: np.ndarray, phase: int = 1, periodic: bool = False, *, connectivity: int | None = None,
                  plane: str | None = None) -> int:
    """Connected clusters of ``phase`` (default full connectivity: 26 in 3D, 8 in 2D, as for Euler);
    with ``periodic`` clusters joined across opposite faces count once."""
    lab = as_labels(volume, 1.0, plane)
    dim = len(lab.axes)
    conn = dim if connectivity is None else connectivity
    if conn not in range(1, dim + 1):
        raise ValueError(f"`connectivity` must be 1..{dim} (scipy.ndimage convention), got connectivity={connectivity!r}")
    return _clusters(lab, phase_label(phase), periodic, conn)


def topology(volume: np.ndarray, phase: int = 1, voxel_size: float = 1.0, periodic: bool = False, *,
             plane: str | None = None) -> Topology:
    """Euler characteristic and cluster count of ``phase`` with their densities (per µm³, or µm² in 2D)."""
    lab = as_labels(volume, voxel_size, plane)
    a = phase_label(phase)
    dim = len(lab.axes)
    return Topology(phase=a, euler=_euler(lab, a, periodic), clusters=_clusters(lab, a, periodic, dim),
                    area_or_volume=float(np.prod(lab.lengths)) * lab.voxel_size**dim,
                    density_unit="1/µm³" if dim == 3 else "1/µm²")
