"""Low-parametric random-set models (seed 001): excursion sets of Gaussian and chi^2 fields,
two-phase and three-phase, with interpretable parameters and ``.sample``.

Lengths are in µm; a sample on a grid of ``voxel_size`` µm uses lengths / voxel_size voxels. The
same model, shape, voxel size and seed give byte-identical labels, whole or slab by slab
(:meth:`ExcursionModel.to_zarr`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .. import _backend, _validate
from .excursion import band_s2, chi2_s2, chi2_threshold, gaussian_s2, gaussian_threshold, squared_exponential
from .fields import chi2_field, gaussian_field

__all__ = ["ExcursionModel", "ThreePhaseModel", "FIELDS"]

FIELDS = ("gaussian", "chi2")


def _device(device: str) -> str:
    # the CPU and CUDA field samplers give the same bytes: "auto" takes the GPU when there is one
    return _backend.resolve_device(device)


def _shape(shape: Sequence[int]) -> tuple[int, int, int]:
    if isinstance(shape, (tuple, list)) and len(shape) == 2:
        shape = (*shape, 1)
    return _validate.shape3("shape", tuple(shape) if isinstance(shape, (list, tuple)) else shape)


def _lengths_um(value: Sequence[float]) -> tuple[float, float, float]:
    if not isinstance(value, (Sequence, np.ndarray)) or len(value) != 3:
        raise ValueError(f"`correlation_lengths` must be three lengths (x, y, z) in µm, got {value!r}")
    return tuple(_validate.non_negative(f"correlation_lengths[{i}]", v, "µm") for i, v in enumerate(value))  # type: ignore[return-value]


@dataclass(frozen=True)
class ExcursionModel:
    """Two-phase excursion set of a Gaussian or chi^2_k random field.

    Attributes
    ----------
    field:
        "gaussian": phase = {Z > u}; "chi2": phase = {Z_1^2 + ... + Z_k^2 <= t} (k Gaussian components).
    volume_fraction:
        Fraction of ``phase`` (sets the threshold).
    correlation_lengths:
        (lx, ly, lz) in µm of the Gaussian components' covariance exp(-sum (r_i / l_i)^2 / 2).
    k:
        Degrees of freedom of the chi^2 field (1 for "gaussian").
    phase, background:
        Labels of the set and of its complement.
    """

    field: Literal["gaussian", "chi2"]
    volume_fraction: float
    correlation_lengths: tuple[float, float, float]
    k: int = 1
    phase: int = 1
    background: int = 0
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _validate.choice("field", self.field, FIELDS)
        _validate.fraction("volume_fraction", self.volume_fraction)
        object.__setattr__(self, "correlation_lengths", _lengths_um(self.correlation_lengths))
        _validate.integer("k", self.k, minimum=1)
        if self.field == "gaussian" and self.k != 1:
            raise ValueError(f"`k` is the chi^2 degrees of freedom; a gaussian model has k=1, got k={self.k!r}")

    @property
    def threshold(self) -> float:
        """u of {Z > u} (gaussian) or t of {chi^2_k <= t}."""
        if self.field == "gaussian":
            return gaussian_threshold(self.volume_fraction)
        return chi2_threshold(self.volume_fraction, self.k)

    def s2(self, distance: np.ndarray, axis: str) -> np.ndarray:
        """Closed-form S2 of the phase at ``distance`` (µm) along ``axis`` ("x", "y" or "z")."""
        i = _validate.choice("axis", axis, ("x", "y", "z"))
        rho = squared_exponential(np.asarray(distance, dtype=np.float64), self.correlation_lengths["xyz".index(i)])
        if self.field == "gaussian":
            return gaussian_s2(rho, self.volume_fraction)
        return chi2_s2(rho, self.volume_fraction, self.k)

    def _field(self, shape: tuple[int, int, int], voxel_size: float, seed: int,
               planes: tuple[int, int] | None, device: str = "cpu") -> np.ndarray:
        lengths = [v / voxel_size for v in self.correlation_lengths]
        if self.field == "gaussian":
            return gaussian_field(shape, lengths, seed, planes=planes, device=device)
        return chi2_field(shape, lengths, self.k, seed, planes=planes, device=device)

    def _labels(self, values: np.ndarray) -> np.ndarray:
        inside = values > np.float32(self.threshold) if self.field == "gaussian" else values <= np.float32(self.threshold)
        return np.where(inside, np.uint8(self.phase), np.uint8(self.background))

    def sample(self, shape: Sequence[int], voxel_size: float, seed: int, device: str = "auto", *,
               planes: tuple[int, int] | None = None) -> np.ndarray:
        """uint8 labels ``[x, y, z]`` (a 2D ``shape`` gives a 2D image) on a periodic grid of
        ``voxel_size`` µm; ``planes=(x0, x1)`` returns only those x-planes, byte-identical to the
        same planes of the whole sample; ``device`` "auto", "cpu" or "cuda" (the same bytes)."""
        two_d = isinstance(shape, (tuple, list)) and len(shape) == 2
        s = _shape(shape)
        size = _validate.positive("voxel_size", voxel_size, "µm")
        dev = _device(device)
        out = self._labels(self._field(s, size, _validate.seed(seed), planes, dev))
        return out[:, :, 0] if two_d else out

    def to_zarr(self, path: str | Path, shape: Sequence[int], voxel_size: float, seed: int, *,
                slab: int = 64, progress: bool = True) -> Path:
        """Write a sample to a zarr v3 group (``labels``) slab of x-planes by slab; resumes an
        interrupted write (finished slabs are flagged in ``done``) and gives the bytes of
        :meth:`sample`."""
        from .zarr_sample import write_slabs

        s = _shape(shape)
        size = _validate.positive("voxel_size", voxel_size, "µm")
        sd = _validate.seed(seed)
        return write_slabs(Path(path), s, size, _validate.integer("slab", slab, minimum=1),
                           lambda planes: self._labels(self._field(s, size, sd, planes)),
                           {"model": self.to_dict(), "seed": sd}, progress)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        d = asdict(self)
        d["correlation_lengths"] = list(self.correlation_lengths)
        d["info"] = {k: v for k, v in self.info.items() if isinstance(v, (int, float, str, list, dict))}
        return d

    def save(self, path: str | Path) -> None:
        """Parameters as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2))

    @classmethod
    def load(cls, path: str | Path) -> ExcursionModel:
        """A model saved by :meth:`save`."""
        d = json.loads(Path(path).read_text())
        return cls(**{k: d[k] for k in ("field", "volume_fraction", "correlation_lengths", "k", "phase",
                                         "background", "info") if k in d})


