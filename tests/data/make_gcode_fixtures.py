"""Regenerates the G-code fixtures of tests/test_gcode.py (needs PrusaSlicer and Slic3r; CI does not).

    python tests/data/make_gcode_fixtures.py

Writes two prisms as binary STL (a 5 x 4 x 1.5 mm box and a 9 x 9 x 1.5 mm letter "K", the
text-character size of seed 000) and slices them with the slicers from the distribution into
0.5 mm layers (the edge of seed 000's building blocks) of 0.6 mm roads (the narrowest PrusaSlicer accepts at that height), one perimeter,
100 % rectilinear infill at a base angle of 45 degrees (cross-hatched: 45, 135, 45, ...), no
solid top/bottom layers, no skirt. tests/data/README.md records the commands and versions.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

# Letter "K" outline (mm), counter-clockwise: stem, upper arm, lower leg.
K_OUTLINE = [(0, 0), (1.8, 0), (1.8, 3.2), (7.0, 0), (9, 0), (3.2, 4.5), (9, 9), (7.0, 9), (1.8, 5.8), (1.8, 9),
             (0, 9)]
BOX_OUTLINE = [(0, 0), (5, 0), (5, 4), (0, 4)]
HEIGHT_MM = 1.5

PRUSA_ARGS = [
    "--export-gcode", "--nozzle-diameter", "0.8", "--layer-height", "0.5", "--first-layer-height", "0.5",
    "--extrusion-width", "0.6", "--first-layer-extrusion-width", "0.6", "--perimeters", "1",
    "--fill-pattern", "rectilinear", "--fill-density", "100%", "--fill-angle", "45",
    "--top-solid-layers", "0", "--bottom-solid-layers", "0", "--skirts", "0",
    "--gcode-comments", "--dont-arrange",
]
SLIC3R_ARGS = [
    "--nozzle-diameter", "0.8", "--layer-height", "0.5", "--first-layer-height", "0.5",
    "--extrusion-width", "0.6", "--first-layer-extrusion-width", "0.6", "--perimeters", "1",
    "--fill-pattern", "rectilinear", "--fill-density", "100%", "--fill-angle", "45",
    "--top-solid-layers", "0", "--bottom-solid-layers", "0", "--skirts", "0",
    "--gcode-comments", "--use-relative-e-distances", "--dont-arrange",
]


def _ears(poly: list[tuple[float, float]]) -> list[tuple[int, int, int]]:
    """Triangles of a simple counter-clockwise polygon (ear clipping)."""
    pts = np.asarray(poly, dtype=float)
    idx = list(range(len(pts)))
    tris = []

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    while len(idx) > 3:
        for k in range(len(idx)):
            i, j, m = idx[k - 1], idx[k], idx[(k + 1) % len(idx)]
            a, b, c = pts[i], pts[j], pts[m]
            if cross(a, b, c) <= 0:
                continue  # reflex vertex
            inside = any(cross(a, b, pts[q]) >= 0 and cross(b, c, pts[q]) >= 0 and cross(c, a, pts[q]) >= 0
                         for q in idx if q not in (i, j, m))
            if not inside:
                tris.append((i, j, m))
                idx.pop(k)
                break
        else:
            raise ValueError("polygon is not simple or not counter-clockwise")
    tris.append(tuple(idx))  # type: ignore[arg-type]
    return tris


def prism_stl(poly: list[tuple[float, float]], height: float, path: Path) -> None:
    """Writes the extrusion of a simple polygon as a closed binary STL (mm)."""
    n = len(poly)
    bottom = [(x, y, 0.0) for x, y in poly]
    top = [(x, y, height) for x, y in poly]
    facets = []
    for i, j, m in _ears(poly):
        facets.append(((0, 0, 1), top[i], top[j], top[m]))
        facets.append(((0, 0, -1), bottom[i], bottom[m], bottom[j]))
    for i in range(n):
        j = (i + 1) % n
        dx, dy = poly[j][0] - poly[i][0], poly[j][1] - poly[i][1]
        norm = (dy / np.hypot(dx, dy), -dx / np.hypot(dx, dy), 0.0)
        facets.append((norm, bottom[i], bottom[j], top[j]))
        facets.append((norm, bottom[i], top[j], top[i]))
    with path.open("wb") as f:
        f.write(b"voxtwin test prism".ljust(80, b" "))
        f.write(struct.pack("<I", len(facets)))
        for facet in facets:
            f.write(struct.pack("<12fH", *[c for v in facet for c in v], 0))


def main() -> None:
    prism_stl(BOX_OUTLINE, HEIGHT_MM, HERE / "box_5x4x1.5.stl")
    prism_stl(K_OUTLINE, HEIGHT_MM, HERE / "letter_K_9x9x1.5.stl")
    prusa = shutil.which("prusa-slicer")
    slic3r = shutil.which("slic3r")
    if prusa is None or slic3r is None:
        raise SystemExit("needs prusa-slicer and slic3r (apt-get install prusa-slicer slic3r)")
    for stl in ("box_5x4x1.5", "letter_K_9x9x1.5"):
        subprocess.run([prusa, *PRUSA_ARGS, "--output", str(HERE / f"{stl}.prusaslicer.gcode"),
                        str(HERE / f"{stl}.stl")], check=True, capture_output=True)
    subprocess.run([slic3r, *SLIC3R_ARGS, "--output", str(HERE / "box_5x4x1.5.slic3r.gcode"),
                    str(HERE / "box_5x4x1.5.stl")], check=True, capture_output=True)


if __name__ == "__main__":
    main()
