"""Multi-Otsu baseline: thresholds against a brute-force between-class variance search, phase mapping."""

from __future__ import annotations

import numpy as np
import pytest
import voxtwin as vt
from voxtwin.segment import FIBRE, MATRIX, VOID


def _brute_force_two_class(image: np.ndarray) -> float:
    """Otsu's threshold by exhaustive search of the between-class variance over integer grey levels."""
    values = image.ravel().astype(np.float64)
    best, best_t = -1.0, 0.0
    for t in range(int(values.min()) + 1, int(values.max()) + 1):
        low, high = values[values < t], values[values >= t]
        if low.size == 0 or high.size == 0:
            continue
        w0, w1 = low.size / values.size, high.size / values.size
        var = w0 * w1 * (low.mean() - high.mean()) ** 2
        if var > best:
            best, best_t = var, t
    return best_t


def test_two_class_threshold_matches_exhaustive_search(rng: np.random.Generator) -> None:
    image = np.concatenate([rng.normal(60, 8, 4000), rng.normal(150, 12, 2000)]).clip(0, 255).astype(np.uint8)
    image = image.reshape(10, 20, 30)
    (t,) = vt.segment.otsu_thresholds(image, classes=2)
    # the threshold is the last grey level of the dark class; the search returns the first bright one
    assert abs(t + 1 - _brute_force_two_class(image)) <= 1


def test_three_phases_map_dark_to_void_bright_to_fibre(rng: np.random.Generator) -> None:
    truth = rng.integers(0, 3, size=(20, 20, 20)).astype(np.uint8)
    grey = np.rint(np.choose(truth, [100, 170, 30]) + rng.normal(0, 5, truth.shape)).astype(np.uint8)
    labels = vt.segment.otsu(grey)
    assert labels.dtype == np.uint8 and labels.shape == truth.shape
    # well-separated levels: every voxel right (integer grey values: the thresholds are exact, no bin widths)
    np.testing.assert_array_equal(labels, truth)
    assert set(np.unique(labels)) == {MATRIX, FIBRE, VOID}


def test_two_classes_are_explicit(rng: np.random.Generator) -> None:
    grey = np.where(rng.random((10, 10, 10)) < 0.3, 200, 20).astype(np.uint8)
    assert set(np.unique(vt.segment.otsu(grey, classes=2))) == {MATRIX, FIBRE}
    preform = vt.segment.otsu(grey, classes=2, phases=(VOID, FIBRE))  # fibres in air
    np.testing.assert_array_equal(preform, np.where(grey > 100, FIBRE, VOID))


def test_more_classes_give_grey_ranks(rng: np.random.Generator) -> None:
    grey = np.repeat(np.array([10, 80, 150, 220], dtype=np.uint8), 250).reshape(10, 10, 10)
    np.testing.assert_array_equal(vt.segment.otsu(grey, classes=4), np.repeat(np.arange(4), 250).reshape(10, 10, 10))


def test_bad_arguments() -> None:
    grey = np.arange(27, dtype=np.uint8).reshape(3, 3, 3)
    with pytest.raises(ValueError, match="`phases` must give one label"):
        vt.segment.otsu(grey, classes=3, phases=(0, 1))
    with pytest.raises(ValueError, match="`classes` must be >= 2"):
        vt.segment.otsu(grey, classes=1)
    with pytest.raises(ValueError, match="fewer distinct grey values"):
        vt.segment.otsu(np.zeros((3, 3, 3), np.uint8))
    with pytest.raises(ValueError, match="finite"):
        vt.segment.otsu(np.full((3, 3, 3), np.nan))
    with pytest.raises(TypeError, match="`image` must be a numpy array"):
        vt.segment.otsu([1, 2, 3])  # type: ignore[arg-type]
