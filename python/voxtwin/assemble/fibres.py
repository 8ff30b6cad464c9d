"""The fibre table of an assembly: every cell's block fibres, wrapped, turned and placed (issue 21).

A procedural block is (spec, angle, seed); its fibres are regenerated deterministically by the
same placement ``generate_fibres`` runs (:meth:`BlockLibrary.fibres`), so nothing is stored and
nothing is voxelized. A unit twin is periodic: a fibre leaving one face of its block re-enters at
the opposite one, and the block's voxels hold both pieces. The assembly frame therefore gets, per
non-air cell, the block's fibres *and their periodic images* (shifts by the block edge) that
reach into the block box, turned and mirrored by the cell's transform
(:mod:`voxtwin.assemble.transforms`: ``y = M x + flip offsets``) and translated to the cell.

Every row keeps its **owner cell**: a cylinder near a block face sticks out of its cell (its
other part is an image at the opposite face), and the assembly's voxels hold only the part
inside the cell, because each block is rasterized in its own box. A plain
:class:`~voxtwin.FibreTable` cannot hold that cut (a cylinder cut by an axis plane is no
cylinder), so :class:`AssemblyFibres` carries the table with each row's owner cell and box (µm);
:meth:`AssemblyFibres.rasterize` clips every row to its box and reproduces the assembly's label
voxels; composite voxels do the same (``voxtwin.fibre_composite_assembly``).

Lengths in µm; the assembly frame has its origin at the outer corner of voxel (0, 0, 0).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import _validate
from ..fibre_table import FibreTable
from ..generate import FIBRE_LABEL, place_fibres, rasterize_fibres
from . import transforms

if TYPE_CHECKING:
    from .assembly import Assembly
    from .library import BlockLibrary

__all__ = ["AssemblyFibres", "FibreCache", "assembly_fibres", "block_fibres", "periodic_images", "place_in_cell",
           "region_box"]

_IMAGE_SHIFTS = 2  # images up to two block edges away: fibres up to a block edge long


def block_fibres(library: BlockLibrary, name_or_id: str | int, seed: int | None = None) -> FibreTable:
    """The fibres (block frame, µm, unturned) of a procedural block generated with ``seed``.

    The same placement as :meth:`BlockLibrary.generate` (spec turned to the block's angle,
    periodic, target ``round(volume_fraction × voxels)``, the block's ``method``), without the
    rasterization: the block's voxels are exactly these fibres rasterized periodically. A stored
    block (an array) has no fibre table: ValueError.
    """
    block = library.block(int(name_or_id)) if isinstance(name_or_id, (int, np.integer)) else library[name_or_id]
    if not block.procedural:
        raise ValueError(f"block {block.name!r} is a stored array: its fibres are unknown (only procedural blocks "
                         "have a fibre table)")
    seed = block.seed if seed is None else _validate.seed(seed)
    spec = block.spec if block.angle is None else block.spec.rotated_in_plane(block.angle)
    return place_fibres(spec, library.block_shape, library.voxel_size, seed, periodic=True,
                        method=block.method).fibres


def _extent(fibres: FibreTable) -> np.ndarray:
    """Half-extent (n, 3) µm of each fibre's bounding box (the rasterizer's bound, slightly grown)."""
    r = 0.5 * fibres.diameter
    return fibres.axis_half_length[:, None] * np.abs(fibres.direction) + r[:, None] + 1e-9


def periodic_images(fibres: FibreTable, box_um: Sequence[float]) -> FibreTable:
    """The fibres and their periodic images (shifts by multiples of ``box_um`` per axis) whose
    bounding boxes reach into the box ``[0, box_um)``: the whole periodic picture inside the box.
    Row order: shift by shift (the unshifted fibres first), fibres in table order within a shift."""
    box = np.asarray(box_um, dtype=np.float64)
    if len(fibres) == 0:
        return fibres
    lo = fibres.centre - _extent(fibres)
    hi = fibres.centre + _extent(fibres)
    shifts = [np.array(s) for s in np.ndindex(*(2 * _IMAGE_SHIFTS + 1,) * 3)]
    shifts = sorted((s - _IMAGE_SHIFTS for s in shifts), key=lambda s: (int(np.abs(s).sum()), tuple(s)))
    parts = []
    for s in shifts:
        offset = s * box
        keep = np.all((lo + offset < box) & (hi + offset > 0.0), axis=1)
        if np.any(keep):
            sub = fibres[keep]
            parts.append(sub if not np.any(s) else sub.replace(centre=sub.centre + offset))
    return FibreTable.concat(*parts) if parts else FibreTable.empty(fibres.fibre_shape)


def place_in_cell(fibres: FibreTable, code: int, box_um: Sequence[float], origin_um: Sequence[float]) -> FibreTable:
    """Block-frame fibres turned/mirrored by transform ``code`` as the paste kernel turns the block
    (axis ``a`` of the turned block runs along block axis ``axis[a]``, reversed when ``flip[a]``:
    ``y_a = ±x_axis[a]`` (+ the box edge when reversed)) and moved to the cell's corner ``origin_um``."""
    axis, flip = transforms.axis_flip(int(code))
    box = np.asarray(box_um, dtype=np.float64)
    origin = np.asarray(origin_um, dtype=np.float64)
    c = fibres.centre[:, list(axis)].copy()
    u = fibres.direction[:, list(axis)].copy()
    for a in range(3):
        if flip[a]:
            c[:, a] = box[axis[a]] - c[:, a]
            u[:, a] = -u[:, a]
    return fibres.replace(centre=c + origin, direction=u)


