"""Virtual growth (seed 002): disordered architectures grown from building blocks.

A grid of cells is filled block by block under face adjacency rules (``AdjacencyRules``, given
or derived from block voxels), the lowest-entropy cell first, with block probabilities corrected
towards target frequencies ξ that may vary in space (``grow``). The grown ``Layout`` becomes
voxels through ``voxtwin.Assembly.from_layout`` (zarr, composite voxels, ``homogenize``). The
four basic blocks of the seed are ``basic_blocks()``. The ξ → C surrogate and the graded design,
which call the solver, live above the solver in ``voxtwin.design``.
"""

from .blocks import BASIC_ARMS, basic_blocks, strut_block
from .grow import GrowthError, grow
from .layout import Layout
from .rules import FACES, AdjacencyRules

__all__ = ["BASIC_ARMS", "FACES", "AdjacencyRules", "GrowthError", "Layout", "basic_blocks", "grow", "strut_block"]