@dataclass(frozen=True)
class ThreePhaseModel:
    """Three phases from Gaussian fields (seed 001's three-phase variants).

    kind="two_thresholds": one field Z: ``labels[0]`` where Z <= u1, ``labels[1]`` where
    u1 < Z <= u2, ``labels[2]`` where Z > u2 (layered phases that only touch in this order).
    kind="two_fields": independent fields Z1 (lengths ``correlation_lengths``) and Z2 (lengths
    ``second_lengths``): ``labels[2]`` where Z1 > u1, else ``labels[1]`` where Z2 > u2, else ``labels[0]``.
    ``fractions`` are the volume fractions of labels[1] and labels[2]; lengths in µm.
    """

    kind: Literal["two_thresholds", "two_fields"]
    fractions: tuple[float, float]
    correlation_lengths: tuple[float, float, float]
    second_lengths: tuple[float, float, float] | None = None
    labels: tuple[int, int, int] = (0, 1, 2)
    info: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        _validate.choice("kind", self.kind, ("two_thresholds", "two_fields"))
        f1, f2 = (_validate.fraction(f"fractions[{i}]", f) for i, f in enumerate(self.fractions))
        if f1 + f2 >= 1:
            raise ValueError(f"`fractions` must sum to < 1, got fractions={self.fractions!r}")
        object.__setattr__(self, "correlation_lengths", _lengths_um(self.correlation_lengths))
        if self.kind == "two_fields":
            if self.second_lengths is None:
                raise ValueError("kind='two_fields' needs `second_lengths` (µm, x/y/z) of the second field")
            object.__setattr__(self, "second_lengths", _lengths_um(self.second_lengths))

    @property
    def volume_fractions(self) -> tuple[float, float, float]:
        """Fractions of labels[0], labels[1], labels[2]."""
        f1, f2 = self.fractions
        return (1.0 - f1 - f2, f1, f2)

    def s2(self, distance: np.ndarray, axis: str, index: int) -> np.ndarray:
        """Closed-form S2 of phase ``labels[index]`` at ``distance`` (µm) along ``axis``.

        two_thresholds: bands of one field (bivariate normal, :func:`.excursion.band_s2`);
        two_fields: products of the independent fields' terms, e.g. labels[1] = {Z1 <= u1} and
        {Z2 > u2}: S2 = P(both Z1 <= u1) P(both Z2 > u2).
        """
        i = "xyz".index(_validate.choice("axis", axis, ("x", "y", "z")))
        k = _validate.integer("index", index, minimum=0)
        if k > 2:
            raise ValueError(f"`index` picks one of the three labels (0, 1, 2), got index={index!r}")
        d = np.asarray(distance, dtype=np.float64)
        rho1 = squared_exponential(d, self.correlation_lengths[i])
        f1, f2 = self.fractions
        if self.kind == "two_thresholds":
            u1, u2 = gaussian_threshold(f1 + f2), gaussian_threshold(f2)
            lower, upper = ((-np.inf, u1), (u1, u2), (u2, np.inf))[k]
            return band_s2(rho1, lower, upper)
        assert self.second_lengths is not None
        rho2 = squared_exponential(d, self.second_lengths[i])
        if k == 2:
            return gaussian_s2(rho1, f2)
        rest = gaussian_s2(rho1, 1.0 - f2)              # both points outside labels[2]
        q = f1 / (1.0 - f2)                              # fraction of labels[1] among them
        return rest * gaussian_s2(rho2, q if k == 1 else 1.0 - q)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        d = asdict(self)
        d["info"] = {k: v for k, v in self.info.items() if isinstance(v, (int, float, str, list, dict))}
        return d

    def sample(self, shape: Sequence[int], voxel_size: float, seed: int, device: str = "auto") -> np.ndarray:
        """uint8 labels ``[x, y, z]`` on a periodic grid of ``voxel_size`` µm; ``device`` "auto",
        "cpu" or "cuda" (the same bytes)."""
        s = _shape(shape)
        size = _validate.positive("voxel_size", voxel_size, "µm")
        sd = _validate.seed(seed)
        dev = _device(device)
        f1, f2 = self.fractions
        l0, l1, l2 = (np.uint8(v) for v in self.labels)
        z1 = gaussian_field(s, [v / size for v in self.correlation_lengths], sd, stream=0, device=dev)
        if self.kind == "two_thresholds":
            u1, u2 = gaussian_threshold(f1 + f2), gaussian_threshold(f2)
            out = np.where(z1 > np.float32(u2), l2, np.where(z1 > np.float32(u1), l1, l0))
        else:
            assert self.second_lengths is not None
            z2 = gaussian_field(s, [v / size for v in self.second_lengths], sd, stream=1, device=dev)
            # labels[1] takes fraction f1 of all voxels from the (1 - f2) not in labels[2]
            u1, u2 = gaussian_threshold(f2), gaussian_threshold(f1 / (1.0 - f2))
            out = np.where(z1 > np.float32(u1), l2, np.where(z2 > np.float32(u2), l1, l0))
        out = out.astype(np.uint8)
        return out[:, :, 0] if len(shape) == 2 else out  # type: ignore[arg-type]
