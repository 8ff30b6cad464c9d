"""Compare two structures descriptor by descriptor, axis by axis (seed 003's evaluation)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate
from .._plot import pyplot
from ._profile import AxisProfiles
from .chords import chords
from .cluster_function import cluster_function
from .lineal_path import lineal_path
from .topology import topology
from .two_point import two_point

__all__ = ["MetricComparison", "compare", "profile_error", "s2_error", "s2_similarity", "METRICS"]

METRICS = ("two_point", "lineal_path", "chords", "cluster_function", "topology")


def profile_error(p: np.ndarray, q: np.ndarray) -> float:
    """Relative L2 distance ||p - q|| / ||p|| of two profiles over their common distances (0 when equal)."""
    n = min(p.size, q.size)
    ref = float(np.linalg.norm(p[:n]))
    diff = float(np.linalg.norm(p[:n] - q[:n]))
    return diff / ref if ref > 0 else (0.0 if diff == 0 else float("inf"))


@dataclass(frozen=True)
class MetricComparison:
    """Per-metric, per-axis errors of ``b`` against the reference ``a``.

    ``errors[metric][axis]``: relative L2 error of the profile (two_point, lineal_path,
    cluster_function; two_point also "radial"), total-variation distance of the chord-length pdfs, relative error of the Euler and
    cluster densities (topology: keys "euler", "clusters"). ``a`` and ``b`` keep the computed
    descriptors for plotting.
    """

    errors: dict[str, dict[str, float]]
    a: dict[str, Any]
    b: dict[str, Any]

    @property
    def max_error(self) -> float:
        """The largest finite error of all."""
        vals = [v for d in self.errors.values() for v in d.values() if np.isfinite(v)]
        return max(vals) if vals else 0.0

    def rows(self) -> list[dict[str, object]]:
        """One row per (metric, axis): for CSV or a table."""
        return [{"metric": m, "axis": k, "error": v} for m, d in self.errors.items() for k, v in d.items()]

    def plot(self, labels: tuple[str, str] = ("a", "b")) -> Any:
        """The profiles of ``a`` (solid) and ``b`` (dotted) side by side, one panel per profile metric."""
        profiles = [m for m in self.a if isinstance(self.a[m], AxisProfiles)]
        fig, axes = pyplot().subplots(1, max(len(profiles), 1), figsize=(4.5 * max(len(profiles), 1), 3.5),
                                      squeeze=False)
        for ax, m in zip(axes[0], profiles):
            self.a[m].plot(ax=ax, label=labels[0])
            self.b[m].plot(ax=ax, label=labels[1], linestyle=":")
            ax.set_title(m)
        fig.tight_layout()
        return fig


def compare(a: np.ndarray, b: np.ndarray, voxel_size: float = 1.0, phase: int = 1, *, periodic: bool = False,
            metrics: Sequence[str] = METRICS, plane: str | None = None) -> MetricComparison:
    """Descriptors of ``b`` against the reference ``a`` (same dimensionality; shapes may differ).

    Parameters
    ----------
    a, b:
        uint8 labels (3D, or 2D images with ``plane``); ``a`` is the reference.
    voxel_size:
        µm per voxel of both.
    metrics:
        Any of "two_point", "lineal_path", "chords", "cluster_function", "topology".
    periodic:
        Boundary handling of every descriptor (False for scans).
    """
    chosen = [_validate.choice("metrics", m, METRICS) for m in metrics]
    if np.ndim(a) != np.ndim(b):
        raise ValueError(f"`a` and `b` must both be 2D or both 3D, got shapes {np.shape(a)} and {np.shape(b)}")
    errors: dict[str, dict[str, float]] = {}
    da: dict[str, Any] = {}
    db: dict[str, Any] = {}
    for m in chosen:
        if m == "topology":
            ta, tb = (topology(v, phase, voxel_size, periodic, plane=plane) for v in (a, b))
            da[m], db[m] = ta, tb
            errors[m] = {"euler": _relative(ta.euler_density, tb.euler_density),
                         "clusters": _relative(ta.cluster_density, tb.cluster_density)}
            continue
        if m == "two_point":
            pa, pb = (two_point(v, phase, voxel_size, periodic, plane=plane) for v in (a, b))
        elif m == "lineal_path":
            pa, pb = (lineal_path(v, phase, voxel_size, periodic, plane=plane) for v in (a, b))
        elif m == "cluster_function":
            pa, pb = (cluster_function(v, phase, voxel_size, periodic, plane=plane) for v in (a, b))
        else:
            pa, pb = (chords(v, phase, voxel_size, periodic, plane=plane) for v in (a, b))
        da[m], db[m] = pa, pb
        if m == "chords":
            errors[m] = {k: 0.5 * float(np.abs(np.pad(pa.axes[k], (0, max(0, pb.axes[k].size - pa.axes[k].size)))
                                               - np.pad(pb.axes[k], (0, max(0, pa.axes[k].size - pb.axes[k].size)))
                                               ).sum()) for k in pa.axes}
        else:
            errors[m] = {k: profile_error(pa.axes[k], pb.axes[k]) for k in pa.axes}
            if pa.radial is not None and pb.radial is not None:
                errors[m]["radial"] = profile_error(pa.radial, pb.radial)
    return MetricComparison(errors, da, db)


def _relative(ref: float, other: float) -> float:
    if ref == 0:
        return 0.0 if other == 0 else float("inf")
    return abs(other - ref) / abs(ref)


def s2_error(a: np.ndarray, b: np.ndarray, voxel_size: float = 1.0, phase: int = 1, *,
             periodic: bool = False) -> float:
    """Mean over the axes of the relative L2 error of ``b``'s S2 against ``a``'s (0 when equal).

    ``a`` and ``b``: uint8 labels of the same dimensionality (3D, or 2D images); shapes may differ
    (profiles are compared over their common distances)."""
    if np.ndim(a) != np.ndim(b):
        raise ValueError(f"`a` and `b` must both be 2D or both 3D, got shapes {np.shape(a)} and {np.shape(b)}")
    pa = two_point(a, phase, voxel_size, periodic, radial=False)
    pb = two_point(b, phase, voxel_size, periodic, radial=False)
    return float(np.mean([profile_error(pa.axes[k], pb.axes[k]) for k in pa.axes]))


def s2_similarity(a: np.ndarray, b: np.ndarray, voxel_size: float = 1.0, phase: int = 1, *,
                  periodic: bool = False, scale: float = 1.0) -> float:
    """S2 term for the similarity index: 1 - mean per-axis relative L2 error of S2, clipped to [0, 1].

    1 for identical spatial arrangements; ``scale`` divides the error (an error of ``scale``
    scores 0). Used by :func:`voxtwin.closed_loop` through ``target_labels``.
    """
    s = _validate.positive("scale", scale)
    err = s2_error(a, b, voxel_size, phase, periodic=periodic)
    return float(np.clip(1.0 - err / s, 0.0, 1.0))
