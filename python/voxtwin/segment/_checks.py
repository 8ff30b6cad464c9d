"""Argument check shared by the segmenters: a grey-value image."""

from __future__ import annotations

import numpy as np

__all__ = ["grey_image"]


def grey_image(image: object, ndims: tuple[int, ...] = (2, 3)) -> np.ndarray:
    """A non-empty numpy array of integers or finite floats with one of ``ndims`` dimensions."""
    if not isinstance(image, np.ndarray):
        raise TypeError(f"`image` must be a numpy array, got image of type {type(image).__name__}")
    if image.ndim not in ndims or image.dtype.kind not in "uif" or image.size == 0:
        raise ValueError(f"`image` must be a non-empty {' or '.join(f'{d}D' for d in ndims)} grey-value array, "
                         f"got image.shape={image.shape}, image.dtype={image.dtype}")
    if image.dtype.kind == "f" and not np.all(np.isfinite(image)):
        raise ValueError("`image` must be finite, got image with NaN or inf values")
    return image
