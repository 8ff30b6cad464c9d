"""Experiment: the U-Net trained on automatic strokes against the truth of the built-in scan (issue 14).

    nice -n 10 python benchmarks/experiment_auto_strokes.py [--features 8 --window 24 --epochs 2 --steps 50 --batch 4]

The example pipeline's built-in scan (96×96×64 voxels at 2.5 µm, 10 % fibres, 2.35 % pores) has a
known truth. Automatic strokes (``vt.segment.confident_annotations``, 20 objects per phase) train
one U-Net (by default at the demo's size: 8 features, 24³ windows, 2 × 50 steps of 4 windows, one
thread); the script prints the strokes' share and correctness, the IoU per class, the phase
fractions, and the warnings of the segment stage's self-check (stroke coverage, fractions against
``vt.segment.grey_fractions``). The demo's simulated strokes (three rounds) are the reference.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

import voxtwin as vt
from voxtwin.pipeline.builtin import builtin_scan
from voxtwin.pipeline.config import DEFAULTS
from voxtwin.pipeline.stages._base import Outcome
from voxtwin.pipeline.stages.segment import _check_fractions, _check_strokes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--window", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    grey, truth, _ = builtin_scan(DEFAULTS["builtin"], device="cpu")
    strokes = vt.segment.confident_annotations(grey, classes=3, strokes=20, seed=args.seed)
    painted = strokes >= 0
    start = time.perf_counter()
    model = vt.segment.UNet3D(depth=2, features=args.features, window=args.window, epochs=args.epochs,
                              steps_per_epoch=args.steps, batch_size=args.batch, classes=3, num_threads=1,
                              device="cpu", seed=args.seed)
    model.fit(grey, strokes, progress=False)
    labels = model.predict(grey, progress=False)
    seconds = time.perf_counter() - start
    out = Outcome()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _check_strokes(strokes, 3, out)
        _check_fractions(grey, labels, 3, out)
    print(json.dumps({
        "annotated share": round(float(painted.mean()), 5),
        "strokes right": round(float(np.mean(strokes[painted] == truth[painted])), 4),
        "IoU (matrix, fibre, void)": [round(vt.segment.iou(labels, truth).get(k, 0.0), 4) for k in (0, 1, 2)],
        "fractions": {str(k): round(v, 4) for k, v in vt.phase_fractions(labels, device="cpu").items()},
        "true fractions": (np.bincount(truth.ravel(), minlength=3) / truth.size).round(4).tolist(),
        "self-check": out.summary,
        "warnings": [str(w.message) for w in caught],
        "train + predict (s)": round(seconds, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