def region_box(region: object, size_um: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """(lo, hi) µm of ``region``: None (the whole assembly) or ``((x0, y0, z0), (x1, y1, z1))`` in µm."""
    if region is None:
        return np.zeros(3), np.asarray(size_um, dtype=np.float64)
    try:
        lo, hi = (np.asarray(v, dtype=np.float64) for v in region)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"`region` must be None or ((x0, y0, z0), (x1, y1, z1)) in µm, got region={region!r}") \
            from None
    if lo.shape != (3,) or hi.shape != (3,) or not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))) \
            or np.any(hi <= lo):
        raise ValueError(f"`region` must be ((x0, y0, z0), (x1, y1, z1)) µm with x0 < x1, y0 < y1, z0 < z1, "
                         f"got region={region!r}")
    return lo, hi


class FibreCache:
    """Block fibre tables by (block id, seed), the least recently used dropped past ``max_tables``
    (a table of a 0.5 mm block at 10 vol% is ~50 kB): chunks sharing a cell place its fibres once."""

    def __init__(self, max_tables: int = 4096) -> None:
        self.max_tables = int(max_tables)
        self._data: OrderedDict[tuple[int, int], FibreTable] = OrderedDict()

    def get(self, library: BlockLibrary, block_id: int, seed: int) -> FibreTable:
        key = (int(block_id), int(seed))
        if key in self._data:
            self._data.move_to_end(key)
            return self._data[key]
        table = periodic_images(block_fibres(library, block_id, seed), library.block_size_um)
        self._data[key] = table
        while len(self._data) > max(self.max_tables, 1):
            self._data.popitem(last=False)
        return table


