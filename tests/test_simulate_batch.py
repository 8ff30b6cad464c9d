"""Batched homogenization of small cells: against per-cell homogenize, an analytic laminate under the
cubic projection, the two-case shortcut for invariant cells, thread-count independence, errors."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.design import cubic_cell, permutation_average

from elastic_reference import laminate_effective, porous_laminate_effective

# A batch cell runs the same arithmetic as homogenize() on it (same reference medium, same CG
# path), so the two agree to round-off (measured: identical; two-case shortcut vs six cases 3e-15).
SAME = 1e-12
# Against an analytic laminate the solver error counts: of order TOL x |C| at a relative residual
# of TOL; AGREE leaves a factor 30 of room.
TOL = 1e-7
AGREE = 30 * TOL
# float32 on the GPU: single-precision rounding of the fields dominates (measured in the solver
# tests: ~1e-5 relative on C at this size).
AGREE_F32 = 5e-5

SOLID = vt.Isotropic(E=10.0, nu=0.3)
SOFT = vt.Isotropic(E=2.0, nu=0.25)
MATS = {0: vt.VOID, 1: SOLID, 2: SOFT}


def _random_cells(count: int, n: int, seed: int) -> np.ndarray:
    """Connected-ish random cells: a smooth field thresholded into void / soft / solid."""
    cells = np.empty((count, n, n, n), dtype=np.uint8)
    for i in range(count):
        f = vt.stochastic.gaussian_field((n, n, n), (2.0, 2.5, 1.5), seed, stream=i)
        q = np.quantile(f, [0.2, 0.5])
        cells[i] = np.where(f < q[0], 0, np.where(f < q[1], 2, 1))
    return cells


def test_batch_agrees_with_homogenize_per_cell() -> None:
    cells = _random_cells(3, 10, seed=4)
    batch = vt.homogenize_cells(cells, MATS, tol=TOL, device="cpu", progress=False)
    assert batch.converged.all()
    for cell, C in zip(cells, batch.C):
        ref = vt.homogenize(cell, MATS, tol=TOL, device="cpu", progress=False).C
        assert np.abs(C - ref).max() <= SAME * np.abs(ref).max()


def test_batch_gpu_agrees_with_cpu(device: str) -> None:
    cells = _random_cells(2, 10, seed=5)
    cpu = vt.homogenize_cells(cells, MATS, tol=TOL, device="cpu", progress=False)
    other = vt.homogenize_cells(cells, MATS, tol=1e-6 if device == "cuda" else TOL, device=device, progress=False)
    limit = AGREE_F32 if device == "cuda" else 0.0
    assert np.abs(other.C - cpu.C).max() <= limit * np.abs(cpu.C).max()


def test_cubic_projection_of_a_laminate_is_the_group_average_of_the_analytic_laminate() -> None:
    """Layers normal to x: the laminate's C is exact (piecewise-constant strain), so the cubic
    projection must give C11 = (C11 + C22 + C33)/3, C12 = (C12 + C13 + C23)/3, C44 = (C44 + C55 + C66)/3
    of the analytic laminate; the cell is not invariant, so six cases are solved."""
    n = 12
    cell = np.ones((n, n, n), dtype=np.uint8)
    cell[: n // 3] = 2
    res = vt.homogenize_cells(cell, MATS, tol=TOL, device="cpu", symmetry="cubic", progress=False)
    CL, _ = laminate_effective([SOFT.C, SOLID.C], [np.zeros(6)] * 2, [1 / 3, 2 / 3], normal=0)
    want = [np.trace(CL[:3, :3]) / 3, (CL[0, 1] + CL[0, 2] + CL[1, 2]) / 3, np.trace(CL[3:, 3:]) / 3]
    assert not res.invariant[0]
    assert res.anisotropy[0] > 0.01  # a laminate is far from cubic
    assert np.allclose(res.cubic[0], want, rtol=AGREE)
    # the projection: zero outside the cubic pattern
    P = res.C[0]
    assert np.abs(P[:3, 3:]).max() == 0 and P[3, 4] == 0 and P[0, 0] == P[1, 1] == P[2, 2]


def test_cubic_projection_of_a_porous_laminate() -> None:
    """Void layers: the analytic laminate has no stiffness across; the projection averages it in."""
    n = 12
    cell = np.ones((n, n, n), dtype=np.uint8)
    cell[: n // 4] = 0
    res = vt.homogenize_cells(cell, MATS, tol=TOL, device="cpu", symmetry="cubic", progress=False)
    CL, _ = porous_laminate_effective(SOLID.C, np.zeros(6), 0.75, normal=0)
    want = [np.trace(CL[:3, :3]) / 3, (CL[0, 1] + CL[0, 2] + CL[1, 2]) / 3, np.trace(CL[3:, 3:]) / 3]
    assert np.allclose(res.cubic[0], want, rtol=AGREE, atol=AGREE * np.abs(CL).max())


def _cubic_cells(count: int, m: int, seed: int) -> np.ndarray:
    octs = []
    for i in range(count):
        f = vt.stochastic.gaussian_field((m, m, m), (1.5, 2.0, 1.0), seed, stream=i).astype(np.float64)
        o = permutation_average(f)
        octs.append(o > np.quantile(o, 0.45))
    return cubic_cell(np.array(octs, dtype=np.uint8))


def test_invariant_cells_take_two_cases_and_match_six() -> None:
    cells = _cubic_cells(3, 6, seed=2)
    fast = vt.homogenize_cells(cells, MATS, tol=TOL, device="cpu", symmetry="cubic", progress=False)
    assert fast.invariant.all()
    for cell, c in zip(cells, fast.cubic):
        assert vt._core.cubic_invariant(cell)
        ref = vt.homogenize(cell, MATS, tol=TOL, device="cpu", progress=False).C
        scale = np.abs(ref).max()
        # the six-case C of an invariant cell is cubic to the tolerance ...
        assert np.abs(ref - vt._core.cubic_projection(ref)).max() <= AGREE * scale
        # ... and its three constants are what the two cases give
        assert np.allclose(c, [ref[0, 0], ref[0, 1], ref[3, 3]], rtol=0, atol=SAME * scale)


def test_a_broken_symmetry_is_not_taken_for_invariant() -> None:
    cell = _cubic_cells(1, 6, seed=3)[0].copy()
    cell[1, 2, 3] ^= 1
    assert not vt._core.cubic_invariant(cell)
    res = vt.homogenize_cells(cell, MATS, tol=1e-5, device="cpu", symmetry="cubic", progress=False)
    assert not res.invariant[0] and res.anisotropy[0] > 0


def test_thread_count_and_chunking_do_not_change_the_result() -> None:
    cells = _random_cells(5, 8, seed=9)
    before = vt.get_num_threads()
    try:
        vt.set_num_threads(1)
        one = vt.homogenize_cells(cells, MATS, tol=1e-6, device="cpu", progress=False)
        vt.set_num_threads(2)
        two = vt.homogenize_cells(cells, MATS, tol=1e-6, device="cpu", chunk=2, progress=False)
    finally:
        vt.set_num_threads(before)
    assert np.array_equal(one.C, two.C)
    assert np.array_equal(one.iterations, two.iterations)


def test_bad_input_is_refused_with_the_argument_named() -> None:
    good = np.ones((2, 6, 6, 6), dtype=np.uint8)
    with pytest.raises(TypeError, match="cells"):
        vt.homogenize_cells(good.astype(np.float32), MATS, progress=False)
    void = good.copy()
    void[1] = 0
    with pytest.raises(ValueError, match="cell 1"):
        vt.homogenize_cells(void, MATS, device="cpu", progress=False)
    with pytest.raises(ValueError, match="symmetry"):
        vt.homogenize_cells(np.ones((1, 6, 6, 4), np.uint8), MATS, device="cpu", symmetry="cubic", progress=False)
    with pytest.raises(ValueError, match="symmetry"):
        vt.homogenize_cells(good, MATS, device="cpu", symmetry="tetragonal", progress=False)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="materials|label"):
        vt.homogenize_cells(good * 7, MATS, device="cpu", progress=False)
