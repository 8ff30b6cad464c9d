"""Progress bars for long work (tqdm), one place so every step looks and behaves the same."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str = "", enabled: bool = True,
             unit: str = "it") -> Iterator[T]:
    """Iterate with a progress bar on stderr when ``enabled`` (silent otherwise)."""
    if not enabled:
        yield from iterable
        return
    with tqdm(iterable, total=total, desc=desc, unit=unit, dynamic_ncols=True, leave=False) as bar:
        yield from bar


def progress_bar(total: int, *, desc: str = "", enabled: bool = True, unit: str = "it") -> tqdm:
    """A manual progress bar (call ``.update(n)``); disabled bars accept updates silently."""
    return tqdm(total=total, desc=desc, unit=unit, disable=not enabled, dynamic_ncols=True, leave=False)
