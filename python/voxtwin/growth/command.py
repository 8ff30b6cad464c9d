"""``voxtwin grow``: grow a layout from rules and frequencies, write it and its voxels."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

__all__ = ["add_parser"]


def _rules_and_library(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from ..assemble import BlockLibrary
    from .blocks import basic_blocks
    from .rules import AdjacencyRules

    source = args.rules
    if source == "basic":
        lib = basic_blocks(args.block_voxels, args.voxel_size, args.strut)
        return AdjacencyRules.from_library(lib, tolerance=args.tolerance), lib
    path = Path(source)
    if path.is_dir():
        lib = BlockLibrary.load(path)
        return AdjacencyRules.from_library(lib, variants=not args.no_variants, tolerance=args.tolerance), lib
    if not path.is_file():
        raise ValueError(f"`RULES` must be 'basic', a block library folder or a rules JSON file, got {source!r}")
    rules = AdjacencyRules.from_dict(json.loads(path.read_text()))
    lib = BlockLibrary.load(args.library) if args.library else None
    return rules, lib


def _xi(text: str, groups: tuple[str, ...]) -> list[float]:
    """'0.4,0.2,0.2,0.2' or 'cross=0.4,line=0.6' -> fractions in group order."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if all("=" in p for p in parts):
        named = {k.strip(): float(v) for k, v in (p.split("=", 1) for p in parts)}
        unknown = sorted(set(named) - set(groups))
        if unknown:
            raise ValueError(f"`--frequency` names blocks the rules lack: {unknown}; blocks: {list(groups)}")
        return [named.get(g, 0.0) for g in groups]
    return [float(p) for p in parts]


def _field(args: argparse.Namespace, groups: tuple[str, ...], grid: tuple[int, int, int]) -> np.ndarray:
    if args.frequency.endswith(".npy"):
        return np.load(args.frequency)
    start = np.asarray(_xi(args.frequency, groups))
    if args.frequency_to is None:
        return start
    end = np.asarray(_xi(args.frequency_to, groups))
    if start.shape != end.shape:
        raise ValueError("`--frequency` and `--frequency-to` must list the same blocks")
    slabs = args.regions or grid[0]
    if not 1 <= slabs <= grid[0]:
        raise ValueError(f"`--regions` must be in 1..{grid[0]} (slabs along x), got {slabs}")
    t = (np.arange(grid[0]) * slabs // grid[0]) / max(slabs - 1, 1)  # slab index of each x, scaled to [0, 1]
    rows = start[None, :] * (1 - t[:, None]) + end[None, :] * t[:, None]
    return np.broadcast_to(rows[:, None, None, :], grid + (len(groups),)).copy()


def _run(args: argparse.Namespace) -> int:
    from ..assemble import Assembly
    from .grow import grow

    rules, lib = _rules_and_library(args)
    grid = tuple(args.grid)
    layout = grow(rules, grid, _field(args, rules.groups, grid), args.seed, periodic=args.periodic,
                  max_restarts=args.max_restarts)
    out = Path(args.out)
    layout_path = layout.save(out.with_name(out.name.removesuffix(".zarr") + ".layout.npz"))
    freq = layout.frequencies()
    error = float(np.abs(freq - layout.targets).max())
    report = {"grid": list(grid), "regions": int(layout.targets.shape[0]), "restarts": layout.restarts,
              "repairs": layout.repairs, "full_restarts": layout.full_restarts, "violations": layout.violations(),
              "max_frequency_error": error, "layout": str(layout_path)}
    if out.suffix == ".zarr":
        if lib is None:
            raise ValueError("writing voxels needs the blocks: pass --library with a rules JSON file")
        asm = Assembly.from_layout(lib, layout, seed=args.seed)
        # chunks of a few blocks, not one block each: grown grids hold many small blocks
        chunks = tuple(args.chunks) if args.chunks else tuple(min(n, 128) for n in asm.shape)
        asm.to_zarr(out, chunks=chunks, progress=not args.quiet, overwrite=args.overwrite)
        report["zarr"] = str(out)
        report["voxels"] = list(asm.shape)
    print(json.dumps(report) if args.json else "\n".join(f"{k:20s} {v}" for k, v in report.items()))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    """Registers ``voxtwin grow`` on a subparsers object."""
    p = sub.add_parser("grow", help="grow a disordered architecture from building blocks under adjacency rules "
                       "(seed 002); write the layout and its voxels to zarr")
    p.add_argument("rules", help="'basic' (the seed's four strut blocks), a block library folder (rules from its "
                   "face signatures) or a rules JSON file (AdjacencyRules.to_dict)")
    p.add_argument("out", help="OUT.zarr (voxels, plus OUT.layout.npz) or OUT.npz (layout only)")
    p.add_argument("--grid", type=int, nargs=3, required=True, metavar=("GX", "GY", "GZ"), help="cells along x, y, z")
    p.add_argument("--frequency", required=True,
                   help="target fractions: '0.4,0.2,0.2,0.2', 'cross=0.4,line=0.6' or a .npy field [gx, gy, gz, n]")
    p.add_argument("--frequency-to", default=None, help="grade linearly along x from --frequency to this")
    p.add_argument("--regions", type=int, default=None, help="slabs along x for --frequency-to (default: one per cell)")
    p.add_argument("--seed", type=int, default=0, help="growth seed (default 0)")
    p.add_argument("--periodic", action="store_true", help="wrap adjacency across the grid faces")
    p.add_argument("--max-restarts", type=int, default=10, help="full restarts allowed (default 10)")
    p.add_argument("--library", default=None, help="block library folder for a rules JSON file")
    p.add_argument("--tolerance", type=float, default=0.0, help="face-signature mismatch allowed (default 0)")
    p.add_argument("--no-variants", action="store_true", help="do not add turned/mirrored variants of library blocks")
    p.add_argument("--block-voxels", type=int, default=10, help="voxels per block edge for 'basic' (default 10)")
    p.add_argument("--voxel-size", type=float, default=150.0, help="µm per voxel for 'basic' (default 150)")
    p.add_argument("--strut", type=float, default=0.2, help="strut width / block edge for 'basic' (default 0.2)")
    p.add_argument("--chunks", type=int, nargs=3, default=None, metavar=("X", "Y", "Z"),
                   help="zarr chunk shape in voxels (default up to 128 per axis)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing zarr store")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
    return p
