"""The whole workflow from one TOML file: scan → segmentation → statistics → unit twins →
assembly → composite voxels → simulation, with a resumable run folder and an HTML report."""

from __future__ import annotations

from .report import write_report
from .rundir import RunDir, StepRecord, fingerprint

__all__ = ["RunDir", "StepRecord", "fingerprint", "write_report"]
