"""``voxtwin simulate STORE.zarr``: a zarr store solved slab by slab (under ``mpirun``) or whole.

Without ``--out``: the effective stiffness and CTE (:func:`voxtwin.homogenize`). With ``--out``:
one loading (``--loading``: a unit strain component or ``thermal``, the stress-free shrinkage of
``--delta-T`` K) solved with :func:`voxtwin.solve`, its fields written to the ``--out`` store by
every rank for its own planes. Only rank 0 prints.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np

from .simulate import LOAD_CASES, VOIGT


def run(args: argparse.Namespace, materials: dict[int, Any] | None) -> int:
    import voxtwin

    from .simulate_mpi import comm_world

    comm = comm_world()
    rank0 = comm is None or comm.Get_rank() == 0
    h = args.voxel_size if args.voxel_size is not None else 1.0
    common = {"voxel_size": h, "tol": args.tol, "device": "cpu", "precision": args.precision, "strict": True,
              "progress": not args.quiet and rank0}
    if args.out is None:
        res = voxtwin.homogenize(args.labels, materials, **common)
        report: dict[str, Any] = {"C (GPa)": np.round(res.C, 4).tolist(), "CTE (1/K)": res.alpha.tolist(),
                                  "iterations": list(map(int, res.iterations))}
    else:
        if args.loading == "thermal":
            load: dict[str, Any] = {"stress": [0.0] * 6, "delta_T": args.delta_T}
        else:
            strain = [0.0] * 6
            strain[VOIGT.index(args.loading)] = 1.0
            load = {"strain": strain}
        sol = voxtwin.solve(args.labels, materials, out=args.out, **load, **common)
        report = {"loading": args.loading, "mean strain": sol.mean_strain.tolist(),
                  "mean stress (GPa)": sol.mean_stress.tolist(), "iterations": sol.iterations, "fields": args.out}
    if rank0:
        print(json.dumps(report, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


def add_arguments(sim: argparse.ArgumentParser) -> None:
    """Options of the store path, registered on the `simulate` subcommand."""
    sim.add_argument("--out", help="zarr store for the fields of one loading (input must be a zarr store); "
                     "run under `mpirun -n P` to split the volume over P processes")
    sim.add_argument("--loading", choices=LOAD_CASES, default="thermal",
                     help="loading solved with --out: a unit strain component or 'thermal' (stress-free, --delta-T)")
    sim.add_argument("--delta-T", type=float, default=-25.0, help="K, for --loading thermal (default -25: 50 -> 25 °C)")
    sim.add_argument("--precision", choices=("float32", "float64"), default="float64",
                     help="solver precision for a zarr store (default float64)")
