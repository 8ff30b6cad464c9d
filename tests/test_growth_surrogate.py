"""ξ → C surrogate of grown architectures and a graded design checked by the FFT solver (seed 002).

Scaled to a 2-core CI machine: 30 combinations × 6 periodic specimens of 6×6×6 blocks at 4 voxels
(24³ voxels each; 12 per held-out combination, so the error measures the surrogate rather than the
scatter of a few specimens) instead of the seed's 200 × 100 specimens of 10×10×10 blocks. Specimens
scatter by up to ~6 % (Frobenius) per combination; see benchmarks/RESULTS.md (virtual growth).
"""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.design import fit_surrogate, solve_design
from voxtwin.growth import AdjacencyRules, basic_blocks, grow

# Held-out relative Frobenius error of the GP (the default model): on this database (24 combinations
# fitted, 6 held out) measured 0.9-3.1 % (mean 1.5 %); over ten database seeds the mean per database
# was 1.4-3.8 % and 56 of 60 held-out combinations were within the 5 % (worst 7.6 %). With the
# 14 combinations used before, 19 of 27 (worst 11 %): the database size, not the model, decided it.
HELDOUT_MAX = 0.05
HELDOUT_MEAN = 0.03
# The noise floor (relative standard error of the 12-specimen held-out means): measured 0.7-2.4 %.
NOISE_FLOOR_MAX = 0.03
# Solved / target stiffness per slab of one grown layout of the graded design: measured within 4.1 %
# (best of 5 iterates: 1.041, 0.967, 1.035, 0.981; growth seeds 12 and 13: 9.4 % and 5.9 %; the first
# iterate, the surrogate alone, 0.65-1.00); the issue asks 10 %.
DESIGN_TOL = 0.10
RESIN = vt.Isotropic(1.16251, 0.40, name="resin")  # the seed's printed resin (GPa)


def database_combinations(n: int, seed: int = 0) -> np.ndarray:
    """Cross 0.1–0.8 (what E_x follows), corner and line 0.05–0.15, arrow the rest: the
    corners of the simplex (lines alone: loose rods) scatter too much for 3 specimens."""
    rng = np.random.default_rng(seed)
    cross = np.linspace(0.1, 0.8, n)
    rng.shuffle(cross)
    small = rng.uniform(0.05, 0.15, size=(n, 2))
    over = small.sum(axis=1) > 1 - cross  # arrow would be negative (once for n = 30, never for 14): arrow 0
    small[over] *= ((1 - cross[over]) / small[over].sum(axis=1))[:, None]
    return np.column_stack([cross, np.maximum(1 - cross - small.sum(axis=1), 0.0), small])


@pytest.fixture(scope="module")
def setup():
    lib = basic_blocks(block_voxels=4, voxel_size=375.0, d=0.5)
    rules = AdjacencyRules.from_library(lib)
    sur = fit_surrogate(lib, rules, database_combinations(30), specimens=6, specimen_blocks=6, holdout_specimens=12,
                        progress=False)
    return lib, rules, sur


@pytest.mark.slow
def test_surrogate_predicts_heldout_stiffness(setup):
    _, _, sur = setup
    assert len(sur.test) >= 3 and len(set(sur.test) & set(sur.train)) == 0
    assert sur.test_error.max() <= HELDOUT_MAX and sur.test_error.mean() <= HELDOUT_MEAN, sur.test_error
    # control: the mean stiffness of the training set misses the held-out ones by far more
    mean_C = sur.C[sur.train].mean(axis=0)
    naive = np.linalg.norm(mean_C - sur.C[sur.test], axis=(1, 2)) / np.linalg.norm(sur.C[sur.test], axis=(1, 2))
    assert naive.mean() > 2 * sur.test_error.mean()
    assert sur.settings["model"] == "gp" and sur.noise_floor().max() <= NOISE_FLOOR_MAX, sur.noise_floor()
    # the cubic-averaged database: C symmetric positive definite with C11 = C22 = C33
    C = sur.predict(sur.xi.mean(axis=0))
    assert np.allclose(C, C.T) and np.linalg.eigvalsh(C).min() > 0
    assert np.allclose(np.diag(C)[:3], C[0, 0], rtol=1e-6)


