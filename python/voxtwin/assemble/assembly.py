"""Assembly: a grid of block references, procedural until materialized (seed 000, §2.3–2.5).

Building blocks attach on ±X/±Y/±Z with shared faces into 1D rows, 2D layers and 3D stacks;
groups of them become named module blocks; layers stack in sequences (helicoidal,
quasi-isotropic, any angles). Nothing is voxelized until asked: the assembly knows its size,
its expected fibre count and its memory, and any chunk of it can be generated alone from the
block seeds (``chunk``, ``to_zarr``, ``to_numpy``).
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Union

import numpy as np

from .. import _core, _validate
from .._progress import progress_bar
from .._limits import require_memory
from ..errors import InsufficientMemoryError, VoxtwinWarning
from . import joints, transforms
from .library import KINDS, Block, BlockLibrary
from .module import Module
from .render import BlockCache, available_memory, chunk_counts, chunk_window, paste_cell, render_window
from .seeds import cell_seeds

__all__ = ["Assembly", "AssemblyWarning"]

_AXES = {"x": 0, "y": 1, "z": 2}
_DEFAULT_CACHE_BYTES = 256 * 2**20
_CELL_BYTES = 96  # per grid cell: ids, turns, seeds, and the layout and directions built from them
_CHUNK_BOOK_BYTES = 512  # per output chunk while writing: done flag, checksum, pending-list entry

Item = Union[str, Block, Module, "Assembly"]


class AssemblyWarning(VoxtwinWarning):
    """An assembly step that works but breaks a rule of seed 000 (e.g. a perpendicular joint)."""


def _axis(name: str, value: object) -> int:
    if isinstance(value, str) and value.lower() in _AXES:
        return _AXES[value.lower()]
    raise ValueError(f"`{name}` must be 'x', 'y' or 'z', got {name}={value!r}")


def _side(value: object) -> tuple[int, int]:
    if isinstance(value, str) and len(value) == 2 and value[0] in "+-" and value[1].lower() in _AXES:
        return _AXES[value[1].lower()], (1 if value[0] == "+" else -1)
    raise ValueError(f"`side` must be one of '+x', '-x', '+y', '-y', '+z', '-z', got side={value!r}")


def _require_grid(shape: tuple[int, ...], what: str) -> None:
    """Refuse a cell grid whose per-cell arrays (ids, turns, seeds, layout) do not fit memory."""
    require_memory(float(np.prod(shape, dtype=np.float64)) * _CELL_BYTES, f"{what}: a grid of {tuple(shape)} cells",
                   "fewer, larger blocks")


def _grid_shape(value: object) -> tuple[int, int, int]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 3:
        raise ValueError(f"`grid_shape` must be three ints >= 0 (blocks along X, Y, Z), got grid_shape={value!r}")
    return tuple(_validate.integer(f"grid_shape[{i}]", v, minimum=0) for i, v in enumerate(value))  # type: ignore


class Assembly:
    """A grid of building blocks from a :class:`BlockLibrary`, indexed ``[gx, gy, gz]``.

    Parameters
    ----------
    library:
        Where the blocks come from (all of one shape and voxel size).
    grid_shape:
        Blocks along X, Y, Z; the grid starts as air and grows with ``attach``/``stack``.
    seed:
        Assembly seed: every block cell gets its own seed from it and its grid position
        (``layout()["seed"]``), so the same spec yields a different twin in every cell.
    unique_blocks:
        False repeats identical copies (each block's own seed) instead: one twin per block type.
    air_label:
        Label of voxels outside any block (2 = void/air).
    device:
        Where procedural blocks are generated ("auto", "cpu", "cuda").
    cache_bytes:
        Bound of the cache of generated blocks used by ``chunk`` (bytes).
    """

    def __init__(self, library: BlockLibrary, grid_shape: Sequence[int] = (0, 0, 0), *, seed: int = 0,
                 unique_blocks: bool = True, air_label: int = 2, device: str = "auto",
                 cache_bytes: int = _DEFAULT_CACHE_BYTES) -> None:
        if not isinstance(library, BlockLibrary):
            raise TypeError(f"`library` must be a voxtwin BlockLibrary, got {type(library).__name__}")
        self.library = library
        shape = _grid_shape(grid_shape)
        self.seed = _validate.seed(seed)
        self.unique_blocks = bool(unique_blocks)
        self.air_label = _validate.integer("air_label", air_label, minimum=0)
        if self.air_label > 255:
            raise ValueError(f"`air_label` must be a uint8 label (0..255), got air_label={air_label!r}")
        self.device = _validate.choice("device", device, ("auto", "cpu", "cuda"))
        self.cache_bytes = _validate.integer("cache_bytes", cache_bytes, minimum=0)
        _require_grid(shape, "Assembly")
        self._ids = np.full(shape, -1, dtype=np.int32)
        self._tf = np.zeros(shape, dtype=np.uint8)
        self._cache: BlockCache | None = None
        self._seed_grid: np.ndarray | None = None

    # ---- pickling (Dask workers get their own cache) -------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_cache"] = None
        state["_seed_grid"] = None
        return state

    # ---- geometry -----------------------------------------------------------------------
    @property
    def grid_shape(self) -> tuple[int, int, int]:
        """Blocks along X, Y, Z."""
        return tuple(int(n) for n in self._ids.shape)  # type: ignore[return-value]

    @property
    def block_shape(self) -> tuple[int, int, int]:
        """Voxels per block along X, Y, Z."""
        return self.library.block_shape

    @property
    def voxel_size(self) -> float:
        """Voxel edge in µm."""
        return self.library.voxel_size

    @property
    def shape(self) -> tuple[int, int, int]:
        """Voxels along X, Y, Z of the materialized volume."""
        return tuple(g * b for g, b in zip(self.grid_shape, self.block_shape))  # type: ignore[return-value]

    @property
    def size_um(self) -> tuple[float, float, float]:
        """Physical extent in µm."""
        return tuple(n * self.voxel_size for n in self.shape)  # type: ignore[return-value]

    @property
    def n_voxels(self) -> int:
        """Number of voxels (Python int: giga-voxel counts do not overflow)."""
        gx, gy, gz = self.shape
        return gx * gy * gz

    @property
    def nbytes(self) -> int:
        """Memory of the whole volume as uint8 labels (bytes)."""
        return self.n_voxels

    @property
    def n_blocks(self) -> int:
        """Number of non-air cells."""
        return int(np.count_nonzero(self._ids >= 0))

    @property
    def n_fibres(self) -> float:
        """Expected number of fibres (sum of the blocks' expected counts, see
        ``BlockLibrary.expected_fibres``); known before anything is generated."""
        counts = np.bincount(self._ids[self._ids >= 0].ravel(), minlength=len(self.library))
        return float(sum(int(c) * self.library.expected_fibres(i) for i, c in enumerate(counts) if c))

    def block_at(self, i: int, j: int, k: int) -> str | None:
        """Name of the block in cell (i, j, k), None for air."""
        bid = int(self._ids[i, j, k])
        return None if bid < 0 else self.library.block(bid).name

    # ---- editing ------------------------------------------------------------------------
    def _changed(self) -> None:
        self._seed_grid = None

    def _check_turn(self, code: int) -> None:
        axis, _ = transforms.axis_flip(code)
        bs = self.block_shape
        if tuple(bs[a] for a in axis) != bs:
            raise ValueError(f"this turn swaps block axes of different extents (block_shape={bs}); "
                             "quarter turns need equal extents along the two axes they swap")

    def _resolve(self, item: Item, rotate: object = None, mirror: object = None) -> tuple[np.ndarray, np.ndarray]:
        """(library ids, transform codes) grids of an item, turned by rotate/mirror."""
        lib = self.library
        if isinstance(item, Block):
            item = item.name
        if isinstance(item, str):
            if item in lib.modules:
                item = lib.module(item)
            elif item in lib:
                ids = np.full((1, 1, 1), lib.id(item), dtype=np.int32)
                tf = np.zeros((1, 1, 1), dtype=np.uint8)
            else:
                raise ValueError(f"`item` names neither a block nor a module of the library, got item={item!r}")
        if isinstance(item, Module):
            missing = [n for n in item.palette if n not in lib]
            if missing:
                raise ValueError(f"module {item.name!r} uses blocks the library lacks: {missing}")
            table = np.array([lib.id(n) for n in item.palette] + [-1], dtype=np.int32)
            ids, tf = table[item.ids], item.transforms.copy()  # -1 indexes the trailing air entry
        elif isinstance(item, Assembly):
            if item.library is lib:
                ids = item._ids.copy()
            else:
                used = [item.library.block(int(i)).name for i in np.unique(item._ids[item._ids >= 0])]
                missing = [n for n in used if n not in lib]
                if missing:
                    raise ValueError(f"the assembly uses blocks this library lacks: {missing}")
                table = np.array([lib.id(n) if n in lib else -1 for n in item.library.names] + [-1], dtype=np.int32)
                ids = table[item._ids]
            tf = item._tf.copy()
        elif not isinstance(item, str):
            raise TypeError(f"`item` must be a block or module name, a Block, a Module or an Assembly, "
                            f"got {type(item).__name__}")
        ids, tf = transforms.turn_cells(ids, tf, transforms.parse(rotate, mirror))
        for c in np.unique(tf[ids >= 0]):
            self._check_turn(int(c))
        return np.ascontiguousarray(ids), np.ascontiguousarray(tf)

    def __setitem__(self, key: Any, value: str | Block | None) -> None:
        """``asm[0:4, 0:4, 0] = "inner_0"`` fills grid cells with a block (None or "air": air)."""
        if value is None or value == "air":
            bid = -1
        else:
            name = value.name if isinstance(value, Block) else value
            if not isinstance(name, str) or name not in self.library:
                raise ValueError(f"value must be a block name of the library or None, got {value!r}")
            bid = self.library.id(name)
        self._ids[key] = bid
        self._tf[key] = transforms.IDENTITY
        self._changed()

    def place(self, item: Item, at: Sequence[int] = (0, 0, 0), *, rotate: object = None,
              mirror: object = None) -> Assembly:
        """Puts a block, module or assembly with its first cell at grid position ``at``
        (inside the grid); air cells of the item leave the grid unchanged. Returns self."""
        ids, tf = self._resolve(item, rotate, mirror)
        if not isinstance(at, Sequence) or len(at) != 3:
            raise ValueError(f"`at` must be three grid indices, got at={at!r}")
        at = [_validate.integer(f"at[{i}]", a, minimum=0) for i, a in enumerate(at)]
        if any(a + n > g for a, n, g in zip(at, ids.shape, self.grid_shape)):
            raise ValueError(f"item of {ids.shape} cells at `at`={tuple(at)} leaves the grid {self.grid_shape}; "
                             "use attach to grow the grid")
        window = tuple(slice(a, a + n) for a, n in zip(at, ids.shape))
        solid = ids >= 0
        self._ids[window][solid] = ids[solid]
        self._tf[window][solid] = tf[solid]
        self._changed()
        return self

    def attach(self, item: Item, side: str = "+x", *, at: Sequence[int] = (0, 0), rotate: object = None,
               mirror: object = None, strict: bool = False) -> Assembly:
        """Attaches a block, module or assembly on a side (shared face) and grows the grid.

        ``side``: "+x", "-x", "+y", "-y", "+z" or "-z". ``at``: offsets (cells) of the item along
        the two other axes, in X, Y, Z order (e.g. (y, z) for side "+x"); may be negative.
        ``rotate``/``mirror`` turn the item first (see ``transforms.parse``). Joints that break
        seed 000's rule (blocks connected parallel to their orientation, see ``joints``) give an
        :class:`AssemblyWarning`, or a ValueError with ``strict=True`` (the assembly is then left
        unchanged). Returns self.
        """
        axis, sign = _side(side)
        ids, tf = self._resolve(item, rotate, mirror)
        others = [a for a in range(3) if a != axis]
        if not isinstance(at, Sequence) or len(at) != 2:
            raise ValueError(f"`at` must be two offsets (cells) along the axes other than the side's, got at={at!r}")
        offset = [0, 0, 0]
        for a, v in zip(others, at):
            offset[a] = _validate.integer("at", v)
        old = self.grid_shape
        if self.n_blocks == 0 and 0 in old:
            new_ids, new_tf = ids, tf
            face = None
        else:
            offset[axis] = old[axis] if sign > 0 else -ids.shape[axis]
            lo = [min(0, o) for o in offset]
            hi = [max(g, o + n) for g, o, n in zip(old, offset, ids.shape)]
            shape = tuple(h - lo_ for h, lo_ in zip(hi, lo))
            _require_grid(shape, f"attach on {side}")
            new_ids = np.full(shape, -1, dtype=np.int32)
            new_tf = np.zeros(shape, dtype=np.uint8)
            own = tuple(slice(-lo_, -lo_ + g) for lo_, g in zip(lo, old))
            new_ids[own], new_tf[own] = self._ids, self._tf
            theirs = tuple(slice(o - lo_, o - lo_ + n) for o, lo_, n in zip(offset, lo, ids.shape))
            new_ids[theirs], new_tf[theirs] = ids, tf
            # the face between the old grid and the item, as an index along `axis`
            face = (old[axis] if sign > 0 else ids.shape[axis]) - 1
        if face is not None:
            directions = self._directions(new_ids, new_tf)
            bad = joints.perpendicular_joints(directions, axis)
            flagged = int(np.count_nonzero(np.take(bad, face, axis=axis)))
            if flagged:
                msg = (f"attach on {side} joins {flagged} block pair(s) perpendicular to their orientation; seed 000 "
                       "connects blocks parallel to their orientation (see voxtwin.assemble.joints)")
                if strict:
                    raise ValueError(msg)
                warnings.warn(msg, AssemblyWarning, stacklevel=2)
        self._ids, self._tf = np.ascontiguousarray(new_ids), np.ascontiguousarray(new_tf)
        self._changed()
        return self

    def module(self, name: str, region: Any = None, *, save: str | os.PathLike | None = None) -> Module:
        """Groups the cells in ``region`` (a tuple of slices of the grid; default all) into a
        named module block, registers it in the library and, with ``save``, writes it as JSON."""
        region = (slice(None),) * 3 if region is None else region
        ids, tf = self._ids[region], self._tf[region]
        if ids.ndim != 3:
            raise ValueError(f"`region` must select a 3D box of cells (slices), got region={region!r}")
        used = sorted(int(i) for i in np.unique(ids[ids >= 0]))
        remap = np.full(len(self.library) + 1, -1, dtype=np.int32)
        remap[used] = np.arange(len(used), dtype=np.int32)
        mod = Module(name, tuple(self.library.block(i).name for i in used), remap[ids], tf)
        self.library.add_module(mod)
        if save is not None:
            mod.save(save)
        return mod

    def stack(self, layers: Sequence[float | Item], axis: str = "z", *, layer_shape: Sequence[int] | None = None,
              strict: bool = False) -> Assembly:
        """Stacks layers on the + side of ``axis``, bottom first. Returns self.

        A layer is an angle (degrees: a layer of the library's inner block at that angle), a
        module or block name (a block fills a whole layer), a Module or an Assembly. Angle and
        block layers take their in-plane extent from the assembly, or ``layer_shape`` (cells
        along the two other axes, in X, Y, Z order) when it is empty.
        """
        ax = _axis("axis", axis)
        others = [a for a in range(3) if a != ax]
        if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
            raise TypeError(f"`layers` must be a sequence of layers, got layers={layers!r}")
        inplane: tuple[int, ...] | None = None
        if self.n_blocks or all(self.grid_shape[a] > 0 for a in others):
            inplane = tuple(self.grid_shape[a] for a in others)
        elif layer_shape is not None:
            if not isinstance(layer_shape, Sequence) or len(layer_shape) != 2:
                raise ValueError(f"`layer_shape` must be two cell counts, got layer_shape={layer_shape!r}")
            inplane = tuple(_validate.integer(f"layer_shape[{i}]", v, minimum=1) for i, v in enumerate(layer_shape))
        if inplane is not None:  # the grid this stack ends with, before any layer is built
            final = [0, 0, 0]
            for a, v in zip(others, inplane):
                final[a] = v
            final[ax] = self.grid_shape[ax] + len(layers)
            _require_grid(tuple(final), f"stacking {len(layers)} layers of {inplane} cells")
        for n, layer in enumerate(layers):
            if isinstance(layer, (int, float, np.integer, np.floating)) and not isinstance(layer, bool):
                name: Item = self.library.block_for(float(layer), "inner")
                filled = True
            else:
                name = layer  # type: ignore[assignment]
                filled = isinstance(layer, (str, Block)) and (layer.name if isinstance(layer, Block) else layer) \
                    in self.library
            if filled:
                if inplane is None:
                    raise ValueError("the assembly is empty: give `layer_shape` for angle or block layers")
                shape = [1, 1, 1]
                for a, v in zip(others, inplane):
                    shape[a] = v
                bid = self.library.id(name.name if isinstance(name, Block) else name)  # type: ignore[arg-type]
                item: Item = Module(f"layer_{n}", (self.library.block(bid).name,), np.zeros(shape, np.int32),
                                    np.zeros(shape, np.uint8))
            else:
                item = name
            ids, _ = self._resolve(item)
            got = tuple(ids.shape[a] for a in others)
            if inplane is not None and got != inplane:
                raise ValueError(f"`layers[{n}]` has in-plane extent {got}, the stack has {inplane}")
            inplane = got
            self.attach(item, side=f"+{'xyz'[ax]}", at=(0, 0), strict=strict)
        return self

    @classmethod
    def from_ids(cls, library: BlockLibrary, ids: np.ndarray, transforms_: np.ndarray | None = None,
                 **kwargs: Any) -> Assembly:
        """An assembly from a grid of library block ids (int, -1 = air) and optional turn codes."""
        ids = np.asarray(ids)
        if ids.ndim != 3 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"`ids` must be a 3D integer grid of block ids, got shape {ids.shape}, dtype {ids.dtype}")
        if ids.size and (ids.min() < -1 or ids.max() >= len(library)):
            raise ValueError(f"`ids` must be -1 (air) or a block id 0..{len(library) - 1}")
        asm = cls(library, ids.shape, **kwargs)
        asm._ids[...] = ids
        if transforms_ is not None:
            tf = np.asarray(transforms_)
            if tf.shape != ids.shape or (tf.size and (tf.min() < 0 or tf.max() >= 48)):
                raise ValueError(f"`transforms_` must be codes 0..47 of the shape of `ids` {ids.shape}")
            for c in np.unique(tf[ids >= 0]):
                asm._check_turn(int(c))
            asm._tf[...] = tf
        return asm

    @classmethod
    def from_layout(cls, library: BlockLibrary, layout: Any, **kwargs: Any) -> Assembly:
        """An assembly from a grown layout (``voxtwin.growth.grow``): any object with ``blocks``
        (int grid of ids, -1 = air), ``library_blocks`` (library block name per id) and
        ``transforms`` (turn code per id). ``kwargs`` go to the constructor."""
        try:
            ids, names, codes = np.asarray(layout.blocks), list(layout.library_blocks), np.asarray(layout.transforms)
        except AttributeError as exc:
            raise TypeError(f"`layout` must have blocks, library_blocks and transforms (a voxtwin.growth.Layout), "
                            f"got {type(layout).__name__}") from exc
        missing = sorted({n for n in names if n not in library})
        if missing:
            raise ValueError(f"the layout uses blocks the library lacks: {missing}; library: {library.names}")
        table = np.array([library.id(n) for n in names] + [-1], dtype=np.int32)
        code_table = np.append(codes.astype(np.uint8), np.uint8(0))
        return cls.from_ids(library, table[ids], code_table[ids], **kwargs)

    @classmethod
    def stacked(cls, library: BlockLibrary, sequence: Sequence[float] | str = "helicoidal",
                layer_shape: Sequence[int] = (4, 4), axis: str = "z", **kwargs: Any) -> Assembly:
        """A stack of layers, one per angle of ``sequence`` (see ``stacking``), each
        ``layer_shape`` inner blocks of that angle; ``kwargs`` go to the constructor."""
        from .stacking import stacking

        angles = stacking(sequence) if isinstance(sequence, str) else sequence
        asm = cls(library, **kwargs)
        return asm.stack(list(angles), axis=axis, layer_shape=layer_shape)

    # ---- layout -------------------------------------------------------------------------
    def _directions(self, ids: np.ndarray, tf: np.ndarray) -> np.ndarray:
        """Unit fibre direction of every cell (NaN for air or blocks without an angle)."""
        out = np.full(ids.shape + (3,), np.nan)
        solid = ids >= 0
        keys = ids[solid].astype(np.int64) * 48 + tf[solid]
        uniq, inverse = np.unique(keys, return_inverse=True)
        table = np.full((len(uniq), 3), np.nan)
        for n, key in enumerate(uniq):
            d = self.library.block(int(key // 48)).direction
            if d is not None:
                table[n] = transforms.matrix(int(key % 48)) @ d
        out[solid] = table[inverse.ravel()]
        return out

    def _seeds(self) -> np.ndarray:
        if self._seed_grid is None:
            if self.unique_blocks:
                seeds = cell_seeds(self.seed, self.grid_shape)
            else:
                table = np.array([b.seed for b in (self.library.block(i) for i in range(len(self.library)))] + [0],
                                 dtype=np.uint64)
                seeds = table[self._ids]
            seeds[self._ids < 0] = 0
            self._seed_grid = seeds
        return self._seed_grid

    def layout(self) -> dict[str, np.ndarray]:
        """Per-cell description, all ``[gx, gy, gz]``.

        ``angle``: float64 in-plane fibre angle in degrees [0, 180) after the cell's turn, NaN
        for air, for blocks without an angle and for turns that tip the fibres out of the XY
        plane (``kind`` tells them apart); ``kind``: uint8 0 air, 1 outer, 2 inner; ``seed``:
        uint64 seed the cell's block is generated with (0 for air); ``block``: int32 library
        block id (-1 air); ``transform``: uint8 turn/mirror code (``assemble.transforms``).
        """
        ids, tf = self._ids, self._tf
        d = self._directions(ids, tf)
        with np.errstate(invalid="ignore"):
            in_plane = np.abs(d[..., 2]) < 1e-9
            angle = np.where(in_plane, np.round(np.degrees(np.arctan2(d[..., 1], d[..., 0])), 9) % 180.0, np.nan)
        kind_table = np.array([KINDS[self.library.block(i).kind] for i in range(len(self.library))] + [0],
                              dtype=np.uint8)
        return {"angle": angle, "kind": kind_table[ids], "seed": self._seeds().copy(), "block": ids.copy(),
                "transform": tf.copy()}

    def perpendicular_joints(self) -> int:
        """Number of face joints that break seed 000's connection rule (see ``joints``)."""
        d = self._directions(self._ids, self._tf)
        return int(sum(np.count_nonzero(joints.perpendicular_joints(d, a)) for a in range(3)
                       if self.grid_shape[a] > 1))

    def fingerprint(self) -> str:
        """Digest of everything the voxels depend on (stores refuse to resume into another)."""
        h = hashlib.sha256()
        h.update(repr((_core.__version__, self.block_shape, self.voxel_size, self.air_label, self.grid_shape,
                       self.seed, self.unique_blocks)).encode())
        for arr in (self._ids, self._tf, self._seeds()):
            h.update(np.ascontiguousarray(arr).tobytes())
        for bid in np.unique(self._ids[self._ids >= 0]):
            h.update(self.library.block_key(int(bid)).encode())
        return h.hexdigest()

    def summary(self) -> str:
        """Human-readable size, memory and content, computed without generating anything."""
        gx, gy, gz = self.grid_shape
        bx, by, bz = self.block_shape
        sx, sy, sz = (s / 1000.0 for s in self.size_um)
        nx, ny, nz = self.shape
        kind_table = np.array([KINDS[self.library.block(i).kind] for i in range(len(self.library))] + [0],
                              dtype=np.uint8)
        per_block = np.bincount(self._ids.ravel() + 1, minlength=len(self.library) + 1)  # air first
        kinds = np.bincount(np.roll(kind_table, 1), weights=per_block, minlength=3)
        return "\n".join([
            f"Assembly: {gx}×{gy}×{gz} blocks of {bx}×{by}×{bz} voxels at {self.voxel_size:g} µm",
            f"  volume    {nx}×{ny}×{nz} voxels = {sx:g}×{sy:g}×{sz:g} mm",
            f"  voxels    {self.n_voxels:.3e}; memory {self.nbytes / 2**30:.3f} GiB as uint8 labels",
            (f"  blocks    {self.n_blocks} ({int(kinds[1])} outer, {int(kinds[2])} inner, {int(kinds[0])} air cells)"),
            f"  fibres    {self.n_fibres:.3e} expected",
            f"  joints    {self.perpendicular_joints()} perpendicular",
            f"  seed      {self.seed} ({'one twin per cell' if self.unique_blocks else 'identical copies'})",
        ])

    def __repr__(self) -> str:
        gx, gy, gz = self.grid_shape
        return (f"Assembly({gx}×{gy}×{gz} blocks, {self.n_voxels:.3e} voxels, {self.nbytes / 2**30:.3g} GiB, "
                f"{self.n_blocks} blocks, seed={self.seed})")

    # ---- fibres -------------------------------------------------------------------------
    def fibres(self, region: Any = None, *, images: bool = True) -> Any:
        """The fibres reaching into ``region`` (None: all; ``((x0, y0, z0), (x1, y1, z1))`` µm), each
        row clipped to its owner cell: a :class:`voxtwin.assemble.fibres.AssemblyFibres`
        (``images=False``: without the periodic images, a negative control)."""
        from .fibres import assembly_fibres

        return assembly_fibres(self, region, images=images)

    def fibre_table(self, region: Any = None) -> Any:
        """The fibre table (µm, assembly frame) of the fibres reaching into ``region``: every cell's
        block fibres and their periodic images, turned and placed. Cylinders near a block face stick
        out of their cell (the voxels keep only the part inside it): use :meth:`fibres` for the
        owner cells that clip them."""
        return self.fibres(region).table

    # ---- voxels -------------------------------------------------------------------------
    def _block_cache(self) -> BlockCache:
        if self._cache is None:
            self._cache = BlockCache(self.cache_bytes)
        return self._cache

    def clear_cache(self) -> None:
        """Drops the generated blocks kept for ``chunk``."""
        if self._cache is not None:
            self._cache.clear()

    def cell_labels(self, i: int, j: int, k: int, *, cache: BlockCache | None = None,
                    seeds: np.ndarray | None = None) -> np.ndarray:
        """Labels of the (unturned) block in cell (i, j, k), generated from the cell's seed."""
        bid = int(self._ids[i, j, k])
        if bid < 0:
            raise ValueError(f"cell ({i}, {j}, {k}) is air")
        block = self.library.block(bid)
        if not block.procedural:
            return block.array  # type: ignore[return-value]
        seed = int((self._seeds() if seeds is None else seeds)[i, j, k])
        cache = self._block_cache() if cache is None else cache
        return cache.get((bid, seed), lambda: self.library.generate(bid, seed, self.device))

    def _chunks(self, chunks: Sequence[int] | None) -> tuple[int, int, int]:
        if chunks is None:
            return tuple(min(b, max(s, 1)) for b, s in zip(self.block_shape, self.shape))  # type: ignore
        return _validate.shape3("chunks", chunks)

    def chunk(self, index: Sequence[int], chunks: Sequence[int] | None = None) -> np.ndarray:
        """The uint8 labels of one output chunk, generated alone.

        ``chunks``: chunk shape in voxels (default: the block shape); chunks need not align with
        blocks. ``index``: the chunk's position in the chunk grid. Edge chunks are clipped to the
        volume, as in zarr. Only the blocks overlapping the chunk are (re)generated.
        """
        chunks_ = self._chunks(chunks)
        counts = chunk_counts(self.shape, chunks_)
        if not isinstance(index, Sequence) or len(index) != 3:
            raise ValueError(f"`index` must be three chunk indices, got index={index!r}")
        idx = tuple(_validate.integer(f"index[{i}]", v, minimum=0) for i, v in enumerate(index))
        if any(i >= c for i, c in zip(idx, counts)):
            raise IndexError(f"`index`={idx} is outside the chunk grid {counts} of chunks {chunks_}")
        lo, extent = chunk_window(idx, self.shape, chunks_)  # type: ignore[arg-type]
        require_memory(float(np.prod(extent, dtype=np.float64)) + self.cache_bytes,
                       f"a chunk of {tuple(int(e) for e in extent)} voxels", "use smaller `chunks`")
        return render_window(self, lo, extent, self._block_cache())

    def to_numpy(self, *, threads: int | None = None, progress: bool = False) -> np.ndarray:
        """The whole volume as uint8 labels ``[x, y, z]`` (small assemblies; checks memory first)."""
        need = self.nbytes
        have = available_memory()
        if need > have:
            raise InsufficientMemoryError(f"to_numpy needs {need / 2**30:.2f} GiB, {have / 2**30:.2f} GiB are "
                                          "available; write the assembly chunk by chunk with to_zarr")
        if 0 in self.shape:
            return np.zeros(self.shape, dtype=np.uint8)
        out = np.full(self.shape, self.air_label, dtype=np.uint8)
        cells = np.argwhere(self._ids >= 0)
        cache, seeds, origin = self._block_cache(), self._seeds(), np.zeros(3, dtype=np.int64)
        workers = _core.get_num_threads() if threads is None else _validate.integer("threads", threads, minimum=1)
        bar = progress_bar(len(cells), desc="assembling", enabled=progress, unit="block")
        with bar, ThreadPoolExecutor(max_workers=workers) as pool:
            for _ in pool.map(lambda c: paste_cell(self, c, out, origin, cache, seeds), cells):
                bar.update(1)
        return out

    def to_zarr(self, path: str | os.PathLike, chunks: Sequence[int] | None = None, *, progress: bool = True,
                threads: int | None = None, client: Any = None, overwrite: bool = False,
                compressors: Any = "default") -> Any:
        """Writes the volume to a compressed zarr v3 store, chunk by chunk; resumable.

        See :func:`voxtwin.assemble.zarr_store.write` for the store layout, resumption and the
        Dask path. Returns the store's root ``zarr.Group`` (opened read-only).
        """
        from .zarr_store import write

        chunks_ = self._chunks(chunks)
        workers = _core.get_num_threads() if threads is None else _validate.integer("threads", threads, minimum=1)
        n_chunks = float(np.prod(chunk_counts(self.shape, chunks_), dtype=np.float64))
        # chunks in flight (two per writer thread), the block cache, and the bookkeeping per chunk
        require_memory(2.0 * workers * float(np.prod(chunks_, dtype=np.float64)) + self.cache_bytes
                       + n_chunks * _CHUNK_BOOK_BYTES, f"to_zarr with chunks={chunks_} ({n_chunks:.3g} chunks)",
                       "use smaller chunks (memory) or larger ones (fewer chunks), or fewer `threads`")
        return write(self, path, chunks_, progress=progress, threads=threads, client=client,
                     overwrite=overwrite, compressors=compressors)
