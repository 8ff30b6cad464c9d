"""Assembly geometry: libraries, attach on ±X/±Y/±Z, turns, modules, stacking sequences, layouts, seeds,
the connection rule, and sizes reported before anything is materialized. Stored-array blocks throughout."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import voxtwin as vt
from voxtwin import _core
from voxtwin.assemble import transforms
from voxtwin.assemble.seeds import cell_seeds

BLOCK = (6, 6, 4)


def random_block(rng: np.random.Generator, shape=BLOCK) -> np.ndarray:
    """Distinct random labels, so any misplaced voxel shows."""
    return rng.integers(0, 200, size=shape, dtype=np.uint8)


@pytest.fixture
def lib(rng: np.random.Generator) -> vt.BlockLibrary:
    """Inner blocks at 0/45/90/135 and outer blocks at 0/90, all stored arrays."""
    lib = vt.BlockLibrary(BLOCK, 4.0)
    for a in (0, 45, 90, 135):
        lib.add_array(f"inner_{a}", random_block(rng), angle=a)
    for a in (0, 90):
        lib.add_array(f"outer_{a}", random_block(rng), angle=a, kind="outer")
    lib.add_array("plain", random_block(rng))  # no in-plane direction
    return lib


@pytest.fixture
def cubic_lib(rng: np.random.Generator) -> vt.BlockLibrary:
    lib = vt.BlockLibrary((5, 5, 5), 4.0)
    for a in (0, 90):
        lib.add_array(f"inner_{a}", random_block(rng, (5, 5, 5)), angle=a)
    return lib


# ---- turns -------------------------------------------------------------------------------

def test_quarter_turn_about_z_sends_x_to_y_and_matrices_compose() -> None:
    code = transforms.parse(("z", 90))
    assert transforms.matrix(code) @ np.array([1, 0, 0]) == pytest.approx([0, 1, 0])
    assert transforms.matrix(transforms.parse(("x", 90))) @ np.array([0, 1, 0]) == pytest.approx([0, 0, 1])
    assert transforms.matrix(transforms.parse(("y", 90))) @ np.array([0, 0, 1]) == pytest.approx([1, 0, 0])
    assert transforms.parse([("z", 90), ("z", 270)]) == transforms.IDENTITY
    for a in range(48):
        assert transforms.from_matrix(transforms.matrix(a)) == a
        for b in (0, 7, 17, 40):
            assert np.array_equal(transforms.matrix(transforms.compose(a, b)),
                                  transforms.matrix(a) @ transforms.matrix(b))


def test_paste_kernel_turns_like_numpy_for_all_48_transforms(rng: np.random.Generator) -> None:
    """The C++ kernel against numpy's transpose/flip, for every signed permutation."""
    block = random_block(rng, (4, 5, 3))
    for code in range(48):
        axis, flip = transforms.axis_flip(code)
        expected = transforms.turn_grid(block, code)
        out = np.zeros(expected.shape, dtype=np.uint8)
        assert _core.paste(block, out, [0, 0, 0], list(axis), list(flip)) == block.size
        assert np.array_equal(out, expected), code


def test_named_turns_match_numpy_rot90_and_flip(rng: np.random.Generator) -> None:
    block = random_block(rng, (5, 5, 5))
    # numpy's rot90 with axes (0, 1) turns from +X towards +Y: a right-handed quarter turn about Z
    assert np.array_equal(transforms.turn_grid(block, transforms.parse(("z", 90))), np.rot90(block, 1, axes=(0, 1)))
    assert np.array_equal(transforms.turn_grid(block, transforms.parse(("x", 90))), np.rot90(block, 1, axes=(1, 2)))
    assert np.array_equal(transforms.turn_grid(block, transforms.parse(("y", 180))), np.rot90(block, 2, axes=(2, 0)))
    assert np.array_equal(transforms.turn_grid(block, transforms.parse(mirror="x")), block[::-1])
    with pytest.raises(ValueError, match="multiples of 90"):
        transforms.parse(("z", 45))
    with pytest.raises(ValueError, match="mirror"):
        transforms.parse(mirror="w")


# ---- library -----------------------------------------------------------------------------

