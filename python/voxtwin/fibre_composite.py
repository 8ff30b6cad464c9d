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
:mod:`voxtwin.composite_laws`), so the result is a
:class:`~voxtwin.CompositeVoxels` any solver call accepts; its ``factor`` is the quadrature
``points`` and its ``fine_shape`` the sub-point grid (no volume of that size is ever allocated).
Chunks: pass the chunk's ``origin`` (µm, its outer corner in the fibres' frame) with
``periodic=False``; only fibres reaching into the chunk cost anything, and the chunks of a
non-periodic volume give the cells of the whole (see :func:`fibre_composite_chunks`).
The voxel route stays for scans, where no fibre table exists.

Default law (issue 21): Mori–Tanaka of aligned prolate spheroids with each fibre's diameter and
**volume** (the equal-volume spheroid: length 1.5 L for a cylinder of length L, aspect 1.5 L/d),
``law="spheroids"``, aspect from the table (:func:`equal_volume_aspect`). It replaced Lielens'
double-inclusion law because that law's transverse entries stay about 2 % too stiff however small
the voxels (its bias does not vanish as h → 0), while the equal-volume spheroids converge and met
the 8 µm, α and ‖ΔC‖/‖C‖-against-the-4 µm-grid targets on three held-out-checked blocks
(``benchmarks/RESULTS.md``, "Issue 21", "Measured limits and their reasons").
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np

from . import _core
from . import _validate as check
from ._backend import Device, cuda_module, resolve_device
from ._material_table import check_materials
from .composite import MAX_TABLE_ENTRIES, CompositeVoxels, _from_cells, _row_laws, _same_materials
from .composite_laws import LAWS
from .errors import NormalResolutionWarning
from .fibre_table import FibreTable
from .materials import Material

__all__ = [
    "fibre_composite_voxels",
    "fibre_composite_chunks",
    "fibre_composite_index",
    "merge_composite_chunks",
    "equal_volume_aspect",
    "DEFAULT_LAW",
    "MAX_POINTS",
]

#: Largest quadrature, points per coarse-voxel edge (``points³`` fits a uint16 count).
MAX_POINTS = 16

