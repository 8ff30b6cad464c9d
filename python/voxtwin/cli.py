"""The ``voxtwin`` command line. Each pipeline step adds its subcommand here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

# Exit codes: 0 success, 1 a step failed, 2 bad command-line usage (argparse's own).
EXIT_OK = 0
EXIT_FAILED = 1


def _cmd_info(args: argparse.Namespace) -> int:
    import voxtwin

    info = voxtwin.backend_info()
    try:
        info["cmake_dir"] = voxtwin.get_cmake_dir()
    except FileNotFoundError as exc:
        info["cmake_dir"] = f"unavailable: {exc}"
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        for key, value in info.items():
            print(f"{key:>18}: {value}")
    return EXIT_OK


def _cmd_assemble(args: argparse.Namespace) -> int:
    import voxtwin

    lib = voxtwin.BlockLibrary.load(args.library)
    if args.gcode:
        plan = voxtwin.gcode.read(args.gcode)
        asm = voxtwin.gcode.to_assembly(plan, lib, seed=args.seed)
    else:
        sequence: object = args.stack
        if args.stack not in ("helicoidal", "quasi_isotropic", "qi"):
            sequence = [float(a) for a in args.stack.split(",")]
        asm = voxtwin.Assembly.stacked(lib, voxtwin.stacking(sequence), layer_shape=tuple(args.layer_shape),
                                       axis=args.axis, seed=args.seed)
    print(asm.summary())
    if args.out is None:
        return EXIT_OK
    store = asm.to_zarr(args.out, chunks=args.chunks, threads=args.threads, progress=not args.quiet)
    print(f"wrote {args.out} ({dict(store.attrs)['voxtwin']['shape']} voxels)")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxtwin",
        description="Voxel digital twins of fibre composites: scan -> segmentation -> statistics -> "
        "unit twins -> assembly -> FFT elasticity.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    info = sub.add_parser("info", help="show version, backends (CPU threads, CUDA devices) and the CMake package dir")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_cmd_info)

    asm = sub.add_parser("assemble", help="stack or lay out blocks of a saved block library; write zarr (resumable)")
    asm.add_argument("library", help="folder written by BlockLibrary.save")
    asm.add_argument("out", nargs="?", help="zarr store to write (resumes an interrupted write); omit to plan only")
    layout = asm.add_mutually_exclusive_group(required=True)
    layout.add_argument("--stack", help="helicoidal, quasi_isotropic, or angles in degrees such as 0,90,45,135")
    layout.add_argument("--gcode", help="G-code whose drawing path places the blocks")
    asm.add_argument("--layer-shape", type=int, nargs=2, default=(4, 4), metavar=("N1", "N2"),
                     help="blocks per stacked layer (default 4 4)")
    asm.add_argument("--axis", choices=("x", "y", "z"), default="z", help="stacking axis (default z)")
    asm.add_argument("--seed", type=int, default=0, help="assembly seed (default 0)")
    asm.add_argument("--chunks", type=int, nargs=3, default=None, metavar=("X", "Y", "Z"),
                     help="output chunk shape in voxels (default: the block shape)")
    asm.add_argument("--threads", type=int, default=None, help="writer threads (default: CPU threads)")
    asm.add_argument("--quiet", action="store_true", help="no progress bar")
    asm.set_defaults(func=_cmd_assemble)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, TypeError, OSError) as exc:
        print(f"voxtwin {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
