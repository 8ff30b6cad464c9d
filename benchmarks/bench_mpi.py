"""The solver across MPI ranks (issue 22): strong and weak scaling 1 -> 2 ranks on this machine
against the serial solver on the same cores, memory per rank, and the per-voxel costs the castle
projection in RESULTS.md is built from.

    python benchmarks/bench_mpi.py [--strong 128] [--weak 96] [--precision float64]
        [--ranks 1 2] [--serial-threads 1 2] [--csv results.csv]

(scripts/gpu_check.sh runs it on the GPU machine's 16 cores with --ranks 1 2 4 8.)

One load case (unit strain xx, tol 1e-5) on `_phantom.fibre_block` (basalt in PLA, 10 vol%),
stored as a zarr array; the MPI runs are `mpirun -n P python bench_mpi.py --worker ...`, one
OpenMP thread per rank. The serial solver runs in this process on 1 and 2 threads.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _harness  # noqa: E402
from _phantom import fibre_block  # noqa: E402

STRAIN = [1.0, 0, 0, 0, 0, 0]
CSV: Path = _harness.RESULTS_CSV


def record(case: str, figures: dict[str, Any], precision: str) -> None:
    _harness.record(case, figures, precision=precision, csv_path=CSV)


def materials() -> dict[int, Any]:
    import voxtwin as vt

    lib = vt.material_library()
    return {0: lib["pla"], 1: lib["basalt_fibre"]}


def worker(store: str, precision: str, out: str) -> None:
    """One load case on every rank; rank 0 writes timings, memory and peak RSS of every rank."""
    import resource

    from mpi4py import MPI

    import voxtwin as vt

    comm = MPI.COMM_WORLD
    comm.Barrier()
    t0 = time.perf_counter()
    sol = vt.solve(store, materials(), strain=STRAIN, tol=1e-5, precision=precision, fields=(), progress=False)
    seconds = time.perf_counter() - t0
    rss = comm.gather(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, root=0)
    mem = comm.gather(sol.memory_bytes, root=0)
    if comm.Get_rank() == 0:
        Path(out).write_text(json.dumps({"seconds": seconds, "iterations": sol.iterations, "peak_rss_mib": rss,
                                         "work_bytes": mem, "mean_stress_xx": float(sol.mean_stress[0])}))


def mpi_case(store: str, ranks: int, precision: str) -> dict[str, Any]:
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_mpi_yield_when_idle="1")
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-n", str(ranks), sys.executable,
           __file__, "--worker", store, precision, out]
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    return json.loads(Path(out).read_text())


def serial_case(labels: np.ndarray, threads: int, precision: str) -> dict[str, Any]:
    import voxtwin as vt

    vt.set_num_threads(threads)
    t0 = time.perf_counter()
    sol = vt.solve(labels, materials(), strain=STRAIN, tol=1e-5, precision=precision, fields=(), device="cpu",
                   progress=False)
    return {"seconds": time.perf_counter() - t0, "iterations": sol.iterations, "work_bytes": sol.memory_bytes,
            "mean_stress_xx": float(sol.mean_stress[0])}


def run(shape: tuple[int, int, int], ranks_list: list[int], precision: str, kind: str, folder: Path,
        serial_threads: list[int]) -> None:
    import zarr

    n = max(shape)
    labels = np.ascontiguousarray(fibre_block(n)[: shape[0], : shape[1], : shape[2]])
    store = str(folder / f"labels_{'x'.join(map(str, shape))}.zarr")
    zarr.create_array(store, data=labels, chunks=(32, shape[1], shape[2]), overwrite=True)
    voxels = float(np.prod(shape))
    for threads in serial_threads:
        s = serial_case(labels, threads, precision)
        record(f"mpi/{kind}/serial/{'x'.join(map(str, shape))}/threads{threads}",
               {**s, "s_per_iteration": s["seconds"] / s["iterations"],
                "ns_per_voxel_iteration": 1e9 * s["seconds"] / s["iterations"] / voxels,
                "work_bytes_per_voxel": s["work_bytes"] / voxels}, precision)
    for ranks in ranks_list:
        m = mpi_case(store, ranks, precision)
        record(f"mpi/{kind}/ranks{ranks}/{'x'.join(map(str, shape))}",
               {**m, "s_per_iteration": m["seconds"] / m["iterations"],
                "ns_per_voxel_iteration": 1e9 * m["seconds"] / m["iterations"] / voxels,
                "work_bytes_per_voxel_per_rank": [b / (voxels / ranks) for b in m["work_bytes"]]}, precision)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--strong", type=int, default=128, help="cube edge of the strong-scaling grid")
    parser.add_argument("--weak", type=int, default=96, help="cube edge per rank of the weak-scaling grid")
    parser.add_argument("--precision", choices=("float32", "float64"), default="float64")
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2], help="MPI rank counts (strong and weak)")
    parser.add_argument("--serial-threads", type=int, nargs="*", default=[1, 2],
                        help="thread counts of the serial solver beside each grid")
    parser.add_argument("--csv", type=Path, default=_harness.RESULTS_CSV, help="where the rows go (appended)")
    args = parser.parse_args()
    global CSV
    CSV = args.csv
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = args.strong
        run((n, n, n), args.ranks, args.precision, "strong", folder, args.serial_threads)
        w = args.weak
        for ranks in sorted(args.ranks, reverse=True):  # (ranks w, w, w) on `ranks` ranks: the same slab per rank
            run((ranks * w, w, w), [ranks], args.precision, "weak", folder, args.serial_threads)


if __name__ == "__main__":
    main()
