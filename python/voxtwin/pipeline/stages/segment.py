"""Stage 2 — segmentation into phases (0 matrix, 1 fibre, 2 void) by multi-Otsu or a U-Net."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ... import io as vtio
from ... import segment as seg
from ...errors import SegmentationWarning
from ...phases import phase_fractions
from ..context import Context
from ..plots import mid_slice, panels
from ._base import Outcome

NAME = "segment"
DEPENDS = ("scan",)

MIN_STROKE_VOXELS = 200  # fewer automatic stroke voxels than this teach the U-Net too little of a class
FRACTION_SLACK = (0.005, 0.25)  # a class's fraction may differ from the grey-value estimate by 0.005 + 25 %
# (on the built-in example the estimate is within 0.008 of the true fractions; the U-Net on automatic
# strokes overshot the pores by 0.012 and the fibres by 0.042)


def settings(config: dict[str, Any]) -> dict[str, Any]:
    return {"segmentation": config["segmentation"], "seed": config["run"]["seed"]}


def _unet(ctx: Context, grey: np.ndarray, truth: np.ndarray | None, out: Outcome) -> tuple[np.ndarray, np.ndarray]:
    s = ctx.config["segmentation"]
    model = seg.UNet3D(depth=s["depth"], features=s["features"], window=s["window"], epochs=s["epochs"],
                       steps_per_epoch=s["steps_per_epoch"], batch_size=s["batch_size"], classes=s["classes"],
                       num_threads=s["threads"], device=ctx.device, seed=ctx.seed)
    objects = {p: s["strokes"] for p in (seg.MATRIX, seg.FIBRE, seg.VOID)[: s["classes"]]}
    if s["annotations"] == "simulated":
        if truth is None:
            raise ValueError("`segmentation.annotations = \"simulated\"` needs the true phases: only the built-in "
                             "example has them; use \"auto\" or a file of brush annotations")
        result = seg.rounds(model, grey, truth, n_rounds=s["rounds"], objects=objects, seed=ctx.seed,
                            progress=ctx.progress)
        labels, annotations = result.prediction, result.annotations
        out.summary["fibre IoU per round"] = [round(v, 4) for v in result.iou(seg.FIBRE)]
    else:
        if s["annotations"] == "auto":
            annotations = seg.confident_annotations(grey, classes=s["classes"], strokes=s["strokes"], seed=ctx.seed)
            _check_strokes(annotations, s["classes"], out)
        else:
            annotations = vtio.read(s["annotations"], progress=False).data
            if annotations.shape != grey.shape:
                raise ValueError(f"`segmentation.annotations` must have the scan's (ROI's) shape {grey.shape}, "
                                 f"got {annotations.shape} from {s['annotations']}")
            annotations = annotations.astype(np.int8)
        model.fit(grey, annotations, progress=ctx.progress)
        labels = model.predict(grey, progress=ctx.progress)
        if s["annotations"] == "auto":
            _check_fractions(grey, labels, s["classes"], out)
    model.save(ctx.run.file("results", "unet.pt"))
    out.outputs["model"] = ctx.run.rel(ctx.run.file("results", "unet.pt"))
    out.summary["annotated voxels (share)"] = round(float(np.mean(annotations >= 0)), 5)
    return labels, annotations


def _check_strokes(annotations: np.ndarray, classes: int, out: Outcome) -> None:
    """Warn when the automatic strokes cover a class poorly (the U-Net then guesses it)."""
    counts = np.bincount(annotations[annotations >= 0].ravel(), minlength=3)
    covered = {seg.PHASE_NAMES[p]: int(counts[p]) for p in (seg.MATRIX, seg.FIBRE, seg.VOID)[:classes]}
    out.summary["automatic stroke voxels per phase"] = covered
    poor = {name: n for name, n in covered.items() if n < MIN_STROKE_VOXELS}
    if poor:
        warnings.warn(f"the automatic strokes cover {', '.join(f'{k} ({v} voxels)' for k, v in poor.items())} "
                      f"poorly (fewer than {MIN_STROKE_VOXELS}): its segmentation is a guess; brush strokes of it "
                      "(`segmentation.annotations` = a file) or `method = \"otsu\"` may do better", SegmentationWarning)


def _check_fractions(grey: np.ndarray, labels: np.ndarray, classes: int, out: Outcome) -> None:
    """Warn when the U-Net trained on automatic strokes disagrees with what the grey values say."""
    expected = seg.grey_fractions(grey, classes)
    got = phase_fractions(labels, device="cpu")
    out.summary["phase fractions from the grey values (check)"] = {str(k): round(v, 4) for k, v in expected.items()}
    off = {p: (got.get(p, 0.0), f) for p, f in expected.items()
           if abs(got.get(p, 0.0) - f) > FRACTION_SLACK[0] + FRACTION_SLACK[1] * f}
    if off:
        text = ", ".join(f"{seg.PHASE_NAMES[p]} {g:.3f} against {f:.3f}" for p, (g, f) in off.items())
        warnings.warn(f"the segmentation trained on automatic strokes disagrees with the grey values ({text}): "
                      "it is doubtful; look at the segmentation figure, and give brush strokes "
                      "(`segmentation.annotations` = a file) if it is wrong", SegmentationWarning)


def run(ctx: Context) -> Outcome:
    s = ctx.config["segmentation"]
    grey, voxel_size = ctx.volume("scan")
    truth = ctx.volume("truth")[0] if ctx.has_volume("truth") else None
    out = Outcome(summary={"method": s["method"]})
    annotations = None
    if s["method"] == "none":
        if grey.dtype != np.uint8:
            raise TypeError(f"`segmentation.method = \"none\"` needs a uint8 phase-label scan, got dtype {grey.dtype}")
        labels = grey
    elif s["method"] == "otsu":
        labels = seg.otsu(grey, classes=s["classes"])
    else:
        labels, annotations = _unet(ctx, grey, truth, out)
    out.outputs["labels"] = ctx.save_volume("labels", labels, voxel_size)
    out.summary["phase fractions"] = {str(k): round(v, 4) for k, v in phase_fractions(labels, device="cpu").items()}
    shown = [("grey values", mid_slice(grey), "grey")]
    if annotations is not None:
        shown.append(("brush strokes", mid_slice(annotations), "annotation"))
    shown.append((f"segmentation ({s['method']})", mid_slice(labels), "phase"))
    if truth is not None:
        baseline = seg.otsu(grey, classes=s["classes"])
        iou = seg.iou(labels, truth)
        otsu_iou = seg.iou(baseline, truth)
        out.summary["IoU vs truth (matrix, fibre, void)"] = [round(iou.get(k, float("nan")), 4) for k in (0, 1, 2)]
        out.summary["multi-Otsu IoU vs truth"] = [round(otsu_iou.get(k, float("nan")), 4) for k in (0, 1, 2)]
        shown.append(("true phases", mid_slice(truth), "phase"))
    out.figures.append(ctx.figure("segmentation", panels(shown)))
    return out
