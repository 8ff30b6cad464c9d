"""The connection rule of seed 000: blocks are connected parallel to their orientation.

Seed 000 (§2.3 and the experimental section) keeps "a continuous orientation alignment on a
hierarchical scale" by connecting building blocks "parallel to their orientation, avoiding
perpendicular connections". Its own 4×4 layers join blocks along both in-plane axes, so the
rule cannot be about the direction of attachment; it is about the orientations of the blocks
that meet. Here a joint (two face neighbours A, B with fibre directions a, b and face normal n)
is *perpendicular* when a and b are closer to perpendicular than to parallel (|a·b| < cos 45°;
exactly 45° apart counts as parallel),
unless both directions lie in the shared face (|a·n| ≈ |b·n| ≈ 0): that is a stacking interface
between layers, where seed 000 stacks 0° on 90° by design.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["perpendicular_joints"]

_PARALLEL_LIMIT = math.cos(math.radians(45.0)) - 1e-9  # exactly 45° apart is not perpendicular
_IN_FACE = 1e-9


def perpendicular_joints(directions: np.ndarray, axis: int) -> np.ndarray:
    """Boolean ``[..]`` mask of perpendicular joints between cells i and i+1 along ``axis``.

    ``directions``: float ``[gx, gy, gz, 3]`` unit fibre directions, NaN where a cell is air or
    has no direction (such cells never form a perpendicular joint).
    """
    n = directions.shape[axis]
    a = np.take(directions, np.arange(n - 1), axis=axis)
    b = np.take(directions, np.arange(1, n), axis=axis)
    valid = np.all(np.isfinite(a), axis=-1) & np.all(np.isfinite(b), axis=-1)
    with np.errstate(invalid="ignore"):
        cross_angle = np.abs(np.sum(a * b, axis=-1)) < _PARALLEL_LIMIT
        in_face = (np.abs(a[..., axis]) < _IN_FACE) & (np.abs(b[..., axis]) < _IN_FACE)
    return valid & cross_angle & ~in_face