def test_library_checks_blocks_and_finds_angles(lib: vt.BlockLibrary) -> None:
    with pytest.raises(TypeError, match="dtype uint8"):
        lib.add_array("bad", np.zeros(BLOCK, dtype=np.int32))
    with pytest.raises(ValueError, match="block_shape"):
        lib.add_array("bad", np.zeros((2, 2, 2), dtype=np.uint8))
    with pytest.raises(ValueError, match="already used"):
        lib.add_array("inner_0", np.zeros(BLOCK, dtype=np.uint8))
    with pytest.raises(ValueError, match="kind"):
        lib.add_array("bad", np.zeros(BLOCK, dtype=np.uint8), kind="middle")
    assert lib.angles("inner") == [0, 45, 90, 135]
    assert lib.block_for(225.0) == "inner_45"  # modulo 180: a fibre direction has no sign
    assert lib.block_for(-90.0, "outer") == "outer_90"
    with pytest.raises(ValueError, match="available"):
        lib.block_for(30.0)
    assert lib.block_for(30.0, tolerance_deg=None) == "inner_45"
    assert lib.block_for(170.0, tolerance_deg=None) == "inner_0"
    assert lib["plain"].angle is None and lib["plain"].direction is None
    stored = lib.generate("inner_0")
    assert not stored.flags.writeable


def test_from_spec_makes_inner_and_outer_blocks_at_any_angle() -> None:
    spec = vt.seed000_spec()  # only stored here: nothing is generated
    lib = vt.BlockLibrary.from_spec(spec, angles=(0, 22.5, 100, 280), block_shape=(8, 8, 8), voxel_size=2.0)
    assert lib.names == ["inner_0", "outer_0", "inner_22.5", "outer_22.5", "inner_100", "outer_100"]
    assert lib["outer_22.5"].kind == "outer" and lib["inner_100"].angle == 100.0
    assert lib["inner_0"].procedural and lib["inner_0"].spec is spec
    assert lib.block_size_um == (16.0, 16.0, 16.0)
    with pytest.raises(TypeError, match="FibreSpec"):
        lib.add_procedural("bad", {"volume_fraction": 0.1}, 0.0)


# ---- attach ------------------------------------------------------------------------------

def test_attach_builds_rows_with_shared_faces(lib: vt.BlockLibrary) -> None:
    """A row attached on +X then -X materializes as the blocks concatenated along X."""
    asm = vt.Assembly(lib, (1, 1, 1))
    asm[0, 0, 0] = "inner_0"
    asm.attach("inner_0", "+x").attach("plain", "-x")
    assert asm.grid_shape == (3, 1, 1)
    assert [asm.block_at(i, 0, 0) for i in range(3)] == ["plain", "inner_0", "inner_0"]
    vol = asm.to_numpy()
    expected = np.concatenate([lib["plain"].array, lib["inner_0"].array, lib["inner_0"].array], axis=0)
    assert np.array_equal(vol, expected)


def test_attach_on_every_side_and_offsets_grow_the_grid(lib: vt.BlockLibrary) -> None:
    asm = vt.Assembly(lib)
    asm.attach("inner_0", "+z")  # an empty assembly becomes the item
    asm.attach("inner_0", "+y").attach("inner_90", "+z", at=(0, 1))  # (x, y) offsets for side z
    asm.attach("inner_0", "-z", at=(1, 0))
    assert asm.grid_shape == (2, 2, 3)
    assert asm.block_at(0, 1, 2) == "inner_90"
    assert asm.block_at(1, 0, 0) == "inner_0"
    assert asm.block_at(0, 0, 1) == "inner_0" and asm.block_at(0, 1, 1) == "inner_0"
    assert asm.block_at(0, 0, 0) is None  # grown, not filled: air
    vol = asm.to_numpy()
    bx, by, bz = BLOCK
    assert np.array_equal(vol[bx:, :by, :bz], lib["inner_0"].array)
    assert np.all(vol[:bx, :by, :bz] == asm.air_label)


