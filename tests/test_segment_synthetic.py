"""The CT forward model against closed forms: grey levels, Gaussian blur of a step, cupping, rings, noise."""

from __future__ import annotations

import numpy as np
import pytest
import voxtwin as vt
from scipy.special import ndtr
from voxtwin.segment import DEFAULT_GREY_LEVELS, FIBRE, MATRIX, VOID

# The discrete, truncated Gaussian filter differs from the continuous erf profile of a step by
# well under 0.5 % of the step height for σ >= 1 voxel.
BLUR_TOL = 0.005


def test_levels_only_without_blur_and_noise(rng: np.random.Generator) -> None:
    labels = rng.integers(0, 3, size=(9, 8, 7)).astype(np.uint8)
    grey = vt.segment.synthetic_ct(labels, blur=0, noise=0, dtype="float32")
    assert grey.dtype == np.float32
    expected = np.choose(labels, [DEFAULT_GREY_LEVELS[MATRIX], DEFAULT_GREY_LEVELS[FIBRE], DEFAULT_GREY_LEVELS[VOID]])
    np.testing.assert_array_equal(grey, expected.astype(np.float32))


def test_blur_of_a_step_is_the_erf_profile() -> None:
    sigma, low, high = 1.5, 40.0, 200.0
    labels = np.zeros((40, 3, 3), dtype=np.uint8)
    labels[20:] = 1  # the interface lies at x = 19.5 (voxel centres inside the solid)
    grey = vt.segment.synthetic_ct(labels, grey_levels={0: low, 1: high}, blur=sigma, noise=0, dtype="float32")
    x = np.arange(40)
    expected = low + (high - low) * ndtr((x - 19.5) / sigma)
    inner = slice(8, 32)  # away from the reflecting ends of the volume
    np.testing.assert_allclose(grey[inner, 1, 1], expected[inner], atol=BLUR_TOL * (high - low))


def test_beam_hardening_is_the_cupping_formula() -> None:
    b, level = 0.2, 150.0
    labels = np.ones((21, 21, 4), dtype=np.uint8)
    grey = vt.segment.synthetic_ct(labels, grey_levels={1: level}, blur=0, noise=0, beam_hardening=b,
                                   axis="z", dtype="float32")
    c = np.arange(21) - 10.0
    r = np.hypot(c[:, None], c[None, :])
    expected = level * (1 - b * (1 - (r / r.max()) ** 2))
    for z in range(4):
        np.testing.assert_allclose(grey[:, :, z], expected, rtol=1e-5)
    assert grey[10, 10, 0] == pytest.approx(level * (1 - b), rel=1e-6)  # the centre darkens by b


def test_rings_are_concentric_and_the_same_in_every_slice() -> None:
    labels = np.ones((4, 31, 31), dtype=np.uint8)  # rotation axis x
    grey = vt.segment.synthetic_ct(labels, grey_levels={1: 100.0}, blur=0, noise=0, rings=8.0, n_rings=5,
                                   axis="x", dtype="float32", seed=3)
    for x in range(1, 4):
        np.testing.assert_array_equal(grey[x], grey[0])
    dev = grey[0] - 100.0
    assert np.abs(dev).max() <= 5 * 8.0 and np.abs(dev).max() > 1.0
    # rotational symmetry: a quarter turn about the axis maps the slice onto itself
    np.testing.assert_allclose(np.rot90(grey[0]), grey[0], atol=1e-4)


@pytest.mark.parametrize("model", ["gaussian", "poisson"])
def test_noise_has_the_requested_standard_deviation(model: str) -> None:
    level, sigma = 120.0, 9.0
    labels = np.zeros((40, 40, 40), dtype=np.uint8)
    grey = vt.segment.synthetic_ct(labels, grey_levels={0: level}, blur=0, noise=sigma, noise_model=model,
                                   dtype="float32", seed=1)
    n = grey.size
    # 5 standard errors: mean σ/√n, standard deviation σ/√(2n)
    assert grey.mean() == pytest.approx(level, abs=5 * sigma / np.sqrt(n))
    assert grey.std() == pytest.approx(sigma, abs=5 * sigma / np.sqrt(2 * n))


def test_seeded_and_clipped(rng: np.random.Generator) -> None:
    labels = rng.integers(0, 3, size=(16, 16, 16)).astype(np.uint8)
    a = vt.segment.synthetic_ct(labels, noise=80, seed=5)
    b = vt.segment.synthetic_ct(labels, noise=80, seed=5)
    c = vt.segment.synthetic_ct(labels, noise=80, seed=6)
    assert a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.min() == 0 and a.max() == 255  # strong noise reaches both ends of the 8-bit range
    wide = vt.segment.synthetic_ct(labels, noise=80, seed=5, dtype="uint16")
    assert wide.dtype == np.uint16 and wide.max() > 255


def test_bad_arguments() -> None:
    labels = np.zeros((3, 3, 3), dtype=np.uint8)
    labels[0, 0, 0] = 7
    with pytest.raises(ValueError, match=r"no grey value for label\(s\) \[7\]"):
        vt.segment.synthetic_ct(labels)
    with pytest.raises(ValueError, match="non-negative"):
        vt.segment.synthetic_ct(np.full((2, 2, 2), -1, dtype=np.int8))
    with pytest.raises(ValueError, match="`beam_hardening` must be in"):
        vt.segment.synthetic_ct(np.zeros((2, 2, 2), np.uint8), beam_hardening=1.5)
    with pytest.raises(ValueError, match="`dtype` must be"):
        vt.segment.synthetic_ct(np.zeros((2, 2, 2), np.uint8), dtype="int64")
    with pytest.raises(ValueError, match="`noise_model`"):
        vt.segment.synthetic_ct(np.zeros((2, 2, 2), np.uint8), noise_model="speckle")
    with pytest.raises(TypeError, match="`labels` must be a 3D integer"):
        vt.segment.synthetic_ct(np.zeros((2, 2), np.uint8))
