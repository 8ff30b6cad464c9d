"""FFT elasticity solver: iterations and time to tol 1e-5 on basalt/PLA fibre blocks, side by side with
muSpectre (and NASA PuMA when it can be imported) in the same run; GPU sizes when a GPU is present.

    python benchmarks/bench_solver.py                      # CPU: 64^3, 128^3, 256^3; muSpectre at 63^3, 127^3
    python benchmarks/bench_solver.py --sizes 64 --mu-sizes 63 --full-sizes 64
    python benchmarks/bench_solver.py --gpu-sizes 512 1024 # on a machine with a GPU

The peer needs `pip install muspectre` (benchmark environment only; not a voxtwin dependency).

Microstructures: until the fibre generator (issue 3) is on main, ``_phantom.fibre_block`` (straight
15 µm x 100 µm basalt fibres, 10 vol%, directions spread around X, 4 µm voxels) stands in for seed
000's unit twins. Materials: seed 000's basalt fibre and PLA (``vt.material_library()``).

Equal accuracy: muSpectre with the ``averaged_upwind`` stencil discretizes the cell problem exactly as
voxtwin's ``hex8r`` scheme (trilinear voxels, one integration point), and its Fourier derivative as
voxtwin's ``basic`` scheme (Moulinec-Suquet Green operator). muSpectre's Fourier projection needs odd
grids, so the comparison runs on odd sizes; both codes are checked against a voxtwin reference
solved to tol 1e-10 (hex8r) or 1e-8 (basic) on the same grid.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np

import voxtwin as vt
from _harness import record
from _phantom import fibre_block

VOXEL_UM = 4.0
LIB = vt.material_library()
MATERIALS = {0: LIB["pla"], 1: LIB["basalt_fibre"]}
UNIT_XX = [1e-3, 0, 0, 0, 0, 0]
# Bytes one CG iteration moves per voxel on the GPU without fields (RESULTS.md, "CUDA solver traffic"):
# operator 29 (p and labels with the tile halo, q), update 36, 6 FFTs at two passes of read + write
# 16, spectral 24 (r.z fused), direction 36. cuFFT's own passes vary.
GPU_BYTES_PER_VOXEL_ITERATION = 29 + 36 + 6 * 16 + 24 + 36


def cpu_case(n: int, precision: str, threads: int) -> dict[str, Any]:
    labels = fibre_block(n, VOXEL_UM, seed=n)
    before = vt.get_num_threads()
    vt.set_num_threads(threads)
    try:
        sol = vt.solve(labels, MATERIALS, strain=UNIT_XX, voxel_size=VOXEL_UM, tol=1e-5, device="cpu",
                       precision=precision, fields=(), progress=False)
    finally:
        vt.set_num_threads(before)
    return {
        "voxels": labels.size,
        "fibre_fraction": float(labels.mean()),
        "threads": threads,
        "iterations": sol.iterations,
        "converged": sol.converged,
        "seconds": sol.seconds,
        "s_per_iteration": sol.seconds / max(sol.iterations, 1),
        "ns_per_voxel_iteration": 1e9 * sol.seconds / max(sol.iterations, 1) / labels.size,
        "work_bytes_per_voxel": sol.memory_bytes / labels.size,
        "C11_GPa": sol.mean_stress[0] / 1e-3,
    }


def homogenize_case(n: int) -> dict[str, Any]:
    labels = fibre_block(n, VOXEL_UM, seed=n)
    res = vt.homogenize(labels, MATERIALS, voxel_size=VOXEL_UM, tol=1e-5, device="cpu", progress=False)
    return {
        "voxels": labels.size,
        "threads": vt.get_num_threads(),
        "seconds": res.seconds,
        "iterations": list(res.iterations),
        "converged": res.converged,
        "C_diag_GPa": [round(float(c), 4) for c in np.diag(res.C)],
        "alpha_1_per_K": [float(f"{a:.4g}") for a in res.alpha[:3]],
        "E_x_GPa": vt.analysis.directional_modulus(res.C, (1, 0, 0)),
        "E_y_GPa": vt.analysis.directional_modulus(res.C, (0, 1, 0)),
        "A_E_xy": vt.analysis.anisotropy(res.C, "xy"),
    }


def muspectre_columns(labels: np.ndarray, spectral: bool, tol: float, cases: list[int]) -> tuple[np.ndarray, float, float]:
    """Columns of C (GPa) for the given Voigt load cases with muSpectre, the solve time and the
    set-up time (s; mostly this script's per-pixel Python loop assigning materials, kept apart)."""
    import muFFT
    import muSpectre as msp

    n = list(labels.shape)
    t0 = time.perf_counter()
    if spectral:
        cell = msp.Cell(n, [float(s) * VOXEL_UM for s in n], msp.Formulation.small_strain)
    else:
        cell = msp.Cell(n, [float(s) * VOXEL_UM for s in n], msp.Formulation.small_strain,
                        muFFT.Stencils3D.averaged_upwind)
    pla = msp.material.MaterialLinearElastic1_3d.make(cell, "pla", MATERIALS[0].E, MATERIALS[0].nu)
    fibre = msp.material.MaterialLinearElastic1_3d.make(cell, "basalt", MATERIALS[1].E, MATERIALS[1].nu)
    pixels = np.array(list(cell.pixels))
    is_fibre = labels[pixels[:, 0], pixels[:, 1], pixels[:, 2]] == 1
    for index, fib in zip(cell.pixel_indices, is_fibre):
        (fibre if fib else pla).add_pixel(index)
    cell.initialise()
    setup = time.perf_counter() - t0
    pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    columns = []
    solve_time = 0.0
    for case in cases:
        i, j = pairs[case]
        strain = np.zeros((3, 3))
        strain[i, j] = strain[j, i] = 1e-3 if i == j else 0.5e-3  # engineering shear 1e-3
        solver = msp.solvers.KrylovSolverCG(cell, tol, 10000)
        t1 = time.perf_counter()
        result = msp.solvers.newton_cg(cell, strain, solver, tol, tol)
        solve_time += time.perf_counter() - t1
        s = result.stress.reshape(3, 3, -1, order="F").mean(axis=-1)
        columns.append(np.array([s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1]]) / 1e-3)
    return np.array(columns).T, solve_time, setup


