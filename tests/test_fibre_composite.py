"""Composite voxels from the fibre table (issue 21): partial volumes, normals, chunks, and the
accuracy of the coarse model against a converged fine-grid reference."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt

LIB = vt.material_library()
MATERIALS = {0: LIB["pla"], 1: LIB["basalt_fibre"]}
FIXTURE = Path(__file__).parent / "data" / "composite_converged_seed0.json"


def _one_fibre(length: float, direction=(0.0, 0.0, 1.0), centre=(40.0, 40.0, 40.0), d: float = 15.0) -> vt.FibreTable:
    return vt.FibreTable([centre], [direction], [length], [d])


def test_partial_volumes_add_up_to_the_cylinder() -> None:
    """An oblique 15 × 60 µm cylinder in 8 µm voxels: the fractions sum to its volume. The midpoint
    quadrature with 16³ points errs by about (surface × point spacing) / (number of points along
    the surface); 0.5 % is well above that and far below a voxelized fibre's error."""
    fibre = _one_fibre(60.0, direction=(0.8, 0.36, 0.48))
    cv = vt.fibre_composite_voxels(fibre, (10, 10, 10), 8.0, materials=MATERIALS)
    volume = cv.fractions(1).sum() * 8.0**3
    assert volume == pytest.approx(float(fibre.volumes()[0]), rel=5e-3)
    assert 0 < cv.mixed_fraction < 0.2
    # a fibre wider than two voxels fills the voxels around its axis: pure fibre rows
    thick = vt.fibre_composite_voxels(_one_fibre(80.0, d=30.0), (10, 10, 10), 8.0, materials=MATERIALS)
    assert thick.fractions(1).max() == 1.0
    assert np.count_nonzero(thick.index == thick.material_rows[1]) == 4 * 10


def test_fractions_agree_with_the_rasterizers_partial_volumes() -> None:
    """A second route to the same numbers: rasterize_fibres' supersampled fractions at the coarse
    voxel size with 8 points per edge, against the fibre route with 8 points: identical."""
    twin = vt.generate_fibres(vt.seed000_spec(), (12, 12, 12), 16.0, seed=3)
    cv = vt.fibre_composite_voxels(twin.fibres, (12, 12, 12), 16.0, materials=MATERIALS, points=8)
    raster = vt.rasterize_fibres(twin.fibres, (12, 12, 12), 16.0, supersample=8)
    np.testing.assert_array_equal(cv.fractions(1), raster.fractions.astype(np.float64))


def test_normals_are_radial_from_the_fibre_axis() -> None:
    fibre = _one_fibre(80.0)  # as long as the periodic box: an endless cylinder along z
    cv = vt.fibre_composite_voxels(fibre, (10, 10, 10), 8.0, materials=MATERIALS, normal_resolution=64,
                                   law="laminate")
    mixed = (cv.fractions(1) > 0) & (cv.fractions(1) < 1)
    n = cv.normals()[:, mixed]
    centres = (np.argwhere(mixed) + 0.5) * 8.0 - [40.0, 40.0, 40.0]
    radial = centres[:, :2] / np.linalg.norm(centres[:, :2], axis=1, keepdims=True)
    assert np.all(np.abs(n[2]) < 1e-12)
    # quantized on the K = 64 direction set (sign-folded): within about 1/64 rad of the radial direction
    assert np.all(np.abs(np.einsum("ij,ji->i", radial, n[:2])) > np.cos(0.02))


def test_axes_are_stored_for_the_mori_tanaka_laws() -> None:
    u = np.array([0.8, 0.36, 0.48])
    cv = vt.fibre_composite_voxels(_one_fibre(60.0, direction=u), (10, 10, 10), 8.0, materials=MATERIALS,
                                   law="mori-tanaka", normal_resolution=64)
    mixed = (cv.fractions(1) > 0) & (cv.fractions(1) < 1)
    n = cv.normals()[:, mixed]
    assert np.all(np.abs(u @ n) > np.cos(0.02))
    assert cv.law == "mori-tanaka"
    # the rows are the Mori–Tanaka laws (not laminates) and are kept by with_materials
    again = cv.with_materials(MATERIALS | {0: vt.Isotropic(3.0, 0.35)})
    assert again.law == "mori-tanaka"
    assert not np.allclose(again.C, cv.C)


