"""The pipeline's stages in order; each module has NAME, DEPENDS, settings(config) and run(ctx)."""

from __future__ import annotations

from . import assemble, characterize, scan, segment, simulate, twins

STAGES = (scan, segment, characterize, twins, assemble, simulate)

__all__ = ["STAGES"]
