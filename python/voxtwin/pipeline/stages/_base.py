"""What a stage returns: its outputs (run-relative paths), summary numbers and figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outcome:
    outputs: dict[str, str] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
