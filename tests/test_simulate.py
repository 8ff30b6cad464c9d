"""Elasticity solver: analytical references (homogeneous, laminates, porous laminates, Hashin-Shtrikman,
Eshelby), loadings (strain, stress, mixed, thermal), determinism, CPU vs CUDA, errors."""

from __future__ import annotations

import numpy as np
import pytest
from elastic_reference import (
    eshelby_dilute_bulk,
    hashin_shtrikman,
    isotropic_moduli,
    laminate_effective,
    laminate_response,
    porous_laminate_effective,
)

import voxtwin as vt
from voxtwin import _core

# Exact discrete solutions (homogeneous, laminates) are reached to the CG tolerance; the issue asks
# for 1e-4 relative in float64, and a tight solver tolerance leaves a margin of orders of magnitude.
EXACT_RTOL = 1e-4
TIGHT_TOL = 1e-9
# float32 CUDA fields carry ~1e-7 relative round-off per operation; 1e-4 is the CPU/CUDA criterion.
CUDA_RTOL = 1e-4

PLA = vt.Isotropic(3.4, 0.33, alpha=68e-6, name="pla")
BASALT = vt.Isotropic(87.5, 0.2, alpha=8e-6, name="basalt")
# A tilted transversely isotropic fibre: every entry of its C and alpha is non-zero (general 6x6 path).
T300 = vt.TransverselyIsotropic(230.0, 15.0, 15.0, 0.2, 0.07, alpha1=-0.7e-6, alpha2=12e-6, axis=(1.0, 0.7, 0.4))


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Largest entry error relative to the largest entry of the reference."""
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


def layers(shape: tuple[int, int, int], normal: int, pattern: list[int]) -> np.ndarray:
    """uint8 labels whose slices along `normal` follow `pattern` (repeated)."""
    n = shape[normal]
    line = np.array([pattern[i % len(pattern)] for i in range(n)], dtype=np.uint8)
    view = [1, 1, 1]
    view[normal] = n
    return np.ascontiguousarray(np.broadcast_to(line.reshape(view), shape))


def random_spheres(n: int, fraction: float, radius: float, seed: int) -> np.ndarray:
    """Overlapping periodic spheres (label 1) in a matrix (label 0) until `fraction` is reached."""
    rng = np.random.default_rng(seed)
    lab = np.zeros((n, n, n), np.uint8)
    centres = np.arange(n) + 0.5
    while lab.mean() < fraction:
        c = rng.uniform(0, n, 3)
        d = [np.minimum(np.abs(centres - c[i]), n - np.abs(centres - c[i])) for i in range(3)]
        lab[d[0][:, None, None] ** 2 + d[1][None, :, None] ** 2 + d[2][None, None, :] ** 2 <= radius**2] = 1
    return lab


# ----------------------------------------------------------------------------- analytical references


@pytest.mark.parametrize("material", [PLA, T300], ids=["isotropic", "transversely_isotropic"])
def test_homogeneous_material_returns_its_own_stiffness_and_cte(device: str, material: vt.Material) -> None:
    labels = np.zeros((6, 5, 4), np.uint8)
    labels[2:, 1:3] = 1  # two labels, one material: still homogeneous
    res = vt.homogenize(labels, {0: material, 1: material}, device=device, progress=False)
    rtol = EXACT_RTOL if device == "cuda" else 1e-12
    assert res.converged
    assert rel_err(res.C, material.C) < rtol
    assert rel_err(res.alpha, material.alpha) < rtol


@pytest.mark.parametrize("normal", [0, 1, 2])
@pytest.mark.parametrize("scheme", ["hex8r", "hex8", "basic"])
def test_two_phase_laminate_matches_exact_stiffness_and_cte(normal: int, scheme: str) -> None:
    shape = [6, 6, 6]
    shape[normal] = 10
    labels = layers(tuple(shape), normal, [0, 0, 0, 1, 1, 1, 1, 0, 0, 0])  # fibre fraction 0.4
    res = vt.homogenize(labels, {0: PLA, 1: T300}, device="cpu", tol=TIGHT_TOL, scheme=scheme, progress=False)
    C_ref, a_ref = laminate_effective([PLA.C, T300.C], [PLA.alpha, T300.alpha], [0.6, 0.4], normal)
    assert res.converged
    assert rel_err(res.C, C_ref) < EXACT_RTOL
    assert rel_err(res.alpha, a_ref) < EXACT_RTOL


def test_laminate_local_strains_are_the_exact_layer_strains() -> None:
    labels = layers((4, 12, 5), 1, [0, 1, 1, 0, 0, 0])
    E = np.array([1e-3, -2e-4, 3e-4, 5e-4, -1e-4, 2e-4])
    sol = vt.solve(labels, {0: PLA, 1: T300}, strain=E, delta_T=-25.0, device="cpu", tol=TIGHT_TOL, progress=False)
    mean_ref, strains = laminate_response([PLA.C, T300.C], [PLA.alpha, T300.alpha], [4 / 6, 2 / 6], 1, E, -25.0)
    assert rel_err(sol.mean_stress, mean_ref) < EXACT_RTOL
    for label, eps in ((0, strains[0]), (1, strains[1])):
        local = sol.strain[:, labels == label]
        assert rel_err(local, np.repeat(eps[:, None], local.shape[1], axis=1)) < EXACT_RTOL
    stats = sol.phase_stats(bins=8)
    assert rel_err(stats[1]["strain"]["mean"], strains[1]) < EXACT_RTOL
    assert stats[1]["strain"]["hist"].sum(axis=1).tolist() == [int((labels == 1).sum())] * 6


@pytest.mark.parametrize("scheme", ["hex8r", "hex8"])
def test_porous_laminate_matches_its_exact_solution(scheme: str) -> None:
    labels = layers((12, 5, 5), 0, [0, 0, 0, 0, 0, 2, 2, 2, 0, 0, 0, 0])  # solid fraction 0.75, void 0.25
    res = vt.homogenize(labels, {0: PLA, 2: vt.VOID}, device="cpu", tol=TIGHT_TOL, scheme=scheme, progress=False)
    C_ref, a_ref = porous_laminate_effective(PLA.C, PLA.alpha, 0.75, 0)
    assert res.converged
    assert np.max(np.abs(res.C - C_ref)) < EXACT_RTOL * np.max(np.abs(C_ref))
    determined = np.isfinite(a_ref)
    assert np.array_equal(np.isfinite(res.alpha), determined)
    assert rel_err(res.alpha[determined], a_ref[determined]) < EXACT_RTOL


@pytest.mark.parametrize("stiff_phase", ["inclusions", "matrix"])
def test_isotropic_composite_falls_inside_hashin_shtrikman_bounds(stiff_phase: str) -> None:
    labels = random_spheres(24, 0.25, 3.5, seed=0)
    mats = {0: PLA, 1: BASALT} if stiff_phase == "inclusions" else {0: BASALT, 1: PLA}
    res = vt.homogenize(labels, mats, device="cpu", thermal=False, progress=False)
    f_stiff = labels.mean() if stiff_phase == "inclusions" else 1 - labels.mean()
    K_lo, K_up, G_lo, G_up = hashin_shtrikman(PLA.K, PLA.G, BASALT.K, BASALT.G, f_stiff)
    K, G = isotropic_moduli(res.C)
    assert res.converged
    assert K_lo < K < K_up
    assert G_lo < G < G_up


def test_dilute_sphere_approaches_the_eshelby_estimate_as_resolution_grows() -> None:
    # One sphere of radius 0.134 L (about 1 % volume) per cell, hydrostatic strain: <sigma_ii> = 3 K_eff e.
    errors, fractions = [], []
    for n in (16, 32, 56):  # sphere radius 2.1, 4.3 and 7.5 voxels
        x = (np.arange(n) + 0.5) / n - 0.5
        labels = (x[:, None, None] ** 2 + x[None, :, None] ** 2 + x[None, None, :] ** 2 <= 0.134**2).astype(np.uint8)
        f = labels.mean()
        sol = vt.solve(labels, {0: PLA, 1: BASALT}, strain=[1e-3, 1e-3, 1e-3, 0, 0, 0], device="cpu", fields=(),
                       progress=False)
        K_eff = sol.mean_stress[:3].mean() / 3e-3
        K_dilute = eshelby_dilute_bulk(PLA.K, PLA.G, BASALT.K, f)  # f: the voxelized fraction
        errors.append(abs((K_eff - PLA.K) / (K_dilute - PLA.K) - 1))
        fractions.append(f)
    assert errors[0] > errors[1] > errors[2]
    # Left at 56^3: the staircase of a 7.5-voxel sphere (first order in the voxel size) and the
    # interaction of neighbouring cells, O(f) relative (Mori-Tanaka differs from the dilute estimate
    # by 0.9 f here). Measured: 6.5 %, 3.6 %, 3.0 %.
    assert errors[2] < 0.04


# ----------------------------------------------------------------------------- loadings


def test_uniaxial_stress_on_a_homogeneous_material_gives_e_over_E_and_poisson() -> None:
    labels = np.zeros((4, 4, 4), np.uint8)
    sol = vt.solve(labels, {0: PLA}, stress=[0.01, 0, 0, 0, 0, 0], device="cpu", tol=TIGHT_TOL, progress=False)
    expected = np.array([0.01 / PLA.E, -PLA.nu * 0.01 / PLA.E, -PLA.nu * 0.01 / PLA.E, 0, 0, 0])
    assert sol.converged
    assert rel_err(sol.mean_strain, expected) < EXACT_RTOL
    assert rel_err(sol.stress.reshape(6, -1).mean(axis=1), [0.01, 0, 0, 0, 0, 0]) < EXACT_RTOL
    # Displacement = mean strain . position exactly (no fluctuation in a homogeneous body).
    X = np.arange(4)[:, None, None] * 1.0
    assert rel_err(sol.displacement[0], np.broadcast_to(expected[0] * X, (4, 4, 4))) < EXACT_RTOL


def test_stress_and_mixed_control_match_superposition_of_strain_cases(device: str) -> None:
    labels = random_spheres(16, 0.2, 3.0, seed=3)
    labels[np.random.default_rng(0).random(labels.shape) < 0.05] = 2  # pores
    mats = {0: PLA, 1: BASALT, 2: vt.VOID}
    hom = vt.homogenize(labels, mats, device=device, progress=False)
    rtol = CUDA_RTOL if device == "cuda" else 1e-5
    # Uniaxial tension along y.
    sigma = np.array([0, 0.02, 0, 0, 0, 0])
    sol = vt.solve(labels, mats, stress=sigma, device=device, fields=(), progress=False)
    assert rel_err(sol.mean_strain, np.linalg.solve(hom.C, sigma)) < rtol
    assert rel_err(sol.mean_stress, sigma) < rtol
    # Mixed: strain along x, the other stresses zero.
    sol = vt.solve(labels, mats, strain={"xx": 1e-3}, stress={k: 0.0 for k in ("yy", "zz", "yz", "xz", "xy")},
                   device=device, fields=(), progress=False)
    free = [1, 2, 3, 4, 5]
    E_free = np.linalg.solve(hom.C[np.ix_(free, free)], -hom.C[free, 0] * 1e-3)
    assert rel_err(sol.mean_strain, np.concatenate([[1e-3], E_free])) < rtol
    assert abs(sol.mean_stress[1:]).max() < rtol * abs(sol.mean_stress[0])
    # Stress-free thermal shrinkage (50 -> 25 degC): mean strain = alpha_eff dT, no mean stress.
    sol = vt.solve(labels, mats, stress=[0] * 6, delta_T=-25.0, device=device, fields=(), progress=False)
    assert rel_err(sol.mean_strain, hom.alpha * -25.0) < rtol


def test_results_do_not_depend_on_voxel_size_except_displacement_scale() -> None:
    labels = random_spheres(12, 0.2, 2.5, seed=1)
    a = vt.solve(labels, {0: PLA, 1: BASALT}, strain=[1e-3, 0, 0, 0, 2e-4, 0], voxel_size=1.0, device="cpu",
                 progress=False)
    b = vt.solve(labels, {0: PLA, 1: BASALT}, strain=[1e-3, 0, 0, 0, 2e-4, 0], voxel_size=4.0, device="cpu",
                 progress=False)
    assert rel_err(b.stress, a.stress) < 1e-10
    assert rel_err(b.displacement, 4.0 * a.displacement) < 1e-10


# ----------------------------------------------------------------------------- determinism and backends


@pytest.mark.parametrize("precision", ["float64", "float32"])
def test_results_do_not_depend_on_the_thread_count(precision: str) -> None:
    # Large enough that the solver uses 3 threads (it keeps at least 16384 voxels per thread).
    labels = np.ascontiguousarray(np.tile(random_spheres(24, 0.2, 2.5, seed=2), (2, 2, 1)))
    labels[np.random.default_rng(1).random(labels.shape) < 0.05] = 2
    mats = {0: PLA, 1: T300, 2: vt.VOID}
    before = vt.get_num_threads()
    runs = []
    try:
        for threads in (1, 2, 3):
            vt.set_num_threads(threads)
            runs.append(vt.solve(labels, mats, strain={"xx": 1e-3, "xy": 2e-4}, stress={"yy": 0.0, "zz": 0, "yz": 0,
                                 "xz": 0}, delta_T=-10.0, precision=precision, device="cpu", progress=False))
    finally:
        vt.set_num_threads(before)
    for other in runs[1:]:
        # Byte-identical: per-plane reductions summed in plane order, single-threaded FFT pieces.
        assert np.array_equal(other.stress, runs[0].stress)
        assert np.array_equal(other.displacement, runs[0].displacement)
        assert np.array_equal(other.residuals, runs[0].residuals)


@pytest.mark.gpu
def test_cpu_and_cuda_agree() -> None:
    if not vt.cuda_available():
        pytest.skip("CUDA backend not built or no GPU visible")
    labels = random_spheres(20, 0.2, 3.0, seed=4)
    labels[np.random.default_rng(2).random(labels.shape) < 0.03] = 2
    mats = {0: PLA, 1: T300, 2: vt.VOID}
    cpu = vt.homogenize(labels, mats, device="cpu", progress=False)
    gpu = vt.homogenize(labels, mats, device="cuda", progress=False)
    assert gpu.precision == "float32" and gpu.converged
    assert rel_err(gpu.C, cpu.C) < CUDA_RTOL
    assert rel_err(gpu.alpha, cpu.alpha) < CUDA_RTOL
    a = vt.solve(labels, mats, stress=[0.01, 0, 0, 0, 0, 0], delta_T=-20, device="cpu", progress=False)
    b = vt.solve(labels, mats, stress=[0.01, 0, 0, 0, 0, 0], delta_T=-20, device="cuda", progress=False)
    assert rel_err(b.mean_strain, a.mean_strain) < CUDA_RTOL
    solid = labels != 2
    assert rel_err(b.stress[:, solid], a.stress[:, solid]) < 10 * CUDA_RTOL  # local fields: tol-limited


def test_cpu_homogenization_confirms_the_true_residual() -> None:
    labels = random_spheres(12, 0.2, 3.0, seed=6)
    res = vt.homogenize(labels, {0: PLA, 1: BASALT}, device="cpu", progress=False)
    assert res.converged and len(res.true_residual_checked) == len(res.load_cases)
    assert all(res.true_residual_checked)  # the CPU keeps x: every case confirmed against b - A x
    basic = vt.homogenize(labels, {0: PLA, 1: BASALT}, device="cpu", scheme="basic", progress=False)
    assert not any(basic.true_residual_checked)  # no CG: nothing confirmed, and the result says so


@pytest.mark.gpu
def test_cuda_homogenization_keeps_x_to_confirm_convergence_unless_memory_is_minimal(
        monkeypatch: pytest.MonkeyPatch) -> None:
    if not vt.cuda_available():
        pytest.skip("CUDA backend not built or no GPU visible")
    labels = random_spheres(20, 0.2, 3.0, seed=4)
    mats = {0: PLA, 1: T300}
    roomy = vt.homogenize(labels, mats, device="cuda", progress=False)
    assert roomy.converged and all(roomy.true_residual_checked)  # a small model always leaves room for x
    monkeypatch.setenv("VOXTWIN_CUDA_MIN_MEMORY", "1")
    minimal = vt.homogenize(labels, mats, device="cuda", progress=False)
    assert minimal.converged and not any(minimal.true_residual_checked)
    assert minimal.memory_bytes < roomy.memory_bytes  # 3 vectors instead of 4
    assert rel_err(minimal.C, roomy.C) < CUDA_RTOL  # the mean-stress recurrence gives the same C


@pytest.mark.gpu
def test_cuda_solve_is_deterministic() -> None:
    if not vt.cuda_available():
        pytest.skip("CUDA backend not built or no GPU visible")
    labels = random_spheres(16, 0.2, 3.0, seed=5)
    runs = [vt.solve(labels, {0: PLA, 1: BASALT}, strain=[1e-3, 0, 0, 0, 0, 0], device="cuda", progress=False)
            for _ in range(2)]
    assert np.array_equal(runs[0].stress, runs[1].stress)


def test_per_voxel_axes_give_the_same_result_as_per_label_materials() -> None:
    labels = layers((8, 6, 6), 0, [0, 1, 1, 0, 2, 2, 0, 0])
    a1, a2 = np.array([1.0, 0.2, 0.0]), np.array([0.3, -1.0, 0.5])
    fibre = vt.TransverselyIsotropic(87.5, 20.0, 30.0, 0.2, 0.3, alpha1=5e-6, alpha2=9e-6)
    per_label = vt.homogenize(labels, {0: PLA, 1: fibre.with_axis(a1), 2: fibre.with_axis(a2)}, device="cpu",
                              tol=TIGHT_TOL, progress=False)
    axes = np.zeros((3, *labels.shape))
    axes[:, labels == 1] = a1[:, None]
    axes[:, labels == 2] = -a2[:, None]  # the opposite direction is the same material
    merged = np.where(labels == 2, 1, labels).astype(np.uint8)
    per_voxel = vt.homogenize(merged, {0: PLA, 1: fibre}, axes=axes, device="cpu", tol=TIGHT_TOL, progress=False)
    assert rel_err(per_voxel.C, per_label.C) < 1e-10
    assert rel_err(per_voxel.alpha, per_label.alpha) < 1e-10


# ----------------------------------------------------------------------------- convergence and errors


def test_non_convergence_is_flagged_and_strict_raises() -> None:
    labels = random_spheres(12, 0.25, 2.5, seed=6)
    sol = vt.solve(labels, {0: PLA, 1: BASALT}, strain=[1e-3, 0, 0, 0, 0, 0], max_iter=2, device="cpu",
                   progress=False)
    assert not sol.converged
    assert sol.iterations == 2 and len(sol.residuals) == 3 and sol.residuals[0] == 1.0
    assert sol.residuals[-1] > 1e-5
    with pytest.raises(vt.ConvergenceError, match="not converged"):
        vt.homogenize(labels, {0: PLA, 1: BASALT}, max_iter=2, strict=True, device="cpu", progress=False)
    full = vt.solve(labels, {0: PLA, 1: BASALT}, strain=[1e-3, 0, 0, 0, 0, 0], device="cpu", progress=False)
    assert full.converged and full.residuals[-1] <= 1e-5 < full.residuals[-2]


def test_a_problem_too_large_is_refused_before_allocating() -> None:
    labels = np.zeros((1536, 1536, 1536), np.uint8)  # virtual memory only: never touched
    with pytest.raises(vt.InsufficientMemoryError, match="GiB of host memory"):
        vt.homogenize(labels, {0: PLA}, device="cpu", progress=False)
    # The C++ core refuses it too (for callers that skip the Python layer).
    with pytest.raises(vt.InsufficientMemoryError, match="bytes needed"):
        _core.solve_elasticity(labels, PLA.C[None], PLA.alpha[None], np.zeros(6), np.zeros(6), [False] * 6, 0.0,
                               "hex8r", 1e-5, 10, np.ones(3), "float64", False, False, False)


@pytest.mark.gpu
def test_a_problem_too_large_for_the_gpu_is_refused() -> None:
    if not vt.cuda_available():
        pytest.skip("CUDA backend not built or no GPU visible")
    labels = np.zeros((2048, 2048, 2048), np.uint8)  # 8 GiB virtual; needs ~420 GiB on the device
    with pytest.raises(vt.InsufficientMemoryError, match="GPU memory"):
        vt.homogenize(labels, {0: PLA}, device="cuda", progress=False)


def test_bad_input_raises_clear_errors() -> None:
    labels = np.zeros((4, 4, 4), np.uint8)
    mats = {0: PLA}
    with pytest.raises(TypeError, match="`labels` must have dtype uint8"):
        vt.homogenize(labels.astype(np.int32), mats, progress=False)
    with pytest.raises(ValueError, match=r"phase label\(s\) \[1\]"):
        vt.homogenize(np.ones((4, 4, 4), np.uint8), mats, progress=False)
    with pytest.raises(ValueError, match="prescribed in both"):
        vt.solve(labels, mats, strain=[0.0] * 6, stress=[0.0] * 6, progress=False)
    with pytest.raises(ValueError, match="in neither"):
        vt.solve(labels, mats, strain={"xx": 0.01}, progress=False)
    with pytest.raises(ValueError, match="`tol`"):
        vt.homogenize(labels, mats, tol=0.0, progress=False)
    with pytest.raises(ValueError, match="`scheme`"):
        vt.homogenize(labels, mats, scheme="fem", progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`voxel_size`"):
        vt.homogenize(labels, mats, voxel_size=-1.0, progress=False)
    with pytest.raises(TypeError, match="materials\\[0\\]"):
        vt.homogenize(labels, {0: "pla"}, progress=False)  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="every voxel of `labels` is void"):
        vt.homogenize(labels, {0: vt.VOID}, progress=False)
    with pytest.raises(ValueError, match="`axes` must have shape"):
        vt.homogenize(labels, mats, axes=np.zeros((4, 4, 4, 3)), progress=False)
    if not vt.cuda_available():
        with pytest.raises(vt.BackendUnavailableError):
            vt.homogenize(labels, mats, device="cuda", progress=False)
    sol = vt.solve(labels, mats, strain=[1e-3, 0, 0, 0, 0, 0], fields=("stress",), progress=False)
    assert sol.strain is None
    with pytest.raises(ValueError, match="strain field was not computed"):
        sol.field("strain", "xx")
    with pytest.raises(ValueError, match="`component`"):
        sol.field("stress", "zx")
