"""Composite voxels: downsampling throughput, and fine vs coarse solves of the same fibre block.

    python benchmarks/bench_composite.py downsample [--size 256]
    python benchmarks/bench_composite.py solve [--size 125] [--voxel-size 3] [--tol 1e-5]
    python benchmarks/bench_composite.py solve --size 267 --voxel-size 1.875   # the 0.5 mm block, 8-voxel fibres

downsample: the C++ kernel alone (per-coarse-voxel fractions and normals; CPU on 1 and all
threads, CUDA when a GPU is visible, transfers included), the whole ``composite_voxels``
(kernel + table + laminates) and the majority vote, in fine voxels per second.

solve: a fibre block (seed 000: 125³ voxels of 4 µm; basalt in PLA, 10 vol%, from the unit-twin
generator, cropped to 124³) homogenized on the fine grid, with composite voxels (factor 4) and
with majority-vote downsampling. Each solve runs in its own process so that its peak memory is
its own; errors are relative to the fine grid.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import time
import warnings

import numpy as np

import voxtwin as vt
from _harness import record, timeit
from voxtwin import _core
from voxtwin.composite import _stiffness_weights

LIB = vt.material_library()
MATERIALS = {0: LIB["pla"], 1: LIB["basalt_fibre"]}
# Seed 000's building block: basalt fibres 15 µm x 100 µm, 10 vol%, along +X with a 15° spread.
# At seed 000's 4 µm voxels they are 3.75 voxels across (just below the 4 the downsampling needs;
# the feature check reads them as 4.0); at 3 µm 5 voxels, at 1.875 µm 8 voxels across.


def fibre_block(size: int, voxel_size: float, seed: int) -> vt.UnitTwin:
    return vt.generate_fibres(vt.seed000_spec(), (size, size, size), voxel_size, seed, instances=True)


def downsample(size: int) -> None:
    labels = fibre_block(size, 3.0, seed=1).labels
    voxels = labels.size
    weights = _stiffness_weights(MATERIALS)
    figures: dict[str, float] = {"voxels": voxels, "factor": 4}
    before = vt.get_num_threads()
    for threads in sorted({1, before}):
        vt.set_num_threads(threads)
        t = timeit(lambda: _core.composite_cells(labels, 4, True, weights), repeat=3)
        figures[f"cpu_kernel_{threads}t_vox_per_s"] = voxels / t["best_s"]
        t = timeit(lambda: vt.majority_vote(labels, 4, device="cpu"), repeat=3)
        figures[f"cpu_majority_{threads}t_vox_per_s"] = voxels / t["best_s"]
    vt.set_num_threads(before)
    def full() -> vt.CompositeVoxels:
        with warnings.catch_warnings():  # a giga-voxel table coarsens its normals: recorded below
            warnings.simplefilter("ignore", vt.NormalResolutionWarning)
            return vt.composite_voxels(labels, 4, materials=MATERIALS, check_features=False, device="cpu")

    t = timeit(full, repeat=3)
    cv = full()
    figures["cpu_composite_voxels_vox_per_s"] = voxels / t["best_s"]
    figures["table_rows"] = cv.n_entries
    figures["normal_resolution"] = cv.normal_resolution
    figures["mixed_fraction"] = cv.mixed_fraction
    t0 = time.perf_counter()
    vt.composite.feature_thickness(labels)
    figures["feature_check_s"] = time.perf_counter() - t0
    if vt.cuda_available():
        cuda = vt._backend.cuda_module()
        on_gpu = cuda.composite_cells(labels, 4, True, weights)
        assert np.array_equal(on_gpu, _core.composite_cells(labels, 4, True, weights))
        t = timeit(lambda: cuda.composite_cells(labels, 4, True, weights), repeat=5)
        figures["cuda_kernel_vox_per_s_incl_transfer"] = voxels / t["best_s"]
    record(f"composite_downsample_{size}^3", figures)


def _solve(kind: str, size: int, voxel_size: float, tol: float, out: mp.Queue) -> None:
    twin = fibre_block(size, voxel_size, seed=2)
    labels = vt.composite.crop_to_factor(twin.labels, 4)
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vt.ThinFeatureWarning)  # 4 µm: recorded below, not fatal here
        if kind == "fine":
            model = labels
        elif kind == "composite":
            model = vt.composite_voxels(labels, 4, materials=MATERIALS)
        else:
            model = vt.majority_vote(labels, 4)
    prep = time.perf_counter() - t0
    voxel = voxel_size if kind == "fine" else 4 * voxel_size
    t0 = time.perf_counter()
    res = vt.homogenize(model, MATERIALS, voxel, tol=tol, device="cpu", progress=False)  # type: ignore[attr-defined]
    solve = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out.put((kind, prep, solve, peak, float(res.memory_bytes), np.asarray(res.C), np.asarray(res.alpha),
             int(np.sum(res.iterations)), int(np.prod(np.shape(labels))) // (1 if kind == "fine" else 64)))


def solve(size: int, voxel_size: float, tol: float) -> None:
    if not hasattr(vt, "homogenize"):
        raise SystemExit("vt.homogenize is not available in this build (the FFT solver is needed)")
    ctx = mp.get_context("spawn")
    results = {}
    for kind in ("fine", "composite", "majority"):
        q: mp.Queue = ctx.Queue()
        p = ctx.Process(target=_solve, args=(kind, size, voxel_size, tol, q))
        p.start()
        results[kind] = q.get()
        p.join()
    fine_C, fine_alpha = results["fine"][5], results["fine"][6]
    figures: dict[str, float] = {"fine_edge": float(size - size % 4), "voxel_size_um": voxel_size, "tol": tol}
    for kind, (_, prep, t, peak, solver_bytes, C, alpha, its, voxels) in results.items():
        figures[f"{kind}_voxels"] = voxels
        figures[f"{kind}_prep_s"] = prep
        figures[f"{kind}_solve_s"] = t
        figures[f"{kind}_peak_rss_mib"] = peak
        figures[f"{kind}_solver_memory_mib"] = solver_bytes / 2**20
        figures[f"{kind}_iterations"] = its
        figures[f"{kind}_C_rel_err"] = float(np.linalg.norm(C - fine_C) / np.linalg.norm(fine_C))
        figures[f"{kind}_C_diag_max_rel_err"] = float(np.max(np.abs(np.diag(C) / np.diag(fine_C) - 1)))
        figures[f"{kind}_alpha_rel_err"] = float(np.linalg.norm(alpha - fine_alpha) / np.linalg.norm(fine_alpha))
    figures["speedup_composite_vs_fine"] = figures["fine_solve_s"] / figures["composite_solve_s"]
    record(f"composite_vs_fine_solve_{size}^3_{voxel_size:g}um", figures, precision="float64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="case", required=True)
    d = sub.add_parser("downsample")
    d.add_argument("--size", type=int, default=256, help="edge of the cubic fibre block (voxels)")
    s = sub.add_parser("solve")
    s.add_argument("--size", type=int, default=125, help="edge of the fibre block before cropping (voxels)")
    s.add_argument("--voxel-size", type=float, default=3.0, help="µm (seed 000: 4, fibres then 3.75 voxels across)")
    s.add_argument("--tol", type=float, default=1e-5)
    args = parser.parse_args()
    if args.case == "downsample":
        downsample(args.size)
    else:
        solve(args.size, args.voxel_size, args.tol)


if __name__ == "__main__":
    main()
