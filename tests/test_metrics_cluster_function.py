"""The two-point cluster function C2 against brute force and closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage as ndi
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from voxtwin import metrics

# Pair counts are exact integers; after dividing by the window only float64 rounding remains.
EXACT = 1e-12


def periodic_components(mask: np.ndarray, connectivity: int) -> np.ndarray:
    """Cluster ids of every voxel of ``mask`` on the torus (-1 outside), from the voxel graph with
    wrapped neighbours: independent of the face-joining the library does."""
    idx = np.arange(mask.size).reshape(mask.shape)
    rows, cols = [], []
    for off in itertools.product((-1, 0, 1), repeat=mask.ndim):
        if not any(off) or sum(map(abs, off)) > connectivity:
            continue
        nb = np.roll(idx, off, axis=tuple(range(mask.ndim)))
        both = mask & np.roll(mask, off, axis=tuple(range(mask.ndim)))
        rows.append(idx[both])
        cols.append(nb[both])
    r, c = np.concatenate(rows), np.concatenate(cols)
    _, comp = connected_components(coo_matrix((np.ones(r.size), (r, c)), shape=(mask.size, mask.size)),
                                   directed=False)
    return np.where(mask, comp.reshape(mask.shape), -1)


def brute_c2(ids: np.ndarray, axis: int, r: int, periodic: bool) -> float:
    """P(p and p + r e_axis in one cluster) by shifting the cluster ids (-1 = outside)."""
    if periodic:
        moved = np.roll(ids, -r, axis=axis)
        return float(np.mean((ids >= 0) & (ids == moved)))
    n = ids.shape[axis]
    a = np.take(ids, np.arange(0, n - r), axis=axis)
    b = np.take(ids, np.arange(r, n), axis=axis)
    return float(np.mean((a >= 0) & (a == b)))


@pytest.mark.parametrize("periodic", [True, False])
@pytest.mark.parametrize("connectivity", [1, 3])
def test_c2_matches_brute_force(rng: np.random.Generator, periodic: bool, connectivity: int) -> None:
    vol = (rng.random((14, 11, 9)) < 0.4).astype(np.uint8)   # near percolation: many clusters, some wrap
    c2 = metrics.cluster_function(vol, 1, 0.5, periodic, connectivity=connectivity)
    if periodic:
        ids = periodic_components(vol == 1, connectivity)
    else:
        lab, _ = ndi.label(vol == 1, structure=ndi.generate_binary_structure(3, connectivity))
        ids = lab.astype(np.int64) - 1
    for axis, name in enumerate("xyz"):
        expected = [brute_c2(ids, axis, r, periodic) for r in range(c2.distance.size)]
        np.testing.assert_allclose(c2.axes[name], expected, rtol=0, atol=EXACT)
    assert c2.axes["x"][0] == pytest.approx(vol.mean(), abs=EXACT)
    np.testing.assert_allclose(c2.distance, np.arange(c2.distance.size) * 0.5)


def test_c2_2d_matches_brute_force(rng: np.random.Generator) -> None:
    img = (rng.random((30, 23)) < 0.5).astype(np.uint8)
    c2 = metrics.cluster_function(img, 1, periodic=False, plane="xz")
    lab, _ = ndi.label(img == 1, structure=np.ones((3, 3)))
    ids = lab.astype(np.int64) - 1
    assert set(c2.axes) == {"x", "z"}
    for axis, name in enumerate("xz"):
        np.testing.assert_allclose(c2.axes[name], [brute_c2(ids, axis, r, False) for r in range(c2.distance.size)],
                                   atol=EXACT)


def spheres(n: int, radius: float, centres: list[tuple[int, int, int]]) -> np.ndarray:
    g = np.indices((n, n, n))
    vol = np.zeros((n, n, n), dtype=np.uint8)
    for c in centres:
        # periodic distance to the centre
        d2 = sum(np.minimum(np.abs(g[i] - c[i]), n - np.abs(g[i] - c[i])) ** 2 for i in range(3))
        vol[d2 <= radius**2] = 1
    return vol


def test_c2_closed_forms_spheres_and_their_matrix() -> None:
    n, radius = 32, 3.0
    # sphere A and three neighbours 11 voxels away along x, y and z (gaps of 4 voxels: separated)
    vol = spheres(n, radius, [(5, 8, 8), (16, 8, 8), (5, 19, 8), (5, 8, 19)])
    # separated spheres (diameter 7 voxels): C2 = 0 from r = 7 on, while S2 sees the neighbours
    c2 = metrics.cluster_function(vol, 1)
    s2 = metrics.two_point(vol, 1, radial=False)
    assert c2.extra["clusters"] == 4
    for a in "xyz":
        assert np.all(c2.axes[a][7:] == 0.0)
        assert np.all(c2.axes[a] <= s2.axes[a] + EXACT)
        assert s2.axes[a][7:].max() > 0.0
        # below the nearest lag between two spheres (11 - 6 = 5) every pair is inside one sphere
        np.testing.assert_allclose(c2.axes[a][:5], s2.axes[a][:5], atol=EXACT)
        assert s2.axes[a][5] > c2.axes[a][5]
    # the matrix around them is one connected cluster: C2 == S2 at every lag
    m2 = metrics.cluster_function(vol, 0)
    t2 = metrics.two_point(vol, 0, radial=False)
    assert m2.extra["clusters"] == 1
    for a in "xyz":
        np.testing.assert_allclose(m2.axes[a], t2.axes[a], atol=EXACT)


def test_c2_periodic_laminate_layers_are_clusters() -> None:
    # layers normal to x (4 of every 10 voxels): in-plane C2 = S2 = 0.4; across, C2 = (4 - r) / 10
    # for r < 4 (pairs inside one layer) and 0 beyond, while S2 comes back at the next layer
    x = np.arange(40) % 10 < 4
    vol = np.broadcast_to(x[:, None, None], (40, 12, 8)).astype(np.uint8)
    c2 = metrics.cluster_function(vol, 1, 1.0, True)
    r = np.arange(c2.distance.size)
    np.testing.assert_allclose(c2.x, np.maximum(4 - r, 0) / 10, atol=EXACT)
    np.testing.assert_allclose(c2.y, np.full(c2.y.size, 0.4), atol=EXACT)
    assert c2.extra["clusters"] == 4


def test_c2_bad_input() -> None:
    vol = np.zeros((4, 4, 4), np.uint8)
    with pytest.raises(ValueError, match="connectivity"):
        metrics.cluster_function(vol, connectivity=4)
    with pytest.raises(TypeError, match="volume"):
        metrics.cluster_function([[1, 0]])
    assert np.all(metrics.cluster_function(vol).x == 0.0)   # no phase: no pairs
