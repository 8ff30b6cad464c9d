"""A numpy fibre phantom for segmentation tests: straight cylinders in a matrix, plus spherical pores.

Vectorized: each cylinder is one broadcast distance computation over the grid, no per-voxel loops.
"""

from __future__ import annotations

import numpy as np

MATRIX, FIBRE, VOID = 0, 1, 2


def fibre_phantom(shape: tuple[int, int, int] = (64, 64, 64), *, n_fibres: int = 30, radius: float = 3.5,
                  length: float = 60.0, n_pores: int = 6, pore_radius: tuple[float, float] = (3.0, 6.0),
                  max_overlap: float = 0.02, seed: int = 0) -> np.ndarray:
    """uint8 phases: fibres (1) of ``radius`` voxels and ``length`` voxels, pores (2) in the matrix (0).

    Fibres are drawn one by one with random centres and directions; one that would overlap fibres
    already placed by more than ``max_overlap`` of its voxels is rejected (at most 20 tries each).
    """
    rng = np.random.default_rng(seed)
    grid = [np.arange(n, dtype=np.float32) for n in shape]
    x, y, z = np.meshgrid(*grid, indexing="ij", sparse=True)
    labels = np.zeros(shape, dtype=np.uint8)
    placed = 0
    for _ in range(20 * n_fibres):
        if placed == n_fibres:
            break
        centre = rng.uniform(0, 1, 3) * np.array(shape)
        direction = rng.normal(size=3)
        direction /= np.linalg.norm(direction)
        dx, dy, dz = x - centre[0], y - centre[1], z - centre[2]
        along = dx * direction[0] + dy * direction[1] + dz * direction[2]
        dist2 = dx * dx + dy * dy + dz * dz - along * along
        inside = (dist2 <= radius**2) & (np.abs(along) <= length / 2)
        n_inside = int(inside.sum())
        if n_inside == 0 or np.count_nonzero(labels[inside] == FIBRE) > max_overlap * n_inside:
            continue
        labels[inside] = FIBRE
        placed += 1
    for _ in range(n_pores):
        centre = rng.uniform(0, 1, 3) * np.array(shape)
        r = rng.uniform(*pore_radius)
        ball = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 <= r * r
        labels[ball & (labels == MATRIX)] = VOID
    return labels
