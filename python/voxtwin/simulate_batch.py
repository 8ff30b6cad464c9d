"""Batched homogenization of many small periodic cells (16³–64³ voxels) in one call.

:func:`homogenize_cells` gives the effective stiffness of every cell of a stack ``[count, nx, ny,
nz]`` of uint8 phase labels with one ``materials`` map. The C++ core (``homogenize_cells`` in
``cpp/src/batched_homogenization.cpp``, CUDA twin in ``cuda/``) runs the cells side by side, one per
thread, each thread keeping its FFT plans, CG vectors and buffers for every cell it solves; the
solver per cell is the one of :func:`voxtwin.homogenize` (hexahedral CG, voids allowed), so a cell's
C agrees with ``homogenize`` on it to the solver tolerance.

``symmetry="cubic"`` (cube-shaped cells) projects each C on the cubic class, the average over the
48 operations of the cube's symmetry group, and reports C11, C12, C44. A cell that maps onto itself
under the group (e.g. built by :func:`voxtwin.design.cubic_cell`) has a cubic C, which two load
cases (uniaxial xx, shear yz) give instead of six. ``anisotropy`` tells how far a cell that is not
invariant was from cubic before the projection.

Only stiffness is computed (no thermal case). Units: GPa; Voigt order xx, yy, zz, yz, xz, xy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

import numpy as np

from . import _core
from . import _validate as check
from ._backend import cuda_module, get_num_threads, resolve_device
from ._material_table import check_labels, material_table
from ._progress import progress_bar
from .errors import ConvergenceError, InsufficientMemoryError
from .materials import Material

__all__ = ["CellBatch", "homogenize_cells"]

Symmetry = Literal["none", "cubic"]


@dataclass
class CellBatch:
    """Effective stiffness of a stack of cells (:func:`homogenize_cells`).

    ``C`` [count, 6, 6] GPa (symmetrized; the cubic projection with ``symmetry="cubic"``);
    ``iterations`` CG iterations per cell over its load cases; ``converged`` per cell;
    ``invariant`` (cubic) whether the cell maps onto itself under the cube's group (two load cases
    solved); ``anisotropy`` (cubic) |C − P(C)|/|C| before the projection (0 for invariant cells);
    ``seconds`` wall time, ``device``, ``symmetry``.
    """

    C: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    invariant: np.ndarray
    anisotropy: np.ndarray
    seconds: float
    device: str
    symmetry: str

    @property
    def cubic(self) -> np.ndarray:
        """[count, 3] (C11, C12, C44) in GPa."""
        return np.stack([self.C[:, 0, 0], self.C[:, 0, 1], self.C[:, 3, 3]], axis=1)

    def __len__(self) -> int:
        return len(self.C)

    @property
    def cells_per_second(self) -> float:
        """Throughput of the call (cells per second of wall time)."""
        return len(self) / self.seconds if self.seconds > 0 else float("inf")


def _check_cells(cells: object) -> np.ndarray:
    if not isinstance(cells, np.ndarray):
        raise TypeError(f"`cells` must be a numpy array of uint8 phase labels [count, nx, ny, nz], got {type(cells).__name__}")
    if cells.ndim == 3:
        cells = cells[None]
    if cells.ndim != 4:
        raise ValueError(f"`cells` must be a 4D array [count, nx, ny, nz] (or one 3D cell), got shape {cells.shape}")
    if cells.dtype != np.uint8:
        raise TypeError(f"`cells` must have dtype uint8, got dtype {cells.dtype} (convert explicitly, e.g. cells.astype(numpy.uint8))")
    if cells.size == 0:
        raise ValueError(f"`cells` must not be empty, got shape {cells.shape}")
    return np.ascontiguousarray(cells)


def homogenize_cells(cells: np.ndarray, materials: dict[int, Material], tol: float = 1e-5, device: str = "auto", *,
                     symmetry: Symmetry = "none", scheme: str = "hex8r", precision: str | None = None,
                     max_iter: int = 1000, chunk: int = 256, strict: bool = False, progress: bool = True) -> CellBatch:
    """Effective stiffness (GPa) of every cell of ``cells`` (uint8 [count, nx, ny, nz]).

    ``materials`` ``{label: Material}`` (``vt.VOID`` for pores); ``tol`` relative residual per load
    case (as :func:`voxtwin.homogenize`); ``symmetry`` ``"none"`` or ``"cubic"`` (see the module);
    ``scheme`` ``"hex8r"`` or ``"hex8"``; ``precision`` ``"float64"`` (CPU default) or ``"float32"``
    (CUDA); ``chunk`` cells per C++ call (a progress bar step; workspaces are made once per call).
    ``strict`` raises ConvergenceError when a cell did not converge. Cells need not be connected,
    but an all-void cell is refused (ValueError naming it).
    """
    arr = _check_cells(cells)
    backend = resolve_device(device)
    check.choice("symmetry", symmetry, ("none", "cubic"))
    check.choice("scheme", scheme, ("hex8r", "hex8"))
    if precision is None:
        precision = "float32" if backend == "cuda" else "float64"
    check.choice("precision", precision, ("float32", "float64"))
    if backend == "cuda" and precision != "float32":
        raise ValueError(f"the CUDA solver works in float32, got precision={precision!r} (use device='cpu' for float64)")
    tol_f = check.positive("tol", tol)
    iters = check.integer("max_iter", max_iter, minimum=1)
    step = check.integer("chunk", chunk, minimum=1)
    if symmetry == "cubic" and not arr.shape[1] == arr.shape[2] == arr.shape[3]:
        raise ValueError(f"`symmetry` 'cubic' needs cube-shaped cells, got cells of shape {arr.shape[1:]}")
    table = material_table(check_labels(arr.reshape(-1, *arr.shape[2:]), "cells"), materials)
    if backend == "cpu":
        real = 8 if precision == "float64" else 4
        need = float(_core.elasticity_memory_bytes(*arr.shape[1:], scheme, real, 1)) * get_num_threads()
        avail = float(_core.available_host_memory())
        if need > avail:
            raise InsufficientMemoryError(f"batched homogenization of cells {arr.shape[1:]} needs {need / 2**30:.3g} GiB "
                                          f"of host memory but only {avail / 2**30:.3g} GiB are available")
    h = np.ones(3)
    parts = []
    start = time.perf_counter()
    bar = progress_bar(len(arr), desc="homogenize cells", enabled=progress, unit="cell")
    try:
        for i in range(0, len(arr), step):
            block = arr[i:i + step]
            if backend == "cuda":
                out = cuda_module().homogenize_cells(block, table.C, table.alpha, scheme, tol_f, iters, h, symmetry)
            else:
                out = _core.homogenize_cells(block, table.C, table.alpha, scheme, tol_f, iters, h, symmetry, precision)
            parts.append(out)
            bar.update(len(block))
    finally:
        bar.close()
    res = CellBatch(C=np.concatenate([p["C"] for p in parts]),
                    iterations=np.concatenate([p["iterations"] for p in parts]).astype(np.int64),
                    converged=np.concatenate([p["converged"] for p in parts]).astype(bool),
                    invariant=np.concatenate([p["invariant"] for p in parts]).astype(bool),
                    anisotropy=np.concatenate([p["anisotropy"] for p in parts]),
                    seconds=time.perf_counter() - start, device=backend, symmetry=symmetry)
    if not np.all(np.isfinite(res.C)):
        raise ConvergenceError(f"homogenize_cells: non-finite stiffness in cells {np.flatnonzero(~np.isfinite(res.C).all(axis=(1, 2))).tolist()[:10]}")
    if strict and not res.converged.all():
        raise ConvergenceError(f"homogenize_cells: cells {np.flatnonzero(~res.converged).tolist()[:10]} did not converge "
                               f"to tol={tol_f:g} within max_iter={iters}")
    return res
