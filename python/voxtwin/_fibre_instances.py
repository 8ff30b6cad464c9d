"""Individual fibres in a fibre mask: watershed pieces merged back into straight cylinders.

Rasterized fibres closer than a voxel touch, so connected components are not fibres. The
distance transform of a straight fibre has a ridge along its axis whose height wobbles by a
fraction of a voxel, so a watershed seeded at its local maxima splits touching fibres *and*
cuts single fibres into many pieces. The pieces are then merged back while their union still
looks like one straight cylinder:

- its second principal standard deviation stays near that of a solid disc (R/2, R from the
  distance transform);
- each piece's voxels lie within about R of the union's axis (root mean square);
- for an elongated union, its transverse variance matches a solid cylinder of its voxel count
  and length.

Two touching side-by-side fibres fail these tests (their union is about 2R wide), as do fibres
meeting at an angle or staggered tip to tip. Merges go in rounds between reciprocal best
partners (lowest cost), so a stubby piece joins its own fibre before a touching neighbour.
Moments are additive, so a merge costs O(1) once the per-piece sums exist. Measured on random
blocks of 4-8 voxel fibres at 12 % with touching allowed: 99.7 % recovered one to one.

With ``periodic=True`` the volume is a torus: the distance transform wraps and pieces that touch
across opposite faces merge like any others, each piece carrying the lattice shift that unwraps
it into its fibre's frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage as ndi

__all__ = ["FibreInstances", "identify_fibres", "periodic_edt", "EDT_RADIUS_OFFSET"]

# The Euclidean distance transform measures centre-to-centre distances to the nearest matrix
# voxel, from voxel centres that are rarely on the axis: the largest value in a one-voxel slice
# of a rasterized cylinder (voxel centre inside the solid) underestimates its radius by 0.22
# voxel on average -- calibrated on 320 cylinders of diameter 4-12 voxels (axis-aligned,
# face-diagonal and random directions); tests/test_characterize.py re-checks the diameters.
EDT_RADIUS_OFFSET = 0.22

# Merge tests, in units of the fibre radius R: a straight solid cylinder has a transverse
# standard deviation of R/2; two side-by-side touching ones at least 1.1 R.
_MAX_TRANSVERSE_STD = 0.75
# Root-mean-square distance of each piece's voxels from the union's axis: a piece of the same
# fibre lies within R of it (R/sqrt(2) for a whole cross-section, up to R for a sliver cut
# lengthwise by a periodic face); a fragment of a touching neighbour sits about 2R away, so a
# small fragment cannot hide behind the large volume of the fibre it touches.
_MAX_PIECE_OFFSET = 1.15
# A solid cylinder of N voxels and length L = sqrt(12 lambda_1) has a transverse variance
# lambda_2 = N / (4 pi L); the union of two side-by-side fibres gives 2.5x that, staggered or
# crossing fibres more, collinear pieces of one fibre ~1.
_MAX_CYLINDER_EXCESS = 1.5
# Wrap-padding of a periodic distance transform (voxels): bounds the fibre radius it is exact for.
_EDT_PAD = 16


@dataclass
class FibreInstances:
    """Fibre instances of a mask.

    ``labels``: uint32 volume, 0 outside fibres, 1..n per fibre (n = ``n``). ``piece_labels``:
    the watershed pieces (int64 volume); ``piece_shift[piece]``: the lattice shift (voxels) that
    unwraps a piece into its fibre's frame (non-zero only across periodic faces).
    ``wraps_onto_itself``: per fibre, True when a periodic fibre reaches its own image (longer
    than the box): its extent is not measurable. ``edt``: the distance transform (voxels).
    """

    labels: np.ndarray
    n: int
    piece_labels: np.ndarray
    piece_shift: np.ndarray
    wraps_onto_itself: np.ndarray
    edt: np.ndarray


def periodic_edt(mask: np.ndarray, periodic: bool, pad: int) -> np.ndarray:
    """Euclidean distance transform (voxels); on a torus when ``periodic`` (wrap-padded by ``pad``,
    exact wherever the distance is below ``pad``)."""
    if not periodic:
        return ndi.distance_transform_edt(mask)
    pads = [min(pad, n) for n in mask.shape]
    padded = np.pad(mask, [(p, p) for p in pads], mode="wrap")
    edt = ndi.distance_transform_edt(padded)
    return np.ascontiguousarray(edt[tuple(slice(p, p + n) for p, n in zip(pads, mask.shape))])


def _maxima(edt: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Voxels that no 26-neighbour exceeds: the distance ridge's local maxima and plateaus.

    Cheaper than h-maxima by grayscale reconstruction (a sort of the whole volume) and as good
    here: every such seed is a watershed piece, and the merge step reunites over-split fibres.
    Neighbours across a periodic face are ignored on purpose: the watershed does not wrap, so
    each part of a fibre cut by a face needs a seed of its own.
    """
    peak = ndi.maximum_filter(edt, size=3, mode="nearest")
    return mask & (edt >= peak)