@pytest.mark.slow
def test_designed_gradient_is_followed_by_the_solved_assembly(setup):
    lib, rules, sur = setup
    e_max = sur.max_property("E_x")
    # one grown layout of 6 × 20 × 20 blocks per slab (2 400 blocks: one layout of 600 scatters by ±15 %)
    slabs, per_slab, lateral = 4, 6, 20
    regions = np.repeat(np.arange(slabs), per_slab)[:, None, None] * np.ones((1, lateral, lateral), dtype=int)
    target = np.linspace(0.2, 0.8, slabs) * e_max
    design = sur.design(target, regions, property="E_x")
    assert np.allclose(design.predicted, target, rtol=0.01)
    lo, hi = sur.bounds()
    assert (design.xi >= lo - 1e-3).all() and (design.xi <= hi + 1e-3).all()
    solved = solve_design(sur, lib, rules, target, regions, iterations=5, realizations=1, seed=11,
                          materials={0: RESIN, 2: vt.VOID})
    (layout,) = solved.layouts
    assert layout.violations() == 0
    assert np.abs(layout.frequencies() - layout.targets).max() <= 0.02
    # the surrogate meets what each iterate asked, up to its largest E_x (the corrected ask of the
    # stiffest slab can exceed it)
    assert np.allclose(solved.design.predicted, np.minimum(solved.asked[solved.best], e_max), rtol=0.01)
    # The solved stiffness of the grown layout (σ/ε per slab from vt.solve) follows the target.
    assert np.all(np.abs(solved.ratio - 1) <= DESIGN_TOL), (solved.local, target)
    # Control: the first iterate (the surrogate's design, uncorrected) missed it, measured 0.65-1.00.
    assert np.abs(solved.local[0] / target - 1).max() > DESIGN_TOL, solved.local[0] / target


@pytest.mark.slow
@pytest.mark.ai
def test_seeds_mlp_as_published_overfits_this_small_database(setup):
    """Why the GP is the default: the seed's 4–512–256–21 MLP (no penalty, 1000 epochs) trained on
    the same 24 combinations interpolates their noise (training MSE ~3e-5); measured worst held-out
    32 %, 71 %, 62 % for weight seeds 0, 1, 2 (the GP: 3.1 %)."""
    pytest.importorskip("torch")
    _, _, sur = setup
    mlp = sur.refit("mlp", seed=0)
    assert mlp.settings["model"] == "mlp" and mlp.model.loss[-1] < 1e-3  # it fits the training means...
    assert mlp.test_error.max() > 2 * HELDOUT_MAX, mlp.test_error  # ...and misses held-out ones
    assert sur.test_error.max() <= HELDOUT_MAX  # refit returned a new surrogate; this one is unchanged


def test_fit_surrogate_rejects_bad_input():
    lib = basic_blocks(block_voxels=4, voxel_size=375.0, d=0.5)
    rules = AdjacencyRules.from_library(lib)
    with pytest.raises(ValueError, match="combinations"):
        fit_surrogate(lib, rules, combinations=np.full((3, 4), 0.3), specimens=1)
    with pytest.raises(TypeError, match="rules"):
        fit_surrogate(lib, {"a": 1}, combinations=8)
    with pytest.raises(ValueError, match="low"):
        fit_surrogate(lib, rules, combinations=8, low=0.3)
    with pytest.raises(ValueError, match="holdout_specimens"):
        fit_surrogate(lib, rules, combinations=8, holdout_specimens=0)
    with pytest.raises(ValueError, match="model"):
        fit_surrogate(lib, rules, combinations=8, model="nn")
    with pytest.raises(TypeError, match="batch"):
        fit_surrogate(lib, rules, combinations=8, batch="yes")
    with pytest.raises(ValueError, match="`property` must be one of 'E_x'"):
        solve_design(None, lib, rules, [1.0], np.zeros((2, 2, 2), dtype=int), property="C11")


# Batched (vt.homogenize_cells) against per-specimen (vt.homogenize) database: the same solver per
# cell, so C agrees to rounding; measured 1.1e-15 relative (Frobenius) on 16³-voxel specimens.
BATCH_RTOL = 1e-10


