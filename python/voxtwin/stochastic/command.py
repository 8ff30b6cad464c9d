"""``voxtwin stochastic calibrate|sample``: fit a random-set model to 2D images, sample it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from .._cli_steps import add_stepped_command, add_plane_image_arguments

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Adds the ``stochastic`` subcommand (calibrate, sample) to the CLI's subparsers."""
    steps = add_stepped_command(sub, "stochastic", help="random-field twins: calibrate from 2D images, sample volumes")
    cal = steps.add_parser("calibrate", help="fit a model to 2D images of orthogonal planes; write model JSON")
    add_plane_image_arguments(cal, required=False)
    cal.add_argument("--voxel-size", type=float, required=True, help="µm per pixel")
    cal.add_argument("--field", choices=("gaussian", "chi2"), default="gaussian")
    cal.add_argument("--symmetry", default="orthotropic",
                     help="orthotropic, isotropic, transverse_x|y|z (default orthotropic)")
    cal.add_argument("--method", choices=("moments", "adversarial"), default="moments")
    cal.add_argument("--phase", type=int, default=1)
    cal.add_argument("--k", default="auto", help="chi2 degrees of freedom or auto")
    cal.add_argument("--seed", type=int, default=0)
    cal.add_argument("--out", required=True, help="model JSON to write")
    cal.set_defaults(func=_calibrate)
    smp = steps.add_parser("sample", help="sample a model JSON into a volume (zarr: slab by slab, resumable; else any voxtwin.io format)")
    smp.add_argument("model", help="model JSON written by `calibrate`")
    smp.add_argument("out", help=".zarr (written slab by slab, resumes), or .npy/.tif/.raw")
    smp.add_argument("--shape", type=int, nargs=3, required=True, metavar=("NX", "NY", "NZ"))
    smp.add_argument("--voxel-size", type=float, required=True, help="µm per voxel")
    smp.add_argument("--seed", type=int, default=0)
    smp.add_argument("--quiet", action="store_true", help="no progress bar")
    smp.set_defaults(func=_sample)


def _read_images(paths: list[str]) -> list[np.ndarray]:
    import tifffile

    images: list[np.ndarray] = []
    for p in paths:
        try:
            arr = np.load(p) if p.endswith(".npy") else tifffile.imread(p)
        except (OSError, ValueError) as exc:
            raise ValueError(f"image {p!r} could not be read: {exc}") from exc
        images.extend([arr] if arr.ndim == 2 else list(arr))
    return images


def _calibrate(args: argparse.Namespace) -> int:
    from voxtwin import stochastic

    slices = {plane: _read_images(getattr(args, plane)) for plane in ("xy", "xz", "yz") if getattr(args, plane)}
    if not slices:
        raise ValueError("give images of at least one plane: --xy, --xz and/or --yz")
    k: int | str = args.k if args.k == "auto" else int(args.k)
    model = stochastic.calibrate(slices, args.voxel_size, field=args.field, symmetry=args.symmetry,
                                 method=args.method, phase=args.phase, k=k, seed=args.seed)
    model.save(args.out)
    print(json.dumps({k: v for k, v in model.to_dict().items() if k != "info"}))
    return 0


def _sample(args: argparse.Namespace) -> int:
    from voxtwin import stochastic

    model = stochastic.ExcursionModel.load(args.model)
    out = Path(args.out)
    if out.suffix == ".zarr":
        model.to_zarr(out, tuple(args.shape), args.voxel_size, args.seed, progress=not args.quiet)
    else:
        import voxtwin

        labels = model.sample(tuple(args.shape), args.voxel_size, args.seed)
        voxtwin.io.write(out, labels, args.voxel_size, overwrite=True, progress=False)
    print(json.dumps({"out": str(out), "shape": list(args.shape), "volume_fraction_model": model.volume_fraction}))
    return 0
