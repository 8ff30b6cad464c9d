"""2D -> 3D reconstruction of (anisotropic) microstructures with a plane-conditioned diffusion
model (seed 003): a conditional 2D DDPM trained on images of the xy, xz and yz planes samples 3D
volumes by multi-plane denoising with harmonized sampling.

Needs torch (the ``ai`` extra); ``import voxtwin`` does not import this module's torch parts
until a name is used.
"""

from __future__ import annotations

from .data import PLANES, Encoding
from .evaluate import Evaluation, evaluate
from .model import PREDICTIONS, Config, PlaneDiffusion
from .schedule import SCHEDULES, alpha_bar

__all__ = ["PlaneDiffusion", "Config", "Encoding", "PLANES", "PREDICTIONS", "SCHEDULES", "alpha_bar", "evaluate",
           "Evaluation"]
