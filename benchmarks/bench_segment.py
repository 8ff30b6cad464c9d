"""Segmentation throughput: multi-Otsu vs U-Net prediction (seed 000 hyperparameters), and training steps.

    python benchmarks/bench_segment.py [--size 128] [--threads 1 2]

The U-Net is timed with untrained weights (one optimizer step): throughput does not depend on them.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
import voxtwin as vt
from _harness import peak_rss_mib, record, timeit
from scipy import ndimage


def _phases(n: int, seed: int = 0) -> np.ndarray:
    """Random blob phases (vectorized): smoothed noise cut into matrix, fibre and void."""
    field = ndimage.gaussian_filter(np.random.default_rng(seed).normal(size=(n, n, n)).astype(np.float32), 3)
    labels = np.zeros(field.shape, dtype=np.uint8)
    labels[field > np.quantile(field, 0.8)] = 1
    labels[field < np.quantile(field, 0.02)] = 2
    return labels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=128, help="edge of the cubic test volume (voxels)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="torch CPU thread counts")
    parser.add_argument("--steps", type=int, default=5, help="training steps timed per thread count")
    args = parser.parse_args()
    n = args.size
    labels = _phases(n)
    image = vt.segment.synthetic_ct(labels, noise=15, seed=0)
    annotations = vt.segment.brush_annotations(labels, seed=0)
    figures: dict[str, float] = {"voxels": image.size}
    t = timeit(lambda: vt.segment.otsu(image), repeat=3)
    figures["otsu_vox_per_s"] = image.size / t["best_s"]
    devices = ["cpu"] + (["cuda"] if __import__("torch").cuda.is_available() else [])
    for device in devices:
        for threads in (args.threads if device == "cpu" else [1]):
            key = f"{device}_{threads}t" if device == "cpu" else device
            model = vt.segment.UNet3D(epochs=1, steps_per_epoch=1, num_threads=threads, device=device)
            model.fit(image, annotations, progress=False)  # builds the network; warms up the kernels
            model.steps_per_epoch = args.steps
            t0 = time.perf_counter()
            model.fit(image, annotations, epochs=1, warm_start=True, progress=False)
            figures[f"unet_train_s_per_step_{key}"] = (time.perf_counter() - t0) / args.steps
            t = timeit(partial(model.predict, image, progress=False), repeat=2, warmup=0)
            figures[f"unet_predict_vox_per_s_{key}"] = image.size / t["best_s"]
    first = f"unet_predict_vox_per_s_cpu_{args.threads[0]}t"
    figures["otsu_vs_unet_predict_cpu"] = figures["otsu_vox_per_s"] / figures[first]
    figures["peak_rss_mib"] = peak_rss_mib()
    record(f"segment_unet3d_seed000_{n}^3", figures, precision="float32")


if __name__ == "__main__":
    main()
