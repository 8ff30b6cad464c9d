"""Composite voxels straight from the fibre table: no fine grid, any coarse voxel size.

The voxel route (:func:`voxtwin.composite_voxels`) merges ``factor³`` fine voxels of a label
volume, so its fractions and normals carry the fine grid's own picture of every fibre (a 15 µm
fibre at 4 µm voxels is 3.75 voxels across). When the fibres are known — a generated twin's
``twin.fibres``, the fibre tables of an assembly — each coarse voxel can be computed from the
cylinders themselves (issue 21):

* **partial volume**: a fixed midpoint quadrature of ``points³`` sub-points per coarse voxel,
  each tested with the rasterizer's inside test (C++, ``cpp/src/fibre_composite.cpp``), summed
  over the fibres (clamped at a full voxel); ``points = 16`` at 16 µm tests every 1 µm;
* **interface normal**: the surface normal of the fibre holding most of the voxel at the point
  nearest to the voxel centre (radial from the axis on the mantle, along the axis at a flat end).

The cells go through the same table as the voxel route, with the law chosen by ``law`` (the
laminate of the voxel route, or a Mori–Tanaka law along the fibre axis,
:mod:`voxtwin.composite_laws`; issue 21 adopted the double-inclusion law), so the result is a
:class:`~voxtwin.CompositeVoxels` any solver call accepts; its ``factor`` is the quadrature
``points`` and its ``fine_shape`` the sub-point grid (no volume of that size is ever allocated).
Chunks: pass the chunk's ``origin`` (µm, its outer corner in the fibres' frame) with
``periodic=False``; only fibres reaching into the chunk cost anything, and the chunks of a
non-periodic volume give the cells of the whole (see :func:`fibre_composite_chunks`).
The voxel route stays for scans, where no fibre table exists.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from . import _core
from . import _validate as check
from ._backend import Device, cuda_module, resolve_device
from ._material_table import check_materials
from .composite import CompositeVoxels, _from_cells
from .composite_laws import LAWS
from .fibre_table import FibreTable
from .materials import Material

__all__ = ["fibre_composite_voxels", "fibre_composite_chunks", "MAX_POINTS"]

#: Largest quadrature, points per coarse-voxel edge (``points³`` fits a uint16 count).
MAX_POINTS = 16


def fibre_composite_voxels(
    fibres: FibreTable,
    shape: Sequence[int],
    voxel_size: float,
    *,
    materials: Mapping[int, Material],
    points: int = MAX_POINTS,
    origin: Sequence[float] = (0.0, 0.0, 0.0),
    periodic: bool = True,
    matrix_label: int = 0,
    fibre_label: int = 1,
    normal_resolution: int = 15,
    law: str = "double-inclusion",
    aspect: float | None = None,
    device: Device = "auto",
) -> CompositeVoxels:
    """Composite voxels of a coarse grid computed from the fibres' exact cylinders.

    Parameters
    ----------
    fibres : the fibres (:class:`~voxtwin.FibreTable`, µm, e.g. ``twin.fibres``).
    shape : coarse voxels along X, Y, Z.
    voxel_size : edge of a coarse voxel in µm (e.g. 16, 8, 32); coarse voxel ``(i, j, k)`` spans
        ``origin + [i h, (i + 1) h) × …``.
    materials : ``{label: Material}`` for ``matrix_label`` and ``fibre_label``.
    points : quadrature points per coarse-voxel edge, 1..16 (partial volumes in steps of
        ``1 / points³``).
    origin : outer corner of the grid in the fibres' frame (µm); a chunk of a larger volume.
    periodic : the grid is a periodic cell (fibres wrap across its faces; a generated twin) or
        cut at its faces (a chunk of an assembly).
    matrix_label, fibre_label : labels of the two phases (their rows in the table).
    normal_resolution : K of the quantized normal set (as :func:`~voxtwin.composite_voxels`).
    law : law of the mixed voxels: ``"double-inclusion"`` (default, adopted in issue 21: Lielens'
        interpolation between Mori–Tanaka and its inverse for spheroids of the fibres' aspect ratio,
        along the dominant fibre's axis), ``"laminate"`` (the interface normal; as the voxel
        route), ``"mori-tanaka"`` (aligned cylinders) or ``"spheroids"`` (Mori–Tanaka of aligned
        prolate spheroids of ``aspect``); see :mod:`voxtwin.composite_laws`.
    aspect : length / diameter of the inclusions of the ``"spheroids"`` and ``"double-inclusion"``
        laws; default the table's median length / diameter (tip to tip for spherocylinders).
    device : ``"auto"``, ``"cpu"`` or ``"cuda"`` for the cells (byte-identical; the table and laws
        are built on the CPU).

    Returns a :class:`~voxtwin.CompositeVoxels` with ``factor = points``.
    """
    if not isinstance(fibres, FibreTable):
        raise TypeError(f"`fibres` must be a voxtwin FibreTable, got {type(fibres).__name__}")
    grid = check.shape3("shape", shape)
    h = check.voxel_size(voxel_size)
    p = check.integer("points", points, minimum=1)
    if p > MAX_POINTS:
        raise ValueError(f"`points` must be in [1, {MAX_POINTS}], got points={points!r}")
    corner = np.array([check.real(f"origin[{i}]", v, "µm") for i, v in enumerate(origin)], dtype=np.float64)
    if corner.shape != (3,):
        raise ValueError(f"`origin` must hold 3 coordinates in µm, got origin={origin!r}")
    if not isinstance(periodic, bool):
        raise TypeError(f"`periodic` must be a bool, got periodic={periodic!r}")
    m_label = check.integer("matrix_label", matrix_label, minimum=0)
    f_label = check.integer("fibre_label", fibre_label, minimum=0)
    if m_label > 255 or f_label > 255 or m_label == f_label:
        raise ValueError(f"`matrix_label` and `fibre_label` must be different labels in [0, 255], got "
                         f"matrix_label={matrix_label!r}, fibre_label={fibre_label!r}")
    resolution = check.integer("normal_resolution", normal_resolution, minimum=1)
    if resolution > 64:
        raise ValueError(f"`normal_resolution` must be in [1, 64], got normal_resolution={normal_resolution!r}")
    mats = check_materials(dict(materials) if isinstance(materials, Mapping) else materials)
    missing = sorted({m_label, f_label} - set(mats))
    if missing:
        raise ValueError(f"`materials` must give the laws of labels {missing} (keys {sorted(mats)})")
    mats = {m_label: mats[m_label], f_label: mats[f_label]}
    law = check.choice("law", law, LAWS)
    if aspect is None:
        aspect = float(np.median(fibres.length / fibres.diameter)) if len(fibres) else np.inf
    else:
        aspect = check.real("aspect", aspect)
        if not aspect > 1.0:
            raise ValueError(f"`aspect` must be > 1 (a prolate spheroid), got aspect={aspect!r}")

    backend = cuda_module() if resolve_device(device) == "cuda" else _core
    cells = backend.fibre_composite_cells(
        np.ascontiguousarray(fibres.centre - corner), fibres.direction, fibres.length, fibres.diameter,
        fibres.fibre_shape, grid, h, periodic, p, m_label, f_label, law != "laminate")
    return _from_cells(cells, p, tuple(s * p for s in grid), mats, resolution, periodic, law, aspect, f_label)


def fibre_composite_chunks(
    fibres: FibreTable,
    shape: Sequence[int],
    voxel_size: float,
    chunk: int,
    *,
    materials: Mapping[int, Material],
    points: int = MAX_POINTS,
    origin: Sequence[float] = (0.0, 0.0, 0.0),
    **options: object,
) -> Iterator[tuple[tuple[int, int, int], CompositeVoxels]]:
    """The composite voxels of a non-periodic coarse grid, ``chunk³`` coarse voxels at a time.

    Yields ``(corner, composite voxels)`` with ``corner`` the chunk's first coarse voxel; each
    chunk is :func:`fibre_composite_voxels` of the fibres that reach into it (bounding boxes),
    so memory follows the chunk, never the whole grid. ``options`` go to
    :func:`fibre_composite_voxels` (not ``periodic``: chunks are cut at their faces).
    """
    grid = check.shape3("shape", shape)
    h = check.voxel_size(voxel_size)
    c = check.integer("chunk", chunk, minimum=1)
    if "periodic" in options:
        raise TypeError("fibre_composite_chunks() cuts chunks at their faces: do not pass `periodic`")
    base = np.asarray(origin, dtype=np.float64)
    ends = fibres.endpoints() if len(fibres) else np.zeros((0, 2, 3))
    reach = (fibres.diameter / 2)[:, None] if len(fibres) else np.zeros((0, 1))
    lo = ends.min(axis=1) - reach
    hi = ends.max(axis=1) + reach
    for corner in np.ndindex(*(-(-n // c) for n in grid)):
        first = tuple(int(k) * c for k in corner)
        size = tuple(min(c, n - f) for n, f in zip(grid, first))
        a = base + np.asarray(first) * h
        b = a + np.asarray(size) * h
        keep = np.all((hi >= a) & (lo <= b), axis=1)
        yield first, fibre_composite_voxels(fibres[keep], size, h, materials=materials, points=points,
                                            origin=tuple(a), periodic=False, **options)  # type: ignore[arg-type]
