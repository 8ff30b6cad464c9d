"""Lazy materialization: chunks equal the whole byte for byte, the zarr store equals to_numpy whatever the
threads or chunking, and an interrupted write (an error, or a killed process) resumes to the same store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import zarr

import voxtwin as vt
from voxtwin.assemble import transforms, zarr_store

BLOCK = (8, 8, 6)


def build_assembly(seed: int = 3) -> vt.Assembly:
    """A 3×3×4 stack with turned, mirrored and air cells (stored blocks from a fixed RNG)."""
    rng = np.random.default_rng(seed)
    lib = vt.BlockLibrary(BLOCK, 4.0)
    for a in (0, 45, 90, 135):
        lib.add_array(f"inner_{a}", rng.integers(0, 3, size=BLOCK, dtype=np.uint8), angle=a)
    lib.add_array("outer_0", rng.integers(0, 3, size=BLOCK, dtype=np.uint8), angle=0, kind="outer")
    asm = vt.Assembly.stacked(lib, vt.stacking("quasi_isotropic")[:4], layer_shape=(3, 3), seed=seed)
    asm.place("outer_0", at=(2, 0, 1), rotate=("z", 90))
    asm.place("inner_45", at=(0, 2, 3), mirror=("x", "z"))
    asm[1, 1, 2] = None
    return asm


def reference_volume(asm: vt.Assembly) -> np.ndarray:
    """The volume built independently of the paste kernel: numpy turns and slicing, block by block."""
    bx, by, bz = asm.block_shape
    out = np.full(asm.shape, asm.air_label, dtype=np.uint8)
    layout = asm.layout()
    for i, j, k in np.ndindex(*asm.grid_shape):
        if layout["block"][i, j, k] < 0:
            continue
        block = asm.library.block(int(layout["block"][i, j, k])).array
        out[i * bx:(i + 1) * bx, j * by:(j + 1) * by, k * bz:(k + 1) * bz] = \
            transforms.turn_grid(block, int(layout["transform"][i, j, k]))
    return out


def store_files(path: Path) -> dict[str, bytes]:
    """Every file of a store (metadata and chunks), by relative path."""
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def asm() -> vt.Assembly:
    return build_assembly()


@pytest.fixture(scope="module")
def volume(asm: vt.Assembly) -> np.ndarray:
    return asm.to_numpy()


def test_to_numpy_matches_an_independent_numpy_construction(asm: vt.Assembly, volume: np.ndarray) -> None:
    assert volume.shape == (24, 24, 24) and volume.dtype == np.uint8
    assert np.array_equal(volume, reference_volume(asm))
    assert np.array_equal(asm.to_numpy(threads=1), volume)


@pytest.mark.parametrize("chunks", [BLOCK, (5, 7, 11), (24, 24, 24), (1, 24, 3), (13, 9, 24)])
def test_chunks_equal_to_numpy_byte_for_byte(asm: vt.Assembly, volume: np.ndarray, chunks) -> None:
    counts = [-(-s // c) for s, c in zip(asm.shape, chunks)]
    rebuilt = np.zeros_like(volume)
    for idx in np.ndindex(*counts):
        part = asm.chunk(idx, chunks)
        lo = [i * c for i, c in zip(idx, chunks)]
        assert part.shape == tuple(min(c, s - a) for c, s, a in zip(chunks, asm.shape, lo))  # edge chunks clipped
        rebuilt[tuple(slice(a, a + n) for a, n in zip(lo, part.shape))] = part
    assert np.array_equal(rebuilt, volume)
    with pytest.raises(IndexError, match="outside the chunk grid"):
        asm.chunk(counts, chunks)


def test_to_zarr_equals_to_numpy_and_is_the_same_for_any_thread_count(asm, volume, tmp_path) -> None:
    one = asm.to_zarr(tmp_path / "one.zarr", chunks=(5, 7, 11), threads=1, progress=False)
    two = asm.to_zarr(tmp_path / "two.zarr", chunks=(5, 7, 11), threads=2, progress=True)
    assert np.array_equal(one["labels"][...], volume)
    meta = dict(two.attrs)["voxtwin"]
    assert meta["complete"] and meta["shape"] == [24, 24, 24] and meta["chunks"] == [5, 7, 11]
    assert np.all(two["done"][...] == 1)
    assert np.array_equal(two["layout/angle"][...], asm.layout()["angle"], equal_nan=True)
    assert two["labels"].compressors[0].to_dict()["name"] == "zstd"
    assert store_files(tmp_path / "one.zarr") == store_files(tmp_path / "two.zarr")


def test_resume_after_an_error_skips_finished_chunks_and_gives_the_same_store(asm, volume, tmp_path,
                                                                              monkeypatch) -> None:
    chunks = (5, 7, 11)
    total = int(np.prod([-(-s // c) for s, c in zip(asm.shape, chunks)]))
    asm.to_zarr(tmp_path / "clean.zarr", chunks=chunks, threads=2, progress=False)

    original = zarr_store._write_one
    calls: list[tuple] = []
    crash_after = 17
    lock = threading.Lock()

    def crashing(asm_, labels, done, index, chunks_, cache):
        with lock:  # two writer threads: count exactly
            if len(calls) >= crash_after:
                raise RuntimeError("simulated crash")
            calls.append(index)
        original(asm_, labels, done, index, chunks_, cache)

    monkeypatch.setattr(zarr_store, "_write_one", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        asm.to_zarr(tmp_path / "resumed.zarr", chunks=chunks, threads=2, progress=False)
    partial = zarr.open_group(str(tmp_path / "resumed.zarr"), mode="r")
    flags = partial["done"][...]
    assert int(flags.sum()) == crash_after and not dict(partial.attrs)["voxtwin"]["complete"]
    for idx in calls:  # what is marked done is really there
        sl = tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, chunks))
        assert np.array_equal(partial["labels"][sl], volume[sl])

    rewritten: list[tuple] = []

    def counting(asm_, labels, done, index, chunks_, cache):
        rewritten.append(index)
        original(asm_, labels, done, index, chunks_, cache)

    monkeypatch.setattr(zarr_store, "_write_one", counting)
    done = asm.to_zarr(tmp_path / "resumed.zarr", chunks=chunks, threads=2, progress=False)
    assert len(rewritten) == total - crash_after and not set(rewritten) & set(calls)
    assert np.array_equal(done["labels"][...], volume)
    assert store_files(tmp_path / "resumed.zarr") == store_files(tmp_path / "clean.zarr")
    rewritten.clear()
    asm.to_zarr(tmp_path / "resumed.zarr", chunks=chunks, progress=False)  # complete: nothing to do
    assert rewritten == []


_KILL_SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
from test_assemble_zarr import build_assembly
from voxtwin.assemble import zarr_store
original = zarr_store._write_one
def slow(*args):
    time.sleep(0.02)
    original(*args)
zarr_store._write_one = slow
build_assembly().to_zarr({path!r}, chunks=(4, 4, 3), threads=2, progress=False)
"""


