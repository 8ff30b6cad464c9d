"""The whole workflow from one TOML file: scan → segmentation → statistics → unit twins →
assembly → composite voxels → simulation, with a resumable run folder and an HTML report."""

from __future__ import annotations

from .config import load_config
from .demo import demo_config
from .report import write_report
from .rundir import RunDir, StepRecord, fingerprint
from .runner import run

__all__ = ["run", "load_config", "demo_config", "RunDir", "StepRecord", "fingerprint", "write_report"]
