"""IoU per class against hand-counted cases and a per-class set computation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import voxtwin as vt


def test_hand_counted_case() -> None:
    truth = np.array([0, 0, 1, 1, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 1, 2, 2, 2, 0])
    # class 0: ∩ {0}, ∪ {0,1,7} -> 1/3; class 1: ∩ {2,3}, ∪ {1,2,3,4} -> 2/4; class 2: ∩ {5,6}, ∪ {4..7} -> 2/4
    assert vt.segment.iou(pred, truth) == {0: pytest.approx(1 / 3), 1: pytest.approx(0.5), 2: pytest.approx(0.5)}


def test_matches_set_definition(rng: np.random.Generator) -> None:
    truth = rng.integers(0, 4, size=(11, 7, 5))
    pred = np.where(rng.random(truth.shape) < 0.7, truth, rng.integers(0, 4, size=truth.shape)).astype(np.uint8)
    scores = vt.segment.iou(pred, truth)
    for c in range(4):
        t, p = truth == c, pred == c
        assert scores[c] == pytest.approx((t & p).sum() / (t | p).sum(), abs=1e-15)


def test_absent_class_is_nan_and_unlabelled_is_skipped() -> None:
    truth = np.array([[-1, 0], [1, 1]])
    pred = np.array([[0, 0], [1, 1]])
    scores = vt.segment.iou(pred, truth, classes=[0, 1, 2])
    assert math.isnan(scores[2])
    assert scores[1] == 1.0
    assert scores[0] == 0.5  # the -1 voxel predicted 0 still counts against class 0
    assert set(vt.segment.iou(pred, truth)) == {0, 1}


def test_labels_outside_the_scored_classes_still_count() -> None:
    truth = np.array([1, 1, 1, 1])
    pred = np.array([1, 1, 5, 5])
    assert vt.segment.iou(pred, truth, classes=[1]) == {1: 0.5}


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="same shape"):
        vt.segment.iou(np.zeros(3, int), np.zeros(4, int))
    with pytest.raises(TypeError, match="integer labels"):
        vt.segment.iou(np.zeros(3), np.zeros(3, int))
    with pytest.raises(ValueError, match="non-negative"):
        vt.segment.iou(np.zeros(3, int), np.zeros(3, int), classes=[-1])
