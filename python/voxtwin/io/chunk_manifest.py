"""Per-chunk checksums of a zarr v3 store: find corrupted, truncated and missing chunks.

zarr reads a missing chunk as its fill value and hands a damaged one to the decompressor, so
neither a deleted chunk nor a flipped bit is noticed by reading alone. A store that carries a
manifest keeps, beside its data array, an int64 array ``checksums`` of shape (chunk grid…, 2):
per chunk the CRC32C of the chunk file's bytes and their length, recorded right after the chunk
was written. Length ``EMPTY`` records a chunk zarr did not store (all fill value, e.g. air);
``UNRECORDED`` (the fill value) one not yet written. Each entry is its own tiny file, so writers in
parallel threads or processes never touch the same file, and a write cut short leaves an entry
that reads as unrecorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import zarr

try:  # the CRC32C implementation zarr's own crc32c codec uses
    from google_crc32c import value as _crc32c
except ImportError:  # pragma: no cover - older zarr installs
    from crc32c import crc32c as _crc32c  # type: ignore[no-redef]

__all__ = ["MANIFEST", "EMPTY", "UNRECORDED", "chunk_file", "digest", "create", "record", "open_for", "read",
           "check", "describe"]

MANIFEST = "checksums"
EMPTY = -1
UNRECORDED = -2


def chunk_file(array_dir: Path, array: Any, index: Iterable[int]) -> Path:
    """The file holding chunk ``index`` of ``array`` stored in the folder ``array_dir``."""
    return array_dir / array.metadata.encode_chunk_key(tuple(int(i) for i in index))


def digest(file: Path) -> tuple[int, int]:
    """(CRC32C, length) of a chunk file; (0, EMPTY) when zarr did not store the chunk."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        return 0, EMPTY
    return int(_crc32c(data)), len(data)


def create(group: zarr.Group, counts: tuple[int, ...], overwrite: bool = False) -> zarr.Array:
    """An empty manifest (every entry unrecorded) for a data array of ``counts`` chunks."""
    return group.create_array(MANIFEST, shape=(*counts, 2), chunks=(1,) * len(counts) + (2,), dtype="int64",
                              fill_value=UNRECORDED, compressors=None, overwrite=overwrite)


def record(manifest: zarr.Array, index: tuple[int, ...], array_dir: Path, array: Any) -> None:
    """Store the checksum of chunk ``index`` as it is on disk now (call after writing it)."""
    manifest[index] = np.asarray(digest(chunk_file(array_dir, array, index)), dtype=np.int64)


def open_for(path: Path, array: Any) -> zarr.Array | None:
    """The manifest of ``array`` when the group at ``path`` holds one for its chunk grid, else None."""
    try:
        group = zarr.open_group(str(path), mode="r")
        manifest = group[MANIFEST]
    except Exception:  # noqa: BLE001 - no group, no manifest: nothing to check against
        return None
    counts = tuple(-(-n // c) for n, c in zip(array.shape, array.chunks))
    if not isinstance(manifest, zarr.Array) or tuple(manifest.shape) != (*counts, 2):
        return None
    return manifest


def read(manifest: zarr.Array) -> np.ndarray:
    """All entries (chunk grid…, 2); an entry whose own file is damaged reads as unrecorded."""
    try:
        return np.asarray(manifest[...], dtype=np.int64)
    except Exception:  # noqa: BLE001 - fall back to one entry at a time
        out = np.full(manifest.shape, UNRECORDED, dtype=np.int64)
        for idx in np.ndindex(*manifest.shape[:-1]):
            try:
                out[idx] = manifest[idx]
            except Exception:  # noqa: BLE001
                pass
        return out


def check(array: Any, manifest: zarr.Array | np.ndarray, array_dir: Path,
          indices: Iterable[tuple[int, ...]] | None = None) -> list[tuple[tuple[int, ...], str]]:
    """Chunks whose file disagrees with the manifest: ``[(index, "missing" | "truncated" | ...)]``.

    Only recorded chunks are checked (``indices`` limits them further). ``array_dir``: the folder of
    the data array (a store folder whose group holds ``array`` is accepted too).
    """
    entries = manifest if isinstance(manifest, np.ndarray) else read(manifest)
    if not (array_dir / "zarr.json").is_file() or _is_group(array_dir):
        array_dir = array_dir / array.path
    if indices is None:
        indices = (tuple(int(i) for i in idx) for idx in np.argwhere(entries[..., 1] != UNRECORDED))
    bad = []
    for idx in indices:
        crc, size = (int(v) for v in entries[idx])
        if size == UNRECORDED:
            continue
        got_crc, got_size = digest(chunk_file(array_dir, array, idx))
        if got_size == size and got_crc == crc:
            continue
        if size == EMPTY:
            reason = "unexpected chunk file (recorded as not stored)"
        elif got_size == EMPTY:
            reason = "missing"
        elif got_size < size:
            reason = f"truncated ({got_size} of {size} bytes)"
        elif got_size > size:
            reason = f"too long ({got_size} instead of {size} bytes)"
        else:
            reason = "corrupted (checksum mismatch)"
        bad.append((idx, reason))
    return bad


def _is_group(folder: Path) -> bool:
    try:
        return '"group"' in (folder / "zarr.json").read_text()
    except OSError:
        return False


def describe(bad: list[tuple[tuple[int, ...], str]], limit: int = 8) -> str:
    """'chunk (0, 1, 2) missing, chunk (3, 0, 0) truncated (10 of 812 bytes), … and 4 more'."""
    parts = [f"chunk {idx} {reason}" for idx, reason in bad[:limit]]
    more = f" and {len(bad) - limit} more" if len(bad) > limit else ""
    return ", ".join(parts) + more
