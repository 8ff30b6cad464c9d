"""The built-in example scan: a synthetic micro-CT of a generated short-fibre composite.

A non-periodic block of fibres (cut by its faces, as in a scan) is generated from a known spec,
pores are carved into its matrix, and the CT forward model turns the phases into grey values
(blur, noise). The true phases are kept, so the segmentation can be scored.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import ndimage

from ..distributions import Normal
from ..generate import FibreSpec, generate_fibres
from ..orientation import Aligned
from ..segment import MATRIX, VOID, synthetic_ct

PORE_RADIUS_VOXELS = 3.0  # typical pore radius; the number of pores follows from the fraction


def builtin_spec(b: dict[str, Any]) -> FibreSpec:
    """The fibre spec of the built-in example ([builtin] settings)."""
    theta = math.radians(b["angle"])
    d, L = b["diameter"], b["length"]
    return FibreSpec(
        volume_fraction=b["volume_fraction"],
        diameter=Normal(d, b["diameter_std"], low=0.5 * d) if b["diameter_std"] > 0 else d,
        length=Normal(L, b["length_std"], low=max(d, 0.3 * L)) if b["length_std"] > 0 else L,
        orientation=Aligned((math.cos(theta), math.sin(theta), 0.0), spread_deg=b["spread_deg"]),
    )


def carve_pores(labels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Pores (VOID) of about PORE_RADIUS_VOXELS grown from random matrix voxels until `fraction` of the volume."""
    out = labels.copy()
    if fraction <= 0:
        return out
    matrix = np.flatnonzero(labels.ravel() == MATRIX)
    n = max(1, round(fraction * labels.size / (4.0 / 3.0 * math.pi * PORE_RADIUS_VOXELS**3)))
    centres = np.zeros(labels.shape, dtype=bool)
    centres.ravel()[rng.choice(matrix, size=min(n, matrix.size), replace=False)] = True
    distance = ndimage.distance_transform_edt(~centres)
    in_matrix = labels == MATRIX
    lo, hi = 0.0, 4.0 * PORE_RADIUS_VOXELS  # bisection on the radius: one distance map, exact fraction
    for _ in range(30):
        r = 0.5 * (lo + hi)
        if np.count_nonzero((distance <= r) & in_matrix) < fraction * labels.size:
            lo = r
        else:
            hi = r
    out[(distance <= hi) & in_matrix] = VOID
    return out


def builtin_scan(b: dict[str, Any], *, device: str = "auto") -> tuple[np.ndarray, np.ndarray, float]:
    """(grey uint8 volume, true phase labels, voxel size in µm) of the built-in example."""
    shape = tuple(b["shape"])
    twin = generate_fibres(builtin_spec(b), shape, b["voxel_size"], b["seed"], periodic=False, device=device)
    truth = carve_pores(twin.labels, b["void_fraction"], np.random.default_rng(b["seed"]))
    grey = synthetic_ct(truth, noise=15.0, blur=1.0, seed=b["seed"])
    return grey, truth, float(b["voxel_size"])
