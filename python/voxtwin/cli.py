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
