"""Brush strokes placed automatically where the grey values leave no doubt.

Seed 000 has a person brush a few objects per phase. Where no person is at hand (a batch run,
the pipeline's ``annotations = "auto"``), strokes go only into *confident* regions: voxels whose
smoothed grey value lies well inside one multi-Otsu class, beyond the midpoint between a class
boundary and the median grey value of the class. The U-Net then decides the uncertain voxels at
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

__all__ = ["confident_labels", "confident_annotations"]


def confident_labels(image: np.ndarray, classes: int = 3, *, phases: Sequence[int] | None = None,
                     confidence: float = 0.5, smooth: float = 1.0) -> np.ndarray:
    """uint8 phase labels where a grey value is clearly inside one multi-Otsu class, 255 elsewhere.

    ``phases`` names the classes darkest first (default as :func:`~voxtwin.segment.otsu`);
    ``confidence`` in (0, 1) is the share of the way from a class boundary to the class's median
    grey value that a voxel must be beyond; ``smooth`` the Gaussian sigma (voxels) applied first.
    """
    image = grey_image(image, (3,))
    classes = _validate.integer("classes", classes, minimum=2)
    confidence = _validate.fraction("confidence", confidence)
    smooth = _validate.non_negative("smooth", smooth, "voxels")
    phase_ids = tuple(phases) if phases is not None else default_phases(classes)
    if phase_ids is None or len(phase_ids) != classes:
        raise ValueError(f"`phases` must name {classes} phases darkest first, got phases={phases!r}")
    thresholds = [float(t) for t in otsu_thresholds(image, classes=classes)]
    values = ndimage.gaussian_filter(image.astype(np.float32), smooth) if smooth > 0 else image.astype(np.float32)
    bounds = [-np.inf, *thresholds, np.inf]
    out = np.full(image.shape, UNKNOWN, dtype=np.uint8)
    for k, phase in enumerate(phase_ids):
        lo, hi = bounds[k], bounds[k + 1]
        members = image[(image > lo) & (image <= hi)]
        if members.size == 0:
            continue
        median = float(np.median(members))
        low = lo + confidence * (median - lo) if np.isfinite(lo) else -np.inf
        high = hi - confidence * (hi - median) if np.isfinite(hi) else np.inf
        out[(values >= low) & (values <= high)] = phase
    return out


def confident_annotations(image: np.ndarray, classes: int = 3, *, phases: Sequence[int] | None = None,
                          strokes: int | dict[int, int] = 20, confidence: float = 0.5, smooth: float = 1.0,
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
