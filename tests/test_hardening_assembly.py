"""Assemblies and generators: huge shapes refused before allocating; per-chunk checksums that let
resume, `voxtwin.io.read` and `voxtwin verify` find corrupted, truncated and missing chunks, name
them, and rewrite them to the very bytes of an undamaged store."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.assemble.verify import verify
from voxtwin.cli import main

BLOCK = (8, 8, 6)
SPEC = vt.FibreSpec(0.1, 15.0, 100.0, vt.orientation.Aligned((1, 0, 0), 15.0))


def build() -> vt.Assembly:
    rng = np.random.default_rng(5)
    lib = vt.BlockLibrary(BLOCK, 4.0)
    for a in (0, 45, 90, 135):
        lib.add_array(f"inner_{a}", rng.integers(0, 3, size=BLOCK, dtype=np.uint8), angle=a)
    asm = vt.Assembly.stacked(lib, vt.stacking("quasi_isotropic")[:4], layer_shape=(2, 2), seed=1)
    asm[1, 1, 2] = None  # an air cell: its chunk is legitimately absent from the store
    return asm


def files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def damage(store: Path) -> dict[tuple[int, ...], str]:
    """Flip a bit in one chunk, truncate another, delete a third; returns what was done where."""
    chunk = store / "labels" / "c"
    (chunk / "0" / "0" / "0").write_bytes(bytes([(chunk / "0" / "0" / "0").read_bytes()[0] ^ 1])
                                          + (chunk / "0" / "0" / "0").read_bytes()[1:])
    data = (chunk / "1" / "0" / "1").read_bytes()
    (chunk / "1" / "0" / "1").write_bytes(data[: len(data) // 2])
    (chunk / "0" / "1" / "3").unlink()
    return {(0, 0, 0): "corrupted", (1, 0, 1): "truncated", (0, 1, 3): "missing"}


@pytest.fixture()
def store(tmp_path: Path) -> tuple[vt.Assembly, Path, dict[str, bytes]]:
    asm = build()
    path = tmp_path / "a.zarr"
    asm.to_zarr(path, chunks=BLOCK, progress=False)
    return asm, path, files(path)


def test_verify_finds_and_names_each_kind_of_damage(store) -> None:
    asm, path, clean = store
    assert verify(path).ok and not verify(path).damaged
    done = damage(path)
    found = verify(path)
    assert not found.ok
    assert {idx: reason.split()[0] for idx, reason in found.damaged} == done


def test_io_read_refuses_a_damaged_assembly_store(store) -> None:
    _, path, _ = store
    assert np.array_equal(vt.io.read(path).data, build().to_numpy())
    (path / "labels" / "c" / "0" / "1" / "3").unlink()
    with pytest.raises(vt.FileFormatError, match=r"chunk \(0, 1, 3\) missing"):
        vt.io.read(path)


def test_resume_rewrites_damaged_chunks_to_the_original_bytes(store) -> None:
    asm, path, clean = store
    damage(path)
    with pytest.warns(vt.AssemblyWarning, match="3 finished chunk"):
        asm.to_zarr(path, chunks=BLOCK, progress=False)
    assert files(path) == clean


def test_verify_repair_with_the_library_restores_the_store(store, tmp_path: Path) -> None:
    asm, path, clean = store
    damage(path)
    asm.library.save(tmp_path / "lib")
    result = verify(path, repair=True, library=tmp_path / "lib", progress=False)
    assert result.ok and len(result.repaired) == 3
    assert files(path) == clean


def test_verify_repair_refuses_another_library(store) -> None:
    _, path, _ = store
    damage(path)
    other = vt.BlockLibrary(BLOCK, 4.0)
    for a in (0, 45, 90, 135):
        other.add_array(f"inner_{a}", np.zeros(BLOCK, np.uint8), angle=a)
    with pytest.raises(ValueError, match="not the block library"):
        verify(path, repair=True, library=other)


def test_verify_cli_exit_codes(store, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    asm, path, clean = store
    assert main(["verify", str(path), "--quiet"]) == 0
    damage(path)
    assert main(["verify", str(path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "3 damaged" in out and "(0, 1, 3) missing" in out
    asm.library.save(tmp_path / "lib")
    assert main(["verify", str(path), "--repair", "--library", str(tmp_path / "lib"), "--quiet"]) == 0
    assert files(path) == clean
    assert main(["verify", str(tmp_path / "nothing.zarr")]) == 1


def test_huge_stacked_layout_is_refused_and_summary_does_not_allocate() -> None:
    lib = vt.BlockLibrary.from_spec(SPEC, angles=(0, 45, 90, 135), block_shape=(125, 125, 125), voxel_size=4.0)
    with pytest.raises(vt.InsufficientMemoryError, match="grid of"):
        vt.Assembly.stacked(lib, vt.stacking("helicoidal"), layer_shape=(100000, 100000))
    asm = vt.Assembly.stacked(lib, vt.stacking("helicoidal"), layer_shape=(60, 60))
    text = asm.summary()
    assert "28800 inner" in text and "0 air cells" in text


def test_huge_chunks_are_refused_before_rendering_or_writing(tmp_path: Path) -> None:
    lib = vt.BlockLibrary.from_spec(SPEC, angles=(0,), block_shape=(125, 125, 125), voxel_size=4.0)
    asm = vt.Assembly.stacked(lib, [0.0] * 8, layer_shape=(100, 100))  # 12500 × 12500 × 1000 voxels
    with pytest.raises(vt.InsufficientMemoryError, match="a chunk of"):
        asm.chunk((0, 0, 0), chunks=asm.shape)
    with pytest.raises(vt.InsufficientMemoryError, match="to_zarr"):
        asm.to_zarr(tmp_path / "a.zarr", chunks=(1, 1, 1), progress=False)
    assert not (tmp_path / "a.zarr").exists()


def test_huge_shapes_are_refused_by_the_generators() -> None:
    with pytest.raises(vt.InsufficientMemoryError, match="placing about"):
        vt.place_fibres(SPEC, (100000,) * 3, 1.0, 0)
    with pytest.raises(vt.InsufficientMemoryError, match="shape"):
        vt.generate_fibres(SPEC, (100000,) * 3, 1.0, 0)
    lib = vt.BlockLibrary.from_spec(SPEC, angles=(0,), block_shape=(20000, 20000, 20000), voxel_size=4.0)
    with pytest.raises(vt.InsufficientMemoryError):
        lib.generate(0)


def test_cli_generate_huge_shape_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["generate", "--out", str(tmp_path / "t.npy"), "--shape", "100000", "100000", "100000"])
    assert code == 5 and "memory" in capsys.readouterr().err


def test_cli_generate_spec_that_is_not_json_names_the_option(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_bytes(os.urandom(256) + b"\xff\xfe")
    assert main(["generate", "--out", str(tmp_path / "t.npy"), "--spec", str(junk)]) == 1
    assert "`--spec`" in capsys.readouterr().err


def test_cli_assemble_huge_layer_shape_exits_5(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build().library.save(tmp_path / "lib")
    code = main(["assemble", str(tmp_path / "lib"), "--stack", "helicoidal", "--layer-shape", "100000", "100000"])
    assert code == 5 and "grid of" in capsys.readouterr().err
