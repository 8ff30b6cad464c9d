"""Run under `mpirun -n P` by test_simulate_mpi.py: solves the stores in DIR on P ranks.

Every rank calls vt.homogenize / vt.solve on the store paths the same way; rank 0 saves the results
to DIR/ranks_P.npz with, per case, whether every rank returned bit-identical C. Case `oom`: every
rank records the error it raised (DIR/oom_rank_R.txt) and exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from mpi4py import MPI

import voxtwin as vt

TOL = 1e-12
PLA = vt.Isotropic(3.4, 0.33, alpha=68e-6, name="pla")
T300 = vt.TransverselyIsotropic(230.0, 15.0, 15.0, 0.2, 0.07, alpha1=-0.7e-6, alpha2=12e-6, axis=(1.0, 0.7, 0.4))
MATERIALS = {0: PLA, 1: T300, 2: vt.VOID}


def same_everywhere(comm: MPI.Comm, a: np.ndarray) -> bool:
    return all(np.array_equal(a, b) for b in comm.allgather(np.asarray(a)))


def main(folder: Path, cases: list[str]) -> None:
    comm = MPI.COMM_WORLD
    out: dict[str, np.ndarray] = {}
    if "oom" in cases:
        try:
            vt.homogenize(str(folder / "fibre.zarr"), MATERIALS, tol=TOL, progress=False)
        except vt.InsufficientMemoryError as exc:
            (folder / f"oom_rank_{comm.Get_rank()}.txt").write_text(str(exc))
            raise
        return
    if "laminate" in cases:
        res = vt.homogenize(str(folder / "laminate.zarr"), {0: PLA, 1: T300}, tol=1e-9, progress=False)
        out["laminate_C"], out["laminate_alpha"] = res.C, res.alpha
        out["laminate_same"] = np.array(same_everywhere(comm, res.C))
    if "fibre" in cases:
        res = vt.homogenize(str(folder / "fibre.zarr"), MATERIALS, tol=TOL, progress=False)
        out["fibre_C"], out["fibre_alpha"] = res.C, res.alpha
        out["fibre_same"] = np.array(same_everywhere(comm, res.C))
        res8 = vt.homogenize(str(folder / "fibre.zarr"), MATERIALS, tol=TOL, scheme="hex8", progress=False)
        out["fibre_hex8_C"] = res8.C
    if "composite" in cases:
        res = vt.homogenize(str(folder / "composite.zarr"), None, tol=TOL, progress=False)
        out["composite_C"] = res.C
        out["composite_same"] = np.array(same_everywhere(comm, res.C))
    if "fields" in cases:
        sol = vt.solve(str(folder / "fibre.zarr"), MATERIALS, stress=[0.0] * 6, delta_T=-25.0, tol=TOL,
                       progress=False, out=str(folder / f"fields_{comm.Get_size()}.zarr"))
        out["fields_mean_strain"] = sol.mean_strain
        out["fields_same"] = np.array(same_everywhere(comm, sol.mean_strain))
    if comm.Get_rank() == 0:
        np.savez(folder / f"ranks_{comm.Get_size()}.npz", **out)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
