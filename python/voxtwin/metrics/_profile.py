"""The result shape every directional descriptor shares: one profile per axis over distance."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._plot import pyplot

__all__ = ["AxisProfiles"]


@dataclass(frozen=True)
class AxisProfiles:
    """Values of a descriptor along the axes at distances 0, 1, 2, ... voxels.

    Attributes
    ----------
    name:
        What the values are (``"S2"``, ``"lineal path"``, ``"chord length pdf"``).
    axes:
        ``{"x": array, "y": array, ...}``; only the axes the input has (an "xz" image: x, z).
    distance:
        Distances in µm (``index * voxel_size``), one per entry of every profile.
    radial:
        Orientation average over every lag vector (all octants), or None where not computed.
    phase, voxel_size, periodic:
        What was measured and how (µm per voxel; wrapped or zero-padded boundaries).
    """

    name: str
    axes: dict[str, np.ndarray]
    distance: np.ndarray
    phase: int | tuple[int, int]
    voxel_size: float
    periodic: bool
    radial: np.ndarray | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def _axis(self, a: str) -> np.ndarray | None:
        return self.axes.get(a)

    @property
    def x(self) -> np.ndarray | None:
        """Profile along x (None when the input has no x axis)."""
        return self._axis("x")

    @property
    def y(self) -> np.ndarray | None:
        """Profile along y."""
        return self._axis("y")

    @property
    def z(self) -> np.ndarray | None:
        """Profile along z."""
        return self._axis("z")

    def to_dict(self) -> dict[str, Any]:
        """Plain lists (JSON-ready): distance in µm, one list per axis, radial."""
        out: dict[str, Any] = {"name": self.name, "phase": self.phase, "voxel_size_um": self.voxel_size,
                               "periodic": self.periodic, "distance_um": self.distance.tolist()}
        out.update({a: v.tolist() for a, v in self.axes.items()})
        if self.radial is not None:
            out["radial"] = self.radial.tolist()
        return out

    def to_csv(self) -> str:
        """CSV text: distance_um, one column per axis, radial."""
        cols = list(self.axes) + (["radial"] if self.radial is not None else [])
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["distance_um", *cols])
        data = [self.axes[c] if c in self.axes else self.radial for c in cols]
        for i, d in enumerate(self.distance):
            w.writerow([f"{d:.6g}", *(f"{float(v[i]):.8g}" for v in data)])  # type: ignore[index]
        return buf.getvalue()

    def plot(self, ax: Any = None, label: str = "", **kwargs: Any) -> Any:
        """Line plot of every axis (and the radial average, dashed) against distance (µm)."""
        if ax is None:
            _, ax = pyplot().subplots(figsize=(5, 3.5))
        prefix = f"{label} " if label else ""
        for a, v in self.axes.items():
            ax.plot(self.distance, v, label=f"{prefix}{a}", **kwargs)
        if self.radial is not None:
            style = {"linestyle": "--", **kwargs}
            ax.plot(self.distance, self.radial, label=f"{prefix}radial", **style)
        ax.set_xlabel("distance (µm)")
        ax.set_ylabel(self.name)
        ax.legend()
        return ax