def test_attach_turned_block_and_module(cubic_lib: vt.BlockLibrary) -> None:
    a0 = cubic_lib["inner_0"].array
    asm = vt.Assembly(cubic_lib, (1, 1, 1))
    asm[0, 0, 0] = "inner_0"
    with pytest.warns(vt.AssemblyWarning):  # a 90° block beside a 0° one: a perpendicular joint
        asm.attach("inner_0", "+y", rotate=("z", 90))
    layout = asm.layout()
    assert layout["angle"][0, 1, 0] == pytest.approx(90.0)  # a 0° block turned a quarter about Z lies at 90°
    vol = asm.to_numpy()
    assert np.array_equal(vol[:, 5:, :], np.rot90(a0, 1, axes=(0, 1)))
    # a module of two blocks in a row along X, turned about Z, becomes a row along Y
    row = vt.Assembly(cubic_lib, (2, 1, 1))
    row[0, 0, 0], row[1, 0, 0] = "inner_0", "inner_90"
    row.module("pair")
    col = vt.Assembly(cubic_lib).attach("pair", "+x", rotate=("z", 90))
    assert col.grid_shape == (1, 2, 1)
    ref = np.rot90(np.concatenate([a0, cubic_lib["inner_90"].array], axis=0), 1, axes=(0, 1))
    assert np.array_equal(col.to_numpy(), ref)
    assert col.layout()["angle"][0, :, 0] == pytest.approx([90.0, 0.0])  # 0 turns to 90, 90 to 180 = 0


def test_turns_that_swap_unequal_block_extents_are_refused(lib: vt.BlockLibrary) -> None:
    asm = vt.Assembly(lib, (1, 1, 1))
    with pytest.raises(ValueError, match="equal extents"):
        asm.attach("inner_0", "+x", rotate=("x", 90))  # block is 6×6×4: Y and Z differ
    asm.attach("inner_0", "+x", rotate=("z", 90))  # X and Y are equal: fine


def test_place_and_setitem(lib: vt.BlockLibrary) -> None:
    asm = vt.Assembly(lib, (3, 2, 1))
    asm[:, :, 0] = "inner_45"
    asm[1, 1, 0] = None
    assert asm.n_blocks == 5
    asm.place("outer_0", at=(2, 1, 0))
    assert asm.block_at(2, 1, 0) == "outer_0"
    with pytest.raises(ValueError, match="leaves the grid"):
        asm.place("inner_0", at=(3, 0, 0))
    with pytest.raises(ValueError, match="block name"):
        asm[0, 0, 0] = "nope"
    with pytest.raises(ValueError, match="side"):
        asm.attach("inner_0", "x")
    with pytest.raises(ValueError, match="neither a block nor a module"):
        asm.attach("nope", "+x")
    with pytest.raises(ValueError, match="grid_shape"):
        vt.Assembly(lib, (1, -1, 1))


# ---- modules -----------------------------------------------------------------------------

def test_modules_are_named_saved_reloaded_and_reused_with_new_seeds(lib: vt.BlockLibrary, tmp_path,
                                                                    rng: np.random.Generator) -> None:
    layer = vt.Assembly(lib, (2, 2, 1))
    layer[:, :, 0] = "inner_45"
    layer[1, 1, 0] = "outer_0"
    mod = layer.module("alpha", save=tmp_path / "alpha.json")
    assert lib.module("alpha") is mod and mod.grid_shape == (2, 2, 1) and mod.n_blocks == 4

    # reload into another library holding blocks of the same names
    other = vt.BlockLibrary(BLOCK, 4.0)
    for name in ("outer_0", "inner_45"):
        other.add_array(name, random_block(rng), angle=lib[name].angle, kind=lib[name].kind)
    loaded = other.load_module(tmp_path / "alpha.json")
    assert loaded.palette == mod.palette and np.array_equal(loaded.ids, mod.ids)
    asm = vt.Assembly(other).stack(["alpha", "alpha"], axis="z")
    assert asm.grid_shape == (2, 2, 2)
    assert asm.block_at(1, 1, 1) == "outer_0" and asm.block_at(0, 1, 1) == "inner_45"
    seeds = asm.layout()["seed"]
    assert len(np.unique(seeds)) == seeds.size  # one-to-many: every placement its own seeds
    with pytest.raises(vt.FileFormatError):
        vt.Module.load(tmp_path / "missing.json")
    with pytest.raises(ValueError, match="lacks"):
        vt.BlockLibrary(BLOCK, 4.0).add_module(mod)


