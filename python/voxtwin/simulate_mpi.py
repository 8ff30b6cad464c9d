"""The elasticity solver on a zarr store, across MPI processes (``mpirun``, the ``mpi`` extra).

:func:`voxtwin.homogenize` and :func:`voxtwin.solve` accept the path of a zarr store in place of an
array. Launched under ``mpirun -n P`` with mpi4py, every rank calls them the same way; each reads
only its own slab of x-planes (FFTW-MPI's block distribution, plus one ghost plane) straight from
the store, the C++ solver (``voxtwin._mpi``) runs on the slabs, and every rank returns the same
result (the same effective C, bit for bit). Fields are written by each rank for its own planes into
an output store (``out=``) whose chunks never straddle two ranks. Without MPI (one process) the
store is read whole and the serial solver runs.

Stores read:

- uint8 phase labels: a zarr array, or a group holding ``labels`` (an assembly written by
  :meth:`voxtwin.Assembly.write_zarr`); the table comes from ``materials`` by label;
- a solver input written by :func:`write_solver_input`: the material index (uint8/uint16, e.g.
  composite voxels or per-voxel fibre axes) with its table of stiffnesses and CTEs.

Memory is checked on every rank before anything is allocated (the node's available memory is
shared by the ranks on it; ``VOXTWIN_MEMORY_LIMIT`` caps it per rank in bytes); when a rank would
not fit, it raises :class:`~voxtwin.InsufficientMemoryError` naming itself and every other rank
raises the same error naming it, so all stop.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from . import _core
from ._material_table import MaterialTable, check_materials, material_table
from .errors import BackendUnavailableError
from .materials import Material

__all__ = ["comm_world", "is_store", "launched_by_mpi", "mpi_built", "world_size", "write_solver_input", "SOLVER_INPUT_KIND"]

#: ``attributes["voxtwin"]["kind"]`` of a store written by :func:`write_solver_input`.
SOLVER_INPUT_KIND = "voxtwin.SolverInput"
_FIELD_COMPONENTS = {"displacement": 3, "strain": 6, "stress": 6}
_MAX_CHUNK_PLANES = 64


def _mpi_module() -> Any:
    try:
        from . import _mpi  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _mpi


def mpi_built() -> bool:
    """True when this installation has the MPI solver (built with ``VOXTWIN_MPI``)."""
    return _mpi_module() is not None


_LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS")


def launched_by_mpi() -> bool:
    """True in a process started by mpirun/mpiexec (Open MPI, MPICH, PMIx) or that imported mpi4py.MPI."""
    return "mpi4py.MPI" in sys.modules or any(os.environ.get(v) for v in _LAUNCHER_VARIABLES)


def comm_world() -> Any:
    """mpi4py's COMM_WORLD under an MPI launcher (importing it initializes MPI), else None."""
    if not launched_by_mpi():
        return None
    try:
        from mpi4py import MPI
    except ImportError as exc:
        raise BackendUnavailableError("running under mpirun needs mpi4py (pip install 'voxtwin[mpi]')") from exc
    return MPI.COMM_WORLD


def world_size() -> int:
    """Processes in MPI_COMM_WORLD (1 outside an MPI launch)."""
    comm = comm_world()
    return 1 if comm is None else int(comm.Get_size())


def is_store(obj: object) -> bool:
    """True for a str or path naming an existing zarr store (folder with zarr.json or .zarray/.zgroup)."""
    if not isinstance(obj, (str, os.PathLike)):
        return False
    p = Path(os.fspath(obj))
    return p.is_dir() and any((p / f).is_file() for f in ("zarr.json", ".zgroup", ".zarray"))


# ----------------------------------------------------------------------------- reading


