"""Composite voxels: factor×factor×factor fine voxels → one voxel with a laminate law.

Seed 000 (§2.5, Fig. S25, experimental section) merges 4×4×4 voxels into one *composite voxel*
whose properties come from laminate theory, so that direction-dependent properties stay right
while the solver works on 64× fewer voxels (Kabel, Merkert, Schneider, Andrä, "Use of composite
voxels in FFT-based homogenization", Comput. Methods Appl. Mech. Engrg. 294 (2015)).

Per coarse voxel the C++ kernel (CPU or CUDA, byte-identical) counts the fine labels (exact
phase fractions, ``factor³ + 1`` levels) and, where two or more phases meet, estimates the
interface normal from the fine geometry (the block's summed central-difference gradient of
the phase indicator: the area-weighted mean normal, exact for a plane in the continuum) or,
with ``normals="fibres"``, takes the surface normal of the block's fibre from the generator's
fibre table (radial from the axis, axial at flat end faces).
Normals are quantized onto the integer points of the cube surface ``max|n_i| = K`` (2701
sign-folded directions for ``K = 15``). The distinct (labels, counts, normal) combinations form
a table after the plain materials; every coarse voxel holds a ``uint16`` row index, and the
table rows carry the laminate stiffness and thermal expansion — no 6×6 matrix per voxel.

Laminate rule (any number of phases in a voxel): all phases present are parallel layers with
the one interface normal of the voxel (a rank-one laminate; continuity of in-plane strain and
normal traction). Two phases: exactly the two-phase laminate. Three phases (fibre / matrix /
void): the same rule, which is exact for parallel layers and equals the sequential laminate
of any two of them with the third; for voxels with three or more labels the normal is the
gradient of a stiffness weight ``C_ijij`` of the phases, so it follows the strongest contrast
(the fibre surface, or the free surface of a part). A void layer carries no normal traction, so
any void fraction leaves the voxel only its in-plane (traction-free) stiffness.

When the fibres are known, :func:`voxtwin.fibre_composite_voxels` builds the same object straight
from the fibre table (exact partial volumes, any coarse size, no fine grid; issue 21).

Shapes: every extent must be divisible by ``factor``. Seed 000's 125³ blocks are not: pass
``remainder="crop"`` to drop the last ``n mod factor`` fine layers per axis (125 → 124), or
downsample an assembly of blocks (4 blocks of 125 = 500). Features must be at least ``factor``
voxels thick (seed 000); thinner ones raise a :class:`~voxtwin.errors.ThinFeatureWarning`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy import ndimage

from . import _core
from . import _validate as check
from ._backend import Device, cuda_module, resolve_device
from ._material_table import MaterialTable, check_labels, check_materials
from .composite_laws import mori_tanaka
from .errors import NormalResolutionWarning, ThinFeatureWarning
from .materials import Material
from .phases import phase_counts

__all__ = [
    "CompositeVoxels",
    "Laminate",
    "composite_voxels",
    "laminate",
    "majority_vote",
    "feature_thickness",
    "crop_to_factor",
    "MAX_FACTOR",
    "MAX_TABLE_ENTRIES",
]

#: Largest downsampling factor (the C++ kernel's limit).
MAX_FACTOR = 16
#: Rows a uint16 index can address.
MAX_TABLE_ENTRIES = 65536
#: Labels one composite voxel may hold.
MAX_PHASES_PER_VOXEL = 4

# Integer scale of the stiffness weights of 3+-phase normals: 0.1 % steps, and sums stay exact in float32.
_WEIGHT_SCALE = 1000


class Laminate(NamedTuple):
    """Law of a laminate: ``C`` (6×6 Voigt, GPa) and ``alpha`` (Voigt, 1/K, engineering shears)."""

    C: np.ndarray
    alpha: np.ndarray


def laminate(materials: Sequence[Material], fractions: Sequence[float], normal: Sequence[float]) -> Laminate:
    """Effective law of parallel layers of ``materials`` with volume ``fractions`` and layer ``normal``.

    Continuity of the in-plane strains and the normal tractions across the layers (Milton,
    Theory of Composites, ch. 9); the thermal expansion follows from the same conditions.
    Fractions must be >= 0 and sum to 1; the order of the layers does not matter. With a void
    layer only the in-plane stiffness remains (and ``alpha`` along the normal is the free
    expansion of the solid layers).
    """
    if isinstance(materials, Material) or not isinstance(materials, Sequence):
        raise TypeError(f"`materials` must be a sequence of voxtwin materials, got materials={materials!r}")
    for i, m in enumerate(materials):
        if not isinstance(m, Material):
            raise TypeError(f"`materials[{i}]` must be a voxtwin Material, got {m!r}")
    c = [check.real(f"fractions[{i}]", v) for i, v in enumerate(fractions)]
    n = check.vector3("normal", normal, unit_length=True)
    C, alpha = _core.laminate([m.C for m in materials], [m.alpha for m in materials], c, n)
    return Laminate(np.asarray(C), np.asarray(alpha).reshape(6))


@dataclass(frozen=True, eq=False)
class CompositeVoxels:
    """A downsampled volume: a ``uint16`` index per coarse voxel into a table of laws.

    Rows ``0 .. len(materials) - 1`` are the plain materials (sorted by label; pure coarse voxels
    point at them), the rest distinct laminates. Pass the object to ``vt.homogenize`` /
    ``vt.solve`` wherever a label volume is accepted, with the coarse voxel size
    (:meth:`coarse_voxel_size`; effective properties do not depend on it, displacements do).
    """

    index: np.ndarray
    """Row of every coarse voxel, ``uint16`` [cx, cy, cz]."""
    C: np.ndarray
    """Table stiffness (rows, 6, 6) in GPa; zero for void."""
    alpha: np.ndarray
    """Table thermal expansion (rows, 6) in 1/K (Voigt, engineering shears)."""
    entry_labels: np.ndarray
    """Labels of each row (rows, 4) ``uint8``; unused slots have count 0."""
    entry_counts: np.ndarray
    """Fine voxels of each label per row (rows, 4) ``uint16``; they sum to ``factor**3``."""
    entry_normals: np.ndarray
    """Unit interface normal of each row (rows, 3); zero for the plain materials."""
    factor: int
    fine_shape: tuple[int, int, int]
    """Shape of the fine volume that was downsampled (after cropping)."""
    materials: dict[int, Material] = field(repr=False)
    normal_resolution: int = 15
    """Resolution K of the normal set actually used (lower than asked when the table overflowed)."""
    periodic: bool = True
    quantized_normals: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]
    """Normals (rows, 3) int8 on the cube surface max|n_i| = ``normal_resolution``, as the laminates used them."""
    law: str = "laminate"
    """Law of the mixed rows (:data:`voxtwin.composite_laws.LAWS`); for ``"mori-tanaka"`` and
    ``"spheroids"`` the row directions are fibre axes, not interface normals."""
    aspect: float = float("inf")
    """Inclusion aspect ratio (length / diameter) of the ``"spheroids"`` law."""
    fibre_label: int = 1
    """The inclusion phase of the Mori–Tanaka laws."""

    def __repr__(self) -> str:
        return (f"CompositeVoxels(shape={self.shape}, factor={self.factor}, rows={self.n_entries}, "
                f"mixed={self.mixed_fraction:.1%}, labels={sorted(self.materials)}, "
                f"normal_resolution={self.normal_resolution})")

    @property
    def shape(self) -> tuple[int, int, int]:
        """Coarse grid shape."""
        return tuple(int(s) for s in self.index.shape)  # type: ignore[return-value]

    @property
    def n_entries(self) -> int:
        """Rows of the table (materials + laminates)."""
        return int(self.C.shape[0])

    @property
    def material_rows(self) -> dict[int, int]:
        """Row of each material label."""
        return {label: row for row, label in enumerate(sorted(self.materials))}

    @property
    def mixed_fraction(self) -> float:
        """Share of coarse voxels that are composite (hold two or more labels)."""
        return float(np.count_nonzero(self.index >= len(self.materials)) / self.index.size)

    def coarse_voxel_size(self, voxel_size: float) -> float:
        """Edge of a coarse voxel in µm for fine voxels of ``voxel_size`` µm."""
        return self.factor * check.voxel_size(voxel_size)

    def fractions(self, label: int) -> np.ndarray:
        """Volume fraction of ``label`` in every coarse voxel, float64 [cx, cy, cz]."""
        label = check.integer("label", label, minimum=0)
        per_row = ((self.entry_labels == label) * self.entry_counts).sum(axis=1) / self.factor**3
        return per_row[self.index]

    def normals(self) -> np.ndarray:
        """Unit interface normal of every coarse voxel, float64 [3, cx, cy, cz] (zero where pure)."""
        return np.moveaxis(self.entry_normals[self.index], -1, 0)

    def table(self) -> tuple[np.ndarray, np.ndarray]:
        """``(C, alpha)`` of every row: what a solver looks up per voxel."""
        return self.C, self.alpha

    def dominant_labels(self) -> np.ndarray:
        """The most abundant label of every coarse voxel (smallest on ties), uint8 [cx, cy, cz]."""
        top = np.argmax(self.entry_counts, axis=1)  # slots are sorted by label: ties go to the smaller
        return self.entry_labels[np.arange(len(top)), top][self.index]

    def with_materials(self, materials: Mapping[int, Material]) -> CompositeVoxels:
        """The same geometry (fractions, normals, index) with the laminate laws of other ``materials``.

        ``materials`` must cover every label the composite voxels were built with (others are
        ignored). The normals of voxels with three or more labels keep the stiffness weights of the
        materials they were estimated with.
        """
        given = _materials(materials, sorted(self.materials))
        mats = {label: given[label] for label in self.materials}
        rows = sorted(mats)
        C_by_label, alpha_by_label = _laws_by_label(mats)
        m = len(rows)
        C, alpha = _row_laws(self.law, self.aspect, self.fibre_label, self.entry_labels[m:], self.entry_counts[m:],
                             self.quantized_normals[m:], self.factor, mats)
        return replace(self, C=np.concatenate([C_by_label[rows], C]),
                       alpha=np.concatenate([alpha_by_label[rows], alpha]), materials=mats)

    def material_table(self, materials: Mapping[int, Material]) -> MaterialTable:
        """The solver's input (:class:`voxtwin._material_table.MaterialTable`): this index and table.

        Called by ``vt.homogenize`` / ``vt.solve``. With ``materials`` other than those the
        composite voxels were built with, the laminates are recomputed (:meth:`with_materials`).
        ``phases`` (for per-phase statistics) is the dominant label of each coarse voxel;
        ``label_of_entry`` the label of the plain-material rows and -1 for laminates.
        """
        cv = self if _same_materials(materials, self.materials) else self.with_materials(materials)
        owner = np.full(cv.n_entries, -1, dtype=np.int64)
        owner[: len(cv.materials)] = sorted(cv.materials)
        return MaterialTable(cv.index, cv.C, cv.alpha, cv.dominant_labels(), owner)

    def plot(self, labels: np.ndarray | None = None, *, label: int = 1, axis: str = "z", index: int | None = None,
             axes: Any = None) -> Any:
        """A slice through the coarse grid: the fraction of ``label`` per composite voxel with the
        in-plane part of the interface normals; with the fine ``labels``, also the fine slice and
        the majority vote beside it (matplotlib, ``viz`` extra). ``index`` is the coarse slice
        (default: the middle one). Returns the axes."""
        from ._plot import pyplot

        a = "xyz".index(check.choice("axis", axis, ("x", "y", "z")))
        k = self.shape[a] // 2 if index is None else check.integer("index", index, minimum=0)
        if k >= self.shape[a]:
            raise ValueError(f"`index` must be < {self.shape[a]} along {axis}, got index={index!r}")
        in_plane = [i for i in range(3) if i != a]
        panels = 1 if labels is None else 3
        plt = pyplot()
        if axes is None:
            _, axes = plt.subplots(1, panels, figsize=(4.2 * panels, 4), squeeze=False)
            axes = axes[0]
        axes = np.atleast_1d(axes)
        extent = (0, self.fine_shape[in_plane[0]], 0, self.fine_shape[in_plane[1]])
        names = "xyz"
        if labels is not None:
            fine = _fit_shape(check_labels(labels), self.factor, "crop", "labels")
            if fine.shape != self.fine_shape:
                raise ValueError(f"`labels` must have the fine shape {self.fine_shape}, got {labels.shape}")
            mid = k * self.factor + self.factor // 2
            axes[0].imshow(np.take(fine, mid, axis=a).T, origin="lower", extent=extent, interpolation="nearest")
            axes[0].set_title(f"fine labels, {names[a]} = {mid}")
            majority = np.take(majority_vote(fine, self.factor, device="cpu"), k, axis=a)
            axes[1].imshow(majority.T, origin="lower", extent=extent, interpolation="nearest")
            axes[1].set_title("majority vote")
        ax = axes[-1]
        fraction = np.take(self.fractions(label), k, axis=a)
        image = ax.imshow(fraction.T, origin="lower", extent=extent, vmin=0, vmax=1, cmap="viridis",
                          interpolation="nearest")
        normals = np.take(self.normals(), k, axis=1 + a)
        centres = [(np.arange(self.shape[i]) + 0.5) * self.factor for i in in_plane]
        U, V = np.meshgrid(*centres, indexing="ij")
        nu, nv = normals[in_plane[0]], normals[in_plane[1]]
        mixed = np.hypot(nu, nv) > 0
        ax.quiver(U[mixed], V[mixed], nu[mixed], nv[mixed], color="w", pivot="mid", angles="xy", scale_units="xy",
                  scale=1.0 / (0.8 * self.factor), headwidth=1, headlength=0, headaxislength=0)
        ax.set_title(f"fraction of label {label}, normals")
        plt.colorbar(image, ax=ax, shrink=0.8)
        for each in axes:
            each.set_xlabel(f"{names[in_plane[0]]} (fine voxels)")
            each.set_ylabel(f"{names[in_plane[1]]} (fine voxels)")
        return axes

    @property
    def nbytes(self) -> int:
        """Memory of the index volume and the table."""
        return int(self.index.nbytes + self.C.nbytes + self.alpha.nbytes)


def _factor(factor: object) -> int:
    f = check.integer("factor", factor, minimum=1)
    if f > MAX_FACTOR:
        raise ValueError(f"`factor` must be in [1, {MAX_FACTOR}], got factor={factor!r}")
    return f


def crop_to_factor(volume: np.ndarray, factor: int) -> np.ndarray:
    """The largest leading sub-volume whose extents are multiples of ``factor`` (125³, 4 → 124³).

    Cropping a periodic block breaks its periodicity by up to ``factor - 1`` voxels at the seam.
    """
    f = _factor(factor)
    shape = tuple(s - s % f for s in volume.shape[:3])
    if any(s == 0 for s in shape):
        raise ValueError(f"a volume of shape {volume.shape} is smaller than factor={f} along some axis")
    return np.ascontiguousarray(volume[: shape[0], : shape[1], : shape[2]])


def _fit_shape(volume: np.ndarray, factor: int, remainder: str, name: str) -> np.ndarray:
    if all(s % factor == 0 for s in volume.shape):
        return np.ascontiguousarray(volume)
    if remainder == "crop":
        return crop_to_factor(volume, factor)
    cropped = tuple(s - s % factor for s in volume.shape)
    raise ValueError(
        f"the shape of `{name}` {volume.shape} is not divisible by factor={factor}: pass remainder='crop' "
        f"to use the leading {cropped} voxels, or downsample a larger assembly whose extents are multiples"
    )


def _materials(materials: object, present: Sequence[int]) -> dict[int, Material]:
    """``{label: Material}`` (the solver's checks) holding every label in ``present``."""
    mats = check_materials(dict(materials) if isinstance(materials, Mapping) else materials)
    missing = sorted(set(present) - set(mats))
    if missing:
        raise ValueError(f"labels {missing} occur in `labels` but have no entry in `materials` (keys {sorted(mats)})")
    return mats


def _laws_by_label(materials: Mapping[int, Material]) -> tuple[np.ndarray, np.ndarray]:
    """Stiffness (256, 6, 6) and CTE (256, 6) indexed by label (zero where no material)."""
    C = np.zeros((256, 6, 6))
    alpha = np.zeros((256, 6))
    for label, mat in materials.items():
        C[label] = mat.C
        alpha[label] = mat.alpha
    return C, alpha


def _same_materials(given: Mapping[int, Material], built: Mapping[int, Material]) -> bool:
    """True when ``given`` has the laws of ``built`` for all of its labels (extra labels do not matter)."""
    if not isinstance(given, Mapping) or not set(built) <= set(given):
        return False
    return all(isinstance(given[k], Material) and np.array_equal(given[k].C, built[k].C)
               and np.array_equal(given[k].alpha, built[k].alpha) for k in built)


def _stiffness_weights(materials: Mapping[int, Material]) -> np.ndarray:
    """Integer weights w(label) ∝ C_ijij (rotation invariant) for the normals of 3+-phase voxels."""
    raw = np.zeros(256)
    for label, mat in materials.items():
        C = mat.C
        raw[label] = np.trace(C[:3, :3]) + 2.0 * np.trace(C[3:, 3:])
    top = raw.max()
    scaled = np.zeros(256) if top <= 0 else np.rint(raw / top * _WEIGHT_SCALE)
    return scaled.astype(np.int32)


def _fibre_axes(fibres: object, voxel_size: float) -> tuple[tuple[np.ndarray, ...], bool]:
    """Fibre table (µm) → (centres, directions (n, 3) [, segment half-lengths, radii (n,)]) in fine
    voxels, and whether the fibres are spherocylinders (``fibre_shape`` / ``"shape"``)."""

    def column(name: str, width: int, required: bool = True) -> np.ndarray | None:
        if isinstance(fibres, Mapping) and name in fibres:
            value = fibres[name]
        elif not isinstance(fibres, Mapping) and hasattr(fibres, name):
            value = getattr(fibres, name)  # an object, or a DataFrame column
        elif required:
            raise ValueError(f"`fibres` must provide {name!r} in µm, got {type(fibres).__name__}")
        else:
            return None
        arr = np.asarray(value)
        if arr.dtype == object:
            arr = np.stack([np.asarray(v, dtype=np.float64) for v in arr])
        arr = np.asarray(arr, dtype=np.float64)
        shape_ok = arr.ndim == 2 and arr.shape[1] == width if width > 1 else arr.ndim == 1
        if not shape_ok or not np.all(np.isfinite(arr)):
            want = f"(n, {width})" if width > 1 else "(n,)"
            raise ValueError(f"`fibres[{name!r}]` must be a finite {want} array, got shape {arr.shape}")
        return np.ascontiguousarray(arr)

    centres, directions = column("centre", 3), column("direction", 3)
    lengths, diameters = column("length", 1, False), column("diameter", 1, False)
    assert centres is not None and directions is not None
    n = len(centres)
    if len(directions) != n or any(c is not None and len(c) != n for c in (lengths, diameters)):
        raise ValueError("`fibres` columns centre, direction (and length, diameter) must have one row per fibre")
    if (lengths is None) != (diameters is None):
        raise ValueError("`fibres` must give both 'length' and 'diameter' (for the end caps) or neither")
    if isinstance(fibres, Mapping):
        shape = fibres.get("shape", "cylinder")
    else:
        shape = getattr(fibres, "fibre_shape", "cylinder")
    rounded = check.choice("fibre shape", shape, ("cylinder", "spherocylinder")) == "spherocylinder"
    out: tuple[np.ndarray, ...] = (np.ascontiguousarray(centres / voxel_size), directions)
    if lengths is not None and diameters is not None:
        # Half-length of the axis segment: L/2 for cylinders, (L - d)/2 for spherocylinders (tip to tip).
        segment = (lengths - diameters) if rounded else lengths
        out += (np.ascontiguousarray(segment / (2 * voxel_size)), np.ascontiguousarray(diameters / (2 * voxel_size)))
    return out, rounded


def composite_voxels(
    labels: np.ndarray,
    factor: int = 4,
    *,
    materials: Mapping[int, Material],
    normals: Literal["geometry", "fibres"] = "geometry",
    instances: np.ndarray | None = None,
    fibres: Any = None,
    voxel_size: float | None = None,
    periodic: bool = True,
    remainder: Literal["error", "crop"] = "error",
    normal_resolution: int = 15,
    check_features: bool = True,
    device: Device = "auto",
) -> CompositeVoxels:
    """Downsample a label volume into composite voxels (laminate laws from fractions and normals).

    Parameters
    ----------
    labels : uint8 [x, y, z] phase labels; every extent a multiple of ``factor`` (or ``remainder="crop"``).
    factor : fine voxels per coarse voxel along each axis (seed 000: 4), 1..16.
    materials : ``{label: Material}`` for every label present, e.g.
        ``{0: lib["pla"], 1: lib["basalt_fibre"], 2: vt.VOID}``.
    normals : ``"geometry"`` — from the fine labels (summed central-difference gradient of the
        phase indicator, 1-voxel halo); ``"fibres"`` — the surface normal of the fibre holding most
        of the voxel: radial from its axis (exact for cylinders), axial near its end caps when the
        table gives ``length`` and ``diameter``. Needs ``instances`` (uint32 fibre instance labels,
        0 = none, instance ``i`` ↔ row ``i - 1`` of ``fibres``), ``fibres`` (a
        :class:`~voxtwin.FibreTable` such as ``twin.fibres``, or a mapping / object with ``centre``
        (axis midpoint) and ``direction`` (n, 3), optionally ``length`` and ``diameter`` (n,) in µm
        and ``shape`` ``"cylinder"`` / ``"spherocylinder"``; voxel ``(i, j, k)`` spans
        ``[i h, (i+1) h)``) and ``voxel_size`` ``h`` in µm (``twin.voxel_size``). Voxels without a
        listed fibre use the geometry.
    periodic : wrap the 1-voxel halo of boundary voxels around the volume (FFT cells are periodic); else clamp.
    remainder : ``"error"`` when an extent is not a multiple of ``factor``; ``"crop"`` to drop the remainder.
    normal_resolution : K of the direction set (12 K² + 1 directions, K ≤ 64). Lowered, with a
        :class:`~voxtwin.errors.NormalResolutionWarning`, when the table would exceed 65536 rows.
    check_features : estimate the feature thickness of every phase but the most abundant one
        (:func:`feature_thickness`) and warn (:class:`~voxtwin.errors.ThinFeatureWarning`) when
        it is below ``factor``.
    device : ``"auto"``, ``"cpu"`` or ``"cuda"`` for the downsampling kernel (the table is built on the CPU).

    Returns a :class:`CompositeVoxels`; at most 4 different labels per coarse voxel.
    """
    labels = check_labels(labels)
    f = _factor(factor)
    normals = check.choice("normals", normals, ("geometry", "fibres"))  # type: ignore[assignment]
    remainder = check.choice("remainder", remainder, ("error", "crop"))  # type: ignore[assignment]
    resolution = check.integer("normal_resolution", normal_resolution, minimum=1)
    if resolution > 64:
        raise ValueError(f"`normal_resolution` must be in [1, 64], got normal_resolution={normal_resolution!r}")
    if not isinstance(periodic, bool):
        raise TypeError(f"`periodic` must be a bool, got periodic={periodic!r}")
    backend = cuda_module() if resolve_device(device) == "cuda" else _core

    fine = _fit_shape(labels, f, remainder, "labels")
    counts = phase_counts(fine, device="cpu")
    mats = _materials(materials, list(counts))

    inst = None
    axes: tuple[np.ndarray, ...] = ()
    rounded = False
    if normals == "fibres":
        if instances is None or fibres is None or voxel_size is None:
            raise ValueError("normals='fibres' needs `instances`, `fibres` and `voxel_size`")
        if not isinstance(instances, np.ndarray) or instances.dtype != np.uint32:
            got = getattr(instances, "dtype", type(instances).__name__)
            raise TypeError(f"`instances` must be a numpy array of dtype uint32, got {got}")
        if instances.shape != labels.shape:
            raise ValueError(f"`instances` must have the shape of `labels` {labels.shape}, got {instances.shape}")
        inst = _fit_shape(instances, f, remainder, "instances")
        axes, rounded = _fibre_axes(fibres, check.voxel_size(voxel_size))

    cells = backend.composite_cells(fine, f, periodic, _stiffness_weights(mats), inst, *axes, rounded=rounded)
    cv = _from_cells(cells, f, fine.shape, mats, resolution, periodic)
    if check_features:
        _warn_thin_features(fine, f, mats)
    return cv


def _row_laws(law: str, aspect: float, fibre_label: int, e_labels: np.ndarray, e_counts: np.ndarray,
              e_normals: np.ndarray, f: int, mats: Mapping[int, Material]) -> tuple[np.ndarray, np.ndarray]:
    """Stiffness (k, 6, 6) and CTE (k, 6) of the mixed table rows under ``law``."""
    if law == "laminate":
        C_by_label, alpha_by_label = _laws_by_label(mats)
        return _core.composite_laminates(e_labels, e_counts, e_normals, f, C_by_label, alpha_by_label)
    others = sorted(set(mats) - {fibre_label})
    if fibre_label not in mats or len(others) != 1:
        raise ValueError(f"law={law!r} needs exactly two phases, the fibre (label {fibre_label}) and a matrix, "
                         f"got labels {sorted(mats)}")
    fractions = ((e_labels == fibre_label) * e_counts).sum(axis=1) / f**3
    return mori_tanaka(mats[others[0]], mats[fibre_label], fractions, e_normals.astype(np.float64),
                       np.inf if law == "mori-tanaka" else aspect, double_inclusion=law == "double-inclusion")


def _from_cells(cells: np.ndarray, f: int, fine_shape: Sequence[int], mats: Mapping[int, Material], resolution: int,
                periodic: bool, law: str = "laminate", aspect: float = float("inf"),
                fibre_label: int = 1) -> CompositeVoxels:
    """The table of distinct (labels, counts, direction) cells with their laws (both routes)."""
    rows = sorted(mats)
    row_of_label = np.full(256, -1, dtype=np.int32)
    row_of_label[rows] = np.arange(len(rows), dtype=np.int32)
    index, e_labels, e_counts, e_normals, used = _core.composite_table(
        cells, row_of_label, len(rows), resolution, MAX_TABLE_ENTRIES
    )
    del cells
    if used < resolution:
        warnings.warn(
            f"composite voxels would need more than {MAX_TABLE_ENTRIES} table rows with normal_resolution="
            f"{resolution}: interface normals quantized with resolution {used} instead ({12 * used * used + 1} "
            f"directions, {len(rows) + len(e_labels)} rows)",
            NormalResolutionWarning,
            stacklevel=3,
        )

    C_by_label, alpha_by_label = _laws_by_label(mats)
    lam_C, lam_alpha = _row_laws(law, aspect, fibre_label, e_labels, e_counts, e_normals, f, mats)

    m = len(rows)
    plain_labels = np.zeros((m, MAX_PHASES_PER_VOXEL), dtype=np.uint8)
    plain_labels[:, 0] = rows
    plain_counts = np.zeros((m, MAX_PHASES_PER_VOXEL), dtype=np.uint16)
    plain_counts[:, 0] = f**3
    unit = e_normals.astype(np.float64)
    norms = np.linalg.norm(unit, axis=1, keepdims=True)
    unit = np.divide(unit, norms, out=np.zeros_like(unit), where=norms > 0)
    cv = CompositeVoxels(
        index=index,
        C=np.concatenate([C_by_label[rows], lam_C]),
        alpha=np.concatenate([alpha_by_label[rows], lam_alpha]),
        entry_labels=np.concatenate([plain_labels, e_labels]),
        entry_counts=np.concatenate([plain_counts, e_counts]),
        entry_normals=np.concatenate([np.zeros((m, 3)), unit]),
        factor=f,
        fine_shape=tuple(int(s) for s in fine_shape),  # type: ignore[arg-type]
        materials=dict(mats),
        normal_resolution=int(used),
        periodic=periodic,
        quantized_normals=np.concatenate([np.zeros((m, 3), np.int8), e_normals]),
        law=law,
        aspect=float(aspect),
        fibre_label=int(fibre_label),
    )
    return cv


def majority_vote(
    labels: np.ndarray, factor: int = 4, *, remainder: Literal["error", "crop"] = "error", device: Device = "auto"
) -> np.ndarray:
    """Plain downsampling: the most frequent label of every block (smallest label on ties), uint8.

    The baseline that composite voxels improve on: a coarse voxel takes one phase whole, so
    fractions and interface orientations are lost.
    """
    labels = check_labels(labels)
    f = _factor(factor)
    remainder = check.choice("remainder", remainder, ("error", "crop"))  # type: ignore[assignment]
    backend = cuda_module() if resolve_device(device) == "cuda" else _core
    return np.asarray(backend.majority_vote(_fit_shape(labels, f, remainder, "labels"), f))


def _windows(
    shape: tuple[int, ...], max_voxels: int, window: int, margin: int
) -> list[tuple[tuple[slice, ...], tuple[slice, ...]]]:
    """Sub-volumes for the thickness estimate: the whole volume when small, else 8 windows with an inner core."""
    if int(np.prod(shape)) <= max_voxels:
        whole = tuple(slice(0, s) for s in shape)
        return [(whole, tuple(slice(0, s) for s in shape))]
    out = []
    for corner in np.ndindex(2, 2, 2):
        outer, inner = [], []
        for axis, s in enumerate(shape):
            w = min(window, s)
            start = int(round((s - w) * (0.25 + 0.5 * corner[axis])))
            outer.append(slice(start, start + w))
            m = margin if w > 2 * margin else 0
            inner.append(slice(m, w - m))
        out.append((tuple(outer), tuple(inner)))
    return out


def feature_thickness(
    labels: np.ndarray, *, max_voxels: int = 2**18, window: int = 64, margin: int = 8
) -> dict[int, float]:
    """Typical thickness in voxels of every phase but the most abundant one (the matrix).

    Estimate: twice the Euclidean distance transform of the phase on its medial ridge (voxels
    where the distance is a local maximum), 75th percentile over the ridge. On rasterized
    cylinders this gives 2.8 for diameter 3, 4.0 for diameter 4 and 4.0–4.9 for diameter 5, with
    random or axis-aligned fibres alike. Volumes above ``max_voxels`` are sampled in 8 windows of
    ``window³`` voxels (about 0.3 s per phase), ridges counted ``margin`` voxels inside the window
    borders, so thicknesses up to about ``2 margin`` are measured (thicker ones read at least
    that); a phase absent from every window gets no estimate.
    """
    labels = check_labels(labels)
    counts = phase_counts(labels, device="cpu")
    majority = max(counts, key=lambda k: (counts[k], -k))
    out: dict[int, float] = {}
    for label in sorted(counts):
        if label == majority:
            continue
        ridge_values = []
        for outer, inner in _windows(labels.shape, max_voxels, window, margin):
            mask = labels[outer] == label
            if not mask.any():
                continue
            edt = ndimage.distance_transform_edt(mask)
            ridge = mask & (edt == ndimage.maximum_filter(edt, size=3))
            ridge_values.append(2.0 * edt[inner][ridge[inner]])
        values = np.concatenate(ridge_values) if ridge_values else np.empty(0)
        if values.size:
            out[label] = float(np.percentile(values, 75))
    return out


def _warn_thin_features(labels: np.ndarray, factor: int, materials: Mapping[int, Material]) -> None:
    if factor == 1:
        return
    # 0.25 voxel of slack: the estimate is exactly 4.0 for 4-voxel cylinders and 2.8 to 3.5 for thinner ones.
    for label, thickness in feature_thickness(labels).items():
        if thickness < factor - 0.25:
            name = materials[label].name or f"label {label}"
            warnings.warn(
                f"phase {label} ({name}): features about {thickness:.1f} voxels thick, thinner than factor={factor}; "
                f"composite voxels need features of at least {factor} voxels (seed 000): use a smaller factor "
                "or a finer voxel size",
                ThinFeatureWarning,
                stacklevel=3,
            )
