"""3D pictures, rendered off-screen: a unit twin's fibres coloured by orientation, an assembly's
block layout coloured by angle (seed 000, Figs. 2, 4 and 6).

Rendering uses pyvista/VTK (the ``viz3d`` extra) off-screen: EGL (Mesa's software renderer where
there is no GPU) or OSMesa, whichever this machine offers; ``scripts/install.sh`` adds the system
libraries. Where neither works (no pyvista, no OpenGL libraries), the same picture is drawn in 2D
with matplotlib and says why, so a report or a command never fails for want of a renderer.

Fibre colours: each connected fibre region gets the principal axis of its voxels, d, and the
colour (|d_x|, |d_y|, |d_z|) as RGB: fibres along X are red, along Y green, along Z blue.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._validate import positive

__all__ = ["Picture", "render_fibres", "render_layout", "offscreen_backend", "fibre_directions"]

_WINDOWS = ("vtkEGLRenderWindow", "vtkOSOpenGLRenderWindow")
_PROBE = """
import numpy as np, pyvista as pv
p = pv.Plotter(off_screen=True, window_size=(64, 48))
p.add_mesh(pv.Sphere(), color="red")
img = p.screenshot(return_img=True)
name = p.ren_win.GetClassName()
p.close()
assert img.shape == (48, 64, 3) and (img != img[0, 0]).any(), "blank image"
print(name)
"""
_ANGLE_CMAP = "hsv"  # cyclic: 0° and 180° are the same fibre direction, 45° steps far apart in hue
_PROBE_TIMEOUT_S = 120  # first import of VTK on a busy machine


@dataclass(frozen=True)
class Picture:
    """A picture written to ``path``: ``rendered_3d`` says whether VTK drew it, ``note`` says how or why not."""

    path: Path
    rendered_3d: bool
    note: str


@functools.lru_cache(maxsize=1)
def offscreen_backend() -> tuple[str | None, str]:
    """(VTK render window class that works off-screen here, or None; a sentence saying why not).

    Probed once per process in a child process, so a missing OpenGL library cannot crash this one.
    """
    try:
        import pyvista  # noqa: F401
    except ImportError as exc:
        return None, f"pyvista is not installed ({exc}); pip install \"voxtwin[viz3d]\""
    errors = []
    for window in _WINDOWS:
        env = {**os.environ, "VTK_DEFAULT_OPENGL_WINDOW": window}
        try:
            res = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                                 timeout=_PROBE_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            errors.append(f"{window}: no picture within {_PROBE_TIMEOUT_S} s")
            continue
        if res.returncode == 0 and res.stdout.strip():
            return res.stdout.strip().splitlines()[-1], ""
        lines = [line for line in res.stderr.splitlines() if line.strip()] or ["failed"]
        last = re.sub(r"\x1b\[[0-9;]*m", "", lines[-1]).strip()  # VTK colours its log lines
        errors.append(f"{window}: {last[:200]}")
    return None, ("no off-screen OpenGL (EGL or OSMesa) works here: " + "; ".join(errors)
                  + "; install libegl1 libgl1-mesa-dri (or libosmesa6), as scripts/install.sh does")


def _pyvista():
    window, reason = offscreen_backend()
    if window is None:
        return None, reason
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", window)
    import pyvista as pv

    return pv, window


def fibre_directions(labels: np.ndarray, fibre_label: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Connected fibre regions of ``labels`` and each region's principal axis (unit vectors, row i for region i+1).

    The axis is the eigenvector of the largest eigenvalue of the region's voxel covariance
    (all regions at once through bincounts; no loop over voxels).
    """
    from scipy import ndimage

    regions, n = ndimage.label(labels == fibre_label)
    if n == 0:
        return regions, np.zeros((0, 3))
    idx = regions.ravel()
    coords = np.indices(labels.shape, dtype=np.float64).reshape(3, -1)
    count = np.bincount(idx, minlength=n + 1)[1:].astype(np.float64)
    mean = np.stack([np.bincount(idx, weights=c, minlength=n + 1)[1:] for c in coords], axis=1) / count[:, None]
    cov = np.empty((n, 3, 3))
    for a in range(3):
        for b in range(a, 3):
            m = np.bincount(idx, weights=coords[a] * coords[b], minlength=n + 1)[1:] / count
            cov[:, a, b] = cov[:, b, a] = m - mean[:, a] * mean[:, b]
    _, vecs = np.linalg.eigh(cov)
    return regions, vecs[:, :, -1]


def _save_2d(path: Path, draw, title: str, reason: str, size: tuple[int, int]) -> Picture:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dpi = 100
    fig = plt.figure(figsize=(size[0] / dpi, size[1] / dpi), dpi=dpi)
    ax = fig.add_axes((0.08, 0.16, 0.84, 0.74))
    draw(ax)
    ax.set_title(title, fontsize=10)
    fig.text(0.5, 0.02, "2D fallback - 3D rendering unavailable: " + reason[:160], ha="center", fontsize=7,
             wrap=True, color="#a00")
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return Picture(path, False, "2D fallback: " + reason)


