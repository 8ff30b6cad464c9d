"""ξ → C surrogate of grown architectures and a graded design checked by the FFT solver (seed 002)."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.design import fit_surrogate
from voxtwin.growth import AdjacencyRules, basic_blocks, grow

HELDOUT_TOL = 0.05   # the bound on held-out C (relative Frobenius error)
DESIGN_TOL = 0.10    # the bound on the solved local stiffness against the target
RESIN = vt.Isotropic(1.16251, 0.40, name="resin")  # the seed's printed resin (GPa)


@pytest.fixture(scope="module")
def setup():
    lib = basic_blocks(block_voxels=6, voxel_size=250.0, d=0.34)
    rules = AdjacencyRules.from_library(lib)
    sur = fit_surrogate(lib, rules, combinations=16, specimens=2, specimen_blocks=4, tol=1e-4, progress=False)
    return lib, rules, sur


def test_surrogate_predicts_heldout_stiffness(setup):
    _, _, sur = setup
    assert len(sur.test) >= 3 and len(set(sur.test) & set(sur.train)) == 0
    assert sur.test_error.max() <= HELDOUT_TOL, sur.test_error
    # control: the mean stiffness of the training set misses the held-out ones, so the bound has teeth
    mean_C = sur.C[sur.train].mean(axis=0)
    naive = np.linalg.norm(mean_C - sur.C[sur.test], axis=(1, 2)) / np.linalg.norm(sur.C[sur.test], axis=(1, 2))
    assert naive.max() > 2 * HELDOUT_TOL
    # a cubic-symmetric mix: the three axial moduli agree, C is symmetric positive definite
    C = sur.predict([0.25, 0.25, 0.25, 0.25])
    assert np.allclose(C, C.T) and np.linalg.eigvalsh(C).min() > 0


def test_designed_gradient_follows_target_in_the_solved_assembly(setup):
    lib, rules, sur = setup
    e_max = sur.max_property("E_x")
    slabs, per_slab, lateral = 4, 4, 6
    regions = np.repeat(np.arange(slabs), per_slab)[:, None, None] * np.ones((1, lateral, lateral), dtype=int)
    target = np.linspace(0.2, 0.8, slabs) * e_max
    design = sur.design(target, regions, property="E_x")
    assert np.allclose(design.predicted, target, rtol=0.01)
    layout = grow(rules, regions.shape, design.frequency, seed=11, regions=regions, periodic=True)
    assert layout.violations() == 0
    labels = vt.Assembly.from_layout(lib, layout).to_numpy()
    sxx = 1e-3  # GPa, uniaxial along the grading: every slab carries the same σ_xx
    sol = vt.solve(labels, {0: RESIN, 2: vt.VOID}, stress=[sxx, 0, 0, 0, 0, 0], tol=1e-4, voxel_size=lib.voxel_size,
                   fields=("strain",), progress=False)
    n = lib.block_shape[0] * per_slab
    exx = sol.strain[0].reshape(slabs, n, -1).mean(axis=(1, 2))
    local = sxx / exx
    assert np.all(np.abs(local / target - 1) <= DESIGN_TOL), (local, target)
    # control: the same grid grown with one uniform ξ does not follow the gradient
    flat = grow(rules, regions.shape, design.xi.mean(axis=0), seed=11, periodic=True)
    flat_labels = vt.Assembly.from_layout(lib, flat).to_numpy()
    sol2 = vt.solve(flat_labels, {0: RESIN, 2: vt.VOID}, stress=[sxx, 0, 0, 0, 0, 0], tol=1e-4,
                    voxel_size=lib.voxel_size, fields=("strain",), progress=False)
    flat_local = sxx / sol2.strain[0].reshape(slabs, n, -1).mean(axis=(1, 2))
    assert not np.all(np.abs(flat_local / target - 1) <= DESIGN_TOL)


def test_fit_surrogate_rejects_bad_input(setup):
    lib, rules, _ = setup
    with pytest.raises(ValueError, match="combinations"):
        fit_surrogate(lib, rules, combinations=np.full((3, 4), 0.3), specimens=1)
    with pytest.raises(TypeError, match="rules"):
        fit_surrogate(lib, {"a": 1}, combinations=8)
