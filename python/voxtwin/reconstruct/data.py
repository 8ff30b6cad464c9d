"""Training images of the three planes -> model channels and back (seed 003 §2.5).

Labels with two phases become one channel in {-1, +1} (the seed's binary case), more phases one
channel per phase (one-hot scaled to ±1, the seed's three-phase case); grey images are scaled
linearly to [-1, 1] from their range. Plane images are indexed like the volume they come from:
an xy image is ``[x, y]``, xz ``[x, z]``, yz ``[y, z]``; a stack holds images along its first axis.
Augmentation is random crops and horizontal/vertical flips, never rotations (they would swap
the in-plane directions of an anisotropic structure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["PLANES", "Encoding", "plane_stacks", "random_crops"]

PLANES = ("xy", "xz", "yz")
# More distinct labels than this in "label" images almost surely means grey values were meant.
MAX_PHASES = 16


@dataclass(frozen=True)
class Encoding:
    """How labels (or grey values) map to channels: ``labels`` for phases, ``grey`` (lo, hi) otherwise."""

    labels: tuple[int, ...] | None = None
    grey: tuple[float, float] | None = None

    @property
    def channels(self) -> int:
        if self.labels is None:
            return 1
        return 1 if len(self.labels) == 2 else len(self.labels)

    def encode(self, img: np.ndarray) -> np.ndarray:
        """(..., H, W) images -> float32 (..., C, H, W) in [-1, 1]."""
        if self.labels is None:
            lo, hi = self.grey  # type: ignore[misc]
            x = (np.asarray(img, np.float32) - lo) / max(hi - lo, 1e-12) * 2 - 1
            return x[..., None, :, :]
        if len(self.labels) == 2:
            return np.where(img == self.labels[1], 1.0, -1.0).astype(np.float32)[..., None, :, :]
        return np.stack([np.where(img == v, 1.0, -1.0) for v in self.labels], axis=-3).astype(np.float32)

    def decode(self, x: np.ndarray) -> np.ndarray:
        """Channels-first ``(C, *spatial)`` floats -> uint8 labels (threshold at 0 / argmax) or grey values."""
        if self.labels is None:
            lo, hi = self.grey  # type: ignore[misc]
            return ((np.clip(x[0], -1, 1) + 1) / 2 * (hi - lo) + lo).astype(np.float32)
        lab = np.asarray(self.labels, np.uint8)
        if len(self.labels) == 2:
            return np.where(x[0] > 0, lab[1], lab[0])
        return lab[np.argmax(x, axis=0)]


def plane_stacks(images: Mapping[str, object], size: int) -> dict[str, np.ndarray]:
    """Each plane's images as one array (n, H, W), checked to be at least ``size`` on a side."""
    if not isinstance(images, Mapping):
        raise TypeError(f"`images` must be a mapping {{'xy': ..., 'xz': ..., 'yz': ...}}, got {type(images).__name__}")
    missing = [p for p in PLANES if p not in images]
    extra = [k for k in images if k not in PLANES]
    if missing or extra:
        raise ValueError(f"`images` needs exactly the planes {PLANES}, missing {missing}, unknown {extra}")
    out: dict[str, np.ndarray] = {}
    for p in PLANES:
        v = images[p]
        arrs = [np.asarray(a) for a in v] if isinstance(v, Sequence) and not isinstance(v, np.ndarray) else [np.asarray(v)]
        stacks = []
        for a in arrs:
            if a.ndim == 2:
                a = a[None]
            if a.ndim != 3:
                raise ValueError(f"`images['{p}']` must hold 2D images or stacks (n, H, W), got shape {a.shape}")
            if min(a.shape[1:]) < size:
                raise ValueError(f"`images['{p}']` images must be at least size={size} on each side, got {a.shape[1:]}")
            stacks.append(a)
        shapes = {s.shape[1:] for s in stacks}
        if len(shapes) == 1:
            out[p] = np.concatenate(stacks)
        else:  # images of different sizes: crop every image to the smallest common size
            h = min(s[0] for s in shapes)
            w = min(s[1] for s in shapes)
            out[p] = np.concatenate([s[:, :h, :w] for s in stacks])
    return out


def infer_encoding(stacks: Mapping[str, np.ndarray], phases: Sequence[int] | str | None) -> Encoding:
    """Labels from integer images (or the given ``phases``), grey range from float images."""
    if phases == "grey" or (phases is None and any(np.issubdtype(s.dtype, np.floating) for s in stacks.values())):
        lo = min(float(s.min()) for s in stacks.values())
        hi = max(float(s.max()) for s in stacks.values())
        return Encoding(grey=(lo, hi))
    if phases is None:
        labels = sorted({int(v) for s in stacks.values() for v in np.unique(s)})
    elif isinstance(phases, str):
        raise ValueError(f"`phases` must be None, 'grey' or a sequence of labels, got phases={phases!r}")
    else:
        labels = sorted(int(v) for v in phases)
    if len(labels) < 2 or len(labels) > MAX_PHASES:
        raise ValueError(f"`phases`: need 2..{MAX_PHASES} distinct labels, got {labels}")
    return Encoding(labels=tuple(labels))


def random_crops(stack: np.ndarray, count: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random ``size``² crops of random images of ``stack`` (n, C, H, W), each flipped
    horizontally and/or vertically with probability 1/2."""
    n, ch, h, w = stack.shape
    idx = rng.integers(n, size=count)[:, None, None, None]
    xs = rng.integers(h - size + 1, size=count)[:, None, None, None]
    ys = rng.integers(w - size + 1, size=count)[:, None, None, None]
    r = np.arange(size)
    crops = stack[idx, np.arange(ch)[None, :, None, None], xs + r[None, None, :, None], ys + r[None, None, None, :]]
    flip_h = rng.random(count) < 0.5
    flip_v = rng.random(count) < 0.5
    crops[flip_h] = crops[flip_h][:, :, ::-1, :]
    crops[flip_v] = crops[flip_v][:, :, :, ::-1]
    return crops