class _Source:
    """An index volume in a store and its table: ``array`` (zarr, [x, y, z]) and ``table(materials)``."""

    def __init__(self, path: str | os.PathLike) -> None:
        node = zarr.open(os.fspath(path), mode="r")
        self.path = os.fspath(path)
        meta = dict(node.attrs.get("voxtwin", {})) if isinstance(node, zarr.Group) else {}
        self.solver_input = meta.get("kind") == SOLVER_INPUT_KIND
        if self.solver_input:
            self.array = node["index"]
            self.C = np.asarray(node["C"][...], dtype=np.float64)
            self.alpha = np.asarray(node["alpha"][...], dtype=np.float64)
            self.phases: Any = node["phases"]
        else:
            self.array = node["labels"] if isinstance(node, zarr.Group) and "labels" in node else node
            self.phases = self.array
        if not isinstance(self.array, zarr.Array) or self.array.ndim != 3:
            raise ValueError(f"the store at {self.path!r} must hold a 3D volume (an array, or a group with `labels` or "
                             f"a solver input), got {type(self.array).__name__}")
        want = (np.uint8, np.uint16) if self.solver_input else (np.uint8,)
        if self.array.dtype not in want:
            raise TypeError(f"the volume in the store at {self.path!r} must have dtype {' or '.join(np.dtype(w).name for w in want)}, "
                            f"got {self.array.dtype}")
        self.shape: tuple[int, int, int] = tuple(int(s) for s in self.array.shape)  # type: ignore[assignment]
        self.voxel_size = meta.get("voxel_size_um", node.attrs.get("voxel_size_um") if hasattr(node, "attrs") else None)

    @property
    def index_bytes(self) -> int:
        return int(self.array.dtype.itemsize)

    def table(self, materials: dict[int, Material] | None) -> tuple[np.ndarray, np.ndarray]:
        """(C, alpha) of the index: from the store, or from ``materials`` by label."""
        if self.solver_input:
            if materials is not None:
                raise ValueError(f"the store at {self.path!r} is a solver input with its own materials: pass materials=None")
            return self.C, self.alpha
        if materials is None:
            raise TypeError(f"`materials` must be a dict {{label: Material}} for the label store at {self.path!r}, got None")
        mats = check_materials(materials)
        size = max(mats) + 1
        C = np.zeros((size, 6, 6))
        alpha = np.zeros((size, 6))
        for label, mat in mats.items():
            C[label] = mat.C
            alpha[label] = mat.alpha
        return C, alpha

    def slab(self, x0: int, count: int) -> np.ndarray:
        """Planes x0 - 1 (periodic) .. x0 + count - 1: the ghost plane, then the owned ones."""
        ghost = (x0 - 1) % self.shape[0]
        out = np.empty((count + 1, *self.shape[1:]), dtype=self.array.dtype)
        out[0] = self.array[ghost]
        out[1:] = self.array[x0:x0 + count]
        return out

    def whole(self, materials: dict[int, Material] | None, axes: np.ndarray | None) -> Any:
        """The whole volume as the serial solver takes it (one process, no MPI)."""
        if not self.solver_input:
            return np.asarray(self.array[...])
        index = np.asarray(self.array[...])
        return _StoredTable(MaterialTable(index, self.C, self.alpha, np.asarray(self.phases[...]),
                                          np.full(len(self.C), -1, dtype=np.int64)))


class _StoredTable:
    """A stored solver input in the serial solver's hook (``material_table``)."""

    def __init__(self, table: MaterialTable) -> None:
        self._table = table

    def material_table(self, materials: object) -> MaterialTable:
        return self._table


def write_solver_input(path: str | os.PathLike, labels_or_cv: Any, materials: dict[int, Material], *,
                       axes: np.ndarray | None = None, voxel_size: float | None = None,
                       chunks: tuple[int, int, int] | None = None) -> zarr.Group:
    """Writes the solver's input (material index, its table and the phase labels) to a zarr store.

    For models whose index is not the phase label: composite voxels (``labels_or_cv`` a
    :class:`~voxtwin.CompositeVoxels`) or per-voxel fibre ``axes``. The store is then solved with
    ``vt.homogenize(path, None, ...)`` / ``vt.solve(path, None, ...)``, on one process or, slab by
    slab, on many. ``voxel_size`` (µm) is recorded; ``chunks`` default (≤64, ny, nz).
    """
    table = material_table(labels_or_cv, materials, axes=axes)
    shape = table.shape
    if chunks is None:
        chunks = (min(shape[0], _MAX_CHUNK_PLANES), shape[1], shape[2])
    meta = {"kind": SOLVER_INPUT_KIND, "version": _core.__version__, "shape": list(shape),
            "entries": int(len(table.C))}
    if voxel_size is not None:
        meta["voxel_size_um"] = float(voxel_size)
    root = zarr.open_group(os.fspath(path), mode="w", zarr_format=3, attributes={"voxtwin": meta})
    root.create_array("index", data=np.ascontiguousarray(table.index), chunks=chunks)
    root.create_array("phases", data=np.ascontiguousarray(table.phases), chunks=chunks)
    root.create_array("C", data=np.ascontiguousarray(table.C, dtype=np.float64))
    root.create_array("alpha", data=np.ascontiguousarray(table.alpha, dtype=np.float64))
    return root


