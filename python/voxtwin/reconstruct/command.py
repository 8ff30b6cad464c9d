"""``voxtwin reconstruct fit|sample``: train a plane-conditioned diffusion model on 2D images of
three planes, sample 3D volumes from it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .._cli_steps import add_stepped_command, add_plane_image_arguments
from .sampler import BLENDS, WINDOW_OVERLAP

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Adds the ``reconstruct`` subcommand (fit, sample) to the CLI's subparsers."""
    steps = add_stepped_command(sub, "reconstruct",
                                help="2D->3D reconstruction with a plane-conditioned diffusion model (torch)")
    fit = steps.add_parser("fit", help="train on images of the xy, xz and yz planes; write the model (.pt)")
    add_plane_image_arguments(fit, required=True)
    fit.add_argument("--out", required=True, help="model file to write (.pt)")
    fit.add_argument("--size", type=int, default=64, help="training crop in pixels (default 64)")
    fit.add_argument("--config", choices=("paper", "small"), default="paper",
                     help="paper: the seed's Table 1 U-Net; small: a CPU-sized model (default paper)")
    fit.add_argument("--grey", action="store_true", help="grey-value images instead of phase labels")
    fit.add_argument("--steps", type=int, default=60_000, help="optimiser steps (default 60000, the seed's)")
    fit.add_argument("--resume", help="continue training this model file instead of a new model")
    fit.add_argument("--seed", type=int, default=0)
    fit.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    fit.set_defaults(func=_fit)
    smp = steps.add_parser("sample", help="sample 3D volumes from a model written by `fit`")
    smp.add_argument("model", help="model file written by `fit`")
    smp.add_argument("out", help="volume to write (.npy/.tif/.raw/.zarr via voxtwin.io); with --count > 1 "
                                 "numbered files name_000.ext, ...")
    smp.add_argument("--shape", type=int, nargs=3, required=True, metavar=("NX", "NY", "NZ"))
    smp.add_argument("--count", type=int, default=1, help="number of volumes (seeds seed, seed + 1, ...)")
    smp.add_argument("--harmonize", type=int, default=4, help="harmonizing steps n_h (default 4)")
    smp.add_argument("--gamma", type=float, default=0.5, help="blend γ of eq. 17 (default 0.5)")
    smp.add_argument("--plain-blend", action="store_true",
                     help="eq. 17 as printed: do not rescale the harmonizing blend to x_t's mean and spread "
                          "(drains the minority phase; see benchmarks/RESULTS.md, Issue 17 (c))")
    smp.add_argument("--steps", type=int, default=None, help="reverse steps (default: all T)")
    smp.add_argument("--sampler", choices=("ddpm", "ddim"), default="ddpm")
    smp.add_argument("--overlap", type=float, default=WINDOW_OVERLAP,
                     help=f"fraction of a window shared with its neighbour when the volume exceeds the training crop "
                          f"(default {WINDOW_OVERLAP}; 0 = disjoint tiles)")
    smp.add_argument("--blend", choices=BLENDS, default="hann",
                     help="how overlapping windows are combined: Hann taper (default, no seams) or plain mean")
    smp.add_argument("--voxel-size", type=float, default=1.0, help="µm per voxel written with the volume")
    smp.add_argument("--seed", type=int, default=0)
    smp.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    smp.add_argument("--quiet", action="store_true", help="no progress bar")
    smp.set_defaults(func=_sample)


def _fit(args: argparse.Namespace) -> int:
    from ..stochastic.command import _read_images
    from .model import PlaneDiffusion

    images = {plane: _read_images(getattr(args, plane)) for plane in ("xy", "xz", "yz")}
    if args.resume:
        model = PlaneDiffusion.load(args.resume, device=args.device)
    else:
        phases = "grey" if args.grey else None
        model = (PlaneDiffusion.small(args.size, phases) if args.config == "small"
                 else PlaneDiffusion(args.size, phases))
    model.fit(images, steps=args.steps, seed=args.seed, device=args.device, progress=not args.quiet)
    model.save(args.out)
    print(json.dumps({"out": args.out, "parameters": model.parameters, "steps_trained": model.steps_trained,
                      "final_loss": model.losses[-1]}))
    return 0


def _sample(args: argparse.Namespace) -> int:
    import voxtwin

    from .model import PlaneDiffusion

    model = PlaneDiffusion.load(args.model, device=args.device)
    out = Path(args.out)
    written = []
    for i in range(args.count):
        vol = model.sample(tuple(args.shape), harmonize=args.harmonize, gamma=args.gamma, steps=args.steps,
                           seed=args.seed + i, device=args.device, sampler=args.sampler, overlap=args.overlap,
                           blend=args.blend, match_moments=not args.plain_blend, progress=not args.quiet)
        path = out if args.count == 1 else out.with_name(f"{out.stem}_{i:03d}{out.suffix}")
        voxtwin.io.write(path, vol, args.voxel_size, overwrite=True, progress=False)
        written.append(str(path))
    print(json.dumps({"out": written, "shape": list(args.shape)}))
    return 0
