"""2D->3D reconstruction with PlaneDiffusion (issue 17, seed 003): cost and quality.

    python benchmarks/bench_reconstruct.py                 # CPU: the small configuration (minutes)
    python benchmarks/bench_reconstruct.py --gpu           # GPU tier: Table 1 model, 64² crops, 64³ volumes
    python benchmarks/bench_reconstruct.py --gpu --truth volume.npy --materials   # faithful-scale run
    python benchmarks/bench_reconstruct.py --wide 2 --sample-steps 48 --harmonize 1   # + 64³ from 32² crops

The truth is an anisotropic Gaussian excursion set elongated along x (``voxtwin.stochastic``),
or ``--truth`` a labelled 3D volume (e.g. a segmented carbon-fibre/epoxy tomogram, fibres along x).
Training images are ``--slices`` slices per plane of it; quality is |Δφ| and the per-axis S2
errors of generated volumes against the truth (relative L2, and the largest absolute S2
difference), with the stacked-xy-slices control. ``--wide k`` also samples one (k·crop)³
volume through sliding windows with Hann blending, the plain average and disjoint windows, and
records its errors and seam ratio (``voxtwin.reconstruct.evaluate.seam_ratio``, window borders).
``--materials`` homogenizes ``--volumes``
generated volumes and as many truth subvolumes with the seed's Table A1 laws as read here:
T300-like fibre (E1 230, E2 15, G12 24 GPa, ν12 0.2, ν23 0.25; a transversely isotropic law fixes
G23 = E2 / (2 (1 + ν23)) = 6.0 GPa, not the printed 5.03) with the printed CTE
rows taken as swapped (α1 = 1.2e-6 axial, α2 = α3 = 18e-6 transverse: carbon fibres expand far
more across than along), matrix as printed (E 225 GPa, ν 0.14, α 0.164e-6 — a SiC matrix, as in
the seed's reference 99, not epoxy).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import voxtwin as vt
from _harness import record
from voxtwin.metrics import profile_error
from voxtwin.reconstruct import PlaneDiffusion
from voxtwin.reconstruct.evaluate import axis_profiles, seam_ratio
from voxtwin.reconstruct.sampler import windows


def _truth(args: argparse.Namespace) -> np.ndarray:
    if args.truth:
        return np.asarray(vt.io.read(args.truth, progress=False).data, dtype=np.uint8)
    return vt.stochastic.ExcursionModel("gaussian", 0.35, (8.0, 2.5, 2.5)).sample((args.truth_size,) * 3, 1.0, seed=7)


def _images(truth: np.ndarray, count: int) -> dict[str, np.ndarray]:
    def pick(n: int) -> np.ndarray:
        return np.linspace(0, n - 1, min(count, n)).astype(int)

    return {"xy": truth[:, :, pick(truth.shape[2])].transpose(2, 0, 1),
            "xz": truth[:, pick(truth.shape[1]), :].transpose(1, 0, 2),
            "yz": truth[pick(truth.shape[0])]}


def _errors(ref: dict[str, np.ndarray], prof: dict[str, np.ndarray]) -> dict[str, float]:
    return {a: round(profile_error(ref[a], prof[a]), 4) for a in prof}


def _abs_errors(ref: dict[str, np.ndarray], prof: dict[str, np.ndarray]) -> dict[str, float]:
    return {a: round(float(np.max(np.abs(ref[a][:prof[a].size] - prof[a]))), 4) for a in prof}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--gpu", action="store_true", help="Table 1 model on cuda, 64² crops, 64³ volumes")
    p.add_argument("--truth", help="a labelled 3D volume instead of the excursion set")
    p.add_argument("--truth-size", type=int, default=128)
    p.add_argument("--slices", type=int, default=None, help="slices per plane (default 32 CPU, 300 GPU)")
    p.add_argument("--train-steps", type=int, default=None, help="default 1200 CPU, 60000 GPU (the seed's)")
    p.add_argument("--sample-steps", type=int, nargs="+", default=None, help="reverse steps to compare")
    p.add_argument("--sampler", choices=("ddpm", "ddim"), default="ddpm", help="strided DDPM (η = 1) or DDIM")
    p.add_argument("--harmonize", type=int, nargs="+", default=None, help="n_h values to compare")
    p.add_argument("--volumes", type=int, default=None, help="generated volumes (default 3 CPU, 20 GPU)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--materials", action="store_true", help="also homogenize (Table A1 laws, see docstring)")
    p.add_argument("--wide", type=int, default=0, help="also sample one (k·crop)³ volume by sliding windows")
    args = p.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    gpu = args.gpu
    device = "cuda" if gpu else "cpu"
    size = 64 if gpu else 32
    truth = _truth(args)
    imgs = _images(truth, args.slices or (300 if gpu else 32))
    model = PlaneDiffusion(size) if gpu else PlaneDiffusion.small(size)
    steps = args.train_steps or (60_000 if gpu else 1200)
    c0, w0 = time.process_time(), time.perf_counter()
    model.fit(imgs, steps=steps, seed=0, device=device)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    record(f"reconstruct fit {'table1' if gpu else 'small'}",
           {"parameters": model.parameters, "steps": steps, "batch": model.config.batch, "crop": size,
            "s_per_step": round(wall / steps, 4), "cpu_s_per_step": round(cpu / steps, 4),
            "final_loss": round(float(np.mean(model.losses[-100:])), 4)}, precision="float32")
    ref = axis_profiles([truth], 1, "s2", size // 2 + 1)
    phi = float(np.mean(truth == 1))
    n_vol = args.volumes or (20 if gpu else 3)
    for sst in args.sample_steps or ([1000, 100] if gpu else [24, 48]):
        for nh in args.harmonize or ([4] if gpu else [0, 1, 4]):
            sampler = args.sampler
            kw = dict(steps=sst, sampler=sampler, device=device, progress=False)
            w0, c0 = time.perf_counter(), time.process_time()
            vols = [model.sample((size,) * 3, harmonize=nh, gamma=0.5, seed=s, **kw) for s in range(n_vol)]
            wall, cpu = (time.perf_counter() - w0) / n_vol, (time.process_time() - c0) / n_vol
            sl = {q: model.sample_slices(q, size, seed=100, **kw) for q in ("xy", "xz", "yz")}
            ctrl = np.stack(list(sl["xy"]), axis=2)
            prof = axis_profiles(vols, 1, "s2", size // 2 + 1)
            record(f"reconstruct sample {size}^3 {sampler} steps={sst} n_h={nh}",
                   {"s_per_volume": round(wall, 2), "cpu_s_per_volume": round(cpu, 2),
                    "phi_truth": round(phi, 4), "phi_3d": round(float(np.mean([v.mean() for v in vols])), 4),
                    "phi_2d": {q: round(float(np.mean(s)), 4) for q, s in sl.items()},
                    "s2_rel_3d": _errors(ref, prof), "s2_abs_3d": _abs_errors(ref, prof),
                    "s2_rel_2d": _errors(ref, axis_profiles(sl, 1, "s2", size // 2 + 1)),
                    "s2_rel_stacked_xy": _errors(ref, axis_profiles([ctrl], 1, "s2", size // 2 + 1))},
                   precision="float32")
            if args.materials:
                fibre = vt.TransverselyIsotropic(E1=230.0, E2=15.0, G12=24.0, nu12=0.2, nu23=0.25,
                                                 alpha1=1.2e-6, alpha2=18e-6, axis=(1.0, 0.0, 0.0))
                matrix = vt.Isotropic(225.0, 0.14, 0.164e-6)
                ev = vt.reconstruct.evaluate(vols, truth, {0: matrix, 1: fibre}, lineal=False, device="auto")
                g, r = ev.stiffness, ev.reference_stiffness
                record(f"reconstruct properties {size}^3 n_h={nh}",
                       {"C_diag_generated": np.round(np.diagonal(g, axis1=1, axis2=2).mean(0), 2).tolist(),
                        "C_diag_truth": np.round(np.diagonal(r, axis1=1, axis2=2).mean(0), 2).tolist(),
                        "C_diag_std_generated": np.round(np.diagonal(g, axis1=1, axis2=2).std(0), 2).tolist(),
                        "C_diag_std_truth": np.round(np.diagonal(r, axis1=1, axis2=2).std(0), 2).tolist(),
                        "cte_generated": np.round(ev.cte.mean(0) * 1e6, 3).tolist(),
                        "cte_truth": np.round(ev.reference_cte.mean(0) * 1e6, 3).tolist()})

    if args.wide > 1:
        wide_kw = dict(steps=(args.sample_steps or [48])[0], sampler=args.sampler,
                       harmonize=(args.harmonize or [1])[0], device=device)
        _wide(model, truth, size * args.wide, size, ref, wide_kw)


def _wide(model: PlaneDiffusion, truth: np.ndarray, n: int, size: int, ref: dict[str, np.ndarray],
          kw: dict[str, object]) -> None:
    """One n³ volume through sliding windows per blend; errors and seams at the window borders."""
    starts = windows(n, size)
    borders = sorted({s - 1 for s in starts if s > 0} | {s + size - 1 for s in starts if s + size < n})
    tiles = sorted({s - 1 for s in windows(n, size, 0.0) if s > 0})
    for name, extra, faces in (("hann", {}, borders), ("mean", {"blend": "mean"}, borders),
                               ("disjoint", {"overlap": 0.0}, tiles)):
        w0, c0 = time.perf_counter(), time.process_time()
        vol = model.sample((n,) * 3, gamma=0.5, seed=100, progress=False, **kw, **extra)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        record(f"reconstruct wide {n}^3 from {size}^2 {name}",
               {"s_per_volume": round(wall, 2), "cpu_s_per_volume": round(cpu, 2), "phi": round(float(vol.mean()), 4),
                "s2_rel": _errors(ref, axis_profiles([vol], 1, "s2", size // 2 + 1)),
                "seam_ratio": round(seam_ratio(vol, faces), 3), "borders": faces}, precision="float32")


if __name__ == "__main__":
    main()
