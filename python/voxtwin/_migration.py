"""Fibre placement by sequential addition and migration (``method="migrate"`` of :func:`voxtwin.place_fibres`).

All fibres for the target are drawn at once (sizes and directions from the spec, so their
distributions are those asked for), dropped at random centres with overlaps allowed, and then moved
in C++ (:class:`voxtwin._core.FibreMigrator`) by gradient steps on a pairwise overlap penalty
between their hulls plus a term holding the orientation tensor at the spec's (Schneider 2017, the
sequential addition and migration method). Migration stops when no pair overlaps; when the step
budget runs out first, the later fibre of every pair still overlapping (and every fibre still on a
forbidden voxel) is removed, so a twin never holds an overlap, and a warning says the fraction reached.
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING

import numpy as np

from . import _core
from ._progress import progress_bar
from .errors import PlacementError, PlacementWarning
from .fibre_table import FibreTable
from .orientation import Planar

if TYPE_CHECKING:
    from .generate import FibreSpec, Placement

DEFAULT_MAX_STEPS = 10_000
"""Migration steps allowed by default before the fibres still overlapping are given up."""

_PATIENCE = 2_000  # steps without fewer overlapping pairs (at full size) after which migration gives up

METHODS = ("rsa", "migrate", "auto")

AUTO_RSA_FRACTION = 0.10
"""``method="auto"`` keeps RSA up to this volume fraction (well below where RSA jams for aspect
ratios up to ~20, so twins made before migration existed come out the same) and migrates above it."""

_CHUNK = 50  # steps per call into C++: the progress bar and Ctrl-C get a look in between
_TOP_UPS = 6  # rounds of extra fibres when the voxel count falls short of the target


def choose_method(method: object, volume_fraction: float) -> str:
    """``"rsa"`` or ``"migrate"`` for the ``method`` argument of place_fibres/generate_fibres."""
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {', '.join(map(repr, METHODS))}, got method={method!r}")
    if method == "auto":
        return "rsa" if volume_fraction <= AUTO_RSA_FRACTION else "migrate"
    return str(method)


def _draw_to_volume(spec: FibreSpec, volume: float, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Fibres (centres zero) drawn in order until their volumes add up to ``volume`` µm³."""
    from .generate import _draw_fibres

    n = math.ceil(1.05 * volume / spec.mean_fibre_volume()) + 8
    batch, _ = _draw_fibres(spec, n, rng)  # its centre key is not used: the C++ side draws from `key` below
    vols = FibreTable(*batch, spec.shape).volumes()
    keep = int(np.searchsorted(np.cumsum(vols), volume) + 1)
    return tuple(col[: min(keep, n)] for col in batch)


