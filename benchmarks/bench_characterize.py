"""Fibre characterization and the closed loop: time and accuracy on generated unit twins.

    python benchmarks/bench_characterize.py [--repeat 3] [--size 125]

Cases (one JSON line each, appended to results.csv):
- ``characterize_<n>^3_10pct``: seed 000's fibres (15 µm x 100 µm, 10 vol%, 15 degree spread) at
  3 µm voxels (5 voxels across) in a non-periodic block (fibres cut by the faces, like a scan).
  ``voxtwin.characterize`` (watershed pieces merged into straight fibres) side by side, in the
  same run, with the plain baseline many scripts use: connected components
  (``scipy.ndimage.label``) measured by ``skimage.measure.regionprops``. Accuracy against the
  generator's own fibres: share recovered one to one (IoU > 0.8), mean diameter and length errors
  (lengths of the fibres not cut by a face), largest orientation tensor error.
  One-to-one shares are given over all true fibres and over those with >= 8 voxels in the block.
- ``characterize_<n>^3_10pct_periodic``: the same on a periodic block read with ``periodic=True``.
- ``closed_loop_80^3``: a full closed loop from a biased start (diameter -20 %, length -30 %) on
  80³ blocks at 2 µm: iterations and seconds per iteration.
- ``closed_loop_sweep_80^3`` (with ``--sweep``, about a minute per case on 2 cores): 3 targets x
  6 seeds for each start -- biased sizes, half and 1.6x the volume fraction, 30 % oversized
  fibres, isotropic orientations: how often the loop converges, in how many iterations, and which
  action it takes first.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import ndimage as ndi

import voxtwin as vt
from _harness import record, timeit
from voxtwin.characterize import match_instances


def _one_to_one(truth: np.ndarray, found: np.ndarray, min_voxels: int = 1) -> float:
    """Share of the true fibres with >= min_voxels voxels recovered one to one (IoU > 0.8)."""
    sizes = np.bincount(truth.reshape(-1))[1:]
    match = match_instances(truth, found)[1:]
    big = sizes >= min_voxels
    return int(np.count_nonzero(match[big])) / int(big.sum())


def _components(labels: np.ndarray) -> tuple[np.ndarray, list]:
    from skimage.measure import regionprops

    comp, _ = ndi.label(labels == 1)
    return comp, regionprops(comp)


def bench_characterize(size: int, repeat: int, periodic: bool) -> None:
    voxel = 3.0
    twin = vt.generate_fibres(vt.seed000_spec(), (size,) * 3, voxel, seed=1, periodic=periodic, instances=True)
    labels = twin.labels
    stats = vt.characterize(labels, voxel, periodic=periodic)
    t_ours = timeit(lambda: vt.characterize(labels, voxel, periodic=periodic), repeat=repeat)
    truth = twin.fibres
    # like with like: a scan's fibres that touch a face are cut; compare lengths of whole ones
    on_face = np.zeros(len(truth) + 1, dtype=bool)
    if not periodic:
        for axis in range(3):
            for face in (0, -1):
                on_face[np.unique(np.take(twin.instances, face, axis=axis))] = True
    whole = ~on_face[1:]
    figures = {
        "voxels": labels.size,
        "periodic": periodic,
        "fibres_true": len(truth),
        "fibres_found": stats.n_fibres,
        "one_to_one": _one_to_one(twin.instances, stats.instances),
        # pieces under characterize's min_voxels (8) are no fibre by design
        "one_to_one_8vox": _one_to_one(twin.instances, stats.instances, 8),
        "diameter_rel_err": float(stats.diameter.mean() / truth.diameter[whole].mean() - 1.0),
        "length_rel_err": float(stats.length.mean() / truth.length[whole].mean() - 1.0),
        "tensor_max_abs_err": float(np.abs(stats.orientation_tensor - truth.orientation_tensor()).max()),
        "best_s": t_ours["best_s"],
        "median_s": t_ours["median_s"],
        "mvox_per_s": labels.size / t_ours["best_s"] / 1e6,
        "threads": vt.get_num_threads(),
    }
    if not periodic:   # the plain baseline knows no periodic boundary: compared on the scan-like block
        comp, props = _components(labels)
        t_base = timeit(lambda: _components(labels), repeat=repeat)
        figures.update({
            "baseline_components": len(props),
            "baseline_one_to_one": _one_to_one(twin.instances, comp),
            "baseline_one_to_one_8vox": _one_to_one(twin.instances, comp, 8),
            "baseline_best_s": t_base["best_s"],
            "time_ratio_vs_baseline": t_ours["best_s"] / t_base["best_s"],
        })
    record(f"characterize_{size}^3_10pct{'_periodic' if periodic else ''}", figures)


def bench_closed_loop() -> None:
    shape, voxel = (80, 80, 80), 2.0
    aligned = vt.orientation.Aligned((1.0, 0.0, 0.0), 10.0)
    truth = vt.FibreSpec(0.10, vt.Normal(10.0, 1.0, low=8.0), vt.Normal(60.0, 6.0, low=40.0), aligned)
    biased = vt.FibreSpec(0.10, vt.Normal(8.0, 1.0, low=6.0), vt.Normal(42.0, 6.0, low=25.0), aligned)
    target = vt.characterize(vt.generate_fibres(truth, shape, voxel, seed=12345).labels, voxel)
    t0 = time.perf_counter()
    loop = vt.closed_loop(target, biased, shape, voxel, seed=7)
    elapsed = time.perf_counter() - t0
    figures = {
        "converged": loop.converged,
        "iterations": loop.iterations,
        "seconds": elapsed,
        "seconds_per_iteration": elapsed / loop.iterations,
        "first_S": loop.history[0].S,
        "final_S": loop.history[-1].S,
        "actions": [s.action for s in loop.history],
    }
    record("closed_loop_80^3", figures)


def _spec(vf: float = 0.10, diameter: object = None, length: object = None, orientation: object = None) -> vt.FibreSpec:
    return vt.FibreSpec(vf, diameter or vt.Normal(10.0, 1.0, low=8.0), length or vt.Normal(60.0, 6.0, low=40.0),
                        orientation or vt.orientation.Aligned((1.0, 0.0, 0.0), 10.0))


def bench_closed_loop_sweep() -> None:
    from collections import Counter

    shape, voxel = (80, 80, 80), 2.0
    r = np.random.default_rng(0)
    starts = {
        "biased_sizes": _spec(diameter=vt.Normal(8.0, 1.0, low=6.0), length=vt.Normal(42.0, 6.0, low=25.0)),
        "half_fraction": _spec(vf=0.05),
        "fraction_x1.6": _spec(vf=0.16),
        "oversized_30pct": _spec(diameter=vt.Empirical(np.r_[r.normal(10, 1, 350).clip(8), np.full(150, 15.0)])),
        "isotropic": _spec(orientation=vt.orientation.Isotropic()),
    }
    targets = [vt.characterize(vt.generate_fibres(_spec(), shape, voxel, seed=1000 + k).labels, voxel)
               for k in range(3)]
    for name, start in starts.items():
        converged, iterations, first_action = Counter(), Counter(), Counter()
        t0 = time.perf_counter()
        for target in targets:
            for seed in range(6):
                loop = vt.closed_loop(target, start, shape, voxel, seed=seed)
                converged[str(loop.converged)] += 1
                iterations[str(loop.iterations)] += 1
                first_action[loop.history[1].action if loop.iterations > 1 else "none"] += 1
        record("closed_loop_sweep_80^3", {"start": name, "runs": 18, "converged": dict(converged),
                                          "iterations": dict(iterations), "first_action": dict(first_action),
                                          "seconds": time.perf_counter() - t0})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=125, help="edge of the generated block (voxels)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sweep", action="store_true", help="also run the closed-loop sweep (~5 min)")
    args = parser.parse_args()
    bench_characterize(args.size, args.repeat, periodic=False)
    bench_characterize(args.size, args.repeat, periodic=True)
    bench_closed_loop()
    if args.sweep:
        bench_closed_loop_sweep()


if __name__ == "__main__":
    main()
