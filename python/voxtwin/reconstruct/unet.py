"""The 2D denoiser of seed 003 §2.4: a U-Net with time and plane-condition embeddings.

The time step enters through a sinusoidal (positional) encoding and an MLP; the plane condition c
(xy, xz, yz, or "none" for classifier-free guidance) is an embedding that is added to the time
embedding ("pooled and incorporated") and, in attention layers, offered as extra key/value tokens
next to the image's own (cross-attention by concatenated key-value pairs, Table 1). Residual
blocks modulate their normalised features by scale and shift from the embedding.

torch is imported lazily by :func:`build_unet` so that ``import voxtwin`` needs no torch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

__all__ = ["build_unet", "NULL_CONDITION"]

# Index of the "no plane" condition (classifier-free guidance drops the condition to this).
NULL_CONDITION = 3


def _groups(channels: int) -> int:
    for g in (8, 4, 2, 1):
        if channels % g == 0:
            return g
    return 1


def build_unet(channels: int, base: int, multipliers: Sequence[int], attention: Sequence[bool],
               cross_attention: Sequence[bool], res_blocks: int, embedding: int, heads: int, head_dim: int,
               dropout: float = 0.0) -> Any:
    """A torch ``nn.Module``: ``net(x (N, channels, H, W), t (N,) float in [0, 1], c (N,) long) -> (N, channels, H, W)``.

    ``multipliers[i] * base`` channels at level i (H / 2**i); ``attention[i]``/``cross_attention[i]``
    switch self-attention and condition tokens on at level i; ``embedding`` is the width of the
    time and condition embeddings.
    """
    import torch
    from torch import nn
    from torch.nn import functional as F  # noqa: N812

    class ResBlock(nn.Module):
        def __init__(self, cin: int, cout: int) -> None:
            super().__init__()
            self.norm1 = nn.GroupNorm(_groups(cin), cin)
            self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
            self.emb = nn.Linear(embedding, 2 * cout)
            self.norm2 = nn.GroupNorm(_groups(cout), cout)
            self.drop = nn.Dropout(dropout)
            self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
            nn.init.zeros_(self.conv2.weight)
            nn.init.zeros_(self.conv2.bias)
            self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

        def forward(self, x: Any, e: Any) -> Any:
            h = self.conv1(F.silu(self.norm1(x)))
            scale, shift = self.emb(e)[:, :, None, None].chunk(2, dim=1)
            h = self.norm2(h) * (1 + scale) + shift
            h = self.conv2(self.drop(F.silu(h)))
            return self.skip(x) + h

    class Attention(nn.Module):
        def __init__(self, ch: int, cross: bool) -> None:
            super().__init__()
            inner = heads * head_dim
            self.norm = nn.GroupNorm(_groups(ch), ch)
            self.qkv = nn.Conv2d(ch, 3 * inner, 1)
            self.ctx = nn.Linear(embedding, 2 * inner) if cross else None
            self.out = nn.Conv2d(inner, ch, 1)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

        def forward(self, x: Any, c: Any) -> Any:
            n, _, hh, ww = x.shape
            q, k, v = self.qkv(self.norm(x)).reshape(n, 3, heads, head_dim, hh * ww).unbind(1)
            q, k, v = (a.transpose(-1, -2) for a in (q, k, v))  # (n, heads, tokens, head_dim)
            if self.ctx is not None:
                ck, cv = self.ctx(c).reshape(n, 2, heads, 1, head_dim).unbind(1)
                k = torch.cat([k, ck], dim=2)
                v = torch.cat([v, cv], dim=2)
            a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(head_dim), dim=-1) @ v
            return x + self.out(a.transpose(-1, -2).reshape(n, heads * head_dim, hh, ww))

    class Level(nn.Module):
        def __init__(self, cin: int, cout: int, blocks: int, attn: bool, cross: bool) -> None:
            super().__init__()
            self.res = nn.ModuleList([ResBlock(cin if i == 0 else cout, cout) for i in range(blocks)])
            self.attn = nn.ModuleList([Attention(cout, cross) for _ in range(blocks)]) if attn else None

        def forward(self, x: Any, e: Any, c: Any) -> Any:
            for i, r in enumerate(self.res):
                x = r(x, e)
                if self.attn is not None:
                    x = self.attn[i](x, c)
            return x

    class UNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            widths = [base * m for m in multipliers]
            self.time = nn.Sequential(nn.Linear(base, embedding), nn.SiLU(), nn.Linear(embedding, embedding))
            self.cond = nn.Embedding(NULL_CONDITION + 1, embedding)
            self.inp = nn.Conv2d(channels, base, 3, padding=1)
            self.down = nn.ModuleList()
            self.pool = nn.ModuleList()
            cin = base
            for i, w in enumerate(widths):
                self.down.append(Level(cin, w, res_blocks, attention[i], cross_attention[i]))
                self.pool.append(nn.Conv2d(w, w, 3, stride=2, padding=1) if i < len(widths) - 1 else nn.Identity())
                cin = w
            self.mid = Level(cin, cin, 1, True, True)
            self.up = nn.ModuleList()
            self.unpool = nn.ModuleList()
            for i in reversed(range(len(widths))):
                w = widths[i]
                self.unpool.append(nn.Identity() if i == len(widths) - 1 else nn.Upsample(scale_factor=2, mode="nearest"))
                self.up.append(Level(cin + w, w, res_blocks, attention[i], cross_attention[i]))
                cin = w
            self.out = nn.Sequential(nn.GroupNorm(_groups(cin), cin), nn.SiLU(), nn.Conv2d(cin, channels, 3, padding=1))
            nn.init.zeros_(self.out[-1].weight)
            nn.init.zeros_(self.out[-1].bias)

        def forward(self, x: Any, t: Any, c: Any) -> Any:
            half = base // 2
            freq = torch.exp(-math.log(10000.0) * torch.arange(half, device=x.device, dtype=x.dtype) / half)
            ang = (t * 1000.0)[:, None] * freq[None]
            ce = self.cond(c)
            e = self.time(torch.cat([torch.sin(ang), torch.cos(ang)], dim=1)) + ce
            h = self.inp(x)
            skips = []
            for lev, pool in zip(self.down, self.pool):
                h = lev(h, e, ce)
                skips.append(h)
                h = pool(h)
            h = self.mid(h, e, ce)
            for lev, unpool in zip(self.up, self.unpool):
                h = unpool(h)
                h = lev(torch.cat([h, skips.pop()], dim=1), e, ce)
            return self.out(h)

    if not (len(multipliers) == len(attention) == len(cross_attention)):
        raise ValueError("`multipliers`, `attention` and `cross_attention` need one entry per U-Net level, got "
                         f"{len(multipliers)}, {len(attention)}, {len(cross_attention)}")
    if base % 2:
        raise ValueError(f"`base` must be even (sinusoidal time encoding), got base={base}")
    return UNet()
