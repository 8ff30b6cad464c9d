"""3D pictures of a run (seed 000, Figs. 2, 4, 6): the unit twins' fibres coloured by orientation and
each assembly's block layout coloured by angle, as figures of the twins and assemble steps.

A self-contained section: each stage calls one function here and appends the figure it returns;
the step summary says whether VTK rendered it off-screen or why a 2D fallback was drawn instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..render3d import Picture, render_fibres, render_layout
from .context import Context

__all__ = ["twins_3d", "assemblies_3d"]

_SIZE = (560, 460)  # pixels per picture: four side by side fit the report's width when scaled


def _join(ctx: Context, name: str, pictures: Sequence[Picture]) -> tuple[str, str]:
    """One PNG of the pictures side by side, its run-relative path and a note on how they were drawn."""
    import matplotlib.image as mpimg

    images = [mpimg.imread(p.path) for p in pictures]
    height = max(im.shape[0] for im in images)
    row = np.concatenate([np.pad(im, ((0, height - im.shape[0]), (0, 0), (0, 0)), constant_values=1.0)
                          for im in images], axis=1)
    path = ctx.run.file("figures", f"{name}.png")
    mpimg.imsave(path, row)
    for p in pictures:
        p.path.unlink(missing_ok=True)
    notes = sorted({p.note for p in pictures})
    return ctx.run.rel(path), "; ".join(notes)


def twins_3d(ctx: Context, twins: Sequence[tuple[float, Any]], voxel_size: float) -> tuple[str, str]:
    """Fibres of each unit twin ``(angle in degrees, labels [x, y, z])`` in 3D, coloured by orientation."""
    pictures = [render_fibres(labels, voxel_size, ctx.run.file("figures", f"_twin3d_{i}.png"),
                              title=f"{angle:g}° unit twin", size=_SIZE)
                for i, (angle, labels) in enumerate(twins)]
    return _join(ctx, "unit_twins_3d", pictures)


def assemblies_3d(ctx: Context, layouts: Sequence[tuple[str, np.ndarray]], block_um: Sequence[float]) -> tuple[str, str]:
    """Block layout of each assembly ``(name, layout angle [gx, gy, gz] in degrees)`` in 3D, coloured by angle."""
    pictures = [render_layout(angle, tuple(block_um), ctx.run.file("figures", f"_layout3d_{i}.png"), title=name,
                              size=_SIZE)
                for i, (name, angle) in enumerate(layouts)]
    return _join(ctx, "assemblies_3d", pictures)