@dataclass(frozen=True)
class AssemblyFibres:
    """Fibres of an assembly in its frame (µm), each row clipped to its owner cell's box.

    ``table``: the cylinders (block fibres and periodic images, turned and placed); ``cells``
    (n, 3) int64: the owner cell's grid index of every row; ``box_um``: the block edge (µm), so
    row i is clipped to ``[cells[i] * box_um, (cells[i] + 1) * box_um)``; ``voxel_size``: the
    assembly's (µm), for :meth:`rasterize`.
    """

    table: FibreTable
    cells: np.ndarray
    box_um: tuple[float, float, float]
    voxel_size: float

    def __len__(self) -> int:
        return len(self.table)

    def owners(self) -> np.ndarray:
        """The distinct owner cells (m, 3), in grid order."""
        return np.unique(self.cells, axis=0) if len(self) else np.zeros((0, 3), dtype=np.int64)

    def of_cell(self, cell: Sequence[int]) -> FibreTable:
        """The rows owned by one cell."""
        return self.table[np.all(self.cells == np.asarray(cell, dtype=np.int64), axis=1)]

    def rasterize(self, shape: Sequence[int], *, solid_cells: np.ndarray | None = None, air_label: int = 2,
                  device: str = "auto") -> np.ndarray:
        """uint8 labels (0 matrix, 1 fibre) of the voxels ``[0, shape)`` of the assembly frame at
        :attr:`voxel_size`, each row rasterized only inside its owner cell (the cell's block box,
        non-periodic, as the block's own periodic rasterization left it). ``solid_cells``: bool grid
        of non-air cells (default: the owner cells); other voxels get ``air_label``."""
        grid = _validate.shape3("shape", shape)
        h = self.voxel_size
        bs = tuple(int(round(b / h)) for b in self.box_um)
        out = np.full(grid, air_label, dtype=np.uint8)
        cells = self.owners() if solid_cells is None else np.argwhere(solid_cells)
        for cell in cells:
            lo = np.asarray(cell, dtype=np.int64) * bs
            hi = np.minimum(lo + bs, grid)
            if np.any(hi <= lo):
                continue
            mine = self.of_cell(cell)
            origin = lo * h
            local = mine.replace(centre=mine.centre - origin) if len(mine) else mine
            labels = rasterize_fibres(local, bs, h, periodic=False, fibre_label=FIBRE_LABEL, device=device).labels
            window = tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))
            out[window] = labels[tuple(slice(0, int(b - a)) for a, b in zip(lo, hi))]
        return out


def assembly_fibres(asm: Assembly, region: object = None, *, images: bool = True,
                    cache: FibreCache | None = None) -> AssemblyFibres:
    """The fibres of ``asm`` reaching into ``region`` (µm box, default the whole assembly), each
    clipped to its owner cell (see :class:`AssemblyFibres`). Rows come cell by cell in grid order.
    ``images=False`` leaves out the periodic images (a negative control: the fibres then miss the
    pieces that re-enter at the opposite faces). Air cells have no fibres; stored-array blocks
    raise ValueError (their fibres are unknown)."""
    lo, hi = region_box(region, asm.size_um)
    box = np.asarray(asm.library.block_size_um, dtype=np.float64)
    ids, tf, seeds = asm._ids, asm._tf, asm._seeds()
    c_lo = np.maximum(np.floor(lo / box).astype(np.int64), 0)
    c_hi = np.minimum(np.ceil(hi / box).astype(np.int64), np.asarray(asm.grid_shape, dtype=np.int64))
    cache = FibreCache() if cache is None else cache
    tables, owners = [], []
    sub = ids[c_lo[0]:c_hi[0], c_lo[1]:c_hi[1], c_lo[2]:c_hi[2]]
    for cell in np.argwhere(sub >= 0) + c_lo:
        i, j, k = (int(c) for c in cell)
        bid, seed = int(ids[i, j, k]), int(seeds[i, j, k])
        if images:
            local = cache.get(asm.library, bid, seed)
        else:
            local = block_fibres(asm.library, bid, seed)
        if len(local) == 0:
            continue
        placed = place_in_cell(local, int(tf[i, j, k]), box, cell * box)
        a = np.maximum(lo, cell * box)
        b = np.minimum(hi, (cell + 1) * box)
        reach = _extent(placed)
        keep = np.all((placed.centre + reach > a) & (placed.centre - reach < b), axis=1)
        if np.any(keep):
            tables.append(placed[keep])
            owners.append(np.tile(cell, (int(np.count_nonzero(keep)), 1)))
    shape = "cylinder"
    if tables:
        table = FibreTable.concat(*tables)
        cells = np.concatenate(owners).astype(np.int64)
    else:
        blocks = [asm.library.block(int(b)) for b in np.unique(ids[ids >= 0])]
        shape = next((b.spec.shape for b in blocks if b.procedural), shape)
        table, cells = FibreTable.empty(shape), np.zeros((0, 3), dtype=np.int64)
    cells.flags.writeable = False
    return AssemblyFibres(table, cells, tuple(float(b) for b in box), asm.voxel_size)  # type: ignore[arg-type]
