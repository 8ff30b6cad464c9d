"""Composite voxels in the FFT solver: planar interfaces give the exact laminate at the coarse
scale; fibre blocks downsampled 4×4×4 stay close to the fine grid, much closer than majority vote."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import voxtwin as vt

LIB = vt.material_library()
PLA, BASALT = LIB["pla"], LIB["basalt_fibre"]
MATERIALS = {0: PLA, 1: BASALT, 2: vt.VOID}

# The coarse problems below are discrete laminates: the solver reaches them to its tolerance
# (1e-10 here), so 1e-6 relative leaves four orders of magnitude of margin.
EXACT_RTOL = 1e-6
SOLVER_TOL = 1e-10
# Issue 8: composite voxels (factor 4) within 3 % of the fine grid for seed-000 fibre blocks, and
# "clearly closer" than majority vote: at most two thirds of its error (measured on 96³ blocks of
# three seeds: C 0.50-0.57, alpha 0.27-0.31 of the majority error).
FIBRE_RTOL = 0.03
CLEARLY_CLOSER = 2 / 3


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    """Frobenius-norm error relative to the reference ``b``."""
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


def oblique_layers(
    n: int, direction: tuple[int, int, int], width: int, pattern: dict[int, int] | None = None
) -> np.ndarray:
    """Periodic layers on an n³ grid: label by (direction · (x, y, z)) mod n, fibre (1) below ``width``.

    ``pattern`` maps layer offsets to labels (default {0..width-1: 1}); every interface is a plane
    with the integer normal ``direction`` whose coarse voxels are mirror-symmetric about it.
    """
    idx = np.indices((n, n, n))
    s = np.mod(sum(d * i for d, i in zip(direction, idx)), n)
    labels = np.zeros((n, n, n), np.uint8)
    for offset, label in (pattern or {k: 1 for k in range(width)}).items():
        labels[s == offset] = label
    return labels


# Fine 20³ -> coarse 5³: an odd coarse grid has no Nyquist mode, where the rotated (hex8r) scheme's
# Green operator vanishes; the interfaces (s = 0 and s = 7) cut through coarse voxels.
@pytest.mark.parametrize("scheme", ["hex8r", "basic"])
@pytest.mark.parametrize("direction", [(1, 0, 0), (1, 1, 0), (1, 1, 1)], ids=["axis", "face-diagonal", "body-diagonal"])
def test_planar_interface_downsampled_gives_the_exact_laminate(direction: tuple[int, int, int], scheme: str) -> None:
    labels = oblique_layers(20, direction, 7)
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS, check_features=False)
    n = np.asarray(direction, float) / np.linalg.norm(direction)
    mixed = cv.entry_counts[:, 1] > 0
    assert mixed.any() and cv.mixed_fraction >= 0.2
    np.testing.assert_allclose(np.abs(cv.entry_normals[mixed] @ n), 1.0, rtol=0, atol=1e-15)
    c = float(labels.mean())
    exact = vt.laminate([BASALT, PLA], [c, 1 - c], n)
    coarse = vt.homogenize(cv, MATERIALS, 4.0, tol=SOLVER_TOL, scheme=scheme, progress=False)
    assert coarse.converged
    assert rel_err(coarse.C, exact.C) < EXACT_RTOL
    assert rel_err(coarse.alpha, exact.alpha) < EXACT_RTOL
    # Majority vote moves the interfaces to coarse voxel faces: a different laminate.
    majority = vt.homogenize(vt.majority_vote(labels, 4), MATERIALS, 4.0, tol=SOLVER_TOL, scheme=scheme, progress=False)
    assert rel_err(majority.C, exact.C) > 100 * EXACT_RTOL


def test_solve_takes_composite_voxels_with_fields_on_the_coarse_grid() -> None:
    labels = oblique_layers(20, (1, 1, 0), 7)
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS, check_features=False)
    c = float(labels.mean())
    exact = vt.laminate([BASALT, PLA], [c, 1 - c], (1, 1, 0))
    strain = np.array([1e-3, 0, 0, 0, 0, 5e-4])
    sol = vt.solve(cv, MATERIALS, strain=strain, voxel_size=cv.coarse_voxel_size(2.0), tol=SOLVER_TOL, progress=False)
    assert sol.stress.shape == (6, *cv.shape) and sol.displacement.shape == (3, *cv.shape)
    want = exact.C @ strain
    np.testing.assert_allclose(sol.mean_stress, want, rtol=0, atol=EXACT_RTOL * np.abs(want).max())
    # Per-phase statistics go by the dominant label of each composite voxel.
    stats = sol.phase_stats()
    assert set(stats) == {0, 1} and np.array_equal(sol.phases, cv.dominant_labels())


def test_porous_and_three_phase_layers_give_the_exact_laminate() -> None:
    # Along a face diagonal: fibre, void, matrix layers, some coarse voxels holding all three.
    pattern = {0: 1, 1: 1, 2: 2, 3: 2, 4: 2}
    labels = oblique_layers(20, (1, 1, 0), 0, pattern)
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS, check_features=False)
    assert (cv.entry_counts > 0).sum(axis=1).max() == 3
    fractions = [float((labels == k).mean()) for k in (1, 2, 0)]
    exact = vt.laminate([BASALT, vt.VOID, PLA], fractions, (1, 1, 0))
    coarse = vt.homogenize(cv, MATERIALS, 4.0, tol=SOLVER_TOL, progress=False)
    assert coarse.converged
    assert rel_err(coarse.C, exact.C) < EXACT_RTOL
    # Clamped heating: mean stress -C alpha (alpha is undetermined across a void layer, C alpha is not).
    thermal = coarse.mean_stresses[coarse.load_cases.index("thermal")]
    beta = exact.C @ exact.alpha
    np.testing.assert_allclose(thermal, -beta, rtol=0, atol=EXACT_RTOL * np.abs(beta).max())


def _fibre_block_errors(size: int, voxel_size: float, seed: int, tol: float = 1e-6) -> dict[str, float]:
    """Relative errors of C and alpha from composite voxels and majority vote against the fine grid."""
    twin = vt.generate_fibres(vt.seed000_spec(), (size, size, size), voxel_size, seed)
    labels = vt.composite.crop_to_factor(twin.labels, 4)
    mats = {0: PLA, 1: BASALT}
    kw = dict(tol=tol, progress=False)
    fine = vt.homogenize(labels, mats, voxel_size, **kw)
    cv = vt.composite_voxels(labels, 4, materials=mats)
    composite = vt.homogenize(cv, mats, cv.coarse_voxel_size(voxel_size), **kw)
    majority = vt.homogenize(vt.majority_vote(labels, 4), mats, 4 * voxel_size, **kw)
    assert fine.converged and composite.converged and majority.converged
    return {
        "C composite": rel_err(composite.C, fine.C),
        "C majority": rel_err(majority.C, fine.C),
        "alpha composite": rel_err(composite.alpha, fine.alpha),
        "alpha majority": rel_err(majority.alpha, fine.alpha),
    }


def _check(errors: dict[str, float], within: float | None) -> None:
    message = ", ".join(f"{k} error {v:.2%}" for k, v in errors.items())
    for quantity in ("C", "alpha"):
        cv, mv = errors[f"{quantity} composite"], errors[f"{quantity} majority"]
        if within is not None:
            assert cv < within, message
        assert cv < CLEARLY_CLOSER * mv, message


def test_fibre_block_composite_voxels_match_the_fine_grid() -> None:
    """Seed 000's fibres (basalt 15 µm x 100 µm, 10 vol%, aligned with a 15° spread in PLA) at
    1.875 µm voxels, 8 voxels across, in a 96³ block: composite voxels within 3 % of the fine grid.
    Measured for seeds 0, 1, 2: C 2.1, 2.7, 2.5 % (majority vote 4.2, 4.9, 4.7 %); alpha 1.2, 1.3,
    1.3 % (majority 4.5, 4.3, 4.4 %)."""
    _check(_fibre_block_errors(96, 1.875, seed=0), FIBRE_RTOL)


@pytest.mark.slow
def test_seed000_block_size_within_3_percent() -> None:
    """Seed 000's whole 0.5 mm building block (267³ at 1.875 µm, cropped to 264³; fibres 8 voxels,
    two coarse voxels across): composite voxels (factor 4, 66³) within 3 % of the 18-million-voxel
    fine solve (about 3 min, 2 GiB). Measured with seed 2 in the benchmark: C 2.3 %, alpha 1.1 %
    (majority vote 4.5 %, 4.1 %)."""
    _check(_fibre_block_errors(267, 1.875, seed=0, tol=1e-5), FIBRE_RTOL)


@pytest.mark.slow
def test_fibre_block_of_seed000_size_at_the_resolution_limit() -> None:
    """A 125³ block with the fibres 5 voxels across (3 µm voxels), close to the 4-voxel limit of
    seed 000: composite voxels stay well ahead of majority vote (measured: C 4.8 % vs 12.4 %,
    alpha 2.8 % vs 12.2 %) but are not within 3 %: a single-normal laminate smears the ends and the
    curvature of fibres only 1.25 coarse voxels across. The benchmark shows the trend with resolution."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        errors = _fibre_block_errors(125, 3.0, seed=0)
    _check(errors, None)
