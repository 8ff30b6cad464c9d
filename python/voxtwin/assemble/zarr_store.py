"""Writing an assembly to a compressed zarr v3 store, chunk by chunk, in parallel, resumably.

Store layout (a zarr v3 group)::

    zarr.json         attributes["voxtwin"]: fingerprint, shape, chunks, voxel size, labels, complete
    labels/           uint8 [x, y, z] volume, compressed (zstd by default); air chunks are not stored
    layout/           the per-cell layout: angle, kind, seed, block, transform (see Assembly.layout)
    done/             uint8 per chunk of `labels`, 1 once that chunk is safely in the store
    checksums/        CRC32C and length of every chunk file of `labels` (voxtwin.io.chunk_manifest)
    pyramid/1, 2, ... OME-Zarr levels, each 2×2×2 coarser (majority label), built chunk by chunk
    pyramid_done/     uint8 per chunk of each level (resuming the pyramid like `labels`)

Once every chunk is written, the root carries OME-NGFF 0.5 ``multiscales`` metadata (axes x, y, z
in micrometres, the voxel size as the scale), so napari, neuroglancer and ``ome-zarr`` open it lazily.

Every chunk is generated alone from the block seeds, written, and only then marked done. A
restart skips the chunks marked done and (re)writes all others, so an interruption (an error,
Ctrl-C, a killed process) never loses or rewrites a finished chunk, and the finished store is
the same, byte for byte, whatever the interruptions, threads or order of writing. A store of
another assembly (different fingerprint, shape or chunks) is never resumed into.

A restart also checks every finished chunk against its recorded checksum: a corrupted,
truncated or deleted chunk is named in an ``AssemblyWarning`` and written again, so resuming a
finished store repairs it (``voxtwin verify`` runs the same check without an assembly).
"""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import zarr
from zarr.codecs import ZstdCodec

from .. import _core, _validate
from .._progress import progress_bar
from ..io import chunk_manifest
from .render import BlockCache, chunk_counts, chunk_window, render_window

if TYPE_CHECKING:
    from .assembly import Assembly

__all__ = ["DEFAULT_COMPRESSORS", "write"]

#: zstd level 1: about 4× faster than level 3 on label volumes for a few % more bytes.
DEFAULT_COMPRESSORS = (ZstdCodec(level=1),)
_BATCH = 8  # chunks per Dask task: amortizes task overhead, keeps neighbouring chunks on one worker


def _describe(asm: Assembly, chunks: tuple[int, int, int]) -> dict[str, Any]:
    return {
        "kind": "voxtwin.Assembly",
        "version": _core.__version__,
        "fingerprint": asm.fingerprint(),
        "shape": list(asm.shape),
        "chunks": list(chunks),
        "grid_shape": list(asm.grid_shape),
        "block_shape": list(asm.block_shape),
        "voxel_size_um": asm.voxel_size,
        "air_label": asm.air_label,
        "seed": asm.seed,
        "labels": {"0": "matrix", "1": "fibre", str(asm.air_label): "void/air"},
        "complete": False,
    }


def _create(asm: Assembly, path: Path, chunks: tuple[int, int, int], compressors: Any) -> zarr.Group:
    meta = _describe(asm, chunks)
    root = zarr.open_group(str(path), mode="w", zarr_format=3, attributes={"voxtwin": meta})
    root.create_array("labels", shape=asm.shape, chunks=chunks, dtype="uint8", compressors=compressors,
                      fill_value=asm.air_label, dimension_names=("x", "y", "z"),
                      attributes={"voxel_size_um": asm.voxel_size})
    layout = asm.layout()
    group = root.create_group("layout", attributes={"block_names": asm.library.names,
                                                    "kind_codes": {"air": 0, "outer": 1, "inner": 2}})
    for key, arr in layout.items():
        if arr.size:
            group.create_array(key, data=np.ascontiguousarray(arr), chunks=arr.shape)
    counts = chunk_counts(asm.shape, chunks)
    root.create_array("done", shape=counts, chunks=(1, 1, 1), dtype="uint8", fill_value=0, compressors=None)
    chunk_manifest.create(root, counts)
    return root


