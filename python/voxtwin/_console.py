"""What the command line prints: warnings once and plainly, pipeline stages as they start, numbers
people can read (engineering notation for CTEs, MPa for small stresses)."""

from __future__ import annotations

import contextlib
import math
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, TextIO

__all__ = ["plain_warnings", "stage_printer", "engineering", "stress_unit"]


@contextlib.contextmanager
def plain_warnings(stream: TextIO | None = None) -> Iterator[set[str]]:
    """Within the block, each distinct warning goes to ``stream`` (default stderr) once, as
    ``warning: Category: message`` without a file path or source line. Yields the set of texts shown."""
    shown: set[str] = set()

    def show(message: Any, category: type[Warning], filename: str, lineno: int, file: Any = None,
             line: Any = None) -> None:
        text = f"{category.__name__}: {message}"
        if text not in shown:
            shown.add(text)
            print(f"warning: {text}", file=stream or sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter("always")  # our own de-duplication instead of Python's per-location one
        warnings.showwarning = show
        yield shown


def stage_printer(shown: set[str], stream: TextIO | None = None) -> Any:
    """An ``on_event`` for :func:`voxtwin.pipeline.run`: a line per stage as it starts (or is reused)
    on stdout, each distinct warning once on stderr (sharing ``shown`` with :func:`plain_warnings`)."""

    def on_event(kind: str, stage: str, text: str) -> None:
        if kind == "start":
            print(f"[{text}] {stage} ...", file=stream or sys.stdout, flush=True)
        elif kind == "reused":
            print(f"[{text}] {stage}: reused from the run folder", file=stream or sys.stdout, flush=True)
        elif kind == "warning" and text not in shown:
            shown.add(text)
            print(f"warning ({stage}): {text}", file=sys.stderr, flush=True)

    return on_event


def engineering(values: Sequence[float] | float, digits: int = 3) -> str:
    """Numbers in engineering notation (exponent a multiple of 3), e.g. 5.02e-05 -> '50.2e-6'."""
    if isinstance(values, (int, float)):
        x = float(f"{float(values):.{digits - 1}e}")  # rounded to `digits` significant digits first
        if x == 0.0 or not math.isfinite(x):
            return f"{x:g}" if x else "0"
        power = int(math.floor(math.log10(abs(x))))
        exp = (power // 3) * 3
        text = f"{x / 10.0**exp:.{max(digits - 1 - (power - exp), 0)}f}"
        return text if exp == 0 else f"{text}e{exp}"
    return "[" + ", ".join(engineering(float(v), digits) for v in values) + "]"


def stress_unit(max_abs_gpa: float) -> tuple[str, float]:
    """('MPa', 1000) when stresses in GPa are below 0.1 GPa in magnitude, else ('GPa', 1)."""
    return ("MPa", 1000.0) if max_abs_gpa < 0.1 else ("GPa", 1.0)
