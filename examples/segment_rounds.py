"""Annotate → train → segment rounds on a synthetic CT of a generated unit twin (seed 000's five rounds).

    python examples/segment_rounds.py [--size 96] [--rounds 5] [--out segment_rounds_out]

A unit twin (fibres 8 voxels across, in XY planes) gets spherical pores in its matrix and is imaged
by the CT forward model (blur, noise, a little beam hardening). A simulated person — who knows the
true phases — brushes seed 000's 20 fibre, 10 matrix and 20 void strokes, the U-Net trains, and each
further round adds strokes where the segmentation is wrong. Prints the IoU per class after each round
next to multi-Otsu's and plots it, with slice images of the last round.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import voxtwin as vt
from voxtwin.segment import FIBRE, MATRIX, PHASE_NAMES, VOID


def scene(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Phase labels (generated fibres plus pores in the matrix) and their synthetic CT."""
    spec = vt.FibreSpec(volume_fraction=0.14, diameter=8.0, length=60.0,
                        orientation=vt.orientation.Planar(normal=(0, 0, 1)), min_gap=1.0)
    labels = vt.generate_fibres(spec, shape=(n, n, n), voxel_size=1.0, seed=seed, periodic=False).labels.copy()
    rng = np.random.default_rng(seed)
    grid = np.meshgrid(*(np.arange(n, dtype=np.float32),) * 3, indexing="ij", sparse=True)
    for _ in range(int(20 * (n / 96) ** 3)):  # pores: balls, drawn by broadcasting
        centre, radius = rng.uniform(0, n, 3), rng.uniform(3.0, 6.0)
        ball = sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius**2
        labels[ball & (labels == MATRIX)] = VOID
    image = vt.segment.synthetic_ct(labels, noise=15, blur=1.0, beam_hardening=0.05, seed=seed)
    return labels, image


def plot(out: Path, result: vt.segment.RoundsResult, otsu_iou: dict[int, float], image: np.ndarray,
         labels: np.ndarray, otsu: np.ndarray) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    rounds = [h["round"] for h in result.history]
    fig, ax = plt.subplots(figsize=(5, 3.5), constrained_layout=True)
    for label, colour in ((FIBRE, "#d69e2e"), (MATRIX, "#4a5568"), (VOID, "#2b6cb0")):
        ax.plot(rounds, result.iou(label), "o-", color=colour, label=f"U-Net {PHASE_NAMES[label]}")
        ax.axhline(otsu_iou[label], color=colour, ls=":", lw=1)
    ax.set_xticks(rounds)
    ax.set_xlabel("round")
    ax.set_ylabel("IoU (dotted: multi-Otsu)")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    curve = out / "rounds_iou.png"
    fig.savefig(curve, dpi=120)
    plt.close(fig)

    cmap = ListedColormap(["#4a5568", "#f2c14e", "#2b6cb0"])
    z = image.shape[2] // 2
    panels = (("synthetic CT", image), ("truth", labels), ("multi-Otsu", otsu), ("U-Net, last round", result.prediction))
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.8), constrained_layout=True)
    for ax, (title, vol) in zip(axes, panels):
        grey = title == "synthetic CT"
        ax.imshow(vol[:, :, z].T, cmap="gray" if grey else cmap, vmin=None if grey else 0, vmax=None if grey else 2,
                  interpolation="nearest")
        ax.set_title(f"{title}, XY slice z={z}")
        ax.set_xlabel("x (voxels)")
        ax.set_ylabel("y (voxels)")
    slices = out / "rounds_slices.png"
    fig.savefig(slices, dpi=110)
    plt.close(fig)
    return [curve, slices]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=96, help="edge of the block in voxels")
    parser.add_argument("--rounds", type=int, default=5, help="annotate → train → segment rounds (seed 000: 5)")
    parser.add_argument("--out", type=Path, default=Path("segment_rounds_out"), help="folder for the plots")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    labels, image = scene(args.size, args.seed)
    otsu = vt.segment.otsu(image)
    otsu_iou = vt.segment.iou(otsu, labels)
    print("multi-Otsu IoU: " + ", ".join(f"{PHASE_NAMES[k]} {v:.3f}" for k, v in otsu_iou.items()))
    # a small U-Net so that five rounds take minutes on a laptop CPU; a GPU takes seed 000's defaults easily
    model = vt.segment.UNet3D(features=8, window=24, epochs=2, steps_per_epoch=50, batch_size=4, seed=args.seed)
    result = vt.segment.rounds(model, image, labels, n_rounds=args.rounds, seed=args.seed, stroke_length=(8, 20),
                               correction_objects={FIBRE: 10, MATRIX: 10, VOID: 10})
    for h in result.history:
        scores = ", ".join(f"{PHASE_NAMES[k]} {v:.3f}" for k, v in h["iou"].items())
        print(f"round {h['round']}: IoU {scores}; annotated {h['annotated_fraction']:.2%} of the voxels")
    args.out.mkdir(parents=True, exist_ok=True)
    for path in plot(args.out, result, otsu_iou, image, labels, otsu):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
