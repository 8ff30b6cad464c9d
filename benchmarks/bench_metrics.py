"""Descriptors side by side with PoreSpy, and random-field sampling throughput.

    python benchmarks/bench_metrics.py [--sizes 128 256] [--no-porespy]

Every (tool, descriptor, size) runs in a fresh child process so that its peak memory can be
measured alone: the child builds the test volume (a Gaussian excursion set, phi = 0.3, lengths
6/3/1.5 voxels), resets the kernel's peak-RSS counter (/proc/self/clear_refs), runs the descriptor
once untimed (numba compiles PoreSpy's kernels then) and then times it; peak memory is the
peak RSS above the resident size before the timed runs. The same child returns the values that
overlap between the tools, so the answers are compared in the same run:
- S2: PoreSpy 3.2's two_point_correlation zero-pads (non-periodic) and averages the per-lag S2 of
  the lags in each radial bin; voxtwin's ``radial`` (periodic=False) pools pairs over windows in the
  same bins (round(|r|)), a slightly different estimator of the same quantity: PoreSpy's entry k is
  the bin at distance k + 1 and is compared with voxtwin's bin k + 1. voxtwin also computes S2
  along x, y and z (both signs) in the same call; PoreSpy has no directional S2.
- chords: PoreSpy's apply_chords (axis 0, spacing 1, trimmed edges) + chord_counts vs voxtwin's
  chords (all three axes, every line, trimmed); the x-axis chord counts on the lines PoreSpy draws
  are compared (with spacing=0 PoreSpy's chord_counts merges the touching chords of neighbouring
  lines into one region).
- lineal path: PoreSpy's distance_transform_lin + lineal_path_distribution (axis 0) is a histogram
  of linear distances, not L(r): only the time and memory are compared. ``lineal_path`` times
  voxtwin's L(r) along x, y and z; ``lineal_path_x`` along x alone, PoreSpy's work (same PoreSpy call).

Run with ``OMP_NUM_THREADS=1 NUMBA_NUM_THREADS=1`` for the per-core comparison (both tools on one
thread: CPU time is then the honest figure on a loaded machine).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def _status_kib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return float(line.split()[1])
    return float("nan")


def _volume(n: int) -> np.ndarray:
    from voxtwin import stochastic

    return stochastic.ExcursionModel("gaussian", 0.3, (6.0, 3.0, 1.5)).sample((n, n, n), 1.0, seed=1)


def _voxtwin(kind: str, im: np.ndarray) -> tuple[object, dict]:
    from voxtwin import metrics

    if kind == "s2":
        r = metrics.two_point(im, periodic=False)  # zero-padded, as PoreSpy 3.2 does
        return r, {"radial": r.radial.tolist()}
    if kind == "chords":
        r = metrics.chords(im, periodic=False, trim_edges=True)
        # PoreSpy draws chords on every other line (spacing=1: with spacing=0 its chord_counts merges
        # touching chords of neighbouring lines) and its clear_border drops the lines lying in a face:
        # (of the subsampled array: for even n the last drawn line too); compare those lines (untimed)
        inner = metrics.chords(np.ascontiguousarray(im[:, 2:-2:2, 2:-2:2]), periodic=False, trim_edges=True)
        return r, {"x_counts": inner.extra["counts"]["x"].tolist()}
    if kind == "lineal_path_x":
        from voxtwin import _core
        from voxtwin.metrics.lineal_path import lineal_path_from_runs

        inner, edge = _core.run_lengths(im, 0, 1, False)   # what lineal_path does for one axis
        n = im.shape[0]
        return lineal_path_from_runs(inner, edge, n, im.size // n, False, min(im.shape) // 2 + 1), {}
    return metrics.lineal_path(im, periodic=False), {}


def _porespy(kind: str, im: np.ndarray) -> tuple[object, dict]:
    import porespy as ps

    ps.settings.tqdm["disable"] = True
    b = im.astype(bool)
    if kind == "s2":
        n = min(im.shape)
        edges = np.arange(0.5, n // 2 + 0.5 + 1e-9, 1.0)
        r = ps.metrics.two_point_correlation(b, bins=edges)
        return r, {"radial": [float("nan")] + list(map(float, r.probability_scaled))}
    if kind == "chords":
        ch = ps.filters.apply_chords(b, axis=0, spacing=1, trim_edges=True)
        sizes = ps.metrics.chord_counts(ch)
        return sizes, {"x_counts": np.bincount(sizes.astype(np.int64), minlength=im.shape[0] + 1).tolist()}
    lt = ps.filters.distance_transform_lin(b, axis=0, mode="both")
    return ps.metrics.lineal_path_distribution(lt, bins=25), {}


def child(tool: str, kind: str, n: int, repeat: int) -> None:
    im = _volume(n)
    fn = _voxtwin if tool == "voxtwin" else _porespy
    fn(kind, im[: min(n, 32), : min(n, 32), : min(n, 32)].copy())  # warm-up (numba JIT) on a small volume
    base = _status_kib("VmRSS:")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS counter
    times, cpu, values = [], [], {}
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        _, values = fn(kind, im)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    peak = _status_kib("VmHWM:")
    print(json.dumps({"best_s": min(times), "cpu_s": min(cpu), "peak_mib": (peak - base) / 1024.0, "values": values}))


def run_child(tool: str, kind: str, n: int, repeat: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", tool, kind, str(n), str(repeat)], check=True,
                         capture_output=True, text=True, cwd=HERE)
    return json.loads(out.stdout.strip().splitlines()[-1])


def sampling(n: int) -> dict:
    import voxtwin as vt
    from voxtwin import stochastic

    figures = {}
    before = vt.get_num_threads()
    for threads in sorted({1, before}):
        vt.set_num_threads(threads)
        stochastic.gaussian_field((n, n, n), (6.0, 3.0, 1.5), seed=0)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            stochastic.gaussian_field((n, n, n), (6.0, 3.0, 1.5), seed=0)
            best = min(best, time.perf_counter() - t0)
        figures[f"field_{threads}t_vox_per_s"] = n**3 / best
        # process CPU time: per-core throughput even when other work shares the cores
        c0 = time.process_time()
        stochastic.gaussian_field((n, n, n), (6.0, 3.0, 1.5), seed=0)
        figures[f"field_{threads}t_vox_per_cpu_s"] = n**3 / (time.process_time() - c0)
    vt.set_num_threads(before)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of voxtwin (PoreSpy: one)")
    parser.add_argument("--no-porespy", action="store_true")
    parser.add_argument("--kinds", nargs="+", default=["s2", "chords", "lineal_path"],
                        choices=["s2", "chords", "lineal_path", "lineal_path_x"])
    parser.add_argument("--no-field", action="store_true", help="skip the random-field throughput case")
    parser.add_argument("--porespy-s2-max", type=int, default=128,
                        help="largest size for PoreSpy's S2 (its memory grows ~14x per doubling; default 128)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        tool, kind, n, repeat = args.child
        child(tool, kind, int(n), int(repeat))
        return
    from _harness import record

    have_porespy = not args.no_porespy
    if have_porespy:
        try:
            import porespy  # noqa: F401
        except ImportError:
            have_porespy = False
    for n in args.sizes:
        for kind in args.kinds:
            v = run_child("voxtwin", kind, n, args.repeat)
            figures = {"voxels": n**3, "voxtwin_s": v["best_s"], "voxtwin_cpu_s": v["cpu_s"],
                       "voxtwin_peak_mib": v["peak_mib"],
                       "threads": int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))}
            if have_porespy and not (kind == "s2" and n > args.porespy_s2_max):
                p = run_child("porespy", kind, n, 1)
                figures.update({"porespy_s": p["best_s"], "porespy_cpu_s": p["cpu_s"], "porespy_peak_mib": p["peak_mib"],
                                "speedup": p["best_s"] / v["best_s"], "speedup_cpu_time": p["cpu_s"] / v["cpu_s"],
                                "memory_ratio": v["peak_mib"] / max(p["peak_mib"], 1e-9)})
                if kind == "s2":
                    a, b = np.array(v["values"]["radial"]), np.array(p["values"]["radial"])
                    m = min(a.size, b.size)
                    figures["max_abs_diff_radial_s2"] = float(np.nanmax(np.abs(a[1:m] - b[1:m])))
                if kind == "chords":
                    a, b = np.array(v["values"]["x_counts"]), np.array(p["values"]["x_counts"])
                    m = max(a.size, b.size)
                    a, b = np.pad(a, (0, m - a.size)), np.pad(b, (0, m - b.size))
                    figures["chord_count_mismatches_x"] = int(np.sum(a != b))
            record(f"metrics_{kind}_{n}^3", figures)
        if not args.no_field:
            record(f"gaussian_field_{n}^3", {"voxels": n**3, **sampling(n)})


if __name__ == "__main__":
    main()
