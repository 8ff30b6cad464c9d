"""Calibration of three-phase Gaussian models from 2D images of orthogonal planes (seed 001).

Moments method, as for two phases (:mod:`.calibrate`): the fractions of the three labels are their
pixel fractions; per axis the S2 of every phase is averaged over the images of every plane that
contains the axis, and the correlation lengths are fitted by least squares to the closed forms of
:meth:`ThreePhaseModel.s2`, tied as the ``symmetry`` says.

- ``kind="two_thresholds"`` (one field, phases as bands): one length per axis group, fitted to
  the S2 of all three phases together.
- ``kind="two_fields"``: labels[2] is the excursion set of Z1 alone, so Z1's lengths come from its
  S2; Z2's lengths then from the S2 of labels[1] and labels[0], given Z1's.
- ``kind="auto"``: both, keeping the one with the smaller S2 misfit over all phases and axes (a
  band model keeps labels[0] and labels[2] apart, two fields let them touch: their S2 differ).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import _validate
from .calibrate import SYMMETRIES, fit_group_lengths, images_of, observed_s2
from .models import ThreePhaseModel

__all__ = ["calibrate_three_phase", "KINDS"]

KINDS = ("two_thresholds", "two_fields", "auto")


def _misfit(model: ThreePhaseModel, s2: list[dict[str, np.ndarray]], voxel_size: float,
            indices: Sequence[int] = (0, 1, 2), axes: Sequence[str] | None = None) -> float:
    total = 0.0
    for k in indices:
        for a, v in s2[k].items():
            if axes is not None and a not in axes:
                continue
            r = np.arange(1, v.size) * voxel_size
            total += float(((model.s2(r, a, k) - v[1:]) ** 2).sum())
    return total


def calibrate_three_phase(slices: Mapping[str, np.ndarray | Sequence[np.ndarray]], voxel_size: float,
                          kind: str = "auto", *, symmetry: str = "orthotropic",
                          labels: tuple[int, int, int] = (0, 1, 2), periodic: bool = False) -> ThreePhaseModel:
    """Fit a three-phase :class:`ThreePhaseModel` to 2D images of orthogonal planes.

    Parameters
    ----------
    slices:
        ``{"xy": images, "xz": images, "yz": images}`` as for :func:`calibrate` (uint8 label images).
    voxel_size:
        µm per pixel.
    kind:
        "two_thresholds" (one field, three bands), "two_fields" (two independent fields) or "auto".
    symmetry:
        "orthotropic", "isotropic", "transverse_x|y|z" (ties the lengths of both fields).
    labels:
        The three labels (labels[2] is the phase of the first field's upper excursion; for
        two_thresholds labels[1] is the middle band).
    periodic:
        Whether the images wrap around (False for micrographs).

    Returns
    -------
    ThreePhaseModel
        ``.fractions`` (labels[1], labels[2]), ``.correlation_lengths`` (µm, x/y/z; first field),
        ``.second_lengths`` (two_fields), ``.sample(shape, voxel_size, seed)``; ``.info`` holds the
        S2 misfit of each kind tried.
    """
    images = images_of(slices)
    size = _validate.positive("voxel_size", voxel_size, "µm")
    kind = _validate.choice("kind", kind, KINDS)
    _validate.choice("symmetry", symmetry, SYMMETRIES)
    if not isinstance(labels, (tuple, list)) or len(labels) != 3 or len(set(labels)) != 3:
        raise ValueError(f"`labels` must be three distinct labels (0..255), got labels={labels!r}")
    labs = tuple(_validate.integer(f"labels[{i}]", v, minimum=0) for i, v in enumerate(labels))
    observed = [observed_s2(images, lab, size, periodic) for lab in labs]
    fractions = [phi for phi, _ in observed]
    s2 = [v for _, v in observed]
    if min(fractions) <= 0:
        missing = [lab for lab, f in zip(labs, fractions) if f <= 0]
        raise ValueError(f"the images must show all three labels {labs}; absent: {missing}")
    f1, f2 = fractions[1], fractions[2]
    seen = list(s2[0])
    longest = max(v.size for v in s2[0].values())
    lab3: tuple[int, int, int] = labs  # type: ignore[assignment]

    def thresholds() -> ThreePhaseModel:
        def loss(a: str, length: float) -> float:
            m = ThreePhaseModel("two_thresholds", (f1, f2), (length,) * 3, labels=lab3)
            return _misfit(m, s2, size, axes=[a])

        ls = fit_group_lengths(loss, seen, longest, size, symmetry)
        return ThreePhaseModel("two_thresholds", (f1, f2), (ls["x"], ls["y"], ls["z"]), labels=lab3)

    def two_fields() -> ThreePhaseModel:
        def first(a: str, length: float) -> float:
            m = ThreePhaseModel("two_fields", (f1, f2), (length,) * 3, (1.0,) * 3, labels=lab3)
            return _misfit(m, s2, size, indices=(2,), axes=[a])

        l1 = fit_group_lengths(first, seen, longest, size, symmetry)
        first_lengths = (l1["x"], l1["y"], l1["z"])

        def second(a: str, length: float) -> float:
            m = ThreePhaseModel("two_fields", (f1, f2), first_lengths, (length,) * 3, labels=lab3)
            return _misfit(m, s2, size, indices=(0, 1), axes=[a])

        l2 = fit_group_lengths(second, seen, longest, size, symmetry)
        return ThreePhaseModel("two_fields", (f1, f2), first_lengths, (l2["x"], l2["y"], l2["z"]), labels=lab3)

    tried = {k: fit() for k, fit in (("two_thresholds", thresholds), ("two_fields", two_fields))
             if kind in (k, "auto")}
    misfit = {k: _misfit(m, s2, size) for k, m in tried.items()}
    best = min(misfit, key=misfit.__getitem__)
    info: dict[str, Any] = {"method": "moments", "symmetry": symmetry, "s2_misfit": misfit,
                            "observed_fractions": fractions,
                            "observed_s2": [{a: v.tolist() for a, v in d.items()} for d in s2]}
    m = tried[best]
    return ThreePhaseModel(m.kind, m.fractions, m.correlation_lengths, m.second_lengths, m.labels, info=info)
