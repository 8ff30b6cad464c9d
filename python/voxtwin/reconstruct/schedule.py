"""Noise schedules of the diffusion process: ᾱ_t for t = 0..T (seed 003 eqs. 2-4).

``linear`` is the seed's (β evenly spaced from β_1 = 1e-4 to β_T = 1e-2, ᾱ_t = Π(1 - β_i));
``cosine`` is Nichol & Dhariwal's ᾱ(t) = cos²((t/T + s)/(1 + s) · π/2) / cos²(s/(1 + s) · π/2),
s = 0.008, which spends more steps at low noise and suits few-step samplers. Index 0 is the clean
data (ᾱ_0 = 1).
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate

__all__ = ["SCHEDULES", "alpha_bar"]

SCHEDULES = ("linear", "cosine")

# Cosine schedule offset (Nichol & Dhariwal 2021): keeps β_1 from vanishing.
COSINE_OFFSET = 0.008
# Largest β of the cosine schedule: clipping avoids the singular last step ᾱ_T = 0.
COSINE_MAX_BETA = 0.999


def alpha_bar(schedule: str, steps: int, beta_start: float = 1e-4, beta_end: float = 1e-2) -> np.ndarray:
    """ᾱ_t for t = 0..``steps`` (float64, ᾱ_0 = 1, decreasing)."""
    kind = _validate.choice("schedule", schedule, SCHEDULES)
    n = _validate.integer("steps", steps, minimum=2)
    if kind == "linear":
        beta = np.linspace(_validate.positive("beta_start", beta_start), _validate.positive("beta_end", beta_end), n)
        if not (0 < beta_start < beta_end < 1):
            raise ValueError(f"`beta_start` < `beta_end` must lie in (0, 1), got {beta_start!r}, {beta_end!r}")
        return np.concatenate([[1.0], np.cumprod(1.0 - beta)])
    t = np.arange(n + 1) / n
    f = np.cos((t + COSINE_OFFSET) / (1 + COSINE_OFFSET) * math.pi / 2) ** 2
    ab = f / f[0]
    beta = np.clip(1 - ab[1:] / ab[:-1], 0, COSINE_MAX_BETA)
    return np.concatenate([[1.0], np.cumprod(1.0 - beta)])