#: Default law of the fibre route (issue 21): Mori–Tanaka of the fibres' equal-volume spheroids.
DEFAULT_LAW = "spheroids"


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
    law: str = DEFAULT_LAW,
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
    law : law of the mixed voxels: ``"spheroids"`` (default, adopted in issue 21: Mori–Tanaka of
        aligned prolate spheroids of ``aspect`` along the dominant fibre's axis),
        ``"double-inclusion"`` (Lielens' interpolation between Mori–Tanaka and its inverse for the
        same spheroids; the default before, about 2 % too stiff transversely at every voxel size),
        ``"laminate"`` (the interface normal; as the voxel route) or ``"mori-tanaka"`` (aligned
        cylinders); see :mod:`voxtwin.composite_laws`.
    aspect : length / diameter of the spheroids of the ``"spheroids"`` and ``"double-inclusion"``
        laws (> 1); default :func:`equal_volume_aspect` of the table: the median over the fibres of
        the aspect of the spheroid with the fibre's diameter and volume (1.5 L/d for cylinders).
        The previous default was the median L/d.
    device : ``"auto"``, ``"cpu"`` or ``"cuda"`` for the cells (byte-identical; the table and laws
        are built on the CPU).

    Returns a :class:`~voxtwin.CompositeVoxels` with ``factor = points``.
    """
    if not isinstance(fibres, FibreTable):
        raise TypeError(f"`fibres` must be a voxtwin FibreTable, got {type(fibres).__name__}")
    grid = check.shape3("shape", shape)
    h = check.voxel_size(voxel_size)
    corner = np.array([check.real(f"origin[{i}]", v, "µm") for i, v in enumerate(origin)], dtype=np.float64)
    if corner.shape != (3,):
        raise ValueError(f"`origin` must hold 3 coordinates in µm, got origin={origin!r}")
    if not isinstance(periodic, bool):
        raise TypeError(f"`periodic` must be a bool, got periodic={periodic!r}")
    p, m_label, f_label, resolution, mats, law = check_cell_options(
        points, matrix_label, fibre_label, normal_resolution, materials, law)
    aspect = equal_volume_aspect(fibres) if aspect is None else check_aspect(aspect)

    backend = cuda_module() if resolve_device(device) == "cuda" else _core
    cells = backend.fibre_composite_cells(
        np.ascontiguousarray(fibres.centre - corner), fibres.direction, fibres.length, fibres.diameter,
        fibres.fibre_shape, grid, h, periodic, p, m_label, f_label, law != "laminate")
    return _from_cells(cells, p, tuple(s * p for s in grid), mats, resolution, periodic, law, aspect, f_label)


def check_cell_options(points: object, matrix_label: object, fibre_label: object, normal_resolution: object,
                       materials: object, law: object) -> tuple[int, int, int, int, dict[int, Material], str]:
    """The fibre route's cell options checked (shared by tables and assemblies): ``(points, matrix
    label, fibre label, normal resolution, {label: Material} of the two labels, law)``."""
    p = check.integer("points", points, minimum=1)
    if p > MAX_POINTS:
        raise ValueError(f"`points` must be in [1, {MAX_POINTS}], got points={points!r}")
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
    return p, m_label, f_label, resolution, {m_label: mats[m_label], f_label: mats[f_label]}, check.choice("law", law, LAWS)


def check_aspect(aspect: object) -> float:
    """A spheroid aspect ratio given by the caller: a real number > 1."""
    value = check.real("aspect", aspect)
    if not value > 1.0:
        raise ValueError(f"`aspect` must be > 1 (a prolate spheroid), got aspect={aspect!r}")
    return value


def equal_volume_aspects(fibres: FibreTable) -> np.ndarray:
    """Per fibre, the aspect ratio (length / diameter) of the prolate spheroid with the fibre's
    diameter d and volume V: 6 V / (π d³), i.e. 1.5 L/d for a cylinder of length L and
    1.5 L/d − 0.5 for a spherocylinder of tip-to-tip length L (:meth:`FibreTable.volumes`)."""
    return 6.0 * fibres.volumes() / (np.pi * fibres.diameter**3)


def equal_volume_aspect(fibres: FibreTable) -> float:
    """The default inclusion aspect ratio of the fibre route: the median over the table of
    :func:`equal_volume_aspects` (inf when the table is empty)."""
    return float(np.median(equal_volume_aspects(fibres))) if len(fibres) else float("inf")


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
    :func:`fibre_composite_voxels` (not ``periodic``: chunks are cut at their faces). The default
    ``aspect`` of the spheroid laws is the whole table's :func:`equal_volume_aspect` (as
    :func:`fibre_composite_voxels` takes it for the whole grid), so every chunk has the same laws
    whatever fibres reach into it. :func:`fibre_composite_index` merges the chunks into one index.
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
    if options.get("aspect") is None and len(fibres):
        options = dict(options, aspect=equal_volume_aspect(fibres))  # the whole table's, not the chunk's fibres
    for corner in np.ndindex(*(-(-n // c) for n in grid)):
        first = tuple(int(k) * c for k in corner)
        size = tuple(min(c, n - f) for n, f in zip(grid, first))
        a = base + np.asarray(first) * h
        b = a + np.asarray(size) * h
        keep = np.all((hi >= a) & (lo <= b), axis=1)
        yield first, fibre_composite_voxels(fibres[keep], size, h, materials=materials, points=points,
                                            origin=tuple(a), periodic=False, **options)  # type: ignore[arg-type]


def fibre_composite_index(
    fibres: FibreTable,
    shape: Sequence[int],
    voxel_size: float,
    *,
    chunk: int = 64,
    materials: Mapping[int, Material],
    points: int = MAX_POINTS,
    origin: Sequence[float] = (0.0, 0.0, 0.0),
    progress: bool = False,
    **options: object,
) -> CompositeVoxels:
    """The composite voxels of a whole non-periodic coarse grid, made ``chunk³`` voxels at a time.

    :func:`fibre_composite_chunks` merged by :func:`merge_composite_chunks` into one
    :class:`~voxtwin.CompositeVoxels`: one ``uint16`` index over ``shape`` and one table in which
    equal cells of different chunks share a row. Working memory is one chunk plus the index
    (2 bytes per coarse voxel; no mask, no full-size temporary), so a castle's index is made from
    its fibre table alone. The
    per-voxel laws equal those of :func:`fibre_composite_voxels` with ``periodic=False`` on the
    whole grid (same cells, same table order) unless the merged table overflows 65536 rows, when
    the normals are re-quantized more coarsely (with a
    :class:`~voxtwin.errors.NormalResolutionWarning`).

    Parameters
    ----------
    fibres, shape, voxel_size, materials, points, origin : as :func:`fibre_composite_voxels` (µm).
    chunk : coarse voxels per chunk edge (the last chunk along an axis may be shorter).
    progress : a progress bar over the chunks.
    options : further arguments of :func:`fibre_composite_voxels` (``law``, ``aspect``,
        ``normal_resolution``, ``matrix_label``, ``fibre_label``, ``device``; not ``periodic``).
    """
    if not isinstance(fibres, FibreTable):
        raise TypeError(f"`fibres` must be a voxtwin FibreTable, got {type(fibres).__name__}")
    grid = check.shape3("shape", shape)
    c = check.integer("chunk", chunk, minimum=1)
    if not isinstance(progress, bool):
        raise TypeError(f"`progress` must be a bool, got progress={progress!r}")
    from ._progress import progress as bar

    total = int(np.prod([-(-n // c) for n in grid]))
    chunks = fibre_composite_chunks(fibres, grid, voxel_size, c, materials=materials, points=points, origin=origin,
                                    **options)
    return merge_composite_chunks(bar(chunks, total=total, desc="composite chunks", enabled=progress,
                                      unit="chunk"), grid)


# Resolutions tried after the current one when a merged table overflows (as the C++ table).
_COARSER = (12, 10, 8, 6, 5, 4, 3, 2, 1)


def _quantize(q: np.ndarray, resolution: int) -> np.ndarray:
    """Direction-set points of ``resolution`` for integer normals ``q`` (k, 3), as the C++
    ``quantize_normal`` (projection onto the cube surface, rounding half away from zero, first
    non-zero component positive)."""
    g = q.astype(np.float64)
    m = np.abs(g).max(axis=1, keepdims=True)
    x = g / np.where(m > 0, m, 1.0) * resolution
    out = (np.sign(x) * np.floor(np.abs(x) + 0.5)).astype(np.int8)
    lead = np.take_along_axis(out, np.argmax(out != 0, axis=1)[:, None], axis=1)
    return np.where(lead < 0, -out, out).astype(np.int8)


def _remap(index: np.ndarray, lut: np.ndarray, step: int = 1 << 22) -> None:
    """``index[...] = lut[index]`` in place, a slab of ``step`` voxels at a time (no full-size temporary)."""
    flat = index.reshape(-1)  # a view: the index is C-contiguous
    for start in range(0, flat.size, step):
        part = flat[start:start + step]
        part[...] = lut[part]


def merge_composite_chunks(
    chunks: Iterable[tuple[Sequence[int], CompositeVoxels]], shape: Sequence[int]
) -> CompositeVoxels:
    """One :class:`~voxtwin.CompositeVoxels` over ``shape`` from chunks that tile it.

    ``chunks`` yields ``(corner, composite voxels)`` with ``corner`` the chunk's first coarse voxel
    in the merged grid (what :func:`fibre_composite_chunks` yields; chunks of the voxel route work
    too). Every coarse voxel of ``shape`` must be covered exactly once, and all chunks must share
    ``factor``, ``law``, ``aspect``, ``fibre_label`` and the materials. The chunks' table rows are
    merged by their key (labels, counts, quantized normal): equal cells share one row, and the rows
    come out in the order :func:`voxtwin.composite_voxels` sorts its table, so a grid cut into chunks
    gives the index and table of the whole. Chunks are consumed one at a time (the merged index and
    one row per distinct cell are kept). When the merged rows exceed 65536 (or the chunks used
    different normal resolutions) the normals are re-quantized to a coarser set, the laws of those
    rows recomputed, and a :class:`~voxtwin.errors.NormalResolutionWarning` is issued. The result is
    not periodic (``periodic=False``).
    """
    grid = check.shape3("shape", shape)
    index = np.zeros(grid, dtype=np.uint16)  # row 0 (a material) until a chunk writes there
    boxes = np.zeros((0, 2, 3), dtype=np.int64)  # the chunks so far, [first, end) per axis
    covered = 0
    first: CompositeVoxels | None = None
    ids: dict[bytes, int] = {}  # row key -> provisional row (0-based among the mixed rows)
    labels: list[np.ndarray] = []
    counts: list[np.ndarray] = []
    normals: list[np.ndarray] = []
    C_rows: list[np.ndarray] = []
    alpha_rows: list[np.ndarray] = []
    fresh: list[np.ndarray] = []  # the row's law is the chunk's (not re-quantized)
    resolution = 0
    asked = 0

    def key_bytes(lab: np.ndarray, cnt: np.ndarray, q: np.ndarray) -> list[bytes]:
        packed = np.concatenate([lab.astype(np.uint8), cnt.astype("<u2").view(np.uint8), q.view(np.uint8)], axis=1)
        return [row.tobytes() for row in np.ascontiguousarray(packed)]

    def coarsen(to: int) -> None:
        """Re-quantize the stored rows at resolution ``to`` and fold equal rows (index remapped)."""
        nonlocal ids, labels, counts, normals, C_rows, alpha_rows, fresh, resolution
        lab, cnt = np.concatenate(labels), np.concatenate(counts)
        q = _quantize(np.concatenate(normals), to)
        new: dict[bytes, int] = {}
        remap = np.empty(len(lab), dtype=np.int64)
        for i, k in enumerate(key_bytes(lab, cnt, q)):
            remap[i] = new.setdefault(k, len(new))
        keep = np.unique(remap, return_index=True)[1]
        ids = new
        labels, counts, normals = [lab[keep]], [cnt[keep]], [q[keep]]
        C_rows, alpha_rows = [np.concatenate(C_rows)[keep]], [np.concatenate(alpha_rows)[keep]]
        fresh = [np.zeros(len(keep), dtype=bool)]
        m = len(first.materials)  # type: ignore[union-attr]
        lut = np.concatenate([np.arange(m), m + remap]).astype(np.uint16)
        _remap(index, lut)
        resolution = to

    for corner, cv in chunks:
        if not isinstance(cv, CompositeVoxels):
            raise TypeError(f"`chunks` must yield (corner, CompositeVoxels), got {type(cv).__name__}")
        at = np.asarray(corner)
        if at.shape != (3,) or not np.issubdtype(at.dtype, np.integer):
            raise ValueError(f"a chunk's corner must be 3 integers (coarse voxels), got corner={corner!r}")
        end = at + np.asarray(cv.shape)
        if np.any(at < 0) or np.any(end > np.asarray(grid)):
            raise ValueError(f"the chunk at corner {tuple(int(v) for v in at)} of shape {cv.shape} reaches outside "
                             f"shape={grid}")
        if first is None:
            first, resolution = cv, cv.normal_resolution
            asked = resolution
        elif (cv.factor, cv.law, cv.fibre_label) != (first.factor, first.law, first.fibre_label) or not (
                cv.aspect == first.aspect and set(cv.materials) == set(first.materials)
                and _same_materials(cv.materials, first.materials)):
            raise ValueError(f"all chunks must share factor, law, aspect, fibre_label and materials: the chunk at "
                             f"corner {tuple(int(v) for v in at)} has factor={cv.factor}, law={cv.law!r}, "
                             f"aspect={cv.aspect}, labels {sorted(cv.materials)}; the first had factor={first.factor}, "
                             f"law={first.law!r}, aspect={first.aspect}, labels {sorted(first.materials)}")
        where = tuple(slice(int(a), int(b)) for a, b in zip(at, end))
        if np.any(np.all((at < boxes[:, 1]) & (end > boxes[:, 0]), axis=1)):
            raise ValueError(f"the chunk at corner {tuple(int(v) for v in at)} overlaps an earlier chunk")
        m = len(first.materials)
        if cv.normal_resolution < resolution:
            coarsen(cv.normal_resolution)
        lab, cnt, q = cv.entry_labels[m:], cv.entry_counts[m:], cv.quantized_normals[m:]
        same = cv.normal_resolution == resolution
        if not same:
            q = _quantize(q, resolution)
        while True:
            keys = key_bytes(lab, cnt, q)
            new = len({k for k in keys if k not in ids})
            if m + len(ids) + new <= MAX_TABLE_ENTRIES:
                break
            lower = [r for r in _COARSER if r < resolution]
            if not lower:
                raise ValueError(f"merged composite voxels need more than {MAX_TABLE_ENTRIES} table rows even with "
                                 "the coarsest normal set: use larger chunks of fewer distinct cells or fewer labels")
            coarsen(lower[0])
            q, same = _quantize(q, resolution), False
        local = np.empty(len(keys), dtype=np.int64)
        added = []
        for i, k in enumerate(keys):
            if k not in ids:
                ids[k] = len(ids)
                added.append(i)
            local[i] = ids[k]
        if added:
            pick = np.asarray(added)
            labels.append(lab[pick])
            counts.append(cnt[pick])
            normals.append(q[pick])
            C_rows.append(cv.C[m:][pick])
            alpha_rows.append(cv.alpha[m:][pick])
            fresh.append(np.full(len(pick), same))
        lut = np.concatenate([np.arange(m), m + local]).astype(np.uint16)
        index[where] = lut[cv.index]
        boxes = np.concatenate([boxes, np.stack([at, end])[None].astype(np.int64)])
        covered += int(np.prod(cv.shape))

    if first is None:
        raise ValueError("`chunks` must yield at least one (corner, CompositeVoxels)")
    if covered != index.size:  # chunks inside the grid that do not overlap: they tile it iff their volumes add up
        raise ValueError(f"the chunks leave {index.size - covered} of the {index.size} coarse voxels of "
                         f"shape={grid} uncovered")
    m = len(first.materials)
    lab = np.concatenate(labels) if labels else first.entry_labels[:0]
    cnt = np.concatenate(counts) if counts else first.entry_counts[:0]
    q = np.concatenate(normals) if normals else first.quantized_normals[:0]
    C = np.concatenate(C_rows) if C_rows else first.C[:0]
    alpha = np.concatenate(alpha_rows) if alpha_rows else first.alpha[:0]
    stale = ~np.concatenate(fresh) if fresh else np.zeros(0, dtype=bool)
    if stale.any():
        C[stale], alpha[stale] = _row_laws(first.law, first.aspect, first.fibre_label, lab[stale], cnt[stale],
                                           q[stale], first.factor, first.materials)
    if resolution < asked:
        warnings.warn(f"merged composite voxels would need more than {MAX_TABLE_ENTRIES} table rows with "
                      f"normal_resolution={asked}: interface normals re-quantized with resolution {resolution} "
                      f"({12 * resolution * resolution + 1} directions, {m + len(lab)} rows)",
                      NormalResolutionWarning, stacklevel=2)
    # The C++ table's order: labels, counts, then the quantized normal (signed), lexicographically.
    order = np.lexsort([q[:, 2], q[:, 1], q[:, 0], *cnt.T[::-1], *lab.T[::-1]])
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    _remap(index, np.concatenate([np.arange(m), m + rank]).astype(np.uint16))
    unit = q[order].astype(np.float64)
    norms = np.linalg.norm(unit, axis=1, keepdims=True)
    unit = np.divide(unit, norms, out=np.zeros_like(unit), where=norms > 0)
    return CompositeVoxels(
        index=index,
        C=np.concatenate([first.C[:m], C[order]]),
        alpha=np.concatenate([first.alpha[:m], alpha[order]]),
        entry_labels=np.concatenate([first.entry_labels[:m], lab[order]]),
        entry_counts=np.concatenate([first.entry_counts[:m], cnt[order]]),
        entry_normals=np.concatenate([first.entry_normals[:m], unit]),
        factor=first.factor,
        fine_shape=tuple(int(s) * first.factor for s in grid),  # type: ignore[arg-type]
        materials=dict(first.materials),
        normal_resolution=int(resolution),
        periodic=False,
        quantized_normals=np.concatenate([first.quantized_normals[:m], q[order]]),
        law=first.law,
        aspect=first.aspect,
        fibre_label=first.fibre_label,
    )
