"""Stage 2 — segmentation into phases (0 matrix, 1 fibre, 2 void) by multi-Otsu or a U-Net."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import io as vtio
from ... import segment as seg
from ...phases import phase_fractions
from ..context import Context
from ..plots import mid_slice, panels
from ._base import Outcome

NAME = "segment"
DEPENDS = ("scan",)


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
        else:
            annotations = vtio.read(s["annotations"], progress=False).data
            if annotations.shape != grey.shape:
                raise ValueError(f"`segmentation.annotations` must have the scan's (ROI's) shape {grey.shape}, "
                                 f"got {annotations.shape} from {s['annotations']}")
            annotations = annotations.astype(np.int8)
        model.fit(grey, annotations, progress=ctx.progress)
        labels = model.predict(grey, progress=ctx.progress)
    model.save(ctx.run.file("results", "unet.pt"))
    out.outputs["model"] = ctx.run.rel(ctx.run.file("results", "unet.pt"))
    out.summary["annotated voxels (share)"] = round(float(np.mean(annotations >= 0)), 5)
    return labels, annotations


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