def test_resume_after_the_writer_is_killed_gives_the_same_store(asm, volume, tmp_path) -> None:
    chunks = (4, 4, 3)
    path = tmp_path / "killed.zarr"
    script = _KILL_SCRIPT.format(tests=str(Path(__file__).parent), path=str(path))
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        flags = 0
        while time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            marks = list((path / "done" / "c").rglob("*")) if (path / "done").exists() else []
            flags = sum(p.is_file() for p in marks)
            if flags >= 40:
                break
        assert proc.poll() is None, "the writer finished before it could be killed"
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert flags >= 40
    partial = zarr.open_group(str(path), mode="r")
    assert 40 <= int(partial["done"][...].sum()) < 6 * 6 * 8
    asm.to_zarr(path, chunks=chunks, threads=2, progress=False)
    asm.to_zarr(tmp_path / "clean.zarr", chunks=chunks, threads=2, progress=False)
    assert np.array_equal(zarr.open_group(str(path), mode="r")["labels"][...], volume)
    assert store_files(path) == store_files(tmp_path / "clean.zarr")


def test_a_torn_flag_or_a_stale_temporary_file_is_repaired_on_resume(asm, tmp_path) -> None:
    clean = tmp_path / "clean.zarr"
    asm.to_zarr(clean, chunks=BLOCK, progress=False)
    torn = tmp_path / "torn.zarr"
    asm.to_zarr(torn, chunks=BLOCK, progress=False)
    # a writer killed mid-way: one chunk's flag cut to nothing, its data gone, a temporary file left
    (torn / "done" / "c" / "1" / "2" / "0").write_bytes(b"")
    (torn / "labels" / "c" / "1" / "2" / "0").unlink()
    (torn / "labels" / "c" / "1" / "2" / "0.4f2a.partial").write_bytes(b"half a chunk")
    asm.to_zarr(torn, chunks=BLOCK, progress=False)
    assert store_files(torn) == store_files(clean)


def test_refuses_to_resume_into_another_assembly_or_a_foreign_folder(asm, tmp_path) -> None:
    path = tmp_path / "a.zarr"
    asm.to_zarr(path, chunks=BLOCK, progress=False)
    with pytest.raises(ValueError, match="different assembly.*fingerprint"):
        build_assembly(seed=4).to_zarr(path, chunks=BLOCK, progress=False)
    with pytest.raises(ValueError, match="different assembly.*chunks"):
        asm.to_zarr(path, chunks=(4, 4, 4), progress=False)
    other = build_assembly(seed=4)
    store = other.to_zarr(path, chunks=BLOCK, progress=False, overwrite=True)
    assert np.array_equal(store["labels"][...], other.to_numpy())
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"not zarr")
    with pytest.raises(FileExistsError, match="not a voxtwin assembly store"):
        asm.to_zarr(foreign, progress=False)
    with pytest.raises(FileExistsError, match="refusing to delete"):
        asm.to_zarr(foreign, progress=False, overwrite=True)
    assert (foreign / "holiday.jpg").read_bytes() == b"not zarr"
    with pytest.raises(ValueError, match="empty"):
        vt.Assembly(asm.library).to_zarr(tmp_path / "empty.zarr", progress=False)


def test_chunk_cache_generates_each_block_once_and_stays_bounded(asm) -> None:
    from voxtwin.assemble.render import BlockCache

    cache = BlockCache(max_bytes=3 * 100)
    made: list[int] = []

    def make(n: int):
        made.append(n)
        return np.zeros(100, dtype=np.uint8)

    for n in (1, 2, 1, 3, 1, 4, 2):
        cache.get(n, lambda n=n: make(n))
    assert made == [1, 2, 3, 4, 2]  # 2 was evicted (least recently used) when 4 came
    assert cache.nbytes <= 300


def test_dask_cluster_writes_the_same_store(asm, tmp_path) -> None:
    distributed = pytest.importorskip("distributed")
    chunks = (5, 7, 11)
    asm.to_zarr(tmp_path / "threads.zarr", chunks=chunks, threads=2, progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        asm.to_zarr(tmp_path / "dask.zarr", chunks=chunks, client=client, progress=False)
    assert store_files(tmp_path / "dask.zarr") == store_files(tmp_path / "threads.zarr")
