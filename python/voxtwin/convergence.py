"""Grid convergence: the limit of a quantity computed on grids of decreasing voxel size.

A voxelized fibre is a staircase picture of a cylinder, so the effective stiffness of a fibre
set computed on a voxel grid carries a discretization error that shrinks with the voxel size h,
roughly in proportion to h (the staircase moves the interface by O(h)), with a scatter from how
the grid happens to cut the fibres. :func:`extrapolate` turns a sequence of such values into a
Richardson-style limit with an uncertainty; it is how issue 21 builds the converged reference
that composite voxels, majority vote and coarse fine grids are judged against.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["Extrapolation", "extrapolate"]


class Extrapolation(NamedTuple):
    """The h → 0 limit of values computed at voxel sizes h (same shape as one value)."""

    limit: np.ndarray
    """Extrapolated value at h = 0: a least-squares line in h through the ``fit`` finest grids."""
    uncertainty: np.ndarray
    """Half-width of the estimate: the larger of twice the standard error of the fitted limit and
    its change when the coarsest grid of the fit is dropped (the line through the finest ones)."""
    finest: np.ndarray
    """The value on the finest grid (what a single fine solve would give)."""
    slope: np.ndarray
    """d value / d h of the fitted line (per µm when h is in µm)."""


def _line(h: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Least-squares ``y = c0 + c1 h`` per component; (c0, c1, standard error of c0)."""
    A = np.stack([np.ones_like(h), h], axis=1)
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    n = len(h)
    if n <= 2:
        return coef[0], coef[1], np.zeros_like(coef[0])
    resid = y - A @ coef
    s2 = np.sum(resid**2, axis=0) / (n - 2)
    cov00 = np.linalg.inv(A.T @ A)[0, 0]
    return coef[0], coef[1], np.sqrt(s2 * cov00)


def extrapolate(voxel_sizes: np.ndarray, values: np.ndarray, *, fit: int = 4) -> Extrapolation:
    """Richardson-style limit of ``values`` (one per voxel size, any trailing shape) as h → 0.

    First order (error ∝ h, the staircase of a voxelized interface): a least-squares line in h
    through the ``fit`` finest grids (at least 3), with the uncertainty of :class:`Extrapolation`.
    ``voxel_sizes`` need not be sorted; they must be distinct and > 0.
    """
    h = np.asarray(voxel_sizes, dtype=np.float64).reshape(-1)
    y = np.asarray(values, dtype=np.float64)
    if y.shape[:1] != h.shape:
        raise ValueError(f"`values` must hold one value per voxel size ({h.size}), got shape {y.shape}")
    if h.size < 3 or np.any(~np.isfinite(h)) or np.any(h <= 0) or len(np.unique(h)) != h.size:
        raise ValueError(f"`voxel_sizes` must be at least 3 distinct sizes > 0, got {h.tolist()}")
    if not isinstance(fit, int) or not 3 <= fit <= h.size:
        raise ValueError(f"`fit` must be an int in [3, {h.size}], got fit={fit!r}")
    order = np.argsort(h)
    h, y = h[order][:fit], y[order][:fit]
    flat = y.reshape(fit, -1)
    c0, c1, se = _line(h, flat)
    c0_fine, _, _ = _line(h[:-1], flat[:-1])
    unc = np.maximum(2.0 * se, np.abs(c0 - c0_fine))
    shape = y.shape[1:]
    return Extrapolation(c0.reshape(shape), unc.reshape(shape), y[0], c1.reshape(shape))
