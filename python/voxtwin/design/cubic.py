"""Cubic-symmetric cells from their corner octant, and the connectivity filter of seed 004.

A cell of ``n = 2m`` voxels per axis with the symmetry of the cube (the 48 signed permutations of
the axes) is fixed by its corner octant ``[0, m)³`` when that octant is itself symmetric under the
six permutations of the axes: the cell is the octant mirrored across the mid-planes,
``cell[x] = octant[x]`` for ``x < m`` and ``octant[n − 1 − x]`` beyond (seed 004 stores 1/8 of each
cell the same way). Such a cell maps onto itself under the mirror ``x → n − 1 − x`` and the axis
swaps, so :func:`voxtwin.homogenize_cells` with ``symmetry="cubic"`` solves it with two load cases.

Connectivity (seed 004's filter of unreliable generations): the solid is one periodic cluster of
face-connected voxels (:func:`voxtwin.metrics.cluster_count`) that reaches every face of the cell,
so it carries load across the periodic boundary. :func:`remove_islands` repairs the common failure
of a generated cell, a load-bearing body plus small floating islands: it removes the clusters
that do not wrap around the periodic cell (no load), or, as seed 004, all but the largest.
:func:`bridge_hinges` repairs the other one: solid pieces that touch only along an edge or at a
corner (one piece to the eye and to a 26-neighbour labelling, several to the face filter).
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..metrics import cluster_count
from ..metrics._volume import as_labels
from ..metrics.topology import cluster_labels

__all__ = ["permutation_average", "cubic_cell", "octant", "is_connected", "remove_islands", "bridge_hinges"]

_PERMUTATIONS = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


def permutation_average(a: np.ndarray) -> np.ndarray:
    """Mean of ``a`` (float [..., m, m, m]) over the six permutations of its last three axes."""
    a = np.asarray(a)
    lead = tuple(range(a.ndim - 3))
    out = np.zeros(a.shape, dtype=np.float64)
    for p in _PERMUTATIONS:
        out += np.transpose(a, lead + tuple(a.ndim - 3 + i for i in p))
    return out / 6.0


def cubic_cell(octants: np.ndarray) -> np.ndarray:
    """Full cells [..., 2m, 2m, 2m] from corner octants [..., m, m, m] by mirroring across the
    mid-planes. The octants must be symmetric under axis permutations for the cell to be cubic
    (ValueError otherwise)."""
    o = np.asarray(octants)
    if o.ndim < 3 or not o.shape[-1] == o.shape[-2] == o.shape[-3]:
        raise ValueError(f"`octants` must end in three equal axes [..., m, m, m], got shape {o.shape}")
    lead = tuple(range(o.ndim - 3))
    for p in _PERMUTATIONS[1:]:
        if not np.array_equal(o, np.transpose(o, lead + tuple(o.ndim - 3 + i for i in p))):
            raise ValueError("`octants` must be symmetric under permutations of the axes (see permutation_average)")
    for axis in range(o.ndim - 3, o.ndim):
        o = np.concatenate([o, np.flip(o, axis=axis)], axis=axis)
    return np.ascontiguousarray(o)


def octant(cells: np.ndarray) -> np.ndarray:
    """Corner octants [..., m, m, m] of cells [..., 2m, 2m, 2m]."""
    c = np.asarray(cells)
    n = c.shape[-1]
    if c.ndim < 3 or not c.shape[-1] == c.shape[-2] == c.shape[-3] or n % 2:
        raise ValueError(f"`cells` must end in three equal even axes [..., n, n, n], got shape {c.shape}")
    m = n // 2
    return np.ascontiguousarray(c[..., :m, :m, :m])


def is_connected(cells: np.ndarray, solid: int = 1) -> np.ndarray:
    """Per cell (uint8 [count, n, n, n] or one [n, n, n]): the ``solid`` phase is a single periodic
    face-connected cluster that touches all six faces (bool array, or a bool for one cell)."""
    c = np.asarray(cells)
    one = c.ndim == 3
    c = c[None] if one else c
    out = np.zeros(len(c), dtype=bool)
    for i, cell in enumerate(c):
        mask = cell == solid
        faces = all(mask.take(0, axis=a).any() and mask.take(-1, axis=a).any() for a in range(3))
        out[i] = faces and cluster_count(np.ascontiguousarray(cell), phase=solid, periodic=True, connectivity=1) == 1
    return bool(out[0]) if one else out


def remove_islands(cells: np.ndarray, solid: int = 1, *, keep: str = "wrapping", connectivity: int | None = None,
                   void: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Remove solid that carries no load (``keep="wrapping"``) or all but the largest cluster
    (``keep="largest"``); the removed voxels become ``void``.

    ``cells`` uint8 [count, n, n, n] or one [n, n, n]. Clusters of ``solid`` are labelled with
    periodic joins (:func:`voxtwin.metrics.cluster_count`'s labelling) and ``connectivity`` in the
    scipy.ndimage convention (1 faces … 3 all 26 neighbours).

    - ``"wrapping"`` (default connectivity 3): a cluster that does not wrap around the periodic cell
      is a finite island in the periodic medium, enclosed by void, touching nothing else, not even
      at a corner: it carries no load and is removed. Every cluster that wraps (in one direction
      or more) stays, so two interpenetrating load-bearing networks both stay. A cluster wraps when
      it is larger in the periodic 2×2×2 tiling of the cell than in the cell (its images join).
      Removing islands cannot change the homogenized stiffness beyond the solver's tolerance.
    - ``"largest"`` (default connectivity 1, as :func:`is_connected`): seed 004's repair, only the
      largest cluster stays; this can drop a load-bearing network or a piece joined to the body by
      an edge or a corner, and so change C. A cell whose largest cluster is not unique is left as
      it is (dropping one would break its symmetry; the unique largest cluster of a cubic cell maps
      onto itself under the cube's symmetries, so the repaired cell stays cubic).

    Returns (the repaired cells, same shape and dtype; the number of voxels removed per cell,
    int [count] or an int for one cell).
    """
    c = np.asarray(cells)
    if c.ndim not in (3, 4):
        raise ValueError(f"`cells` must be [n, n, n] or [count, n, n, n], got shape {c.shape}")
    if keep not in ("wrapping", "largest"):
        raise ValueError(f"`keep` must be 'wrapping' or 'largest', got keep={keep!r}")
    conn = (3 if keep == "wrapping" else 1) if connectivity is None else connectivity
    if conn not in (1, 2, 3):
        raise ValueError("`connectivity` must be 1, 2 or 3 (scipy.ndimage convention), "
                         f"got connectivity={connectivity!r}")
    one = c.ndim == 3
    c = c[None] if one else c
    out = c.copy()
    removed = np.zeros(len(c), dtype=np.int64)
    n = c.shape[-1]
    for i, cell in enumerate(c):
        labels, count = cluster_labels(as_labels(np.ascontiguousarray(cell), 1.0), solid, True, conn)
        if count == 0:
            continue
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        if keep == "wrapping":
            tiled, _ = cluster_labels(as_labels(np.ascontiguousarray(np.tile(cell, (2, 2, 2))), 1.0), solid, True, conn)
            sizes2 = np.bincount(tiled.ravel())
            drop = (labels > 0) & (sizes2[tiled[:n, :n, :n]] == sizes[labels])
        else:
            if count < 2 or np.count_nonzero(sizes[1:] == sizes[1:].max()) > 1:
                continue
            drop = (labels > 0) & (labels != np.argmax(sizes[1:]) + 1)
        out[i][drop] = void
        removed[i] = int(drop.sum())
    return (out[0], int(removed[0])) if one else (out, removed)


