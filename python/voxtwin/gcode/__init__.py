"""Printer drawing paths as assembly layouts (seed 000, §2.4 and the experimental section).

``plan = voxtwin.gcode.read("part.gcode")`` parses real slicer output;
``voxtwin.gcode.to_assembly(plan, library, cell_size_um)`` places outer blocks along the
contour path and inner blocks along the infill, each at the angle of the local drawing direction.
"""

from .parser import GcodeWarning, read
from .plan import CATEGORY_NAMES, CONTOUR, INFILL, OTHER, UNKNOWN, PrintPlan, categorize
from .rasterize import CellMap, rasterize, split_at_cells, to_assembly

__all__ = [
    "CATEGORY_NAMES",
    "CONTOUR",
    "INFILL",
    "OTHER",
    "UNKNOWN",
    "CellMap",
    "GcodeWarning",
    "PrintPlan",
    "categorize",
    "rasterize",
    "read",
    "split_at_cells",
    "to_assembly",
]