def test_batched_database_matches_per_specimen(monkeypatch):
    import voxtwin.design.growth_surrogate as gs

    monkeypatch.setattr(gs, "_BATCH_CHUNK", 5)  # 12 specimens: three solver calls, the last one short
    lib = basic_blocks(block_voxels=4, voxel_size=375.0, d=0.5)
    rules = AdjacencyRules.from_library(lib)
    xi = database_combinations(14)[:6]
    kw = dict(specimens=2, specimen_blocks=4, progress=False, symmetry="none", device="cpu")
    batched = fit_surrogate(lib, rules, xi, batch=True, **kw)
    single = fit_surrogate(lib, rules, xi, batch=False, **kw)
    a, b = batched.C_specimens, single.C_specimens
    assert np.isfinite(a).all() and a.shape == (6, 2, 6, 6)
    rel = np.linalg.norm(a - b, axis=(2, 3)) / np.linalg.norm(b, axis=(2, 3))
    assert rel.max() <= BATCH_RTOL, rel.max()
    # control: two specimens of one ξ differ by far more than the tolerance (so the check can see a swap)
    between = np.linalg.norm(a[:, 0] - a[:, 1], axis=(1, 2)) / np.linalg.norm(a[:, 0], axis=(1, 2))
    assert between.min() > 1e3 * BATCH_RTOL
    assert batched.settings["batch"] and not single.settings["batch"]
    np.testing.assert_allclose(batched.test_error, single.test_error, rtol=1e-6)


@pytest.mark.ai
def test_mlp_regressor_is_seeded_and_fits_a_smooth_map():
    pytest.importorskip("torch")
    from voxtwin.design.mlp_regressor import MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.dirichlet(np.ones(4), size=24)
    Y = np.column_stack([1 + 2 * X[:, 0], X[:, 1] * X[:, 2], np.sin(3 * X[:, 3])]) @ rng.random((3, 21))
    a = MLPRegressor.fit(X, Y, seed=3, epochs=300)
    b = MLPRegressor.fit(X, Y, seed=3, epochs=300)
    c = MLPRegressor.fit(X, Y, seed=4, epochs=300)
    Xt = rng.dirichlet(np.ones(4), size=5)
    np.testing.assert_array_equal(a.predict(Xt), b.predict(Xt))
    assert not np.array_equal(a.predict(Xt), c.predict(Xt))
    assert a.loss[-1] < 1e-2 * a.loss[0]
    assert [m.out_features for m in a.net if hasattr(m, "out_features")] == [512, 256, 21]
    # the seed's network on the training set: close to the data, far closer than the mean
    fit_err = np.linalg.norm(a.predict(X) - Y) / np.linalg.norm(Y)
    mean_err = np.linalg.norm(Y.mean(axis=0) - Y) / np.linalg.norm(Y)
    assert fit_err < 0.1 * mean_err, (fit_err, mean_err)


def test_mlp_without_torch_says_how_to_install(monkeypatch):
    import sys

    from voxtwin.design.mlp_regressor import MLPRegressor

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="ai"):
        MLPRegressor.fit(np.eye(4), np.eye(4))


@pytest.mark.ai
def test_fit_surrogate_with_the_mlp():
    pytest.importorskip("torch")
    lib = basic_blocks(block_voxels=4, voxel_size=375.0, d=0.5)
    rules = AdjacencyRules.from_library(lib)
    xi = database_combinations(14)[:7]
    sur = fit_surrogate(lib, rules, xi, specimens=1, specimen_blocks=3, progress=False, model="mlp", device="cpu")
    assert sur.settings["model"] == "mlp" and sur.settings["weight_decay"] == 0.0
    C = sur.predict(xi[0])
    assert C.shape == (6, 6) and np.allclose(C, C.T)
    # it reproduces a training combination's mean C (the seed's MLP interpolates its data)
    train = sur.train[0]
    assert np.linalg.norm(sur.predict(xi[train]) - sur.C[train]) <= 0.02 * np.linalg.norm(sur.C[train])
    gp = sur.refit("gp")
    assert gp.settings["model"] == "gp" and sur.settings["model"] == "mlp"
    np.testing.assert_array_equal(gp.C, sur.C)
