"""Adjacency rules: which block may sit across each face of each block (seed 002).

Rules are given explicitly (``AdjacencyRules(blocks, allowed)``) or derived from the voxels of
a block library (``AdjacencyRules.from_library``): two blocks may touch across a face when their
face signatures, the voxel layers on either side of the shared face, agree. Turned and mirrored
copies of each library block become variants of it: separate rule blocks that share the block's
frequency group, so a target fraction ξ names the basic block, whatever its orientation.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .. import _validate
from ..assemble import BlockLibrary, transforms

__all__ = ["FACES", "AdjacencyRules"]

#: Face names in the order of every rule table (face f and f ^ 1 are opposite).
FACES = ("+x", "-x", "+y", "-y", "+z", "-z")
_FACE_INDEX = {f: i for i, f in enumerate(FACES)}


def _face(value: object) -> int:
    if isinstance(value, str) and value.lower() in _FACE_INDEX:
        return _FACE_INDEX[value.lower()]
    raise ValueError(f"a face must be one of {FACES}, got face={value!r}")


class AdjacencyRules:
    """Blocks and the blocks each may have across each of its six faces.

    Parameters
    ----------
    blocks:
        Block names (their order gives the integer ids of a grown layout).
    allowed:
        Maps ``(block, face)`` — face one of "+x", "-x", "+y", "-y", "+z", "-z" — to the names
        that may sit across that face. The rules are made symmetric: B across +x of A also puts
        A across -x of B. A (block, face) that no entry (or its mirror) mentions allows nothing.
    groups:
        Optional frequency group name per block (default: each block its own group). Blocks of
        one group share one target fraction (the variants of a turned library block).
    library_blocks, transforms_:
        Optional library block name and turn code (``assemble.transforms``) per block, used by
        ``Assembly.from_layout`` (default: the block's own name, unturned).
    """

    def __init__(self, blocks: Sequence[str], allowed: Mapping[tuple[str, str], Iterable[str]], *,
                 groups: Sequence[str] | None = None, library_blocks: Sequence[str] | None = None,
                 transforms_: Sequence[int] | None = None) -> None:
        if isinstance(blocks, str) or not isinstance(blocks, Sequence) or not blocks:
            raise ValueError(f"`blocks` must be a non-empty list of block names, got blocks={blocks!r}")
        names = [str(b) for b in blocks]
        if len(set(names)) != len(names):
            raise ValueError(f"`blocks` must not repeat a name, got blocks={blocks!r}")
        if len(names) > 4096:
            raise ValueError(f"`blocks` may hold at most 4096 names, got {len(names)}")
        ids = {n: i for i, n in enumerate(names)}
        n = len(names)
        table = np.zeros((6, n, n), dtype=bool)
        if not isinstance(allowed, Mapping):
            raise TypeError(f"`allowed` must map (block, face) to block names, got {type(allowed).__name__}")
        for key, others in allowed.items():
            if not (isinstance(key, tuple) and len(key) == 2):
                raise ValueError(f"`allowed` keys must be (block, face) pairs, got key {key!r}")
            a, f = key
            if a not in ids:
                raise ValueError(f"`allowed` names a block not in `blocks`: {a!r}")
            fi = _face(f)
            if isinstance(others, str):
                others = [others]
            for b in others:
                if b not in ids:
                    raise ValueError(f"`allowed[{key!r}]` names a block not in `blocks`: {b!r}")
                table[fi, ids[a], ids[b]] = True
        self._init(names, table, groups, library_blocks, transforms_)

    def _init(self, names: list[str], table: np.ndarray, groups: Sequence[str] | None,
              library_blocks: Sequence[str] | None, transforms_: Sequence[int] | None) -> None:
        n = len(names)
        # symmetric closure: b across face f of a  <=>  a across the opposite face of b
        table = table | table[[1, 0, 3, 2, 5, 4]].transpose(0, 2, 1)
        self.blocks: tuple[str, ...] = tuple(names)
        self.table: np.ndarray = np.ascontiguousarray(table)
        self.table.flags.writeable = False
        groups = list(names) if groups is None else [str(g) for g in groups]
        if len(groups) != n:
            raise ValueError(f"`groups` must give one group per block ({n}), got {len(groups)}")
        self.groups: tuple[str, ...] = tuple(dict.fromkeys(groups))
        self.group_of: np.ndarray = np.array([self.groups.index(g) for g in groups], dtype=np.int32)
        self.library_blocks: tuple[str, ...] = tuple(names if library_blocks is None else library_blocks)
        codes = [0] * n if transforms_ is None else [int(c) for c in transforms_]
        if len(self.library_blocks) != n or len(codes) != n or any(not 0 <= c < 48 for c in codes):
            raise ValueError("`library_blocks` and `transforms_` must give one name and one code 0..47 per block")
        self.transforms: np.ndarray = np.array(codes, dtype=np.uint8)

    # ---- from voxels --------------------------------------------------------------------
    @classmethod
    def from_library(cls, library: BlockLibrary, names: Sequence[str] | None = None, *, variants: bool = True,
                     tolerance: float = 0.0, seed: int | None = None) -> AdjacencyRules:
        """Rules from the face signatures of library blocks.

        Each block (all of ``names``, default the whole library) is turned by the 48 quarter
        turns and mirrors when ``variants`` (distinct results only, named ``"<block>@<code>"``;
        the unturned one keeps its name). Two blocks may sit across a face when the voxel layers
        touching that face differ in at most ``tolerance`` of their voxels (0: identical; raise it
        for stochastic blocks such as fibre unit twins). Procedural blocks are generated with
        ``seed`` (default: each block's own seed). Blocks must be cubes to be turned.
        """
        if not isinstance(library, BlockLibrary):
            raise TypeError(f"`library` must be a voxtwin BlockLibrary, got {type(library).__name__}")
        names = list(library.names) if names is None else list(names)
        if not names:
            raise ValueError("`names` must name at least one block of the library")
        for n_ in names:
            library[n_]
        tolerance = _validate.fraction("tolerance", tolerance, open_low=False, open_high=False)
        bs = library.block_shape
        if variants and len(set(bs)) != 1:
            raise ValueError(f"turned variants need cubic blocks, got block_shape={bs}; pass variants=False")
        rule_names: list[str] = []
        groups: list[str] = []
        lib_names: list[str] = []
        codes: list[int] = []
        arrays: list[np.ndarray] = []
        for name in names:
            labels = np.asarray(library.generate(name, seed))
            seen: set[bytes] = set()
            for code in range(48) if variants else (0,):
                turned = transforms.turn_grid(labels, code)
                key = turned.tobytes()
                if key in seen:
                    continue
                seen.add(key)
                rule_names.append(name if code == 0 else f"{name}@{code}")
                groups.append(name)
                lib_names.append(name)
                codes.append(code)
                arrays.append(turned)
        table = signature_table(arrays, tolerance)
        rules = cls.__new__(cls)
        rules._init(rule_names, table, groups, lib_names, codes)
        return rules

    # ---- queries ------------------------------------------------------------------------
    @property
    def n_blocks(self) -> int:
        """Number of rule blocks (variants counted separately)."""
        return len(self.blocks)

    @property
    def n_groups(self) -> int:
        """Number of frequency groups (basic blocks)."""
        return len(self.groups)

    def allows(self, block: str, face: str, other: str) -> bool:
        """True when ``other`` may sit across ``face`` of ``block``."""
        return bool(self.table[_face(face), self.blocks.index(block), self.blocks.index(other)])

    def allowed(self, block: str, face: str) -> set[str]:
        """Names that may sit across ``face`` of ``block``."""
        row = self.table[_face(face), self.blocks.index(block)]
        return {self.blocks[i] for i in np.flatnonzero(row)}

    def violations(self, blocks: np.ndarray, *, periodic: bool = False) -> int:
        """Number of face contacts in a grid of block ids that the rules forbid (-1 cells are
        void and constrain nothing); wrapped contacts count too when ``periodic``."""
        grid = np.asarray(blocks)
        if grid.ndim != 3 or not np.issubdtype(grid.dtype, np.integer):
            raise ValueError(f"`blocks` must be a 3D integer grid, got shape {grid.shape}, dtype {grid.dtype}")
        if grid.size and (grid.min() < -1 or grid.max() >= self.n_blocks):
            raise ValueError(f"`blocks` must hold ids -1..{self.n_blocks - 1}")
        bad = 0
        for axis in range(3):
            if periodic:
                a, b = grid, np.roll(grid, -1, axis=axis)
            else:
                sl_a = [slice(None)] * 3
                sl_b = [slice(None)] * 3
                sl_a[axis], sl_b[axis] = slice(0, -1), slice(1, None)
                a, b = grid[tuple(sl_a)], grid[tuple(sl_b)]
            both = (a >= 0) & (b >= 0)
            bad += int(np.count_nonzero(~self.table[2 * axis][a[both], b[both]]))
        return bad

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (``AdjacencyRules.from_dict`` reads it back)."""
        allowed = [[block, face, sorted(self.allowed(block, face))] for block in self.blocks for face in FACES]
        return {"format": "voxtwin.AdjacencyRules", "version": 1, "blocks": list(self.blocks),
                "allowed": allowed, "groups": [self.groups[g] for g in self.group_of],
                "library_blocks": list(self.library_blocks), "transforms": [int(c) for c in self.transforms]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdjacencyRules:
        """Inverse of :meth:`to_dict`; ``allowed`` may also be a mapping ``"block face" -> names``."""
        if not isinstance(data, Mapping) or "blocks" not in data or "allowed" not in data:
            raise ValueError("a rules description needs 'blocks' and 'allowed'")
        raw = data["allowed"]
        if isinstance(raw, Mapping):
            allowed = {tuple(str(k).split()): v for k, v in raw.items()}
        else:
            allowed = {(e[0], e[1]): e[2] for e in raw}
        return cls(data["blocks"], allowed, groups=data.get("groups"), library_blocks=data.get("library_blocks"),
                   transforms_=data.get("transforms"))

    def __repr__(self) -> str:
        pairs = int(self.table.sum())
        return (f"AdjacencyRules({self.n_blocks} blocks in {self.n_groups} groups, "
                f"{pairs} allowed (block, face, block) triples)")


def signature_table(arrays: Sequence[np.ndarray], tolerance: float) -> np.ndarray:
    """allowed[f, a, b]: the layer of block a on face f and the layer of block b on the
    opposite face disagree in at most ``tolerance`` of their voxels."""
    n = len(arrays)
    table = np.zeros((6, n, n), dtype=bool)
    for axis in range(3):
        hi = np.stack([np.take(a, -1, axis=axis).ravel() for a in arrays])  # layer on the + face
        lo = np.stack([np.take(a, 0, axis=axis).ravel() for a in arrays])   # layer on the - face
        if hi.shape[1] == 0:
            continue
        mismatch = np.zeros((n, n))
        for value in np.union1d(np.unique(hi), np.unique(lo)):
            h = (hi == value).astype(np.float32)
            lw = (lo == value).astype(np.float32)
            mismatch += h @ (1.0 - lw).T  # voxels of value in a's layer that b's layer lacks
        ok = mismatch / hi.shape[1] <= tolerance + 1e-12
        table[2 * axis] = ok
        table[2 * axis + 1] = ok.T
    return table
