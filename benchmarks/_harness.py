"""Benchmark harness: one JSON line per case on stdout, appended to results.csv with the machine.

results.csv is append-only: date, commit, dirty flag, CPU, GPU, precision, case, figures (JSON).
Compare ratios measured side by side in one run; absolute times count only on a GPU.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS_CSV = HERE / "results.csv"
FIELDS = ["date", "commit", "dirty", "cpu", "gpu", "precision", "case", "figures"]


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=HERE, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} x{os.cpu_count()}"


def gpu_name() -> str:
    try:
        import voxtwin

        devices = voxtwin.backend_info().get("cuda_devices") or []
        return ", ".join(d["name"] for d in devices) if devices else "none"  # type: ignore[index]
    except Exception:  # the harness must still record CPU figures when voxtwin is broken
        return "unknown"


def machine() -> dict[str, str]:
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        # VOXTWIN_COMMIT: a copy of the tree without .git (scripts/gpu_check.sh on a GPU machine).
        "commit": os.environ.get("VOXTWIN_COMMIT") or _git("rev-parse", "--short", "HEAD") or "unknown",
        # results.csv grows with every case, so it does not make the checkout dirty.
        "dirty": "yes" if _git("status", "--porcelain", "--untracked-files=no", "--", ":/",
                               ":(top,exclude)benchmarks/results.csv") else "no",
        "cpu": cpu_name(),
        "gpu": gpu_name(),
    }


def record(case: str, figures: dict[str, Any], precision: str = "", csv_path: Path = RESULTS_CSV) -> dict[str, Any]:
    """Print one JSON line and append it to results.csv."""
    row: dict[str, Any] = {**machine(), "precision": precision, "case": case}
    # Other work on the machine skews CPU timings: keep the load beside the figures.
    figures = {**figures, "load_1min": round(os.getloadavg()[0], 2)}
    line = {**row, **figures}
    print(json.dumps(line), flush=True)
    new = not csv_path.exists()
    with csv_path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({**row, "figures": json.dumps(figures, sort_keys=True)})
    return line


def timeit(fn: Callable[[], Any], *, repeat: int = 5, warmup: int = 1) -> dict[str, float]:
    """Best and median wall time (s) of ``fn`` over ``repeat`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"best_s": min(times), "median_s": statistics.median(times)}


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