def render_fibres(labels: np.ndarray, voxel_size: float, path: str | os.PathLike, *, fibre_label: int = 1,
                  title: str = "", size: tuple[int, int] = (640, 520)) -> Picture:
    """Isosurface of the fibres of a unit twin (``labels`` [x, y, z], ``voxel_size`` µm), coloured by orientation.

    Writes a PNG of ``size`` (width, height) pixels to ``path``; see the module docstring for colours.
    """
    labels = np.asarray(labels)
    if labels.ndim != 3:
        raise ValueError(f"`labels` must be a 3D volume [x, y, z], got labels.shape={labels.shape}")
    h = positive("voxel_size", voxel_size)
    path = Path(path)
    regions, dirs = fibre_directions(labels, fibre_label)
    colours = np.vstack([np.full((1, 3), 0.85), np.abs(dirs)])  # row 0: matrix (never drawn)
    pv, how = _pyvista()
    title = title or f"unit twin, {labels.shape[0]}×{labels.shape[1]}×{labels.shape[2]} voxels at {h:g} µm"
    if pv is None:
        def draw(ax) -> None:
            z = labels.shape[2] // 2
            img = colours[regions[:, :, z]] * (regions[:, :, z] > 0)[..., None]
            img[regions[:, :, z] == 0] = 0.92
            ax.imshow(np.transpose(img, (1, 0, 2)), origin="lower",
                      extent=(0, labels.shape[0] * h, 0, labels.shape[1] * h))
            ax.set_xlabel("x (µm)")
            ax.set_ylabel("y (µm)")
        return _save_2d(path, draw, title + " (XY mid-slice, fibres by orientation)", how, size)
    grid = pv.ImageData(dimensions=np.array(labels.shape) + 2, spacing=(h, h, h), origin=(-h / 2,) * 3)
    padded = np.pad(regions, 1)  # closed surfaces at the box faces
    grid.point_data["fibre"] = (padded > 0).astype(np.float32).ravel(order="F")
    surface = grid.contour([0.5], scalars="fibre")
    plotter = pv.Plotter(off_screen=True, window_size=size)
    plotter.set_background("white")
    if surface.n_points:
        # A surface point lies between a fibre voxel and a matrix voxel: take the fibre among the
        # 8 voxel centres around it (padded index i sits at (i - 1/2) h).
        pos = surface.points / h + 0.5
        top = np.array(padded.shape) - 1
        ids = np.zeros(len(pos), dtype=padded.dtype)
        for corner in np.ndindex(2, 2, 2):
            near = np.clip(np.floor(pos).astype(int) + np.array(corner), 0, top)
            ids = np.maximum(ids, padded[near[:, 0], near[:, 1], near[:, 2]])
        surface.point_data["rgb"] = (colours[ids] * 255).astype(np.uint8)
        plotter.add_mesh(surface, scalars="rgb", rgb=True, smooth_shading=True)
    plotter.add_mesh(pv.Box(bounds=(0, labels.shape[0] * h, 0, labels.shape[1] * h, 0, labels.shape[2] * h)),
                     style="wireframe", color="black", line_width=1)
    plotter.add_text(title, font_size=9, color="black")
    plotter.add_text("colour = |fibre axis|: x red, y green, z blue", position="lower_left", font_size=7,
                     color="black")
    plotter.show_axes()
    plotter.camera_position = "iso"
    plotter.screenshot(str(path))
    plotter.close()
    return Picture(path, True, f"rendered off-screen ({how})")


def render_layout(angle: np.ndarray, block_size_um: float | tuple[float, float, float], path: str | os.PathLike, *,
                  title: str = "", size: tuple[int, int] = (640, 520)) -> Picture:
    """The block layout of an assembly: one cube per block cell, coloured by its in-plane angle (degrees).

    ``angle``: [gx, gy, gz] in degrees, NaN for air (``Assembly.layout()["angle"]``);
    ``block_size_um``: edge(s) of a block in µm. Writes a PNG of ``size`` pixels to ``path``.
    """
    angle = np.asarray(angle, dtype=np.float64)
    if angle.ndim != 3:
        raise ValueError(f"`angle` must be a 3D grid [gx, gy, gz], got angle.shape={angle.shape}")
    edge = np.broadcast_to(np.asarray(block_size_um, dtype=np.float64), (3,))
    for i, e in enumerate(edge):
        positive(f"block_size_um[{i}]", float(e))
    path = Path(path)
    title = title or f"block layout, {angle.shape[0]}×{angle.shape[1]}×{angle.shape[2]} blocks"
    pv, how = _pyvista()
    if pv is None:
        def draw(ax) -> None:
            import matplotlib.pyplot as plt

            section = angle[:, angle.shape[1] // 2, :]
            im = ax.imshow(np.mod(section.T, 180), origin="lower", cmap=_ANGLE_CMAP, vmin=0, vmax=180,
                           extent=(0, angle.shape[0] * edge[0], 0, angle.shape[2] * edge[2]))
            plt.colorbar(im, ax=ax, label="angle (°)")
            ax.set_xlabel("x (µm)")
            ax.set_ylabel("z (µm)")
        return _save_2d(path, draw, title + " (XZ section)", how, size)
    grid = pv.ImageData(dimensions=np.array(angle.shape) + 1, spacing=tuple(edge))
    grid.cell_data["angle (°)"] = np.mod(angle, 180).ravel(order="F")
    solid = grid.threshold(value=(-1.0, 181.0), scalars="angle (°)")  # NaN (air) cells drop out
    plotter = pv.Plotter(off_screen=True, window_size=size)
    plotter.set_background("white")
    if solid.n_cells:
        plotter.add_mesh(solid, scalars="angle (°)", cmap=_ANGLE_CMAP, clim=(0, 180), show_edges=True,
                         edge_color="#333333", ambient=0.3,
                         scalar_bar_args={"color": "black", "title": "angle (°)", "fmt": "%.0f",
                                          "n_labels": 5, "vertical": True, "position_x": 0.82,
                                          "position_y": 0.2, "height": 0.6, "width": 0.08})
    plotter.add_text(title, font_size=9, color="black")
    plotter.show_axes()
    plotter.camera_position = "iso"
    plotter.screenshot(str(path))
    plotter.close()
    return Picture(path, True, f"rendered off-screen ({how})")
