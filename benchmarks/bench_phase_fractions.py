"""Phase counting throughput: voxtwin (C++/OpenMP, CUDA) side by side with numpy.bincount.

    python benchmarks/bench_phase_fractions.py [--size 256]
"""

from __future__ import annotations

import argparse

import numpy as np

import voxtwin as vt
from _harness import record, timeit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="edge of the cubic test volume (voxels)")
    args = parser.parse_args()
    n = args.size
    labels = np.random.default_rng(0).integers(0, 3, size=(n, n, n), dtype=np.uint8)
    voxels = labels.size

    reference = np.bincount(labels.ravel(), minlength=256)
    t_numpy = timeit(lambda: np.bincount(labels.ravel(), minlength=256))
    figures = {"voxels": voxels, "numpy_bincount_vox_per_s": voxels / t_numpy["best_s"]}
    before = vt.get_num_threads()
    for threads in sorted({1, before}):
        vt.set_num_threads(threads)
        counts = vt.phase_counts(labels, device="cpu")
        assert all(counts.get(k, 0) == reference[k] for k in range(256))
        t = timeit(lambda: vt.phase_counts(labels, device="cpu"))
        figures[f"cpu_{threads}t_vox_per_s"] = voxels / t["best_s"]
    vt.set_num_threads(before)
    if vt.cuda_available():
        assert vt.phase_counts(labels, device="cuda") == vt.phase_counts(labels, device="cpu")
        t = timeit(lambda: vt.phase_counts(labels, device="cuda"))
        figures["cuda_vox_per_s_incl_transfer"] = voxels / t["best_s"]
    figures["speedup_vs_numpy"] = figures[f"cpu_{before}t_vox_per_s"] / figures["numpy_bincount_vox_per_s"]
    record(f"phase_counts_{n}^3", figures)


if __name__ == "__main__":
    main()