def test_chunks_give_the_whole_volume() -> None:
    """A non-periodic 12³ grid in chunks of 5³ (ragged at the far faces): every cell as in one call
    (fibres reaching across chunk faces included)."""
    twin = vt.generate_fibres(vt.seed000_spec(), (12, 12, 12), 16.0, seed=4)
    whole = vt.fibre_composite_voxels(twin.fibres, (12, 12, 12), 16.0, materials=MATERIALS, periodic=False)
    frac = whole.fractions(1)
    normals = whole.normals()
    seen = np.zeros((12, 12, 12), dtype=int)
    for corner, cv in vt.fibre_composite_chunks(twin.fibres, (12, 12, 12), 16.0, 5, materials=MATERIALS):
        sl = tuple(slice(c, c + s) for c, s in zip(corner, cv.shape))
        # sub-point coordinates are rounded from the chunk's corner, not the volume's: a point
        # exactly on a fibre surface may flip, one of 4096 per voxel
        np.testing.assert_allclose(cv.fractions(1), frac[sl], atol=1.5 / 16**3)
        np.testing.assert_allclose(cv.normals(), normals[(slice(None),) + sl], atol=0.1)
        seen[sl] += 1
    assert np.all(seen == 1)


def test_cpu_and_cuda_give_identical_cells(device: str) -> None:
    """The CUDA twin against the CPU, byte for byte (skipped without a GPU)."""
    twin = vt.generate_fibres(vt.seed000_spec(), (12, 12, 12), 16.0, seed=6)
    for law in ("laminate", "double-inclusion"):
        cpu = vt.fibre_composite_voxels(twin.fibres, (12, 12, 12), 16.0, materials=MATERIALS, law=law, device="cpu")
        other = vt.fibre_composite_voxels(twin.fibres, (12, 12, 12), 16.0, materials=MATERIALS, law=law, device=device)
        np.testing.assert_array_equal(other.index, cpu.index)
        np.testing.assert_array_equal(other.quantized_normals, cpu.quantized_normals)
        np.testing.assert_array_equal(other.entry_counts, cpu.entry_counts)


def test_bad_arguments_are_named() -> None:
    fibre = _one_fibre(60.0)
    with pytest.raises(ValueError, match="points"):
        vt.fibre_composite_voxels(fibre, (4, 4, 4), 16.0, materials=MATERIALS, points=17)
    with pytest.raises(ValueError, match="matrix_label"):
        vt.fibre_composite_voxels(fibre, (4, 4, 4), 16.0, materials=MATERIALS, fibre_label=0)
    with pytest.raises(ValueError, match="materials"):
        vt.fibre_composite_voxels(fibre, (4, 4, 4), 16.0, materials={0: LIB["pla"]})
    with pytest.raises(ValueError, match="law"):
        vt.fibre_composite_voxels(fibre, (4, 4, 4), 16.0, materials=MATERIALS, law="voigt")
    with pytest.raises(TypeError, match="fibres"):
        vt.fibre_composite_voxels({"centre": [[0, 0, 0]]}, (4, 4, 4), 16.0, materials=MATERIALS)


def test_fibre_route_is_closer_to_a_fine_solve_than_the_voxel_route_at_seed000s_resolution() -> None:
    """Quick check of the whole route: a 96 µm periodic block of seed 000's fibres. The fibre route
    at 16 µm against the same fibres' 2 µm grid (48³) is closer than the voxel route from the 4 µm
    grid (factor 4) and than majority vote."""
    twin = vt.generate_fibres(vt.seed000_spec(), (24, 24, 24), 4.0, seed=5)
    fine = vt.rasterize_fibres(twin.fibres, (48, 48, 48), 2.0).labels
    C_fine = vt.homogenize(fine, MATERIALS, 2.0, tol=1e-5, device="cpu", progress=False).C
    cv = vt.fibre_composite_voxels(twin.fibres, (6, 6, 6), 16.0, materials=MATERIALS)  # the adopted law
    C_fib = vt.homogenize(cv, MATERIALS, 16.0, tol=1e-5, device="cpu", progress=False).C
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vt.ThinFeatureWarning)
        vox = vt.composite_voxels(twin.labels, 4, materials=MATERIALS)
    C_vox = vt.homogenize(vox, MATERIALS, 16.0, tol=1e-5, device="cpu", progress=False).C
    C_maj = vt.homogenize(vt.majority_vote(twin.labels, 4), MATERIALS, 16.0, tol=1e-5, device="cpu",
                          progress=False).C
    err = lambda C: np.linalg.norm(C - C_fine) / np.linalg.norm(C_fine)
    assert err(C_fib) < err(C_vox) < err(C_maj)