def migrate_placement(
    spec: FibreSpec,
    grid: tuple[int, int, int],
    h: float,
    seed: int,
    *,
    mask_u8: np.ndarray | None,
    periodic: bool,
    existing: FibreTable,
    target_voxels: int,
    lo: list[float],
    hi: list[float],
    max_steps: int,
    strict: bool,
    progress: bool,
) -> Placement:
    """Place fibres from ``spec`` by migration; returns a :class:`voxtwin.generate.Placement`."""
    from .generate import Placement, overlapping_fibres

    n_voxels = grid[0] * grid[1] * grid[2]
    rng = np.random.default_rng(seed)
    existing_voxels = _voxel_counts(existing, grid, h, periodic).sum() if len(existing) else 0
    tensor = np.asarray(spec.orientation.tensor, dtype=np.float64).reshape(9)
    normal = list(spec.orientation.normal) if isinstance(spec.orientation, Planar) else [0.0, 0.0, 0.0]
    fixed = len(existing)
    box_ratio = float(np.prod(np.subtract(hi, lo)) / (n_voxels * h**3))

    columns: list[np.ndarray] = [c.copy() for c in existing._arrays()]
    steps = 0  # over all rounds
    status: dict = {"resolved": True, "overlapping_pairs": 0, "mask_violations": 0, "max_overlap": 0.0}
    migrator = None
    counts = np.zeros(0, dtype=np.int64)
    with progress_bar(max(target_voxels, 1), desc="migrating fibres", unit="vox", enabled=progress) as bar:
        for _ in range(_TOP_UPS):
            held = int(existing_voxels + counts[fixed:].sum()) if counts.size else int(existing_voxels)
            deficit = target_voxels - held
            if deficit <= 0 or steps >= max_steps:
                break
            # Open blocks: centres come from the block grown by a margin, so fibres for the whole box.
            new = _draw_to_volume(spec, deficit * h**3 * box_ratio, rng)
            key = int(rng.integers(0, 2**64, dtype=np.uint64))
            start = len(columns[0])
            columns = [np.concatenate([columns[k], new[k]]) for k in range(4)]
            migrator = _core.FibreMigrator(
                *columns, spec.shape, grid, h, periodic, mask_u8, spec.min_gap, fixed, start, key, lo, hi,
                tensor.tolist(), 0.25, normal, 0.5,
            )
            status = migrator.status
            best, since = status["overlapping_pairs"], 0
            while not status["resolved"] and steps < max_steps and since < _PATIENCE:
                migrator.run(min(_CHUNK, max_steps - steps))
                before, status = status, migrator.status
                steps += status["iterations"] - before["iterations"]
                since += status["iterations"] - before["iterations"]
                if status["overlapping_pairs"] < best:
                    best, since = status["overlapping_pairs"], 0
                bar.set_postfix(overlapping_pairs=status["overlapping_pairs"], refresh=False)
            arrays = migrator.fibres()
            columns = [arrays["centre"], arrays["direction"], arrays["length"], arrays["diameter"]]
            counts = _core.fibre_voxel_counts(*columns, spec.shape, grid, h, periodic)
            bar.update(min(int(counts.sum()), target_voxels) - bar.n)
            if not status["resolved"]:
                break

    table = FibreTable(*columns, spec.shape)
    # An independent check from the table, periodic images included: nothing overlapping is kept.
    clash = overlapping_fibres(table, grid, h, periodic=periodic, min_gap=spec.min_gap)
    clash[:fixed] = False  # the existing table is the caller's, as with RSA
    outside = migrator.mask_violators() if migrator is not None and mask_u8 is not None else np.zeros(len(table), bool)
    outside[:fixed] = False
    drop = clash | outside
    if counts.size == len(table):  # fibres of an open block's margin that cover no voxel, as RSA rejects them
        empty = counts == 0
        empty[:fixed] = False
        drop |= empty
    if drop.any():
        table = table[~drop]
        counts = counts[~drop]
    if counts.size != len(table):
        counts = _voxel_counts(table, grid, h, periodic)
    reached = bool(status["resolved"]) and int(counts.sum()) >= target_voxels
    stats = {
        "accepted": len(table) - fixed,
        "migration_steps": steps,
        "overlapping_pairs_left": int(status["overlapping_pairs"]),
        "outside_mask_left": int(status["mask_violations"]),
        "removed_overlapping": int(clash.sum()),
        "removed_outside_mask": int((outside & ~clash).sum()),
    }
    placement = Placement(table, counts, target_voxels, reached, stats, fixed)
    if not reached:
        achieved, target = placement.fibre_voxels / n_voxels, target_voxels / n_voxels
        message = (
            f"fibre placement stopped at volume fraction {achieved:.4f} of the target {target:.4f} after "
            f"{stats['migration_steps']} migration steps: {stats['overlapping_pairs_left']} fibre pairs still "
            f"overlapped (largest overlap {status['max_overlap']:.3g} µm) and "
            f"{stats['outside_mask_left']} fibres lay outside the mask; {stats['removed_overlapping']} overlapping "
            f"and {stats['removed_outside_mask']} misplaced fibres were removed, so none overlap. "
            "Raise `max_attempts` (migration steps), lower the volume fraction or the fibre length, or widen the mask."
        )
        if strict:
            raise PlacementError(message, achieved, target)
        warnings.warn(message, PlacementWarning, stacklevel=3)
    return placement


def _voxel_counts(table: FibreTable, grid, h: float, periodic: bool) -> np.ndarray:
    return _core.fibre_voxel_counts(*table._arrays(), table.fibre_shape, grid, h, periodic)
