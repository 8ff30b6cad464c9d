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


def _laminate(period: int, thickness: int, shift: int = 0, n: int = 32) -> np.ndarray:
    """Periodic layers of phase 1 normal to x: ``thickness`` of every ``period`` voxels."""
    x = (np.arange(n) + shift) % period < thickness
    return np.broadcast_to(x[:, None, None], (n, n, n)).astype(np.uint8)


def _s2_brute(vol: np.ndarray, count: int) -> dict[int, np.ndarray]:
    """Periodic S2 of phase 1 per axis by shifting (independent of the FFT pair counts)."""
    m = vol == 1
    return {ax: np.array([np.mean(m & np.roll(m, -r, axis=ax)) for r in range(count)]) for ax in range(3)}


def test_similarity_s2_term_judges_arrangement(rng):
    """Same parameter samples and volume fraction (1/4), different arrangement: only the S2 term sees it."""
    x = rng.normal(10.0, 2.0, 50)
    scan = _laminate(8, 2)
    shifted = _laminate(8, 2, shift=3)        # a translation: same S2, same arrangement
    coarse = _laminate(16, 4)                 # same fraction, layers twice as thick
    assert vt.similarity(x, x).S == 1.0       # negative control: eqs (1)-(6) alone see no difference
    same = vt.similarity(x, x, s2=(scan, shifted), s2_periodic=True)
    assert same.S == 1.0 and same.f_s2 == 0.0
    far = vt.similarity(x, x, s2=(scan, coarse), s2_periodic=True)
    # by hand: e = mean over axes of ||S2_b - S2_a|| / ||S2_a||, f = e / (e + 1), S = 1 - f / (3 + 1)
    sa, sb = _s2_brute(scan, 17), _s2_brute(coarse, 17)
    e = np.mean([np.linalg.norm(sb[a] - sa[a]) / np.linalg.norm(sa[a]) for a in range(3)])
    assert far.s2_error == pytest.approx(e, rel=EXACT, abs=EXACT)
    assert far.S == pytest.approx(1.0 - (e / (e + 1.0)) / 4.0, rel=EXACT)
    assert far.S < 1.0
    heavier = vt.similarity(x, x, s2=(scan, coarse), s2_periodic=True, s2_weight=3.0)
    assert heavier.S == pytest.approx(1.0 - 3.0 * (e / (e + 1.0)) / 6.0, rel=EXACT)
    assert set(far.as_dict()) >= {"f_s2", "s2_error"}
    # combined with a parameter difference: the terms add on the (3 + w_S2) scale
    y = x + 1.0
    both = vt.similarity(x, y, s2=(scan, coarse), s2_periodic=True)
    alone = vt.similarity(x, y)
    assert both.S == pytest.approx(1.0 - (3.0 * (1.0 - alone.S) + e / (e + 1.0)) / 4.0, rel=EXACT)


def test_similarity_s2_bad_input():
    lam = _laminate(8, 2)
    with pytest.raises(TypeError, match="s2"):
        vt.similarity([1, 2], [1, 2], s2=lam)
    with pytest.raises(ValueError, match="s2_weight"):
        vt.similarity([1, 2], [1, 2], s2=(lam, lam), s2_weight=0)
    with pytest.raises(ValueError, match="both be 2D or both 3D"):
        vt.similarity([1, 2], [1, 2], s2=(lam, lam[0]))


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


# ---- closed loop ------------------------------------------------------------------------------

SHAPE = (80, 80, 80)   # small blocks at a coarse voxel: diameters of 4-5 voxels, ~90 fibres
VOXEL = 2.0            # µm
THRESHOLD = 0.85


def _spec(vf=0.10, diameter=None, length=None, orientation=None):
    return vt.FibreSpec(
        vf,
        vt.Normal(10.0, 1.0, low=8.0) if diameter is None else diameter,
        vt.Normal(60.0, 6.0, low=40.0) if length is None else length,
        vt.orientation.Aligned((1.0, 0.0, 0.0), 10.0) if orientation is None else orientation,
    )


@pytest.fixture(scope="module")
def physical():
    """The "scan": a twin of the true spec with its own seed, characterized like a scan (not periodic)."""
    twin = vt.generate_fibres(_spec(), SHAPE, VOXEL, seed=12345)
    return vt.characterize(twin.labels, VOXEL)


def test_biased_start_reaches_threshold(physical):
    """Length 30 % and diameter 20 % too small: below S = 0.85 at first, >= 0.85 on all within 10."""
    biased = _spec(diameter=vt.Normal(8.0, 1.0, low=6.0), length=vt.Normal(42.0, 6.0, low=25.0))
    loop = vt.closed_loop(physical, biased, SHAPE, VOXEL, threshold=THRESHOLD, max_iter=10, seed=7)
    first = loop.history[0]
    assert first.action == "generate" and first.seed == 7
    assert first.S["diameter"] < THRESHOLD and first.S["length"] < THRESHOLD
    assert loop.converged and loop.iterations <= 10
    assert all(s >= THRESHOLD for s in loop.history[-1].S.values())
    assert "retune" in [s.action for s in loop.history[1:]]
    # the re-tuned spec moved towards the truth (10 µm, 60 µm), each within 10 %
    final = loop.history[-1].spec
    assert final.diameter.moments()[0] == pytest.approx(10.0, rel=0.10)
    assert final.length.moments()[0] == pytest.approx(60.0, rel=0.10)
    assert loop.twin.seed == loop.history[-1].seed and loop.twin.spec == final
    # history is complete and reproducible
    again = vt.closed_loop(physical, biased, SHAPE, VOXEL, threshold=THRESHOLD, max_iter=10, seed=7)
    assert [s.S for s in again.history] == [s.S for s in loop.history]
    assert [s.seed for s in again.history] == [s.seed for s in loop.history]
    assert np.array_equal(again.twin.labels, loop.twin.labels)
    assert loop.summary()["history"][0]["scores"]["length"]["S"] == first.S["length"]


