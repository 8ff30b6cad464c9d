"""Adversarial refinement of a calibrated excursion-set model (seed 001's GAN-assisted calibration).

The model keeps its few interpretable parameters; a small 2D convolutional discriminator (torch)
learns to tell the real images from slices of model samples, and the correlation lengths are
refined by a derivative-free pattern search on

    loss(lengths) = S2 misfit to the images (closed form)  +  weight * adversarial term,

the adversarial term being the non-saturating generator loss mean(softplus(-D(slices))) of the
current discriminator on slices of a sample drawn with the candidate lengths. The discriminator is
retrained on each accepted model, so the two alternate as in a GAN while the generator stays a
low-parametric random set. The volume fraction is observed directly and kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .. import _validate
from .models import ExcursionModel

__all__ = ["refine", "Discriminator"]


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is in the ai extra
        raise ImportError("method='adversarial' needs torch: pip install 'voxtwin[ai]'") from None
    return torch


def Discriminator(channels: int = 16) -> Any:  # noqa: N802 - a torch module factory
    """A small 2D CNN: patch (N, 1, p, p) of labels in {0, 1} -> one logit per patch."""
    torch = _torch()
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(channels, 2 * channels, 3, stride=2, padding=1), nn.LeakyReLU(0.2),
        nn.Conv2d(2 * channels, 2 * channels, 3, stride=1, padding=1), nn.LeakyReLU(0.2),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2 * channels, 1),
    )


def _patches(images: list[np.ndarray], phase: int, patch: int, count: int, rng: np.random.Generator) -> np.ndarray:
    out = np.empty((count, 1, patch, patch), np.float32)
    for i in range(count):
        img = images[rng.integers(len(images))]
        x = rng.integers(img.shape[0] - patch + 1)
        y = rng.integers(img.shape[1] - patch + 1)
        out[i, 0] = img[x:x + patch, y:y + patch] == phase
    return out


def refine(model: ExcursionModel, images: Mapping[str, list[np.ndarray]], voxel_size: float, *, seed: int = 0,
           rounds: int = 6, weight: float = 0.05, patch: int = 32, batch: int = 64, epochs: int = 40,
           step: float = 0.15, sample_side: int = 64) -> ExcursionModel:
    """Refines ``model.correlation_lengths`` against a 2D discriminator on top of the S2 loss.

    Parameters
    ----------
    rounds:
        Alternations (train D, search the lengths).
    weight:
        Weight of the adversarial term against the S2 misfit (sum of squares over all axes and r).
    patch, batch, epochs:
        Discriminator patches (pixels), patches per step, optimizer steps per round.
    step:
        Initial pattern-search step on log(length); halved when no move helps.
    sample_side:
        Edge (voxels) of the model samples that slices are cut from.

    Returns the refined model; ``info["adversarial"]`` holds the loss history.
    """
    torch = _torch()
    size = _validate.positive("voxel_size", voxel_size, "µm")
    _validate.integer("rounds", rounds, minimum=1)
    _validate.positive("weight", weight)
    p = _validate.integer("patch", patch, minimum=8)
    smallest = min(min(img.shape) for imgs in images.values() for img in imgs)
    if p > smallest or p > sample_side:
        raise ValueError(f"`patch` must fit in every image and sample (<= {min(smallest, sample_side)}), got patch={patch}")
    from .calibrate import observed_s2, plane_slices

    phase = model.phase
    phi, s2 = observed_s2(images, phase, size)
    planes = list(images)
    real = [img for imgs in images.values() for img in imgs]
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    disc = Discriminator()
    opt = torch.optim.Adam(disc.parameters(), lr=2e-3, betas=(0.5, 0.999))
    bce = torch.nn.BCEWithLogitsLoss()

    def s2_loss(m: ExcursionModel) -> float:
        return float(sum((((m.s2(np.arange(1, v.size) * size, a) - v[1:]) ** 2).sum()) for a, v in s2.items()))

    def fake(m: ExcursionModel, k: int) -> np.ndarray:
        sl = plane_slices(m.sample((sample_side,) * 3, size, seed + 1000 + k), planes)
        return _patches([s for v in sl.values() for s in v], phase, p, batch, rng)

    def adversarial(m: ExcursionModel, k: int) -> float:
        with torch.no_grad():
            logits = disc(torch.from_numpy(fake(m, k)))
            return float(torch.nn.functional.softplus(-logits).mean())

    current = model
    history: list[dict[str, float]] = []
    log_step = step
    for r in range(rounds):
        disc.train()
        for e in range(epochs):
            xr = torch.from_numpy(_patches(real, phase, p, batch, rng))
            xf = torch.from_numpy(fake(current, r * epochs + e))
            logits = disc(torch.cat([xr, xf]))
            target = torch.cat([torch.ones(batch, 1), torch.zeros(batch, 1)])
            opt.zero_grad()
            loss_d = bce(logits, target)
            loss_d.backward()
            opt.step()
        disc.eval()
        best = current
        best_loss = s2_loss(current) + weight * adversarial(current, 10_000 + r)
        history.append({"round": r, "loss": best_loss, "discriminator_loss": float(loss_d.detach())})
        improved = False
        for axis in range(3):
            for sign in (1.0, -1.0):
                lengths = list(best.correlation_lengths)
                lengths[axis] *= float(np.exp(sign * log_step))
                trial = replace(best, correlation_lengths=tuple(lengths), info={})
                loss = s2_loss(trial) + weight * adversarial(trial, 10_000 + r)
                if loss < best_loss:
                    best, best_loss, improved = trial, loss, True
        current = best
        if not improved:
            log_step *= 0.5
    info = dict(model.info)
    info["method"] = "adversarial"
    info["adversarial"] = history
    return replace(current, info=info)
