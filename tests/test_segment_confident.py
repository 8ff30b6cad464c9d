"""Automatic strokes in confident regions: right phase, never near a class boundary."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.segment import FIBRE, MATRIX, VOID
from voxtwin.segment.confident import UNKNOWN, confident_labels


def three_phase_block() -> tuple[np.ndarray, np.ndarray]:
    """Slabs of void / matrix / fibre along x, imaged with blur and noise."""
    truth = np.full((48, 24, 24), MATRIX, dtype=np.uint8)
    truth[:12] = VOID
    truth[32:] = FIBRE
    return truth, vt.segment.synthetic_ct(truth, noise=8.0, blur=1.0, seed=3)


def test_confident_labels_are_right_and_avoid_boundaries() -> None:
    truth, image = three_phase_block()
    pseudo = confident_labels(image, classes=3)
    sure = pseudo != UNKNOWN
    # Every confident voxel carries its true phase ...
    assert np.array_equal(pseudo[sure], truth[sure])
    # ... each phase has confident voxels, and the slabs' boundary planes (x = 12, 32) are left alone.
    assert {VOID, MATRIX, FIBRE} <= set(np.unique(pseudo[sure]).tolist())
    assert np.mean(pseudo[11:13] == UNKNOWN) > 0.9
    assert np.mean(pseudo[31:33] == UNKNOWN) > 0.9


def test_confident_annotations_are_sparse_strokes_of_every_phase() -> None:
    truth, image = three_phase_block()
    ann = vt.segment.confident_annotations(image, classes=3, strokes=4, seed=1)
    assert ann.dtype == np.int8 and ann.shape == truth.shape
    marked = ann >= 0
    assert 0 < marked.mean() < 0.2
    assert np.array_equal(ann[marked], truth[marked].astype(np.int8))
    assert set(np.unique(ann[marked]).tolist()) == {VOID, MATRIX, FIBRE}
    again = vt.segment.confident_annotations(image, classes=3, strokes=4, seed=1)
    np.testing.assert_array_equal(ann, again)


def test_bad_arguments_name_themselves() -> None:
    _, image = three_phase_block()
    with pytest.raises(ValueError, match="`confidence`"):
        confident_labels(image, confidence=1.5)
    with pytest.raises(ValueError, match="`phases`"):
        confident_labels(image, classes=3, phases=(1, 2))
