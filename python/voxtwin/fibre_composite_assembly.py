"""Composite voxels of an assembly from its fibre tables, chunk by chunk, no fine grid (issue 21).

An assembly's voxels are its blocks' periodic twins, turned and pasted cell by cell: a fibre that
leaves a block re-enters at the block's opposite face and never crosses into the neighbour. Its
fibre table (:mod:`voxtwin.assemble.fibres`) therefore clips every cylinder to its owner cell.
The coarse grid (voxel size ``H``, any value: 8, 16, 32 µm) need not align with the blocks, so
per chunk and per overlapping cell:

* coarse voxels **inside** the cell's box take the cell's fibres alone: the C++ quadrature of
  :func:`voxtwin.fibre_composite_voxels` (``points³`` sub-points, the dominant fibre's normal or
  axis) is exact for them;
* coarse voxels **cut by a block face** get their fibre sub-points cell by cell, each cell
  counting only the sub-points inside its box: the same quadrature run on the face slab at a grid
  whose voxels are ``m`` sub-points wide (``m`` the largest divisor of ``points`` that makes the
  block faces fall on voxel faces; 1 always works), summed per coarse voxel. The partial volume is
  therefore exactly the quadrature's (the same sub-points, each owned by one cell). The normal
  (or axis) is that of the dominant fibre of the cell holding most of the voxel's fibre points,
  as that cell's quadrature picks it; when that cell's own picture of the voxel is pure (its
  fibres, uncut, would fill it) the next cell's is used, else the block face's normal — the
  interface there *is* the face (laminate law) — or the cell's fibre direction (axis laws).

Chunks are merged by :func:`voxtwin.fibre_composite.merge_composite_chunks`. Voids are not on
this route: an air cell in the region (a G-code layout's) would need a three-phase law, so it is
refused; use the voxel route (:func:`voxtwin.composite_voxels` of the assembly's labels).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from . import _core
from . import _validate as check
from ._backend import Device, cuda_module, resolve_device
from ._progress import progress as progress_iter
from .assemble import Assembly
from .assemble.fibres import FibreCache, assembly_fibres, block_fibres, region_box
from .composite import CompositeVoxels, _from_cells
from .fibre_composite import (DEFAULT_LAW, MAX_POINTS, check_aspect, check_cell_options, equal_volume_aspects,
                              merge_composite_chunks)
from .fibre_table import FibreTable
from .materials import Material

__all__ = ["fibre_composite_assembly", "fibre_composite_assembly_chunks"]

_CELL = np.dtype([("label", "u1", (4,)), ("count", "<u2", (4,)), ("normal", "<f4", (3,))])
_TOL = 1e-9  # relative slack when a block face is compared with coarse-voxel faces (µm / µm)


def _fibre_count(cells: np.ndarray, fibre_label: int) -> np.ndarray:
    """Sub-points inside fibres per cell of the kernel's output (uint8 (..., 24))."""
    v = cells.view(_CELL)[..., 0]
    return np.where(v["label"] == fibre_label, v["count"], 0).sum(axis=-1).astype(np.int64)


def _kernel(backend: Any, fibres: FibreTable, shape: Sequence[int], h: float, origin: np.ndarray, points: int,
            m_label: int, f_label: int, axes: bool) -> np.ndarray:
    """Raw composite cells (uint8 (..., 24)) of a non-periodic grid at ``origin`` (µm)."""
    return np.asarray(backend.fibre_composite_cells(
        np.ascontiguousarray(fibres.centre - origin), fibres.direction, fibres.length, fibres.diameter,
        fibres.fibre_shape, tuple(int(s) for s in shape), float(h), False, int(points), m_label, f_label, axes))


def _index_range(lo_um: float, hi_um: float, start_um: float, step: float, n: int) -> tuple[int, int, int, int]:
    """For steps [start + j step, start + (j+1) step), j in [0, n): the range [j0, j1) meeting
    [lo_um, hi_um) and the range [i0, i1) lying inside it."""
    a, b = (lo_um - start_um) / step, (hi_um - start_um) / step
    ra, rb = round(a), round(b)
    a = ra if abs(a - ra) < _TOL * max(1.0, abs(a)) else a
    b = rb if abs(b - rb) < _TOL * max(1.0, abs(b)) else b
    j0, j1 = max(0, math.floor(a)), min(n, math.ceil(b))
    i0, i1 = max(0, math.ceil(a)), min(n, math.floor(b))
    return j0, j1, i0, max(i0, i1)


