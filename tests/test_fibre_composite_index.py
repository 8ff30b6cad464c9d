"""One composite-voxel index for a whole non-periodic grid, made chunk by chunk from the fibre
table (issue 21): ``fibre_composite_index`` and ``merge_composite_chunks``."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
import voxtwin.fibre_composite as fc

LIB = vt.material_library()
MATERIALS = {0: LIB["pla"], 1: LIB["basalt_fibre"]}


@pytest.fixture(scope="module")
def fibres() -> vt.FibreTable:
    """Seed 000's fibres (15 × 100 µm, 10 %) in a 160 µm block."""
    return vt.generate_fibres(vt.seed000_spec(), (40, 40, 40), 4.0, seed=2).fibres


def _per_voxel(cv: vt.CompositeVoxels) -> tuple[np.ndarray, np.ndarray]:
    return cv.C[cv.index], cv.alpha[cv.index]


@pytest.mark.parametrize("law", ["double-inclusion", "laminate"])
@pytest.mark.parametrize("chunk", [3, 4, 7, 64])
def test_index_equals_the_whole_grid(fibres: vt.FibreTable, chunk: int, law: str) -> None:
    """Chunks of 3, 4, 7 (uneven last chunks on 10 × 11 × 9) and one chunk larger than the grid give
    exactly the index, table and per-voxel laws of the whole grid cut at its faces (the same cells:
    each chunk's quadrature points are the whole grid's, shifted by an exact multiple of 16 µm)."""
    shape, origin = (10, 11, 9), (8.0, -16.0, 0.0)
    whole = vt.fibre_composite_voxels(fibres, shape, 16.0, materials=MATERIALS, periodic=False, origin=origin,
                                      law=law)
    cv = vt.fibre_composite_index(fibres, shape, 16.0, chunk=chunk, materials=MATERIALS, origin=origin, law=law)
    assert cv.shape == shape and not cv.periodic and cv.fine_shape == whole.fine_shape
    assert cv.n_entries == whole.n_entries > len(MATERIALS)
    np.testing.assert_array_equal(cv.index, whole.index)
    np.testing.assert_array_equal(cv.quantized_normals, whole.quantized_normals)
    for mine, theirs in zip(_per_voxel(cv), _per_voxel(whole)):
        np.testing.assert_array_equal(mine, theirs)
    np.testing.assert_array_equal(cv.fractions(1), whole.fractions(1))


def test_index_at_8um_with_uneven_chunks(fibres: vt.FibreTable) -> None:
    shape = (20, 17, 13)
    whole = vt.fibre_composite_voxels(fibres, shape, 8.0, materials=MATERIALS, periodic=False, points=8)
    cv = vt.fibre_composite_index(fibres, shape, 8.0, chunk=6, materials=MATERIALS, points=8)
    np.testing.assert_array_equal(cv.index, whole.index)
    np.testing.assert_array_equal(cv.C, whole.C)


def test_a_chunk_at_the_wrong_corner_changes_the_index(fibres: vt.FibreTable) -> None:
    """Negative control: the same chunks with two corners swapped tile the grid but differ."""
    shape = (10, 10, 10)
    whole = vt.fibre_composite_voxels(fibres, shape, 16.0, materials=MATERIALS, periodic=False)
    chunks = list(vt.fibre_composite_chunks(fibres, shape, 16.0, 5, materials=MATERIALS))
    (a, cv_a), (b, cv_b) = chunks[0], chunks[1]
    swapped = [(b, cv_a), (a, cv_b), *chunks[2:]]
    wrong = vt.merge_composite_chunks(swapped, shape)
    right = vt.merge_composite_chunks(chunks, shape)
    np.testing.assert_array_equal(right.index, whole.index)
    assert not np.array_equal(_per_voxel(wrong)[0], _per_voxel(whole)[0])


