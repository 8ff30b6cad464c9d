"""Stiffness-conditioned 3D diffusion of cubic cells (seed 004, §3.2): :class:`StiffnessDiffusion`.

The model generates the corner octant of a cubic cell (seed 004 stores and generates 1/8 of each
cell) as analog bits x₀ ∈ {−1, +1} (+1 = solid), conditioned on the cell's C11, C12, C44 (each
normalised to [0, 1] by the training set's range) and volume fraction.

- Forward process x_t = √γ(t) x₀ + √(1 − γ(t)) ε, t ~ U(0, 1), cosine schedule γ.
- x₀-prediction: the U-Net (:mod:`._stiffness_unet`) returns x̂₀ = f(x_t, x̂′₀, t, conditions),
  loss ‖x̂₀ − x₀‖² (eq. 12); self-conditioning: x̂′₀ = f(x_t, 0, t, c) (no gradient) for half of
  the samples, else 0.
- Classifier-free guidance: during training the stiffness conditions are set to −1 with
  probability 0.1, the volume fraction with 0.1 and both with 0.1; sampling mixes
  x̂₀ = x̂₀(∅) + w (x̂₀(c) − x̂₀(∅)) with guidance scale w (1: the conditional model alone).
- Sampling: deterministic DDIM, 25 steps by default, x̂₀ clipped to [−1, 1], the last x̂₀
  thresholded at 0. Cubic symmetry is enforced by the network (x̂₀ averaged over the axis
  permutations) and by the mirroring of the octant into the cell.
- Training: AdamW (lr 2e-4), EMA of the weights (0.999, with the usual warm-up
  min(0.999, (1 + k)/(10 + k)) so that short runs are not dominated by the initial weights).

:meth:`DiffusionConfig.paper` holds seed 004's architecture (5 levels, 32–64–128–256–256
features, 2 bottleneck blocks, 4000 epochs; a 64³ octant = a 128³ cell); :meth:`DiffusionConfig.cpu`
a small configuration that trains in minutes on two CPU cores for 16³ cells (8³ octants; larger
learning rate for the short schedule). torch is imported only when a model is built or trained.
"""

from __future__ import annotations

import copy
import math
import os
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from .. import _validate
from .._progress import progress_bar
from .cell_dataset import CONSTANTS, CellDataset
from .cubic import cubic_cell

__all__ = ["DiffusionConfig", "StiffnessDiffusion", "CONDITIONS"]

#: Conditions the model can take, in order.
CONDITIONS = ("C11", "C12", "C44", "vf")
_DROPPED = -1.0  # the special value of a dropped condition (seed 004)


@dataclass(frozen=True)
class DiffusionConfig:
    """Architecture and training settings (defaults: seed 004's, see :meth:`paper`)."""

    channels: tuple[int, ...] = (32, 64, 128, 256, 256)  #: U-Net features per level, finest first
    bottleneck: int = 2                                  #: ResNet blocks in the bottleneck
    embedding: int = 128                                 #: width of the time/condition embedding
    lr: float = 2e-4                                     #: AdamW learning rate
    weight_decay: float = 1e-2                           #: AdamW weight decay
    ema: float = 0.999                                   #: EMA rate of the weights
    epochs: int = 4000                                   #: passes over the training set
    batch_size: int = 32
    self_condition: float = 0.5                          #: probability of self-conditioning in training
    drop_stiffness: float = 0.1                          #: P(stiffness conditions -> -1)
    drop_vf: float = 0.1                                 #: P(volume fraction -> -1)
    drop_both: float = 0.1                               #: P(both -> -1)
    steps: int = 25                                      #: DDIM steps
    guidance: float = 1.0                                #: classifier-free guidance scale

    @classmethod
    def paper(cls) -> DiffusionConfig:
        """Seed 004: 5 levels (64³ … 4³ octants), 32–64–128–256–256 features, AdamW 2e-4, EMA 0.999, 4000 epochs."""
        return cls()

    @classmethod
    def cpu(cls) -> DiffusionConfig:
        """Small: 2 levels (8³, 4³ octants) with 8–16 features, a 32-wide embedding, lr 2e-3, batches
        of 64 and 30 epochs, for 16³ cells on a CPU (the acceptance test's model: about 0.2 M weights;
        wider nets cost minutes per epoch on two cores, the 3D convolutions' backward dominating)."""
        return cls(channels=(8, 16), embedding=32, lr=2e-3, epochs=30, batch_size=64)


