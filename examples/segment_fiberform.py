"""Segment a real micro-CT scan of FiberForm (carbon fibres in air) with multi-Otsu and a U-Net.

    python examples/segment_fiberform.py [--data ../shared/data/100_fiberform.tif] [--out segment_fiberform_out]

Steps 1–3 of seed 000 on a real scan: read the volume (voxtwin.io), segment it (voxtwin.segment:
the multi-Otsu baseline, and a U-Net trained from a few brush strokes), then characterize the fibres
of the U-Net segmentation (voxtwin.characterize). Writes slice images (PNG) of the grey values,
the strokes and both segmentations, and the U-Net labels as a TIFF stack with the voxel size.

About the brush strokes: seed 000 has a person brush 20 fibre and 20 void/matrix objects on XY,
YZ and ZX slices. Here no person is at hand, so the strokes are placed automatically, by
``vt.segment.confident_annotations``, inside *confident* regions only: voxels whose smoothed grey
value is far above (fibre) or far below (air) the Otsu threshold. They stand in for a person's brush strokes;
the U-Net then decides the uncertain voxels at the fibre surfaces from what it learnt.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import voxtwin as vt
from voxtwin.segment import FIBRE, VOID

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "100_fiberform.tif"
VOXEL_SIZE_UM = 1.3  # from the data README; the file's own resolution tags are in inches (none given)
def segment_fiberform(image: np.ndarray, *, model_kwargs: dict[str, Any] | None = None, strokes: int = 20,
                      seed: int = 0, progress: bool = True) -> dict[str, Any]:
    """Otsu baseline, automatic strokes in confident regions, and a U-Net trained on them.

    Returns a dict with ``otsu`` and ``unet`` (uint8 labels: 1 fibre, 2 void/air), ``annotations``
    (int8, -1 unlabelled), ``model`` and ``threshold``.
    """
    (threshold,) = vt.segment.otsu_thresholds(image, classes=2)
    otsu = vt.segment.otsu(image, classes=2, phases=(VOID, FIBRE))  # fibres in air: no matrix
    annotations = vt.segment.confident_annotations(image, classes=2, phases=(VOID, FIBRE), strokes=strokes, seed=seed)
    kwargs = {"classes": (FIBRE, VOID), "seed": seed, **(model_kwargs or {})}
    model = vt.segment.UNet3D(**kwargs)
    model.fit(image, annotations, progress=progress)
    unet = model.predict(image, progress=progress)
    return {"otsu": otsu, "unet": unet, "annotations": annotations, "model": model, "threshold": threshold}


def characterize(labels: np.ndarray, voxel_size: float) -> vt.FibreStatistics:
    """Fibre statistics of a segmentation (step 3): the labels go to ``voxtwin.characterize`` as they are."""
    stats = vt.characterize(labels, voxel_size, fibre_label=FIBRE)
    print(f"characterize: {stats}")
    print(f"  {len(stats.complete)} fibres not cut by the boundary: median diameter {np.median(stats.diameter):.1f} µm, "
          f"median length {np.median(stats.length):.1f} µm")
    with np.printoptions(precision=3, suppress=True):
        print(f"  orientation tensor a_ij:\n{stats.orientation_tensor}")
    return stats


def save_slices(out: Path, image: np.ndarray, result: dict[str, Any]) -> list[Path]:
    """PNG panels (grey, strokes, Otsu, U-Net) of the middle XY and XZ slices."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    phase_cmap = ListedColormap(["#3b3b3b", "#f2c14e", "#2b6cb0"])  # 0 matrix (unused), 1 fibre, 2 air
    written = []
    for plane, index in (("xy", (slice(None), slice(None), image.shape[2] // 2)),
                         ("xz", (slice(None), image.shape[1] // 2, slice(None)))):
        grey = image[index].T  # rows = second axis, so x runs left to right
        ann = result["annotations"][index].T
        fig, axes = plt.subplots(1, 4, figsize=(14, 3.8), constrained_layout=True)
        axes[0].imshow(grey, cmap="gray")
        axes[0].set_title(f"micro-CT, {plane.upper()} slice")
        axes[1].imshow(grey, cmap="gray")
        axes[1].imshow(np.ma.masked_less(ann, 0), cmap=phase_cmap, vmin=0, vmax=2, alpha=0.8, interpolation="nearest")
        axes[1].set_title("brush strokes (fibre / air)")
        axes[2].imshow(result["otsu"][index].T, cmap=phase_cmap, vmin=0, vmax=2, interpolation="nearest")
        axes[2].set_title("multi-Otsu")
        axes[3].imshow(result["unet"][index].T, cmap=phase_cmap, vmin=0, vmax=2, interpolation="nearest")
        axes[3].set_title("U-Net")
        for ax in axes:
            ax.set_xlabel("x (voxels)")
            ax.set_ylabel(f"{plane[1]} (voxels)")
        handles = [Patch(color=phase_cmap(FIBRE), label="fibre"), Patch(color=phase_cmap(VOID), label="air")]
        axes[3].legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
        path = out / f"fiberform_{plane}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the FiberForm TIFF stack")
    parser.add_argument("--out", type=Path, default=Path("segment_fiberform_out"), help="folder for PNGs and labels")
    parser.add_argument("--features", type=int, default=16, help="U-Net features (seed 000: 16)")
    parser.add_argument("--window", type=int, default=52, help="U-Net window edge in voxels (seed 000: 52)")
    parser.add_argument("--epochs", type=int, default=3, help="training epochs (seed 000: 3)")
    parser.add_argument("--steps", type=int, default=50, help="optimizer steps per epoch")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for torch")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    args = parser.parse_args()

    vol = vt.io.read(args.data, voxel_size=VOXEL_SIZE_UM)
    print(f"read {args.data.name}: {vol}")
    t0 = time.perf_counter()
    result = segment_fiberform(vol.data, model_kwargs={
        "features": args.features, "window": args.window, "epochs": args.epochs, "steps_per_epoch": args.steps,
        "num_threads": args.threads, "device": args.device})
    print(f"segmented in {time.perf_counter() - t0:.1f} s; Otsu threshold {result['threshold']:.0f}; "
          f"strokes cover {np.mean(result['annotations'] >= 0):.2%} of the voxels")
    reference = np.where(vol.data > 90, FIBRE, VOID).astype(np.uint8)  # the README's threshold
    for name in ("otsu", "unet"):
        labels = result[name]
        fraction = vt.phase_fractions(labels).get(FIBRE, 0.0)
        agree = vt.segment.iou(labels, reference, classes=[FIBRE])[FIBRE]
        print(f"{name:>5}: fibre fraction {fraction:.3f}; fibre IoU with the threshold-90 reference {agree:.3f}")
    print(f"U-Net vs Otsu fibre IoU: {vt.segment.iou(result['unet'], result['otsu'], classes=[FIBRE])[FIBRE]:.3f}")
    characterize(result["unet"], vol.voxel_size)

    args.out.mkdir(parents=True, exist_ok=True)
    for path in save_slices(args.out, vol.data, result):
        print(f"wrote {path}")
    labels_path = vt.io.write(args.out / "fiberform_unet_labels.tif", result["unet"], voxel_size=vol.voxel_size,
                              overwrite=True)
    print(f"wrote {labels_path} (uint8: 1 fibre, 2 air; opens in Fiji with the voxel size)")


if __name__ == "__main__":
    main()
