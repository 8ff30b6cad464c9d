"""Virtual growth (seed 002): rules, the four basic blocks, graded growth, determinism, restarts."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.growth import AdjacencyRules, GrowthError, basic_blocks, grow

# A region of n cells drawn with the corrected probabilities lands within a few blocks of its
# target count; ±0.02 is the bound (an uncorrected draw over 4096 cells has σ ≈ 0.0078,
# so ±0.02 would be 2.6 σ: the bound can still fail an uncorrected or biased sampler).
FREQUENCY_TOL = 0.02


@pytest.fixture(scope="module")
def basic():
    lib = basic_blocks(block_voxels=6, voxel_size=250.0, d=0.34)
    return lib, AdjacencyRules.from_library(lib)


def graded_field(rules: AdjacencyRules, grid: tuple[int, int, int], slabs: int, block: str = "cross"):
    """ξ of `block` from 0.2 to 0.8 in `slabs` slabs along x; the other blocks share the rest."""
    g = rules.n_groups
    k = rules.groups.index(block)
    levels = np.linspace(0.2, 0.8, slabs)
    rows = np.repeat(((1 - levels) / (g - 1))[:, None], g, axis=1)
    rows[:, k] = levels
    per_x = rows[np.arange(grid[0]) * slabs // grid[0]]
    return np.broadcast_to(per_x[:, None, None, :], grid + (g,)).copy(), levels


def test_rules_are_made_symmetric():
    rules = AdjacencyRules(["a", "b"], {("a", "+x"): {"b"}, ("b", "+z"): "b"})
    assert rules.allows("a", "+x", "b") and rules.allows("b", "-x", "a")
    assert rules.allows("b", "-z", "b")
    assert not rules.allows("a", "-x", "b") and not rules.allows("a", "+x", "a")
    assert rules.allowed("b", "-x") == {"a"}
    again = AdjacencyRules.from_dict(rules.to_dict())
    assert np.array_equal(again.table, rules.table)


@pytest.mark.parametrize("allowed, match", [
    ({("a", "+w"): {"a"}}, "face"),
    ({("c", "+x"): {"a"}}, "not in `blocks`"),
    ({("a", "+x"): {"zz"}}, "not in `blocks`"),
])
def test_rules_reject_bad_entries(allowed, match):
    with pytest.raises(ValueError, match=match):
        AdjacencyRules(["a", "b"], allowed)


def test_basic_blocks_and_face_signatures(basic):
    lib, rules = basic
    assert lib.names == ["cross", "arrow", "corner", "line"]
    counts = {g: int(np.count_nonzero(rules.group_of == i)) for i, g in enumerate(rules.groups)}
    assert counts == {"cross": 1, "arrow": 12, "corner": 8, "line": 3}
    # arms meet arms: a line along x may sit across ±x of a cross, not across ±y or ±z of it
    assert rules.allows("cross", "+x", "line") and rules.allows("cross", "-x", "line")
    assert not rules.allows("cross", "+y", "line") and not rules.allows("cross", "-z", "line")
    assert rules.allows("line", "+y", "line")  # no arm meets no arm
    assert np.array_equal(rules.table[0], rules.table[1].T)


def test_graded_growth_obeys_rules_and_region_frequencies(basic):
    _, rules = basic
    grid = (64, 64, 8)
    field, levels = graded_field(rules, grid, slabs=8)
    layout = grow(rules, grid, field, seed=3)
    assert layout.blocks.shape == grid and layout.blocks.dtype == np.int32
    assert layout.blocks.min() >= 0 and layout.blocks.max() < rules.n_blocks
    assert layout.violations() == 0
    freq = layout.frequencies()
    assert freq.shape == (8, 4)
    k = rules.groups.index("cross")
    order = np.argsort(layout.targets[:, k])
    assert np.allclose(layout.targets[order, k], levels)
    assert np.abs(freq - layout.targets).max() <= FREQUENCY_TOL, (freq, layout.targets)


def test_random_placement_control_fails_the_violation_test(basic):
    """Negative control: blocks drawn with the right frequencies but ignoring the rules."""
    _, rules = basic
    grid = (64, 64, 8)
    rng = np.random.default_rng(0)
    xi = np.array([0.2, 0.2, 0.2, 0.4])
    groups = rng.choice(4, size=grid, p=xi)
    members = [np.flatnonzero(rules.group_of == g) for g in range(4)]
    pick = rng.integers(0, 1 << 30, size=grid)
    variant = np.choose(groups, [m[pick % len(m)] for m in members]).astype(np.int32)
    assert np.abs(np.bincount(groups.ravel(), minlength=4) / groups.size - xi).max() < FREQUENCY_TOL
    assert rules.violations(variant) > 1000


def test_voxels_of_a_grown_layout_connect_across_every_face(basic):
    """Independent of the rule table: the pasted voxels (C++ paste of turned blocks) must match
    layer for layer across every block face, i.e. every arm meets an arm."""
    lib, rules = basic
    layout = grow(rules, (5, 4, 3), [0.25, 0.25, 0.25, 0.25], seed=9)
    labels = vt.Assembly.from_layout(lib, layout).to_numpy()
    n = lib.block_shape[0]
    for axis in range(3):
        for k in range(1, layout.grid[axis]):
            left = np.take(labels, k * n - 1, axis=axis)
            right = np.take(labels, k * n, axis=axis)
            assert np.array_equal(left, right), (axis, k)
    # and the control: the same assembly with one cell swapped for an unturned line breaks it
    blocks = layout.blocks.copy()
    blocks[2, 2, 1] = rules.blocks.index("line") if layout.blocks[2, 2, 1] != rules.blocks.index("line") else 0
    swapped = vt.Assembly.from_ids(lib, np.array([lib.id(rules.library_blocks[b]) for b in blocks.ravel()]).reshape(
        blocks.shape), rules.transforms[blocks]).to_numpy()
    faces = [np.array_equal(np.take(swapped, k * n - 1, axis=a), np.take(swapped, k * n, axis=a))
             for a in range(3) for k in range(1, layout.grid[a])]
    assert not all(faces)


def test_layout_is_identical_across_thread_counts_and_seeded(basic):
    _, rules = basic
    field, _ = graded_field(rules, (24, 24, 8), slabs=4)
    before = vt.get_num_threads()
    try:
        vt.set_num_threads(1)
        one = grow(rules, (24, 24, 8), field, seed=5)
        vt.set_num_threads(2)
        two = grow(rules, (24, 24, 8), field, seed=5)
    finally:
        vt.set_num_threads(before)
    assert one.blocks.tobytes() == two.blocks.tobytes()
    assert one.restarts == two.restarts
    other = grow(rules, (24, 24, 8), field, seed=6)
    assert np.count_nonzero(other.blocks != one.blocks) > 0.5 * one.blocks.size


def wang_cubes(keep: int, seed: int) -> AdjacencyRules:
    """`keep` of the 64 cubes with one of two colours per face; faces touch when colours agree.
    A sparse subset admits layouts, but growth meets cells whose every choice would leave a
    neighbour without one: a contradiction it must undo."""
    cubes = list(itertools.product((0, 1), repeat=6))  # colour per face +x -x +y -y +z -z
    idx = sorted(np.random.default_rng(seed).choice(len(cubes), keep, replace=False))
    cubes = [cubes[i] for i in idx]
    names = ["".join(map(str, c)) for c in cubes]
    allowed = {(a, face): {b for b, cb in zip(names, cubes) if cb[f ^ 1] == ca[f]}
               for a, ca in zip(names, cubes) for f, face in enumerate(vt.growth.FACES)}
    return AdjacencyRules(names, allowed)


def test_contradiction_prone_rules_force_and_report_restarts():
    rules = wang_cubes(24, 0)
    layout = grow(rules, (16, 16, 16), np.full(rules.n_blocks, 1 / rules.n_blocks), seed=1)
    assert layout.restarts > 0 and layout.repairs > 0
    assert layout.violations() == 0


def test_unsatisfiable_rules_raise_after_restarts():
    # a periodic ring of 3 cells cannot alternate two blocks
    rules = AdjacencyRules(["a", "b"], {("a", f): {"b"} for f in vt.growth.FACES})
    with pytest.raises(GrowthError, match="restarts"):
        grow(rules, (3, 2, 2), [0.5, 0.5], periodic=True, max_restarts=2, max_repairs=20)


def test_void_cells_stay_empty_and_periodic_growth_wraps(basic):
    _, rules = basic
    grid = (6, 6, 6)
    field = np.full(grid + (4,), 0.25)
    field[:, :, 3:] = 0.0
    layout = grow(rules, grid, field, seed=2)
    assert (layout.blocks[:, :, 3:] == -1).all() and (layout.blocks[:, :, :3] >= 0).all()
    per = grow(rules, grid, [0.25] * 4, seed=2, periodic=True)
    assert per.violations() == 0 and rules.violations(per.blocks, periodic=True) == 0


@pytest.mark.parametrize("frequency, match", [
    ([0.5, 0.5, 0.5, 0.5], "sum to 1"),
    ([0.5, 0.5], "one fraction per block group"),
    ({"spring": 1.0}, "lack"),
    (np.full((2, 2, 2, 4), 0.25), "shape"),
])
def test_grow_rejects_bad_frequency(basic, frequency, match):
    _, rules = basic
    with pytest.raises(ValueError, match=match):
        grow(rules, (3, 3, 3), frequency)


def test_grow_rejects_bad_grid(basic):
    _, rules = basic
    with pytest.raises(ValueError, match="grid"):
        grow(rules, (3, 0, 3), [0.25] * 4)


def test_fibre_unit_twins_as_a_user_library():
    spec = vt.FibreSpec(volume_fraction=0.08, diameter=3.0, length=8.0,
                        orientation=vt.orientation.Aligned((1.0, 0.0, 0.0), 5.0))
    lib = vt.BlockLibrary((16, 16, 16), 1.0)
    for i in range(3):
        lib.add_array(f"twin{i}", vt.generate_fibres(spec, (16, 16, 16), 1.0, seed=i, device="cpu").labels)
    strict = AdjacencyRules.from_library(lib, variants=False, tolerance=0.0)
    loose = AdjacencyRules.from_library(lib, variants=False, tolerance=0.4)
    assert strict.table.sum() < loose.table.sum()  # a looser signature match allows more contacts
    assert (strict.table <= loose.table).all()
    layout = grow(loose, (3, 3, 3), [1 / 3] * 3, seed=4)
    assert layout.violations() == 0
    labels = vt.Assembly.from_layout(lib, layout).to_numpy()
    assert labels.shape == (48, 48, 48) and set(np.unique(labels)) == {0, 1}


def test_layout_save_load_and_zarr(basic, tmp_path):
    lib, rules = basic
    layout = grow(rules, (4, 3, 2), {"cross": 0.1, "arrow": 0.3, "corner": 0.3, "line": 0.3}, seed=8)
    again = vt.growth.Layout.load(layout.save(tmp_path / "l.npz"))
    assert np.array_equal(again.blocks, layout.blocks) and again.restarts == layout.restarts
    asm = vt.Assembly.from_layout(lib, again)
    store = asm.to_zarr(tmp_path / "g.zarr", progress=False)
    assert np.array_equal(np.asarray(store["labels"][...]), asm.to_numpy())


def test_cli_grow(tmp_path, capsys):
    from voxtwin.cli import main

    out = tmp_path / "graded.zarr"
    code = main(["grow", "basic", str(out), "--grid", "8", "6", "4", "--frequency", "line=0.8,cross=0.2",
                 "--frequency-to", "line=0.2,cross=0.2,arrow=0.3,corner=0.3", "--regions", "2",
                 "--block-voxels", "6", "--strut", "0.34", "--json", "--quiet"])
    assert code == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["violations"] == 0 and report["regions"] == 2 and report["voxels"] == [48, 36, 24]
    assert (tmp_path / "graded.layout.npz").is_file() and out.is_dir()
    assert main(["grow", "basic", str(out), "--grid", "2", "2", "2", "--frequency", "0.5,0.6,0,0"]) != 0
