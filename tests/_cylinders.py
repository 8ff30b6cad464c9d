"""Numpy phantoms for the characterization tests: rasterized cylinders with known geometry.

Independent of voxtwin's generator on purpose, so characterize is checked against geometry
it did not produce. Voxel [i, j, k] is the unit cube whose centre lies at (i, j, k) + 0.5 (in
voxels); a voxel belongs to a cylinder when its centre lies inside the solid (flat end caps).
"""

from __future__ import annotations

import numpy as np


def rasterize(shape, cylinders, periodic=False, labels=None):
    """Rasterize cylinders ``(centre, direction, length, diameter)`` (voxel units) into labels.

    Returns a uint32 instance volume (cylinder k gets label k + 1). Loops run over
    cylinders, the voxels of each are handled at once.
    """
    shape = tuple(int(n) for n in shape)
    out = np.zeros(shape, dtype=np.uint32) if labels is None else labels
    dims = np.asarray(shape, dtype=np.float64)
    for k, (centre, direction, length, diameter) in enumerate(cylinders):
        c = np.asarray(centre, dtype=np.float64)
        d = np.asarray(direction, dtype=np.float64)
        d = d / np.linalg.norm(d)
        r = 0.5 * diameter
        half = 0.5 * length * np.abs(d) + r * np.sqrt(np.clip(1.0 - d * d, 0.0, None)) + 1.0
        lo = np.floor(c - half - 0.5).astype(int)
        hi = np.ceil(c + half - 0.5).astype(int) + 1
        axes = [np.arange(lo[a], hi[a]) for a in range(3)]
        if not periodic:
            axes = [ax[(ax >= 0) & (ax < shape[a])] for a, ax in enumerate(axes)]
        gx, gy, gz = np.meshgrid(*axes, indexing="ij")
        p = np.stack([gx, gy, gz], axis=-1).astype(np.float64) + 0.5 - c
        t = p @ d
        rr = np.einsum("...i,...i->...", p, p) - t * t
        inside = (np.abs(t) <= 0.5 * length) & (rr <= r * r)
        idx = [g[inside] for g in (gx, gy, gz)]
        if periodic:
            idx = [np.mod(i, int(dims[a])) for a, i in enumerate(idx)]
        out[tuple(idx)] = k + 1
    return out


def _segment_distance(p1, d1, h1, p2, d2, h2):
    """Closest distance between segment (p1 ± h1 d1) and segments (p2 ± h2 d2) (vectorized over p2)."""
    w = p1 - p2
    b = d2 @ d1
    dd = w @ d1
    e = np.einsum("ij,ij->i", w, d2)
    denom = 1.0 - b * b
    s = np.where(denom > 1e-12, (b * e - dd) / np.where(denom > 1e-12, denom, 1.0), 0.0)
    s = np.clip(s, -h1, h1)
    t = np.clip(b * s + e, -h2, h2)
    s = np.clip(b * t - dd, -h1, h1)
    diff = w + s[:, None] * d1 - t[:, None] * d2
    return np.linalg.norm(diff, axis=1)


def random_block(shape, n_max, length, diameter, directions, rng, gap=1.0, periodic=False,
                 target_fraction=None, max_tries=20000):
    """Random sequential placement of non-overlapping cylinders; returns (instances, cylinders).

    ``directions(rng)`` draws a unit vector; ``length``/``diameter`` are callables ``rng -> value``
    (voxels). Cylinders keep a surface gap >= ``gap`` voxels (0: they may touch). Without
    ``periodic`` every cylinder lies wholly inside the block.
    """
    dims = np.asarray(shape, dtype=np.float64)
    cyl = []
    cent = np.zeros((0, 3))
    dirs = np.zeros((0, 3))
    halfs = np.zeros(0)
    rads = np.zeros(0)
    volume = 0.0
    for _ in range(max_tries):
        if len(cyl) >= n_max or (target_fraction is not None and volume >= target_fraction * dims.prod()):
            break
        d = np.asarray(directions(rng), dtype=np.float64)
        d /= np.linalg.norm(d)
        L = float(length(rng))
        D = float(diameter(rng))
        if periodic:
            c = rng.uniform(0, dims)
        else:
            ext = 0.5 * L * np.abs(d) + 0.5 * D * np.sqrt(np.clip(1 - d * d, 0, None)) + 1.5
            if np.any(2 * ext >= dims):
                continue
            c = rng.uniform(ext, dims - ext)
        if len(cyl):
            w = c - cent
            if periodic:
                w -= dims * np.round(w / dims)
            dist = _segment_distance(c, d, 0.5 * L, c - w, dirs, halfs)
            if np.any(dist < 0.5 * D + rads + gap):
                continue
        cyl.append((c, d, L, D))
        cent = np.vstack([cent, c])
        dirs = np.vstack([dirs, d])
        halfs = np.append(halfs, 0.5 * L)
        rads = np.append(rads, 0.5 * D)
        volume += np.pi * 0.25 * D * D * L
    return rasterize(shape, cyl, periodic=periodic), cyl


def aligned(direction, spread_deg=0.0):
    """Direction sampler around ``direction`` with a Gaussian angular spread (degrees)."""
    axis = np.asarray(direction, dtype=np.float64)
    axis /= np.linalg.norm(axis)

    def draw(rng):
        v = axis + rng.normal(0.0, np.deg2rad(spread_deg), 3)
        return v / np.linalg.norm(v)

    return draw


def isotropic(rng):
    v = rng.normal(size=3)
    return v / np.linalg.norm(v)