def test_default_law_is_the_equal_volume_spheroid() -> None:
    """The fibre route's default (issue 21): Mori–Tanaka of the spheroid with each fibre's diameter
    and volume — 1.5 L/d for cylinders, 1.5 L/d − 0.5 for spherocylinders (tip-to-tip L) — the
    median over the table. Control: the old default aspect, L/d, is a different number."""
    from voxtwin.fibre_composite import equal_volume_aspects

    d, L = np.array([15.0, 10.0, 12.0]), np.array([100.0, 40.0, 30.0])
    for shape in ("cylinder", "spherocylinder"):
        table = vt.FibreTable(np.full((3, 3), 40.0), np.tile([0.0, 0.0, 1.0], (3, 1)), L, d, shape)
        aspect = equal_volume_aspects(table)
        # the spheroid of semi-axes (aspect d/2, d/2, d/2) has the fibre's volume
        np.testing.assert_allclose(4 / 3 * np.pi * (aspect * d / 2) * (d / 2) ** 2, table.volumes(), rtol=1e-12)
        expected = 1.5 * L / d - (0.5 if shape == "spherocylinder" else 0.0)
        np.testing.assert_allclose(aspect, expected, rtol=1e-12)
        cv = vt.fibre_composite_voxels(table, (10, 10, 10), 8.0, materials=MATERIALS)
        assert cv.law == "spheroids"
        assert cv.aspect == pytest.approx(float(np.median(expected)), rel=1e-12)
        assert cv.aspect != pytest.approx(float(np.median(L / d)))


# ---------------------------------------------------------------- against the converged reference
# Targets of issue 21 for seed 000's fibres in a 160 µm periodic block (fixture, seed 0), composite
# voxels from the fibre table with the adopted law (Mori–Tanaka of the equal-volume spheroids),
# against the converged C (benchmarks/RESULTS.md, "Issue 21"). Measured 2026-12-03 (seeds 0 / 1 / 2):
DIAG_16_RTOL = 0.03  # 16 µm: every diagonal entry within 3 % (measured 2.74 / 2.34 / 2.80 %, C55)
NORMAL_BLOCK_RTOL = 0.05  # 16 µm: C12, C13, C23 within 5 %
DIAG_8_RTOL = 0.02  # 8 µm (1.9 coarse voxels across a fibre): every diagonal within 2 % (1.96 / 1.65 / 1.73 %)
ALPHA_RTOL = 0.02  # ‖Δα‖/‖α‖ within 2 % at 16 µm (1.22 / 1.12 / 1.02 %) and 8 µm (1.09 / 0.93 / 0.87 %)
# Not met: C15 (1.1 % of C11 on seed 0, the coupling from the fibres' net tilt within ±15°) is a
# difference of large rotated terms that depends on where the grid cuts the fibres; every law misses
# it at 16 µm (this one by 33 / 8.8 / 11 %) and the 4 µm fine grid misses it by 16 % itself. Kept as
# a regression bound at its measured value on seed 0 (33.2 %):
COUPLING_REACHED = 0.36


