"""Size distributions against scipy.stats and numerical integration, bounds, seeds, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, stats

import voxtwin as vt
from voxtwin.distributions import distribution_from_dict

N = 200_000
# Statistical tolerances: 5 standard errors of the sample mean / sample std for N draws.
SIGMAS = 5.0


def _check_samples(dist: vt.distributions.Distribution, rng: np.random.Generator) -> None:
    x = dist.sample(N, rng)
    mean, std = dist.moments()
    lo, hi = dist.support
    assert x.dtype == np.float64 and x.shape == (N,)
    assert x.min() >= lo and x.max() <= hi
    assert abs(x.mean() - mean) <= SIGMAS * std / math.sqrt(N)
    assert abs(x.std() - std) <= SIGMAS * std * math.sqrt(2.0 / N) * 2  # x2: tails heavier than normal


@pytest.mark.parametrize(
    "dist",
    [
        vt.Normal(15.0, 2.0),
        vt.Normal(15.0, 3.0, low=10.0, high=24.0),
        vt.Normal(15.0, 3.0, low=21.0),  # only the upper tail
        vt.LogNormal(100.0, 40.0),
        vt.LogNormal(100.0, 40.0, low=50.0, high=180.0),
        vt.Empirical([10.0, 12.5, 12.5, 14.0, 30.0], high=20.0),
    ],
    ids=repr,
)
def test_samples_follow_the_moments_and_bounds(dist: vt.distributions.Distribution, rng: np.random.Generator) -> None:
    _check_samples(dist, rng)


def test_truncated_normal_matches_scipy() -> None:
    for low, high in [(10.0, 24.0), (21.0, None), (None, 9.0), (30.0, 40.0)]:
        d = vt.Normal(15.0, 3.0, low=low, high=high)
        a = -np.inf if low is None else (low - 15.0) / 3.0
        b = np.inf if high is None else (high - 15.0) / 3.0
        ref = stats.truncnorm(a, b, loc=15.0, scale=3.0)
        mean, std = d.moments()
        assert mean == pytest.approx(ref.mean(), rel=1e-9)
        assert std == pytest.approx(ref.std(), rel=1e-7)
        u = np.linspace(0.001, 0.999, 57)
        np.testing.assert_allclose(d.from_uniform(u), ref.ppf(u), rtol=1e-9)


def test_lognormal_is_parametrized_by_the_value_not_its_log() -> None:
    d = vt.LogNormal(20.0, 5.0)
    ref = stats.lognorm(s=d.sigma, scale=math.exp(d.mu))
    assert ref.mean() == pytest.approx(20.0, rel=1e-12)
    assert ref.std() == pytest.approx(5.0, rel=1e-12)
    assert d.moments() == pytest.approx((20.0, 5.0), rel=1e-12)
    u = np.linspace(0.01, 0.99, 33)
    np.testing.assert_allclose(d.from_uniform(u), ref.ppf(u), rtol=1e-9)


def test_truncated_lognormal_moments_match_quadrature() -> None:
    d = vt.LogNormal(20.0, 8.0, low=12.0, high=40.0)
    ref = stats.lognorm(s=d.sigma, scale=math.exp(d.mu))
    mass = ref.cdf(40.0) - ref.cdf(12.0)
    m1 = integrate.quad(lambda x: x * ref.pdf(x), 12.0, 40.0, epsabs=1e-12)[0] / mass
    m2 = integrate.quad(lambda x: x * x * ref.pdf(x), 12.0, 40.0, epsabs=1e-12)[0] / mass
    mean, std = d.moments()
    assert mean == pytest.approx(m1, rel=1e-8)
    assert std == pytest.approx(math.sqrt(m2 - m1 * m1), rel=1e-6)


def test_empirical_resamples_the_kept_values(rng: np.random.Generator) -> None:
    data = [3.0, 5.0, 5.0, 8.0, 13.0, 21.0]
    d = vt.Empirical(data, low=4.0, high=15.0)
    kept = np.array([5.0, 5.0, 8.0, 13.0])
    x = d.sample(10_000, rng)
    assert set(np.unique(x)) == {5.0, 8.0, 13.0}
    assert np.mean(x == 5.0) == pytest.approx(0.5, abs=SIGMAS * math.sqrt(0.25 / 10_000))
    assert d.mean == pytest.approx(kept.mean()) and d.std == pytest.approx(kept.std())
    assert d.support == (5.0, 13.0)


def test_fixed_is_constant(rng: np.random.Generator) -> None:
    d = vt.Fixed(15.0)
    assert np.all(d.sample(100, rng) == 15.0)
    assert d.moments() == (15.0, 0.0) and d.support == (15.0, 15.0)


def test_same_seed_same_values_and_one_uniform_per_value() -> None:
    d = vt.Normal(15.0, 2.0, low=5.0)
    a = d.sample(1000, np.random.default_rng(7))
    b = d.sample(1000, np.random.default_rng(7))
    c = d.sample(1000, np.random.default_rng(8))
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    # Every distribution advances the stream by one draw per value, Fixed included.
    for dist in (d, vt.Fixed(3.0), vt.Empirical([1.0, 2.0]), vt.LogNormal(5.0, 1.0)):
        rng = np.random.default_rng(1)
        dist.sample(10, rng)
        ref = np.random.default_rng(1)
        ref.random(10)
        assert rng.random() == ref.random()


@pytest.mark.parametrize(
    "make, error, name",
    [
        (lambda: vt.Normal(15.0, -1.0), ValueError, "std"),
        (lambda: vt.Normal(float("nan"), 1.0), ValueError, "mean"),
        (lambda: vt.Normal(15.0, 1.0, low=20.0, high=10.0), ValueError, "low"),
        (lambda: vt.Normal(0.0, 1.0, low=50.0), ValueError, "low"),
        (lambda: vt.Normal("15", 1.0), TypeError, "mean"),
        (lambda: vt.LogNormal(-1.0, 1.0), ValueError, "mean"),
        (lambda: vt.LogNormal(10.0, 1.0, low=-1.0), ValueError, "low"),
        (lambda: vt.Empirical([]), ValueError, "samples"),
        (lambda: vt.Empirical([1.0, float("nan")]), ValueError, "samples"),
        (lambda: vt.Empirical([1.0, 2.0], low=5.0), ValueError, "low"),
        (lambda: vt.Fixed("a"), TypeError, "value"),
    ],
)
def test_bad_parameters_are_named(make, error, name) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=f"`{name}`"):
        make()


def test_sample_checks_its_arguments() -> None:
    with pytest.raises(TypeError, match="`rng`"):
        vt.Normal(1.0, 1.0).sample(3, 42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`n`"):
        vt.Normal(1.0, 1.0).sample(-1, np.random.default_rng(0))


@pytest.mark.parametrize(
    "dist",
    [vt.Normal(15.0, 2.0, low=1.0), vt.LogNormal(100.0, 30.0, high=300.0), vt.Fixed(7.5), vt.Empirical([1.0, 2.5, 4.0])],
    ids=repr,
)
def test_dict_round_trip_through_json(dist: vt.distributions.Distribution) -> None:
    back = distribution_from_dict(json.loads(json.dumps(dist.to_dict())))
    assert back == dist
    with pytest.raises(ValueError, match="`kind`"):
        distribution_from_dict({"kind": "weibull"})
