"""One seed per grid cell, derived from the assembly seed and the cell's position.

SplitMix64 chained over (seed, x, y, z): any chunk can regenerate the blocks it touches alone,
and the whole is the same whatever the chunking, thread count or order of writing.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cell_seeds"]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _splitmix64(z: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):  # modular arithmetic is the point
        z = z + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def cell_seeds(seed: int, grid_shape: tuple[int, int, int]) -> np.ndarray:
    """uint64 seeds of every cell of a grid, ``[gx, gy, gz]``: distinct cells get unrelated seeds."""
    gx, gy, gz = grid_shape
    x, y, z = np.meshgrid(np.arange(gx, dtype=np.uint64), np.arange(gy, dtype=np.uint64),
                          np.arange(gz, dtype=np.uint64), indexing="ij")
    h = _splitmix64(np.full(x.shape, seed, dtype=np.uint64))
    for coord in (x, y, z):
        h = _splitmix64(h ^ coord)
    return h
