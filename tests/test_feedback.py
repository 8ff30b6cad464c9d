"""Step 4 feedback: the similarity index S (eqs 1-6) on hand-computed cases, and one-way ANOVA."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.feedback import anova, ks_statistic

EXACT = 1e-12   # closed-form arithmetic only: floating-point rounding
TABLE = 1e-9    # values carried from a hand computation with a normal-table value to 10 digits


def test_identical_samples_give_one(rng):
    x = rng.normal(10.0, 2.0, 50)
    for ks in ("normal", "empirical"):
        s = vt.similarity(x, x.copy(), ks=ks)
        assert s.S == 1.0 and s.f_mu == 0.0 and s.f_sigma == 0.0 and s.f_ks == 0.0
        assert float(s) == 1.0


def test_shifted_samples_by_hand():
    """physical = [1, 2, 3], digital = [2, 3, 4].

    mu = 2, 3; sigma = sqrt(2/3) each; union range [1, 4] -> f_mu = 1/3; f_sigma = 0.
    normal KS: z = 1 / sqrt(4/3) = 0.8660254038, Phi(-z) = 0.1932381154,
    D = 1 - 2 Phi(-z) = 0.6135237692, f_KS = D / (1 + D) = 0.3802384452,
    S = 1 - (1/3 + 0.3802384452) / 3 = 0.7621427405.
    empirical KS: the ECDFs differ by 1/3 at x = 1, 2, 3 -> D = 1/3, f_KS = 1/4, S = 1 - (7/12)/3 = 29/36.
    """
    s = vt.similarity([1, 2, 3], [2, 3, 4])
    assert s.f_mu == pytest.approx(1 / 3, abs=EXACT)
    assert s.f_sigma == pytest.approx(0.0, abs=EXACT)
    assert s.d_ks == pytest.approx(1 - 2 * 0.1932381154, abs=TABLE)
    assert s.f_ks == pytest.approx(0.3802384452, abs=TABLE)
    assert s.S == pytest.approx(0.7621427405, abs=TABLE)
    assert s.x_range == (1.0, 4.0)
    assert s.mean == (2.0, 3.0)
    assert s.std == pytest.approx((np.sqrt(2 / 3), np.sqrt(2 / 3)))

    e = vt.similarity([1, 2, 3], [2, 3, 4], ks="empirical")
    assert e.d_ks == pytest.approx(1 / 3, abs=EXACT)
    assert e.f_ks == pytest.approx(0.25, abs=EXACT)
    assert e.S == pytest.approx(29 / 36, abs=EXACT)


def test_width_difference_by_hand():
    """physical = [0, 2] (mu 1, sigma 1), digital = [1, 1] (mu 1, sigma 0).

    f_mu = 0; f_sigma = 1 / (1 + 1) = 1/2; normal D_KS = 0 (equal means) -> S = 1 - 1/6 = 5/6.
    empirical: ECDF gap 1/2 at x = 0 and x = 1 -> f_KS = 1/3, S = 1 - (1/2 + 1/3)/3 = 13/18.
    sigma_scale = 0.5: |dsigma| / 0.5 = 2 -> f_sigma = 2/3, S = 1 - 2/9 = 7/9.
    """
    s = vt.similarity([0, 2], [1, 1])
    assert (s.f_mu, s.f_sigma, s.d_ks) == (0.0, 0.5, 0.0)
    assert s.S == pytest.approx(5 / 6, abs=EXACT)
    assert vt.similarity([0, 2], [1, 1], ks="empirical").S == pytest.approx(13 / 18, abs=EXACT)
    assert vt.similarity([0, 2], [1, 1], sigma_scale=0.5).S == pytest.approx(7 / 9, abs=EXACT)


def test_weights_and_range_by_hand():
    """Weights normalized to sum 3 (eq. 2); an explicit x_range replaces the union range."""
    only_mean = vt.similarity([1, 2, 3], [2, 3, 4], weights=(2, 0, 0))
    assert only_mean.weights == (3.0, 0.0, 0.0)
    assert only_mean.S == pytest.approx(1 - 1 / 3, abs=EXACT)
    w = vt.similarity([1, 2, 3], [2, 3, 4], weights=(1, 1, 2))
    assert w.weights == (0.75, 0.75, 1.5)
    assert w.S == pytest.approx(1 - (0.75 / 3 + 1.5 * 0.3802384452) / 3, abs=TABLE)
    r = vt.similarity([1, 2, 3], [2, 3, 4], x_range=(0, 10))
    assert r.f_mu == pytest.approx(0.1, abs=EXACT)
    assert r.S == pytest.approx(1 - (0.1 + 0.3802384452) / 3, abs=TABLE)


def test_distance_reading_of_eq5():
    """D_KS is a distance: 0 for identical, -> 1 for far-apart distributions (f_KS -> 1/2)."""
    far = vt.similarity([0.0, 1.0], [100.0, 101.0])
    assert far.d_ks == pytest.approx(1.0, abs=1e-12)
    assert far.f_ks == pytest.approx(0.5, abs=1e-12)
    assert far.S == pytest.approx(1 - (100 / 101 + 0.0 + 0.5) / 3, abs=EXACT)   # union range 101
    # the printed overlap 2 Phi(...) would have given S <= 0.833 for identical samples
    assert vt.similarity([1.0, 2.0], [1.0, 2.0]).S > 0.85


def test_ks_statistic_matches_scipy(rng):
    from scipy import stats as sps

    for n1, n2 in [(5, 7), (40, 40), (100, 13)]:
        a = rng.normal(0, 1, n1)
        b = rng.normal(0.4, 1.3, n2)
        assert ks_statistic(a, b) == pytest.approx(sps.ks_2samp(a, b).statistic, abs=EXACT)


def test_similarity_bad_input():
    with pytest.raises(ValueError, match="weights"):
        vt.similarity([1, 2], [1, 2], weights=(1, -1, 1))
    with pytest.raises(ValueError, match="weights"):
        vt.similarity([1, 2], [1, 2], weights=(0, 0, 0))
    with pytest.raises(ValueError, match="weights"):
        vt.similarity([1, 2], [1, 2], weights=(1, 1))
    with pytest.raises(ValueError, match="physical"):
        vt.similarity([1, np.nan], [1, 2])
    with pytest.raises(ValueError, match="digital"):
        vt.similarity([1, 2], [])
    with pytest.raises(TypeError, match="physical"):
        vt.similarity(["a", "b"], [1, 2])
    with pytest.raises(ValueError, match="x_range"):
        vt.similarity([1, 2], [1, 2], x_range=(3, 1))
    with pytest.raises(ValueError, match="ks"):
        vt.similarity([1, 2], [1, 2], ks="exact")
    with pytest.raises(ValueError, match="sigma_scale"):
        vt.similarity([1, 2], [1, 2], sigma_scale=0)


def test_anova_by_hand():
    """Groups [1,2,3], [4,5,6], [7,8,9]: grand mean 5, SSB = 3 (9 + 0 + 9) = 54, SSW = 3 * 2 = 6,
    df = (2, 6), F = 27 / 1 = 27; for F(2, n) the tail is (1 + 2F/n)^(-n/2) = 10^-3."""
    res = anova([1, 2, 3], [4, 5, 6], [7, 8, 9])
    assert (res.ss_between, res.ss_within, res.df_between, res.df_within) == (54.0, 6.0, 2, 6)
    assert res.F == pytest.approx(27.0, abs=EXACT)
    assert res.p == pytest.approx(1e-3, rel=1e-9)
    assert res.significant(0.05)
    assert "between" in res.table()


def test_anova_matches_scipy(rng):
    from scipy import stats as sps

    groups = {"experimental": rng.normal(10, 1, 12), "building block": rng.normal(10.2, 1, 9),
              "architecture": rng.normal(9.9, 1.2, 15)}
    res = anova(groups)
    ref = sps.f_oneway(*groups.values())
    assert res.F == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p == pytest.approx(ref.pvalue, rel=1e-9)
    assert res.names == ("experimental", "building block", "architecture")
    assert res.sizes == (12, 9, 15)


def test_anova_bad_input():
    with pytest.raises(ValueError, match="two groups"):
        anova([1, 2, 3])
    with pytest.raises(ValueError, match="groups"):
        anova([1], [2])
    with pytest.raises(ValueError, match="groups"):
        anova([1, 2], [np.inf, 3])
