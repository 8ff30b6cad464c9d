"""Voxel volumes → the elasticity solver's input: a material index volume and a table of materials.

The C++ solver reads, per voxel, an index (uint8 or uint16) into a table of (C 6×6 in GPa,
α Voigt in 1/K) entries and looks the material up on the fly. This module builds that pair from

- phase labels (uint8) with ``materials = {label: Material}``: the label is the index, no copy;
- phase labels with per-voxel fibre axes for the transversely isotropic phases: one table entry
  per (label, axis), axes quantized when there are too many distinct ones (uint16 index);
- any object with a ``material_table(materials)`` method returning a :class:`MaterialTable`
  (the hook for composite voxels, whose laminate entries form a uint16 table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .materials import Material, TransverselyIsotropic

__all__ = ["MaterialTable", "material_table", "MAX_ENTRIES"]

#: The most table entries a uint16 index volume can address.
MAX_ENTRIES = 65536


@dataclass(frozen=True)
class MaterialTable:
    """What the solver reads: ``index`` [nx, ny, nz] (uint8/uint16) into ``C`` (m, 6, 6) GPa and ``alpha`` (m, 6) 1/K.

    ``phases`` is the uint8 phase volume used for per-phase statistics (the labels themselves, or
    the dominant phase of a composite voxel); ``label_of_entry`` (m,) tells which phase label each
    entry came from (-1 for none).
    """

    index: np.ndarray
    C: np.ndarray
    alpha: np.ndarray
    phases: np.ndarray
    label_of_entry: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        return tuple(int(s) for s in self.index.shape)  # type: ignore[return-value]

    @property
    def has_thermal_expansion(self) -> bool:
        """True when any entry expands with temperature."""
        return bool(np.any(self.alpha != 0.0))


def check_labels(labels: object, name: str = "labels") -> np.ndarray:
    """A 3D uint8 numpy array (made C-contiguous), else TypeError/ValueError naming ``name``."""
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy array of uint8 phase labels, got {type(labels).__name__}")
    if labels.dtype != np.uint8:
        raise TypeError(f"`{name}` must have dtype uint8, got dtype {labels.dtype} (convert explicitly, e.g. {name}.astype(numpy.uint8))")
    if labels.ndim != 3:
        raise ValueError(f"`{name}` must be a 3D array indexed [x, y, z], got shape {labels.shape}")
    if labels.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {labels.shape}")
    return np.ascontiguousarray(labels)


def check_materials(materials: object) -> dict[int, Material]:
    """``{label: Material}`` with labels in 0..255, else TypeError/ValueError."""
    if not isinstance(materials, dict) or not materials:
        raise TypeError(f"`materials` must be a non-empty dict {{label: Material}}, got materials={materials!r}")
    out: dict[int, Material] = {}
    for key, mat in materials.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or not 0 <= int(key) <= 255:
            raise ValueError(f"`materials` keys must be phase labels 0..255, got key {key!r}")
        if not isinstance(mat, Material):
            raise TypeError(f"`materials[{key}]` must be a voxtwin Material (e.g. vt.Isotropic, vt.VOID), got {mat!r}")
        out[int(key)] = mat
    return out


def material_table(labels_or_cv: Any, materials: dict[int, Material], axes: np.ndarray | None = None,
                   max_directions: int = 4096) -> MaterialTable:
    """Build the solver input from phase labels (or a composite-voxel object) and materials.

    ``axes`` (optional, float [3, nx, ny, nz]) gives a fibre direction per voxel for the phases whose
    material is :class:`~voxtwin.TransverselyIsotropic` (ignored elsewhere). Distinct directions
    become table entries; when there are more than ``max_directions`` per phase they are quantized
    on an equal-area grid of about ``max_directions`` cells of the hemisphere (max. angular error
    about ``sqrt(2π/max_directions)`` rad, 2.2° for 4096).
    """
    if not isinstance(labels_or_cv, np.ndarray) and hasattr(labels_or_cv, "material_table"):
        table = labels_or_cv.material_table(materials)
        if not isinstance(table, MaterialTable):
            raise TypeError(f"`{type(labels_or_cv).__name__}.material_table` must return a MaterialTable, got {type(table).__name__}")
        return table
    labels = check_labels(labels_or_cv)
    mats = check_materials(materials)
    counts = np.bincount(labels.ravel(), minlength=256)
    missing = [int(k) for k in np.flatnonzero(counts) if int(k) not in mats]
    if missing:
        raise ValueError(f"`labels` holds phase label(s) {missing} that have no entry in `materials` (keys {sorted(mats)})")
    if axes is None:
        return _label_table(labels, mats)
    return _axis_table(labels, mats, counts, axes, max_directions)


def _label_table(labels: np.ndarray, mats: dict[int, Material]) -> MaterialTable:
    """Index = label: entries 0..max label, labels without a material get a (never used) void entry."""
    size = max(mats) + 1
    C = np.zeros((size, 6, 6))
    alpha = np.zeros((size, 6))
    owner = np.full(size, -1, dtype=np.int64)
    for label, mat in mats.items():
        C[label] = mat.C
        alpha[label] = mat.alpha
        owner[label] = label
    return MaterialTable(labels, C, alpha, labels, owner)


def _canonical(d: np.ndarray) -> np.ndarray:
    """Unit directions with the sign fixed (an axis and its opposite are the same material)."""
    d = d / np.linalg.norm(d, axis=1, keepdims=True)
    flip = (d[:, 2] < 0) | ((d[:, 2] == 0) & ((d[:, 1] < 0) | ((d[:, 1] == 0) & (d[:, 0] < 0))))
    d[flip] *= -1
    return d


def _quantize(d: np.ndarray, cells: int) -> np.ndarray:
    """Directions on the upper hemisphere → centres of an equal-area (cos θ, φ) grid of about ``cells`` cells."""
    nz = max(1, int(round(np.sqrt(cells / 2))))
    nphi = 2 * nz
    iz = np.minimum((d[:, 2] * nz).astype(np.int64), nz - 1)
    phi = np.mod(np.arctan2(d[:, 1], d[:, 0]), 2 * np.pi)
    ip = np.minimum((phi / (2 * np.pi) * nphi).astype(np.int64), nphi - 1)
    zc = (iz + 0.5) / nz
    pc = (ip + 0.5) / nphi * 2 * np.pi
    r = np.sqrt(np.maximum(0.0, 1 - zc**2))
    return np.stack([r * np.cos(pc), r * np.sin(pc), zc], axis=1)


def _axis_table(labels: np.ndarray, mats: dict[int, Material], counts: np.ndarray, axes: object,
                max_directions: int) -> MaterialTable:
    axes_arr = np.asarray(axes, dtype=np.float64)
    if axes_arr.shape != (3, *labels.shape):
        raise ValueError(f"`axes` must have shape (3, {', '.join(map(str, labels.shape))}) (a direction per voxel), got {axes_arr.shape}")
    C_list: list[np.ndarray] = []
    a_list: list[np.ndarray] = []
    owner: list[int] = []
    flat = labels.ravel()
    index = np.zeros(labels.size, dtype=np.int64)
    for label in (int(k) for k in np.flatnonzero(counts)):
        mat = mats[label]
        where = np.flatnonzero(flat == label)
        if not isinstance(mat, TransverselyIsotropic):
            index[where] = len(C_list)
            C_list.append(mat.C)
            a_list.append(mat.alpha)
            owner.append(label)
            continue
        d = axes_arr.reshape(3, -1)[:, where].T
        norms = np.linalg.norm(d, axis=1)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise ValueError(f"`axes` must hold a finite non-zero direction in every voxel of phase {label}")
        d = _canonical(d)
        dirs, inverse = np.unique(d, axis=0, return_inverse=True)
        if len(dirs) > max_directions:
            dirs, inverse = np.unique(_quantize(d, max_directions), axis=0, return_inverse=True)
        index[where] = len(C_list) + inverse.ravel()
        for direction in dirs:
            turned = mat.with_axis(direction)
            C_list.append(turned.C)
            a_list.append(turned.alpha)
            owner.append(label)
    if len(C_list) > MAX_ENTRIES:
        raise ValueError(f"`axes` give {len(C_list)} distinct materials, more than a uint16 index can address ({MAX_ENTRIES}); "
                         "lower `max_directions`")
    dtype = np.uint8 if len(C_list) <= 256 else np.uint16
    return MaterialTable(index.astype(dtype).reshape(labels.shape), np.array(C_list), np.array(a_list), labels,
                         np.array(owner, dtype=np.int64))
