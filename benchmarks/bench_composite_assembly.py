"""Composite voxels of an assembly: from its fibre tables (vt.fibre_composite_assembly) against the
voxel route (materialize the labels, vt.composite_voxels at factor 4), on seed 000's blocks.

A 0°/90° stack of 2×2 seed-000 blocks per layer (125³ voxels at 4 µm, 15 × 100 µm fibres, 10 vol%,
±15°): 1 × 1 × 0.5 mm, 250 × 250 × 250 fine voxels. The 16 µm coarse grid does not align with the
0.5 mm blocks (31.25 coarse voxels per block), so the fibre route meets cut voxels at every block
face. Figures: wall time of each route (the fibre route at 8, 16 and 32 µm), the volume fraction
each sees, and the homogenized C of both at 16 µm (‖ΔC‖/‖C‖ and the worst diagonal entry).

    python benchmarks/bench_composite_assembly.py [--quick]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import voxtwin as vt
from _harness import record


def fibre_fraction(cv: vt.CompositeVoxels) -> float:
    counts = np.where(cv.entry_labels[cv.index] == 1, cv.entry_counts[cv.index], 0).sum(axis=-1)
    return float(counts.sum() / (counts.size * cv.factor**3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one layer of 1×1 blocks (a smoke run)")
    args = parser.parse_args()
    layer = (1, 1) if args.quick else (2, 2)
    lib = vt.BlockLibrary.from_spec(vt.seed000_spec(), angles=(0, 90), block_shape=(125, 125, 125), voxel_size=4.0)
    asm = vt.Assembly.stacked(lib, [0.0, 90.0], layer_shape=layer, axis="z", seed=0, device="cpu")
    mats = {0: vt.material_library()["pla"], 1: vt.material_library()["basalt_fibre"]}

    t0 = time.perf_counter()
    labels = asm.to_numpy()
    t_labels = time.perf_counter() - t0
    t0 = time.perf_counter()
    voxel = vt.composite_voxels(labels, 4, materials=mats, remainder="crop", device="cpu", check_features=False)
    t_voxel = time.perf_counter() - t0
    fine_fraction = float(np.mean(labels == 1))
    del labels

    times, fibre = {}, {}
    for h in (32.0, 16.0, 8.0):
        t0 = time.perf_counter()
        fibre[h] = vt.fibre_composite_assembly(asm, h, materials=mats, chunk=64, device="cpu")
        times[h] = time.perf_counter() - t0

    C_voxel = vt.homogenize(voxel, mats, tol=1e-6, device="cpu", voxel_size=16.0, progress=False).C
    C_fibre = vt.homogenize(fibre[16.0], mats, tol=1e-6, device="cpu", voxel_size=16.0, progress=False).C
    diag = (np.diag(C_fibre) - np.diag(C_voxel)) / np.diag(C_voxel)
    record("composite_assembly_routes", {
        "assembly": f"0/90 stack, {layer[0]}x{layer[1]} seed-000 blocks per layer, shape {list(asm.shape)} at 4 um",
        "voxel_route_s": round(t_labels + t_voxel, 2),
        "voxel_route_labels_s": round(t_labels, 2),
        "voxel_route_composite_s": round(t_voxel, 2),
        "fibre_route_s": {f"{h:g}um": round(t, 2) for h, t in times.items()},
        "coarse_shapes": {f"{h:g}um": list(cv.shape) for h, cv in fibre.items()},
        "fibre_fraction": {"fine_labels": round(fine_fraction, 5), "voxel_route": round(fibre_fraction(voxel), 5),
                           **{f"fibre_route_{h:g}um": round(fibre_fraction(cv), 5) for h, cv in fibre.items()}},
        "C11_C22_C33_voxel_route_GPa": [round(float(c), 3) for c in np.diag(C_voxel)[:3]],
        "C11_C22_C33_fibre_route_GPa": [round(float(c), 3) for c in np.diag(C_fibre)[:3]],
        "fibre_vs_voxel_route_diag_pct": [round(100 * float(d), 1) for d in diag],
        "fibre_vs_voxel_route_norm_pct": round(100 * float(np.linalg.norm(C_fibre - C_voxel)
                                                           / np.linalg.norm(C_voxel)), 2),
    })


if __name__ == "__main__":
    main()
