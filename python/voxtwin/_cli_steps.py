"""Shared argparse pieces for subcommands with steps (``voxtwin stochastic|design|reconstruct STEP``)."""

from __future__ import annotations

import argparse

__all__ = ["add_stepped_command", "add_plane_image_arguments"]


def add_stepped_command(sub: argparse._SubParsersAction,  # type: ignore[type-arg]
                        name: str, help: str) -> argparse._SubParsersAction:  # type: ignore[type-arg]
    """Adds ``voxtwin NAME STEP ...`` to the CLI's subparsers; returns the subparsers of its steps."""
    parser = sub.add_parser(name, help=help)
    steps = parser.add_subparsers(dest="step", metavar="STEP")
    steps.required = True  # a bare `voxtwin NAME` prints that a step is needed
    return steps


def add_plane_image_arguments(parser: argparse.ArgumentParser, required: bool) -> None:
    """``--xy/--xz/--yz IMAGE...``: 2D micrographs of the three orthogonal planes."""
    for plane in ("xy", "xz", "yz"):
        parser.add_argument(f"--{plane}", nargs="+", required=required, default=[], metavar="IMAGE",
                            help=f"images of the {plane} plane (.npy/.tif 2D, or a stack with images along "
                                 "the first axis)")
