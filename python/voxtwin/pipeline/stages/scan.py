"""Stage 1 — microstructure and region of interest: the grey volume the pipeline works on."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import io as vtio
from ..builtin import builtin_scan
from ..context import Context
from ..plots import mid_slice, panels
from ._base import Outcome

NAME = "scan"
DEPENDS: tuple[str, ...] = ()


def settings(config: dict[str, Any]) -> dict[str, Any]:
    builtin = config["input"]["scan"] == "builtin"
    return {"input": config["input"], "builtin": config["builtin"] if builtin else None, "roi": config["roi"]}


def _roi(volume: np.ndarray, origin: list[int], size: list[int]) -> np.ndarray:
    shape = volume.shape
    if any(o >= n for o, n in zip(origin, shape)):
        raise ValueError(f"`roi.origin` must lie inside the scan of shape {shape}, got roi.origin={origin}")
    size = size or [n - o for o, n in zip(origin, shape)]
    if any(o + s > n for o, s, n in zip(origin, size, shape)):
        raise ValueError(f"`roi.size` reaches beyond the scan of shape {shape} from roi.origin={origin}, "
                         f"got roi.size={size}")
    window = tuple(slice(o, o + s) for o, s in zip(origin, size))
    return np.ascontiguousarray(volume[window])


def run(ctx: Context) -> Outcome:
    c = ctx.config
    inp = c["input"]
    truth = None
    if inp["scan"] == "builtin":
        grey, truth, voxel_size = builtin_scan(c["builtin"], device=ctx.device)
        source = "built-in example (synthetic CT of a generated fibre composite)"
    else:
        raw = {}
        if inp["shape"]:
            raw = {"shape": tuple(inp["shape"]), "dtype": inp["dtype"] or None, "byte_order": inp["byte_order"]}
        vol = vtio.read(inp["scan"], voxel_size=inp["voxel_size"] or None, progress=ctx.progress, **raw)
        if vol.voxel_size is None:
            raise ValueError(f"the voxel size of {inp['scan']} is unknown: set `input.voxel_size` (µm)")
        grey, voxel_size, source = vol.data, float(vol.voxel_size), str(inp["scan"])
    grey = _roi(grey, c["roi"]["origin"], c["roi"]["size"])
    out = Outcome()
    out.outputs["scan"] = ctx.save_volume("scan", grey, voxel_size)
    shown = [("grey values (XY)", mid_slice(grey, "xy"), "grey"), ("grey values (XZ)", mid_slice(grey, "xz"), "grey")]
    if truth is not None:
        truth = _roi(truth, c["roi"]["origin"], c["roi"]["size"])
        out.outputs["truth"] = ctx.save_volume("truth", truth, voxel_size)
        shown.append(("true phases (XY)", mid_slice(truth, "xy"), "phase"))
        counts = np.bincount(truth.ravel(), minlength=3)
        out.summary["true phase fractions (matrix, fibre, void)"] = (counts[:3] / truth.size).round(4).tolist()
    out.figures.append(ctx.figure("scan_slices", panels(shown)))
    out.summary.update({
        "source": source,
        "shape (voxels)": list(grey.shape),
        "voxel size (µm)": voxel_size,
        "size (µm)": [round(n * voxel_size, 3) for n in grey.shape],
        "grey range": [float(grey.min()), float(grey.max())],
    })
    return out
