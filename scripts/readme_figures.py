"""Regenerate the README's demo figures (the stiffness table and the timings) from the current commit.

Runs `voxtwin demo` afresh into a temporary run folder, then writes a markdown block with the
E_x, E_y, E_z and A_E of each stack, the time of each stage and of the whole demo, and what they
were measured on (commit, date, CPU, cores, load average before and after). With ``--readme`` the
block replaces the one between the README's ``<!-- readme-figures:begin -->`` and
``<!-- readme-figures:end -->`` markers; otherwise it is printed.

    nice -n 10 python scripts/readme_figures.py --readme README.md      # full demo, minutes
    python scripts/readme_figures.py --size small                        # a quick look, not for the README
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BEGIN, END = "<!-- readme-figures:begin -->", "<!-- readme-figures:end -->"
ROOT = Path(__file__).resolve().parents[1]


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def measure(size: str, out: Path, *, resume: bool = False) -> dict[str, object]:
    """Run the demo into ``out`` (afresh unless ``resume``); the stiffness of each stack, the stage
    times, the machine."""
    from voxtwin._backend import backend_info
    from voxtwin.pipeline import demo_config, run

    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))  # the code that runs, not what follows
    commit = _git("rev-parse", "--short", "HEAD") + (" (with uncommitted changes)" if dirty else "")
    load_before = os.getloadavg()
    start = time.perf_counter()
    run_dir = run(demo_config(size, output=str(out)), resume=resume, progress=False)
    total = time.perf_counter() - start
    load_after = os.getloadavg()
    return {
        "size": size,
        "simulation": run_dir.read_json("simulation"),
        "stages": {rec.name: rec.seconds for rec in run_dir.steps()},
        "total_s": total,
        "commit": commit,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "threads": backend_info().get("num_threads"),
        "load": (load_before[0], load_after[0]),
    }


def markdown(m: dict[str, object]) -> str:
    """The README block for one measurement."""
    sim = m["simulation"]
    assert isinstance(sim, dict)
    rows = ["| stack | E_x (GPa) | E_y (GPa) | E_z (GPa) | A_E (xy) |", "|---|---|---|---|---|"]
    for name, rec in sim.items():
        E = rec["E_x, E_y, E_z (GPa)"]
        key = next(k for k in rec if k.startswith("A_E"))
        rows.append(f"| {name.replace('_', '-')} | {E[0]:.3f} | {E[1]:.3f} | {E[2]:.3f} | {rec[key]:.3f} |")
    stages = m["stages"]
    assert isinstance(stages, dict)
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in stages.items())
    load = m["load"]
    assert isinstance(load, tuple)
    minutes = float(m["total_s"]) / 60.0  # type: ignore[arg-type]
    return "\n".join([
        BEGIN,
        f"`voxtwin demo{' --size small' if m['size'] == 'small' else ''}` took **{minutes:.1f} minutes** "
        f"({timing}) on {m['cpu']}, {m['cores']} cores, load average {load[0]:.1f} before and {load[1]:.1f} "
        f"after (other jobs shared the machine), commit {m['commit']}, {m['date']}; "
        f"written by `scripts/readme_figures.py`:",
        "",
        *rows,
        END,
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=("full", "small"), default="full")
    parser.add_argument("--readme", type=Path, help="README to update between the markers (full size only)")
    parser.add_argument("--keep", type=Path, help="run folder to keep (default: a temporary one)")
    args = parser.parse_args(argv)
    if args.readme is not None and args.size != "full":
        parser.error("--readme takes the full demo's figures only (--size full)")
    with tempfile.TemporaryDirectory(prefix="voxtwin-readme-") as tmp:
        block = markdown(measure(args.size, args.keep or Path(tmp) / "demo"))
    if args.readme is None:
        print(block)
        return 0
    text = args.readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        print(f"{args.readme} has no {BEGIN} ... {END} block to replace", file=sys.stderr)
        return 1
    args.readme.write_text(pattern.sub(lambda _: block, text), encoding="utf-8")
    print(block)
    return 0


if __name__ == "__main__":
    sys.exit(main())
