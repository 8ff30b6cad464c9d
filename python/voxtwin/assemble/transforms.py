"""Signed axis permutations: the 48 ways a block can be turned by quarter turns and mirrored.

A transform is stored as a code 0..47 (uint8 per grid cell): ``permutation_index * 8 + flip_bits``.
Its matrix M maps block coordinates to assembly coordinates; row ``a`` holds ±1 in column
``axis[a]``, so axis ``a`` of the turned block runs along axis ``axis[a]`` of the block, reversed
when ``flip[a]`` (the convention of the C++ kernel ``voxtwin::paste``). Code 0 is the identity.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

__all__ = ["IDENTITY", "axis_flip", "compose", "from_matrix", "matrix", "parse", "turn_cells", "turn_grid"]

IDENTITY = 0
_PERMS: tuple[tuple[int, int, int], ...] = tuple(itertools.permutations(range(3)))  # type: ignore[assignment]
_AXES = {"x": 0, "y": 1, "z": 2}


def axis_flip(code: int) -> tuple[tuple[int, int, int], tuple[bool, bool, bool]]:
    """(axis, flip) of a transform code, as the paste kernel takes them."""
    perm = _PERMS[code // 8]
    bits = code % 8
    return perm, (bool(bits & 1), bool(bits & 2), bool(bits & 4))


def matrix(code: int) -> np.ndarray:
    """The signed permutation matrix (int, 3×3) of a transform code."""
    axis, flip = axis_flip(code)
    m = np.zeros((3, 3), dtype=np.int64)
    for a in range(3):
        m[a, axis[a]] = -1 if flip[a] else 1
    return m


def from_matrix(m: np.ndarray) -> int:
    """The code of a signed permutation matrix."""
    m = np.asarray(m)
    axis = tuple(int(np.argmax(np.abs(m[a]))) for a in range(3))
    bits = sum(1 << a for a in range(3) if m[a, axis[a]] < 0)
    return _PERMS.index(axis) * 8 + bits  # type: ignore[arg-type]


def compose(outer: int, inner: int) -> int:
    """The transform ``outer ∘ inner`` (inner applied first)."""
    return from_matrix(matrix(outer) @ matrix(inner))


def _quarter_turn(axis: int) -> np.ndarray:
    """+90° about an axis (right hand: about Z, +X turns towards +Y)."""
    m = np.eye(3, dtype=np.int64)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m[i, i] = m[j, j] = 0
    m[j, i] = 1
    m[i, j] = -1
    return m


def parse(rotate: object = None, mirror: object = None) -> int:
    """Transform code from ``rotate`` and ``mirror`` (rotations first, then mirrors).

    ``rotate``: None, ``("z", 90)`` or a sequence of such pairs applied in order; angles in
    degrees, multiples of 90 (positive = right-handed about the axis). ``mirror``: None, an axis
    name (``"x"``) or a sequence of axis names whose coordinates are reversed.
    """
    m = np.eye(3, dtype=np.int64)
    if rotate is not None:
        pairs = [rotate] if (isinstance(rotate, Sequence) and len(rotate) == 2 and isinstance(rotate[0], str)) else rotate
        if not isinstance(pairs, Sequence) or isinstance(pairs, str):
            raise TypeError(f"`rotate` must be (axis, degrees) or a sequence of them, got rotate={rotate!r}")
        for pair in pairs:
            if not (isinstance(pair, Sequence) and len(pair) == 2 and pair[0] in _AXES):
                raise ValueError(f"`rotate` entries must be (axis, degrees) with axis in 'x', 'y', 'z', got rotate={rotate!r}")
            degrees = pair[1]
            if isinstance(degrees, bool) or not isinstance(degrees, (int, float)) or degrees % 90 != 0:
                raise ValueError(f"`rotate` angles must be multiples of 90 degrees, got rotate={rotate!r}")
            turns = int(degrees // 90) % 4
            for _ in range(turns):
                m = _quarter_turn(_AXES[pair[0]]) @ m
    if mirror is not None:
        axes = [mirror] if isinstance(mirror, str) else mirror
        if not isinstance(axes, Sequence) or any(a not in _AXES for a in axes):
            raise ValueError(f"`mirror` must be an axis name 'x', 'y', 'z' or a sequence of them, got mirror={mirror!r}")
        for a in axes:
            f = np.eye(3, dtype=np.int64)
            f[_AXES[a], _AXES[a]] = -1
            m = f @ m
    return from_matrix(m)


def turn_grid(grid: np.ndarray, code: int) -> np.ndarray:
    """A 3D array turned as the paste kernel turns a block (C-contiguous copy)."""
    axis, flip = axis_flip(code)
    out = np.transpose(grid, axis)
    flips = [a for a in range(3) if flip[a]]
    if flips:
        out = np.flip(out, flips)
    return np.ascontiguousarray(out)


def turn_cells(ids: np.ndarray, codes: np.ndarray, code: int) -> tuple[np.ndarray, np.ndarray]:
    """A grid of blocks turned as a whole: the cells move, and each cell's own turn composes."""
    if code == IDENTITY:
        return ids, codes
    table = np.array([compose(code, c) for c in range(48)], dtype=np.uint8)
    return turn_grid(ids, code), table[turn_grid(codes, code)]