def _sub_range(lo_um: float, hi_um: float, start_um: float, s: float) -> tuple[int, int, bool]:
    """Sub-points (centres start + (k + 0.5) s) inside [lo_um, hi_um): [k0, k1), and whether both
    bounds fall on sub-point faces (integers in units of s)."""
    a, b = (lo_um - start_um) / s, (hi_um - start_um) / s
    ra, rb = round(a), round(b)
    aligned = abs(a - ra) < _TOL * max(1.0, abs(a)) and abs(b - rb) < _TOL * max(1.0, abs(b))
    if aligned:
        return int(ra), int(rb), True
    return math.ceil(a - 0.5), math.ceil(b - 0.5), False


def _chunk_cells(asm: Assembly, corner: tuple[int, int, int], size: tuple[int, int, int], h: float,
                 origin: np.ndarray, p: int, m_label: int, f_label: int, axes: bool, backend: Any,
                 cache: FibreCache) -> np.ndarray:
    """The composite cells (uint8 (..., 24)) of one chunk, cell by cell (see the module docstring)."""
    full = p**3
    s = h / p
    a = origin + np.asarray(corner, dtype=np.float64) * h  # the chunk's outer corner (µm)
    b = a + np.asarray(size, dtype=np.float64) * h
    box = np.asarray(asm.library.block_size_um, dtype=np.float64)
    fibres = assembly_fibres(asm, (a, b), cache=cache)
    count = np.zeros(size, dtype=np.int64)
    normal = np.zeros(size + (3,), dtype=np.float32)
    # Cut voxels: the best (count, normal) so far and the face axis that cuts them.
    best = np.full(size, -1, dtype=np.int64)
    fallback_owner = np.full(size, -1, dtype=np.int64)  # largest-count cell, for the pure-picture case
    fallback_count = np.full(size, -1, dtype=np.int64)
    face_axis = np.full(size, -1, dtype=np.int8)
    cut = np.zeros(size, dtype=bool)
    directions = asm._directions(asm._ids, asm._tf)
    cells_here = []

    c_lo = np.maximum(np.floor(a / box + _TOL).astype(np.int64), 0)
    c_hi = np.minimum(np.ceil(b / box - _TOL).astype(np.int64), np.asarray(asm.grid_shape, dtype=np.int64))
    for n_cell, cell in enumerate(np.ndindex(*(int(hi - lo) for lo, hi in zip(c_lo, c_hi)))):
        cell = tuple(int(c + lo) for c, lo in zip(cell, c_lo))
        if asm._ids[cell] < 0:
            raise ValueError(f"cell {cell} of the region is air (void): composite voxels from fibres have no "
                             "three-phase law for voids; use the voxel route (voxtwin.composite_voxels of the "
                             "assembly's labels) or a region without air cells")
        cells_here.append(cell)
        C0 = np.asarray(cell, dtype=np.float64) * box
        C1 = C0 + box
        ranges = [_index_range(C0[k], C1[k], a[k], h, size[k]) for k in range(3)]
        if any(j1 <= j0 for j0, j1, _, _ in ranges):
            continue
        v_lo = np.array([r[0] for r in ranges])
        v_hi = np.array([r[1] for r in ranges])
        mine = fibres.of_cell(cell)
        raw = _kernel(backend, mine, v_hi - v_lo, h, a + v_lo * h, p, m_label, f_label, axes)
        raw_count = _fibre_count(raw, f_label)
        raw_normal = raw.view(_CELL)[..., 0]["normal"]
        window = tuple(slice(int(lo), int(hi)) for lo, hi in zip(v_lo, v_hi))
        inner = np.zeros(tuple(v_hi - v_lo), dtype=bool)
        inner[tuple(slice(int(r[2] - r[0]), int(r[3] - r[0])) for r in ranges)] = True
        # Voxels inside the cell: its quadrature alone.
        count[window][inner] = raw_count[inner]
        normal[window][inner] = raw_normal[inner]
        if inner.all():
            continue
        # Voxels cut by the cell's faces: sub-points inside the box only, at a grid m sub-points wide.
        subs = [_sub_range(C0[k], C1[k], a[k], s) for k in range(3)]
        m = p
        for k0, k1, aligned in subs:
            m = math.gcd(m, k0, k1) if aligned else 1
        exact = np.full(tuple(v_hi - v_lo), -1, dtype=np.int64)
        for axis in range(3):
            j0, j1, i0, i1 = ranges[axis]
            for layer in {j for j in (j0, j1 - 1) if not i0 <= j < i1}:
                lo_sub = np.array([max(int(v_lo[k]) * p, subs[k][0]) for k in range(3)])
                hi_sub = np.array([min(int(v_hi[k]) * p, subs[k][1]) for k in range(3)])
                lo_sub[axis] = max(layer * p, subs[axis][0])
                hi_sub[axis] = min((layer + 1) * p, subs[axis][1])
                if np.any(hi_sub <= lo_sub):
                    continue
                g_lo, g_hi = lo_sub // m, -(-hi_sub // m)
                g_cells = _kernel(backend, mine, g_hi - g_lo, m * s, a + g_lo * m * s, 1 if m == 1 else m,
                                  m_label, f_label, False)
                g_count = _fibre_count(g_cells, f_label)
                # coarse voxel (chunk-local) of each g-voxel, relative to the cell's V window
                idx = [((g_lo[k] + np.arange(g_hi[k] - g_lo[k])) * m) // p - v_lo[k] for k in range(3)]
                shp = tuple(int(v_hi[k] - v_lo[k]) for k in range(3))
                flat = np.ravel_multi_index(np.ix_(*idx), shp)
                sums = np.bincount(flat.ravel(), weights=g_count.ravel(), minlength=int(np.prod(shp)))
                hit = np.bincount(flat.ravel(), minlength=int(np.prod(shp))) > 0
                ex = exact.reshape(-1)
                ex[hit] = sums[hit].astype(np.int64)
                layer_mask = np.zeros(shp, dtype=bool)
                sl = [slice(None)] * 3
                sl[axis] = slice(layer - int(v_lo[axis]), layer - int(v_lo[axis]) + 1)
                layer_mask[tuple(sl)] = True
                fa = face_axis[window]
                fa[layer_mask & (fa < 0)] = axis
        edge = ~inner
        ex = np.maximum(exact, 0)
        cut[window] |= edge
        count[window][edge] += ex[edge]
        mixed = (raw_count > 0) & (raw_count < full)
        better = edge & mixed & (ex > best[window])
        best[window][better] = ex[better]
        normal[window][better] = raw_normal[better]
        larger = edge & (ex > fallback_count[window])
        fallback_count[window][larger] = ex[larger]
        fallback_owner[window][larger] = n_cell
    # Cut voxels whose every cell saw a pure picture: the face normal (laminate) or the fibre direction.
    lost = cut & (best < 0)
    if np.any(lost):
        eye = np.eye(3, dtype=np.float32)
        for where in np.argwhere(lost):
            w = tuple(int(v) for v in where)
            fa = int(face_axis[w]) if face_axis[w] >= 0 else 0
            d = directions[cells_here[int(fallback_owner[w])]] if fallback_owner[w] >= 0 else np.full(3, np.nan)
            normal[w] = d.astype(np.float32) if axes and np.all(np.isfinite(d)) else eye[fa]
    count = np.minimum(count, full)
    out = np.zeros(size, dtype=_CELL)
    fs = 0 if f_label < m_label else 1
    pure_m, pure_f = count == 0, count == full
    out["label"][pure_m, 0] = m_label
    out["count"][pure_m, 0] = full
    out["label"][pure_f, 0] = f_label
    out["count"][pure_f, 0] = full
    mix = ~(pure_m | pure_f)
    out["label"][mix, fs] = f_label
    out["count"][mix, fs] = count[mix]
    out["label"][mix, 1 - fs] = m_label
    out["count"][mix, 1 - fs] = full - count[mix]
    out["normal"][mix] = normal[mix]
    return out.view(np.uint8).reshape(size + (24,))


def _aspect(asm: Assembly, lo: np.ndarray, hi: np.ndarray) -> float:
    """Median equal-volume aspect (:func:`voxtwin.fibre_composite.equal_volume_aspect`) of the fibres
    of the region's distinct blocks at their own seeds (a fixed value for every chunk, as the merge
    requires)."""
    box = np.asarray(asm.library.block_size_um, dtype=np.float64)
    c_lo = np.maximum(np.floor(lo / box + _TOL).astype(np.int64), 0)
    c_hi = np.minimum(np.ceil(hi / box - _TOL).astype(np.int64), np.asarray(asm.grid_shape, dtype=np.int64))
    ids = asm._ids[c_lo[0]:c_hi[0], c_lo[1]:c_hi[1], c_lo[2]:c_hi[2]]
    tables = [block_fibres(asm.library, int(b)) for b in np.unique(ids[ids >= 0])]
    ratios = np.concatenate([equal_volume_aspects(t) for t in tables]) if tables else np.zeros(0)
    return float(np.median(ratios)) if ratios.size else float("inf")


def fibre_composite_assembly_chunks(
    assembly: Assembly,
    voxel_size: float,
    *,
    materials: Mapping[int, Material],
    region: object = None,
    chunk: int = 64,
    points: int = MAX_POINTS,
    matrix_label: int = 0,
    fibre_label: int = 1,
    normal_resolution: int = 15,
    law: str = DEFAULT_LAW,
    aspect: float | None = None,
    device: Device = "auto",
) -> tuple[tuple[int, int, int], Iterator[tuple[tuple[int, int, int], CompositeVoxels]]]:
    """(coarse shape, iterator of ``(corner, CompositeVoxels)`` chunks) of
    :func:`fibre_composite_assembly`; the chunks tile the coarse grid, one at a time in memory."""
    if not isinstance(assembly, Assembly):
        raise TypeError(f"`assembly` must be a voxtwin Assembly, got {type(assembly).__name__}")
    h = check.voxel_size(voxel_size)
    c = check.integer("chunk", chunk, minimum=1)
    p, m_label, f_label, resolution, mats, law = check_cell_options(
        points, matrix_label, fibre_label, normal_resolution, materials, law)
    lo, hi = region_box(region, assembly.size_um)
    size = np.asarray(assembly.size_um, dtype=np.float64)
    if np.any(lo < -_TOL * size) or np.any(hi > size * (1 + _TOL)):
        raise ValueError(f"`region` must lie inside the assembly [0, {tuple(float(v) for v in size)}] µm, "
                         f"got region={region!r}")
    grid = tuple(int(math.floor((b - a) / h + _TOL)) for a, b in zip(lo, hi))
    if 0 in grid:
        raise ValueError(f"`region` of {tuple(float(v) for v in hi - lo)} µm holds no coarse voxel of "
                         f"voxel_size={h:g} µm")
    aspect = _aspect(assembly, lo, hi) if aspect is None else check_aspect(aspect)
    backend = cuda_module() if resolve_device(device) == "cuda" else _core
    axes = law != "laminate"

    def chunks() -> Iterator[tuple[tuple[int, int, int], CompositeVoxels]]:
        cache = FibreCache()
        for index in np.ndindex(*(-(-n // c) for n in grid)):
            first = tuple(int(k) * c for k in index)
            shape = tuple(min(c, n - f) for n, f in zip(grid, first))
            cells = _chunk_cells(assembly, first, shape, h, lo, p, m_label, f_label, axes,  # type: ignore[arg-type]
                                 backend, cache)
            yield first, _from_cells(cells, p, tuple(n * p for n in shape), mats, resolution, False, law,
                                     float(aspect), f_label)

    return grid, chunks()  # type: ignore[return-value]


def fibre_composite_assembly(
    assembly: Assembly,
    voxel_size: float,
    *,
    materials: Mapping[int, Material],
    region: object = None,
    chunk: int = 64,
    points: int = MAX_POINTS,
    progress: bool = False,
    **options: Any,
) -> CompositeVoxels:
    """Composite voxels of an assembly at coarse ``voxel_size`` straight from its fibre tables.

    Parameters
    ----------
    assembly : a :class:`voxtwin.Assembly` of procedural blocks (their fibres are regenerated from
        the block specs and cell seeds; stored-array blocks have no fibres: ValueError).
    voxel_size : coarse voxel edge in µm (8, 16, 32, ...); need not divide the block edge.
    materials : ``{label: Material}`` of ``matrix_label`` and ``fibre_label``.
    region : None (the whole assembly) or ``((x0, y0, z0), (x1, y1, z1))`` in µm; the coarse grid
        starts at its lower corner and holds ``floor(extent / voxel_size)`` voxels per axis (the
        remainder is cropped, as the voxel route's ``remainder="crop"``). Air cells in the region
        are refused (voids need a three-phase law: use the voxel route).
    chunk : coarse voxels per chunk edge; memory follows one chunk (its cells, its cells' fibres)
        plus the merged ``uint16`` index.
    points : quadrature points per coarse-voxel edge, 1..16.
    progress : a progress bar over the chunks.
    options : ``matrix_label``, ``fibre_label``, ``normal_resolution``, ``law`` (default
        ``"spheroids"``, Mori–Tanaka of the equal-volume spheroids, as
        :func:`voxtwin.fibre_composite_voxels`), ``aspect`` (default: median equal-volume aspect,
        1.5 L/d for cylinders, of the region's distinct blocks' fibres at their own seeds), ``device``.

    Returns one non-periodic :class:`~voxtwin.CompositeVoxels` (``factor = points``), the chunks
    merged by :func:`voxtwin.fibre_composite.merge_composite_chunks`.
    """
    if not isinstance(progress, bool):
        raise TypeError(f"`progress` must be a bool, got progress={progress!r}")
    grid, chunks = fibre_composite_assembly_chunks(assembly, voxel_size, materials=materials, region=region,
                                                   chunk=chunk, points=points, **options)
    c = check.integer("chunk", chunk, minimum=1)
    total = int(np.prod([-(-n // c) for n in grid]))
    return merge_composite_chunks(progress_iter(chunks, total=total, desc="composite chunks", enabled=progress,
                                                unit="chunk"), grid)
