"""An assembly's fibre table (assemble.fibres) and composite voxels from it (fibre_composite_assembly).

The references are independent pictures of the same voxels: the assembly's own labels (each block
rasterized periodically in its box, turned and pasted by the C++ kernel), and the fibre table
rasterized at the quadrature's sub-point size (each row clipped to its owner cell).
"""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.assemble import Assembly, BlockLibrary
from voxtwin.assemble.fibres import AssemblyFibres, periodic_images
from voxtwin.orientation import Aligned

# Small blocks (48 µm, 24 voxels at 2 µm) with fibres (6 × 30 µm) long enough to cross faces often.
SPEC = vt.FibreSpec(volume_fraction=0.12, diameter=6.0, length=30.0, orientation=Aligned((1, 0, 0), spread_deg=20.0))
MATS = {0: vt.material_library()["pla"], 1: vt.material_library()["basalt_fibre"]}
# Byte identity: the fibre table's coordinates are the block's shifted by whole block edges and
# mirrored (x -> B - x) in double precision, so a voxel centre within ~1e-13 µm of a fibre surface
# could in principle flip; with centres on a 2 µm lattice and random fibres none does (the test
# would show it). No tolerance is therefore granted.


def _library() -> BlockLibrary:
    return BlockLibrary.from_spec(SPEC, angles=(0, 60), block_shape=(24, 24, 24), voxel_size=2.0, seed=3)


def _assembly(turn: object = ("x", 90)) -> Assembly:
    """2×2×2 cells with quarter turns about every axis, mirrors, and two block angles."""
    asm = Assembly(_library(), (2, 2, 2), seed=5, device="cpu")
    asm.place("inner_0", (0, 0, 0))
    asm.place("inner_60", (1, 0, 0), rotate=("z", 90))
    asm.place("outer_0", (0, 1, 0), mirror="x")
    asm.place("inner_0", (1, 1, 0), rotate=turn)
    asm.place("inner_60", (0, 0, 1), rotate=[("y", 90)], mirror=["y", "z"])
    asm.place("outer_60", (1, 1, 1), rotate=("z", 180))
    asm.place("inner_0", (1, 0, 1))
    asm.place("inner_60", (0, 1, 1))
    return asm


@pytest.fixture(scope="module")
def asm() -> Assembly:
    return _assembly()


def test_block_fibres_are_the_blocks_own(asm: Assembly) -> None:
    """The regenerated placement rasterized periodically gives the block's voxels."""
    lib = asm.library
    fibres = lib.fibres("inner_60", seed=11)
    labels = vt.rasterize_fibres(fibres, lib.block_shape, lib.voxel_size, periodic=True, device="cpu").labels
    np.testing.assert_array_equal(labels, lib.generate("inner_60", seed=11, device="cpu"))


def test_rasterized_fibre_table_reproduces_the_assembly_voxels(asm: Assembly) -> None:
    expected = asm.to_numpy()
    got = asm.fibres().rasterize(asm.shape, solid_cells=asm._ids >= 0, air_label=asm.air_label, device="cpu")
    assert np.count_nonzero(expected == 1) > 0.1 * expected.size
    np.testing.assert_array_equal(got, expected)


def test_without_periodic_images_the_voxels_differ(asm: Assembly) -> None:
    """Negative control: the pieces re-entering at the opposite faces are missing."""
    expected = asm.to_numpy()
    got = asm.fibres(images=False).rasterize(asm.shape, solid_cells=asm._ids >= 0, device="cpu")
    missing = np.count_nonzero((expected == 1) & (got != 1))
    assert missing > 0.01 * np.count_nonzero(expected == 1)


@pytest.mark.parametrize("turn", [("x", -90), ("y", 90), ("z", 90)])
def test_a_wrong_turn_gives_other_voxels(asm: Assembly, turn: object) -> None:
    """Negative control: the fibres of a cell turned otherwise than its block do not match its voxels."""
    expected = asm.to_numpy()
    wrong = _assembly(turn).fibres().rasterize(asm.shape, solid_cells=asm._ids >= 0, device="cpu")
    assert np.count_nonzero(wrong != expected) > 100


def test_a_wrong_mirror_gives_other_voxels(asm: Assembly) -> None:
    expected = asm.to_numpy()
    other = _assembly()
    other.place("outer_0", (0, 1, 0), mirror="y")  # the cell holds mirror "x" in `asm`
    wrong = other.fibres().rasterize(asm.shape, solid_cells=asm._ids >= 0, device="cpu")
    assert np.count_nonzero(wrong != expected) > 100


