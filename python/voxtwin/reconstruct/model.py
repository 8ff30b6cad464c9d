"""PlaneDiffusion: a plane-conditioned 2D diffusion model that samples 3D volumes (seed 003).

Defaults follow the seed's Table 1 (U-Net base 128, multipliers 1/2/4/8, self- and cross-attention
on levels 2-4, 3 ResNet blocks, embedding 512, 8 heads of 64, T = 1000 linear β 1e-4 -> 1e-2,
ε-prediction, condition dropped with probability 0.1, Adam lr 1e-4, batch 32, 64² images).
:meth:`PlaneDiffusion.small` is a CPU-sized configuration (0.41 M parameters, 32² crops) that keeps
the seed's ε-prediction and linear schedule: on the issue-17 benchmark, v- and x0-prediction with a
cosine schedule, clipped x̂_0 and EMA gave far better 2D samples but let the 3D multi-plane samples
lose the phase (φ 0.35 -> 0.1-0.27), while ε-prediction with strided DDPM steps and n_h = 1 kept
3D φ and S2 (see benchmarks/RESULTS.md, "Issue 17"). Every choice stays settable.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .. import _validate
from .._progress import progress_bar
from .data import PLANES, Encoding, infer_encoding, plane_stacks, random_crops
from .sampler import BLENDS, COMBINES, WINDOW_OVERLAP, multiplane_sample, slice_sample, timesteps, windowed
from .schedule import SCHEDULES, alpha_bar
from .unet import NULL_CONDITION, build_unet

__all__ = ["PlaneDiffusion", "Config", "PREDICTIONS", "LR_DECAYS", "learning_rates"]

PREDICTIONS = ("eps", "x0", "v")
# How the learning rate evolves over one fit() call after the warmup: held, or annealed to zero.
LR_DECAYS = ("constant", "cosine", "linear")


@dataclass(frozen=True)
class Config:
    """Every hyperparameter of :class:`PlaneDiffusion` (Table 1 of seed 003 as defaults).

    size: training crop in pixels (must divide by 2**(levels - 1)); base, multipliers, attention,
    cross_attention, res_blocks, embedding, heads, head_dim: the U-Net; timesteps, schedule,
    beta_start, beta_end: the forward process; prediction: what the network outputs ("eps", "x0"
    or "v" = √ᾱ ε - √(1-ᾱ) x_0); drop_condition: classifier-free-guidance dropout; lr, batch:
    Adam; warmup: steps of linear learning-rate warmup at the start of each fit() call; decay: the
    learning rate after the warmup over that call, "constant" (the seed's) or annealed to zero by
    "cosine" or "linear"; ema: decay of the weight average used for sampling (0 = none); clip: clip
    x̂_0 to [-1, 1].
    """

    size: int = 64
    base: int = 128
    multipliers: tuple[int, ...] = (1, 2, 4, 8)
    attention: tuple[bool, ...] = (False, True, True, True)
    cross_attention: tuple[bool, ...] = (False, True, True, True)
    res_blocks: int = 3
    embedding: int = 512
    heads: int = 8
    head_dim: int = 64
    dropout: float = 0.0
    timesteps: int = 1000
    schedule: str = "linear"
    beta_start: float = 1e-4
    beta_end: float = 1e-2
    prediction: str = "eps"
    drop_condition: float = 0.1
    lr: float = 1e-4
    batch: int = 32
    warmup: int = 0
    decay: str = "constant"
    ema: float = 0.0
    clip: bool = False

    def __post_init__(self) -> None:
        _validate.integer("size", self.size, minimum=4)
        _validate.integer("base", self.base, minimum=2)
        levels = len(self.multipliers)
        if levels < 1 or self.size % (2 ** (levels - 1)):
            raise ValueError(f"`size` must be divisible by 2**(len(multipliers) - 1) = {2 ** max(levels - 1, 0)}, "
                             f"got size={self.size}")
        _validate.integer("res_blocks", self.res_blocks, minimum=1)
        _validate.integer("timesteps", self.timesteps, minimum=2)
        _validate.choice("schedule", self.schedule, SCHEDULES)
        _validate.choice("prediction", self.prediction, PREDICTIONS)
        _validate.fraction("drop_condition", self.drop_condition, open_low=False)
        _validate.positive("lr", self.lr)
        _validate.integer("batch", self.batch, minimum=1)
        _validate.integer("warmup", self.warmup, minimum=0)
        _validate.choice("decay", self.decay, LR_DECAYS)
        _validate.fraction("ema", self.ema, open_low=False)


class PlaneDiffusion:
    """Conditional 2D DDPM on images of the xy, xz and yz planes; samples 3D volumes by
    multi-plane denoising with harmonized sampling (seed 003).

    Build with keyword hyperparameters (see :class:`Config`; Table 1 by default) or
    :meth:`small`; :meth:`fit` on images of the three planes; :meth:`sample` a volume;
    :meth:`save` / :meth:`load`.
    """

    def __init__(self, size: int = 64, phases: Sequence[int] | str | None = None, base: int = 128, **hyper: Any) -> None:
        """``size``: training crop (pixels); ``phases``: labels (default: those found in the images),
        or "grey" for grey-value images; ``base`` and ``hyper``: :class:`Config` fields."""
        self.config = Config(size=size, base=base, **hyper)
        self.size = self.config.size
        self.phases = phases
        self.encoding = None
        self.steps_trained = 0
        self.losses = []
        self.fractions: tuple[float, ...] | None = None  # phase fractions of the training images
        self._net = None
        self._ema = None
        self._alpha_bar = alpha_bar(self.config.schedule, self.config.timesteps, self.config.beta_start,
                                    self.config.beta_end)

    @classmethod
    def small(cls, size: int = 32, phases: Sequence[int] | str | None = None, **hyper: Any) -> PlaneDiffusion:
        """A configuration that trains on a CPU in minutes (0.41 M parameters; 1,200 steps of 24 crops).

        Its learning rate warms up over 100 steps and then decays to zero (cosine): on the issue-17
        benchmark this lowered the final loss and the 2D samples' phase-fraction bias on all three
        training seeds tried (benchmarks/RESULTS.md, "Issue 17, 2026-12-03 (b)" and "(c)")."""
        cfg = dict(base=16, multipliers=(1, 2, 4), attention=(False, False, True), cross_attention=(False, False, True),
                   res_blocks=1, embedding=64, heads=2, head_dim=16, timesteps=1000, schedule="linear",
                   prediction="eps", lr=2e-3, batch=24, ema=0.0, clip=False, warmup=100, decay="cosine")
        cfg.update(hyper)
        return cls(size=size, phases=phases, **cfg)

    # ---------------------------------------------------------------- network
    def _build(self, device: str) -> None:
        c = self.config
        assert c is not None and self.encoding is not None
        self._net = build_unet(self.encoding.channels, c.base, c.multipliers, c.attention, c.cross_attention,
                               c.res_blocks, c.embedding, c.heads, c.head_dim, c.dropout).to(device)
        self._ema = copy.deepcopy(self._net).requires_grad_(False) if c.ema > 0 else None

    @property
    def parameters(self) -> int:
        """Number of trainable parameters (0 before :meth:`fit`)."""
        return 0 if self._net is None else sum(p.numel() for p in self._net.parameters())

    def _sampling_net(self) -> Any:
        if self._net is None:
            raise RuntimeError("PlaneDiffusion has not been fitted: call fit(...) or PlaneDiffusion.load(...)")
        return self._ema if self._ema is not None else self._net

    # ---------------------------------------------------------------- training
    def fit(self, images: Mapping[str, Any], steps: int = 60_000, seed: int = 0, device: str = "cpu", *,
            progress: bool = True) -> PlaneDiffusion:
        """Train on images of the three planes (continues training when called again).

        ``images``: ``{"xy": ..., "xz": ..., "yz": ...}``, each a 2D image, a stack (n, H, W) or a
        list of them, indexed like the volume (xy ``[x, y]``, xz ``[x, z]``, yz ``[y, z]``); labels
        (any number of phases) or grey values. ``steps``: optimiser steps of ``batch`` random
        crops (with flips) drawn from all three planes in equal shares; ``seed``: crops, noise and
        (first call) the initial weights; ``device``: "cpu" or "cuda".
        """
        torch = _torch()
        c = self.config
        assert c is not None
        n_steps = _validate.integer("steps", steps, minimum=1)
        sd = _validate.seed(seed)
        dev = _device(device)
        stacks = plane_stacks(images, c.size)
        if self.encoding is None:
            self.encoding = infer_encoding(stacks, self.phases)
        enc = {p: self.encoding.encode(stacks[p]) for p in PLANES}  # (n, C, H, W) float32
        if self.encoding.labels is not None and self.fractions is None:  # planes weighted equally, like the crops
            self.fractions = tuple(float(np.mean([np.mean(stacks[p] == v) for p in PLANES]))
                                   for v in self.encoding.labels)
        rng = np.random.default_rng(sd)
        torch.manual_seed(sd)
        if self._net is None:
            self._build(dev)
        net = self._net.to(dev).train()
        if self._ema is not None:
            self._ema.to(dev)
        opt = torch.optim.Adam(net.parameters(), lr=c.lr)
        rates = learning_rates(c.lr, n_steps, c.warmup, c.decay)
        ab = torch.tensor(self._alpha_bar, dtype=torch.float32, device=dev)
        gen = torch.Generator(device=dev).manual_seed(sd)
        per = [c.batch // 3 + (1 if i < c.batch % 3 else 0) for i in range(3)]
        bar = progress_bar(n_steps, desc="reconstruct fit", enabled=progress, unit="step")
        try:
            for i in range(n_steps):
                for group in opt.param_groups:
                    group["lr"] = float(rates[i])
                crops = np.concatenate([random_crops(enc[p], k, c.size, rng) for p, k in zip(PLANES, per)])
                cond = np.repeat(np.arange(3), per)
                drop = rng.random(c.batch) < c.drop_condition
                cond[drop] = NULL_CONDITION
                x0 = torch.from_numpy(crops).to(dev)
                t = torch.from_numpy(rng.integers(1, c.timesteps + 1, size=c.batch)).to(dev)
                noise = torch.randn(x0.shape, generator=gen, device=dev)
                a = ab[t].view(-1, 1, 1, 1)
                xt = a.sqrt() * x0 + (1 - a).sqrt() * noise
                out = net(xt, t.float() / c.timesteps, torch.from_numpy(cond).to(dev))
                target = {"eps": noise, "x0": x0, "v": a.sqrt() * noise - (1 - a).sqrt() * x0}[c.prediction]
                loss = torch.mean((out - target) ** 2)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                if self._ema is not None:
                    with torch.no_grad():
                        for pe, pn in zip(self._ema.parameters(), net.parameters()):
                            pe.lerp_(pn, 1 - c.ema)
                self.losses.append(float(loss.detach()))
                self.steps_trained += 1
                bar.update(1)
        finally:
            bar.close()
        net.eval()
        return self

    # ---------------------------------------------------------------- sampling
    def _predictor(self, guidance: float, conditional: bool, overlap: float = WINDOW_OVERLAP,
                   blend: str = "hann") -> Any:
        torch = _torch()
        c = self.config
        assert c is not None
        net = self._sampling_net().eval()

        def predict_x0(x: Any, t: int, plane: str) -> Any:
            def run(xw: Any) -> Any:
                n = xw.shape[0]
                tt = torch.full((n,), t / c.timesteps, dtype=xw.dtype, device=xw.device)
                idx = PLANES.index(plane) if conditional else NULL_CONDITION
                out = net(xw, tt, torch.full((n,), idx, dtype=torch.long, device=xw.device))
                if guidance != 1.0 and conditional:  # eq. 9: ω·cond + (1 - ω)·uncond
                    un = net(xw, tt, torch.full((n,), NULL_CONDITION, dtype=torch.long, device=xw.device))
                    out = guidance * out + (1 - guidance) * un
                return out

            with torch.no_grad():
                out = windowed(run, x, c.size, overlap, blend)
                a = float(self._alpha_bar[t])
                if c.prediction == "eps":
                    x0 = (x - (1 - a) ** 0.5 * out) / a ** 0.5
                elif c.prediction == "x0":
                    x0 = out
                else:
                    x0 = a ** 0.5 * x - (1 - a) ** 0.5 * out
                return x0.clamp(-1, 1) if c.clip else x0

        return predict_x0

    def _schedule(self, steps: int | None, sampler: str, eta: float | None) -> tuple[list[int], float]:
        c = self.config
        assert c is not None
        kind = _validate.choice("sampler", sampler, ("ddpm", "ddim"))
        n = c.timesteps if steps is None else _validate.integer("steps", steps, minimum=1)
        e = (1.0 if kind == "ddpm" else 0.0) if eta is None else _validate.non_negative("eta", eta)
        return timesteps(c.timesteps, n), e

    def sample(self, shape: Sequence[int], harmonize: int = 4, gamma: float = 0.5, steps: int | None = None,
               seed: int = 0, device: str = "cpu", *, sampler: str = "ddpm", eta: float | None = None,
               guidance: float = 1.0, conditional: bool = True, order: Sequence[str] = PLANES,
               overlap: float = WINDOW_OVERLAP, blend: str = "hann", match_fraction: bool = False,
               combine: str = "cycle", match_moments: bool = True, progress: bool = True) -> np.ndarray:
        """A 3D volume ``shape`` = (X, Y, Z) by multi-plane reverse diffusion.

        ``harmonize`` (n_h) and ``gamma`` (γ): harmonized sampling, eq. 17 (0 = vanilla multi-plane
        denoising); ``steps``: reverse steps (default T; fewer = strided schedule); ``sampler``:
        "ddpm" (ancestral, η = 1) or "ddim" (η = 0 unless ``eta`` is given); ``guidance``: ω of
        eq. 9 (1 = purely conditional); ``conditional=False`` ignores the plane condition (a
        control); ``order``: the cycle of planes; ``overlap``: fraction of a window shared with its
        neighbour when slices exceed the training crop (0 = disjoint tiles, a control that shows
        seams); ``blend``: "hann" (tapered weights, default) or "mean" (plain average of the
        overlapping windows' predictions, which leaves seams); ``match_fraction``: two-phase labels
        only, decode the final x̂_0 by rank to the training images' phase fraction
        (:attr:`fractions`) instead of thresholding at 0 (pins φ but worsened the lineal path
        2-4x on the issue-17 benchmark, see :meth:`decode_matched`); ``combine``: "cycle" (one plane per
        step in turn, the seed's) or "mean" (x̂_0 averaged over the planes of ``order`` every step:
        one model call per plane, no harmonizing, so it needs ``harmonize=0``; see
        benchmarks/RESULTS.md, "Issue 17, 2026-12-03 (b)"); ``match_moments``: shift and scale the
        harmonizing blend γ·ʰx_t + (1 - γ)·x_t to x_t's mean and standard deviation before denoising
        (False: eq. 17 as printed, whose shrunken blend drains the minority phase; see
        :mod:`voxtwin.reconstruct.sampler`).
        Returns uint8 labels (or grey float32). Each step costs (harmonize + 1) model calls
        (``len(order)`` for "mean") on X·Y·Z / size² windows of slices.
        """
        torch = _torch()
        s3 = _validate.shape3("shape", tuple(shape))
        if min(s3) < self.size:
            raise ValueError(f"`shape` must be at least the training size {self.size} on each axis, got {s3}")
        nh = _validate.integer("harmonize", harmonize, minimum=0)
        g = _validate.fraction("gamma", gamma, open_low=False, open_high=False)
        ov = _validate.fraction("overlap", overlap, open_low=False, open_high=True)
        bl = _validate.choice("blend", blend, BLENDS)
        cb = _validate.choice("combine", combine, COMBINES)
        if cb == "mean" and nh > 0:
            raise ValueError(f"`combine='mean'` averages the planes without harmonizing: pass harmonize=0, "
                             f"got harmonize={nh}")
        if match_fraction and (self.encoding is None or self.encoding.channels != 1 or self.fractions is None):
            raise ValueError("`match_fraction=True` needs a model fitted on two-phase label images")
        for p in order:
            _validate.choice("order", p, PLANES)
        ts, e = self._schedule(steps, sampler, eta)
        dev = _device(device)
        self._sampling_net().to(dev)
        gen = torch.Generator(device=dev).manual_seed(_validate.seed(seed))
        assert self.encoding is not None
        x = torch.randn((self.encoding.channels, *s3), generator=gen, device=dev)
        bar = progress_bar(len(ts), desc="reconstruct sample", enabled=progress, unit="step")
        try:
            x = multiplane_sample(self._predictor(guidance, conditional, ov, bl), x, self._alpha_bar, ts,
                                  tuple(order), nh, g, e, gen, bar, cb, bool(match_moments))
        finally:
            bar.close()
        if match_fraction:
            return self.decode_matched(x.cpu().numpy())
        return self.encoding.decode(x.cpu().numpy())

    def decode_matched(self, x: np.ndarray) -> np.ndarray:
        """Two-phase channels ``(1, *spatial)`` -> labels with the training images' phase fraction:
        the ``fractions[1]`` share of voxels with the largest x̂_0 get the second label (ranks, not a
        threshold at 0; ties broken by position). The final x̂_0 is bimodal (near ±1), so the cut
        falls among voxels near +1 and scatters isolated matrix voxels through the fibres."""
        assert self.encoding is not None and self.encoding.labels is not None and self.fractions is not None
        v = np.asarray(x[0]).ravel()
        k = int(round(self.fractions[1] * v.size))
        lab = np.asarray(self.encoding.labels, np.uint8)
        out = np.full(v.size, lab[0], np.uint8)
        out[np.argsort(-v, kind="stable")[:k]] = lab[1]
        return out.reshape(np.asarray(x[0]).shape)

    def sample_slices(self, plane: str, count: int, shape: Sequence[int] | None = None, steps: int | None = None,
                      seed: int = 0, device: str = "cpu", *, sampler: str = "ddpm", eta: float | None = None,
                      guidance: float = 1.0, conditional: bool = True, progress: bool = True) -> np.ndarray:
        """``count`` independent 2D samples (count, H, W) of ``plane`` (default size²): the 2D model alone."""
        torch = _torch()
        p = _validate.choice("plane", plane, PLANES)
        n = _validate.integer("count", count, minimum=1)
        hw = (self.size, self.size) if shape is None else tuple(_validate.integer("shape", v, minimum=self.size) for v in shape)
        ts, e = self._schedule(steps, sampler, eta)
        dev = _device(device)
        self._sampling_net().to(dev)
        gen = torch.Generator(device=dev).manual_seed(_validate.seed(seed))
        assert self.encoding is not None
        x = torch.randn((n, self.encoding.channels, *hw), generator=gen, device=dev)
        bar = progress_bar(len(ts), desc=f"reconstruct {p} slices", enabled=progress, unit="step")
        try:
            x = slice_sample(self._predictor(guidance, conditional), x, self._alpha_bar, ts, p, e, gen, bar)
        finally:
            bar.close()
        return np.stack([self.encoding.decode(v) for v in x.cpu().numpy()])

    # ---------------------------------------------------------------- persistence
    def save(self, path: str | Path) -> Path:
        """Weights, EMA weights, configuration and encoding in one torch file."""
        torch = _torch()
        if self._net is None or self.encoding is None:
            raise RuntimeError("nothing to save: PlaneDiffusion has not been fitted")
        out = Path(path)
        torch.save({"config": asdict(self.config), "encoding": asdict(self.encoding), "phases": self.phases,
                    "steps_trained": self.steps_trained, "losses": self.losses, "fractions": self.fractions,
                    "net": self._net.state_dict(), "ema": None if self._ema is None else self._ema.state_dict()}, out)
        return out

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu") -> PlaneDiffusion:
        """A model written by :meth:`save`."""
        torch = _torch()
        d = torch.load(Path(path), map_location=_device(device), weights_only=False)
        cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in d["config"].items()}
        m = cls(phases=d["phases"], **cfg)
        enc = d["encoding"]
        m.encoding = Encoding(labels=None if enc["labels"] is None else tuple(enc["labels"]),
                              grey=None if enc["grey"] is None else tuple(enc["grey"]))
        m._build(_device(device))
        m._net.load_state_dict(d["net"])
        m._net.eval()
        if d["ema"] is not None and m._ema is not None:
            m._ema.load_state_dict(d["ema"])
        m.steps_trained = d["steps_trained"]
        m.losses = list(d["losses"])
        f = d.get("fractions")
        m.fractions = None if f is None else tuple(f)
        return m

    def with_config(self, **changes: Any) -> PlaneDiffusion:
        """A copy sharing the trained weights with sampling-side settings changed (e.g. ``clip``)."""
        m = copy.copy(self)
        m.config = replace(self.config, **changes)  # type: ignore[arg-type]
        return m


def learning_rates(lr: float, steps: int, warmup: int = 0, decay: str = "constant") -> np.ndarray:
    """Learning rate of each of ``steps`` optimiser steps: linear warmup from lr/warmup to ``lr`` over
    the first ``warmup`` steps, then held ("constant") or annealed towards zero over the remaining
    steps ("cosine": lr·(1 + cos(π u))/2, "linear": lr·(1 - u), u = fraction of them done)."""
    kind = _validate.choice("decay", decay, LR_DECAYS)
    i = np.arange(steps, dtype=np.float64)
    w = min(warmup, steps)
    rate = np.full(steps, float(lr))
    if w > 0:
        rate[:w] *= (i[:w] + 1) / w
    if kind != "constant" and steps > w:
        u = (i[w:] - w) / (steps - w)
        rate[w:] *= 0.5 * (1 + np.cos(np.pi * u)) if kind == "cosine" else 1 - u
    return rate


def _device(device: str) -> str:
    dev = _validate.choice("device", device, ("cpu", "cuda"))
    if dev == "cuda":
        torch = _torch()
        if not torch.cuda.is_available():
            from ..errors import BackendUnavailableError

            raise BackendUnavailableError("device='cuda' but torch sees no CUDA device; use device='cpu'")
    return dev


def _torch() -> Any:
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is in the ai extra
        raise ImportError("voxtwin.reconstruct needs torch: pip install 'voxtwin[ai]'") from None
    return torch
