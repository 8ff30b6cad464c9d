"""From a drawing path to a block layout (seed 000, experimental section, steps 1–5).

Each printed layer's extruded roads (drawn as a few parallel strands across their width) are cut
exactly at the boundaries of a square cell grid (one cell per building block). Per cell and
block layer: the length of road of each category, the covered area, and the area-weighted
orientation tensor of the
drawing directions. The cell's block angle is the principal direction of that tensor
(½ atan2(Σ L sin 2φ, Σ L cos 2φ): fibre directions are axial), taken over the dominant category;
contour-dominated cells get outer blocks, infill-dominated ones inner blocks, cells with too
little material are air.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate
from .._limits import require_memory
from ..assemble import Assembly, BlockLibrary
from .plan import CONTOUR, INFILL, UNKNOWN, PrintPlan

__all__ = ["CellMap", "rasterize", "split_at_cells", "to_assembly"]

_STRANDS = 5  # lines across a road's width: positions within width/10
_EDGE_SLACK = 0.05  # cells
_CELL_BYTES = 8 * 8  # float64 per-cell arrays alive at once (lengths, coverage, angle sums, ...)
_PIECE_BYTES = 16 * 8  # per road piece: indices, cut parameters, lengths, sort keys


@dataclass(frozen=True, eq=False)
class CellMap:
    """Per-cell drawing-path data, arrays ``[gx, gy, gz]`` (gz = block layers).

    ``angle``: principal drawing direction of the dominant category, degrees [0, 180) (NaN:
    no material); ``kind``: 0 air, 1 outer (contour), 2 inner (infill); ``coverage``: road
    area / cell area per printed layer; ``contour_um`` and ``infill_um``: road lengths (µm);
    ``origin_um``: (x, y, z) of the grid's first corner; ``cell_um``: (x, y, z) cell edges.
    """

    angle: np.ndarray
    kind: np.ndarray
    coverage: np.ndarray
    contour_um: np.ndarray
    infill_um: np.ndarray
    origin_um: tuple[float, float, float]
    cell_um: tuple[float, float, float]


def split_at_cells(p0: np.ndarray, p1: np.ndarray, cell: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cuts 2D segments (grid units: ``p / cell``) where they cross cell boundaries.

    Returns (segment index, cell (ix, iy) int64 [m, 2], piece length in the units of p) of the
    pieces, each inside one cell. Vectorized: no loop over segments.
    """
    a = p0 / cell
    b = p1 / cell
    n = len(a)
    ts = [np.zeros(n), np.ones(n)]
    segs = [np.arange(n), np.arange(n)]
    for ax in range(2):
        lo = np.minimum(a[:, ax], b[:, ax])
        hi = np.maximum(a[:, ax], b[:, ax])
        k_lo = np.floor(lo).astype(np.int64) + 1
        k_hi = np.ceil(hi).astype(np.int64) - 1
        count = np.maximum(k_hi - k_lo + 1, 0)
        seg = np.repeat(np.arange(n), count)
        first = np.repeat(np.cumsum(count) - count, count)
        k = np.repeat(k_lo, count) + (np.arange(count.sum()) - first)
        d = b[seg, ax] - a[seg, ax]
        segs.append(seg)
        ts.append((k - a[seg, ax]) / d)
    seg = np.concatenate(segs)
    t = np.concatenate(ts)
    order = np.lexsort((t, seg))
    seg, t = seg[order], t[order]
    same = seg[1:] == seg[:-1]
    s = seg[:-1][same]
    t0, t1 = t[:-1][same], t[1:][same]
    keep = t1 > t0
    s, t0, t1 = s[keep], t0[keep], t1[keep]
    mid = a[s] + ((t0 + t1) / 2)[:, None] * (b[s] - a[s])
    cells = np.floor(mid).astype(np.int64)
    length = (t1 - t0) * np.hypot(*(p1[s] - p0[s]).T)
    return s, cells, length