def test_region_keeps_the_fibres_reaching_into_it(asm: Assembly) -> None:
    region = ((10.0, 20.0, 30.0), (60.0, 50.0, 70.0))
    part = asm.fibres(region)
    whole = asm.fibres()
    lo, hi = np.array(region[0]), np.array(region[1])
    assert 0 < len(part) < len(whole)
    # Every row of the whole table whose capsule bound misses the region is gone, and the rows
    # kept are rows of the whole table (same cell, same cylinder).
    rows = {(tuple(c), tuple(x)) for c, x in zip(whole.cells.tolist(), whole.table.centre.tolist())}
    assert all((tuple(c), tuple(x)) in rows for c, x in zip(part.cells.tolist(), part.table.centre.tolist()))
    # The region's voxels are the same from either table.
    lo_v, hi_v = (lo // 2).astype(int), (hi // 2).astype(int)
    window = tuple(slice(a, b) for a, b in zip(lo_v, hi_v))
    a = part.rasterize(asm.shape, solid_cells=asm._ids >= 0, device="cpu")[window]
    b = whole.rasterize(asm.shape, solid_cells=asm._ids >= 0, device="cpu")[window]
    np.testing.assert_array_equal(a, b)
    assert asm.fibre_table(region) == part.table


def test_periodic_images_cover_the_box() -> None:
    t = vt.FibreTable([[1.0, 24.0, 24.0]], [[1.0, 0.0, 0.0]], [20.0], [4.0])
    images = periodic_images(t, (48.0, 48.0, 48.0))
    assert len(images) == 2
    np.testing.assert_allclose(sorted(images.centre[:, 0]), [1.0, 49.0])


def test_stored_blocks_have_no_fibres() -> None:
    lib = BlockLibrary((8, 8, 8), 2.0)
    lib.add_array("scan", np.zeros((8, 8, 8), np.uint8))
    with pytest.raises(ValueError, match="stored array"):
        lib.fibres("scan")


# ---- composite voxels from the assembly's fibres ------------------------------------------


def _sub_point_counts(asm: Assembly, cv: vt.CompositeVoxels, h: float, p: int) -> np.ndarray:
    """Fibre sub-points per coarse voxel from the clipped fibre table rasterized at h / p."""
    f = asm.fibres()
    fine = AssemblyFibres(f.table, f.cells, f.box_um, h / p)
    lab = fine.rasterize(tuple(n * p for n in cv.shape), device="cpu")
    g = cv.shape
    return (lab == 1).reshape(g[0], p, g[1], p, g[2], p).sum(axis=(1, 3, 5))


def _fibre_counts(cv: vt.CompositeVoxels) -> np.ndarray:
    return np.where(cv.entry_labels[cv.index] == 1, cv.entry_counts[cv.index], 0).sum(axis=-1)


# (coarse voxel µm, points, chunk): blocks on coarse faces; cut voxels with the slab grid m = 4
# sub-points wide and chunks not dividing the grid; cut voxels with m = 1; one coarse voxel per
# chunk edge at seed 000's 16 points.
@pytest.mark.parametrize("h, p, chunk", [(8.0, 4, 64), (6.4, 8, 5), (12.8, 4, 2), (16.0, 16, 3)])
def test_composite_partial_volumes_are_the_clipped_fibres_sub_points(asm: Assembly, h: float, p: int,
                                                                     chunk: int) -> None:
    cv = vt.fibre_composite_assembly(asm, h, materials=MATS, points=p, chunk=chunk, device="cpu")
    assert cv.factor == p and cv.shape == tuple(int(np.floor(s / h + 1e-9)) for s in asm.size_um)
    counts = _fibre_counts(cv)
    np.testing.assert_array_equal(counts, _sub_point_counts(asm, cv, h, p))
    assert 0.05 < cv.mixed_fraction < 1.0 or h == 16.0


def test_composite_without_clipping_would_overcount(asm: Assembly) -> None:
    """Negative control: the unclipped table (cylinders sticking out of their cells) holds more fibre."""
    h, p = 6.4, 8
    cv = vt.fibre_composite_assembly(asm, h, materials=MATS, points=p, chunk=64, device="cpu")
    plain = vt.fibre_composite_voxels(asm.fibre_table(), cv.shape, h, materials=MATS, points=p, periodic=False,
                                      device="cpu")
    # measured 1.70x (30 µm fibres in 48 µm blocks cross faces often); 1.3 leaves room for other seeds
    assert _fibre_counts(plain).sum() > 1.3 * _fibre_counts(cv).sum()


def test_composite_chunks_merge_to_the_whole(asm: Assembly) -> None:
    a = vt.fibre_composite_assembly(asm, 6.4, materials=MATS, points=8, chunk=4, device="cpu")
    b = vt.fibre_composite_assembly(asm, 6.4, materials=MATS, points=8, chunk=64, device="cpu")
    np.testing.assert_array_equal(a.index, b.index)
    np.testing.assert_array_equal(a.C, b.C)


def test_composite_refuses_air_cells_and_bad_arguments() -> None:
    asm = _assembly()
    asm[1, 1, 1] = None  # an air cell: voids need a three-phase law
    with pytest.raises(ValueError, match="air"):
        vt.fibre_composite_assembly(asm, 8.0, materials=MATS, points=4)
    ok = _assembly()
    with pytest.raises(ValueError, match="`region`"):
        vt.fibre_composite_assembly(ok, 8.0, materials=MATS, region=((0, 0, 0), (200, 10, 10)))
    with pytest.raises(ValueError, match="`points`"):
        vt.fibre_composite_assembly(ok, 8.0, materials=MATS, points=17)
    with pytest.raises(TypeError, match="`assembly`"):
        vt.fibre_composite_assembly("castle", 8.0, materials=MATS)
    # Only the region's cells matter: the air cell is outside this one.
    cv = vt.fibre_composite_assembly(asm, 8.0, materials=MATS, points=4, region=((0, 0, 0), (48, 48, 48)))
    assert cv.shape == (6, 6, 6)


def test_composite_of_a_region_is_that_part_of_the_whole(asm: Assembly) -> None:
    """A region starting inside a cell, on the coarse grid of the whole: the same partial volumes."""
    h = 6.4
    whole = _fibre_counts(vt.fibre_composite_assembly(asm, h, materials=MATS, points=8, device="cpu"))
    region = ((2 * h, 1 * h, 3 * h), (96.0, 14 * h, 96.0))
    part = vt.fibre_composite_assembly(asm, h, materials=MATS, points=8, chunk=4, region=region, device="cpu")
    assert part.shape == (13, 13, 12)
    np.testing.assert_array_equal(_fibre_counts(part), whole[2:15, 1:14, 3:15])