def test_library_save_and_load_round_trip(lib: vt.BlockLibrary, tmp_path) -> None:
    vt.Assembly(lib, (1, 2, 1)).module("m")
    lib.save(tmp_path / "lib")
    back = vt.BlockLibrary.load(tmp_path / "lib")
    assert back.names == lib.names and back.block_shape == lib.block_shape
    for name in lib.names:
        assert np.array_equal(back[name].array, lib[name].array)
        assert back[name].angle == lib[name].angle and back[name].kind == lib[name].kind
    assert back.module("m").grid_shape == (1, 2, 1)


# ---- stacking ----------------------------------------------------------------------------

def test_stacking_sequences_of_seed_000() -> None:
    assert vt.stacking("helicoidal") == [0, 45, 90, 135, 0, 45, 90, 135]
    assert vt.stacking("quasi_isotropic") == [0, 90, 45, 135, 135, 45, 90, 0]
    assert vt.stacking("QI") == vt.stacking("quasi_isotropic")
    assert vt.stacking("helicoidal", step_deg=22.5, n_layers=9) == [k * 22.5 % 180 for k in range(9)]
    assert vt.stacking([-45, 200]) == [135.0, 20.0]
    with pytest.raises(ValueError, match="sequence"):
        vt.stacking("random")
    with pytest.raises(ValueError, match="finite"):
        vt.stacking([0, float("nan")])


@pytest.mark.parametrize("name", ["helicoidal", "quasi_isotropic"])
def test_stacked_assembly_has_the_right_angle_per_layer(lib: vt.BlockLibrary, name: str) -> None:
    asm = vt.Assembly.stacked(lib, sequence=vt.stacking(name), layer_shape=(4, 4), axis="z")
    assert asm.grid_shape == (4, 4, 8)
    layout = asm.layout()
    expected = vt.stacking(name)
    for k in range(8):
        assert np.all(layout["angle"][:, :, k] == expected[k])
        assert np.all(layout["kind"][:, :, k] == 2)
        names = {asm.block_at(i, j, k) for i in range(4) for j in range(4)}
        assert names == {f"inner_{int(expected[k])}"}
    assert asm.perpendicular_joints() == 0  # layers meet on faces that hold both fibre directions


def test_stack_along_y_with_explicit_angles_and_modules(rng: np.random.Generator) -> None:
    lib = vt.BlockLibrary((4, 4, 4), 4.0)
    for a in (10, 70, 130):
        lib.add_array(f"inner_{a}", random_block(rng, (4, 4, 4)), angle=a)
    # fibres at 70° have a Y component: on a Y stack they meet the 10° layer across the face
    with pytest.warns(vt.AssemblyWarning, match="perpendicular"):
        asm = vt.Assembly(lib).stack([10, 70, 130], axis="y", layer_shape=(3, 2))
    assert asm.grid_shape == (3, 3, 2)
    assert asm.layout()["angle"][1, :, 1] == pytest.approx([10, 70, 130])
    with pytest.raises(ValueError, match="no inner block"):
        asm.stack([20], axis="y")
    with pytest.raises(ValueError, match="in-plane extent"):
        asm.stack([vt.Assembly(lib, (1, 1, 1)).module("small")], axis="y")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert vt.Assembly(lib).stack([10, 70, 130], layer_shape=(2, 2)).grid_shape == (2, 2, 3)


# ---- seeds, rule, sizes --------------------------------------------------------------------

