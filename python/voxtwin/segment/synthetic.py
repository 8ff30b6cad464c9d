"""A forward model of X-ray CT: phase labels in, a realistic grey-value volume out (for tests and demos)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import ndimage

from .._validate import choice, integer, non_negative, real
from .._validate import seed as check_seed
from .classes import FIBRE, MATRIX, VOID

__all__ = ["synthetic_ct", "DEFAULT_GREY_LEVELS"]

# Mean grey value of each phase (8-bit scale): dense fibres bright, polymer in between, air dark,
# as in an absorption-contrast scan of a fibre composite.
DEFAULT_GREY_LEVELS = {MATRIX: 100.0, FIBRE: 160.0, VOID: 30.0}
_AXES = {"x": 0, "y": 1, "z": 2}
_RING_WIDTH = 0.7  # voxels: a miscalibrated detector pixel smears over about one voxel of radius


def _radius(shape: tuple[int, ...], axis: int) -> tuple[np.ndarray, float]:
    """Distance of each voxel from the rotation axis (broadcastable), and the largest such distance."""
    plane = [n for i, n in enumerate(shape) if i != axis]
    a = np.arange(plane[0], dtype=np.float32) - (plane[0] - 1) / 2
    b = np.arange(plane[1], dtype=np.float32) - (plane[1] - 1) / 2
    r = np.sqrt(a[:, None] ** 2 + b[None, :] ** 2)
    r = np.expand_dims(r, axis)  # constant along the rotation axis
    return r, float(r.max()) or 1.0


def synthetic_ct(labels: np.ndarray, *, grey_levels: Mapping[int, float] | None = None, blur: float = 1.0,
                 noise: float = 15.0, noise_model: str = "gaussian", rings: float = 0.0, n_rings: int = 8,
                 beam_hardening: float = 0.0, axis: str = "z", dtype: object = np.uint8,
                 seed: int = 0) -> np.ndarray:
    """Simulate a reconstructed CT volume of a phase volume.

    The model, in order: each phase gets its mean grey level; a Gaussian point-spread function
    (``blur``, σ in voxels) mixes grey levels across interfaces (partial volumes); beam hardening
    darkens the centre of each slice (cupping: the grey value at distance r from the rotation axis
    is scaled by ``1 - beam_hardening * (1 - (r / r_max)²)``); ring artefacts add ``n_rings``
    concentric rings about the rotation axis (random radii, amplitudes ±``rings``, identical in
    every slice, as a miscalibrated detector pixel makes them); then noise: Gaussian with standard
    deviation ``noise`` or Poisson (photon counting) scaled so that the standard deviation is
    ``noise`` at the mean grey level; finally rounding and clipping to ``dtype``.

    Args:
        labels: integer phase volume [x, y, z] (0 matrix, 1 fibre, 2 void).
        grey_levels: mean grey value per label (default ``DEFAULT_GREY_LEVELS``, 8-bit scale);
            every label present must have one.
        blur: σ of the Gaussian point-spread function, voxels (0 = none).
        noise: noise standard deviation, grey values (0 = none).
        noise_model: ``"gaussian"`` or ``"poisson"``.
        rings: largest ring amplitude, grey values (0 = no rings).
        n_rings: number of rings.
        beam_hardening: relative darkening of the slice centre, in [0, 1).
        axis: rotation axis of the scan, ``"x"``, ``"y"`` or ``"z"``.
        dtype: ``uint8``, ``uint16`` (rounded, clipped) or ``float32``.
        seed: seeds the noise and the rings; same inputs and seed give identical volumes.

    Returns:
        The grey-value volume, same shape as ``labels``.
    """
    if not isinstance(labels, np.ndarray) or labels.dtype.kind not in "iub" or labels.ndim != 3:
        got = f"shape {labels.shape}, dtype {labels.dtype}" if isinstance(labels, np.ndarray) else type(labels).__name__
        raise TypeError(f"`labels` must be a 3D integer numpy array [x, y, z], got {got}")
    levels = dict(DEFAULT_GREY_LEVELS if grey_levels is None else grey_levels)
    blur = non_negative("blur", blur, "voxels")
    noise = non_negative("noise", noise, "grey values")
    noise_model = choice("noise_model", noise_model, ("gaussian", "poisson"))
    rings = non_negative("rings", rings, "grey values")
    n_rings = integer("n_rings", n_rings, minimum=0)
    beam_hardening = real("beam_hardening", beam_hardening)
    if not 0 <= beam_hardening < 1:
        raise ValueError(f"`beam_hardening` must be in [0, 1), got beam_hardening={beam_hardening!r}")
    ax = _AXES[choice("axis", axis, tuple(_AXES))]
    out_dtype = np.dtype(dtype)  # type: ignore[call-overload]
    if out_dtype not in (np.dtype(np.uint8), np.dtype(np.uint16), np.dtype(np.float32)):
        raise ValueError(f"`dtype` must be uint8, uint16 or float32, got dtype={dtype!r}")
    rng = np.random.default_rng(check_seed(seed))

    present = np.unique(labels)
    if present[0] < 0:
        raise ValueError(f"`labels` must be non-negative phase labels, got a minimum of {int(present[0])}")
    missing = [int(p) for p in present if int(p) not in levels]
    if missing:
        raise ValueError(f"`grey_levels` has no grey value for label(s) {missing}, got grey_levels={levels}")
    lut = np.zeros(int(present.max()) + 1, dtype=np.float32)
    for label, value in levels.items():
        if 0 <= int(label) < lut.size:
            lut[int(label)] = real(f"grey_levels[{label}]", value)
    grey = lut[labels]
    if blur > 0:
        grey = ndimage.gaussian_filter(grey, blur, mode="reflect", output=np.float32)
    if beam_hardening > 0 or (rings > 0 and n_rings > 0):
        r, r_max = _radius(labels.shape, ax)
        if beam_hardening > 0:
            grey *= 1.0 - beam_hardening * (1.0 - (r / r_max) ** 2)
        if rings > 0 and n_rings > 0:
            radii = rng.uniform(0.05, 1.0, n_rings).astype(np.float32) * r_max
            amplitudes = rng.uniform(-rings, rings, n_rings).astype(np.float32)
            for radius, amplitude in zip(radii, amplitudes):  # a few rings, each over all voxels at once
                grey += amplitude * np.exp(-0.5 * ((r - radius) / _RING_WIDTH) ** 2)
    if noise > 0:
        if noise_model == "gaussian":
            grey += noise * rng.standard_normal(grey.shape, dtype=np.float32)
        else:
            # counts ~ Poisson(k * grey) / k has variance grey / k: k makes std = noise at the mean level
            mean_level = float(np.mean(np.maximum(grey, 0)))
            k = mean_level / noise**2 if mean_level > 0 else 1.0
            grey = (rng.poisson(np.maximum(grey, 0) * k) / k).astype(np.float32)
    if out_dtype.kind == "u":
        info = np.iinfo(out_dtype)
        return np.clip(np.rint(grey), info.min, info.max).astype(out_dtype)
    return np.ascontiguousarray(grey, dtype=np.float32)
