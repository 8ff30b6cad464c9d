"""Calibration from 2D slices of a known 3D truth (seed 001), with the negative controls the issue
names: an isotropic model must miss an anisotropic truth; a Gaussian model must miss the topology
of a chi^2 truth that S2 alone cannot tell apart."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin import metrics, stochastic

VOXEL = 1.5  # µm
TRUTH_LENGTHS_VOX = (6.0, 3.0, 1.5)
PHI = 0.30
N = 128
SLICES = 8
REALISATIONS = 4
PHI_TOL = 0.01  # issue's acceptance
LENGTH_TOL = 0.05  # relative, issue's acceptance
S2_TOL = 0.03  # normalised S2, per axis, issue's acceptance
TOPOLOGY_TOL = 0.30  # relative, issue's acceptance
# One plane gives x half the lines of the acceptance case (xy only, not xy + xz): about sqrt(2) the
# scatter, which over six truth seeds reached 5 % with two planes.
ONE_PLANE_LENGTH_TOL = 0.10


def slices_of(vol: np.ndarray, count: int = SLICES) -> dict[str, list[np.ndarray]]:
    idx = (np.arange(count) * vol.shape[0]) // count + vol.shape[0] // (2 * count)
    return {"xy": [vol[:, :, i] for i in idx], "xz": [vol[:, i, :] for i in idx], "yz": [vol[i, :, :] for i in idx]}


def normalised_s2(vol: np.ndarray) -> dict[str, np.ndarray]:
    s2 = metrics.two_point(vol, voxel_size=VOXEL, radial=False)
    phi = float(np.mean(vol == 1))
    return {a: (v - phi**2) / (phi - phi**2) for a, v in s2.axes.items()}


@pytest.fixture(scope="module")
def gaussian_truth() -> np.ndarray:
    truth = stochastic.ExcursionModel("gaussian", PHI, tuple(l * VOXEL for l in TRUTH_LENGTHS_VOX))
    return truth.sample((N, N, N), VOXEL, seed=2024)


def s2_gap(model: stochastic.ExcursionModel, truth: np.ndarray) -> dict[str, float]:
    ref = normalised_s2(truth)
    samples = [normalised_s2(model.sample((N, N, N), VOXEL, seed=100 + i)) for i in range(REALISATIONS)]
    return {a: float(np.max(np.abs(np.mean([s[a] for s in samples], axis=0) - ref[a]))) for a in "xyz"}


def test_moments_calibration_recovers_an_anisotropic_truth(gaussian_truth: np.ndarray) -> None:
    model = stochastic.calibrate(slices_of(gaussian_truth), VOXEL, field="gaussian", symmetry="orthotropic")
    assert model.volume_fraction == pytest.approx(PHI, abs=PHI_TOL)
    for got, want in zip(model.correlation_lengths, TRUTH_LENGTHS_VOX):
        assert got == pytest.approx(want * VOXEL, rel=LENGTH_TOL)
    gaps = s2_gap(model, gaussian_truth)
    assert max(gaps.values()) < S2_TOL, gaps


def test_isotropic_control_fails_the_anisotropic_truth(gaussian_truth: np.ndarray) -> None:
    model = stochastic.calibrate(slices_of(gaussian_truth), VOXEL, symmetry="isotropic")
    assert len(set(model.correlation_lengths)) == 1
    misses = [abs(got / (want * VOXEL) - 1) > LENGTH_TOL for got, want in zip(model.correlation_lengths,
                                                                             TRUTH_LENGTHS_VOX)]
    assert sum(misses) >= 2
    assert max(s2_gap(model, gaussian_truth).values()) > S2_TOL


def test_one_plane_with_a_symmetry_ties_the_unseen_axis(gaussian_truth: np.ndarray) -> None:
    xy = slices_of(gaussian_truth)["xy"]
    with pytest.raises(ValueError, match="no image shows axis 'z'"):
        stochastic.calibrate({"xy": xy}, VOXEL)
    model = stochastic.calibrate({"xy": xy}, VOXEL, symmetry="transverse_x")
    assert model.correlation_lengths[1] == model.correlation_lengths[2]
    assert model.correlation_lengths[0] == pytest.approx(TRUTH_LENGTHS_VOX[0] * VOXEL, rel=ONE_PLANE_LENGTH_TOL)


def test_chi2_truth_needs_the_chi2_model_for_its_topology() -> None:
    # At phi = 0.1 the chi^2_3 low set is hundreds of blobs around the zeros of a 3-vector field; at
    # 0.3 it percolates into ~10 clusters, too few to compare counts (both models then land within
    # 12 % of its Euler density).
    lengths = (3.0 * VOXEL, 3.0 * VOXEL, 3.0 * VOXEL)
    truth = stochastic.ExcursionModel("chi2", 0.10, lengths, k=3).sample((96, 96, 96), VOXEL, seed=77)
    images = slices_of(truth)
    chi2 = stochastic.calibrate(images, VOXEL, field="chi2", k="auto", seed=1)
    gauss = stochastic.calibrate(images, VOXEL, field="gaussian")
    ref = metrics.topology(truth, voxel_size=VOXEL, periodic=True)

    def rel(model: stochastic.ExcursionModel) -> tuple[float, float]:
        topo = [metrics.topology(model.sample((96, 96, 96), VOXEL, seed=200 + i), voxel_size=VOXEL, periodic=True)
                for i in range(2)]
        euler = np.mean([t.euler_density for t in topo])
        clusters = np.mean([t.cluster_density for t in topo])
        return abs(euler / ref.euler_density - 1), abs(clusters / ref.cluster_density - 1)

    assert chi2.k == 3
    chi2_euler, chi2_clusters = rel(chi2)
    gauss_euler, gauss_clusters = rel(gauss)
    assert chi2_clusters < TOPOLOGY_TOL and chi2_euler < TOPOLOGY_TOL, (chi2_euler, chi2_clusters)
    assert gauss_clusters > TOPOLOGY_TOL and gauss_euler > TOPOLOGY_TOL, (gauss_euler, gauss_clusters)
    # S2 alone does not tell them apart: both models fit the slices' S2 closely
    for model in (chi2, gauss):
        assert metrics.profile_error(np.array(model.info["observed_s2"]["x"]),
                                     model.s2(np.arange(len(model.info["observed_s2"]["x"])) * VOXEL, "x")) < 0.05


@pytest.mark.slow
def test_homogenized_stiffness_of_calibrated_samples_matches_the_truth() -> None:
    # A periodic 64^3 truth (the solver's cell must be periodic: a cut of the 128^3 truth is not)
    # with the acceptance case's anisotropy at two thirds of its lengths.
    n = 64
    truth_model = stochastic.ExcursionModel("gaussian", PHI, tuple(2 / 3 * l * VOXEL for l in TRUTH_LENGTHS_VOX))
    truth = truth_model.sample((n, n, n), VOXEL, seed=5)
    model = stochastic.calibrate(slices_of(truth), VOXEL)
    materials = {0: vt.Isotropic(3.5, 0.36), 1: vt.Isotropic(12.0, 0.25)}  # PLA-like matrix, stiffer phase
    truth_c = np.diag(vt.homogenize(truth, materials, VOXEL, tol=1e-4).C)
    twin_c = np.mean([np.diag(vt.homogenize(model.sample((n, n, n), VOXEL, seed=300 + i), materials, VOXEL,
                                            tol=1e-4).C) for i in range(2)], axis=0)
    np.testing.assert_allclose(twin_c, truth_c, rtol=0.03)  # issue's acceptance: diagonal C within 3 %


def test_calibrate_rejects_bad_input() -> None:
    img = np.zeros((16, 16), np.uint8)
    img[:4] = 1
    with pytest.raises(TypeError, match="slices"):
        stochastic.calibrate([img], 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slices key"):
        stochastic.calibrate({"xw": img}, 1.0)
    with pytest.raises(ValueError, match="symmetry"):
        stochastic.calibrate({"xy": img}, 1.0, symmetry="cubic")
    with pytest.raises(ValueError, match="both"):
        stochastic.calibrate({"xy": np.zeros((8, 8), np.uint8)}, 1.0, symmetry="isotropic")
