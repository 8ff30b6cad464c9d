"""Test blocks for segmentation: a generated unit twin (issue 3's generator) with void pores carved into its matrix."""

from __future__ import annotations

import numpy as np

import voxtwin as vt

MATRIX, FIBRE, VOID = 0, 1, 2


def fibre_block(shape: tuple[int, int, int], *, volume_fraction: float = 0.14, diameter: float = 8.0,
                length: float = 60.0, gap: float = 1.0, n_pores: int = 20, pore_radius: tuple[float, float] = (3.0, 6.0),
                seed: int = 0) -> np.ndarray:
    """uint8 phases: fibres (1) of ``diameter`` and ``length`` voxels lying in XY planes, pores (2) in the matrix (0).

    Fibre surfaces stay at least ``gap`` voxels apart, so each fibre is one object a person can brush. Pores are balls drawn
    with broadcasting (no per-voxel loops) and only replace matrix voxels.
    """
    spec = vt.FibreSpec(volume_fraction=volume_fraction, diameter=diameter, length=length,
                        orientation=vt.orientation.Planar(normal=(0, 0, 1)), min_gap=gap)
    twin = vt.generate_fibres(spec, shape=shape, voxel_size=1.0, seed=seed, periodic=False, device="cpu", strict=True)
    labels = twin.labels.copy()
    rng = np.random.default_rng(seed)
    x, y, z = np.meshgrid(*(np.arange(n, dtype=np.float32) for n in shape), indexing="ij", sparse=True)
    for _ in range(n_pores):
        centre = rng.uniform(0, 1, 3) * np.array(shape)
        r = rng.uniform(*pore_radius)
        ball = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= r * r
        labels[ball & (labels == MATRIX)] = VOID
    return labels
