"""Stage 5 — digital twin architectures: the unit twins stacked in sequences (or placed along a
printer's G-code drawing path) and written, chunk by chunk, to compressed zarr stores."""

from __future__ import annotations

from typing import Any

import numpy as np

from ... import gcode as vtgcode
from ...assemble import Assembly, BlockLibrary, stacking
from ..context import Context
from ..plots import mid_slice, panels
from ..views3d import assemblies_3d
from ._base import Outcome

NAME = "assemble"
DEPENDS = ("twins",)


def settings(config: dict[str, Any]) -> dict[str, Any]:
    return {"assembly": config["assembly"], "seed": config["run"]["seed"]}


def stack_name(stack: Any, index: int) -> str:
    """A file-friendly name of a stack entry: the sequence name, or stack<k> for explicit angles."""
    if isinstance(stack, str):
        return stack.lower().replace("-", "_")
    if isinstance(stack, dict):
        return str(stack["name"])
    return f"stack{index}"


def stack_angles(stack: Any) -> list[float]:
    return stacking(stack["angles"] if isinstance(stack, dict) else stack)


def assemblies(ctx: Context, library: BlockLibrary) -> dict[str, Assembly]:
    a = ctx.config["assembly"]
    out: dict[str, Assembly] = {}
    for k, stack in enumerate(a["stacks"]):
        out[stack_name(stack, k)] = Assembly.stacked(library, stack_angles(stack), layer_shape=a["layer_shape"],
                                                     axis=a["axis"], seed=ctx.seed, device=ctx.device)
    if a["gcode"]:
        plan = vtgcode.read(a["gcode"])
        out["gcode"] = vtgcode.to_assembly(plan, library, a["cell_size_um"] or None, seed=ctx.seed, device=ctx.device)
    return out


def _dominant_angle(layer: np.ndarray) -> float:
    """The most frequent block angle of a layer (NaN for an all-air layer)."""
    values = layer[np.isfinite(layer)]
    if values.size == 0:
        return float("nan")
    uniq, counts = np.unique(np.round(values, 6), return_counts=True)
    return float(uniq[np.argmax(counts)])


def run(ctx: Context) -> Outcome:
    a = ctx.config["assembly"]
    library = BlockLibrary.load(ctx.run.path / "volumes" / "library")
    out = Outcome()
    report: dict[str, Any] = {}
    shown = []
    layouts3d: list[tuple[str, np.ndarray]] = []
    for name, asm in assemblies(ctx, library).items():
        layout = asm.layout()
        layouts3d.append((name, layout["angle"]))
        angles = layout["angle"]
        axis = "xyz".index(a["axis"])
        per_layer = [_dominant_angle(layer) for layer in np.moveaxis(angles, axis, 0)]
        entry = {"voxels": int(asm.n_voxels), "blocks": int(asm.n_blocks), "expected fibres": int(asm.n_fibres),
                 "memory (MiB, uint8)": round(asm.nbytes / 2**20, 1), "shape (voxels)": list(asm.shape),
                 "layer angles (degrees)": [round(v, 1) for v in per_layer]}
        if a["write_zarr"]:
            path = ctx.run.path / "volumes" / f"assembly_{name}.zarr"
            asm.to_zarr(path, a["chunks"] or None, progress=ctx.progress, overwrite=True)
            out.outputs[f"assembly_{name}"] = ctx.run.rel(path)
            entry["store"] = ctx.run.rel(path)
        report[name] = entry
        volume = asm.to_numpy(progress=False) if asm.n_voxels <= 2**28 else None
        if volume is not None:
            shown.append((f"{name}: XZ section", mid_slice(volume, "xz"), "phase"))
    out.outputs["assemblies"] = ctx.run.rel(ctx.run.write_json("assemblies", report))
    if shown:
        out.figures.append(ctx.figure("assemblies_xz", panels(shown, plane="xz")))
    if layouts3d:  # seed 000 Figs. 4 and 6: block layouts coloured by angle
        fig3d, how3d = assemblies_3d(ctx, layouts3d, [n * library.voxel_size for n in library.block_shape])
        out.figures.append(fig3d)
        report["3D pictures"] = how3d
    out.summary = report
    return out
