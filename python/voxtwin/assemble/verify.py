"""Checking an assembly store against its chunk checksums, and rewriting damaged chunks.

``verify(path)`` compares every finished chunk of a store written by ``Assembly.to_zarr`` with the
CRC32C and length recorded when it was written, and names the chunks that are missing, truncated
or corrupted. With ``repair=True`` and the block library the store was made from, the assembly
is rebuilt from the store's own layout (block ids, turns, seeds), checked against the store's
fingerprint, and the damaged chunks are generated and written again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zarr

from ..errors import FileFormatError, MissingFileError
from ..io import chunk_manifest
from .library import BlockLibrary

__all__ = ["StoreCheck", "verify"]


@dataclass
class StoreCheck:
    """What ``verify`` found: ``damaged`` lists ``(chunk index, reason)``; ``repaired`` the chunks rewritten."""

    path: Path
    chunks: int
    checked: int
    unfinished: int
    damaged: list[tuple[tuple[int, ...], str]] = field(default_factory=list)
    repaired: list[tuple[int, ...]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no damaged chunk remains (after a repair, if one was asked for)."""
        return not self.damaged or len(self.repaired) == len(self.damaged)

    def summary(self) -> str:
        lines = [f"{self.path}: {self.checked} of {self.chunks} chunks checked against their checksums"
                 + (f", {self.unfinished} not written yet (resume the write)" if self.unfinished else "")]
        if not self.damaged:
            lines.append("  all chunks intact")
        else:
            lines.append(f"  {len(self.damaged)} damaged: {chunk_manifest.describe(self.damaged, limit=20)}")
            if self.repaired:
                lines.append(f"  rewrote {len(self.repaired)} chunk(s); the store is intact again")
        return "\n".join(lines)


def _open(path: Path, mode: str) -> tuple[zarr.Group, dict[str, Any]]:
    if not path.exists():
        raise MissingFileError(f"`store`: no such store {str(path)!r}")
    try:
        root = zarr.open_group(str(path), mode=mode)  # type: ignore[arg-type]
        meta = dict(root.attrs["voxtwin"])  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - not a zarr group, or not ours
        raise FileFormatError(f"`store`={str(path)!r} is not an assembly store written by Assembly.to_zarr "
                              f"({type(exc).__name__}: {exc})") from exc
    if meta.get("kind") != "voxtwin.Assembly" or "labels" not in root or "done" not in root:
        raise FileFormatError(f"`store`={str(path)!r} is not an assembly store written by Assembly.to_zarr")
    return root, meta


def _rebuild(root: zarr.Group, meta: dict[str, Any], library: BlockLibrary) -> Any:
    """The assembly the store was written from, out of its layout; its fingerprint must match."""
    from .assembly import Assembly

    layout = root["layout"]
    ids = np.asarray(layout["block"][...])  # type: ignore[index]
    tf = np.asarray(layout["transform"][...])  # type: ignore[index]
    for unique in (True, False):
        try:
            asm = Assembly.from_ids(library, ids, tf, seed=int(meta["seed"]), air_label=int(meta["air_label"]),
                                    unique_blocks=unique)
        except (ValueError, IndexError) as exc:
            raise ValueError(f"`library` does not fit the store's layout: {exc}") from exc
        if asm.fingerprint() == meta.get("fingerprint"):
            return asm
    raise ValueError("`library` is not the block library this store was written from (the rebuilt assembly's "
                     "fingerprint differs); pass the library used to write it")


def verify(store: str | os.PathLike, *, repair: bool = False, library: BlockLibrary | str | os.PathLike | None = None,
           progress: bool = True) -> StoreCheck:
    """Check every finished chunk of an assembly store; with ``repair`` rewrite the damaged ones.

    ``library``: the :class:`BlockLibrary` (or the folder ``BlockLibrary.save`` wrote) the store was
    made from; needed for ``repair``. Raises FileFormatError for a store without checksums
    (written before they existed: resume it once with ``to_zarr`` to add them).
    """
    path = Path(os.fspath(store))
    if repair and library is None:
        raise ValueError("`repair=True` needs `library`: the block library the store was written from")
    root, meta = _open(path, "r")
    from .zarr_store import _done_flags, _labels_dir

    if chunk_manifest.MANIFEST not in root:
        raise FileFormatError(f"{path}: the store carries no chunk checksums (written by an older voxtwin); "
                              "resume it once with Assembly.to_zarr to add them")
    labels = root["labels"]
    flags = _done_flags(root["done"])  # type: ignore[arg-type]
    entries = chunk_manifest.read(root[chunk_manifest.MANIFEST])  # type: ignore[arg-type]
    done_idx = [tuple(int(i) for i in idx) for idx in np.argwhere(flags)]
    unrecorded = [idx for idx in done_idx if entries[idx][1] == chunk_manifest.UNRECORDED]
    recorded = [idx for idx in done_idx if entries[idx][1] != chunk_manifest.UNRECORDED]
    damaged = chunk_manifest.check(labels, entries, _labels_dir(root), recorded)
    damaged += [(idx, "no checksum recorded") for idx in unrecorded]
    damaged.sort()
    result = StoreCheck(path, int(flags.size), len(done_idx), int(flags.size) - len(done_idx), damaged)
    if repair and damaged:
        lib = library if isinstance(library, BlockLibrary) else BlockLibrary.load(library)  # type: ignore[arg-type]
        asm = _rebuild(root, meta, lib)
        import warnings

        from .assembly import AssemblyWarning

        with warnings.catch_warnings():  # the resume names the same chunks again
            warnings.simplefilter("ignore", AssemblyWarning)
            asm.to_zarr(path, chunks=tuple(meta["chunks"]), progress=progress)
        again = verify(path)
        if again.damaged:
            raise FileFormatError(f"{path}: chunks still damaged after the repair: "
                                  f"{chunk_manifest.describe(again.damaged)}")
        result.repaired = [idx for idx, _ in damaged]
    return result