# ----------------------------------------------------------------------------- running


class StoreRun:
    """One store solved on the ranks of MPI_COMM_WORLD (or whole, serially, on one process)."""

    def __init__(self, path: str | os.PathLike, materials: dict[int, Material] | None, scheme: str, precision: str,
                 field_reals: float) -> None:
        self.source = _Source(path)
        self.C, self.alpha = self.source.table(materials)
        self.comm = comm_world()
        self.mod = _mpi_module()
        size = 1 if self.comm is None else self.comm.Get_size()
        if size > 1 and self.mod is None:
            raise BackendUnavailableError("this voxtwin was built without the MPI solver (VOXTWIN_MPI): it cannot run "
                                          f"on {size} MPI ranks; rebuild with libopenmpi-dev and libfftw3-mpi-dev installed")
        self.distributed = self.mod is not None and self.comm is not None
        self.shape = self.source.shape
        if self.distributed:
            nx, ny, nz = self.shape
            real = 4 if precision == "float32" else 8
            # Collective: raises on every rank when any rank would not fit, before anything is read.
            self.mod.require_slab_memory(nx, ny, nz, scheme, real, self.source.index_bytes, field_reals)
            d = self.mod.decompose(nx, ny, nz)
            self.rank, self.ranks, self.x0, self.count = d["rank"], d["ranks"], d["x0"], d["count"]
            self.index = self.source.slab(self.x0, self.count)
        else:
            self.rank, self.ranks, self.x0, self.count = 0, 1, 0, self.shape[0]

    @property
    def has_thermal_expansion(self) -> bool:
        return bool(np.any(self.alpha != 0.0))

    def run(self, strain: np.ndarray, stress: np.ndarray, controlled: list[bool], delta_T: float, scheme: str,
            tol: float, max_iter: int, voxel_size: tuple[float, float, float], precision: str,
            want: tuple[bool, bool, bool], monitor: Any) -> dict[str, Any]:
        return self.mod.solve_elasticity(self.index, self.shape, self.C, self.alpha, strain, stress, controlled,
                                         float(delta_T), scheme, tol, max_iter, np.array(voxel_size), precision,
                                         *want, monitor)

    def barrier(self) -> None:
        if self.comm is not None:
            self.comm.Barrier()

    def create_fields_store(self, out: str | os.PathLike, fields: tuple[str, ...], precision: str,
                            voxel_size: tuple[float, float, float]) -> None:
        """Rank 0 creates the output store; chunks along x divide every rank's slab start."""
        starts = [0] if self.comm is None else self.comm.allgather(int(self.x0))
        step = 0
        for start in starts:
            step = math.gcd(step, start)
        step = step or self.shape[0]
        cx = max(d for d in range(1, min(step, _MAX_CHUNK_PLANES) + 1) if step % d == 0)
        ny, nz = self.shape[1:]
        if self.rank == 0:
            root = zarr.open_group(os.fspath(out), mode="w", zarr_format=3,
                                   attributes={"voxtwin": {"kind": "voxtwin.Fields", "version": _core.__version__,
                                                           "shape": list(self.shape), "voxel_size_um": list(voxel_size),
                                                           "ranks": self.ranks, "complete": False}})
            for name in fields:
                k = _FIELD_COMPONENTS[name]
                root.create_array(name, shape=(k, *self.shape), chunks=(1, cx, min(ny, 256), min(nz, 256)),
                                  dtype=precision, dimension_names=("component", "x", "y", "z"))
        self.barrier()

    def write_fields(self, out: str | os.PathLike, result: dict[str, Any], fields: tuple[str, ...]) -> None:
        root = zarr.open_group(os.fspath(out), mode="r+")
        for name in fields:
            root[name][:, self.x0:self.x0 + self.count] = result[name]  # type: ignore[index]
        self.barrier()

    def finish_fields_store(self, out: str | os.PathLike, attrs: dict[str, Any]) -> None:
        if self.rank == 0:
            root = zarr.open_group(os.fspath(out), mode="r+")
            meta = dict(root.attrs["voxtwin"])  # type: ignore[arg-type]
            meta.update(attrs, complete=True)
            root.attrs["voxtwin"] = meta
        self.barrier()
