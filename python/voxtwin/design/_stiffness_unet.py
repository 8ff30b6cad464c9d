"""The denoising network of :class:`~voxtwin.design.StiffnessDiffusion` (torch; imported only when a
model is built, so ``import voxtwin`` needs no torch).

A 3D U-Net after LAS-Diffusion as seed 004 uses it: one ResNet block (two 3×3×3 convolutions) per
level, a stride-2 convolution down and nearest-neighbour upsampling with a convolution up, skip
connections by concatenation, two ResNet blocks in the bottleneck and a final convolution to one
value per voxel. Input: the noisy octant x_t and the self-conditioning estimate x̂′₀ (2 channels).
Conditioning: the diffusion time t (sinusoidal features) and each condition (normalised C11, C12,
C44, volume fraction; −1 = dropped, for classifier-free guidance) through learnable sinusoidal
embeddings (Fourier features with trained frequencies), summed and added to every ResNet block.

The network sees the corner octant of a cubic cell; its faces are mirror planes of the cell, so
the convolutions pad by replication (for a one-voxel pad the same as mirroring across the face).
The output is averaged over the six axis permutations: the predicted x̂₀ is exactly cubic.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

_PERMS = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


def symmetrize(x: torch.Tensor) -> torch.Tensor:
    """Mean over the six permutations of the last three axes."""
    return sum(x.permute(0, 1, *(2 + p for p in perm)) for perm in _PERMS) / 6.0


def _groups(ch: int) -> int:
    for g in (8, 4, 2, 1):
        if ch % g == 0:
            return g
    return 1


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Conv3d:
    return nn.Conv3d(cin, cout, 3, stride=stride, padding=1, padding_mode="replicate")


class TimeEmbedding(nn.Module):
    """Fixed sinusoidal features of t in [0, 1] (scaled by 1000 as in DDPM)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        half = dim // 2
        self.register_buffer("freq", torch.exp(-math.log(10000.0) * torch.arange(half) / max(half - 1, 1)))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        a = 1000.0 * t[:, None] * self.freq[None]
        return torch.cat([a.sin(), a.cos()], dim=1)


class LearnedSinusoidal(nn.Module):
    """Learnable sinusoidal embedding of one scalar condition: [c, sin(2π w c), cos(2π w c)] with
    trained frequencies w (initialised on a log scale), then a linear map."""

    def __init__(self, half: int, dim: int) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.logspace(0.0, 2.0, half) / 4.0)
        self.out = nn.Linear(2 * half + 1, dim)

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        a = 2.0 * math.pi * c[:, None] * self.w[None]
        return self.out(torch.cat([c[:, None], a.sin(), a.cos()], dim=1))


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, emb: int) -> None:
        super().__init__()
        self.n1 = nn.GroupNorm(_groups(cin), cin)
        self.c1 = _conv(cin, cout)
        self.e = nn.Linear(emb, cout)
        self.n2 = nn.GroupNorm(_groups(cout), cout)
        self.c2 = _conv(cout, cout)
        self.skip = nn.Conv3d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.e(e)[:, :, None, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + self.skip(x)


class StiffnessUNet(nn.Module):
    """x̂₀ = f(x_t, x̂′₀, t, conditions); ``channels`` per level, finest first."""

    def __init__(self, channels: tuple[int, ...], n_conditions: int, emb: int, bottleneck: int = 2) -> None:
        super().__init__()
        self.time = TimeEmbedding(emb)
        self.conds = nn.ModuleList(LearnedSinusoidal(emb // 4, emb) for _ in range(n_conditions))
        self.mlp = nn.Sequential(nn.Linear(emb, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.inp = _conv(2, channels[0])
        self.down = nn.ModuleList()
        self.pool = nn.ModuleList()
        for i, ch in enumerate(channels):
            self.down.append(ResBlock(channels[max(i - 1, 0)] if i else channels[0], ch, emb))
            if i < len(channels) - 1:
                self.pool.append(_conv(ch, ch, stride=2))
        self.mid = nn.ModuleList(ResBlock(channels[-1], channels[-1], emb) for _ in range(bottleneck))
        self.up = nn.ModuleList()
        self.lift = nn.ModuleList()
        for i in range(len(channels) - 2, -1, -1):
            self.lift.append(_conv(channels[i + 1], channels[i]))
            self.up.append(ResBlock(2 * channels[i], channels[i], emb))
        self.norm = nn.GroupNorm(_groups(channels[0]), channels[0])
        self.out = _conv(channels[0], 1)

    def forward(self, x_t: torch.Tensor, x_sc: torch.Tensor, t: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        e = self.time(t)
        for i, emb in enumerate(self.conds):
            e = e + emb(cond[:, i])
        e = self.mlp(e)
        h = self.inp(torch.cat([x_t, x_sc], dim=1))
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, e)
            if i < len(self.pool):
                skips.append(h)
                h = self.pool[i](h)
        for block in self.mid:
            h = block(h, e)
        for lift, block in zip(self.lift, self.up):
            skip = skips.pop()
            h = lift(F.interpolate(h, size=skip.shape[2:], mode="nearest"))
            h = block(torch.cat([h, skip], dim=1), e)
        return symmetrize(self.out(F.silu(self.norm(h))))
