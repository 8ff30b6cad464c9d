"""Brush strokes placed automatically where the grey values leave no doubt.

Seed 000 has a person brush a few objects per phase. Where no person is at hand (a batch run,
the pipeline's ``annotations = "auto"``), strokes go only into *confident* regions of the
smoothed image (the raw histogram hides a small phase such as 2 % pores under the noise of the
large one, and its thresholds then cut into the matrix): multi-Otsu classes, voxels beyond ``confidence`` of the way from a class boundary to the class's median, and
of those only the ones whose six neighbours agree (one voxel clear of any other region, since
partial volumes at an interface blur across about one voxel). The U-Net decides the voxels at
the phase boundaries from what it learnt there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from .. import _validate
from ._checks import grey_image
from .annotations import brush_annotations
from .otsu import default_phases, otsu_thresholds

UNKNOWN = 255  # pseudo-label of voxels too close to a class boundary to brush

__all__ = ["confident_labels", "confident_annotations", "grey_fractions", "class_boundaries"]


def _smoothed(image: np.ndarray, smooth: float) -> np.ndarray:
    return ndimage.gaussian_filter(image.astype(np.float32), smooth) if smooth > 0 else image.astype(np.float32)


def _phase_ids(classes: int, phases: Sequence[int] | None) -> tuple[int, ...]:
    phase_ids = tuple(phases) if phases is not None else default_phases(classes)
    if phase_ids is None or len(phase_ids) != classes:
        raise ValueError(f"`phases` must name {classes} phases darkest first, got phases={phases!r}")
    return phase_ids


EXTREME_PERCENTILE = 10.0
"""A darkest or brightest class's own grey level: this percentile from its far end (of the smoothed image)."""


def class_boundaries(values: np.ndarray, classes: int) -> list[float]:
    """Grey values (of the smoothed image ``values``) that separate the ``classes`` phases, ascending.

    Two classes: the Otsu threshold. Three or more: the midpoint between adjacent class levels, where
    an inner class's level is its median and the darkest and brightest classes' levels lie
    ``EXTREME_PERCENTILE`` % from their far ends. A blurred interface sits near the midpoint of the
    levels on its two sides; Otsu's thresholds sit inside the small classes instead (on the built-in
    example the void threshold lay 9 grey values too high and the fibre one 8 too low, costing 0.17 and
    0.15 of IoU when thresholding).
    """
    cuts = [float(t) for t in otsu_thresholds(values, classes=classes)]
    if classes < 3:
        return cuts
    bounds = [-np.inf, *cuts, np.inf]
    levels = []
    for k in range(classes):
        members = values[(values > bounds[k]) & (values <= bounds[k + 1])]
        if members.size == 0:
            return cuts
        q = EXTREME_PERCENTILE if k == 0 else (100.0 - EXTREME_PERCENTILE if k == classes - 1 else 50.0)
        levels.append(float(np.percentile(members, q)))
    return [0.5 * (a + b) for a, b in zip(levels[:-1], levels[1:])]


def grey_fractions(image: np.ndarray, classes: int = 3, *, phases: Sequence[int] | None = None,
                   smooth: float = 1.0) -> dict[int, float]:
    """Volume fraction of each phase read from the grey values alone (the smoothed image split at
    :func:`class_boundaries`): a rough check on a trained segmentation, not a segmentation."""
    image = grey_image(image, (3,))
    phase_ids = _phase_ids(_validate.integer("classes", classes, minimum=2), phases)
    values = _smoothed(image, _validate.non_negative("smooth", smooth, "voxels"))
    cuts = np.asarray(class_boundaries(values, classes), dtype=np.float32)
    counts = np.bincount(np.searchsorted(cuts, values.ravel(), side="left"), minlength=classes)
    return {int(p): float(c) / values.size for p, c in zip(phase_ids, counts)}


def confident_labels(image: np.ndarray, classes: int = 3, *, phases: Sequence[int] | None = None,
                     confidence: float = 0.3, smooth: float = 1.0) -> np.ndarray:
    """uint8 phase labels where a grey value is clearly inside one class, 255 elsewhere.

    ``phases`` names the classes darkest first (default as :func:`~voxtwin.segment.otsu`);
    ``confidence`` in (0, 1) is the share of the way from a class boundary (a multi-Otsu threshold
    of the smoothed image) to the class's median grey value that a voxel must be beyond; ``smooth``
    the Gaussian sigma (voxels) applied first. A confident voxel's six neighbours are confident
    for the same class too.
    """
    image = grey_image(image, (3,))
    classes = _validate.integer("classes", classes, minimum=2)
    confidence = _validate.fraction("confidence", confidence)
    phase_ids = _phase_ids(classes, phases)
    values = _smoothed(image, _validate.non_negative("smooth", smooth, "voxels"))
    # Strokes need right cores, not exact boundaries: the Otsu classes of the smoothed image give the
    # small classes more confident voxels (on the built-in example the U-Net trained on them reached
    # void IoU 0.63 against 0.0 with cores inside `class_boundaries`, whose void cores are few).
    bounds = [-np.inf, *(float(t) for t in otsu_thresholds(values, classes=classes)), np.inf]
    out = np.full(image.shape, UNKNOWN, dtype=np.uint8)
    for k, phase in enumerate(phase_ids):
        lo, hi = bounds[k], bounds[k + 1]
        members = values[(values > lo) & (values <= hi)]
        if members.size == 0:
            continue
        median = float(np.median(members))
        low = lo + confidence * (median - lo) if np.isfinite(lo) else -np.inf
        high = hi - confidence * (hi - median) if np.isfinite(hi) else np.inf
        out[ndimage.binary_erosion((values >= low) & (values <= high), border_value=1)] = phase
    return out


def confident_annotations(image: np.ndarray, classes: int = 3, *, phases: Sequence[int] | None = None,
                          strokes: int | dict[int, int] = 20, confidence: float = 0.3, smooth: float = 1.0,
                          seed: int = 0, **brush: Any) -> np.ndarray:
    """int8 annotations (-1 unlabelled): brush strokes of every phase, inside confident regions only.

    ``strokes``: objects to brush per phase (an int for all, or ``{phase: n}``); other keywords
    go to :func:`~voxtwin.segment.brush_annotations` (brush size, stroke length, planes).
    """
    pseudo = confident_labels(image, classes, phases=phases, confidence=confidence, smooth=smooth)
    present = [int(p) for p in np.unique(pseudo) if p != UNKNOWN]
    if isinstance(strokes, dict):
        objects = {int(k): _validate.integer(f"strokes[{k}]", v, minimum=0) for k, v in strokes.items()}
    else:
        n = _validate.integer("strokes", strokes, minimum=1)
        objects = {p: n for p in present}
    return brush_annotations(pseudo, objects={p: n for p, n in objects.items() if p in present}, seed=seed, **brush)