def test_seeds_are_per_cell_deterministic_and_follow_the_assembly_seed(lib: vt.BlockLibrary) -> None:
    a = vt.Assembly.stacked(lib, "helicoidal", layer_shape=(3, 3), seed=7)
    b = vt.Assembly.stacked(lib, "helicoidal", layer_shape=(3, 3), seed=7)
    c = vt.Assembly.stacked(lib, "helicoidal", layer_shape=(3, 3), seed=8)
    sa, sb, sc = (x.layout()["seed"] for x in (a, b, c))
    assert sa.dtype == np.uint64 and np.array_equal(sa, sb)
    assert len(np.unique(sa)) == sa.size and not np.any(sa == sc)
    assert np.array_equal(sa, cell_seeds(7, (3, 3, 8)))
    copies = vt.Assembly.stacked(lib, "helicoidal", layer_shape=(3, 3), seed=7, unique_blocks=False)
    assert np.all(copies.layout()["seed"] == 0)  # stored blocks' own seed: identical copies
    air = vt.Assembly(lib, (2, 1, 1))
    air[0, 0, 0] = "inner_0"
    assert air.layout()["seed"][1, 0, 0] == 0 and np.isnan(air.layout()["angle"][1, 0, 0])


def test_perpendicular_attach_warns_or_is_refused(lib: vt.BlockLibrary) -> None:
    asm = vt.Assembly(lib, (1, 1, 1))
    asm[0, 0, 0] = "inner_0"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asm.attach("inner_0", "+x")  # along the fibres
        asm.attach("inner_0", "+y")  # side by side, parallel
        asm.attach("inner_90", "+z")  # a 90° layer stacked on a 0° layer
    with pytest.warns(vt.AssemblyWarning, match="perpendicular"):
        asm.attach("inner_90", "-x")
    before = asm.grid_shape
    with pytest.raises(ValueError, match="perpendicular"):
        asm.attach("inner_0", "-y", strict=True)  # beside the 90° block now at (0, 0, 0)
    assert asm.grid_shape == before  # refused: nothing changed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        asm.attach("plain", "-y")  # no in-plane direction: no rule
    assert asm.perpendicular_joints() >= 1


def test_sizes_and_fibres_are_known_before_materializing(rng: np.random.Generator) -> None:
    # three separated straight fibres in a block: the stored-block fibre count is 3
    block = np.zeros((10, 10, 10), dtype=np.uint8)
    block[:, 1, 1] = block[2, :, 5] = block[7, 7, :] = 1
    lib = vt.BlockLibrary((10, 10, 10), 4.0)
    lib.add_array("inner_0", block, angle=0)
    asm = vt.Assembly(lib, (2, 3, 4))
    asm[...] = "inner_0"
    asm[0, 0, 0] = None
    assert asm.n_voxels == 24_000 and asm.nbytes == 24_000 and asm.shape == (20, 30, 40)
    assert asm.n_fibres == 3 * 23
    assert "2×3×4 blocks" in asm.summary() and "6.900e+01 expected" in asm.summary()

    castle = vt.BlockLibrary((125, 125, 125), 4.0)
    castle.add_array("inner_0", np.zeros((125, 125, 125), dtype=np.uint8), angle=0)
    plan = vt.Assembly(castle, (80, 64, 24))
    plan[...] = "inner_0"
    assert plan.size_um == (40_000.0, 32_000.0, 12_000.0)  # seed 000's castle, 40×32×12 mm³
    assert plan.n_voxels == 80 * 64 * 24 * 125**3 == 240_000_000_000
    assert plan.nbytes == plan.n_voxels
    with pytest.raises(vt.InsufficientMemoryError, match="to_zarr"):
        plan.to_numpy()  # refused before allocating 224 GiB


def test_plot_layer_draws_one_line_per_block_along_its_angle(lib: vt.BlockLibrary) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from matplotlib.collections import LineCollection

    from voxtwin.assemble import plot_layer

    asm = vt.Assembly(lib, (3, 2, 1))
    asm[:, :, 0] = "inner_45"
    asm[0, :, 0] = "outer_90"
    asm[2, 1, 0] = None
    ax = plot_layer(asm, 0)
    lines = {c.get_label(): c.get_segments() for c in ax.collections if isinstance(c, LineCollection)}
    assert len(lines["outer"]) == 2 and len(lines["inner"]) == 3
    for seg in lines["inner"]:
        d = seg[1] - seg[0]
        assert np.degrees(np.arctan2(d[1], d[0])) == pytest.approx(45.0)
    assert ax.get_xlim() == (0.0, 3 * 24.0)  # block edge 6 voxels × 4 µm
    with pytest.raises(ValueError, match="layer"):
        plot_layer(asm, 1)
    matplotlib.pyplot.close("all")
