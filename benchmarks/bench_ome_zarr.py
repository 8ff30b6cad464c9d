"""Cost of the OME-Zarr pyramid beside the assembly's level 0, measured in one run.

    python benchmarks/bench_ome_zarr.py [--grid 4] [--edge 125] [--threads 2]

A helicoidal stack of grid³ stored blocks (bench_assemble's pasted blocks: paste, compression
and I/O only) is written with Assembly.to_zarr, which now also builds the majority-label pyramid.
The pyramid is then deleted and rebuilt alone, so the two phases are timed on the same store:
base = total - pyramid. The ratio pyramid / base says what the pyramid adds to the 1e9-voxel
target of bench_assemble (<= 120 s on 2 cores).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import zarr

import voxtwin as vt
from _harness import peak_rss_mib, record
from bench_assemble import library
from voxtwin.assemble.zarr_store import _write_ome_levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=int, default=4)
    parser.add_argument("--edge", type=int, default=125)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    lib = library("stored", args.edge)
    layers = [[0, 45, 90, 135][k % 4] for k in range(args.grid)]
    asm = vt.Assembly.stacked(lib, sequence=layers, layer_shape=(args.grid, args.grid), axis="z")
    tmp = Path(tempfile.mkdtemp(prefix="bench_ome_"))
    try:
        store = tmp / "a.zarr"
        t0 = time.perf_counter()
        asm.to_zarr(store, chunks=(args.edge,) * 3, threads=args.threads, progress=False)
        total = time.perf_counter() - t0
        root = zarr.open_group(str(store), mode="r+")
        levels = len(root.attrs["ome"]["multiscales"][0]["datasets"])
        for name in ("pyramid", "pyramid_done"):
            shutil.rmtree(store / name)
        t0 = time.perf_counter()
        _write_ome_levels(asm, store, args.threads, False)
        pyramid = time.perf_counter() - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    base = total - pyramid
    record(f"ome_zarr_pyramid_{args.grid}^3_blocks_{args.edge}^3_stored_threads{args.threads}", {
        "voxels": asm.n_voxels, "levels": levels, "to_zarr_total_s": round(total, 2),
        "pyramid_s": round(pyramid, 2), "level0_s": round(base, 2),
        "pyramid_over_level0": round(pyramid / base, 3),
        "pyramid_voxels_per_s": round(asm.n_voxels / pyramid), "peak_rss_mib": round(peak_rss_mib())})


if __name__ == "__main__":
    main()
