"""Calibration of excursion-set models from 2D images of orthogonal planes (seed 001).

Moments method: the volume fraction is the phase's pixel fraction of all images; per axis, the
S2 profiles of the images of every plane containing that axis are averaged and the correlation
length fitted by least squares to the closed-form S2 of the model (:mod:`.excursion`), with the
lengths tied as the ``symmetry`` says. For chi^2 fields S2 hardly tells k apart (nor chi^2 from
Gaussian); with ``k="auto"`` k is chosen so that slices of a calibrated sample match the images'
2D Euler characteristic density, the topology S2 is blind to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import optimize

from .. import _validate
from ..metrics import topology, two_point
from .models import FIELDS, ExcursionModel

__all__ = ["calibrate", "SYMMETRIES", "observed_s2", "plane_slices", "fit_group_lengths", "images_of"]

SYMMETRIES = ("orthotropic", "isotropic", "transverse_x", "transverse_y", "transverse_z")
PLANES = ("xy", "xz", "yz")
K_CANDIDATES = range(1, 7)


def images_of(slices: object) -> dict[str, list[np.ndarray]]:
    if not isinstance(slices, Mapping) or not slices:
        raise TypeError("`slices` must be a dict of 2D images keyed by plane ('xy', 'xz', 'yz'), "
                        f"got {type(slices).__name__}")
    out: dict[str, list[np.ndarray]] = {}
    for key, value in slices.items():
        plane = _validate.choice("slices key", key, PLANES)
        if isinstance(value, np.ndarray) and value.ndim == 2:
            imgs = [value]
        elif isinstance(value, np.ndarray) and value.ndim == 3:
            imgs = list(value)
        elif isinstance(value, Sequence) and value and all(isinstance(v, np.ndarray) and v.ndim == 2 for v in value):
            imgs = list(value)
        else:
            raise ValueError(f"`slices[{key!r}]` must be a 2D image [{key[0]}, {key[1]}], a list of them or a stack "
                             "(n, a, b)")
        out[plane] = imgs
    return out


def observed_s2(images: Mapping[str, list[np.ndarray]], phase: int, voxel_size: float,
                periodic: bool = False) -> tuple[float, dict[str, np.ndarray]]:
    """Volume fraction and the S2 per axis averaged over every image of every plane containing it.

    Each image's S2 is taken about its own fraction (S2_i - phi_i^2, the autocovariance) before
    averaging and phi^2 of all images is added back: the slice-to-slice scatter of the fraction
    otherwise shifts the whole profile and biases the fitted lengths.
    """
    fractions, sums, counts = [], {}, {}
    for plane, imgs in images.items():
        for img in imgs:
            p = two_point(img, phase, voxel_size, periodic, radial=False, plane=plane)
            phi_i = float(np.mean(img == phase))
            fractions.append(phi_i)
            for a, v in p.axes.items():
                v = v - phi_i**2
                if a in sums:
                    n = min(sums[a].size, v.size)
                    sums[a] = sums[a][:n] + v[:n]
                else:
                    sums[a] = v.copy()
                counts[a] = counts.get(a, 0) + 1
    phi = float(np.mean(fractions))
    return phi, {a: sums[a] / counts[a] + phi**2 for a in sums}


def plane_slices(vol: np.ndarray, planes: Sequence[str], count: int = 8) -> dict[str, list[np.ndarray]]:
    """``count`` evenly spaced 2D sections of ``vol`` per plane ("xy" sections are ``vol[:, :, k]``, ...)."""
    take = {"xy": lambda k: vol[:, :, k], "xz": lambda k: vol[:, k, :], "yz": lambda k: vol[k, :, :]}
    axis = {"xy": 2, "xz": 1, "yz": 0}
    out = {}
    for p in planes:
        n = vol.shape[axis[p]]
        out[p] = [take[p](k) for k in sorted({(i * n) // count for i in range(count)})]
    return out


def _groups(symmetry: str) -> list[str]:
    if symmetry == "orthotropic":
        return ["x", "y", "z"]
    if symmetry == "isotropic":
        return ["xyz"]
    axis = symmetry[-1]
    return [axis, "".join(a for a in "xyz" if a != axis)]


def fit_group_lengths(axis_loss: Any, seen_axes: Sequence[str], longest: int, voxel_size: float,
                      symmetry: str) -> dict[str, float]:
    """Correlation length (µm) per axis: per group of axes the ``symmetry`` ties, the length that
    minimises the sum of ``axis_loss(axis, length)`` over the group's observed axes (log grid, then
    a bounded refinement); ``longest``: the longest observed profile (voxels) bounds the search."""
    lengths: dict[str, float] = {}
    for group in _groups(symmetry):
        seen = [a for a in group if a in seen_axes]
        if not seen:
            raise ValueError(f"no image shows axis {group[0]!r}: add a plane containing it or choose a `symmetry` "
                             f"that ties it to an observed axis (one of {', '.join(SYMMETRIES)})")

        def loss(log_l: float, seen: list[str] = seen) -> float:
            return float(sum(axis_loss(a, float(np.exp(log_l))) for a in seen))

        lo, hi = np.log(0.05 * voxel_size), np.log(max(longest, 2) * voxel_size)
        grid = np.linspace(lo, hi, 60)
        best = grid[int(np.argmin([loss(g) for g in grid]))]
        step = grid[1] - grid[0]
        res = optimize.minimize_scalar(loss, bounds=(best - step, best + step), method="bounded",
                                       options={"xatol": 1e-6})
        for a in group:
            lengths[a] = float(np.exp(res.x))
    return lengths


def _fit_lengths(model_s2: Any, s2: dict[str, np.ndarray], voxel_size: float, symmetry: str) -> dict[str, float]:
    def axis_loss(a: str, length: float) -> float:
        r = np.arange(1, s2[a].size) * voxel_size
        return float(((model_s2(r, length) - s2[a][1:]) ** 2).sum())

    return fit_group_lengths(axis_loss, list(s2), max(v.size for v in s2.values()), voxel_size, symmetry)


def _euler_density_2d(images: Mapping[str, list[np.ndarray]], phase: int, voxel_size: float) -> float:
    return float(np.mean([topology(img, phase, voxel_size, plane=p).euler_density
                          for p, imgs in images.items() for img in imgs]))


def calibrate(slices: Mapping[str, np.ndarray | Sequence[np.ndarray]], voxel_size: float, field: str = "gaussian", *,
              symmetry: str = "orthotropic", method: str = "moments", phase: int = 1, k: int | str = "auto",
              seed: int = 0, periodic: bool = False, **adversarial: Any) -> ExcursionModel:
    """Fit an excursion-set model to 2D images of orthogonal planes.

    Parameters
    ----------
    slices:
        ``{"xy": images, "xz": images, "yz": images}`` (any two or three planes, or one plane with a
        ``symmetry`` that ties the unseen axis); an image of plane "xz" is indexed ``[x, z]``; each
        value is one 2D uint8 image, a list of them or a stack ``(n, a, b)``.
    voxel_size:
        µm per pixel of every image.
    field:
        "gaussian" or "chi2" (phase = {chi^2_k <= t}).
    symmetry:
        "orthotropic" (three lengths), "isotropic" (one), "transverse_x|y|z" (cylindrical symmetry
        about that axis: the two other lengths equal).
    method:
        "moments" (closed-form S2 fit) or "adversarial" (moments, then refined against a small 2D
        torch discriminator on top of the S2 loss; the ``ai`` extra; keyword options go to
        :func:`voxtwin.stochastic.adversarial.refine`).
    phase:
        Label of the modelled phase in the images.
    k:
        chi^2 degrees of freedom, or "auto" (chosen by the images' 2D Euler density).
    seed:
        Seed of the samples drawn during calibration (k="auto", adversarial).
    periodic:
        Whether the images wrap around (False for micrographs).

    Returns
    -------
    ExcursionModel
        ``.volume_fraction``, ``.correlation_lengths`` (µm, x/y/z), ``.k``, ``.threshold``,
        ``.sample(shape, voxel_size, seed)``; ``.info`` holds the observed S2 and the fit loss.
    """
    images = images_of(slices)
    size = _validate.positive("voxel_size", voxel_size, "µm")
    _validate.choice("field", field, FIELDS)
    _validate.choice("symmetry", symmetry, SYMMETRIES)
    _validate.choice("method", method, ("moments", "adversarial"))
    sd = _validate.seed(seed)
    if field == "chi2" and k != "auto":
        _validate.integer("k", k, minimum=1)
    elif field == "gaussian" and k not in ("auto", 1):
        raise ValueError(f"`k` applies to field='chi2' only, got k={k!r}")
    phi, s2 = observed_s2(images, _validate.integer("phase", phase, minimum=0), size, periodic)
    if not 0 < phi < 1:
        raise ValueError(f"the images must show both the phase {phase} and its complement, got volume fraction {phi}")
    info: dict[str, Any] = {"method": method, "symmetry": symmetry, "observed_s2": {a: v.tolist() for a, v in s2.items()}}

    def fit(kk: int) -> ExcursionModel:
        def model_s2(r: np.ndarray, length: float) -> np.ndarray:
            trial = ExcursionModel(field, phi, (length, length, length), k=kk)  # type: ignore[arg-type]
            return trial.s2(r, "x")

        lengths = _fit_lengths(model_s2, s2, size, symmetry)
        return ExcursionModel(field, phi, (lengths["x"], lengths["y"], lengths["z"]), k=kk,  # type: ignore[arg-type]
                              phase=phase, info=dict(info))

    if field == "gaussian":
        model = fit(1)
    elif k != "auto":
        model = fit(int(k))
    else:
        target = _euler_density_2d(images, phase, size)
        side = max(img.shape[0] for imgs in images.values() for img in imgs)
        side = int(min(max(side, 32), 96))
        trials = []
        for kk in K_CANDIDATES:
            m = fit(kk)
            vol = m.sample((side, side, side), size, sd)
            trials.append((abs(_euler_density_2d(plane_slices(vol, list(images)), phase, size) - target), kk, m))
        _, _, model = min(trials, key=lambda t: (t[0], t[1]))
        model.info["k_selection_euler_2d"] = target
    if method == "adversarial":
        from .adversarial import refine

        model = refine(model, images, size, seed=sd, **adversarial)
    return model