def voxtwin_columns(labels: np.ndarray, scheme: str, tol: float, cases: list[int], threads: int) -> tuple[np.ndarray, float, list[int]]:
    before = vt.get_num_threads()
    vt.set_num_threads(threads)
    columns, seconds, iterations = [], 0.0, []
    try:
        for case in cases:
            strain = np.zeros(6)
            strain[case] = 1e-3
            t0 = time.perf_counter()
            sol = vt.solve(labels, MATERIALS, strain=strain, voxel_size=VOXEL_UM, tol=tol, device="cpu", scheme=scheme,
                           fields=(), progress=False, max_iter=20000)
            seconds += time.perf_counter() - t0
            columns.append(sol.mean_stress / 1e-3)
            iterations.append(sol.iterations)
    finally:
        vt.set_num_threads(before)
    return np.array(columns).T, seconds, iterations


def versus_muspectre(n: int, cases: list[int]) -> None:
    labels = fibre_block(n, VOXEL_UM, seed=n)
    threads = vt.get_num_threads()
    for scheme, spectral in (("hex8r", False), ("basic", True)):
        # Reference: the same discrete problem solved far below the tolerance compared (the basic
        # scheme, a fixed point, is stopped earlier: 1e-8 is already ~1e-9 in the stiffness).
        reference, _, _ = voxtwin_columns(labels, scheme, 1e-10 if scheme == "hex8r" else 1e-8, cases, threads)
        ours, t_ours, its = voxtwin_columns(labels, scheme, 1e-5, cases, 1)
        ours_mt, t_ours_mt, _ = voxtwin_columns(labels, scheme, 1e-5, cases, threads)
        figures: dict[str, Any] = {
            "voxels": labels.size,
            "load_cases": [vt.simulate.VOIGT[c] for c in cases],
            "voxtwin_scheme": scheme,
            "voxtwin_iterations": its,
            "voxtwin_1t_s": t_ours,
            f"voxtwin_{threads}t_s": t_ours_mt,
            "voxtwin_rel_err": float(np.max(np.abs(ours - reference)) / np.max(np.abs(reference))),
            "C11_GPa_reference": float(reference[0, 0]) if 0 in cases else None,
        }
        try:
            for tol in (1e-5, 1e-6):
                mu, t_mu, t_setup = muspectre_columns(labels, spectral, tol, cases)
                figures[f"muspectre_tol{tol:g}_s"] = t_mu
                figures["muspectre_setup_s"] = t_setup
                figures[f"muspectre_tol{tol:g}_rel_err"] = float(np.max(np.abs(mu - reference)) / np.max(np.abs(reference)))
            figures["muspectre_stencil"] = "fourier" if spectral else "averaged_upwind"
            figures["speedup_1t_vs_muspectre_tol1e-5"] = figures["muspectre_tol1e-05_s"] / t_ours
        except Exception as exc:  # noqa: BLE001 - a peer that will not run is recorded, not fatal
            figures["muspectre_error"] = f"{type(exc).__name__}: {exc}"
        record(f"solver_vs_muspectre_{n}^3_{scheme}", figures, precision="float64")