def test_chunks_use_the_whole_tables_aspect() -> None:
    """Short fibres on one side, long on the other: each chunk's own median equal-volume aspect
    would differ (1.5 × 4 vs 1.5 × 12), the chunks take the whole table's (1.5 × 8 = 12), so the
    merge accepts them and matches the whole grid."""
    rng = np.random.default_rng(5)
    n = 40
    centre = np.column_stack([np.where(np.arange(n) < n // 2, 40.0, 120.0) + rng.uniform(-20, 20, n),
                              rng.uniform(10, 150, n), rng.uniform(10, 150, n)])
    length = np.where(np.arange(n) < n // 2, 60.0, 180.0)
    table = vt.FibreTable(centre, np.tile([0.0, 1.0, 0.0], (n, 1)), length, np.full(n, 15.0))
    assert np.median(length / 15.0) == 8.0
    shape = (10, 10, 10)
    whole = vt.fibre_composite_voxels(table, shape, 16.0, materials=MATERIALS, periodic=False)
    chunks = list(vt.fibre_composite_chunks(table, shape, 16.0, 5, materials=MATERIALS))
    assert {cv.aspect for _, cv in chunks} == {12.0}  # the equal-volume spheroid: 1.5 L/d
    cv = vt.merge_composite_chunks(chunks, shape)
    np.testing.assert_array_equal(cv.index, whole.index)
    np.testing.assert_array_equal(cv.C, whole.C)
    # chunks with different laws (as before the fix: each chunk its own median) are refused
    other = vt.fibre_composite_voxels(table, (5, 10, 10), 16.0, materials=MATERIALS, periodic=False, aspect=4.0)
    with pytest.raises(ValueError, match="aspect"):
        vt.merge_composite_chunks([((0, 0, 0), other), *[c for c in chunks if c[0][0] == 5]], shape)


def test_merge_refuses_gaps_overlaps_and_outside_chunks(fibres: vt.FibreTable) -> None:
    shape = (10, 10, 10)
    chunks = list(vt.fibre_composite_chunks(fibres, shape, 16.0, 5, materials=MATERIALS))
    with pytest.raises(ValueError, match="uncovered"):
        vt.merge_composite_chunks(chunks[:-1], shape)
    with pytest.raises(ValueError, match="overlaps"):
        vt.merge_composite_chunks([*chunks, ((0, 0, 1), chunks[0][1])], shape)
    with pytest.raises(ValueError, match="outside"):
        vt.merge_composite_chunks([((6, 0, 0), chunks[0][1])], shape)
    with pytest.raises(ValueError, match="at least one"):
        vt.merge_composite_chunks([], shape)
    with pytest.raises(TypeError, match="CompositeVoxels"):
        vt.merge_composite_chunks([((0, 0, 0), np.zeros((10, 10, 10)))], shape)
    with pytest.raises(TypeError, match="periodic"):
        vt.fibre_composite_index(fibres, shape, 16.0, materials=MATERIALS, periodic=True)


def test_merged_table_overflow_requantizes_the_normals(fibres: vt.FibreTable, monkeypatch) -> None:
    """4³ points (296 rows at K = 15, 235 at K = 4) with room for 250 rows: the merge lowers the normal
    resolution (warning), folds equal rows and recomputes their laws: fractions stay exact, normals
    move by at most the coarser set's step."""
    shape = (10, 10, 10)
    whole = vt.fibre_composite_voxels(fibres, shape, 16.0, materials=MATERIALS, periodic=False, points=4)
    assert whole.n_entries > 250
    monkeypatch.setattr(fc, "MAX_TABLE_ENTRIES", 250)
    with pytest.warns(vt.errors.NormalResolutionWarning, match="re-quantized"):
        cv = vt.fibre_composite_index(fibres, shape, 16.0, chunk=4, materials=MATERIALS, points=4)
    assert cv.n_entries <= 250 and cv.normal_resolution < whole.normal_resolution
    np.testing.assert_array_equal(cv.fractions(1), whole.fractions(1))
    mixed = cv.index >= len(MATERIALS)
    cosine = np.abs(np.einsum("i...,i...->...", cv.normals(), whole.normals())[mixed])
    assert np.all(cosine > np.cos(1.5 / cv.normal_resolution))
    rows = np.arange(len(MATERIALS), cv.n_entries)
    C, alpha = fc._row_laws(cv.law, cv.aspect, cv.fibre_label, cv.entry_labels[rows], cv.entry_counts[rows],
                            cv.quantized_normals[rows], cv.factor, cv.materials)
    np.testing.assert_allclose(cv.C[rows], C, rtol=1e-12)
    np.testing.assert_allclose(cv.alpha[rows], alpha, rtol=1e-12)


def test_requantize_matches_the_cpp_direction_set(fibres: vt.FibreTable) -> None:
    """Re-quantizing K = 15 normals at K = 15 keeps them; at K = 4 they land on the K = 4 set, and
    mostly (double rounding aside) where the C++ kernel puts the raw normals."""
    shape = (10, 10, 10)
    fine = vt.fibre_composite_voxels(fibres, shape, 16.0, materials=MATERIALS, periodic=False)
    coarse = vt.fibre_composite_voxels(fibres, shape, 16.0, materials=MATERIALS, periodic=False, normal_resolution=4)
    q15 = fine.quantized_normals[fine.index][fine.index >= 2]
    np.testing.assert_array_equal(fc._quantize(q15, 15), q15)
    q4 = fc._quantize(q15, 4)
    assert np.all(np.abs(q4).max(axis=1) == 4)
    agree = np.all(q4 == coarse.quantized_normals[coarse.index][coarse.index >= 2], axis=1)
    assert agree.mean() > 0.8


def test_remap_in_slabs_equals_the_lookup() -> None:
    rng = np.random.default_rng(0)
    index = rng.integers(0, 50, size=(7, 5, 3)).astype(np.uint16)
    lut = rng.permutation(50).astype(np.uint16)
    want = lut[index]
    fc._remap(index, lut, step=11)  # 105 voxels in slabs of 11: an uneven last slab
    np.testing.assert_array_equal(index, want)


def test_a_tiling_with_a_repeated_chunk_is_refused(fibres: vt.FibreTable) -> None:
    """The volumes of the chunks add up, but one chunk is given twice and another is missing."""
    shape = (10, 10, 10)
    chunks = list(vt.fibre_composite_chunks(fibres, shape, 16.0, 5, materials=MATERIALS))
    with pytest.raises(ValueError, match="overlaps"):
        vt.merge_composite_chunks([*chunks[:-1], chunks[0]], shape)
