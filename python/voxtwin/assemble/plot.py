"""A picture of a layout: one arrow per block along its fibre direction, coloured by kind."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate

__all__ = ["plot_layer"]

_COLOURS = {1: "tab:red", 2: "tab:blue"}  # outer (contour), inner (infill)


def plot_layer(layout: Any, layer: int = 0, *, ax: Any = None, cell_um: float | None = None) -> Any:
    """Draws block layer ``layer`` (along Z) of an assembly or of its ``layout()``.

    Each block is an arrow-less line along its in-plane fibre angle (red: outer/contour, blue:
    inner/infill); blocks without an angle are dots, air is blank. ``cell_um`` scales the axes to
    µm (default: the assembly's block edge, or cell units for a bare layout). Needs matplotlib
    (the ``viz`` extra). Returns the matplotlib Axes.
    """
    import matplotlib.pyplot as plt

    if hasattr(layout, "layout"):
        if cell_um is None:
            cell_um = layout.library.block_size_um[0]
        layout = layout.layout()
    angle, kind = np.asarray(layout["angle"]), np.asarray(layout["kind"])
    layer = _validate.integer("layer", layer, minimum=0)
    if layer >= angle.shape[2]:
        raise ValueError(f"`layer` must be < {angle.shape[2]} (block layers), got layer={layer}")
    scale = 1.0 if cell_um is None else float(cell_um)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6 * angle.shape[1] / max(angle.shape[0], 1)))
    for code, colour in _COLOURS.items():
        x, y = np.nonzero(kind[:, :, layer] == code)
        a = np.radians(angle[x, y, layer])
        with_dir = np.isfinite(a)
        dx, dy = 0.4 * np.cos(a[with_dir]), 0.4 * np.sin(a[with_dir])
        cx, cy = x[with_dir] + 0.5, y[with_dir] + 0.5
        segments = np.stack([np.column_stack([cx - dx, cy - dy]), np.column_stack([cx + dx, cy + dy])], axis=1)
        from matplotlib.collections import LineCollection

        ax.add_collection(LineCollection(segments * scale, colors=colour, linewidths=2,
                                         label={1: "outer", 2: "inner"}[code]))
        ax.plot((x[~with_dir] + 0.5) * scale, (y[~with_dir] + 0.5) * scale, ".", color=colour)
    ax.set_xlim(0, angle.shape[0] * scale)
    ax.set_ylim(0, angle.shape[1] * scale)
    ax.set_aspect("equal")
    unit = "µm" if cell_um is not None else "cells"
    ax.set_xlabel(f"x ({unit})")
    ax.set_ylabel(f"y ({unit})")
    ax.set_title(f"block layer {layer}: fibre directions")
    ax.legend(loc="upper right", fontsize="small")
    return ax