def _rel(C: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return np.abs(C / ref - 1)


@pytest.mark.slow
def test_composite_voxels_at_16um_against_the_converged_reference() -> None:
    """Composite voxels from the fibre table at seed 000's 16 µm (and 8 µm) against the converged C
    of the same fibres (fixture: fine grids of 4 … 1 µm extrapolated to h → 0, written by
    benchmarks/bench_composite_converged.py reference; 160 µm periodic block, 24 fibres). The
    composite-voxel C is computed here from the fixture's fibre table with the default law. Checks
    the issue's targets (16 µm diagonals 3 %, 8 µm diagonals 2 %, α 2 %, closer than majority vote
    and, in ‖ΔC‖/‖C‖, than the 4 µm fine grid), the measured limit of C15, and negative controls:
    majority vote, the voxel route, and the previous default law (double inclusion, aspect L/d),
    which misses the 8 µm diagonals and α."""
    fx = json.loads(FIXTURE.read_text())
    fibres = vt.FibreTable.from_dict(fx["fibres"])
    C_ref, a_ref = np.array(fx["converged"]["C"]), np.array(fx["converged"]["alpha"])
    C4 = np.array(next(r["C"] for r in fx["runs"] if r["voxel_size"] == 4.0))
    edge = fx["edge_um"]
    norm = lambda X: np.linalg.norm(X - C_ref) / np.linalg.norm(C_ref)
    alpha_err = lambda a: np.linalg.norm(a - a_ref) / np.linalg.norm(a_ref)

    def coarse(h: float, **law: object) -> tuple[np.ndarray, np.ndarray]:
        n = int(round(edge / h))
        cv = vt.fibre_composite_voxels(fibres, (n, n, n), h, materials=MATERIALS, **law)  # type: ignore[arg-type]
        res = vt.homogenize(cv, MATERIALS, h, tol=1e-6, device="cpu", progress=False)
        return np.asarray(res.C), np.asarray(res.alpha)

    C, alpha = coarse(16.0)  # the adopted (default) law
    rel = _rel(C, C_ref)
    assert np.max(np.diag(rel)) < DIAG_16_RTOL, np.diag(rel)
    normal_block = rel[[0, 0, 1], [1, 2, 2]]
    assert np.max(normal_block) < NORMAL_BLOCK_RTOL, normal_block
    assert alpha_err(alpha) < ALPHA_RTOL
    big = np.abs(C_ref) > 0.01 * C_ref[0, 0]
    assert np.max(rel[big]) < COUPLING_REACHED, rel[big]
    # closer than the 4 µm fine grid in ‖ΔC‖/‖C‖ (measured 0.81 % against 1.06 %); not on the worst
    # diagonal entry (2.74 % against 1.82 %): the 4 µm grid is stiff everywhere by about 1 %, the
    # coarse model right on C11-C33 and 2-3 % soft in shear
    assert norm(C) < 0.9 * norm(C4)
    C8, alpha8 = coarse(8.0)
    assert np.max(np.diag(_rel(C8, C_ref))) < DIAG_8_RTOL, np.diag(_rel(C8, C_ref))
    assert alpha_err(alpha8) < ALPHA_RTOL
    # negative control: the previous default (double inclusion, aspect = median L/d) misses the 8 µm
    # diagonals (measured 2.56 %: C11 +2.6 %, C22 / C33 +2.2 %) and α at 16 µm (2.90 %)
    aspect = float(np.median(fibres.length / fibres.diameter))
    C8_old, _ = coarse(8.0, law="double-inclusion", aspect=aspect)
    assert np.max(np.diag(_rel(C8_old, C_ref))) > DIAG_8_RTOL
    _, alpha_old = coarse(16.0, law="double-inclusion", aspect=aspect)
    assert alpha_err(alpha_old) > ALPHA_RTOL
    # the baselines: majority vote and the voxel route's laminates, both of the 4 µm grid
    labels4 = vt.rasterize_fibres(fibres, (int(round(edge / 4)),) * 3, 4.0).labels
    C_maj = vt.homogenize(vt.majority_vote(labels4, 4), MATERIALS, 16.0, tol=1e-6, device="cpu", progress=False).C
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vt.ThinFeatureWarning)  # 3.75 voxels across: the point here
        vox = vt.composite_voxels(labels4, 4, materials=MATERIALS)
    C_vox = vt.homogenize(vox, MATERIALS, 16.0, tol=1e-6, device="cpu", progress=False).C
    # measured: 0.81 % against 7.8 % (voxel route) and 15.3 % (majority vote)
    assert 5 * norm(C) < norm(C_vox) < norm(C_maj)


def _levin_alpha(C: np.ndarray) -> np.ndarray:
    """α of a PLA / basalt composite of stiffness C by Levin's relation (Mandel form inside)."""
    from voxtwin.composite_laws import _M, _to_mandel

    m, f = MATERIALS[0], MATERIALS[1]
    Sm, Sf = np.linalg.inv(_to_mandel(m.C)), np.linalg.inv(_to_mandel(f.C))
    S = np.linalg.inv(_to_mandel(np.asarray(C)))
    return (m.alpha / _M + (S - Sm) @ np.linalg.solve(Sf - Sm, (f.alpha - m.alpha) / _M)) * _M


@pytest.mark.parametrize("law", ["double-inclusion", "laminate"])
def test_coarse_alpha_follows_from_coarse_c_by_levin(law: str) -> None:
    """Every row of the table lies on Levin's line between the two phases, so the coarse model's α
    is fixed by its C (issue 21's diagnosis: the α miss is the C miss). Negative control: the same
    model with the mixed rows' α replaced by the volume average is off the line by percents."""
    from dataclasses import replace

    twin = vt.generate_fibres(vt.seed000_spec(), (24, 24, 24), 4.0, seed=4)
    cv = vt.fibre_composite_voxels(twin.fibres, (6, 6, 6), 16.0, materials=MATERIALS, points=8, law=law)
    res = vt.homogenize(cv, MATERIALS, 16.0, tol=1e-8, device="cpu", precision="float64", progress=False)
    alpha = np.asarray(res.alpha)
    assert np.linalg.norm(alpha - _levin_alpha(res.C)) < 1e-5 * np.linalg.norm(alpha)
    f = cv.fractions(1)
    mixed = np.arange(cv.n_entries) >= len(MATERIALS)
    per_row = ((cv.entry_labels == 1) * cv.entry_counts).sum(axis=1) / cv.factor**3
    average = (1 - per_row)[:, None] * MATERIALS[0].alpha + per_row[:, None] * MATERIALS[1].alpha
    off = replace(cv, alpha=np.where(mixed[:, None], average, cv.alpha))
    assert 0 < f.mean() < 0.5
    bad = vt.homogenize(off, MATERIALS, 16.0, tol=1e-8, device="cpu", precision="float64", progress=False)
    assert np.linalg.norm(np.asarray(bad.alpha) - _levin_alpha(bad.C)) > 1e-2 * np.linalg.norm(alpha)
