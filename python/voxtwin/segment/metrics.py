"""Intersection over union per class: the validation metric of seed 000's segmentation rounds."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["iou"]


def _labels(name: str, value: object) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy array of integer labels, got {name} of type {type(value).__name__}")
    if value.dtype.kind not in "iub":
        raise TypeError(f"`{name}` must hold integer labels, got {name}.dtype={value.dtype}")
    return value


def _counts(labels: np.ndarray, n: int) -> np.ndarray:
    """Voxels per label 0..n-1 (negative labels and labels >= n are not counted)."""
    flat = labels.ravel()
    flat = flat[(flat >= 0) & (flat < n)] if flat.dtype.kind != "b" else flat
    return np.bincount(flat.astype(np.int64, copy=False), minlength=n)[:n]


def iou(pred: np.ndarray, truth: np.ndarray, classes: Iterable[int] | None = None) -> dict[int, float]:
    """Intersection over union |P ∩ T| / |P ∪ T| of each class.

    Args:
        pred: predicted labels (any integer dtype), same shape as ``truth``.
        truth: reference labels.
        classes: the classes to score; default every label present in ``truth`` or ``pred``
            (negative labels, such as -1 = unlabelled, are skipped).

    Returns:
        ``{class: IoU}``; NaN for a class absent from both volumes (its IoU is undefined).
    """
    pred, truth = _labels("pred", pred), _labels("truth", truth)
    if pred.shape != truth.shape:
        raise ValueError(f"`pred` and `truth` must have the same shape, got pred.shape={pred.shape}, "
                         f"truth.shape={truth.shape}")
    if classes is None:
        present = np.union1d(np.unique(truth), np.unique(pred))
        wanted = [int(c) for c in present if c >= 0]
    else:
        wanted = [int(c) for c in classes]
        if any(c < 0 for c in wanted):
            raise ValueError(f"`classes` must be non-negative labels, got classes={wanted}")
    n = max(wanted, default=-1) + 1
    if n == 0:
        return {}
    in_truth = _counts(truth, n)
    in_pred = _counts(pred, n)
    both = _counts(truth[truth == pred], n)
    out: dict[int, float] = {}
    for c in wanted:
        union = in_truth[c] + in_pred[c] - both[c]
        out[c] = float(both[c] / union) if union else float("nan")
    return out
