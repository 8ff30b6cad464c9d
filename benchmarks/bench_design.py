"""Batched homogenization of small cells and the design model (seed 004): cells per second.

    python benchmarks/bench_design.py [--sizes 16 32 64] [--cells 64] [--device cpu|cuda] [--model MODEL.pt]

Case 1: cubic cells (excursion sets, voxtwin.design.excursion_octants) of 16³, 32³, 64³ voxels,
void + solid, tol 1e-5, side by side in one run: a Python loop of vt.homogenize (six load cases,
one cell after another) against vt.homogenize_cells with symmetry "none" (six cases) and "cubic"
(two cases for these invariant cells). Reports cells/s and the ratios.
Case 2 (--device cuda): the same batch on the CUDA solver (float32): cells/s (dataset labelling).
Case 3 (--model): time per generated structure of a fitted StiffnessDiffusion (DDIM, 25 steps) on
--device, at the model's size (the paper: 0.42 s per 128³ structure on an RTX 3090).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import voxtwin as vt
from _harness import record
from voxtwin import design


def bench_cells(size: int, count: int, device: str) -> None:
    octs = design.excursion_octants(count, size=size, seed=11, vf=(0.3, 0.6))
    cells = design.cubic_cell(octs)
    mats = design.default_materials()
    loop_n = count
    t0 = time.perf_counter()
    for c in cells[:loop_n]:
        vt.homogenize(c, mats, tol=1e-5, device="cpu", progress=False)
    loop = loop_n / (time.perf_counter() - t0)
    none = vt.homogenize_cells(cells, mats, tol=1e-5, device="cpu", symmetry="none", progress=False)
    cubic = vt.homogenize_cells(cells, mats, tol=1e-5, device="cpu", symmetry="cubic", progress=False)
    record(f"design_batch_{size}", {"cells": count, "threads": vt.get_num_threads(),
                                    "loop_homogenize_cells_per_s": round(loop, 2),
                                    "batch_none_cells_per_s": round(none.cells_per_second, 2),
                                    "batch_cubic_cells_per_s": round(cubic.cells_per_second, 2),
                                    "ratio_none_vs_loop": round(none.cells_per_second / loop, 2),
                                    "ratio_cubic_vs_loop": round(cubic.cells_per_second / loop, 2),
                                    "mean_iterations_per_case_cubic": round(float(cubic.iterations.mean()) / 2, 1)},
           precision="float64")
    if device == "cuda":
        gpu = vt.homogenize_cells(cells, mats, tol=1e-5, device="cuda", symmetry="cubic", progress=False)
        dev = np.abs(gpu.cubic - cubic.cubic).max() / np.abs(cubic.cubic).max()
        record(f"design_batch_{size}_cuda", {"cells": count, "batch_cubic_cells_per_s": round(gpu.cells_per_second, 2),
                                             "max_rel_dev_vs_cpu": float(dev)}, precision="float32")


def bench_model(path: str, device: str) -> None:
    model = design.StiffnessDiffusion.load(path)
    target = np.array([[0.3, 0.1, 0.08]])
    model.sample(target, n=1, seed=0, device=device)  # warm-up
    n = 8
    t0 = time.perf_counter()
    model.sample(target, n=n, seed=1, device=device)
    per = (time.perf_counter() - t0) / n
    record(f"design_sample_{model.size}", {"device": device, "seconds_per_structure": round(per, 4),
                                           "steps": model.config.steps, "channels": list(model.config.channels)})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--cells", type=int, default=64)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--model", default=None, help="a StiffnessDiffusion file (design fit) to time sampling")
    args = ap.parse_args()
    for s in args.sizes:
        bench_cells(s, args.cells if s <= 32 else max(8, args.cells // 8), args.device)
    if args.model:
        bench_model(args.model, args.device)


if __name__ == "__main__":
    main()
