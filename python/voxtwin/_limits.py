"""Resource limits checked before work starts: memory available now, and bytes taken from files.

Sizes that come from a caller (shapes, chunk grids) or from a file's header (TIFF, .npy,
zarr.json) are compared with the memory available *before* anything is allocated, so a problem
that cannot fit ends in :class:`voxtwin.InsufficientMemoryError` (CLI exit 5) instead of a bare
``MemoryError``, a crash, or minutes of swapping. Devices and pipes (``/dev/zero``, a FIFO) have
no size to check, so what is read from them is capped.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from . import _core
from .errors import FileFormatError, InsufficientMemoryError, MissingFileError

__all__ = ["available_memory", "require_memory", "gib", "regular_file", "read_capped"]

_HEAD = 1 << 16


def available_memory() -> int:
    """Bytes of host memory available to this process now (MemAvailable, capped by a cgroup limit)."""
    return int(_core.available_host_memory())


def gib(n_bytes: float) -> str:
    """A byte count for a message: '3.2 GiB'."""
    return f"{n_bytes / 2**30:.3g} GiB"


def require_memory(need_bytes: float, what: str, hint: str = "") -> None:
    """InsufficientMemoryError unless ``need_bytes`` fit the memory available now.

    ``what`` says what would be allocated (it starts the message, e.g. "generate_fibres of shape
    (100000, 100000, 100000)"); ``hint`` says what to do instead.
    """
    have = available_memory()
    if not need_bytes <= have:  # also refuses NaN
        raise InsufficientMemoryError(f"{what} needs {gib(need_bytes)} of memory but only {gib(have)} are available"
                                      + (f"; {hint}" if hint else ""))


def _stat_not_folder(path: Path, what: str) -> os.stat_result:
    """The stat of ``path``: missing -> MissingFileError, unreadable or a folder -> FileFormatError."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise MissingFileError(f"{what}: cannot read {str(path)!r}: no such file") from None
    except OSError as exc:
        raise FileFormatError(f"{what}: cannot read {str(path)!r} ({exc})") from exc
    if stat.S_ISDIR(st.st_mode):
        raise FileFormatError(f"{what}: {str(path)!r} is a folder, expected a file")
    return st


def regular_file(path: Path, what: str = "`path`") -> os.stat_result:
    """The stat of ``path``, which must be a regular file (not a folder, device, FIFO or socket).

    Missing files raise :class:`voxtwin.MissingFileError` (a ``FileNotFoundError``); devices and
    pipes a :class:`voxtwin.FileFormatError`, since they have no size to check and may never end.
    """
    st = _stat_not_folder(path, what)
    if not stat.S_ISREG(st.st_mode):
        raise FileFormatError(f"{what}: {str(path)!r} is not a regular file (a device, pipe or socket); "
                              "copy the data to a file first")
    return st


def read_capped(path: Path, limit: int, what: str = "`path`",
                check_head: Callable[[bytes], None] | None = None) -> bytes:
    """All bytes of ``path``, refusing more than ``limit``: a regular file by its size before
    reading, a device or pipe after reading at most ``limit`` + 1 bytes. ``check_head`` sees the
    first 64 KiB before the rest is read (to refuse binary data from ``/dev/urandom`` at once)."""
    st = _stat_not_folder(path, what)
    if stat.S_ISREG(st.st_mode) and st.st_size > limit:
        raise FileFormatError(f"{what}: {str(path)!r} holds {st.st_size} bytes, more than the {limit} this reader "
                              "accepts")
    try:
        with open(path, "rb") as f:
            head = f.read(min(limit + 1, _HEAD))
            if check_head is not None:
                check_head(head)
            data = head + f.read(limit + 1 - len(head)) if len(head) == _HEAD else head
    except OSError as exc:
        raise FileFormatError(f"{what}: cannot read {str(path)!r} ({exc})") from exc
    if len(data) > limit:
        raise FileFormatError(f"{what}: {str(path)!r} gave more than {limit} bytes (a device or endless pipe?); "
                              "refusing to read on")
    return data
