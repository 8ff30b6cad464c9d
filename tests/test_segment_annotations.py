"""Simulated brush strokes: always correct, on distinct objects, planar, of the requested brush size."""

from __future__ import annotations

import numpy as np
import pytest
import voxtwin as vt
from _blocks import fibre_block
from scipy import ndimage
from voxtwin.segment import FIBRE, MATRIX, UNLABELLED, VOID


@pytest.fixture(scope="module")
def phantom() -> np.ndarray:
    return fibre_block((48, 48, 48), n_pores=5, seed=2)


def test_every_painted_voxel_has_its_true_label(phantom: np.ndarray) -> None:
    ann = vt.segment.brush_annotations(phantom, seed=1)
    assert ann.dtype == np.int8 and ann.shape == phantom.shape
    painted = ann != UNLABELLED
    np.testing.assert_array_equal(ann[painted], phantom[painted])
    assert set(np.unique(ann[painted])) == {MATRIX, FIBRE, VOID}


def test_strokes_land_on_distinct_objects(phantom: np.ndarray) -> None:
    components, _ = ndimage.label(phantom == FIBRE)
    sizes = np.bincount(components.ravel())[1:]
    min_size = np.pi * (5 / 2) ** 2  # the smallest brush footprint of the default brush_size
    eligible = int(np.count_nonzero(sizes >= min_size))
    for k in (5, eligible + 3):
        ann = vt.segment.brush_annotations(phantom, objects={FIBRE: k}, boundary=0.0, seed=4)
        touched = np.unique(components[ann == FIBRE])
        # one stroke per object while unbrushed objects remain, then objects come round again
        assert len(touched) == min(k, eligible)


def test_a_stroke_is_a_capsule_in_one_slice() -> None:
    truth = np.zeros((60, 60, 60), dtype=np.uint8)  # all matrix: nothing clips the stroke
    diameter, length = 6.0, 20.0
    ann = vt.segment.brush_annotations(truth, objects={MATRIX: 1}, brush_size=(diameter, diameter),
                                       stroke_length=(length, length), planes=("xy",), boundary=0.0, seed=0)
    xs, ys, zs = np.nonzero(ann == MATRIX)
    assert len(np.unique(zs)) == 1  # an XY stroke stays in its slice
    capsule = length * diameter + np.pi * (diameter / 2) ** 2
    # pixel counting of a capsule: the perimeter (~2·length + π·d ≈ 59 px) bounds the error by ±½ px each
    assert abs(len(xs) - capsule) <= 0.5 * (2 * length + np.pi * diameter)
    extent = max(np.ptp(xs), np.ptp(ys)) + 1
    assert extent == pytest.approx(length + diameter, abs=2)


def test_planes_cycle_through_xy_yz_zx() -> None:
    truth = np.zeros((40, 40, 40), dtype=np.uint8)
    for plane, axis in (("xy", 2), ("yz", 0), ("zx", 1)):
        ann = vt.segment.brush_annotations(truth, objects={MATRIX: 1}, planes=(plane,), seed=9)
        coords = np.nonzero(ann == MATRIX)
        assert len(np.unique(coords[axis])) == 1, plane


def test_boundary_strokes_touch_the_boundary(phantom: np.ndarray) -> None:
    other = phantom != MATRIX
    near = ndimage.binary_dilation(other) & ~other  # matrix voxels next to fibres or pores
    along = vt.segment.brush_annotations(phantom, objects={MATRIX: 10}, boundary=1.0, seed=3)
    free = vt.segment.brush_annotations(phantom, objects={MATRIX: 10}, boundary=0.0, margin=2, seed=3)
    assert np.count_nonzero(near & (along == MATRIX)) > 0
    assert np.count_nonzero(near & (free == MATRIX)) == 0  # margin=2 keeps clear of the boundary
    depth = ndimage.distance_transform_edt(phantom == MATRIX)
    assert depth[free == MATRIX].min() > 2


def test_focus_and_base(phantom: np.ndarray) -> None:
    focus = np.zeros(phantom.shape, dtype=bool)
    focus[30:40, 30:40, 30:40] = True
    first = vt.segment.brush_annotations(phantom, seed=1)
    more = vt.segment.brush_annotations(phantom, objects={MATRIX: 3}, focus=focus, base=first, seed=2)
    kept = first != UNLABELLED
    np.testing.assert_array_equal(more[kept], first[kept])  # earlier strokes stay
    new = (more != UNLABELLED) & ~kept
    assert new.any()
    # a stroke starts in the focus box and reaches at most half its length plus its brush radius from it
    reach = 30 / 2 + 15 / 2
    dist = ndimage.distance_transform_edt(~focus)
    assert dist[new].max() <= reach
    # nothing to correct: no new strokes
    none = vt.segment.brush_annotations(phantom, focus=np.zeros_like(focus), base=first, seed=2)
    np.testing.assert_array_equal(none, first)


def test_seeded(phantom: np.ndarray) -> None:
    a = vt.segment.brush_annotations(phantom, seed=7)
    np.testing.assert_array_equal(a, vt.segment.brush_annotations(phantom, seed=7))
    assert not np.array_equal(a, vt.segment.brush_annotations(phantom, seed=8))


def test_bad_arguments(phantom: np.ndarray) -> None:
    with pytest.raises(ValueError, match="`brush_size` must satisfy"):
        vt.segment.brush_annotations(phantom, brush_size=(10, 5))
    with pytest.raises(ValueError, match="`planes`"):
        vt.segment.brush_annotations(phantom, planes="xy")
    with pytest.raises(ValueError, match="`focus` must be an array of the shape"):
        vt.segment.brush_annotations(phantom, focus=np.ones((2, 2, 2), bool))
    with pytest.raises(TypeError, match="`truth` must be a 3D integer"):
        vt.segment.brush_annotations(phantom.astype(float))
    with pytest.raises(ValueError, match=r"`objects\[1\]` must be >= 0"):
        vt.segment.brush_annotations(phantom, objects={1: -2})
    with pytest.raises(ValueError, match="`boundary` must be in"):
        vt.segment.brush_annotations(phantom, boundary=1.5)
