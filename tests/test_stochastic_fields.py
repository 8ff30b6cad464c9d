"""Random fields: covariance, determinism, slab-by-slab bytes, closed-form excursion S2."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import voxtwin as vt
from voxtwin import metrics, stochastic


def test_field_has_unit_variance_and_the_target_covariance() -> None:
    lengths = (4.0, 2.0, 1.0)
    shape = (96, 96, 96)
    z = stochastic.gaussian_field(shape, lengths, seed=3).astype(np.float64)
    # mean of a correlated field: standard error ~ sqrt(prod(sqrt(2 pi) l_i) / N); 6 of them
    n_eff = z.size / np.prod([np.sqrt(2 * np.pi) * max(l, 1.0) for l in lengths])
    assert abs(z.mean()) < 6 / np.sqrt(n_eff)
    assert z.var() == pytest.approx(1.0, abs=6 * np.sqrt(2 / n_eff))
    for axis, l in enumerate(lengths):
        for r in (1, 2, 4):
            cov = float(np.mean(z * np.roll(z, -r, axis=axis)))
            assert cov == pytest.approx(np.exp(-0.5 * (r / l) ** 2), abs=6 * np.sqrt(2 / n_eff))


def test_slabs_have_the_bytes_of_the_whole_field_for_any_thread_count() -> None:
    shape, lengths = (37, 20, 18), (6.0, 3.0, 1.5)  # kernel radius 24 wraps around nx = 37
    before = vt.get_num_threads()
    try:
        vt.set_num_threads(2)
        whole = stochastic.gaussian_field(shape, lengths, seed=11, stream=2)
        vt.set_num_threads(1)
        one = stochastic.gaussian_field(shape, lengths, seed=11, stream=2)
        parts = [stochastic.gaussian_field(shape, lengths, seed=11, stream=2, planes=p)
                 for p in ((0, 5), (5, 6), (6, 30), (30, 37))]
    finally:
        vt.set_num_threads(before)
    assert whole.tobytes() == one.tobytes()
    assert np.concatenate(parts).tobytes() == whole.tobytes()
    other = stochastic.gaussian_field(shape, lengths, seed=12, stream=2)
    assert not np.array_equal(other, whole)


def test_white_noise_is_standard_normal() -> None:
    z = stochastic.gaussian_field((64, 64, 64), (0, 0, 0), seed=5).ravel()
    # Kolmogorov-Smirnov at 1e-4 significance on 262144 independent deviates
    assert stats.kstest(z, "norm").pvalue > 1e-4
    assert abs(np.mean(z[:-1] * z[1:])) < 5 / np.sqrt(z.size)  # neighbours (Box-Muller pairs) uncorrelated


def test_gaussian_s2_matches_the_bivariate_normal_cdf() -> None:
    phi = 0.3
    u = stochastic.gaussian_threshold(phi)
    for rho in (0.0, 0.2, 0.5, 0.9, 0.99):
        cov = [[1, rho], [rho, 1]]
        exact = stats.multivariate_normal(mean=[0, 0], cov=cov).cdf([-u, -u])  # P(Z1 > u, Z2 > u) by symmetry
        assert stochastic.gaussian_s2(np.array(rho), phi) == pytest.approx(exact, abs=2e-6)
    assert stochastic.gaussian_s2(np.array(1.0), phi) == pytest.approx(phi, abs=1e-9)


def test_chi2_s2_matches_monte_carlo() -> None:
    rng = np.random.default_rng(7)
    phi, k, n = 0.3, 3, 400_000
    t = stochastic.chi2_threshold(phi, k)
    for rho in (0.0, 0.5, 0.9):
        a = rng.standard_normal((n, k))
        b = rho * a + np.sqrt(1 - rho**2) * rng.standard_normal((n, k))
        mc = np.mean(((a**2).sum(1) <= t) & ((b**2).sum(1) <= t))
        tol = 5 * np.sqrt(mc * (1 - mc) / n)
        assert stochastic.chi2_s2(np.array(rho), phi, k) == pytest.approx(mc, abs=tol)


@pytest.mark.parametrize("field", ["gaussian", "chi2"])
def test_sample_s2_follows_the_closed_form(field: str) -> None:
    model = stochastic.ExcursionModel(field, 0.3, (8.0, 4.0, 2.0), k=1 if field == "gaussian" else 3)
    vol = model.sample((128, 128, 64), voxel_size=2.0, seed=1)
    assert vol.dtype == np.uint8
    assert vol.mean() == pytest.approx(0.3, abs=0.03)
    s2 = metrics.two_point(vol, voxel_size=2.0, radial=False)
    for a in "xyz":
        expected = model.s2(s2.distance, a)
        # fluctuation of S2 of one finite sample: a few correlation volumes per axis
        np.testing.assert_allclose(s2.axes[a], expected, atol=0.02)


def test_three_phase_models_hit_their_fractions() -> None:
    for kind, second in (("two_thresholds", None), ("two_fields", (2.0, 2.0, 2.0))):
        m = stochastic.ThreePhaseModel(kind, (0.3, 0.2), (4.0, 4.0, 4.0), second_lengths=second)
        vol = m.sample((96, 96, 96), 1.0, seed=4)
        frac = np.bincount(vol.ravel(), minlength=3) / vol.size
        np.testing.assert_allclose(frac[1:], [0.3, 0.2], atol=0.03)
    with pytest.raises(ValueError, match="fractions"):
        stochastic.ThreePhaseModel("two_thresholds", (0.6, 0.5), (1, 1, 1))


def test_zarr_slabs_equal_the_sample_and_resume(tmp_path) -> None:
    import zarr

    model = stochastic.ExcursionModel("chi2", 0.4, (3.0, 2.0, 1.0), k=2)
    shape = (50, 24, 20)
    path = model.to_zarr(tmp_path / "s.zarr", shape, 1.0, seed=9, slab=16, progress=False)
    whole = model.sample(shape, 1.0, seed=9)
    root = zarr.open_group(str(path), mode="r+")
    assert np.asarray(root["labels"][:]).tobytes() == whole.tobytes()
    # an interrupted write: slab 2 lost, its flag not set; the rerun fills only it
    root["labels"][32:48] = 0
    root["done"][2] = 0
    model.to_zarr(path, shape, 1.0, seed=9, slab=16, progress=False)
    assert np.asarray(zarr.open_group(str(path))["labels"][:]).tobytes() == whole.tobytes()


def test_fibres_fill_the_matrix_of_a_random_set() -> None:
    pores = stochastic.ExcursionModel("gaussian", 0.2, (6.0, 6.0, 6.0), phase=2).sample((48, 48, 48), 2.0, seed=3)
    spec = vt.FibreSpec(volume_fraction=0.04, diameter=vt.Fixed(6.0), length=vt.Fixed(24.0),
                        orientation=vt.orientation.Aligned((1, 0, 0), 5.0))
    twin = vt.generate_fibres(spec, (48, 48, 48), 2.0, seed=1, mask=pores == 0, device="cpu")
    assert np.any(twin.labels == 1)
    assert not np.any((twin.labels == 1) & (pores == 2))  # no fibre voxel in a pore


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="volume_fraction"):
        stochastic.ExcursionModel("gaussian", 1.2, (1, 1, 1))
    with pytest.raises(ValueError, match="field"):
        stochastic.ExcursionModel("poisson", 0.2, (1, 1, 1))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lengths"):
        stochastic.gaussian_field((8, 8, 8), (1, -1, 1), seed=0)
    with pytest.raises(ValueError, match="planes"):
        stochastic.gaussian_field((8, 8, 8), (1, 1, 1), seed=0, planes=(4, 2))
    if not vt.cuda_available():
        with pytest.raises(vt.BackendUnavailableError):
            stochastic.ExcursionModel("gaussian", 0.2, (1, 1, 1)).sample((8, 8, 8), 1.0, 0, device="cuda")


def test_cuda_field_has_the_cpu_bytes(device: str) -> None:
    """The GPU twin sums the same taps in the same order without FMA: the same bytes as the CPU."""
    shape, lengths = (37, 20, 18), (6.0, 3.0, 1.5)   # kernel radius 18 wraps around nx = 37
    cpu = stochastic.gaussian_field(shape, lengths, seed=11, stream=2, device="cpu")
    other = stochastic.gaussian_field(shape, lengths, seed=11, stream=2, device=device)
    assert other.tobytes() == cpu.tobytes()
    part = stochastic.gaussian_field(shape, lengths, seed=11, stream=2, planes=(5, 30), device=device)
    assert part.tobytes() == cpu[5:30].tobytes()
    model = stochastic.ThreePhaseModel("two_fields", (0.3, 0.2), (4.0, 2.0, 3.0), (2.0, 5.0, 1.0))
    assert model.sample((24, 30, 16), 1.0, 3, device=device).tobytes() == model.sample((24, 30, 16), 1.0, 3,
                                                                                        device="cpu").tobytes()


def test_small_lengths_have_the_exact_lattice_covariance() -> None:
    # the square-root kernel is that of the *sampled* covariance: at l = 0.8 voxels a kernel
    # sampled from exp(-j^2 / l^2) gives 0.386 at lag 1 instead of 0.458 (-16 %); the field must hit
    # the target within its statistical scatter (2e6 voxels, correlations negligible beyond lag 3)
    z = stochastic.gaussian_field((128, 128, 128), (0.8, 0.8, 0.8), seed=4).astype(np.float64)
    for axis in range(3):
        cov = float(np.mean(z * np.roll(z, -1, axis=axis)))
        assert cov == pytest.approx(np.exp(-0.5 / 0.64), abs=6 * np.sqrt(8 / z.size))
