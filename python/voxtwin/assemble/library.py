"""Building blocks by name: procedural unit twins (spec, in-plane angle, seed) or stored arrays.

Seed 000 assembles architectures from blocks of a few kinds: *outer* blocks follow the contour
drawing path and describe the exterior shape, *inner* blocks fill the interior along the infill
pattern; each kind comes at the in-plane angles the drawing path needs (0/45/90/135 in the
paper, any angle here). Angles are in degrees in the XY plane, from +X towards +Y, modulo 180
(a fibre direction has no sign).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage

from .. import _validate
from ..errors import FileFormatError
from . import procedural
from .module import Module

__all__ = ["KINDS", "Block", "BlockLibrary"]

#: Kind codes of ``Assembly.layout()["kind"]``.
KINDS = {"air": 0, "outer": 1, "inner": 2}
_FORMAT = "voxtwin.BlockLibrary"


def _angle(value: object, name: str = "angle") -> float | None:
    if value is None:
        return None
    return _validate.real(name, value, "degrees") % 180.0


def _kind(value: object) -> str:
    return _validate.choice("kind", value, ("outer", "inner"))


def _angle_label(angle: float) -> str:
    return f"{angle:g}"


@dataclass(frozen=True, eq=False)
class Block:
    """One building block of a library.

    ``kind``: "outer" (contour) or "inner" (infill). ``angle``: in-plane fibre angle (degrees,
    [0, 180)) or None when the block has no in-plane direction. A procedural block has a
    ``spec`` (a ``FibreSpec`` describing the block at 0°) and a ``seed`` used when the assembly
    repeats identical copies (``unique_blocks=False``); a stored block has its labels ``array``.
    ``method``: how a procedural block's fibres are placed (``generate_fibres``: "rsa", "migrate"
    or "auto").
    """

    name: str
    kind: str
    angle: float | None
    spec: Any = None
    array: np.ndarray | None = None
    seed: int = 0
    method: str = "rsa"

    @property
    def procedural(self) -> bool:
        """True for a generated block, False for a stored array."""
        return self.array is None

    @property
    def direction(self) -> np.ndarray | None:
        """Unit fibre direction (cos θ, sin θ, 0), or None without an angle."""
        if self.angle is None:
            return None
        t = math.radians(self.angle)
        return np.array([math.cos(t), math.sin(t), 0.0])

    def __repr__(self) -> str:
        what = "procedural" if self.procedural else "stored"
        angle = "no angle" if self.angle is None else f"{self.angle:g}°"
        return f"Block({self.name!r}, {self.kind}, {angle}, {what})"


class BlockLibrary:
    """Named building blocks of one shape and voxel size, and named module blocks.

    Parameters
    ----------
    block_shape:
        Voxels per block along X, Y, Z (e.g. (125, 125, 125): 0.5 mm at 4 µm).
    voxel_size:
        Edge of a voxel in µm.
    """

    def __init__(self, block_shape: Sequence[int], voxel_size: float) -> None:
        self.block_shape: tuple[int, int, int] = _validate.shape3("block_shape", block_shape)
        self.voxel_size: float = _validate.voxel_size(voxel_size)
        self._blocks: list[Block] = []
        self._ids: dict[str, int] = {}
        self._modules: dict[str, Module] = {}
        self._fibres: dict[int, float] = {}

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def from_spec(cls, spec: Any, angles: Sequence[float] = (0, 45, 90, 135),
                  block_shape: Sequence[int] = (125, 125, 125), voxel_size: float = 4.0, *,
                  outer_spec: Any = None, seed: int = 0) -> BlockLibrary:
        """Procedural library: an inner (infill) and an outer (contour) block per angle.

        Blocks are named ``inner_<angle>`` and ``outer_<angle>`` (e.g. ``inner_45``,
        ``outer_22.5``). ``spec`` describes a block at 0°; ``outer_spec`` (default: ``spec``) the
        contour blocks. Any angles in degrees are allowed.
        """
        lib = cls(block_shape, voxel_size)
        if isinstance(angles, (str, bytes)) or not isinstance(angles, Sequence) or not angles:
            raise ValueError(f"`angles` must be a non-empty sequence of degrees, got angles={angles!r}")
        seed = _validate.seed(seed)
        for i, a in enumerate(angles):
            angle = _angle(a, f"angles[{i}]")
            assert angle is not None
            for kind, s in (("inner", spec), ("outer", spec if outer_spec is None else outer_spec)):
                name = f"{kind}_{_angle_label(angle)}"
                if name not in lib:
                    lib.add_procedural(name, s, angle, kind=kind, seed=seed)
        return lib

    def _add(self, block: Block) -> Block:
        if not isinstance(block.name, str) or not block.name:
            raise ValueError(f"`name` must be a non-empty string, got name={block.name!r}")
        if block.name in self._ids or block.name in self._modules:
            raise ValueError(f"`name` is already used in this library, got name={block.name!r}")
        self._ids[block.name] = len(self._blocks)
        self._blocks.append(block)
        return block

    def add_procedural(self, name: str, spec: Any, angle: float | None, *, kind: str = "inner",
                       seed: int = 0, method: str = "rsa") -> Block:
        """A generated block: fibres from ``spec`` turned to in-plane ``angle`` (degrees), placed by
        ``method`` ("rsa", "migrate" or "auto", as in ``generate_fibres``)."""
        spec = procedural.check_spec(spec)
        procedural.check_method(method, spec)
        return self._add(Block(name, _kind(kind), _angle(angle), spec=spec, seed=_validate.seed(seed), method=method))

    def add_array(self, name: str, array: np.ndarray, *, angle: float | None = None, kind: str = "inner") -> Block:
        """A stored block: uint8 labels of shape ``block_shape`` (copied, then read-only)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(f"`array` must be a numpy array of dtype uint8, got {type(array).__name__}")
        if array.dtype != np.uint8:
            raise TypeError(f"`array` must have dtype uint8, got dtype {array.dtype} (convert explicitly)")
        if array.shape != self.block_shape:
            raise ValueError(f"`array` must have the library's block_shape {self.block_shape}, got shape {array.shape}")
        stored = np.array(array, dtype=np.uint8, order="C", copy=True)
        stored.flags.writeable = False
        return self._add(Block(name, _kind(kind), _angle(angle), array=stored))

    def add_module(self, module: Module) -> Module:
        """Registers a module block under its name; its block names must exist here."""
        if not isinstance(module, Module):
            raise TypeError(f"`module` must be a voxtwin Module, got {type(module).__name__}")
        missing = [n for n in module.palette if n not in self._ids]
        if missing:
            raise ValueError(f"module {module.name!r} uses blocks this library lacks: {missing}")
        if module.name in self._ids:
            raise ValueError(f"`name` is already a block of this library, got name={module.name!r}")
        self._modules[module.name] = module
        return module

    def load_module(self, path: str | os.PathLike) -> Module:
        """Reads a module saved with ``Module.save`` and registers it."""
        return self.add_module(Module.load(path))

    # ---- look-up ------------------------------------------------------------------------
    def __getitem__(self, name: str) -> Block:
        try:
            return self._blocks[self._ids[name]]
        except KeyError:
            raise KeyError(f"no block named {name!r}; blocks: {self.names}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._ids

    def __len__(self) -> int:
        return len(self._blocks)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    @property
    def names(self) -> list[str]:
        """Block names, in the order they were added (their ids)."""
        return [b.name for b in self._blocks]

    @property
    def modules(self) -> dict[str, Module]:
        """Registered module blocks by name."""
        return dict(self._modules)

    def module(self, name: str) -> Module:
        """A registered module block."""
        try:
            return self._modules[name]
        except KeyError:
            raise KeyError(f"no module named {name!r}; modules: {sorted(self._modules)}") from None

    def id(self, name: str) -> int:
        """Integer id of a block (its position in :attr:`names`)."""
        self[name]
        return self._ids[name]

    def block(self, block_id: int) -> Block:
        """The block with integer id ``block_id``."""
        return self._blocks[block_id]

    @property
    def block_size_um(self) -> tuple[float, float, float]:
        """Edge lengths of a block in µm."""
        return tuple(n * self.voxel_size for n in self.block_shape)  # type: ignore[return-value]

    def angles(self, kind: str = "inner") -> list[float]:
        """Sorted in-plane angles available for a kind."""
        _kind(kind)
        return sorted({b.angle for b in self._blocks if b.kind == kind and b.angle is not None})

    def block_for(self, angle: float, kind: str = "inner", *, tolerance_deg: float | None = 1e-6) -> str:
        """Name of the block of ``kind`` whose angle is closest to ``angle`` (modulo 180°).

        With a ``tolerance_deg`` (default 1e-6) the match must be that close, else ValueError
        listing what exists; ``tolerance_deg=None`` snaps to the nearest available angle.
        """
        a = _angle(angle)
        _kind(kind)
        candidates = [b for b in self._blocks if b.kind == kind and b.angle is not None]
        if not candidates:
            raise ValueError(f"the library has no {kind} blocks with an in-plane angle, got kind={kind!r}")
        diffs = [abs((b.angle - a + 90.0) % 180.0 - 90.0) for b in candidates]  # type: ignore[operator]
        best = int(np.argmin(diffs))
        if tolerance_deg is not None and diffs[best] > tolerance_deg:
            raise ValueError(f"no {kind} block at `angle`={angle!r} degrees (within {tolerance_deg}); "
                             f"available: {self.angles(kind)}")
        return candidates[best].name

    # ---- voxels -------------------------------------------------------------------------
    def generate(self, name_or_id: str | int, seed: int | None = None, device: str = "auto") -> np.ndarray:
        """Labels of a block (uint8 ``[x, y, z]``); procedural blocks are generated with ``seed``
        (default: the block's own seed), stored ones returned as they are (read-only)."""
        block = self._blocks[name_or_id] if isinstance(name_or_id, (int, np.integer)) else self[name_or_id]
        if not block.procedural:
            return block.array  # type: ignore[return-value]
        seed = block.seed if seed is None else _validate.seed(seed)
        return procedural.generate_block(block.spec, block.angle, self.block_shape, self.voxel_size, seed, device,
                                         block.method)

    def fibres(self, name_or_id: str | int, seed: int | None = None) -> Any:
        """The fibre table (block frame, µm) of a procedural block generated with ``seed`` (default:
        the block's own), regenerated by the same placement as :meth:`generate` without rasterizing;
        see :func:`voxtwin.assemble.fibres.block_fibres`. Stored blocks: ValueError."""
        from .fibres import block_fibres

        return block_fibres(self, name_or_id, seed)

    def expected_fibres(self, name_or_id: str | int) -> float:
        """Expected fibre count of one block: from the spec (volume fraction × block volume /
        mean fibre volume) for a procedural block; the number of connected fibre components
        (label 1, 26-connectivity) for a stored one."""
        bid = int(name_or_id) if isinstance(name_or_id, (int, np.integer)) else self.id(name_or_id)
        if bid not in self._fibres:
            block = self._blocks[bid]
            if block.procedural:
                volume = float(np.prod(self.block_size_um))
                self._fibres[bid] = procedural.expected_fibres(block.spec, volume)
            else:
                _, n = ndimage.label(block.array == 1, structure=np.ones((3, 3, 3), dtype=bool))
                self._fibres[bid] = float(n)
        return self._fibres[bid]

    def block_key(self, block_id: int) -> str:
        """A digest that changes whenever the block's voxels could (stores check it on resume)."""
        block = self._blocks[block_id]
        h = hashlib.sha256()
        h.update(json.dumps([block.name, block.kind, block.angle, block.seed]).encode())
        if block.procedural:
            h.update(procedural.spec_key(block.spec).encode())
            if block.method != "rsa":  # RSA blocks keep the keys of stores written before `method` existed
                h.update(f"method={block.method}".encode())
        else:
            h.update(block.array.tobytes())  # type: ignore[union-attr]
        return h.hexdigest()

    # ---- files --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike) -> Path:
        """Writes the library to a folder: ``library.json`` (blocks, modules), stored arrays as
        ``.npy`` beside it. Procedural blocks are saved with their spec (see ``procedural``)."""
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for i, b in enumerate(self._blocks):
            entry: dict[str, Any] = {"name": b.name, "kind": b.kind, "angle": b.angle, "seed": b.seed}
            if b.procedural:
                entry["spec"] = procedural.spec_to_dict(b.spec)
                if b.method != "rsa":  # absent = RSA, as in libraries saved before `method` existed
                    entry["method"] = b.method
            else:
                entry["array"] = f"block_{i}.npy"
                np.save(folder / entry["array"], b.array)
            entries.append(entry)
        data = {"format": _FORMAT, "version": 1, "block_shape": list(self.block_shape), "voxel_size": self.voxel_size,
                "blocks": entries, "modules": [m.to_dict() for m in self._modules.values()]}
        (folder / "library.json").write_text(json.dumps(data, indent=1))
        return folder

    @classmethod
    def load(cls, path: str | os.PathLike) -> BlockLibrary:
        """Reads a library written by :meth:`save`."""
        folder = Path(path)
        try:
            data = json.loads((folder / "library.json").read_text())
            if data.get("format") != _FORMAT:
                raise ValueError(f"format {_FORMAT!r} expected")
            lib = cls(data["block_shape"], data["voxel_size"])
            for e in data["blocks"]:
                if "array" in e:
                    lib.add_array(e["name"], np.load(folder / e["array"]), angle=e["angle"], kind=e["kind"])
                else:
                    lib.add_procedural(e["name"], procedural.spec_from_dict(e["spec"]), e["angle"], kind=e["kind"],
                                       seed=e["seed"], method=e.get("method", "rsa"))
            for m in data["modules"]:
                lib.add_module(Module.from_dict(m))
        except (OSError, json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
            raise FileFormatError(f"cannot read a block library from `path`={str(path)!r}: {exc}") from exc
        return lib

    def __repr__(self) -> str:
        nx, ny, nz = self.block_shape
        sx, sy, sz = self.block_size_um
        kinds = {k: sum(b.kind == k for b in self._blocks) for k in ("outer", "inner")}
        return (f"BlockLibrary({len(self)} blocks of {nx}×{ny}×{nz} voxels at {self.voxel_size:g} µm "
                f"= {sx:g}×{sy:g}×{sz:g} µm; {kinds['outer']} outer, {kinds['inner']} inner; "
                f"{len(self._modules)} modules)")
