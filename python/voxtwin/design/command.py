"""``voxtwin design dataset|fit|sample|search``: label cubic cells, train the stiffness diffusion model,
generate (and select) cells for a target C11, C12, C44, or edit the nearest labelled cells toward it
under the solver."""

from __future__ import annotations

import argparse
import json

import numpy as np

from .._cli_steps import add_stepped_command

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Adds the ``design`` subcommand (dataset, fit, sample, search) to the CLI's subparsers."""
    steps = add_stepped_command(sub, "design", help="inverse design of cubic cells by guided diffusion (seed 004)")
    ds = steps.add_parser("dataset", help="generate and label cubic cells (excursion sets, batched solver) into zarr")
    ds.add_argument("out", help="zarr group to write")
    ds.add_argument("--n", type=int, default=2000, help="connected cells to keep (default 2000)")
    ds.add_argument("--size", type=int, default=16, help="voxels per axis of a cell (even; default 16)")
    ds.add_argument("--seed", type=int, default=0)
    ds.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="solver device")
    ds.add_argument("--quiet", action="store_true", help="no progress bar")
    ds.set_defaults(func=_dataset)
    ft = steps.add_parser("fit", help="train a StiffnessDiffusion model on a dataset")
    ft.add_argument("dataset", help="zarr group written by `design dataset`")
    ft.add_argument("out", help="model file to write (torch)")
    ft.add_argument("--config", choices=("cpu", "paper"), default="cpu", help="architecture/training settings (default cpu)")
    ft.add_argument("--epochs", type=int, default=None, help="override the config's epochs")
    ft.add_argument("--seed", type=int, default=0)
    ft.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu", help="torch device")
    ft.add_argument("--quiet", action="store_true")
    ft.set_defaults(func=_fit)
    sm = steps.add_parser("sample", help="generate cells for a target (C11 C12 C44 in GPa), select the best")
    sm.add_argument("model", help="model file written by `design fit`")
    sm.add_argument("out", help=".npy of the generated cells [n, s, s, s] (uint8, 1 = solid)")
    sm.add_argument("--target", type=float, nargs=3, required=True, metavar=("C11", "C12", "C44"))
    sm.add_argument("--vf", type=float, default=None, help="volume fraction condition (default: dropped)")
    sm.add_argument("--n", type=int, default=4)
    sm.add_argument("--steps", type=int, default=25)
    sm.add_argument("--guidance", type=float, default=1.0)
    sm.add_argument("--seed", type=int, default=0)
    sm.add_argument("--select", action="store_true", help="homogenize the samples and print the best (eq. 18 error)")
    sm.add_argument("--islands", choices=("keep", "floating", "largest"), default="keep",
                    help="with --select: before the connectivity filter remove floating islands (solid that does not "
                         "wrap around the cell and touches nothing: no load, C unchanged) or all but the largest "
                         "cluster (seed 004); the saved cells are the repaired ones")
    sm.add_argument("--hinges", choices=("keep", "bridge"), default="keep",
                    help="with --select, after --islands: join solid that touches only along an edge or at a corner "
                         "by filling the voxels that make the contact a face (adds solid: the bridged cell is solved)")
    sm.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu", help="torch device")
    sm.set_defaults(func=_sample)
    se = steps.add_parser("search", help="edit the dataset cells nearest to a target (C11 C12 C44 in GPa) with the "
                                         "model, keeping what the solver finds closer (local search)")
    se.add_argument("model", help="model file written by `design fit`")
    se.add_argument("dataset", help="zarr group written by `design dataset` (the starts and the eq. 18 ranges)")
    se.add_argument("out", help=".npy of the best cell [s, s, s] (uint8, 1 = solid)")
    se.add_argument("--target", type=float, nargs=3, required=True, metavar=("C11", "C12", "C44"))
    se.add_argument("--vf", type=float, default=None, help="volume fraction condition (default: the nearest cell's)")
    se.add_argument("--t-start", type=float, default=0.6, help="SDEdit start time in (0, 1] (default 0.6)")
    se.add_argument("--rounds", type=int, default=4, help="search rounds (default 4)")
    se.add_argument("--proposals", type=int, default=8, help="edits homogenized per round (default 8)")
    se.add_argument("--starts", type=int, default=4, help="nearest dataset cells the first round edits (default 4)")
    se.add_argument("--seed", type=int, default=0)
    se.add_argument("--device", choices=("auto", "cpu", "cuda"), default="cpu", help="torch device")
    se.add_argument("--quiet", action="store_true", help="no progress bar")
    se.set_defaults(func=_search)


