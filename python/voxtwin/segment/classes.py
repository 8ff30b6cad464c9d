"""The classes a segmentation predicts: voxtwin's phase labels (DESIGN §3)."""

from __future__ import annotations

__all__ = ["MATRIX", "FIBRE", "VOID", "PHASE_NAMES", "UNLABELLED"]

MATRIX = 0
FIBRE = 1
VOID = 2
PHASE_NAMES = {MATRIX: "matrix", FIBRE: "fibre", VOID: "void"}
UNLABELLED = -1  # annotation value of a voxel nobody brushed