def _faces_of(labels: np.ndarray, axis: int, sign: int) -> np.ndarray:
    """The label of each voxel's periodic face neighbour at ``sign`` along ``axis``."""
    return np.roll(labels, -sign, axis=axis)


def bridge_hinges(cells: np.ndarray, solid: int = 1, *, rounds: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Join solid pieces that touch only along an edge or at a corner by making the contact a face.

    A generated cell often holds pieces joined by such a hinge: one body to a 26-neighbour
    labelling, several face-connected clusters to :func:`is_connected`. Each round adds the void
    voxels that have face neighbours in two different face-connected clusters lying across
    perpendicular faces (the two voxels of an edge contact are then joined through a face); where
    a contact is a corner only, the void voxels with a face neighbour in one cluster and an edge
    neighbour in another across that corner, which turns it into edge contacts for the next round.
    Pieces separated by void are never joined. Every candidate is added, so a cell that is
    symmetric stays so (the candidates are defined by the cell alone). Rounds stop when the solid is
    one face-connected cluster, or nothing is left to add, or after ``rounds``.

    ``cells`` uint8 [count, n, n, n] or one [n, n, n] (periodic). Returns (the bridged cells, same
    shape and dtype; the number of voxels added per cell, int [count] or an int for one cell).
    """
    c = np.asarray(cells)
    if c.ndim not in (3, 4):
        raise ValueError(f"`cells` must be [n, n, n] or [count, n, n, n], got shape {c.shape}")
    rounds = _validate.integer("rounds", rounds, minimum=1)
    one = c.ndim == 3
    c = c[None] if one else c
    out = c.copy()
    added = np.zeros(len(c), dtype=np.int64)
    for i in range(len(c)):
        cell = out[i]
        for _ in range(rounds):
            labels, count = cluster_labels(as_labels(np.ascontiguousarray(cell), 1.0), solid, True, 1)
            if count < 2:
                break
            empty = cell != solid
            edge = np.zeros(cell.shape, dtype=bool)
            for a in range(3):
                for b in range(a + 1, 3):
                    for sa in (-1, 1):
                        for sb in (-1, 1):
                            la, lb = _faces_of(labels, a, sa), _faces_of(labels, b, sb)
                            edge |= (la > 0) & (lb > 0) & (la != lb)
            grow = empty & edge
            if not grow.any():
                # corner contacts: a face neighbour in one cluster, an edge neighbour across the
                # corner (in the plane normal to that face) in another
                for a in range(3):
                    b, d = [x for x in range(3) if x != a]
                    for sa in (-1, 1):
                        la = _faces_of(labels, a, sa)
                        for sb in (-1, 1):
                            for sd in (-1, 1):
                                lbd = np.roll(labels, (-sb, -sd), axis=(b, d))
                                grow |= empty & (la > 0) & (lbd > 0) & (la != lbd)
            if not grow.any():
                break
            cell[grow] = solid
            added[i] += int(grow.sum())
    return (out[0], int(added[0])) if one else (out, added)
