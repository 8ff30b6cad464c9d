"""Multi-plane reverse diffusion with harmonized sampling (seed 003 §2.3.2, eqs. 16-17).

A volume ``x_t`` (C, X, Y, Z) is denoised by the 2D model one plane at a time: step k re-slices it
along plane ``order[k % 3]`` (xy slices at fixed z, xz at fixed y, yz at fixed x), denoises every
slice under that plane's condition and re-assembles the volume. Harmonizing (n_h > 0) first
iterates "denoise t -> s, re-noise s -> t with the forward process" n_h times on the re-sliced
sample and then denoises γ·ʰx_t + (1 - γ)·x_t (eq. 17). With ``match_moments`` the blend is first
shifted and scaled, per channel, to the mean and standard deviation of x_t: averaging two samples
whose x̂_0 and noise are partly independent shrinks the variance, the denoiser reads the shrunken
input as a lower-contrast structure, and its x̂_0 slides towards the mean, i.e. into the majority
phase. On the issue-17 benchmark the plain blend (eq. 17 as printed) drained the fibre phase from
0.35 to 0.06-0.26 for well-trained models; matched, 0.36-0.40 (benchmarks/RESULTS.md, "Issue 17,
2026-12-03 (c)").

The update from t to s < t is the generalised (DDIM) step with the model's x̂_0 and ε̂:
x_s = √ᾱ_s x̂_0 + √(1 - ᾱ_s - σ²) ε̂ + σ z,  σ = η √((1 - ᾱ_s)/(1 - ᾱ_t) · (1 - ᾱ_t/ᾱ_s));
η = 1 is the DDPM ancestral step (posterior variance), η = 0 the deterministic DDIM step.
Slices wider than the training crop are denoised by overlapping windows whose predictions are
blended (sliding windows), so a model trained on 32² crops samples 128³ volumes. The blend weighs
each window's prediction by a Hann taper sin²(π(u + ½)/size) per axis (u = pixel in the window),
which falls to ~0 at the window's edges, where its prediction is worst and where a plain average
switches abruptly between window pairs; with half-window overlap the tapers sum to one. "mean"
(the plain average) left seams at window borders on the issue-17 benchmark (RESULTS "Issue 17").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["timesteps", "windows", "reverse_step", "match_moments", "multiplane_sample", "slice_sample"]

# Fraction of a window shared with its neighbour when slices exceed the training crop.
WINDOW_OVERLAP = 0.5
# How overlapping window predictions are combined: Hann-tapered weights or the plain mean.
BLENDS = ("hann", "mean")

# How a multi-plane step combines the planes: one plane per step in turn ("cycle", the seed's), or
# x̂_0 averaged over all planes of ``order`` every step ("mean"; 3x the model calls, no harmonizing).
COMBINES = ("cycle", "mean")

# Axis permutations between a (C, X, Y, Z) volume and a batch of plane slices (N, C, H, W).
_TO_SLICES = {"xy": (3, 0, 1, 2), "xz": (2, 0, 1, 3), "yz": (1, 0, 2, 3)}


def timesteps(total: int, steps: int) -> list[int]:
    """``steps`` decreasing time indices from ``total`` down to 1 (evenly spaced), then 0 is the target."""
    if steps >= total:
        return list(range(total, 0, -1))
    return sorted({int(round(v)) for v in np.linspace(total, 1, steps)}, reverse=True)


def windows(length: int, size: int, overlap: float = WINDOW_OVERLAP) -> list[int]:
    """Start offsets of windows of ``size`` covering ``length``, neighbours sharing about ``overlap``
    of a window (0 = disjoint tiles, the last one shifted back to end at ``length``)."""
    if length <= size:
        return [0]
    stride = max(1, int(size * (1 - overlap)))
    starts = list(range(0, length - size + 1, stride))
    if starts[-1] != length - size:
        starts.append(length - size)
    return starts


def taper(n: int, size: int, blend: str) -> np.ndarray:
    """Blend weights of ``n`` pixels of a window along one axis (ones for "mean" or n < size)."""
    if blend == "mean" or n < size:
        return np.ones(n)
    return np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2


def windowed(fn: Callable[[Any], Any], x: Any, size: int, overlap: float = WINDOW_OVERLAP,
             blend: str = "hann") -> Any:
    """Apply ``fn`` to (N, C, H, W) through ``size``² windows sharing ``overlap`` of a window with
    their neighbours, blending overlaps by ``blend`` weights (identity when H, W <= size)."""
    torch = _torch()
    n, c, h, w = x.shape
    if h <= size and w <= size:
        return fn(x)
    hi, wj = min(size, h), min(size, w)
    wt = torch.as_tensor(np.outer(taper(hi, size, blend), taper(wj, size, blend)), dtype=x.dtype, device=x.device)
    out = torch.zeros_like(x)
    total = torch.zeros((1, 1, h, w), dtype=x.dtype, device=x.device)
    for i in windows(h, size, overlap):
        for j in windows(w, size, overlap):
            out[:, :, i:i + hi, j:j + wj] += wt * fn(x[:, :, i:i + hi, j:j + wj])
            total[:, :, i:i + hi, j:j + wj] += wt
    return out / total


def _torch() -> Any:
    import torch

    return torch


def reverse_step(x_t: Any, x0: Any, ab_t: float, ab_s: float, eta: float, noise: Any | None) -> Any:
    """x_s from x_t and the estimate x̂_0 (generalised DDIM step, see module docstring)."""
    eps = (x_t - ab_t ** 0.5 * x0) / (1 - ab_t) ** 0.5
    var = eta ** 2 * (1 - ab_s) / (1 - ab_t) * (1 - ab_t / ab_s) if ab_s < 1 else 0.0
    x_s = ab_s ** 0.5 * x0 + max(1 - ab_s - var, 0.0) ** 0.5 * eps
    if var > 0 and noise is not None:
        x_s = x_s + var ** 0.5 * noise
    return x_s


def _renoise(x_s: Any, ab_t: float, ab_s: float, noise: Any) -> Any:
    """Forward process s -> t (eq. 16 for s = t - 1): √(ᾱ_t/ᾱ_s) x_s + √(1 - ᾱ_t/ᾱ_s) z."""
    a = ab_t / ab_s
    return a ** 0.5 * x_s + (1 - a) ** 0.5 * noise


def _randn(shape: Sequence[int], gen: Any, like: Any) -> Any:
    torch = _torch()
    return torch.randn(tuple(shape), generator=gen, device=like.device, dtype=like.dtype)


def match_moments(x: Any, like: Any) -> Any:
    """``x`` (N, C, H, W) shifted and scaled per channel to the mean and standard deviation of ``like``."""
    dims = (0, 2, 3)
    mx, sx = x.mean(dim=dims, keepdim=True), x.std(dim=dims, keepdim=True)
    ml, sl = like.mean(dim=dims, keepdim=True), like.std(dim=dims, keepdim=True)
    return ml + (x - mx) * (sl / sx.clamp_min(1e-12))


def multiplane_sample(predict_x0: Callable[[Any, int, str], Any], x: Any, alpha_bar: np.ndarray, steps: Sequence[int],
                      order: Sequence[str], harmonize: int, gamma: float, eta: float, gen: Any,
                      bar: Any | None = None, combine: str = "cycle", moments: bool = True) -> Any:
    """Reverse-diffuse the volume ``x`` (C, X, Y, Z, pure noise at t = steps[0]) to x_0.

    ``predict_x0(slices (N, C, H, W), t, plane)`` returns x̂_0 of the slices (windowing, guidance
    and clipping are the caller's); one model call per slice batch and per harmonizing pass.
    ``combine="mean"`` averages x̂_0 of every plane of ``order`` in each step (``harmonize`` unused);
    ``moments``: rescale the harmonizing blend to x_t's moments (module docstring).
    """
    ts = list(steps) + [0]
    for k in range(len(ts) - 1):
        t, s = ts[k], ts[k + 1]
        ab_t, ab_s = float(alpha_bar[t]), float(alpha_bar[s])
        if combine == "mean":
            x0 = sum(predict_x0(x.permute(*_TO_SLICES[p]), t, p).permute(*np.argsort(_TO_SLICES[p]))
                     for p in order) / len(order)
            x = reverse_step(x, x0, ab_t, ab_s, eta, _randn(x.shape, gen, x) if s > 0 else None).contiguous()
            if bar is not None:
                bar.update(1)
            continue
        plane = order[k % len(order)]
        perm = _TO_SLICES[plane]
        xt = x.permute(*perm)  # (N, C, H, W) view of the volume along ``plane``
        h = xt
        for _ in range(harmonize):
            x0 = predict_x0(h, t, plane)
            xs = reverse_step(h, x0, ab_t, ab_s, eta, _randn(h.shape, gen, h))
            h = _renoise(xs, ab_t, ab_s, _randn(h.shape, gen, h))
        inp = xt
        if harmonize > 0:
            inp = gamma * h + (1 - gamma) * xt
            if moments:
                inp = match_moments(inp, xt)
        x0 = predict_x0(inp, t, plane)
        xs = reverse_step(inp, x0, ab_t, ab_s, eta, _randn(inp.shape, gen, inp) if s > 0 else None)
        x = xs.permute(*np.argsort(perm)).contiguous()
        if bar is not None:
            bar.update(1)
    return x


def slice_sample(predict_x0: Callable[[Any, int, str], Any], x: Any, alpha_bar: np.ndarray, steps: Sequence[int],
                 plane: str, eta: float, gen: Any, bar: Any | None = None) -> Any:
    """Plain 2D reverse diffusion of a batch of slices (N, C, H, W) under one plane's condition."""
    ts = list(steps) + [0]
    for k in range(len(ts) - 1):
        t, s = ts[k], ts[k + 1]
        x0 = predict_x0(x, t, plane)
        x = reverse_step(x, x0, float(alpha_bar[t]), float(alpha_bar[s]), eta,
                         _randn(x.shape, gen, x) if s > 0 else None)
        if bar is not None:
            bar.update(1)
    return x