def rasterize(plan: PrintPlan, cell_um: tuple[float, float, float], *, origin_um: tuple[float, float] | None = None,
              z_base_um: float = 0.0, road_width_um: float | None = None, min_coverage: float = 0.5,
              include_unknown: bool = True) -> CellMap:
    """Per-cell road lengths, coverage, kind and dominant angle of a print on a block grid.

    ``cell_um``: cell edges (x, y, z) in µm (z: the block height; printed layers are assigned to
    the block layer holding their mid-height above ``z_base_um``). ``origin_um``: XY corner of
    the grid (default: the lower-left edge of the deposited roads). ``road_width_um``: width of
    roads whose width the G-code does not state (default: the file's header width).
    ``min_coverage``: least road area per cell area and printed layer for a cell to hold material
    (default: half the cell).
    ``include_unknown``: moves without a feature comment count as infill (else they are skipped).
    """
    cx, cy, cz = (_validate.positive("cell_um", c, "µm") for c in cell_um)
    if not math.isclose(cx, cy, rel_tol=1e-9):
        raise ValueError(f"cells must be square in XY, got cell_um={cell_um!r}")
    min_coverage = _validate.non_negative("min_coverage", min_coverage)
    cats = (CONTOUR, INFILL, UNKNOWN) if include_unknown else (CONTOUR, INFILL)
    moves = np.flatnonzero(plan.extruding & np.isin(plan.category, cats))
    if len(moves) == 0:
        raise ValueError(f"the plan {plan.source!r} has no extruding contour or infill moves")
    width = plan.width[moves].copy()
    fallback = plan.default_width_um if road_width_um is None else _validate.positive("road_width_um", road_width_um)
    if np.isnan(width).any():
        if not math.isfinite(fallback):
            raise ValueError("the G-code does not state road widths: give `road_width_um`")
        width[np.isnan(width)] = fallback
    p0 = plan.start[moves, :2]
    p1 = plan.end[moves, :2]
    # The part's outline is its contour roads' outer edge (infill lies inside it).
    outline = plan.category[moves] == CONTOUR
    if not outline.any():
        outline = np.ones(len(moves), dtype=bool)
    half = (width / 2.0)[:, None]
    if origin_um is None:
        origin = (np.minimum(p0, p1) - half)[outline].min(axis=0)
    else:
        if len(origin_um) != 2:
            raise ValueError(f"`origin_um` must be (x, y) in µm, got origin_um={origin_um!r}")
        origin = np.asarray([_validate.real("origin_um", o, "µm") for o in origin_um])
    far = (np.maximum(p0, p1) + half)[outline].max(axis=0)
    # a road edge poking past a cell boundary by a few µm does not open a new row of cells
    extent = [(f - o) / cx - _EDGE_SLACK for f, o in zip(far, origin)]
    if not all(math.isfinite(e) and e < 2**40 for e in extent):
        raise ValueError(f"the print spans {extent} cells of {cx:g} µm: `cell_um` is far too small for it")
    gx, gy = (max(1, math.ceil(e)) for e in extent)

    # printed layers -> block layers, by mid-height
    layer_idx = plan.layer[moves]
    if (layer_idx < 0).any():
        raise ValueError("extruding moves off the deposition heights: the plan is inconsistent")
    tops = plan.layer_z
    bottoms = np.concatenate([[z_base_um], tops[:-1]])
    mids = (tops + bottoms) / 2.0
    block_of_layer = np.floor((mids - z_base_um) / cz).astype(np.int64)
    if (block_of_layer < 0).any():
        raise ValueError(f"printed layers below `z_base_um`={z_base_um}")
    used_layers = np.unique(layer_idx)
    gz = int(block_of_layer[used_layers].max()) + 1
    # Everything below is sized by the cell grid and by the pieces roads are cut into: check both
    # against memory first (a long move over tiny cells is cut into as many pieces as cells it crosses).
    d_cells = np.abs(p1 - p0).sum(axis=1) / cx + 2.0 * _STRANDS
    pieces = float(d_cells.sum()) * _STRANDS
    require_memory(float(gx) * gy * gz * _CELL_BYTES + pieces * _PIECE_BYTES,
                   f"rasterizing {plan.source!r} on a {gx}×{gy}×{gz} cell grid ({pieces:.3g} road pieces)",
                   "use larger cells (a larger block edge)")
    per_block = np.bincount(block_of_layer[used_layers], minlength=gz)

    # Each road is drawn as STRANDS parallel lines across its width, so a road straddling a cell
    # boundary covers both cells in proportion: strand length × width / STRANDS is road area.
    d = p1 - p0
    normal = np.column_stack([-d[:, 1], d[:, 0]]) / np.hypot(d[:, 0], d[:, 1])[:, None]
    offsets = (np.arange(_STRANDS) + 0.5) / _STRANDS - 0.5
    shift = (offsets[:, None, None] * width[None, :, None]) * normal[None, :, :]
    q0 = (p0[None] + shift - origin).reshape(-1, 2)
    q1 = (p1[None] + shift - origin).reshape(-1, 2)
    strand, cells, length = split_at_cells(q0, q1, cx)
    seg = strand % len(moves)
    length = length / _STRANDS
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < gx) & (cells[:, 1] >= 0) & (cells[:, 1] < gy)
    seg, cells, length = seg[inside], cells[inside], length[inside]
    bz = block_of_layer[layer_idx[seg]]
    flat = (cells[:, 0] * gy + cells[:, 1]) * gz + bz
    size = gx * gy * gz
    phi = 2.0 * np.radians(plan.angles(moves[seg]))
    is_contour = plan.category[moves[seg]] == CONTOUR

    def total(weights: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(flat[mask], weights=weights[mask], minlength=size).reshape(gx, gy, gz)

    everything = np.ones(len(seg), dtype=bool)
    contour_len = total(length, is_contour)
    infill_len = total(length, ~is_contour)
    coverage = total(length * width[seg], everything) / (cx * cy * np.maximum(per_block, 1)[None, None, :])
    outer = contour_len >= infill_len
    dominant = np.where(is_contour, outer.ravel()[flat], ~outer.ravel()[flat])
    c2 = total(length * np.cos(phi), dominant)
    s2 = total(length * np.sin(phi), dominant)
    solid = coverage >= min_coverage
    angle = np.where(solid, np.degrees(0.5 * np.arctan2(s2, c2)) % 180.0, np.nan)
    kind = np.where(solid, np.where(outer, 1, 2), 0).astype(np.uint8)
    return CellMap(angle=angle, kind=kind, coverage=coverage, contour_um=contour_len, infill_um=infill_len,
                   origin_um=(float(origin[0]), float(origin[1]), float(z_base_um)), cell_um=(cx, cy, cz))


def to_assembly(plan: PrintPlan, library: BlockLibrary, cell_size_um: float | None = None, *,
                snap: bool = True, origin_um: tuple[float, float] | None = None, z_base_um: float = 0.0,
                road_width_um: float | None = None, min_coverage: float = 0.5, include_unknown: bool = True,
                **assembly_kwargs: Any) -> Assembly:
    """An :class:`Assembly` whose blocks follow the drawing path of ``plan``.

    ``cell_size_um``: the XY cell edge, which must be the library's block edge (default: that
    edge); block layers are one block high. Per cell: the dominant drawing direction gives the
    block angle, contour vs infill the outer vs inner block, too little material air (see
    :func:`rasterize` for the other options). ``snap``: use the library block nearest in angle
    (else the library must hold the exact angle, to 1e-6°). ``assembly_kwargs`` go to
    :class:`Assembly` (e.g. ``seed``).
    """
    if not isinstance(plan, PrintPlan):
        raise TypeError(f"`plan` must be a PrintPlan from voxtwin.gcode.read, got {type(plan).__name__}")
    bx, by, bz = library.block_size_um
    cell = bx if cell_size_um is None else _validate.positive("cell_size_um", cell_size_um, "µm")
    if not (math.isclose(cell, bx, rel_tol=1e-9) and math.isclose(cell, by, rel_tol=1e-9)):
        raise ValueError(f"`cell_size_um` must equal the library's block edge in X and Y ({bx:g} × {by:g} µm), "
                         f"got cell_size_um={cell_size_um!r}")
    cells = rasterize(plan, (cell, cell, bz), origin_um=origin_um, z_base_um=z_base_um, road_width_um=road_width_um,
                      min_coverage=min_coverage, include_unknown=include_unknown)
    ids = np.full(cells.kind.shape, -1, dtype=np.int32)
    tolerance = None if snap else 1e-6
    for kind_code, kind in ((1, "outer"), (2, "inner")):
        mask = cells.kind == kind_code
        if not mask.any():
            continue
        angles = np.round(cells.angle[mask], 9)
        uniq, inverse = np.unique(angles, return_inverse=True)
        table = np.array([library.id(library.block_for(float(a), kind, tolerance_deg=tolerance)) for a in uniq],
                         dtype=np.int32)
        ids[mask] = table[inverse.ravel()]
    return Assembly.from_ids(library, ids, **assembly_kwargs)
