"""Multi-Otsu thresholding: the classical baseline the U-Net has to beat."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from skimage.filters import threshold_multiotsu

from .._validate import integer
from ._checks import grey_image
from .classes import FIBRE, MATRIX, VOID

__all__ = ["otsu", "otsu_thresholds", "default_phases"]


def default_phases(classes: int) -> tuple[int, ...] | None:
    """voxtwin phase of each grey class, darkest first: 3 → (void, matrix, fibre); 2 → (matrix, fibre)."""
    return {3: (VOID, MATRIX, FIBRE), 2: (MATRIX, FIBRE)}.get(classes)


def otsu_thresholds(image: np.ndarray, classes: int = 3, nbins: int = 256) -> np.ndarray:
    """The ``classes - 1`` multi-Otsu thresholds of ``image`` (ascending, in grey values)."""
    image = grey_image(image)
    classes = integer("classes", classes, minimum=2)
    nbins = integer("nbins", nbins, minimum=classes)
    if np.unique(image[:: max(1, image.size // 100_000)]).size < classes and np.unique(image).size < classes:
        raise ValueError(f"`image` has fewer distinct grey values than classes={classes}")
    # a flat view: skimage would take a volume whose last axis has 3 or 4 voxels for an RGB image
    return np.asarray(threshold_multiotsu(image.ravel(), classes=classes, nbins=nbins), dtype=np.float64)


def otsu(image: np.ndarray, classes: int = 3, *, phases: Sequence[int] | None = None,
         nbins: int = 256) -> np.ndarray:
    """Segment a grey-value volume by multi-Otsu thresholds (scikit-image) into phase labels.

    The thresholds split the grey histogram into ``classes`` classes, numbered 0 (darkest) to
    ``classes - 1`` (brightest); a voxel brighter than a threshold goes above it (as with
    scikit-image's ``threshold_otsu``, whose threshold is the last grey value of the darker class). ``phases``
    then names the voxtwin phase of each class, darkest first:

    - ``classes=3`` (default): ``phases=(2, 0, 1)``, darkest = void, middle = matrix, brightest = fibre;
    - ``classes=2``: ``phases=(0, 1)``, matrix and fibre; pass ``phases=(2, 1)`` for fibres in air
      (a dry preform), or any other pair;
    - other class counts: the class numbers themselves unless ``phases`` is given.

    Args:
        image: 2D or 3D grey values (integers or finite floats), indexed [x, y, z].
        classes: number of grey classes (>= 2).
        phases: the uint8 phase label of each class, darkest first (``len(phases) == classes``).
        nbins: histogram bins for float images (integer images use their values).

    Returns:
        uint8 labels of the same shape as ``image`` (0 matrix, 1 fibre, 2 void by default).
    """
    thresholds = otsu_thresholds(image, classes, nbins)
    if phases is None:
        phases = default_phases(classes) or tuple(range(classes))
    lut = np.asarray(phases)
    if lut.shape != (classes,) or lut.dtype.kind not in "iu" or lut.min() < 0 or lut.max() > 255:
        raise ValueError(f"`phases` must give one label in 0..255 per class ({classes}), got phases={phases!r}")
    ranks = np.zeros(image.shape, dtype=np.uint8)
    for t in thresholds:  # one pass per threshold, not per voxel
        ranks += image > t
    return lut.astype(np.uint8)[ranks]
