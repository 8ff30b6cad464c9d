"""Virtual growth (seed 002): cells grown per second, side by side with the authors' code; surrogate database.

    python benchmarks/bench_growth.py [--hvg PATH] [--hvg-python PY] [--hvg-cells 1000 4096 ...] [--surrogate]

Case 1 (voxtwin): the seed's four blocks (cross, arrow, corner, line with their 24 turned
variants) grown with a uniform ξ on 1e4, 1e5 and 1e6 cells (entropy heap, bitsets, C++).
Case 2 (Heterogeneous-Virtual-Growth, the authors' released code, https://github.com/jiayingqi/
Heterogeneous-Virtual-Growth): its own `virtual_growth.main.main` on the same four blocks
(its names cross, t, corner, line) and ξ, restarting after a contradiction as its script
does, run from a checkout given by --hvg in its own
environment (--hvg-python; numpy, scipy, tqdm, pytz), plotting off. It rescans every cell at
every step (O(n) per step, O(n²) in all), so it is timed at the sizes it finishes in minutes
and its cells/s at 1e5 and 1e6 are extrapolated from the fitted power law t = a n^b, marked as such.
Case 3 (--surrogate): the ξ → C surrogate database of the tests (growth + FFT homogenization).
Case 4 (--database-batch): the tests' database homogenized per specimen and batched
(``vt.homogenize_cells``), timed and compared; GP vs the seed's MLP held-out, the noise floor.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import time
from pathlib import Path

import numpy as np

import voxtwin as vt
from _harness import record

HVG_TRIES = 50  # the released script allows 10; more so that larger grids finish
GRIDS = {1e4: (25, 20, 20), 1e5: (50, 50, 40), 1e6: (100, 100, 100)}

HVG_DRIVER = r"""
import sys, time, types, numpy as np
sys.path.insert(0, {path!r})
try:
    import pyvista  # noqa: F401  (only its plotting uses it; plotting is off)
except ImportError:
    sys.modules["pyvista"] = types.ModuleType("pyvista")
from virtual_growth.main import main
n = {n}
shape = {shape}
t0 = time.perf_counter()
out = main((1, 1, 1), shape, ["cross", "t", "corner", "line"], np.full((1, 4), 0.25), d=0.2, m=1.0, n=0,
           periodic=False, num_tries={tries}, print_frequency=False, make_figure=False, make_gif=False,
           data_path={path!r} + "/virtual_growth_data/3d/", save_mesh=False)
