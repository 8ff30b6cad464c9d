"""Giga-voxel assembly to compressed zarr, and the castle of seed 000 planned from the measured rate.

    python benchmarks/bench_assemble.py [--blocks procedural|stored] [--grid 8] [--edge 125] [--threads 2]

Case 1: a helicoidal stack of grid³ blocks of edge³ voxels (default 8 × 8 × 8 blocks of 125³ =
1.0e9 voxels, 4 µm) written to a zstd-compressed zarr v3 store chunk by chunk with `threads`
threads. It runs in a child process so its time and peak resident memory are its own (target
on a 2-core machine: <= 120 s, <= 2 GiB). Procedural blocks come from voxtwin.generate_fibres
(basalt fibres of seed 000: 15 µm × 100 µm at 10 vol%, aligned within 10°); "stored" blocks are
four pre-generated arrays pasted over and over (paste, compression and I/O only).
Case 2: the castle of seed 000 (40 × 32 × 12 mm³ at 4 µm: 80 × 64 × 24 blocks of 0.5 mm) planned:
voxels, memory, expected fibres, and the write time projected from case 1's rate.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import voxtwin as vt
from _harness import record

HERE = Path(__file__).resolve().parent
VOXEL_UM = 4.0
ANGLES = (0, 45, 90, 135)


def fibre_spec():
    """Seed 000's basalt fibres in PLA: 15 µm diameter, 100 µm long, 10 vol%, aligned within 10°."""
    return vt.FibreSpec(volume_fraction=0.10, diameter=15.0, length=100.0,
                        orientation=vt.orientation.Aligned((1.0, 0.0, 0.0), 10.0))


def stored_block(rng: np.random.Generator, edge: int, angle: float) -> np.ndarray:
    """Straight fibres (15 × 100 µm) at an in-plane angle, 10 vol%, drawn voxel-exactly in their boxes."""
    labels = np.zeros((edge, edge, edge), dtype=np.uint8)
    r, half = 7.5 / VOXEL_UM, 50.0 / VOXEL_UM
    t = math.radians(angle)
    d = np.array([math.cos(t), math.sin(t), 0.0])
    target = 0.10 * labels.size
    while np.count_nonzero(labels) < target:
        c = rng.uniform(0, edge, 3)
        lo = np.maximum(np.floor(c - half - r).astype(int), 0)
        hi = np.minimum(np.ceil(c + half + r).astype(int) + 1, edge)
        g = np.stack(np.meshgrid(*[np.arange(a, b) + 0.5 for a, b in zip(lo, hi)], indexing="ij"), -1) - c
        along = g @ d
        inside = (np.abs(along) <= half) & (np.sum(g * g, -1) - along**2 <= r * r)
        labels[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]][inside] = 1
    return labels


def library(kind: str, edge: int) -> vt.BlockLibrary:
    if kind == "procedural":
        return vt.BlockLibrary.from_spec(fibre_spec(), angles=ANGLES, block_shape=(edge,) * 3, voxel_size=VOXEL_UM)
    lib = vt.BlockLibrary((edge,) * 3, VOXEL_UM)
    rng = np.random.default_rng(0)
    for a in ANGLES:
        lib.add_array(f"inner_{a}", stored_block(rng, edge, a), angle=a)
    return lib


def child(args: argparse.Namespace) -> None:
    """Builds and writes the assembly; prints one JSON line with its own time and peak memory."""
    vt.set_num_threads(args.threads)
    t0 = time.perf_counter()
    lib = library(args.blocks, args.edge)
    asm = vt.Assembly.stacked(lib, vt.stacking("helicoidal", n_layers=args.grid), layer_shape=(args.grid,) * 2)
    t_plan = time.perf_counter() - t0
    t0 = time.perf_counter()
    asm.to_zarr(args.out, chunks=(args.edge,) * 3, threads=args.threads, progress=False)
    t_write = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    stored = sum(p.stat().st_size for p in Path(args.out).rglob("*") if p.is_file())
    # correctness, untimed: a few chunks read back equal the chunks generated alone
    import zarr

    labels = zarr.open_group(args.out, mode="r")["labels"]
    fibre = 0
    for idx in [(0, 0, 0), (args.grid - 1, 3 % args.grid, args.grid - 1), (2 % args.grid, 5 % args.grid, 1)]:
        sl = tuple(slice(i * args.edge, (i + 1) * args.edge) for i in idx)
        got = labels[sl]
        assert np.array_equal(got, asm.chunk(idx)), idx
        fibre += np.count_nonzero(got == 1)
    print(json.dumps({"voxels": asm.n_voxels, "write_s": t_write, "setup_s": t_plan, "peak_rss_mib": rss,
                      "store_bytes": stored, "n_fibres_expected": asm.n_fibres,
                      "fibre_fraction_checked_chunks": fibre / (3 * args.edge**3)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", choices=("procedural", "stored"), default="procedural")
    parser.add_argument("--grid", type=int, default=8, help="blocks along each axis")
    parser.add_argument("--edge", type=int, default=125, help="voxels along a block edge")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    tmp = Path(tempfile.mkdtemp(prefix="bench_assemble_"))
    try:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--blocks", args.blocks, "--grid",
               str(args.grid), "--edge", str(args.edge), "--threads", str(args.threads), "--out", str(tmp / "a.zarr")]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=HERE).stdout
        res = json.loads(out.strip().splitlines()[-1])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rate = res["voxels"] / res["write_s"]
    n = args.grid**3
    record(f"assemble_{args.grid}x{args.grid}x{args.grid}_blocks_{args.edge}^3_{args.blocks}_to_zarr", {
        "voxels": res["voxels"], "blocks": n, "threads": args.threads, "write_s": round(res["write_s"], 2),
        "voxels_per_s": rate, "peak_rss_mib": round(res["peak_rss_mib"], 1),
        "compression_ratio": round(res["voxels"] / res["store_bytes"], 2),
        "setup_s": round(res["setup_s"], 2), "n_fibres_expected": round(res["n_fibres_expected"]),
        "fibre_fraction_checked_chunks": round(res["fibre_fraction_checked_chunks"], 4),
        "target_s": 120, "target_rss_mib": 2048})

    # The castle: plan only (nothing generated), projected from the measured rate.
    lib = library(args.blocks, 125)
    t0 = time.perf_counter()
    castle = vt.Assembly.stacked(lib, vt.stacking("helicoidal", n_layers=24), layer_shape=(80, 64))
    t_plan = time.perf_counter() - t0
    record("castle_40x32x12mm_4um_plan", {
        "grid_blocks": list(castle.grid_shape), "blocks": castle.n_blocks, "voxels": castle.n_voxels,
        "size_mm": [s / 1000 for s in castle.size_um], "memory_gib_uint8": round(castle.nbytes / 2**30, 1),
        "n_fibres_expected": round(castle.n_fibres), "plan_s": round(t_plan, 3),
        "projected_write_s": round(castle.n_voxels / rate), "projected_write_h": round(castle.n_voxels / rate / 3600, 2),
        "rate_from": f"{args.blocks} blocks, {args.threads} threads", "blocks_kind": args.blocks})


if __name__ == "__main__":
    main()
