"""Annotate → train → segment rounds (seed 000: five rounds of brushing where the model is wrong).

A simulated person (``brush_annotations`` on the known truth) paints a first set of strokes; each
later round adds strokes only where the last segmentation was wrong, then training continues from
the current weights. The IoU per class after each round is the acceptance record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .._validate import integer
from .._validate import seed as check_seed
from .annotations import brush_annotations
from .metrics import iou

__all__ = ["rounds", "RoundsResult", "Segmenter"]


class Segmenter(Protocol):
    """What ``rounds`` needs of a model (``UNet3D`` and ``UNet2D`` qualify)."""

    def fit(self, image: np.ndarray, annotations: np.ndarray, *, warm_start: bool = ...,
            progress: bool = ...) -> Any: ...

    def predict(self, image: np.ndarray, *, progress: bool = ...) -> np.ndarray: ...


@dataclass
class RoundsResult:
    """What the rounds produced.

    Attributes:
        history: one dict per round: ``round`` (1-based), ``iou`` ({class: IoU}),
            ``annotated_fraction`` (share of voxels annotated so far) and ``new_voxels`` (painted this round).
        annotations: all annotations (int8, -1 = unlabelled) after the last round.
        prediction: the segmentation after the last round (uint8 labels).
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    annotations: np.ndarray | None = None
    prediction: np.ndarray | None = None

    def iou(self, label: int) -> list[float]:
        """IoU of ``label`` after each round."""
        return [h["iou"].get(label, float("nan")) for h in self.history]


def rounds(model: Segmenter, image: np.ndarray, truth: np.ndarray, n_rounds: int = 5, *,
           objects: Mapping[int, int] | None = None, correction_objects: Mapping[int, int] | None = None,
           target_iou: float | None = None, seed: int = 0,
           progress: bool = True, **brush: Any) -> RoundsResult:
    """Run annotate → train → segment rounds with a simulated person who knows ``truth``.

    Args:
        model: an untrained or trained segmenter (``UNet3D``/``UNet2D``).
        image: grey-value volume [x, y, z].
        truth: true phase labels of ``image`` (what the simulated person sees).
        n_rounds: the most rounds to run (seed 000: five).
        objects: strokes per class in the first round (default 20 fibre, 10 matrix, 20 void, as
            seed 000 paints in every round).
        correction_objects: strokes per class in the later rounds, where the model was wrong
            (default: ``objects``).
        target_iou: stop early once every class in ``truth`` reaches this IoU.
        seed: seeds the strokes of each round (round r uses seed + r).
        progress: progress bars of training and prediction.
        **brush: passed to :func:`brush_annotations` (``brush_size``, ``stroke_length``, ``planes``, ``margin``).

    Returns:
        A :class:`RoundsResult` with the IoU history, the annotations and the last prediction.
    """
    n_rounds = integer("n_rounds", n_rounds, minimum=1)
    seed = check_seed(seed)
    if not isinstance(truth, np.ndarray) or not isinstance(image, np.ndarray) or truth.shape != image.shape:
        raise ValueError(f"`truth` must be an array of the shape of `image` {getattr(image, 'shape', None)}, got "
                         f"truth.shape={getattr(truth, 'shape', None)}")
    classes = [int(c) for c in np.unique(truth)]
    result = RoundsResult()
    annotations: np.ndarray | None = None
    prediction: np.ndarray | None = None
    for r in range(n_rounds):
        focus = None if prediction is None else prediction != truth
        if focus is not None and not focus.any():
            break  # nothing left to correct
        before = 0 if annotations is None else int(np.count_nonzero(annotations >= 0))
        per_class = objects if r == 0 or correction_objects is None else correction_objects
        annotations = brush_annotations(truth, objects=per_class, focus=focus, base=annotations, seed=seed + r,
                                        **brush)
        model.fit(image, annotations, warm_start=r > 0, progress=progress)
        prediction = model.predict(image, progress=progress)
        scores = iou(prediction, truth, classes=classes)
        painted = int(np.count_nonzero(annotations >= 0))
        result.history.append({"round": r + 1, "iou": scores, "annotated_fraction": painted / truth.size,
                               "new_voxels": painted - before})
        if target_iou is not None and all(v >= target_iou for v in scores.values()):
            break
    result.annotations, result.prediction = annotations, prediction
    return result