def _gamma(t: Any) -> Any:
    """Cosine schedule: signal variance γ(t), 1 at t = 0 and 0 at t = 1."""
    import torch

    s = 0.008
    g = torch.cos((t + s) / (1 + s) * math.pi / 2) ** 2 / math.cos(s / (1 + s) * math.pi / 2) ** 2
    return g.clamp(0.0, 1.0)


@dataclass
class FitHistory:
    """Per-epoch mean training loss, epochs run and wall time (s)."""

    loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


class StiffnessDiffusion:
    """Guided diffusion model of cubic cells of ``size``³ voxels conditioned on ``conditions``.

    ``size``: voxels per axis of the full cell (even; the network sees the ``size/2`` octant);
    ``conditions``: a subset of ``("C11", "C12", "C44", "vf")`` (default all four);
    ``config``: :class:`DiffusionConfig` (default seed 004's; ``DiffusionConfig.cpu()`` for small
    cells on a CPU); keyword overrides replace single fields (e.g. ``epochs=100``).
    """

    def __init__(self, size: int = 128, conditions: tuple[str, ...] = CONDITIONS, config: DiffusionConfig | None = None,
                 **overrides: Any) -> None:
        self.size = _validate.integer("size", size, minimum=4)
        if self.size % 2:
            raise ValueError(f"`size` must be even (the model generates the octant of a cubic cell), got size={size}")
        conds = tuple(conditions)
        bad = [c for c in conds if c not in CONDITIONS]
        if bad or not conds or len(set(conds)) != len(conds):
            raise ValueError(f"`conditions` must be distinct names from {CONDITIONS}, got conditions={conditions!r}")
        self.conditions = conds
        cfg = config or DiffusionConfig()
        unknown = set(overrides) - set(asdict(cfg))
        if unknown:
            raise TypeError(f"unknown StiffnessDiffusion settings {sorted(unknown)}; see DiffusionConfig")
        self.config = replace(cfg, **overrides)
        levels = len(self.config.channels)
        if (self.size // 2) % (2 ** (levels - 1)):
            raise ValueError(f"the octant ({self.size // 2}³) must halve {levels - 1} times for channels={self.config.channels}")
        self.ranges: np.ndarray | None = None  # [3, 2] min/max of C11, C12, C44 of the training set (GPa)
        self.net: Any = None
        self.ema: Any = None
        self.history = FitHistory()

    # ------------------------------------------------------------------ helpers
    def _build(self) -> None:
        from ._stiffness_unet import StiffnessUNet

        c = self.config
        self.net = StiffnessUNet(tuple(c.channels), len(self.conditions), c.embedding, c.bottleneck)
        self.ema = copy.deepcopy(self.net).requires_grad_(False)

    def normalise(self, C: np.ndarray, vf: np.ndarray | None) -> np.ndarray:
        """Condition vectors [k, len(conditions)] from C [k, 3] (GPa) and vf [k] (None: dropped)."""
        if self.ranges is None:
            raise RuntimeError("the model is not fitted: call fit(dataset) first")
        C = np.atleast_2d(np.asarray(C, dtype=np.float64))
        lo, hi = self.ranges[:, 0], self.ranges[:, 1]
        cn = (C - lo) / np.where(hi > lo, hi - lo, 1.0)
        cols = []
        for name in self.conditions:
            if name == "vf":
                cols.append(np.full(len(C), _DROPPED) if vf is None else np.broadcast_to(np.asarray(vf, np.float64), (len(C),)))
            else:
                cols.append(cn[:, CONSTANTS.index(name)])
        return np.stack(cols, axis=1).astype(np.float32)

    def _drop(self, cond: Any, gen: Any) -> Any:
        import torch

        c = self.config
        u = torch.rand(cond.shape[0], generator=gen)
        stiff = [i for i, n in enumerate(self.conditions) if n != "vf"]
        vfi = [i for i, n in enumerate(self.conditions) if n == "vf"]
        cond = cond.clone()
        s_mask = (u < c.drop_stiffness) | ((u >= c.drop_stiffness + c.drop_vf) & (u < c.drop_stiffness + c.drop_vf + c.drop_both))
        v_mask = (u >= c.drop_stiffness) & (u < c.drop_stiffness + c.drop_vf + c.drop_both)
        if stiff:
            cond[s_mask.nonzero(as_tuple=True)[0][:, None], torch.tensor(stiff)[None]] = _DROPPED
        if vfi:
            cond[v_mask.nonzero(as_tuple=True)[0][:, None], torch.tensor(vfi)[None]] = _DROPPED
        return cond

    # ------------------------------------------------------------------ training
    def fit(self, dataset: CellDataset, seed: int = 0, device: str = "cpu", *, epochs: int | None = None,
            progress: bool = True, time_limit: float | None = None) -> FitHistory:
        """Train on ``dataset`` (a :class:`CellDataset` of this cell size; connected cells only).

        ``epochs`` overrides the config; ``time_limit`` (s) stops early after the epoch that passes
        it (results then depend on the machine's speed); ``device`` ``"cpu"`` or ``"cuda"``. The
        training set's C range becomes the normaliser of the conditions (and of eq. 18). A model
        fitted before continues from its weights (``refine``). Returns the loss history.
        """
        import torch

        if not isinstance(dataset, CellDataset):
            raise TypeError(f"`dataset` must be a voxtwin.design.CellDataset, got {type(dataset).__name__}")
        if dataset.size != self.size:
            raise ValueError(f"`dataset` holds {dataset.size}³ cells, the model is for size={self.size}")
        dev = _torch_device(device)
        ds = dataset.subset(dataset.connected)
        if len(ds) == 0:
            raise ValueError("`dataset` holds no connected cells to train on")
        torch.manual_seed(_validate.seed(seed))
        gen = torch.Generator().manual_seed(_validate.seed(seed))
        if self.net is None:
            self.ranges = ds.ranges
            self._build()
        self.net.to(dev)
        self.ema.to(dev)
        c = self.config
        n_epochs = c.epochs if epochs is None else _validate.integer("epochs", epochs, minimum=1)
        x_all = torch.from_numpy(ds.octants.astype(np.float32) * 2.0 - 1.0)[:, None]
        c_all = torch.from_numpy(self.normalise(ds.C, ds.vf))
        opt = torch.optim.AdamW(self.net.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        step = 0
        start = time.perf_counter()
        bar = progress_bar(n_epochs, desc="design fit", enabled=progress, unit="epoch")
        self.net.train()
        try:
            for _ in range(n_epochs):
                order = torch.randperm(len(ds), generator=gen)
                total = 0.0
                for b in range(0, len(ds), c.batch_size):
                    idx = order[b:b + c.batch_size]
                    x0 = x_all[idx].to(dev)
                    cond = self._drop(c_all[idx], gen).to(dev)
                    t = torch.rand(len(idx), generator=gen).to(dev)
                    eps = torch.randn(x0.shape, generator=gen).to(dev)
                    g = _gamma(t)[:, None, None, None, None]
                    xt = g.sqrt() * x0 + (1 - g).sqrt() * eps
                    sc = torch.zeros_like(x0)
                    use = (torch.rand(len(idx), generator=gen) < c.self_condition).to(dev)
                    if use.any():
                        with torch.no_grad():
                            est = self.net(xt[use], sc[use], t[use], cond[use])
                        sc[use] = est
                    loss = torch.mean((self.net(xt, sc, t, cond) - x0) ** 2)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    decay = min(c.ema, (1 + step) / (10 + step))
                    with torch.no_grad():
                        for pe, pn in zip(self.ema.parameters(), self.net.parameters()):
                            pe.mul_(decay).add_(pn.detach(), alpha=1 - decay)
                    step += 1
                    total += float(loss.detach()) * len(idx)
                self.history.loss.append(total / len(ds))
                bar.update(1)
                bar.set_postfix_str(f"loss {self.history.loss[-1]:.4f}", refresh=False)
                if time_limit is not None and time.perf_counter() - start > time_limit:
                    break
        finally:
            bar.close()
        self.net.eval()
        self.history.seconds += time.perf_counter() - start
        return self.history

    def _run_options(self, n: object, steps: object, guidance: object, vf: object,
                     targets: int) -> tuple[int, int, float, np.ndarray | None]:
        """``(n, steps, guidance, vf per target or None)`` of a sampling run, checked; ``None``
        falls back to the config's steps and guidance."""
        n = _validate.integer("n", n, minimum=1)
        steps = self.config.steps if steps is None else _validate.integer("steps", steps, minimum=1)
        w = self.config.guidance if guidance is None else _validate.non_negative("guidance", guidance)
        if vf is None:
            return n, steps, w, None
        fractions = np.broadcast_to(np.asarray(vf, dtype=np.float64), (targets,))
        if np.any((fractions <= 0) | (fractions >= 1)):
            raise ValueError(f"`vf` must be in (0, 1), got vf={fractions.tolist()}")
        return n, steps, w, fractions

    # ------------------------------------------------------------------ sampling
    def sample(self, target_C: np.ndarray, vf: float | np.ndarray | None = None, n: int = 4, steps: int | None = None,
               guidance: float | None = None, seed: int = 0, device: str = "cpu", octants: bool = False) -> np.ndarray:
        """``n`` cells per target: uint8 [k, n, size, size, size] for ``target_C`` [k, 3] (C11, C12,
        C44 in GPa; one target [3] gives [n, size, size, size]); ``vf`` volume fraction(s) or None
        (condition dropped); ``steps`` DDIM steps (default 25), ``guidance`` CFG scale (default 1);
        ``octants`` returns the generated octants instead of the mirrored cells."""
        import torch

        if self.ema is None:
            raise RuntimeError("the model is not fitted: call fit(dataset) first")
        tc = np.asarray(target_C, dtype=np.float64)
        single = tc.ndim == 1
        tc = np.atleast_2d(tc)
        if tc.shape[1] != 3 or not np.all(np.isfinite(tc)):
            raise ValueError(f"`target_C` must be finite (C11, C12, C44) in GPa, shape [3] or [k, 3], got shape {np.shape(target_C)}")
        n, steps, w, vf = self._run_options(n, steps, guidance, vf, len(tc))
        dev = _torch_device(device)
        cond = torch.from_numpy(np.repeat(self.normalise(tc, vf), n, axis=0)).to(dev)
        m = self.size // 2
        gen = torch.Generator().manual_seed(_validate.seed(seed))
        x = torch.randn((len(cond), 1, m, m, m), generator=gen).to(dev)
        out = self._ddim(x, cond, torch.linspace(1.0, 0.0, steps + 1), w, dev)
        res = out if octants else cubic_cell(out)
        res = res.reshape((len(tc), n) + res.shape[1:])
        return res[0] if single else res

    def edit(self, cells: np.ndarray, target_C: np.ndarray, vf: float | np.ndarray | None = None, t_start: float = 0.3,
             n: int = 4, steps: int | None = None, guidance: float | None = None, seed: int = 0,
             device: str = "cpu") -> np.ndarray:
        """SDEdit (Meng et al. 2022): ``n`` edits per given cell toward a target.

        Each cell of ``cells`` (uint8 [k, size, size, size], cubic, 1 = solid; one cell
        [size, size, size] with ``target_C`` [3] gives [n, size, size, size]) is noised by the
        forward process to the intermediate time ``t_start`` ∈ (0, 1] (0: the cell itself, 1: pure
        noise, i.e. :meth:`sample`) and denoised by DDIM from there under the target's condition
        (``target_C`` [k, 3] C11, C12, C44 in GPa, ``vf`` as in :meth:`sample`), with
        ``round(steps · t_start)`` (at least 1) of the ``steps`` of a full run. The edit keeps the
        cell's coarse layout and moves its details toward the condition. Returns uint8
        [k, n, size, size, size] cubic cells."""
        import torch

        if self.ema is None:
            raise RuntimeError("the model is not fitted: call fit(dataset) first")
        c = np.asarray(cells)
        tc = np.asarray(target_C, dtype=np.float64)
        single = c.ndim == 3
        c, tc = (c[None], np.atleast_2d(tc)) if single else (c, np.atleast_2d(tc))
        if c.ndim != 4 or c.shape[1:] != (self.size,) * 3 or len(tc) != len(c) or tc.shape[1] != 3:
            raise ValueError(f"`cells` must be [k, {self.size}, {self.size}, {self.size}] with `target_C` [k, 3], "
                             f"got shapes {np.shape(cells)} and {np.shape(target_C)}")
        if not np.all(np.isfinite(tc)):
            raise ValueError("`target_C` must be finite (C11, C12, C44 in GPa)")
        t0 = _validate.positive("t_start", t_start)
        if t0 > 1.0:
            raise ValueError(f"`t_start` must be in (0, 1], got t_start={t_start!r}")
        n, steps, w, vf = self._run_options(n, steps, guidance, vf, len(tc))
        dev = _torch_device(device)
        m = self.size // 2
        x0 = torch.from_numpy(np.repeat(c[:, :m, :m, :m].astype(np.float32) * 2.0 - 1.0, n, axis=0))[:, None].to(dev)
        cond = torch.from_numpy(np.repeat(self.normalise(tc, vf), n, axis=0)).to(dev)
        gen = torch.Generator().manual_seed(_validate.seed(seed))
        g = _gamma(torch.tensor(t0)).item()
        x = math.sqrt(g) * x0 + math.sqrt(1.0 - g) * torch.randn(x0.shape, generator=gen).to(dev)
        k_steps = max(1, int(round(steps * t0)))
        out = self._ddim(x, cond, torch.linspace(t0, 0.0, k_steps + 1), w, dev)
        res = cubic_cell(out).reshape((len(tc), n) + (self.size,) * 3)
        return res[0] if single else res

    def _ddim(self, x: Any, cond: Any, ts: Any, w: float, dev: Any) -> np.ndarray:
        """Deterministic DDIM from x at ts[0] down to ts[-1] (self-conditioned, CFG scale w):
        the thresholded, exactly permutation-symmetric octants (uint8 [count, m, m, m])."""
        import torch

        net = self.ema.to(dev).eval()
        uncond = torch.full_like(cond, _DROPPED)
        x0 = torch.zeros_like(x)
        with torch.no_grad():
            for i in range(len(ts) - 1):
                t = torch.full((len(cond),), float(ts[i]), device=dev)
                pred = net(x, x0, t, cond)
                if w != 1.0:
                    pred = net(x, x0, t, uncond) + w * (pred - net(x, x0, t, uncond))
                x0 = pred.clamp(-1.0, 1.0)
                g_t, g_s = _gamma(ts[i]).item(), _gamma(ts[i + 1]).item()
                eps = (x - math.sqrt(g_t) * x0) / math.sqrt(max(1.0 - g_t, 1e-12))
                x = math.sqrt(g_s) * x0 + math.sqrt(max(1.0 - g_s, 0.0)) * eps
        out = (x0 > 0).to(torch.uint8).cpu().numpy()[:, 0]
        # the network's output is permutation-symmetric up to float rounding: make the bits exact
        return _exact_symmetric(out)

    # ------------------------------------------------------------------ persistence
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write config, conditions, ranges and the EMA weights (torch.save)."""
        import torch

        if self.ema is None:
            raise RuntimeError("the model is not fitted: nothing to save")
        torch.save({"size": self.size, "conditions": self.conditions, "config": asdict(self.config),
                    "ranges": self.ranges, "ema": self.ema.state_dict(), "net": self.net.state_dict(),
                    "loss": self.history.loss}, os.fspath(path))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> StiffnessDiffusion:
        """Read a model written by :meth:`save`."""
        import torch

        d = torch.load(os.fspath(path), weights_only=False)
        cfg = d["config"]
        cfg["channels"] = tuple(cfg["channels"])
        model = cls(d["size"], tuple(d["conditions"]), DiffusionConfig(**cfg))
        model.ranges = np.asarray(d["ranges"])
        model._build()
        model.net.load_state_dict(d["net"])
        model.ema.load_state_dict(d["ema"])
        model.net.eval()
        model.history.loss = list(d["loss"])
        return model


def _exact_symmetric(o: np.ndarray) -> np.ndarray:
    """Octants made exactly permutation-symmetric: a voxel is solid when it is solid in every
    permuted image (the float average behind it can differ in the last bit between images)."""
    out = o.copy()
    for p in ((0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)):
        out &= np.transpose(o, (0,) + tuple(1 + i for i in p))
    return out


def _torch_device(device: str) -> Any:
    import torch

    _validate.choice("device", device, ("cpu", "cuda", "auto"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        from ..errors import BackendUnavailableError

        raise BackendUnavailableError("device='cuda' was asked for but torch sees no CUDA device")
    return torch.device(device)
