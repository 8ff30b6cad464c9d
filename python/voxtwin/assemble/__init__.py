"""Step 5 of seed 000: digital assembly of giga-voxel architectures.

Unit twins (procedural blocks: fibre spec, in-plane angle, seed; or stored arrays) are
attached on ±X/±Y/±Z into rows, layers and 3D stacks, grouped into named module blocks, stacked
in sequences (helicoidal, quasi-isotropic, any angles) or placed along a printer's drawing path
(``voxtwin.gcode``), and materialized lazily, chunk by chunk, to zarr.
"""

from .assembly import Assembly, AssemblyWarning
from .library import KINDS, Block, BlockLibrary
from .module import Module
from .plot import plot_layer
from .stacking import HELICOIDAL, QUASI_ISOTROPIC, stacking

__all__ = [
    "HELICOIDAL",
    "KINDS",
    "QUASI_ISOTROPIC",
    "Assembly",
    "AssemblyWarning",
    "Block",
    "BlockLibrary",
    "Module",
    "plot_layer",
    "stacking",
]