def puma_status() -> str:
    try:
        import pumapy  # noqa: F401
    except ImportError as exc:
        return f"not importable: {exc}"
    return "importable"


def gpu_case(n: int, peak_bandwidth_gbs: float) -> None:
    labels = fibre_block(n, VOXEL_UM, seed=n)
    sol = vt.solve(labels, MATERIALS, strain=UNIT_XX, voxel_size=VOXEL_UM, tol=1e-5, device="cuda", fields=(),
                   progress=False)
    per_iteration = sol.seconds / max(sol.iterations, 1)
    moved = GPU_BYTES_PER_VOXEL_ITERATION * labels.size / per_iteration
    record(f"solver_cuda_{n}^3", {
        "voxels": labels.size,
        "iterations": sol.iterations,
        "converged": sol.converged,
        "seconds": sol.seconds,
        "s_per_iteration": per_iteration,
        "device_bytes_per_voxel": sol.memory_bytes / labels.size,
        "model_bandwidth_fraction": moved / (peak_bandwidth_gbs * 1e9),
        "C11_GPa": sol.mean_stress[0] / 1e-3,
    }, precision="float32")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[64, 128, 256], help="CPU sizes, one load case")
    parser.add_argument("--full-sizes", type=int, nargs="*", default=[64, 128], help="CPU sizes, full homogenization")
    parser.add_argument("--mu-sizes", type=int, nargs="*", default=[63, 127], help="odd sizes against muSpectre")
    parser.add_argument("--mu-full-up-to", type=int, default=63, help="all six load cases up to this size, else xx only")
    parser.add_argument("--gpu-sizes", type=int, nargs="*", default=[512, 1024])
    parser.add_argument("--peak-bandwidth", type=float, default=3350.0, help="GPU peak memory bandwidth, GB/s (H100 SXM)")
    args = parser.parse_args()

    record("peers", {"pumapy": puma_status(), "cpu_count": os.cpu_count()})
    threads = vt.get_num_threads()
    for n in args.sizes:
        for precision in ("float64", "float32"):
            for t in sorted({1, threads}):
                record(f"solver_cpu_{n}^3_xx", cpu_case(n, precision, t), precision=precision)
    for n in args.full_sizes:
        record(f"homogenize_cpu_{n}^3", homogenize_case(n), precision="float64")
    for n in args.mu_sizes:
        versus_muspectre(n, list(range(6)) if n <= args.mu_full_up_to else [0])
    if vt.cuda_available():
        for n in args.gpu_sizes:
            gpu_case(n, args.peak_bandwidth)


if __name__ == "__main__":
    main()
