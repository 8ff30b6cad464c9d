"""A stand-in for seed 000's basalt/PLA unit twins until the fibre generator (issue 3) is on main.

Straight cylindrical fibres (diameter 15 µm, length 100 µm, seed 000) placed at random centres with
directions spread around X, rasterized periodically (a voxel is fibre when its centre lies within
the radius of the fibre's axis segment), overlaps allowed, until the fibre volume fraction is
reached. Vectorized per fibre; only for benchmarks.
"""

from __future__ import annotations

import numpy as np


def fibre_block(n: int, voxel_size: float = 4.0, volume_fraction: float = 0.10, diameter: float = 15.0,
                length: float = 100.0, spread_deg: float = 15.0, seed: int = 0) -> np.ndarray:
    """uint8 labels [n, n, n]: 0 = PLA matrix, 1 = basalt fibre."""
    rng = np.random.default_rng(seed)
    labels = np.zeros((n, n, n), dtype=np.uint8)
    box = n * voxel_size
    radius = diameter / 2
    half = int(np.ceil((length / 2 + radius) / voxel_size)) + 1
    offsets = np.arange(-half, half + 1)
    target = volume_fraction * labels.size
    filled = 0
    while filled < target:
        centre = rng.uniform(0, box, 3)
        # Direction: X tilted by a normal angle of std `spread_deg` about a random azimuth.
        tilt = np.deg2rad(rng.normal(0.0, spread_deg))
        azimuth = rng.uniform(0, 2 * np.pi)
        d = np.array([np.cos(tilt), np.sin(tilt) * np.cos(azimuth), np.sin(tilt) * np.sin(azimuth)])
        c = np.floor(centre / voxel_size).astype(int)
        ix, iy, iz = (c[i] + offsets for i in range(3))
        X, Y, Z = np.meshgrid(ix, iy, iz, indexing="ij")
        p = np.stack([X, Y, Z], axis=-1) * voxel_size + voxel_size / 2 - centre
        t = np.clip(p @ d, -length / 2, length / 2)
        dist = np.linalg.norm(p - t[..., None] * d, axis=-1)
        inside = dist <= radius
        sel = (X[inside] % n, Y[inside] % n, Z[inside] % n)
        before = labels[sel].sum()
        labels[sel] = 1
        filled += inside.sum() - before
    return labels