def _open_existing(asm: Assembly, path: Path, chunks: tuple[int, int, int], compressors: Any) -> zarr.Group:
    try:
        root = zarr.open_group(str(path), mode="r+")
        meta = dict(root.attrs["voxtwin"])  # type: ignore[arg-type]
    except (OSError, KeyError, ValueError, TypeError) as exc:  # not a zarr group, or not ours: never touch it
        raise FileExistsError(f"`path`={str(path)!r} exists and is not a voxtwin assembly store ({exc}); "
                              "choose another path") from exc
    want = _describe(asm, chunks)
    diffs = [k for k in ("fingerprint", "shape", "chunks", "voxel_size_um", "air_label") if meta.get(k) != want[k]]
    if diffs:
        raise ValueError(f"the store at `path`={str(path)!r} holds a different assembly ({', '.join(diffs)} differ: "
                         f"store {[meta.get(k) for k in diffs]} vs {[want[k] for k in diffs]}); refusing to resume "
                         "into it: pass overwrite=True to replace it, or choose another path")
    if compressors != "default":
        stored = [c.to_dict() for c in root["labels"].compressors]  # type: ignore[union-attr]
        asked = [c.to_dict() for c in (compressors or ())]
        if stored != asked:
            raise ValueError(f"the store at `path`={str(path)!r} was written with compressors {stored}, "
                             f"got compressors={asked}; resume with the same compressors or overwrite=True")
    # A killed writer can leave temporary files of the local store behind: they hold no data.
    for partial in (path / "labels").rglob("*.partial"):
        partial.unlink(missing_ok=True)
    return root


def _done_flags(done: zarr.Array) -> np.ndarray:
    # A flag is one uncompressed byte; a write cut short can leave an unreadable one, which counts
    # as not done (whatever the codec error, the chunk is simply written again).
    try:
        return np.asarray(done[...], dtype=bool)
    except Exception:  # noqa: BLE001
        flags = np.zeros(done.shape, dtype=bool)
        for idx in np.ndindex(*done.shape):
            try:
                flags[idx] = bool(done[idx])
            except Exception:  # noqa: BLE001
                flags[idx] = False
        return flags


def _write_one(asm: Assembly, labels: zarr.Array, done: zarr.Array, index: tuple[int, ...],
               chunks: tuple[int, int, int], cache: BlockCache) -> None:
    """Generates, writes, checksums and marks one chunk (the mark only after the data is stored)."""
    lo, extent = chunk_window(index, asm.shape, chunks)  # type: ignore[arg-type]
    data = render_window(asm, lo, extent, cache)
    labels[tuple(slice(int(a), int(a + e)) for a, e in zip(lo, extent))] = data
    array_dir = _array_dir(labels)
    chunk_manifest.record(_manifest(str(array_dir.parent)), index, array_dir, labels)
    done[index] = 1


def _array_dir(array: zarr.Array) -> Path:
    """The local folder of an array of a store on disk."""
    return Path(str(array.store.root)) / array.path  # type: ignore[attr-defined]


def _labels_dir(root: zarr.Group) -> Path:
    return _array_dir(root["labels"])  # type: ignore[arg-type]


def _manifest(group_dir: str) -> zarr.Array:
    """The checksum array of the store at ``group_dir`` (opened per chunk: a small JSON read, and never
    stale when a store is replaced at the same path)."""
    return zarr.open_array(str(Path(group_dir) / chunk_manifest.MANIFEST), mode="r+")


