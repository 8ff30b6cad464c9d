"""Procedural blocks: unit twins generated per cell from (spec, in-plane angle, cell seed), any angle by the
generator's orientation (not a voxel rotation), one-to-many seeds, and lazy output that equals the whole."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt

EDGE = 24  # voxels per block edge: 96 µm at 4 µm, small enough for quick tests
VOXEL = 4.0
SPREAD_DEG = 5.0


def spec() -> vt.FibreSpec:
    return vt.FibreSpec(volume_fraction=0.08, diameter=12.0, length=60.0,
                        orientation=vt.orientation.Aligned((1.0, 0.0, 0.0), SPREAD_DEG))


@pytest.fixture(scope="module")
def lib() -> vt.BlockLibrary:
    return vt.BlockLibrary.from_spec(spec(), angles=(0, 30, 90, 135), block_shape=(EDGE,) * 3, voxel_size=VOXEL)


def test_a_block_is_the_generator_output_at_its_angle(lib: vt.BlockLibrary) -> None:
    """Any angle: the generator draws the fibres along (cos θ, sin θ, 0); nothing is rotated afterwards."""
    labels = lib.generate("inner_30", seed=11, device="cpu")
    twin = vt.generate_fibres(spec().rotated_in_plane(30.0), (EDGE,) * 3, VOXEL, 11, device="cpu")
    assert np.array_equal(labels, twin.labels)
    d = np.asarray(twin.fibres.direction)
    d = d * np.sign(d @ [np.cos(np.pi / 6), np.sin(np.pi / 6), 0.0])[:, None]
    mean = d.mean(axis=0) / np.linalg.norm(d.mean(axis=0))
    # the mean axis of n fibres spread by SPREAD_DEG lies within a few spreads / sqrt(n) of the target
    tolerance = np.radians(4 * SPREAD_DEG) / np.sqrt(len(d)) + 1e-3
    assert np.arccos(min(1.0, mean @ [np.cos(np.pi / 6), np.sin(np.pi / 6), 0.0])) < tolerance
    assert set(np.unique(labels)) <= {0, 1}


def test_every_cell_is_its_own_twin_or_a_copy(lib: vt.BlockLibrary) -> None:
    unique = vt.Assembly(lib, (2, 1, 1), seed=5, device="cpu")
    unique[...] = "inner_90"
    a, b = unique.cell_labels(0, 0, 0), unique.cell_labels(1, 0, 0)
    assert not np.array_equal(a, b)  # one spec, two twins
    assert np.array_equal(a, lib.generate("inner_90", seed=int(unique.layout()["seed"][0, 0, 0]), device="cpu"))
    copies = vt.Assembly(lib, (2, 1, 1), seed=5, unique_blocks=False, device="cpu")
    copies[...] = "inner_90"
    assert np.array_equal(copies.cell_labels(0, 0, 0), copies.cell_labels(1, 0, 0))
    assert np.array_equal(copies.cell_labels(0, 0, 0), lib.generate("inner_90", device="cpu"))  # the block's seed


def test_chunks_zarr_and_numpy_agree_for_generated_blocks(lib: vt.BlockLibrary, tmp_path) -> None:
    asm = vt.Assembly.stacked(lib, [0, 90, 135], layer_shape=(2, 2), seed=9, device="cpu", cache_bytes=4 * EDGE**3)
    whole = asm.to_numpy()
    assert whole.shape == (48, 48, 72)
    for idx, expect in (((0, 0, 0), (slice(0, 20), slice(0, 20), slice(0, 20))),
                        ((1, 2, 3), (slice(20, 40), slice(40, 48), slice(60, 72)))):
        assert np.array_equal(asm.chunk(idx, (20, 20, 20)), whole[expect])
    store = asm.to_zarr(tmp_path / "p.zarr", chunks=(20, 20, 20), threads=2, progress=False)
    assert np.array_equal(store["labels"][...], whole)
    frac = np.count_nonzero(whole == 1) / whole.size
    assert frac == pytest.approx(spec().volume_fraction, abs=0.02)  # generator reaches its target per block


def test_expected_fibres_match_the_generated_count(lib: vt.BlockLibrary) -> None:
    expected = lib.expected_fibres("inner_0")
    counts = [len(vt.generate_fibres(spec(), (EDGE,) * 3, VOXEL, s, device="cpu").fibres) for s in range(4)]
    # fixed sizes: every fibre has the mean volume; the generator stops within one fibre of its target
    assert np.mean(counts) == pytest.approx(expected, rel=0.1)
    asm = vt.Assembly(lib, (3, 2, 2))
    asm[...] = "outer_135"
    assert asm.n_fibres == pytest.approx(12 * expected)


def test_procedural_library_saves_and_loads(lib: vt.BlockLibrary, tmp_path) -> None:
    lib.save(tmp_path / "lib")
    back = vt.BlockLibrary.load(tmp_path / "lib")
    assert back.names == lib.names
    assert back["inner_30"].spec == lib["inner_30"].spec and back["inner_30"].angle == 30.0
    assert np.array_equal(back.generate("inner_30", seed=3, device="cpu"), lib.generate("inner_30", seed=3, device="cpu"))


def test_assemblies_are_the_same_bytes_on_every_device(lib: vt.BlockLibrary, device: str) -> None:
    """Blocks generated on the GPU (where there is one) paste into the same chunks as on the CPU."""
    cpu = vt.Assembly.stacked(lib, [30, 135], layer_shape=(2, 1), seed=4, device="cpu")
    other = vt.Assembly.stacked(lib, [30, 135], layer_shape=(2, 1), seed=4, device=device)
    assert np.array_equal(other.chunk((1, 0, 1), (20, 20, 20)), cpu.chunk((1, 0, 1), (20, 20, 20)))
    assert np.array_equal(other.to_numpy(), cpu.to_numpy())


def test_a_migrated_block_keeps_its_method_through_save_and_load(tmp_path) -> None:
    dense = vt.FibreSpec(volume_fraction=0.3, diameter=12.0, length=60.0,
                         orientation=vt.orientation.Aligned((1.0, 0.0, 0.0), SPREAD_DEG))
    lib = vt.BlockLibrary((EDGE,) * 3, VOXEL)
    lib.add_procedural("rsa", dense, 45.0)
    lib.add_procedural("migrated", dense, 45.0, method="migrate")
    labels = lib.generate("migrated", seed=3, device="cpu")
    twin = vt.generate_fibres(dense.rotated_in_plane(45.0), (EDGE,) * 3, VOXEL, 3, device="cpu", method="migrate")
    assert np.array_equal(labels, twin.labels) and twin.target_reached
    assert lib.block_key(0) != lib.block_key(1)  # a store of RSA blocks is not resumed with migrated ones
    back = vt.BlockLibrary.load(lib.save(tmp_path / "lib"))
    assert back["migrated"].method == "migrate" and back["rsa"].method == "rsa"
    assert back.block_key(1) == lib.block_key(1)
    with pytest.raises(ValueError, match="`method` must be one of"):
        lib.add_procedural("bad", dense, 0.0, method="sideways")
