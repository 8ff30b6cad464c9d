"""Stage 3 — fibre statistics of the segmented scan: the target of the unit twins."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...characterize import characterize
from ..context import Context, pyplot
from ._base import Outcome

NAME = "characterize"
DEPENDS = ("segment",)
BLOCK_UM = 64.0  # edge of the subset blocks whose fibre fractions are compared with the twins'


def settings(config: dict[str, Any]) -> dict[str, Any]:
    return {"characterization": config["characterization"], "block_um": BLOCK_UM}


def _histograms(stats: Any, samples: dict[str, np.ndarray]) -> Any:
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), constrained_layout=True)
    for ax, (name, unit) in zip(axes, (("diameter", "µm"), ("length", "µm"), ("misalignment", "degrees"))):
        x = samples[name]
        if x.size:
            ax.hist(x, bins=min(30, max(5, x.size // 4)), density=True, color="#c0392b", alpha=0.6)
            mu, sd = float(x.mean()), float(x.std())
            if sd > 0:
                t = np.linspace(x.min(), x.max(), 200)
                ax.plot(t, np.exp(-0.5 * ((t - mu) / sd) ** 2) / (sd * np.sqrt(2 * np.pi)), "k-",
                        label=f"Gaussian fit μ={mu:.1f}, σ={sd:.1f}")
                ax.legend(fontsize=8)
        ax.set_xlabel(f"{name} ({unit})")
        ax.set_ylabel(f"probability density (1/{unit})")
        ax.set_title(f"{name}: {x.size} fibres")
    return fig


def run(ctx: Context) -> Outcome:
    c = ctx.config["characterization"]
    labels, voxel_size = ctx.volume("labels")
    stats = characterize(labels, voxel_size, fibre_label=c["fibre_label"], periodic=c["periodic"])
    blocks = tuple(max(1, round(n * voxel_size / BLOCK_UM)) for n in labels.shape)
    samples = {name: np.asarray(stats.samples(name), dtype=float) for name in ("diameter", "length", "misalignment")}
    samples["volume_fraction"] = np.asarray(stats.samples("volume_fraction", n_blocks=blocks), dtype=float)
    target = {
        **{k: v.tolist() for k, v in samples.items()},
        "principal_direction": stats.principal_direction.tolist(),
        "block_um": [n * voxel_size / b for n, b in zip(labels.shape, blocks)],
        "fibre_fraction": float(stats.volume_fractions.get(c["fibre_label"], 0.0)),
        "voxel_size": voxel_size,
    }
    out = Outcome()
    out.outputs["target"] = ctx.run.rel(ctx.run.write_json("target_samples", target))
    out.outputs["fibres"] = ctx.run.rel(stats.to_csv(ctx.run.file("tables", "fibres.csv")))
    out.outputs["summary"] = ctx.run.rel(stats.to_json(ctx.run.file("results", "characterization.json")))
    out.figures.append(ctx.figure("fibre_statistics", _histograms(stats, samples)))
    profile = stats.profile(axis=2, n_bins=8)
    fig, ax = pyplot().subplots(figsize=(6, 3.4), constrained_layout=True)
    profile.plot(ax)
    ax.set_title("orientation and fibre fraction along z (scan)")
    out.figures.append(ctx.figure("scan_orientation_profile", fig))
    fits = {name: [round(float(v.mean()), 3), round(float(v.std()), 3)] for name, v in samples.items() if v.size}
    out.summary.update({
        "fibres found": int(len(stats.fibres)),
        "fibres not cut by the boundary": int(samples["diameter"].size),
        "mean, std (µm, degrees, fraction)": fits,
        "orientation tensor a_ij": np.round(stats.orientation_tensor, 4).tolist(),
        "volume fractions": {str(k): round(float(v), 4) for k, v in stats.volume_fractions.items()},
    })
    return out
