"""Step 2 of the pipeline: segment a grey-value CT volume into phases (0 matrix, 1 fibre, 2 void).

- :func:`otsu` — multi-Otsu thresholds (scikit-image), the classical baseline;
- :class:`UNet3D`, :class:`UNet2D` — U-Nets (torch) trained on a few brush annotations
  (-1 = unlabelled), as seed 000's Geometry-Find AI segmentation; sliding-window prediction;
  ``save``/``load``, and :func:`load_model` for a file of either kind;
- :func:`iou` — intersection over union per class;
- :func:`brush_annotations` — simulated brush strokes from a known truth; :func:`confident_annotations`
  — strokes placed automatically where the grey values leave no doubt; :func:`rounds` —
  annotate → train → segment rounds;
- :func:`synthetic_ct` — a forward model turning phase labels into a realistic grey volume.

Importing this module does not import torch; ``UNet3D``, ``UNet2D`` and ``load_model`` do, on first use.
"""

from __future__ import annotations

from typing import Any

from .annotations import DEFAULT_OBJECTS, brush_annotations
from .classes import FIBRE, MATRIX, PHASE_NAMES, UNLABELLED, VOID
from .confident import confident_annotations, confident_labels, grey_fractions
from .metrics import iou
from .otsu import otsu, otsu_thresholds
from .rounds import RoundsResult, rounds
from .synthetic import DEFAULT_GREY_LEVELS, synthetic_ct

__all__ = [
    "otsu",
    "otsu_thresholds",
    "UNet3D",
    "UNet2D",
    "load_model",
    "iou",
    "brush_annotations",
    "confident_annotations",
    "confident_labels",
    "grey_fractions",
    "rounds",
    "RoundsResult",
    "synthetic_ct",
    "DEFAULT_GREY_LEVELS",
    "DEFAULT_OBJECTS",
    "MATRIX",
    "FIBRE",
    "VOID",
    "PHASE_NAMES",
    "UNLABELLED",
]

_TORCH_NAMES = ("UNet3D", "UNet2D", "load_model")


def __getattr__(name: str) -> Any:
    """Import the torch-based segmenters on first use, with a clear message when torch is missing."""
    if name in _TORCH_NAMES:
        try:
            from . import unet
        except ImportError as exc:
            if getattr(exc, "name", None) != "torch" and "torch" not in str(exc):
                raise
            raise ImportError(
                f"voxtwin.segment.{name} needs torch, which is not installed: "
                "pip install torch==2.13.0 (CPU build; or install voxtwin's `ai` extra after it)") from exc
        return getattr(unet, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