def _verify_done(root: zarr.Group, flags: np.ndarray, path: Path) -> list[tuple[tuple[int, ...], str]]:
    """Finished chunks whose file no longer matches its checksum; their flags are cleared in ``flags``.

    A store written before checksums existed gets a manifest here: its finished chunks are
    decoded once (a damaged one is rewritten) and then recorded.
    """
    labels = root["labels"]
    if chunk_manifest.MANIFEST not in root:
        chunk_manifest.create(root, flags.shape)
    manifest = root[chunk_manifest.MANIFEST]
    entries = chunk_manifest.read(manifest)  # type: ignore[arg-type]
    done_idx = [tuple(int(i) for i in idx) for idx in np.argwhere(flags)]
    recorded = [idx for idx in done_idx if entries[idx][1] != chunk_manifest.UNRECORDED]
    bad = chunk_manifest.check(labels, entries, _labels_dir(root), recorded)
    chunks = tuple(labels.chunks)  # type: ignore[union-attr]
    for idx in done_idx:
        if entries[idx][1] != chunk_manifest.UNRECORDED:
            continue
        lo, extent = chunk_window(idx, tuple(labels.shape), chunks)  # type: ignore[arg-type]
        try:
            labels[tuple(slice(int(a), int(a + e)) for a, e in zip(lo, extent))]  # type: ignore[index]
        except Exception:  # noqa: BLE001 - a chunk the codec cannot decode
            bad.append((idx, "unreadable (no checksum recorded)"))
            continue
        chunk_manifest.record(manifest, idx, _labels_dir(root), labels)  # type: ignore[arg-type]
    for idx, _ in bad:
        flags[idx] = False
    if bad:
        from .assembly import AssemblyWarning

        warnings.warn(f"{path}: {len(bad)} finished chunk(s) are damaged and will be written again: "
                      f"{chunk_manifest.describe(bad)}", AssemblyWarning, stacklevel=4)
    return bad


def _cache_for(asm: Assembly, chunks: tuple[int, int, int]) -> BlockCache:
    """A block cache, kept to one block when chunks hold whole blocks (no block is ever reused)."""
    aligned = all(c % b == 0 for c, b in zip(chunks, asm.block_shape))
    return BlockCache(0 if aligned else asm.cache_bytes)


def _write_batch(asm: Assembly, path: str, chunks: tuple[int, int, int], indices: list[tuple[int, ...]]) -> int:
    """A Dask task: opens the store on the worker and writes a few chunks."""
    root = zarr.open_group(path, mode="r+")
    labels, done = root["labels"], root["done"]
    cache = _cache_for(asm, chunks)
    for index in indices:
        _write_one(asm, labels, done, index, chunks, cache)  # type: ignore[arg-type]
    return len(indices)


def _run_threads(asm: Assembly, root: zarr.Group, chunks: tuple[int, int, int], pending: list[tuple[int, ...]],
                 workers: int, bar: Any) -> None:
    labels, done = root["labels"], root["done"]
    cache = _cache_for(asm, chunks)
    todo: Iterator[tuple[int, ...]] = iter(pending)
    error: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        inflight: set[Future] = set()

        def submit() -> None:
            index = next(todo, None)
            if index is not None:
                inflight.add(pool.submit(_write_one, asm, labels, done, index, chunks, cache))

        for _ in range(2 * workers):  # a bounded number of chunks in memory at once
            submit()
        # On an error or Ctrl-C nothing new starts; the chunks in flight finish and are marked done.
        while inflight:
            finished, inflight = wait(inflight, return_when=FIRST_COMPLETED)  # type: ignore[assignment]
            for f in finished:
                exc = f.exception()
                if exc is not None:
                    error = error or exc
                else:
                    bar.update(1)
                if error is None:
                    submit()
    if error is not None:
        raise error


def _run_dask(asm: Assembly, path: Path, chunks: tuple[int, int, int], pending: list[tuple[int, ...]],
              client: Any, bar: Any) -> None:
    from distributed import as_completed

    remote = client.scatter(asm, broadcast=True)
    batches = [pending[i:i + _BATCH] for i in range(0, len(pending), _BATCH)]
    futures = [client.submit(_write_batch, remote, str(path), chunks, b, pure=False) for b in batches]
    try:
        for future in as_completed(futures):
            bar.update(future.result())
    except BaseException:
        client.cancel(futures)
        raise