def _piece_moments(pieces: np.ndarray, n_pieces: int, coords: tuple[np.ndarray, ...]) -> tuple:
    """Voxel count, first and second moments (voxel units) of every piece, by bincount."""
    lab = pieces[coords]
    size = n_pieces + 1
    count = np.bincount(lab, minlength=size).astype(np.float64)
    x = [c.astype(np.float64) for c in coords]
    first = np.stack([np.bincount(lab, weights=x[i], minlength=size) for i in range(3)], axis=1)
    second = np.empty((size, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            second[:, i, j] = second[:, j, i] = np.bincount(lab, weights=x[i] * x[j], minlength=size)
    return count, first, second


def _adjacency(pieces: np.ndarray, periodic: bool) -> np.ndarray:
    """Face-adjacent piece pairs as rows (a, b, sx, sy, sz): b's voxel sits at a's + e_axis + s."""
    rows = []
    for axis, n in enumerate(pieces.shape):
        lo = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis] = slice(0, n - 1)
        hi[axis] = slice(1, n)
        pairs = [(pieces[tuple(lo)], pieces[tuple(hi)], 0)]
        if periodic:
            last = [slice(None)] * 3
            first = [slice(None)] * 3
            last[axis] = slice(n - 1, n)
            first[axis] = slice(0, 1)
            pairs.append((pieces[tuple(last)], pieces[tuple(first)], n))
        for a, b, wrap in pairs:
            sel = (a != b) & (a > 0) & (b > 0) if not wrap else (a > 0) & (b > 0)
            if not np.any(sel):
                continue
            block = np.zeros((int(sel.sum()), 5), dtype=np.int64)
            block[:, 0] = a[sel]
            block[:, 1] = b[sel]
            block[:, 2 + axis] = wrap
            rows.append(block)
    if not rows:
        return np.zeros((0, 5), dtype=np.int64)
    edges = np.unique(np.concatenate(rows), axis=0)
    # One orientation per unordered pair: (a, b, s) and (b, a, -s) are the same contact.
    flip = edges[:, 0] > edges[:, 1]
    edges[flip] = np.column_stack([edges[flip, 1], edges[flip, 0], -edges[flip, 2:]])
    return np.unique(edges, axis=0)


def _resolve(parent: np.ndarray, offset: np.ndarray) -> None:
    """Pointer jumping: every piece points at its root, offsets accumulated (in place)."""
    while True:
        grand = parent[parent]
        if np.array_equal(grand, parent):
            return
        offset += offset[parent]
        parent[:] = grand


def _merge_costs(count: np.ndarray, first: np.ndarray, second: np.ndarray, radius: np.ndarray, on_face: np.ndarray,
                 a: np.ndarray, b: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cost of merging cluster b (translated by t) into a; <= 1 means 'one straight cylinder'.

    Also returns b's first and second moments in a's frame. ``on_face``: clusters touching the
    boundary of a non-periodic volume, whose cross-section a face may have cut to a sliver.
    """
    na, nb = count[a], count[b]
    fb = first[b] + nb[:, None] * t
    sb = second[b] + first[b][:, :, None] * t[:, None, :] + t[:, :, None] * first[b][:, None, :] \
        + nb[:, None, None] * t[:, :, None] * t[:, None, :]
    n = na + nb
    mean = (first[a] + fb) / n[:, None]
    cov = (second[a] + sb) / n[:, None, None] - mean[:, :, None] * mean[:, None, :]
    lam, vec = np.linalg.eigh(cov)
    axis = vec[:, :, 2]
    r = np.maximum(radius[a], radius[b])

    def rms_off_axis(cnt, fst, snd):
        # root mean square distance of a cluster's voxels from the union's axis line
        sq = (np.trace(snd, axis1=1, axis2=2) - 2.0 * np.einsum("ij,ij->i", fst, mean)) / cnt \
            + np.einsum("ij,ij->i", mean, mean)
        along = (np.einsum("ij,ijk,ik->i", axis, snd, axis) - 2.0 * np.einsum("ij,ij->i", axis, fst)
                 * np.einsum("ij,ij->i", axis, mean)) / cnt + np.einsum("ij,ij->i", axis, mean) ** 2
        return np.sqrt(np.clip(sq - along, 0.0, None))

    lam = np.clip(lam, 0.0, None)
    transverse = np.sqrt(lam[:, 1])
    cylinder = lam[:, 1] * 4.0 * np.pi * np.sqrt(12.0 * lam[:, 2]) / n
    # Only meaningful for an elongated union (L > 1.7 D; the principal axes of a stubby one swap)
    # with whole cross-sections (not a sliver left by a face that grazes a fibre).
    whole = (lam[:, 2] > 4.0 * lam[:, 1]) & ~(on_face[a] | on_face[b])
    cylinder = np.where(whole, cylinder / _MAX_CYLINDER_EXCESS, 0.0)
    cost = np.maximum.reduce([
        transverse / (_MAX_TRANSVERSE_STD * r),
        np.maximum(rms_off_axis(na, first[a], second[a]), rms_off_axis(nb, fb, sb)) / (_MAX_PIECE_OFFSET * r),
        cylinder,
    ])
    return cost, fb, sb


def identify_fibres(mask: np.ndarray, periodic: bool = False, min_voxels: int = 8) -> FibreInstances:
    """Label individual straight fibres in a boolean fibre mask (``vol[x, y, z]``).

    Fibres of fewer than ``min_voxels`` voxels are dropped (label 0): too small for a direction.
    With ``periodic``, distances wrap exactly for fibres up to ``_EDT_PAD`` voxels in radius.
    """
    from skimage.segmentation import watershed

    edt_full = periodic_edt(mask, periodic, pad=_EDT_PAD)
    markers, _ = ndi.label(_maxima(edt_full, mask), structure=np.ones((3, 3, 3), dtype=bool))
    pieces = watershed(-edt_full, markers, mask=mask).astype(np.int64)
    n_pieces = int(pieces.max())
    coords = np.nonzero(pieces)
    count, first, second = _piece_moments(pieces, n_pieces, coords)
    radius = np.zeros(n_pieces + 1)
    np.maximum.at(radius, pieces[coords], edt_full[coords])
    on_face = np.zeros(n_pieces + 1, dtype=bool)
    if not periodic:
        for axis, c in enumerate(coords):
            on_face[pieces[coords][(c == 0) | (c == mask.shape[axis] - 1)]] = True
    radius += EDT_RADIUS_OFFSET

    edges = _adjacency(pieces, periodic)
    parent = np.arange(n_pieces + 1)
    offset = np.zeros((n_pieces + 1, 3), dtype=np.int64)   # piece frame -> root frame (voxels)
    self_wrap = np.zeros(n_pieces + 1, dtype=bool)
    while len(edges):
        _resolve(parent, offset)
        a, b = parent[edges[:, 0]], parent[edges[:, 1]]
        # Edge (a, b, s): b's voxel, shifted by s, neighbours a's. Offsets take pieces into their
        # roots' frames, so t carries b's root frame into a's.
        t = offset[edges[:, 0]] + edges[:, 2:] - offset[edges[:, 1]]
        same = a == b
        wrapped = same & np.any(t != 0, axis=1)
        self_wrap[a[wrapped]] = True
        keep = ~same
        edges, a, b, t = edges[keep], a[keep], b[keep], t[keep]
        if not len(edges):
            break
        cost, fb, sb = _merge_costs(count, first, second, radius, on_face, a, b, t.astype(np.float64))
        ok = cost <= 1.0
        if not np.any(ok):
            break
        a, b, t, cost, fb, sb = a[ok], b[ok], t[ok], cost[ok], fb[ok], sb[ok]
        # Reciprocal best partners only: a stubby piece could pass the tests with a touching
        # neighbour, but its own fibre's next piece is always a better (cheaper) partner.
        best = np.full(n_pieces + 1, np.inf)
        np.minimum.at(best, a, cost)
        np.minimum.at(best, b, cost)
        mutual = np.flatnonzero((cost == best[a]) & (cost == best[b]))
        used = np.zeros(n_pieces + 1, dtype=bool)
        merged = False
        for k in mutual:   # over candidate pairs (pieces, not voxels); ties: first come
            ka, kb = a[k], b[k]
            if used[ka] or used[kb]:
                continue
            used[ka] = used[kb] = True
            count[ka] += count[kb]
            first[ka] += fb[k]
            second[ka] += sb[k]
            radius[ka] = max(radius[ka], radius[kb])
            self_wrap[ka] |= self_wrap[kb]
            on_face[ka] |= on_face[kb]
            parent[kb] = ka
            offset[kb] = t[k]
            merged = True
        if not merged:
            break
    _resolve(parent, offset)

    # Number fibres 1..n in order of their first voxel (C order), dropping tiny ones.
    roots = parent[1:]
    big = count[roots] >= min_voxels
    first_voxel = np.full(n_pieces + 1, np.iinfo(np.int64).max)
    lin = np.ravel_multi_index(coords, pieces.shape)
    np.minimum.at(first_voxel, pieces[coords], lin)
    root_first = np.full(n_pieces + 1, np.iinfo(np.int64).max)
    np.minimum.at(root_first, roots, first_voxel[1:])
    kept_roots = np.unique(roots[big])
    kept_roots = kept_roots[np.argsort(root_first[kept_roots], kind="stable")]
    fibre_of_root = np.zeros(n_pieces + 1, dtype=np.uint32)
    fibre_of_root[kept_roots] = np.arange(1, len(kept_roots) + 1, dtype=np.uint32)
    piece_fibre = np.zeros(n_pieces + 1, dtype=np.uint32)
    piece_fibre[1:] = fibre_of_root[roots]
    labels = piece_fibre[pieces]
    return FibreInstances(
        labels=labels,
        n=len(kept_roots),
        piece_labels=pieces,
        piece_shift=offset,
        wraps_onto_itself=self_wrap[kept_roots],
        edt=edt_full,
    )
