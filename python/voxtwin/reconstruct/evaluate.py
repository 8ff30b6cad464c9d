"""Validation of reconstructed volumes against a reference (seed 003 §2.6 and §3.2).

Per axis: the phase fraction, the two-point correlation S2 and the lineal path L of the phase of
interest (``voxtwin.metrics``), averaged over the generated volumes, against the same descriptors
of the reference: a 3D volume, or 2D slices of the three planes (S2 and L along x from the xy and
xz images, along y from xy and yz, along z from xz and yz). With ``materials``, the effective
stiffness and CTE of every generated volume and of as many reference subvolumes of the same shape
(a 3D reference only) come from :func:`voxtwin.homogenize` — the solver is imported only then,
since the solver is a later pipeline step than reconstruction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate
from .._plot import pyplot
from ..metrics import lineal_path, profile_error, two_point
from .data import PLANES

__all__ = ["Evaluation", "evaluate", "axis_profiles", "seam_ratio"]

AXES = ("x", "y", "z")
# Which axes of a plane image ([first, second]) are which volume axes.
_PLANE_AXES = {"xy": ("x", "y"), "xz": ("x", "z"), "yz": ("y", "z")}


@dataclass(frozen=True)
class Evaluation:
    """Errors of generated volumes against a reference.

    ``phi``/``phi_reference``: fractions of ``phase`` (per volume / of the reference);
    ``s2``/``lineal``: ``{axis: (generated mean profile, reference profile)}`` at lags 0, 1, ...
    voxels; ``s2_error``/``lineal_error``: relative L2 errors per axis
    (:func:`voxtwin.metrics.profile_error`); ``stiffness``/``cte``: (n, 6, 6) GPa and (n, 6) 1/K
    of the generated volumes, ``reference_stiffness``/``reference_cte`` of reference subvolumes
    (empty without ``materials``).
    """

    phi: np.ndarray
    phi_reference: float
    s2: dict[str, tuple[np.ndarray, np.ndarray]]
    lineal: dict[str, tuple[np.ndarray, np.ndarray]]
    s2_error: dict[str, float]
    lineal_error: dict[str, float]
    stiffness: np.ndarray = field(default_factory=lambda: np.zeros((0, 6, 6)))
    cte: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))
    reference_stiffness: np.ndarray = field(default_factory=lambda: np.zeros((0, 6, 6)))
    reference_cte: np.ndarray = field(default_factory=lambda: np.zeros((0, 6)))

    @property
    def phi_error(self) -> float:
        """|mean φ of the volumes - φ of the reference|."""
        return abs(float(np.mean(self.phi)) - self.phi_reference)

    def rows(self) -> list[dict[str, object]]:
        """One row per (quantity, axis) for a table."""
        out: list[dict[str, object]] = [{"quantity": "phi", "axis": "-", "generated": float(np.mean(self.phi)),
                                         "reference": self.phi_reference, "error": self.phi_error}]
        for name, errs in (("s2", self.s2_error), ("lineal_path", self.lineal_error)):
            out += [{"quantity": name, "axis": a, "error": e} for a, e in errs.items()]
        if self.stiffness.size and self.reference_stiffness.size:
            g, r = self.stiffness.mean(0), self.reference_stiffness.mean(0)
            for i in range(6):
                out.append({"quantity": f"C{i + 1}{i + 1}", "axis": "-", "generated": float(g[i, i]),
                            "reference": float(r[i, i]), "error": abs(g[i, i] - r[i, i]) / abs(r[i, i])})
        return out

    def plot(self) -> Any:
        """S2 and lineal path per axis: reference (solid) and generated mean (dashed)."""
        fig, axes = pyplot().subplots(1, 2, figsize=(9, 3.5))
        for ax, (name, prof) in zip(axes, (("S2", self.s2), ("lineal path", self.lineal))):
            for i, (a, (g, r)) in enumerate(prof.items()):
                ax.plot(r, color=f"C{i}", label=f"{a} reference")
                ax.plot(g, color=f"C{i}", linestyle="--", label=f"{a} generated")
            ax.set_xlabel("lag [voxels]")
            ax.set_title(name)
            ax.legend(fontsize=7)
        fig.tight_layout()
        return fig


def axis_profiles(volumes: Sequence[np.ndarray] | Mapping[str, Any], phase: int, metric: str,
                  lags: int) -> dict[str, np.ndarray]:
    """Mean per-axis profile (non-periodic estimator) of 3D volumes, or of plane images
    ``{"xy": stack, ...}`` (each axis from the two planes that contain it)."""
    fn = two_point if metric == "s2" else lineal_path
    acc: dict[str, list[np.ndarray]] = {a: [] for a in AXES}
    if isinstance(volumes, Mapping):
        for p in PLANES:
            if p not in volumes:
                continue
            stack = np.asarray(volumes[p])
            stack = stack[None] if stack.ndim == 2 else stack
            for img in stack:
                prof = fn(np.ascontiguousarray(img, dtype=np.uint8), phase, periodic=False, plane=p, radial=False) \
                    if metric == "s2" else fn(np.ascontiguousarray(img, dtype=np.uint8), phase, periodic=False, plane=p)
                for a in _PLANE_AXES[p]:
                    acc[a].append(prof.axes[a][:lags])
    else:
        for v in volumes:
            arr = np.ascontiguousarray(v, dtype=np.uint8)
            prof = fn(arr, phase, periodic=False, radial=False) if metric == "s2" else fn(arr, phase, periodic=False)
            for a in AXES:
                acc[a].append(prof.axes[a][:lags])
    out = {}
    for a, profs in acc.items():
        if profs:
            n = min(p.size for p in profs)
            out[a] = np.mean([p[:n] for p in profs], axis=0)
    return out


def evaluate(volumes: np.ndarray | Sequence[np.ndarray], reference: np.ndarray | Mapping[str, Any],
             materials: Mapping[int, Any] | None = None, *, phase: int = 1, voxel_size: float = 1.0,
             lineal: bool = True, seed: int = 0, device: str = "auto", progress: bool = False) -> Evaluation:
    """φ, per-axis S2 and lineal-path errors (and with ``materials`` C and CTE) of generated volumes.

    ``volumes``: one 3D label volume or a list; ``reference``: a 3D label volume (the truth) or
    ``{"xy": images, "xz": ..., "yz": ...}``; ``materials``: ``{label: Material}`` for
    :func:`voxtwin.homogenize` (3D reference: as many random subvolumes of the generated shape,
    drawn with ``seed``); ``voxel_size`` in µm (does not change the errors).
    """
    vols = [np.asarray(volumes)] if np.ndim(volumes) == 3 else [np.asarray(v) for v in volumes]  # type: ignore[arg-type]
    if not vols or any(v.ndim != 3 for v in vols):
        raise ValueError("`volumes` must be a 3D label volume or a list of them")
    lags = min(min(v.shape) for v in vols) // 2 + 1
    if isinstance(reference, Mapping):
        imgs = {p: np.asarray(reference[p]) for p in PLANES if p in reference}
        if not imgs:
            raise ValueError(f"`reference` as a mapping needs images of at least one of {PLANES}")
        phi_ref = float(np.mean([np.mean(s == phase) for s in imgs.values()]))
        ref_src: Any = imgs
    else:
        ref = np.asarray(reference)
        if ref.ndim != 3:
            raise ValueError(f"`reference` must be a 3D volume or a mapping of plane images, got shape {ref.shape}")
        phi_ref = float(np.mean(ref == phase))
        ref_src = [ref]
    s2g, s2r = axis_profiles(vols, phase, "s2", lags), axis_profiles(ref_src, phase, "s2", lags)
    s2 = {a: (s2g[a], s2r[a]) for a in AXES if a in s2r}
    lin: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if lineal:
        lg, lr = axis_profiles(vols, phase, "lineal", lags), axis_profiles(ref_src, phase, "lineal", lags)
        lin = {a: (lg[a], lr[a]) for a in AXES if a in lr}
    ev = dict(phi=np.array([np.mean(v == phase) for v in vols]), phi_reference=phi_ref, s2=s2, lineal=lin,
              s2_error={a: profile_error(r, g) for a, (g, r) in s2.items()},
              lineal_error={a: profile_error(r, g) for a, (g, r) in lin.items()})
    if materials is not None:
        from ..simulate import homogenize  # the solver is a later step: imported only for this check

        mats = dict(materials)
        size = _validate.positive("voxel_size", voxel_size, "µm")

        def props(vs: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
            res = [homogenize(np.ascontiguousarray(v, dtype=np.uint8), mats, size, device=device, progress=progress)
                   for v in vs]
            cte = [np.asarray(r.alpha, dtype=np.float64) for r in res]
            return np.array([r.C for r in res]), np.array(cte)

        ev["stiffness"], ev["cte"] = props(vols)
        if not isinstance(reference, Mapping):
            rng = np.random.default_rng(_validate.seed(seed))
            shp = vols[0].shape
            if any(s > r for s, r in zip(shp, ref.shape)):
                raise ValueError(f"`reference` {ref.shape} is smaller than the generated volumes {shp}")
            subs = []
            for _ in vols:
                o = [int(rng.integers(r - s + 1)) for r, s in zip(ref.shape, shp)]
                subs.append(ref[o[0]:o[0] + shp[0], o[1]:o[1] + shp[1], o[2]:o[2] + shp[2]])
            ev["reference_stiffness"], ev["reference_cte"] = props(subs)
    return Evaluation(**ev)


def seam_ratio(volume: np.ndarray, borders: Sequence[int]) -> float:
    """How much more often neighbouring slices differ at ``borders`` than elsewhere (1 = no seam).

    Along each axis, D[i] is the fraction of voxels whose labels differ between slices i and i + 1;
    ``borders`` are the faces i (between i and i + 1) where windows or tiles meet. Returns the
    largest over the three axes of mean D at the borders / mean D at the other faces.
    """
    v = np.asarray(volume)
    if v.ndim != 3:
        raise ValueError(f"`volume` must be 3D, got shape {v.shape}")
    b = [int(i) for i in borders]
    if not b or min(b) < 0 or max(b) > min(v.shape) - 2:
        raise ValueError(f"`borders` must be faces 0..{min(v.shape) - 2}, got {list(borders)}")
    out = 0.0
    for axis in range(3):
        w = np.moveaxis(v, axis, 0)
        d = (w[1:] != w[:-1]).reshape(w.shape[0] - 1, -1).mean(1)
        inside = np.delete(d, b)
        out = max(out, float(d[b].mean() / max(inside.mean(), 1e-12)))
    return out
