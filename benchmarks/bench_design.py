"""Batched homogenization of small cells and the design model (seed 004): cells per second.

    python benchmarks/bench_design.py [--sizes 16 32 64] [--cells 64] [--device cpu|cuda] [--model MODEL.pt]

Case 1: cubic cells (excursion sets, voxtwin.design.excursion_octants) of 16³, 32³, 64³ voxels,
void + solid, tol 1e-5, side by side in one run: a Python loop of vt.homogenize (six load cases,
one cell after another) against vt.homogenize_cells with symmetry "none" (six cases) and "cubic"
(two cases for these invariant cells). Reports cells/s and the ratios.
Case 2 (--device cuda): the same batch on the CUDA solver (float32): cells/s (dataset labelling).
Case 3 (--model): time per generated structure of a fitted StiffnessDiffusion (DDIM, 25 steps) on
--device, at the model's size (the paper: 0.42 s per 128³ structure on an RTX 3090).
Case 4 (--study [MODEL.pt]): the acceptance test's split (fixture tests/data/design_cubic16.npz,
20 held-out targets, seed 0; the model trained as there unless a saved one is given) and, on the
same targets: nearest-neighbour retrieval; the generator's best of N = 4, 16, 32 (one run of 32
samples per target, the first N taken) with islands kept and repaired (connected share before and
after, and the largest relative change of C the repair caused on the repaired samples); the
solver-driven local search from the nearest training cells with SDEdit proposals (per t_start)
and with the random-flip control at the same budget (one flip rate per t_start: the edits'
measured share of changed voxels, and twice the largest).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import voxtwin as vt
from _harness import record
from voxtwin import design


def bench_cells(size: int, count: int, device: str) -> None:
    octs = design.excursion_octants(count, size=size, seed=11, vf=(0.3, 0.6))
    cells = design.cubic_cell(octs)
    loop_n = count
    t0 = time.perf_counter()
    for c in cells[:loop_n]:
        vt.homogenize(c, mats, tol=1e-5, device="cpu", progress=False)
    loop = loop_n / (time.perf_counter() - t0)
    none = vt.homogenize_cells(cells, mats, tol=1e-5, device="cpu", symmetry="none", progress=False)
    cubic = vt.homogenize_cells(cells, mats, tol=1e-5, device="cpu", symmetry="cubic", progress=False)
    record(f"design_batch_{size}", {"cells": count, "threads": vt.get_num_threads(),
                                    "loop_homogenize_cells_per_s": round(loop, 2),
                                    "batch_none_cells_per_s": round(none.cells_per_second, 2),
                                    "batch_cubic_cells_per_s": round(cubic.cells_per_second, 2),
                                    "ratio_none_vs_loop": round(none.cells_per_second / loop, 2),
                                    "ratio_cubic_vs_loop": round(cubic.cells_per_second / loop, 2),
                                    "mean_iterations_per_case_cubic": round(float(cubic.iterations.mean()) / 2, 1)},
           precision="float64")
    if device == "cuda":
        gpu = vt.homogenize_cells(cells, mats, tol=1e-5, device="cuda", symmetry="cubic", progress=False)
        dev = np.abs(gpu.cubic - cubic.cubic).max() / np.abs(cubic.cubic).max()
        record(f"design_batch_{size}_cuda", {"cells": count, "batch_cubic_cells_per_s": round(gpu.cells_per_second, 2),
                                             "max_rel_dev_vs_cpu": float(dev)}, precision="float32")


def bench_model(path: str, device: str) -> None:
    model = design.StiffnessDiffusion.load(path)
    target = np.array([[0.3, 0.1, 0.08]])
    model.sample(target, n=1, seed=0, device=device)  # warm-up
    n = 8
    t0 = time.perf_counter()
    model.sample(target, n=n, seed=1, device=device)
    per = (time.perf_counter() - t0) / n
    record(f"design_sample_{model.size}", {"device": device, "seconds_per_structure": round(per, 4),
                                           "steps": model.config.steps, "channels": list(model.config.channels)})


def bench_generator(model: design.StiffnessDiffusion, train: design.CellDataset, held: design.CellDataset) -> None:
    """--study: the generator's best of N = 4, 16, 32 with islands kept and repaired."""
    t0 = time.perf_counter()
    samples = model.sample(held.C, vf=held.vf, n=32, seed=1)
    t_gen = time.perf_counter() - t0
    raw = design.select(samples, held.C, ranges=train.ranges, device="cpu")
    for islands in ("floating", "largest"):
        sel = design.select(samples, held.C, ranges=train.ranges, device="cpu", islands=islands)
        rep = sel.removed > 0
        # cells the repair emptied (no wrapping solid at all: C as generated is ~1e-10 noise) left out
        emptied = rep & (sel.removed == samples.reshape(samples.shape[:2] + (-1,)).sum(axis=-1))
        ok = rep & ~emptied
        dev = dev11 = 0.0
        if ok.any():
            # C of the repaired cells against C of the same cells as generated (islands and all):
            # largest |ΔC_i| over C11 (the tensor's scale), and per constant (C12 can be near 0)
            d = np.abs(sel.candidate_C[ok] - raw.candidate_C[ok])
            dev = float((d / np.abs(raw.candidate_C[ok])).max())
            dev11 = float((d.max(axis=1) / np.abs(raw.candidate_C[ok][:, 0])).max())
        figs: dict[str, float] = {"connected_before": sel.connected_fraction_before,
                                  "connected_after": sel.connected_fraction,
                                  "repaired": int(rep.sum()), "emptied": int(emptied.sum()), "max_rel_dC_repair": dev,
                                  "max_dC_over_C11_repair": dev11,
                                  "dC_over_C11_above_1e-4": int((np.abs(sel.candidate_C - raw.candidate_C).max(axis=2)
                                                                 / np.abs(raw.candidate_C[..., 0]) > 1e-4)[ok].sum()),
                                  "mean_voxels_removed": float(sel.removed[rep].mean()) if rep.any() else 0.0,
                                  "repaired_now_connected": int((rep & sel.connected).sum())}
        for n in (4, 16, 32):
            for name, s in (("keep", raw), (islands, sel)):
                e = np.where(s.connected[:, :n], s.candidate_eq18[:, :n], np.inf).min(axis=1)
                found = np.isfinite(e)
                figs[f"best_of_{n}_{name}"] = float(np.mean(e[found])) if found.any() else float("nan")
                figs[f"targets_found_{n}_{name}"] = int(np.isfinite(e).sum())
            figs[f"mean_of_{n}"] = float(raw.candidate_eq18[:, :n].mean())
        figs["generate_s_per_structure"] = t_gen / samples[:, :, 0, 0, 0].size
        record(f"design_study_generator_islands_{islands}", figs)


