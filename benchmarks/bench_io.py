"""Volume I/O throughput per format, side by side with the bare libraries (the cost of [x, y, z] order).

    python benchmarks/bench_io.py [--size 256]
"""

from __future__ import annotations

import argparse
import tempfile
from functools import partial
from pathlib import Path

import numpy as np
import tifffile
import voxtwin as vt
from _harness import record, timeit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="edge of the cubic uint16 test volume (voxels)")
    args = parser.parse_args()
    n = args.size
    rng = np.random.default_rng(0)
    data = rng.integers(0, 4096, size=(n, n, n), dtype=np.uint16)  # 12-bit CT-like values
    mib = data.nbytes / 2**20
    figures: dict[str, float] = {"voxels": data.size, "mib": mib}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, suffix in (("tiff", ".tif"), ("raw", ".raw"), ("npy", ".npy"), ("zarr", ".zarr")):
            path = folder / f"vol{suffix}"
            voxel_size = 1.0 if name in ("tiff", "zarr") else None
            read_kwargs = {"shape": data.shape, "dtype": "uint16", "byte_order": "little"} if name == "raw" else {}
            t_write = timeit(partial(vt.io.write, path, data, voxel_size=voxel_size, overwrite=True), repeat=3)
            assert np.array_equal(vt.io.read(path, **read_kwargs).data, data)
            t_read = timeit(partial(vt.io.read, path, **read_kwargs), repeat=3)
            figures[f"{name}_write_mib_per_s"] = mib / t_write["best_s"]
            figures[f"{name}_read_mib_per_s"] = mib / t_read["best_s"]
            if name == "zarr":
                stored = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
                figures["zarr_compression_ratio"] = data.nbytes / stored
        # bare tifffile on the (z, y, x) array: what the axis transposes cost
        zyx = np.ascontiguousarray(data.T)
        bare = folder / "bare.tif"
        t_bare_w = timeit(lambda: tifffile.imwrite(bare, zyx), repeat=3)
        t_bare_r = timeit(lambda: tifffile.imread(bare), repeat=3)
        figures["tifffile_bare_write_mib_per_s"] = mib / t_bare_w["best_s"]
        figures["tifffile_bare_read_mib_per_s"] = mib / t_bare_r["best_s"]
    figures["tiff_read_vs_bare"] = figures["tiff_read_mib_per_s"] / figures["tifffile_bare_read_mib_per_s"]
    figures["tiff_write_vs_bare"] = figures["tiff_write_mib_per_s"] / figures["tifffile_bare_write_mib_per_s"]
    record(f"io_uint16_{n}^3", figures)


if __name__ == "__main__":
    main()