def write(asm: Assembly, path: str | os.PathLike, chunks: tuple[int, int, int], *, progress: bool = True,
          threads: int | None = None, client: Any = None, overwrite: bool = False,
          compressors: Any = "default") -> zarr.Group:
    """Writes ``asm`` to the zarr v3 store at ``path`` (a local folder), resuming an earlier write.

    ``chunks``: chunk shape in voxels. ``threads``: worker threads (default: voxtwin's CPU thread
    count); ``client``: a ``dask.distributed.Client`` (the ``dist`` extra) whose workers write
    instead, a few chunks per task (they must see ``path``; ``threads`` is then unused). ``overwrite``: replace an existing store at ``path`` (only a zarr store is ever
    deleted). ``compressors``: zarr v3 codecs for the labels ("default": zstd level 1).
    Returns the root group, read-only.
    """
    path = Path(os.fspath(path))
    if asm.n_voxels == 0:
        raise ValueError(f"the assembly is empty (grid_shape={asm.grid_shape}): nothing to write")
    if compressors == "default":
        codecs: Any = DEFAULT_COMPRESSORS
    else:
        codecs = compressors
    if path.exists() and overwrite:
        if path.is_dir() and ((path / "zarr.json").is_file() or not any(path.iterdir())):
            shutil.rmtree(path)
        else:
            raise FileExistsError(f"`path`={str(path)!r} exists and is not a zarr store; refusing to delete it")
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        root = _open_existing(asm, path, chunks, compressors)
    else:
        root = _create(asm, path, chunks, codecs)
    flags = _done_flags(root["done"])  # type: ignore[arg-type]
    _verify_done(root, flags, path)
    # Chunks in the same block come one after the other, so a block shared by several chunks is
    # generated once while it sits in the bounded cache.
    step, block = np.asarray(chunks), np.asarray(asm.block_shape)
    pending = sorted((idx for idx in np.ndindex(*flags.shape) if not flags[idx]),
                     key=lambda idx: (tuple(np.asarray(idx) * step // block), idx))
    total = int(flags.size)
    bar = progress_bar(total, desc="to_zarr", enabled=progress, unit="chunk")
    with bar:
        bar.update(total - len(pending))
        if pending:
            if client is not None:
                _run_dask(asm, path.resolve(), chunks, pending, client, bar)  # workers may have another cwd
            else:
                workers = _core.get_num_threads() if threads is None else _validate.integer("threads", threads, 1)
                _run_threads(asm, root, chunks, pending, workers, bar)
    root = _write_ome_levels(asm, path, threads, progress)
    meta = dict(root.attrs["voxtwin"])  # type: ignore[arg-type]
    if not meta.get("complete"):
        meta["complete"] = True
        root.attrs.update({"voxtwin": meta})
    return zarr.open_group(str(path), mode="r")


# ---------------------------------------------------------------- OME-Zarr levels and metadata
def _write_ome_levels(asm: Assembly, path: Path, threads: int | None, progress: bool) -> zarr.Group:
    """Majority-label pyramid below ``labels`` (resumable) and the NGFF ``multiscales`` attribute.

    Returns the root group reopened, so that later attribute updates keep the multiscales.
    """
    from ..io.ome_zarr import build_pyramid, level_shapes, write_multiscales_attrs

    root = zarr.open_group(str(path), mode="r+")
    labels = root["labels"]
    paths = [f"pyramid/{i}" for i in range(1, len(level_shapes(tuple(labels.shape), tuple(labels.chunks))))]
    workers = _core.get_num_threads() if threads is None else _validate.integer("threads", threads, 1)
    build_pyramid(root, "labels", paths, "mode", done_group="pyramid_done", threads=workers, progress=progress)
    write_multiscales_attrs(root, ["labels", *paths], asm.voxel_size, name="assembly", method="mode")
    return root
