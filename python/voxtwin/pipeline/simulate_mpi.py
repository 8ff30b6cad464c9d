"""The simulate stage's homogenizations across MPI processes (``simulation.mpi_ranks`` > 1, or
``voxtwin run CONFIG --mpi N``).

The stage hands every model it would homogenize to a :class:`Homogenizer`. With one rank it calls
:func:`voxtwin.homogenize` at once, in this process, as the stage always did. With N ranks the model
goes to a zarr store instead (the assembly store itself when the stage simulates the fine voxels,
else a solver input written by :func:`voxtwin.simulate_mpi.write_solver_input`), and
:meth:`Homogenizer.results` launches ``mpirun -n N`` once for all of them: every rank reads only
its slab of each store and rank 0 writes the results (C, CTE, iterations, convergence; floats
written exactly) to a JSON file that the stage reads back. The solver runs on the CPU in float64
on every rank, so the results equal the serial stage's (device "cpu") to 1e-10 relative.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import simulate_mpi as _store_mpi
from ..errors import BackendUnavailableError, ConvergenceError
from ..materials import Material, material_from_dict
from ..simulate import homogenize

__all__ = ["Homogenizer", "StoreHomogenization", "mpirun_command"]

# Seconds one mpirun launch may take before the stage gives up (a hung rank must not hang a run).
LAUNCH_TIMEOUT_S = float(os.environ.get("VOXTWIN_MPI_TIMEOUT", 24 * 3600))


@dataclass(frozen=True)
class StoreHomogenization:
    """What the stage reads of a homogenization run under MPI (same meaning as :class:`voxtwin.Homogenization`)."""

    C: np.ndarray
    alpha: np.ndarray
    iterations: tuple[int, ...]
    converged_cases: tuple[bool, ...]
    problems: tuple[str, ...]

    @property
    def converged(self) -> bool:
        return all(self.converged_cases) and not self.problems


def mpirun_command(ranks: int) -> tuple[list[str], dict[str, str]]:
    """The launcher and environment for ``ranks`` processes of this interpreter.

    ``VOXTWIN_MPIRUN`` names the launcher (default ``mpirun``). Open MPI's settings that a pipeline
    run needs are given as environment defaults the user's own override: running as root in
    containers, more ranks than cores, no binding, and yielding when idle (ranks on shared cores
    must not busy-wait). Each rank gets OMP_NUM_THREADS = cores // ranks unless it is set.
    """
    launcher = os.environ.get("VOXTWIN_MPIRUN", "mpirun")
    if shutil.which(launcher) is None:
        raise BackendUnavailableError(f"`simulation.mpi_ranks`={ranks} needs an MPI launcher: {launcher!r} is not on "
                                      "PATH (install Open MPI, or set VOXTWIN_MPIRUN)")
    if not _store_mpi.mpi_built():
        raise BackendUnavailableError(f"`simulation.mpi_ranks`={ranks}: this voxtwin was built without the MPI solver "
                                      "(VOXTWIN_MPI); rebuild with libopenmpi-dev and libfftw3-mpi-dev installed")
    env = dict(os.environ)
    defaults = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1",
                "OMPI_MCA_rmaps_base_oversubscribe": "1", "OMPI_MCA_hwloc_base_binding_policy": "none",
                "OMPI_MCA_mpi_yield_when_idle": "1", "OMPI_MCA_btl_vader_single_copy_mechanism": "none",
                "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // ranks))}
    for key, value in defaults.items():
        env.setdefault(key, value)
    return [launcher, "-n", str(ranks), sys.executable, "-m", "voxtwin.pipeline.simulate_mpi"], env


class Homogenizer:
    """Homogenizes the stage's models at once (one rank) or in one ``mpirun`` launch (``ranks`` > 1).

    ``submit(key, model, voxel_size, store=None)`` takes a labels array or composite voxels (and,
    for the fine voxels, the store they came from, read slab-wise under MPI); ``results()`` returns
    ``{key: result}`` with ``C``, ``alpha``, ``iterations`` and ``converged``.
    """

    def __init__(self, materials: dict[int, Material], settings: dict[str, Any], device: str, ranks: int,
                 folder: Path, progress: bool = False) -> None:
        self.materials = materials
        self.settings = settings
        self.device = device
        self.ranks = int(ranks)
        self.folder = folder
        self.progress = progress
        self._done: dict[str, Any] = {}
        self._jobs: list[dict[str, Any]] = []
        self.launched_ranks = 0  # MPI_COMM_WORLD's size as the launched workers saw it (0: none launched)
        if self.ranks > 1:
            if device == "cuda":
                raise ValueError(f"`simulation.mpi_ranks`={self.ranks} runs the CPU solver on every rank: "
                                 "set `run.device` to 'cpu' or 'auto', or `simulation.mpi_ranks` to 1")
            mpirun_command(self.ranks)  # fails now, before any store is written, when MPI is missing
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)

    def _kwargs(self, voxel_size: float) -> dict[str, Any]:
        s = self.settings
        return {"voxel_size": float(voxel_size), "tol": float(s["tol"]), "max_iter": int(s["max_iter"]),
                "thermal": bool(s["thermal"])}

    def submit(self, key: str, model: Any, voxel_size: float, store: str | os.PathLike | None = None,
               progress: bool = False) -> None:
        if key in self._done or any(j["key"] == key for j in self._jobs):
            raise ValueError(f"`key` {key!r} was submitted twice")
        if self.ranks == 1:
            self._done[key] = homogenize(model, self.materials, device=self.device, progress=progress,
                                         **self._kwargs(voxel_size))
            return
        if store is not None:  # the labels as stored: each rank reads its slab
            job = {"store": os.fspath(store), "materials": {str(k): m.to_dict() for k, m in self.materials.items()}}
        else:
            path = self.folder / f"{len(self._jobs):04d}.zarr"
            _store_mpi.write_solver_input(path, model, self.materials, voxel_size=voxel_size)
            job = {"store": os.fspath(path), "materials": None}
        self._jobs.append({"key": key, **job, **self._kwargs(voxel_size)})

    def results(self) -> dict[str, Any]:
        if self._jobs:
            jobs_file = self.folder / "jobs.json"
            out_file = self.folder / "results.json"
            jobs_file.write_text(json.dumps({"jobs": self._jobs, "out": os.fspath(out_file)}), encoding="utf-8")
            cmd, env = mpirun_command(self.ranks)
            try:
                proc = subprocess.run([*cmd, os.fspath(jobs_file)], capture_output=True, text=True, env=env,
                                      timeout=LAUNCH_TIMEOUT_S)
            except subprocess.TimeoutExpired as exc:
                raise ConvergenceError(f"the MPI simulate launch ({self.ranks} ranks) ran past {LAUNCH_TIMEOUT_S:g} s "
                                       "(VOXTWIN_MPI_TIMEOUT)") from exc
            if proc.returncode != 0 or not out_file.is_file():
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-25:])
                raise RuntimeError(f"the MPI simulate launch ({' '.join(cmd[:3])} ...) failed with exit code "
                                   f"{proc.returncode}:\n{tail}")
            launched = json.loads(out_file.read_text(encoding="utf-8"))
            self.launched_ranks = int(launched["ranks"])
            for key, rec in launched["results"].items():
                self._done[key] = StoreHomogenization(
                    C=np.asarray(rec["C"], dtype=np.float64), alpha=np.asarray(rec["alpha"], dtype=np.float64),
                    iterations=tuple(rec["iterations"]), converged_cases=tuple(rec["converged_cases"]),
                    problems=tuple(rec["problems"]))
            self._jobs = []
        return dict(self._done)


def _worker(jobs_file: str) -> int:
    """One rank of the launch: every job on every rank (collective), rank 0 writes the results."""
    from ..simulate_mpi import comm_world

    spec = json.loads(Path(jobs_file).read_text(encoding="utf-8"))
    comm = comm_world()
    rank0 = comm is None or comm.Get_rank() == 0
    out: dict[str, Any] = {}
    for job in spec["jobs"]:
        mats = None if job["materials"] is None else {int(k): material_from_dict(v) for k, v in job["materials"].items()}
        res = homogenize(job["store"], mats, job["voxel_size"], tol=job["tol"], device="cpu", precision="float64",
                         max_iter=job["max_iter"], thermal=job["thermal"], progress=False)  # type: ignore[arg-type]
        out[job["key"]] = {"C": res.C.tolist(), "alpha": res.alpha.tolist(), "iterations": list(res.iterations),
                           "converged_cases": list(res.converged_cases), "problems": list(res.problems)}
    if rank0:
        tmp = Path(spec["out"] + ".tmp")
        ranks = 1 if comm is None else int(comm.Get_size())
        tmp.write_text(json.dumps({"ranks": ranks, "results": out}), encoding="utf-8")  # floats exact (repr)
        tmp.replace(spec["out"])
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1]))
