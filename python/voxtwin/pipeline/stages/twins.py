"""Stage 4 — unit twins: one building block per in-plane angle, generated from the scan's
statistics and refined by the closed loop until every similarity index S reaches the threshold."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...assemble import BlockLibrary
from ...distributions import Normal
from ...feedback import closed_loop
from ...generate import FibreSpec
from ...orientation import Aligned
from ..context import Context, pyplot
from ..plots import mid_slice, panels
from ..views3d import twins_3d
from .characterize import BLOCK_UM
from ._base import Outcome

NAME = "twins"
DEPENDS = ("characterize",)
RAYLEIGH_MEAN = math.sqrt(math.pi / 2)  # mean misalignment / spread of Aligned (Rayleigh-distributed angle)
PARAMETERS = ("diameter", "length", "misalignment", "volume_fraction")


def settings(config: dict[str, Any]) -> dict[str, Any]:
    return {"twins": config["twins"], "seed": config["run"]["seed"]}


def nominal_spec(target: dict[str, Any], t: dict[str, Any]) -> FibreSpec:
    """A first guess from nominal values ([twins] nominal_*) at the scan's fibre fraction (fibres along +X)."""
    d, L = t["nominal_diameter"], t["nominal_length"]
    return FibreSpec(volume_fraction=float(target["fibre_fraction"]), diameter=Normal(d, 0.1 * d, low=0.5 * d),
                     length=Normal(L, 0.2 * L, low=max(d, 0.3 * L)),
                     orientation=Aligned((1.0, 0.0, 0.0), spread_deg=t["nominal_spread_deg"]))


def starting_spec(target: dict[str, Any]) -> FibreSpec:
    """The data-driven first guess (fibres along +X): Gaussian fits of the scan's statistics."""
    d = np.asarray(target["diameter"], dtype=float)
    L = np.asarray(target["length"], dtype=float)
    mis = np.asarray(target["misalignment"], dtype=float)
    if d.size < 3 or L.size < 3:
        raise ValueError(f"the scan has too few complete fibres to describe ({d.size}); enlarge the region of "
                         "interest (`roi.size`) or check the segmentation")
    fraction = float(target["fibre_fraction"])
    if not 0.005 < fraction < 0.5:
        raise ValueError(f"the scan's fibre fraction {fraction:.4f} is outside (0.005, 0.5): check the segmentation")
    spread = float(np.clip(mis.mean() / RAYLEIGH_MEAN, 1.0, 60.0)) if mis.size else 15.0
    return FibreSpec(
        volume_fraction=fraction,
        diameter=Normal(float(d.mean()), float(d.std()), low=0.5 * float(d.mean())),
        length=Normal(float(L.mean()), float(L.std()), low=max(float(d.mean()), 0.3 * float(L.mean()))),
        orientation=Aligned((1.0, 0.0, 0.0), spread_deg=spread),
    )


def run(ctx: Context) -> Outcome:
    t = ctx.config["twins"]
    target_all = ctx.run.read_json("target_samples")
    target = {p: np.asarray(target_all[p], dtype=float) for p in PARAMETERS}
    spec0 = starting_spec(target_all) if t["start"] == "scan" else nominal_spec(target_all, t)
    shape, h = tuple(t["block_shape"]), float(t["voxel_size"])
    library = BlockLibrary(shape, h)
    seeds = np.random.SeedSequence([ctx.seed, 4]).generate_state(len(t["angles"]), dtype=np.uint64)
    loops, report = [], {}
    for angle, seed in zip(t["angles"], seeds):
        theta = math.radians(angle)
        loop = closed_loop(target, spec0.rotated_in_plane(angle), shape, h, threshold=t["threshold"],
                           max_iter=t["max_iter"], seed=int(seed), parameters=PARAMETERS,
                           reference_direction=(math.cos(theta), math.sin(theta), 0.0), block_size=BLOCK_UM,
                           periodic=True, device=ctx.device, progress=ctx.progress, method=t["method"])
        tuned = loop.history[-1].spec.rotated_in_plane(-angle)  # back to the 0° frame of the library
        for kind in ("inner", "outer"):
            library.add_procedural(f"{kind}_{angle:g}", tuned, angle, kind=kind, seed=int(seed),
                                   method=t["method"])
        loops.append((angle, loop))
        report[f"{angle:g}"] = {
            "converged": loop.converged,
            "iterations": loop.iterations,
            "actions": [step.action for step in loop.history],
            "S": {p: [round(float(s), 4) for s in loop.S(p)] for p in PARAMETERS},
            "spec": tuned.to_dict(),
            "achieved_volume_fraction": float(loop.twin.achieved_volume_fraction),
        }
    out = Outcome()
    library.save(ctx.run.path / "volumes" / "library")
    out.outputs["library"] = "volumes/library"
    out.outputs["twins"] = ctx.run.rel(ctx.run.write_json("twins", report))
    plt = pyplot()
    cols = min(2, len(loops))  # two per row and one shared legend: four in a row shrank them unreadably
    rows = math.ceil(len(loops) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.6 * rows + 0.6), constrained_layout=True,
                             squeeze=False)
    for ax, (angle, loop) in zip(axes.ravel(), loops):
        loop.plot(ax)
        ax.set_title(f"{angle:g}° block: S per iteration " + ("(converged)" if loop.converged else "(not converged)"))
        ax.get_legend().remove()
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(names))
    for ax in axes.ravel()[len(loops):]:
        ax.axis("off")
    out.figures.append(ctx.figure("closed_loop_S", fig))
    out.figures.append(ctx.figure("unit_twins", panels(
        [(f"{angle:g}° unit twin (XY)", mid_slice(loop.twin.labels), "phase") for angle, loop in loops])))
    fig3d, how3d = twins_3d(ctx, [(angle, loop.twin.labels) for angle, loop in loops], h)  # seed 000 Fig. 2
    out.figures.append(fig3d)
    out.summary = {
        "3D pictures": how3d,
        "block": f"{shape[0]}×{shape[1]}×{shape[2]} voxels at {h:g} µm",
        f"starting spec ({t['start']})": spec0.to_dict(),
        "converged (per angle)": {k: v["converged"] for k, v in report.items()},
        "iterations (per angle)": {k: v["iterations"] for k, v in report.items()},
        "final S (diameter, length, misalignment, volume fraction)":
            {k: [v["S"][p][-1] for p in PARAMETERS] for k, v in report.items()},
    }
    return out
