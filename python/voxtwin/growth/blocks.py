"""The four basic 3D building blocks of seed 002 (cross, arrow, corner, line), voxelized.

Each block is a cubic cell with a square kernel at its centre and square arms from the kernel to
the centres of some of its faces (the frame blocks of the released code: kernel half-width ``d``
of the half-cell, arms of the kernel's cross-section). The seed text names the blocks but shows
them only in a supplementary figure; the arm sets here are our reading of the names, stated so
they can be changed:

- ``cross``: six arms (±x, ±y, ±z);
- ``arrow``: a T — two opposite arms and one perpendicular to them (-x, +x, +y);
- ``corner``: three mutually perpendicular arms (+x, +y, +z);
- ``line``: two opposite arms (-x, +x).

With turns and mirrors (``AdjacencyRules.from_library``) they give 1 + 12 + 8 + 3 = 24 variants;
two blocks connect across a face when both or neither carry an arm there, so every grown
architecture is one seamless strut network.
"""

from __future__ import annotations

import numpy as np

from .. import _validate
from ..assemble import BlockLibrary

__all__ = ["BASIC_ARMS", "basic_blocks", "strut_block"]

#: Arm faces of the four basic blocks (face names as in ``FACES``).
BASIC_ARMS: dict[str, tuple[str, ...]] = {
    "cross": ("+x", "-x", "+y", "-y", "+z", "-z"),
    "arrow": ("+x", "-x", "+y"),
    "corner": ("+x", "+y", "+z"),
    "line": ("+x", "-x"),
}


def strut_block(arms: tuple[str, ...], block_voxels: int, d: float = 0.2, *, solid_label: int = 0,
                void_label: int = 2) -> np.ndarray:
    """uint8 labels ``[x, y, z]`` of a cubic block of ``block_voxels`` voxels a side: a kernel of
    width ``d`` × the block edge at its centre and arms of the same cross-section to ``arms``."""
    n = _validate.integer("block_voxels", block_voxels, minimum=2)
    d = _validate.fraction("d", d)
    for label, name in ((solid_label, "solid_label"), (void_label, "void_label")):
        if _validate.integer(name, label, minimum=0) > 255:
            raise ValueError(f"`{name}` must be a uint8 label, got {name}={label!r}")
    centre = (np.arange(n) + 0.5) - n / 2.0
    core = np.abs(centre) < d * n / 2.0  # voxel centres within the kernel's half-width
    if not core.any():
        raise ValueError(f"`d`={d} leaves no voxel in the kernel at block_voxels={n}; raise either")
    pos, neg = centre > 0, centre < 0
    solid = np.zeros((n, n, n), dtype=bool)
    solid |= core[:, None, None] & core[None, :, None] & core[None, None, :]
    along = {"+": core | pos, "-": core | neg}
    for arm in arms:
        sign, axis = arm[0], "xyz".index(arm[1])
        masks = [core, core, core]
        masks[axis] = along[sign]
        solid |= masks[0][:, None, None] & masks[1][None, :, None] & masks[2][None, None, :]
    return np.where(solid, np.uint8(solid_label), np.uint8(void_label)).astype(np.uint8)


def basic_blocks(block_voxels: int = 10, voxel_size: float = 150.0, d: float = 0.2, *, solid_label: int = 0,
                 void_label: int = 2) -> BlockLibrary:
    """A ``BlockLibrary`` holding the four basic blocks (stored arrays named cross, arrow,
    corner, line) of ``block_voxels``³ voxels at ``voxel_size`` µm (default: the seed's printed
    1.5 mm blocks). ``d``: strut width as a fraction of the block edge (0.2: the released code's
    kernel of half-width 0.2 in a cell of edge 2). Labels: ``solid_label`` (default 0, the
    printed polymer) and ``void_label`` (default 2, air)."""
    lib = BlockLibrary((block_voxels,) * 3, voxel_size)
    for name, arms in BASIC_ARMS.items():
        lib.add_array(name, strut_block(arms, block_voxels, d, solid_label=solid_label, void_label=void_label))
    return lib