def test_missing_fibres_are_added(physical):
    """Half the fibre volume: only the volume fraction fails; fibres are added around the first ones."""
    start = _spec(vf=0.05)
    loop = vt.closed_loop(physical, start, SHAPE, VOXEL, seed=3)
    assert loop.history[0].S["volume_fraction"] < THRESHOLD
    assert loop.history[1].action == "add"
    first = vt.generate_fibres(start, SHAPE, VOXEL, seed=3)
    kept = loop.twin.fibres[: len(first.fibres)]
    assert kept == first.fibres                     # the existing fibres stay where they were
    assert loop.history[1].volume_fraction == pytest.approx(physical.fibre_fraction, abs=0.005)
    assert loop.converged


def test_surplus_fibres_are_removed(physical):
    start = _spec(vf=0.16)
    loop = vt.closed_loop(physical, start, SHAPE, VOXEL, seed=4)
    assert loop.history[1].action == "remove"
    first = vt.generate_fibres(start, SHAPE, VOXEL, seed=4)
    rows = {tuple(c) for c in first.fibres.centre}
    assert all(tuple(c) in rows for c in loop.twin.fibres.centre)   # only removals
    assert loop.history[1].volume_fraction == pytest.approx(physical.fibre_fraction, abs=0.005)
    assert loop.converged


def test_erroneous_fibres_are_corrected(physical):
    """30 % of the fibres 15 µm thick: they are shrunk into the target's range, not regenerated."""
    r = np.random.default_rng(0)
    start = _spec(diameter=vt.Empirical(np.r_[r.normal(10, 1, 350).clip(8), np.full(150, 15.0)]))
    loop = vt.closed_loop(physical, start, SHAPE, VOXEL, seed=2)
    assert loop.history[0].S["diameter"] < THRESHOLD
    assert loop.history[1].action == "correct"
    assert loop.converged
    # no fibre of the twin is beyond the target's largest measured diameter any more
    assert loop.twin.fibres.diameter.max() < physical.diameter.max()


def test_orientation_retuned_from_isotropic(physical):
    loop = vt.closed_loop(physical, _spec(orientation=vt.orientation.Isotropic()), SHAPE, VOXEL, seed=5)
    assert loop.history[0].S["misalignment"] < THRESHOLD
    assert loop.history[1].action == "retune"
    assert loop.converged
    np.testing.assert_allclose(loop.stats.orientation_tensor, physical.orientation_tensor, atol=0.05)


def test_mapping_target_and_options(physical):
    target = {"diameter": physical.diameter, "length": physical.length}
    loop = vt.closed_loop(target, _spec(length=vt.Normal(42.0, 6.0, low=25.0)), SHAPE, VOXEL, max_iter=1, seed=1)
    assert loop.parameters == ("diameter", "length")
    assert loop.iterations == 1 and not loop.converged
    assert repr(loop).startswith("ClosedLoop(not converged after 1")
    assert loop.S("length")[0] < THRESHOLD


def test_plot_history(physical):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    biased = _spec(length=vt.Normal(42.0, 6.0, low=25.0))
    loop = vt.closed_loop(physical, biased, SHAPE, VOXEL, seed=8)
    ax = loop.plot()
    assert len(ax.lines) == len(loop.parameters) + 1        # one curve per parameter + threshold
    np.testing.assert_allclose(ax.lines[0].get_ydata(), loop.S(loop.parameters[0]))
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_closed_loop_bad_input(physical):
    spec = _spec()
    with pytest.raises(TypeError, match="target"):
        vt.closed_loop([1.0, 2.0], spec, SHAPE, VOXEL)
    with pytest.raises(TypeError, match="spec"):
        vt.closed_loop(physical, {"volume_fraction": 0.1}, SHAPE, VOXEL)
    with pytest.raises(ValueError, match="threshold"):
        vt.closed_loop(physical, spec, SHAPE, VOXEL, threshold=1.5)
    with pytest.raises(ValueError, match="max_iter"):
        vt.closed_loop(physical, spec, SHAPE, VOXEL, max_iter=0)
    with pytest.raises(ValueError, match="parameters"):
        vt.closed_loop(physical, spec, SHAPE, VOXEL, parameters=("colour",))
    with pytest.raises(ValueError, match="target"):
        vt.closed_loop({"colour": [1.0]}, spec, SHAPE, VOXEL)
    with pytest.raises(ValueError, match="weights"):
        vt.closed_loop(physical, spec, SHAPE, VOXEL, weights=(0, 0, 0))


def test_similarity_plot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = vt.similarity([1, 2, 3], [2, 3, 4])
    ax = s.plot(unit="µm")
    assert len(ax.lines) == 2
    peak = ax.lines[0].get_xdata()[np.argmax(ax.lines[0].get_ydata())]
    assert peak == pytest.approx(2.0, abs=0.02)      # the physical fit peaks at its mean
    assert f"{s.S:.3f}" in ax.get_title()
    plt.close(ax.figure)
