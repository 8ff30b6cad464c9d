"""Issue 17 acceptance, CPU tier: reconstruct a known anisotropic 3D structure from 2D images.

The truth is a 128³ Gaussian excursion set elongated along x (φ = 0.35). A small PlaneDiffusion
is trained from scratch (fixed seed) on 32² crops of slices of its three planes and samples 32³
volumes. Checks against the truth's per-axis S2:
- |Δφ| of the 3D samples,
- per axis, the 3D samples' S2 error is at most RATIO_3D_2D times the same model's error on 2D
  samples of the planes containing that axis (the 3D coupling costs little),
- along z the error is at most half that of the negative control that stacks independent
  xy-slice samples (no coupling between slices),
- and a second control samples the volume with the plane condition ignored: it must lose the
  anisotropy that the conditioned sampler keeps;
- and a third control samples with eq. 17's blend as printed (``match_moments=False``): it drains
  the fibre phase, which the moment-matched blend (the default) does not.
Robustness (benchmarks/RESULTS.md, "Issue 17, 2026-12-03 (c)"): with this recipe (learning-rate
warmup and cosine decay, the moment-matched blend) training seeds 0 and 2 pass the φ, ratio and z
checks on two sampling triples each; training seed 1, whose 2D model is the most over-full (2D φ
0.41-0.43 against 0.35), gives 3D φ 0.387 and 0.401 and fails |Δφ| ≤ 0.03. The previous recipe
(constant rate, plain blend) passed for training seed 0 only, by an over-full 2D model and a
draining sampler cancelling.
"""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.metrics import profile_error
from voxtwin.reconstruct import PlaneDiffusion
from voxtwin.reconstruct.evaluate import axis_profiles

torch = pytest.importorskip("torch")
pytestmark = [pytest.mark.ai, pytest.mark.slow]

PHI = 0.35
LENGTHS = (8.0, 2.5, 2.5)  # correlation lengths (voxels): elongated along x
CROP = 32
TRAIN_STEPS = 1200
SAMPLE_STEPS = 48  # strided DDPM (ancestral) steps of T = 1000
HARMONIZE = 1
VOLUMES = 3
SLICES = 32  # 2D samples per plane (as many voxels as one volume)
LAGS = CROP // 2 + 1
# Issue 17's thresholds.
MAX_PHI_ERROR = 0.03
RATIO_3D_2D = 1.5
RATIO_Z_CONTROL = 0.5
AXIS_PLANES = {"x": ("xy", "xz"), "y": ("xy", "yz"), "z": ("xz", "yz")}


def _errors(ref: dict[str, np.ndarray], prof: dict[str, np.ndarray]) -> dict[str, float]:
    return {a: profile_error(ref[a], prof[a]) for a in prof}


def test_reconstruct_acceptance_cpu_tier() -> None:
    torch.set_num_threads(1)  # one thread: the run recorded in RESULTS.md ("Issue 17") bit for bit
    truth = vt.stochastic.ExcursionModel("gaussian", PHI, LENGTHS).sample((128, 128, 128), 1.0, seed=7)
    images = {"xy": truth[:, :, ::4].transpose(2, 0, 1), "xz": truth[:, ::4, :].transpose(1, 0, 2),
              "yz": truth[::4]}
    model = PlaneDiffusion.small(CROP).fit(images, steps=TRAIN_STEPS, seed=0, progress=False)
    kw = dict(steps=SAMPLE_STEPS, sampler="ddpm", progress=False)
    ref = axis_profiles([truth], 1, "s2", LAGS)
    phi_truth = float(truth.mean())

    vols = [model.sample((CROP,) * 3, harmonize=HARMONIZE, gamma=0.5, seed=s, **kw) for s in range(VOLUMES)]
    e3 = _errors(ref, axis_profiles(vols, 1, "s2", LAGS))
    slices = {p: model.sample_slices(p, SLICES, seed=11, **kw) for p in ("xy", "xz", "yz")}
    per_plane = {p: _errors(ref, axis_profiles({p: s}, 1, "s2", LAGS)) for p, s in slices.items()}
    e2 = {a: float(np.mean([per_plane[p][a] for p in ps])) for a, ps in AXIS_PLANES.items()}
    # Negative control 1: independent xy samples stacked along z.
    stacked = np.stack(list(slices["xy"]), axis=2)
    e_stack = _errors(ref, axis_profiles([stacked], 1, "s2", LAGS))
    # Control 2: the same sampler with the plane condition ignored.
    free = [model.sample((CROP,) * 3, harmonize=HARMONIZE, gamma=0.5, seed=s, conditional=False, **kw)
            for s in range(VOLUMES)]
    e_free = _errors(ref, axis_profiles(free, 1, "s2", LAGS))
    # Control 3: eq. 17's harmonizing blend as printed, without the moment match.
    plain = [model.sample((CROP,) * 3, harmonize=HARMONIZE, gamma=0.5, seed=s, match_moments=False, **kw)
             for s in range(VOLUMES)]
    phi_plain = float(np.mean([v.mean() for v in plain]))
    phi3 = float(np.mean([v.mean() for v in vols]))
    report = (f"phi truth {phi_truth:.3f} 3D {phi3:.3f}; S2 errors 3D {e3}, 2D {e2}, stacked xy {e_stack}, "
              f"no condition {e_free}, plain blend phi {phi_plain:.3f}")
    print(report)
    assert abs(phi3 - phi_truth) <= MAX_PHI_ERROR, report
    for a in "xyz":
        assert e3[a] <= RATIO_3D_2D * e2[a], report
    assert e3["z"] <= RATIO_Z_CONTROL * e_stack["z"], report
    # The plane condition is what carries the elongation along x.
    assert e3["x"] < e_free["x"] and max(e3.values()) < max(e_free.values()), report
    # The plain blend loses fibres that the moment-matched one keeps.
    assert phi_plain < phi3 - MAX_PHI_ERROR, report
