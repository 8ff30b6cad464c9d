"""Sliding-window tiling and blending weights."""

from __future__ import annotations

import numpy as np
import pytest
from voxtwin.segment.windows import blend_weights, pad_to, starts, tiles


@pytest.mark.parametrize(("size", "window", "overlap"), [(100, 52, 0.25), (52, 52, 0.25), (53, 52, 0.5),
                                                          (300, 32, 0.0), (7, 16, 0.25)])
def test_windows_cover_with_the_requested_overlap(size: int, window: int, overlap: float) -> None:
    s = starts(size, window, overlap)
    assert s[0] == 0
    assert s[-1] == max(0, size - window)
    covered = np.zeros(max(size, window), dtype=int)
    for a in s:
        covered[a:a + window] += 1
    assert covered[:size].min() >= 1
    shared = [window - (b - a) for a, b in zip(s, s[1:])]
    assert all(sh >= int(round(window * overlap)) - 1 for sh in shared)  # rounding of the step: 1 voxel


def test_tiles_in_2d_mode_take_every_slice() -> None:
    boxes = tiles((5, 40, 40), (1, 32, 32), 0.25)
    assert len(boxes) == 5 * 2 * 2
    assert {b[0].start for b in boxes} == set(range(5))


def test_blend_weights_taper_towards_the_faces() -> None:
    w = blend_weights((16, 16, 16), 0.5)
    assert w.min() > 0
    assert w[8, 8, 8] == 1.0
    assert w[0, 8, 8] < w[2, 8, 8] < w[4, 8, 8]
    np.testing.assert_array_equal(w, w[::-1, :, :])
    np.testing.assert_allclose(w, w.transpose(2, 1, 0), rtol=1e-6)  # products in another order
    np.testing.assert_array_equal(blend_weights((1, 8, 8), 0.5)[0], blend_weights((8, 8), 0.5))
    assert np.all(blend_weights((8, 8, 8), 0.0) == 1.0)


def test_pad_to_restores_by_slicing() -> None:
    a = np.arange(24).reshape(2, 3, 4)
    padded, crop = pad_to(a, (4, 3, 6))
    assert padded.shape == (4, 3, 6)
    np.testing.assert_array_equal(padded[crop], a)
    same, crop2 = pad_to(a, (1, 1, 1))
    assert same is a and same[crop2].shape == a.shape