def _dataset(args: argparse.Namespace) -> int:
    from voxtwin import design

    ds = design.dataset("excursion", args.n, size=args.size, seed=args.seed, device=args.device, path=args.out,
                        progress=not args.quiet)
    print(json.dumps({"cells": len(ds), "size": ds.size, "ranges_GPa": ds.ranges.tolist(),
                      "vf": [float(ds.vf.min()), float(ds.vf.max())], "out": args.out}))
    return 0


def _fit(args: argparse.Namespace) -> int:
    from voxtwin import design

    ds = design.CellDataset.from_zarr(args.dataset)
    cfg = design.DiffusionConfig.cpu() if args.config == "cpu" else design.DiffusionConfig.paper()
    model = design.StiffnessDiffusion(ds.size, config=cfg)
    hist = model.fit(ds, seed=args.seed, device=args.device, epochs=args.epochs, progress=not args.quiet)
    model.save(args.out)
    print(json.dumps({"epochs": len(hist.loss), "final_loss": hist.loss[-1], "seconds": round(hist.seconds, 1),
                      "out": args.out}))
    return 0


def _sample(args: argparse.Namespace) -> int:
    from voxtwin import design

    model = design.StiffnessDiffusion.load(args.model)
    cells = model.sample(np.array(args.target), vf=args.vf, n=args.n, steps=args.steps, guidance=args.guidance,
                         seed=args.seed, device=args.device)
    report: dict[str, object] = {"cells": list(cells.shape), "out": args.out}
    if args.select:
        sel = design.select(cells, np.array(args.target), ranges=model.ranges, islands=args.islands,
                            hinges=args.hinges)
        cells = sel.candidates[0]  # as solved: repaired unless --islands/--hinges keep
        report.update({"best": int(sel.index[0]), "C_GPa": sel.C[0].tolist(), "eq18": float(sel.errors.eq18[0]),
                       "relative": sel.errors.relative_per[0].tolist(), "connected": sel.connected[0].tolist(),
                       "connected_before_repair": sel.connected_before[0].tolist(),
                       "voxels_removed": sel.removed[0].tolist(), "voxels_added": sel.added[0].tolist()})
    np.save(args.out, cells)
    print(json.dumps(report))
    return 0


def _search(args: argparse.Namespace) -> int:
    from voxtwin import design

    model = design.StiffnessDiffusion.load(args.model)
    train = design.CellDataset.from_zarr(args.dataset)
    target = np.array([args.target])
    vf = None if args.vf is None else np.array([args.vf])
    res = design.local_search(design.edit_proposals(model, args.t_start, device=args.device), train, target, vf,
                              starts=args.starts, rounds=args.rounds, candidates=args.proposals, seed=args.seed,
                              progress=not args.quiet)
    np.save(args.out, res.cells[0])
    # the search starts from the nearest dataset cell: its error (history[0]) is the retrieval's
    print(json.dumps({"out": args.out, "C_GPa": res.C[0].tolist(), "eq18": float(res.errors.eq18[0]),
                      "relative": res.errors.relative_per[0].tolist(), "retrieval_eq18": float(res.history[0, 0]),
                      "history_eq18": res.history[:, 0].tolist(), "homogenizations": res.evaluations}))
    return 0
