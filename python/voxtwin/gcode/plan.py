"""A parsed print: every move of the nozzle as a line segment, with its extrusion, feature and layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CATEGORY_NAMES", "CONTOUR", "INFILL", "OTHER", "UNKNOWN", "PrintPlan", "categorize"]

#: Feature categories: skirt/brim/support/custom code are OTHER; walls/perimeters CONTOUR;
#: infill/solid/top/bottom/gap fill INFILL; moves without a feature comment UNKNOWN.
OTHER, CONTOUR, INFILL, UNKNOWN = 0, 1, 2, 3
CATEGORY_NAMES = {OTHER: "other", CONTOUR: "contour", INFILL: "infill", UNKNOWN: "unknown"}

# Feature words of PrusaSlicer/SuperSlicer/Orca (";TYPE:External perimeter", "Outer wall"), Slic3r
# ("; perimeter" after a move), Cura (";TYPE:WALL-OUTER", "FILL", "SKIN") and Simplify3D
# ("; feature outer perimeter", "solid layer"). "Other" words are tested first.
_OTHER_WORDS = ("skirt", "brim", "support", "wipe", "prime", "custom", "ironing", "travel")
_CONTOUR_WORDS = ("perimeter", "wall", "contour", "shell")
_INFILL_WORDS = ("infill", "fill", "skin", "solid", "surface", "bridge", "top", "bottom")


def categorize(feature: str) -> int:
    """Category of a slicer feature name (case-insensitive); UNKNOWN for an empty or unfamiliar name."""
    name = feature.strip().lower()
    if not name:
        return UNKNOWN
    if any(w in name for w in _OTHER_WORDS):
        return OTHER
    if any(w in name for w in _CONTOUR_WORDS):
        return CONTOUR
    if any(w in name for w in _INFILL_WORDS):
        return INFILL
    return UNKNOWN


@dataclass(frozen=True, eq=False)
class PrintPlan:
    """The nozzle's path read from G-code; lengths in µm (the G-code's mm × 1000).

    Per move (arrays of length n): ``start``/``end`` float64 [n, 3] positions; ``extrusion``
    filament fed in mm (> 0 extrudes; ≤ 0 travel or retraction); ``feature`` index into
    ``feature_names`` (-1 none); ``category`` (``CONTOUR``, ``INFILL``, ``OTHER``, ``UNKNOWN``);
    ``width`` road width in µm where the slicer wrote it (NaN otherwise); ``line`` the 1-based
    G-code line; ``layer`` index into ``layer_z`` (-1: a height where nothing is extruded).
    ``layer_z``: the heights (µm) at which material is deposited, ascending.
    ``default_width_um``: the extrusion width stated in the file's header comments (NaN if none).
    """

    start: np.ndarray
    end: np.ndarray
    extrusion: np.ndarray
    feature: np.ndarray
    category: np.ndarray
    width: np.ndarray
    line: np.ndarray
    layer: np.ndarray
    layer_z: np.ndarray
    feature_names: tuple[str, ...]
    default_width_um: float = float("nan")
    source: str = ""
    generator: str = ""

    def __len__(self) -> int:
        return int(self.extrusion.shape[0])

    @property
    def n_layers(self) -> int:
        """Number of deposition heights."""
        return int(self.layer_z.shape[0])

    @property
    def xy_length(self) -> np.ndarray:
        """In-plane length of every move (µm)."""
        return np.hypot(*(self.end[:, :2] - self.start[:, :2]).T)

    @property
    def extruding(self) -> np.ndarray:
        """Moves that deposit material: filament fed while the nozzle moves in XY."""
        return (self.extrusion > 0) & (self.xy_length > 0)

    def select(self, layer: int | None = None, category: int | None = None) -> np.ndarray:
        """Indices of the extruding moves of a layer and/or a category."""
        mask = self.extruding
        if layer is not None:
            mask &= self.layer == layer
        if category is not None:
            mask &= self.category == category
        return np.flatnonzero(mask)

    def angles(self, moves: np.ndarray | None = None) -> np.ndarray:
        """In-plane drawing angle of moves, degrees in [0, 180) from +X towards +Y."""
        idx = np.arange(len(self)) if moves is None else moves
        d = self.end[idx, :2] - self.start[idx, :2]
        return np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 180.0

    def summary(self) -> str:
        ext = self.extruding
        cats = {name: int(np.count_nonzero(ext & (self.category == c))) for c, name in CATEGORY_NAMES.items()}
        lo = self.start[ext].min(axis=0) if ext.any() else np.zeros(3)
        hi = self.end[ext].max(axis=0) if ext.any() else np.zeros(3)
        return (f"PrintPlan({self.source or 'G-code'}{', ' + self.generator if self.generator else ''}: {len(self)} moves, "
                f"{int(ext.sum())} extruding {cats}, {self.n_layers} layers, "
                f"extent {((hi - lo) / 1000).round(3).tolist()} mm)")

    __repr__ = summary