def bench_study(model_path: str | None, rounds: int, candidates: int, t_starts: list[float], seed: int,
                generator: bool, unconditional: bool) -> None:
    import torch

    torch.set_num_threads(1)
    ds = design.CellDataset.from_npz(Path(__file__).parent.parent / "tests" / "data" / "design_cubic16.npz")
    order = np.random.default_rng(0).permutation(len(ds))
    held, train = ds.subset(order[:20]), ds.subset(order[20:])
    if model_path:
        model = design.StiffnessDiffusion.load(model_path)
    else:
        model = design.StiffnessDiffusion(16, config=design.DiffusionConfig.cpu())
        model.fit(train, seed=0, progress=False)
    _, nn = design.nearest_neighbour(train, held.C)
    record("design_study_retrieval", {"eq18_mean": float(nn.eq18.mean()), **nn.summary()})

    if generator:
        bench_generator(model, train, held)
    tag = f"r{rounds}c{candidates}s{seed}"

    changed = []
    for ts in t_starts:
        res = design.local_search(design.edit_proposals(model, ts), train, held.C, held.vf, rounds=rounds,
                                  candidates=candidates, seed=seed, device="cpu")
        changed.append(res.changed)
        _record_search(f"design_study_edit_t{ts}_{tag}", res, nn)
        if unconditional:
            # the same edits with the conditions dropped (guidance 0): does the target condition matter?
            res = design.local_search(design.edit_proposals(model, ts, guidance=0.0), train, held.C, held.vf,
                                      rounds=rounds, candidates=candidates, seed=seed, device="cpu")
            _record_search(f"design_study_edit_unconditional_t{ts}_{tag}", res, nn)
    for rate in sorted(changed) + [2 * max(changed)]:
        res = design.local_search(design.flip_proposals(rate), train, held.C, held.vf, rounds=rounds,
                                  candidates=candidates, seed=seed, device="cpu")
        _record_search(f"design_study_flips_{rate:.4f}_{tag}", res, nn)


def _record_search(case: str, res: design.SearchResult, nn: design.Errors) -> None:
    record(case, {"eq18_mean": float(res.errors.eq18.mean()), "evaluations": res.evaluations,
                  "vs_retrieval": float(res.errors.eq18.mean() / nn.eq18.mean()),
                  "history": res.history.mean(axis=1).round(5).tolist(), "improved": int(res.improved.sum()),
                  "changed": res.changed, "connected_before": res.connected_before, "connected": res.connected})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    ap.add_argument("--cells", type=int, default=64)
    ap.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    ap.add_argument("--model", default=None, help="a StiffnessDiffusion file (design fit) to time sampling")
    ap.add_argument("--study", nargs="?", const="", default=None, metavar="MODEL.pt",
                    help="case 4: retrieval, generator best of N, edits and the flip control "
                         "(trains the model if none given)")
    ap.add_argument("--rounds", type=int, default=2, help="--study: local-search rounds")
    ap.add_argument("--candidates", type=int, default=8, help="--study: proposals per target and round")
    ap.add_argument("--t-start", type=float, nargs="+", default=[0.2, 0.4], help="--study: SDEdit start times")
    ap.add_argument("--seed", type=int, default=3, help="--study: seed of the proposals")
    ap.add_argument("--no-generator", action="store_true", help="--study: skip the generator's best of N")
    ap.add_argument("--unconditional", action="store_true", help="--study: also the edits with the conditions dropped")
    args = ap.parse_args()
    if args.study is not None:
        bench_study(args.study or None, args.rounds, args.candidates, args.t_start, args.seed, not args.no_generator,
                    args.unconditional)
        return
    for s in args.sizes:
        bench_cells(s, args.cells if s <= 32 else max(8, args.cells // 8), args.device)
    if args.model:
        bench_model(args.model, args.device)


if __name__ == "__main__":
    main()
