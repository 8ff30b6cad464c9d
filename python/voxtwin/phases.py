"""Volume fractions of the phases of a labelled volume (C++/OpenMP on the CPU, CUDA on a GPU)."""

from __future__ import annotations

import numpy as np

from . import _core
from ._backend import Device, cuda_module, resolve_device

__all__ = ["phase_counts", "phase_fractions"]


def phase_counts(labels: np.ndarray, device: Device = "auto") -> dict[int, int]:
    """Number of voxels of each label present in ``labels`` (uint8, 3D, C-contiguous).

    Exact integer counts; the CPU and CUDA backends agree exactly.
    """
    backend = cuda_module() if resolve_device(device) == "cuda" else _core
    counts = np.asarray(backend.phase_counts(labels), dtype=np.int64)
    present = np.flatnonzero(counts)
    return {int(k): int(counts[k]) for k in present}


def phase_fractions(labels: np.ndarray, device: Device = "auto") -> dict[int, float]:
    """Volume fraction of each label present in ``labels`` (uint8 phases, indexed [x, y, z]).

    Returns ``{label: fraction}``; the fractions sum to 1.
    """
    counts = phase_counts(labels, device)
    total = sum(counts.values())
    return {k: v / total for k, v in counts.items()}