print("HVG_SECONDS", time.perf_counter() - t0, "COMPLETE", out != 0)
"""


def bench_voxtwin() -> dict[float, float]:
    lib = vt.growth.basic_blocks()
    rules = vt.growth.AdjacencyRules.from_library(lib)
    rates = {}
    for n, grid in GRIDS.items():
        vt.growth.grow(rules, (8, 8, 8), [0.25] * 4, seed=0)  # warm caches
        t0, c0 = time.perf_counter(), time.process_time()
        layout = vt.growth.grow(rules, grid, [0.25] * 4, seed=1)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        cells = int(np.prod(grid))
        rates[n] = cells / dt
        record(f"growth_voxtwin_{cells}", {"cells": cells, "seconds": round(dt, 4), "cpu_s": round(cpu, 4),
                                           "cells_per_s": round(cells / dt),
                                           "restarts": layout.restarts, "violations": layout.violations(),
                                           "max_freq_error": round(float(np.abs(layout.frequencies()
                                                                                - layout.targets).max()), 4)})
    return rates


def cube_shape(n: int) -> tuple[int, int, int]:
    e = round(n ** (1 / 3))
    return (e, e, max(1, round(n / (e * e))))


def bench_hvg(path: str, python: str, sizes: list[int]) -> dict[int, float]:
    times = {}
    for n in sizes:
        shape = cube_shape(n)
        cells = int(np.prod(shape))
        code = HVG_DRIVER.format(path=str(Path(path).resolve()), n=cells, shape=shape, tries=HVG_TRIES)
        proc = subprocess.run([python, "-c", code], cwd=path, capture_output=True, text=True)
        line = [ln for ln in proc.stdout.splitlines() if ln.startswith("HVG_SECONDS")]
        if proc.returncode != 0 or not line:
            record(f"growth_hvg_{cells}", {"cells": cells, "failed": proc.stderr[-400:]})
            continue
        words = line[0].split()
        dt, complete = float(words[1]), words[3] == "True"
        failed_tries = proc.stdout.count("No admissible blocks")
        # cells/s counts the cells of the finished layout over the whole time, failed tries included
        record(f"growth_hvg_{cells}", {"cells": cells, "seconds": round(dt, 3), "cells_per_s": round(cells / dt, 1),
                                       "measured": True, "complete": complete, "failed_tries": failed_tries})
        if complete:
            times[cells] = dt
    return times


def extrapolate(times: dict[int, float], rates: dict[float, float]) -> None:
    if len(times) < 2:
        return
    n = np.array(sorted(times))
    t = np.array([times[k] for k in n])
    b, log_a = np.polyfit(np.log(n), np.log(t), 1)
    for target in (1e4, 1e5, 1e6):
        if any(abs(k - target) / target < 0.05 for k in n):
            continue
        est = math.exp(log_a) * target**b
        record(f"growth_hvg_{int(target)}_extrapolated",
               {"cells": int(target), "seconds": round(est, 1), "cells_per_s": round(target / est, 2),
                "measured": False, "exponent": round(float(b), 3), "from_cells": [int(k) for k in n],
                "voxtwin_speedup": round(rates[target] / (target / est)) if target in rates else None})


def bench_surrogate() -> None:
    """The whole simplex (every ξ_i >= 0.05), 14 combinations × 3 specimens of 6³ blocks at 4 voxels."""
    from voxtwin.design import fit_surrogate

    lib = vt.growth.basic_blocks(block_voxels=4, voxel_size=375.0, d=0.5)
    rules = vt.growth.AdjacencyRules.from_library(lib)
    cpu = time.process_time()
    sur = fit_surrogate(lib, rules, combinations=14, specimens=3, specimen_blocks=6, progress=False)
    spread = np.linalg.norm(sur.C_spread, axis=(1, 2)) / np.linalg.norm(sur.C, axis=(1, 2))
    record("growth_surrogate_database", {"combinations": len(sur.xi), "specimens": 3, "specimen_blocks": 6,
                                         "voxels_per_specimen": 24**3, "solver_tol": 1e-3,
                                         "build_s": round(sur.build_seconds, 1),
                                         "build_cpu_s": round(time.process_time() - cpu, 1),
                                         "heldout_rel_error": [round(float(e), 4) for e in sur.test_error],
                                         "specimen_scatter_max": round(float(spread.max()), 3)})


def bench_surrogate_design(specimens: int, holdout_specimens: int, iterations: int, realizations: int,
                           design_seeds: tuple[int, ...] = (11,), lateral: int = 10, combinations: int = 30) -> None:
    """The tests' database domain (cross 0.1-0.8) with more specimens, and the solved graded design
    (E_x 0.2 -> 0.8 of the maximum in four slabs of 6 x 10 x 10 blocks) by ``solve_design``."""
    import sys
    from pathlib import Path

    from voxtwin.design import fit_surrogate, solve_design

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_growth_surrogate import database_combinations

    lib = vt.growth.basic_blocks(block_voxels=4, voxel_size=375.0, d=0.5)
    rules = vt.growth.AdjacencyRules.from_library(lib)
    cpu = time.process_time()
    sur = fit_surrogate(lib, rules, database_combinations(combinations), specimens=specimens, specimen_blocks=6,
                        holdout_specimens=holdout_specimens, progress=False)
    build_cpu = time.process_time() - cpu
    spread = np.linalg.norm(sur.C_spread, axis=(1, 2)) / np.linalg.norm(sur.C, axis=(1, 2))
    mean_C = sur.C[sur.train].mean(axis=0)
    naive = np.linalg.norm(mean_C - sur.C[sur.test], axis=(1, 2)) / np.linalg.norm(sur.C[sur.test], axis=(1, 2))
    slabs, per_slab = 4, 6
    regions = np.repeat(np.arange(slabs), per_slab)[:, None, None] * np.ones((1, lateral, lateral), dtype=int)
    target = np.linspace(0.2, 0.8, slabs) * sur.max_property("E_x")
    for design_seed in design_seeds:
        t0, cpu = time.perf_counter(), time.process_time()
        res = solve_design(sur, lib, rules, target, regions, iterations=iterations, realizations=realizations,
                           seed=design_seed)
        record("growth_surrogate_tests_domain_design", {
            "design_seed": design_seed, "slab_blocks": [per_slab, lateral, lateral],
            "combinations": len(sur.xi), "specimens": specimens, "holdout_specimens": holdout_specimens,
            "build_s": round(sur.build_seconds, 1), "build_cpu_s": round(build_cpu, 1),
            "heldout_rel_error": [round(float(e), 4) for e in sur.test_error],
            "mean_predictor_rel_error": [round(float(e), 4) for e in naive],
            "specimen_scatter_max": round(float(spread.max()), 3),
            "design_iterations": iterations, "design_realizations": realizations,
            "solved_over_target_per_iterate": np.round(res.local / target, 3).tolist(),
            "solved_over_target_each": np.round(res.local_each / target, 3).tolist(),
            "best_iterate": res.best, "design_s": round(time.perf_counter() - t0, 1),
            "design_cpu_s": round(time.process_time() - cpu, 1)})


def bench_database_batch(specimens: int, holdout_specimens: int, mlp_seeds: int, database_seeds: list[int],
                         combinations: int = 14, compare: bool = True) -> None:
    """The tests' database (``combinations``, cross 0.1-0.8, 6³ blocks at 4 voxels) homogenized
    per specimen (``vt.homogenize``) and batched (``vt.homogenize_cells``): time and largest
    difference of C; then GP and MLP on the same database, the noise floor and the mean predictor,
    for each database seed (the MLP with ``mlp_seeds`` weight seeds)."""
    import os
    import sys
    from pathlib import Path

    from voxtwin.design import fit_surrogate

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from test_growth_surrogate import database_combinations

    lib = vt.growth.basic_blocks(block_voxels=4, voxel_size=375.0, d=0.5)
    rules = vt.growth.AdjacencyRules.from_library(lib)
    for k, dseed in enumerate(database_seeds):
        kw = dict(specimens=specimens, specimen_blocks=6, holdout_specimens=holdout_specimens, seed=dseed,
                  progress=False, device="cpu")
        timing = {}
        surs = {}
        for batch in ((True, False) if k == 0 and compare else (True,)):
            cpu = time.process_time()
            surs[batch] = fit_surrogate(lib, rules, database_combinations(combinations), batch=batch, **kw)
            timing[batch] = (surs[batch].build_seconds, time.process_time() - cpu)
        sur = surs[True]
        row: dict = {"database_seed": dseed, "combinations": len(sur.xi), "specimens": specimens,
                     "holdout_specimens": holdout_specimens, "voxels_per_specimen": 24**3, "solver_tol": 1e-3,
                     "threads": int(os.environ.get("OMP_NUM_THREADS", "0") or 0),
                     "n_specimens": int(np.isfinite(sur.C_specimens[..., 0, 0]).sum()),
                     "batched_build_s": round(timing[True][0], 2), "batched_cpu_s": round(timing[True][1], 2)}
        if False in surs:
            a, b = surs[True].C_specimens, surs[False].C_specimens
            rel = np.linalg.norm(a - b, axis=(2, 3)) / np.linalg.norm(b, axis=(2, 3))
            row.update({"per_specimen_build_s": round(timing[False][0], 2),
                        "per_specimen_cpu_s": round(timing[False][1], 2),
                        "batched_vs_per_specimen_rel_diff_max": float(np.nanmax(rel))})
        mean_C = sur.C[sur.train].mean(axis=0)
        naive = np.linalg.norm(mean_C - sur.C[sur.test], axis=(1, 2)) / np.linalg.norm(sur.C[sur.test], axis=(1, 2))
        row["heldout_gp"] = [round(float(e), 4) for e in sur.test_error]
        row["heldout_mean_predictor"] = [round(float(e), 4) for e in naive]
        row["noise_floor"] = [round(float(e), 4) for e in sur.noise_floor()]
        spread = np.linalg.norm(sur.C_spread, axis=(1, 2)) / np.linalg.norm(sur.C, axis=(1, 2))
        row["specimen_scatter_heldout"] = [round(float(e), 4) for e in spread[sur.test]]
        row["training_mean_noise_max"] = round(float((spread[sur.train] / np.sqrt(specimens)).max()), 4)
        mlp = []
        for ms in range(mlp_seeds):
            m = sur.refit("mlp", seed=ms)
            mlp.append({"seed": ms, "heldout": [round(float(e), 4) for e in m.test_error],
                        "train_s": round(m.model.seconds, 2), "final_loss": float(f"{m.model.loss[-1]:.3g}")})
        row["heldout_mlp"] = mlp
        record(f"growth_surrogate_models_{combinations}x{specimens}_seed{dseed}", row)
        print(json.dumps(row), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hvg", help="checkout of Heterogeneous-Virtual-Growth (never committed here)")
    ap.add_argument("--hvg-python", default="python3", help="interpreter of the environment HVG is installed in")
    ap.add_argument("--hvg-cells", type=int, nargs="+", default=[216, 343, 512, 729, 1000])
    ap.add_argument("--surrogate", action="store_true", help="also time the surrogate database")
    ap.add_argument("--skip-voxtwin", action="store_true", help="only the other cases")
    ap.add_argument("--design", action="store_true",
                    help="the tests' database with more specimens and the solved graded design (solve_design)")
    ap.add_argument("--specimens", type=int, default=6,
                    help="--design, --database-batch: specimens per training combination")
    ap.add_argument("--holdout-specimens", type=int, default=12,
                    help="--design, --database-batch: specimens per held-out combination")
    ap.add_argument("--iterations", type=int, default=4, help="--design: design iterates")
    ap.add_argument("--realizations", type=int, default=3, help="--design: grown layouts per iterate")
    ap.add_argument("--lateral", type=int, default=10, help="--design: slab blocks along y and z (6 along x)")
    ap.add_argument("--design-seeds", type=int, nargs="+", default=[11], help="--design: growth seeds of the designs")
    ap.add_argument("--database-batch", action="store_true",
                    help="the tests' database homogenized per specimen and batched (times, C difference); "
                         "GP vs MLP held-out error, noise floor, mean predictor")
    ap.add_argument("--combinations", type=int, default=30,
                    help="--design, --database-batch: combinations in the database (the tests' 30)")
    ap.add_argument("--skip-per-specimen", action="store_true", help="--database-batch: batched path only")
    ap.add_argument("--mlp-seeds", type=int, default=3, help="--database-batch: MLP weight seeds")
    ap.add_argument("--database-seeds", type=int, nargs="+", default=[0],
                    help="--database-batch: database seeds (specimens and held-out split)")
    args = ap.parse_args()
    rates = {} if args.skip_voxtwin else bench_voxtwin()
    if args.hvg:
        extrapolate(bench_hvg(args.hvg, args.hvg_python, args.hvg_cells), rates)
    if args.surrogate:
        bench_surrogate()
    if args.database_batch:
        bench_database_batch(args.specimens, args.holdout_specimens, args.mlp_seeds, args.database_seeds,
                             args.combinations, not args.skip_per_specimen)
    if args.design:
        bench_surrogate_design(args.specimens, args.holdout_specimens, args.iterations, args.realizations,
                               tuple(args.design_seeds), args.lateral, args.combinations)
    print(json.dumps({"voxtwin_cells_per_s": {str(int(k)): round(v) for k, v in rates.items()}}))


if __name__ == "__main__":
    main()
