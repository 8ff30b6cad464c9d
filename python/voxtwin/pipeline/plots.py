"""Figures shared by the stages: slices of grey and phase volumes side by side."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .context import pyplot

PHASE_COLOURS = ("#f2e6c9", "#c0392b", "#2b6cb0")  # 0 matrix, 1 fibre, 2 void/air


def phase_cmap() -> Any:
    from matplotlib.colors import ListedColormap

    return ListedColormap(PHASE_COLOURS)


def mid_slice(volume: np.ndarray, plane: str = "xy") -> np.ndarray:
    """The middle slice in `plane`, oriented for imshow (first named axis left to right)."""
    nx, ny, nz = volume.shape
    if plane == "xy":
        return volume[:, :, nz // 2].T
    if plane == "xz":
        return volume[:, ny // 2, :].T
    if plane == "yz":
        return volume[nx // 2, :, :].T
    raise ValueError(f"`plane` must be 'xy', 'xz' or 'yz', got plane={plane!r}")


def panels(panels: Sequence[tuple[str, np.ndarray, str]], *, plane: str = "xy", width: float = 3.4) -> Any:
    """A row of slices: (title, 2D array, kind) with kind 'grey', 'phase' or 'annotation'."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(panels), figsize=(width * len(panels), width + 0.4), constrained_layout=True,
                             squeeze=False)
    cmap = phase_cmap()
    for ax, (title, image, kind) in zip(axes[0], panels):
        if kind == "grey":
            ax.imshow(image, cmap="gray", origin="lower")
        elif kind == "annotation":
            ax.imshow(np.ma.masked_less(image, 0), cmap=cmap, vmin=0, vmax=2, origin="lower", interpolation="nearest")
            ax.set_facecolor("#222")
        else:
            ax.imshow(image, cmap=cmap, vmin=0, vmax=2, origin="lower", interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"{plane[0]} (voxels)")
        ax.set_ylabel(f"{plane[1]} (voxels)")
    return fig
