"""The U-Net itself (torch): an encoder–decoder with skip connections, in 2D or 3D.

Each level has two 3×3(×3) convolutions with ReLU; the encoder halves the grid with a strided
2×2(×2) convolution and doubles the features, the decoder doubles the grid with a transposed
convolution and concatenates the encoder's features of the same level (the skip connection).
Strided convolutions replace max pooling because max pooling has no deterministic CUDA backward,
and results must not depend on the run. No normalization layers: windows of different content
would be normalized differently and their predictions would no longer blend seamlessly.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["UNet"]

_LEAK = 0.01  # leaky ReLU slope: no unit can die for good on small, sparse training sets


def _conv(ndim: int) -> type[nn.Module]:
    return nn.Conv3d if ndim == 3 else nn.Conv2d


def _transposed(ndim: int) -> type[nn.Module]:
    return nn.ConvTranspose3d if ndim == 3 else nn.ConvTranspose2d


class _Block(nn.Sequential):
    """Two 3×3(×3) convolutions with ReLU, keeping the grid size."""

    def __init__(self, ndim: int, c_in: int, c_out: int) -> None:
        conv = _conv(ndim)
        super().__init__(conv(c_in, c_out, 3, padding=1), nn.LeakyReLU(_LEAK, inplace=True),
                         conv(c_out, c_out, 3, padding=1), nn.LeakyReLU(_LEAK, inplace=True))


class UNet(nn.Module):
    """U-Net of ``depth`` down-sampling levels with ``features`` channels at full resolution.

    Input (batch, in_channels, *grid), output (batch, classes, *grid) logits; every grid edge must
    be a multiple of ``2**depth``.
    """

    def __init__(self, ndim: int, classes: int, depth: int = 2, features: int = 16, in_channels: int = 1) -> None:
        super().__init__()
        conv, transposed = _conv(ndim), _transposed(ndim)
        widths = [features * 2**level for level in range(depth + 1)]
        self.encoders = nn.ModuleList()
        self.downs = nn.ModuleList()
        c_in = in_channels
        for level, width in enumerate(widths):
            self.encoders.append(_Block(ndim, c_in, width))
            if level < depth:
                self.downs.append(conv(width, widths[level + 1], 2, stride=2))
                c_in = widths[level + 1]
        self.ups = nn.ModuleList()
        self.decoders = nn.ModuleList()
        for level in reversed(range(depth)):
            self.ups.append(transposed(widths[level + 1], widths[level], 2, stride=2))
            self.decoders.append(_Block(ndim, 2 * widths[level], widths[level]))
        self.head = conv(widths[0], classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for level, encoder in enumerate(self.encoders):
            x = encoder(x)
            if level < len(self.downs):
                skips.append(x)
                x = self.downs[level](x)
        for up, decoder in zip(self.ups, self.decoders):
            x = decoder(torch.cat([skips.pop(), up(x)], dim=1))
        return self.head(x)
