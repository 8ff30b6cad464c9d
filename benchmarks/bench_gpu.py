"""GPU benchmarks of scripts/gpu_check.sh (run there, on a machine with a CUDA GPU), and the CPU
solver's thread scaling on that machine's cores. Every figure printed is measured in this run;
a case that cannot run raises (the check fails loudly rather than print a partial row).

    python benchmarks/bench_gpu.py --csv OUT/results_rows.csv [--sizes 256 512 1024] [--threads 1 2 4 8 16]
        [--only fft_work|raster|homogenize|composite|threads] [--cache DIR]

`--only` runs one step (scripts/gpu_check.sh runs each in its own process under its own time
limit, so that a step that runs long keeps the rows of the others); `--cache` keeps the placed
fibres between those processes. Rows are appended to the CSV as each case finishes.

Cases (rows for benchmarks/results.csv):
- raster_cuda_N^3: seed 000 fibres (placed once in a 256³ box of 4 µm voxels) rasterized into an N³
  grid of the same box on the GPU, voxels/s (best of 3, transfers included); byte identity with the
  CPU at 512³.
- homogenize_cuda_N^3_hex8r: six strain cases plus the thermal case to tol 1e-5 on those labels
  (basalt in PLA); seconds, iterations, time per iteration, device bytes per voxel from
  cudaMemGetInfo (lowest free memory seen while solving, against free memory before), and the
  bandwidth fraction of the modelled traffic (benchmarks/RESULTS.md, "CUDA solver traffic"); x is
  kept where it fits (true residual confirmed); at 512³ also `..._minimum_memory`, the 3-vector
  minimum (VOXTWIN_CUDA_MIN_MEMORY=1) whose device bytes per voxel the <= 40 B target is about.
- composite_cuda_N^3: composite-voxel downsampling kernel (factor 4) voxels/s incl. transfers;
  byte identity with the CPU.
- solver_cpu_threads_256^3: CPU hex8r time per iteration at 1..16 threads (--iterations each).
- cufft_work_N^3: the cuFFT work area of the solver's plans (cufftGetSizeMany64) in bytes per voxel,
  and the solver's minimum device bytes per voxel (elasticity_memory_bytes) without and with fields.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

import voxtwin as vt
import _harness
from _harness import timeit
from voxtwin import _core
from voxtwin.composite import _stiffness_weights

LIB = vt.material_library()
MATERIALS = {0: LIB["pla"], 1: LIB["basalt_fibre"]}
BOX_UM = 1024.0  # side of the cell: 256 voxels of 4 µm
# Peak DRAM bandwidth (bytes/s) of the GPUs the check expects, from the vendors' data sheets;
# another GPU gets no bandwidth fraction rather than a guessed one.
PEAK_BANDWIDTH = {"H200": 4.8e12, "H100 80GB HBM3": 3.35e12, "H100 NVL": 3.9e12, "H100 PCIe": 2.0e12,
                  "A100-SXM4-80GB": 2.039e12, "A100-SXM4-40GB": 1.555e12}


CSV: Path | None = None


def record(case: str, figures: dict[str, Any], precision: str = "") -> None:
    if CSV is None:
        raise RuntimeError("--csv was not given")
    _harness.record(case, figures, precision=precision, csv_path=CSV)


def modelled_bytes_per_voxel_iteration(n: int, fft_passes: int = 2) -> float:
    """Global-memory bytes per voxel one hex8r CG iteration moves (homogenization, no x stored);
    the table in benchmarks/RESULTS.md derives each term."""
    tz, ty = 32, 8
    halo_nodes = (tz + 2) * (ty + 2) / (tz * ty)
    halo_elements = (tz + 1) * (ty + 1) / (tz * ty)
    pad = (n + 2) / n  # z padded to 2 (n/2 + 1) reals
    operator = 12 * halo_nodes + 1 * halo_elements + 12  # p (+halo), labels (+halo), q
    update = 3 * 12  # r, q read; r written
    fft = 2 * 3 * fft_passes * 8  # forward + inverse, 3 components, read + write 4 B each per pass
    spectral = 2 * 12  # z^ read and written (half spectrum of 8 B complex = 4 B per voxel, 3 comp)
    direction = 3 * 12  # z, p read; p written
    return operator + (update + spectral + direction) * pad + fft


def peak_bandwidth(name: str) -> float | None:
    for key, value in PEAK_BANDWIDTH.items():
        if key in name:
            return value
    return None


def fibres(cache: Path | None) -> vt.FibreTable:
    path = None if cache is None else cache / "fibres_seed7.json"
    if path is not None and path.exists():
        return vt.FibreTable.load(path)
    table = vt.generate_fibres(vt.seed000_spec(), (256, 256, 256), BOX_UM / 256, seed=7).fibres
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        table.save(path)
    return table


def fft_work(sizes: list[int]) -> None:
    cuda = vt._backend.cuda_module()
    for n in sizes:
        work = float(cuda.cufft_work_bytes(n, n, n))
        voxels = float(n) ** 3
        figures = {"voxels": n**3, "cufft_work_bytes": work, "cufft_work_bytes_per_voxel": work / voxels,
                   "minimum_device_bytes_per_voxel": cuda.elasticity_memory_bytes(n, n, n, "hex8r", 1, False) / voxels,
                   "with_fields_device_bytes_per_voxel": cuda.elasticity_memory_bytes(n, n, n, "hex8r", 1, True) / voxels}
        print(f"cuFFT work area at {n}^3: {figures['cufft_work_bytes_per_voxel']:.3f} B/voxel; solver minimum "
              f"{figures['minimum_device_bytes_per_voxel']:.2f} B/voxel, with fields "
              f"{figures['with_fields_device_bytes_per_voxel']:.2f} B/voxel", flush=True)
        record(f"cufft_work_{n}^3", figures)


def raster(table: vt.FibreTable, n: int) -> np.ndarray:
    h = BOX_UM / n
    gpu = vt.rasterize_fibres(table, (n, n, n), h, device="cuda").labels
    t = timeit(lambda: vt.rasterize_fibres(table, (n, n, n), h, device="cuda"), repeat=3)
    figures: dict[str, Any] = {"voxels": n**3, "fibres": len(table), "voxels_per_s": n**3 / t["best_s"],
                               "best_s": t["best_s"]}
    if n == 512:
        cpu = vt.rasterize_fibres(table, (n, n, n), h, device="cpu").labels
        if not np.array_equal(cpu, gpu):
            raise AssertionError("CUDA rasterization differs from the CPU at 512^3")
        figures["byte_identical_to_cpu"] = True
    record(f"raster_cuda_{n}^3", figures)
    return gpu


class MemoryWatch:
    """Lowest free device memory seen while a solve runs (cudaMemGetInfo through device_info)."""

    def __init__(self) -> None:
        self.cuda = vt._backend.cuda_module()
        self.before = int(self.cuda.device_info(0)["free_memory"])
        self.lowest = self.before
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.lowest = min(self.lowest, int(self.cuda.device_info(0)["free_memory"]))
            time.sleep(0.002)

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def homogenize(labels: np.ndarray, gpu_name: str, minimal: bool = False) -> None:
    """minimal: VOXTWIN_CUDA_MIN_MEMORY=1, the 3-vector minimum (no x, no true-residual check)."""
    n = labels.shape[0]
    if minimal:
        os.environ["VOXTWIN_CUDA_MIN_MEMORY"] = "1"
    try:
        with MemoryWatch() as watch:
            res = vt.homogenize(labels, MATERIALS, voxel_size=BOX_UM / n, tol=1e-5, device="cuda", progress=False)
    finally:
        os.environ.pop("VOXTWIN_CUDA_MIN_MEMORY", None)
    iterations = int(sum(res.iterations))
    per_iteration = res.seconds / max(iterations, 1)
    used = watch.before - watch.lowest
    figures: dict[str, Any] = {
        "voxels": labels.size,
        "load_cases": list(res.load_cases),
        "seconds": res.seconds,
        "iterations": list(res.iterations),
        "converged": res.converged,
        "s_per_iteration": per_iteration,
        "device_bytes_per_voxel_measured": used / labels.size,
        "device_bytes_per_voxel_reported": res.memory_bytes / labels.size,
        "C11_GPa": float(res.C[0, 0]),
        "true_residual_checked": list(res.true_residual_checked),
        "modelled_bytes_per_voxel_iteration": modelled_bytes_per_voxel_iteration(n),
    }
    peak = peak_bandwidth(gpu_name)
    if peak is not None:
        moved = figures["modelled_bytes_per_voxel_iteration"] * labels.size / per_iteration
        figures["modelled_bandwidth_fraction"] = moved / peak
    if not res.converged:
        raise AssertionError(f"homogenization at {n}^3 did not converge: {figures}")
    record(f"homogenize_cuda_{n}^3_hex8r{'_minimum_memory' if minimal else ''}", figures, precision="float32")


def composite(labels: np.ndarray) -> None:
    cuda = vt._backend.cuda_module()
    weights = _stiffness_weights(MATERIALS)
    gpu = cuda.composite_cells(labels, 4, True, weights)
    t = timeit(lambda: cuda.composite_cells(labels, 4, True, weights), repeat=3)
    figures: dict[str, Any] = {"voxels": labels.size, "factor": 4, "voxels_per_s_incl_transfer": labels.size / t["best_s"]}
    if labels.shape[0] <= 512:
        if not np.array_equal(gpu, _core.composite_cells(labels, 4, True, weights)):
            raise AssertionError("CUDA composite cells differ from the CPU")
        figures["byte_identical_to_cpu"] = True
    record(f"composite_cuda_{labels.shape[0]}^3", figures)


def cpu_threads(labels: np.ndarray, threads: list[int], iterations: int) -> None:
    figures: dict[str, Any] = {"voxels": labels.size, "scheme": "hex8r", "iterations": iterations}
    before = vt.get_num_threads()
    try:
        for t in threads:
            vt.set_num_threads(t)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # stopped at max_iter on purpose: a timing, not a solve
                sol = vt.solve(labels, MATERIALS, strain=[1e-3, 0, 0, 0, 0, 0], voxel_size=BOX_UM / labels.shape[0],
                               tol=1e-12, max_iter=iterations, device="cpu", precision="float32", fields=(),
                               progress=False)
            if sol.iterations != iterations:
                raise AssertionError(f"expected {iterations} iterations, got {sol.iterations}")
            figures[f"s_per_iteration_{t}t"] = sol.seconds / iterations
    finally:
        vt.set_num_threads(before)
    figures["speedup_max_threads"] = figures[f"s_per_iteration_{threads[0]}t"] / figures[f"s_per_iteration_{threads[-1]}t"]
    record(f"solver_cpu_threads_{labels.shape[0]}^3", figures, precision="float32")


STEPS = ("fft_work", "raster", "homogenize", "composite", "threads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv", type=Path, required=True, help="where the rows go (appended)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[256, 512, 1024])
    parser.add_argument("--threads", type=int, nargs="*", default=[1, 2, 4, 8, 16])
    parser.add_argument("--iterations", type=int, default=20, help="CG iterations per thread count (threads step)")
    parser.add_argument("--only", choices=STEPS, help="run one step (default: all, in this order)")
    parser.add_argument("--cache", type=Path, help="folder keeping the placed fibres between steps")
    args = parser.parse_args()
    global CSV
    CSV = args.csv
    if not vt.cuda_available():
        raise SystemExit(f"no usable GPU: {vt.cuda_status()}")
    steps = (args.only,) if args.only else STEPS
    if "fft_work" in steps:
        fft_work(args.sizes)
    if steps == ("fft_work",):
        return
    gpu_name = str(vt.backend_info()["cuda_devices"][0]["name"])  # type: ignore[index]
    table = fibres(args.cache)

    def labels(n: int) -> np.ndarray:
        return vt.rasterize_fibres(table, (n,) * 3, BOX_UM / n, device="cuda").labels

    if "raster" in steps:
        for n in args.sizes:
            if n >= 512:
                raster(table, n)
    if "homogenize" in steps:
        for n in args.sizes:
            homogenize(labels(n), gpu_name)
            if n == 512:  # the <= 40 B/voxel minimum, measured once (x kept by default where it fits)
                homogenize(labels(n), gpu_name, minimal=True)
    if "composite" in steps:
        composite(labels(max(args.sizes)))
        if 512 in args.sizes and max(args.sizes) != 512:
            composite(labels(512))
    if "threads" in steps:
        cpu_threads(labels(min(args.sizes)), args.threads, args.iterations)


if __name__ == "__main__":
    main()
