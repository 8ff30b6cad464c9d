"""Virtual growth of a layout under adjacency rules and a (graded) frequency target (seed 002)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import _core, _validate
from ..errors import VoxtwinError
from .layout import Layout
from .rules import AdjacencyRules

__all__ = ["GrowthError", "grow"]

_SUM_TOL = 1e-6  # rows of fractions typed by hand sum to 1 within rounding


class GrowthError(VoxtwinError, RuntimeError):
    """Growth met contradictions it could not resolve within the allowed restarts."""


def _grid(value: object) -> tuple[int, int, int]:
    if isinstance(value, (int, np.integer)) or not isinstance(value, Sequence) or len(value) != 3:
        raise ValueError(f"`grid` must be three positive cell counts (x, y, z), got grid={value!r}")
    return tuple(_validate.integer(f"grid[{i}]", v, minimum=1) for i, v in enumerate(value))  # type: ignore


def _frequency(rules: AdjacencyRules, grid: tuple[int, int, int], frequency: Any) -> np.ndarray:
    """Target fractions as float64 ``[gx, gy, gz, n_groups]``."""
    g = rules.n_groups
    if isinstance(frequency, Mapping):
        unknown = [k for k in frequency if k not in rules.groups]
        if unknown:
            raise ValueError(f"`frequency` names blocks the rules lack: {unknown}; groups: {list(rules.groups)}")
        frequency = [float(frequency.get(name, 0.0)) for name in rules.groups]
    try:
        f = np.asarray(frequency, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`frequency` must be fractions per block (one ξ or a [gx, gy, gz, {g}] field), "
                        f"got {type(frequency).__name__}") from exc
    if f.ndim == 1:
        if f.shape[0] != g:
            raise ValueError(f"`frequency` must hold one fraction per block group {list(rules.groups)}, "
                             f"got {f.shape[0]} values")
        f = np.broadcast_to(f, grid + (g,))
    elif f.shape != grid + (g,):
        raise ValueError(f"`frequency` field must have shape {grid + (g,)} ([gx, gy, gz, n_groups]), got {f.shape}")
    if not np.all(np.isfinite(f)) or f.min() < 0:
        raise ValueError("`frequency` must be finite fractions >= 0")
    sums = f.sum(axis=-1)
    bad = ~(np.isclose(sums, 1.0, atol=_SUM_TOL) | (sums == 0))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"`frequency` rows must sum to 1 (or 0 for a void cell), got sum {sums[where]:.6g} "
                         f"at cell {where}")
    return f


def grow(rules: AdjacencyRules, grid: Sequence[int], frequency: Any, seed: int = 0, *,
         regions: np.ndarray | None = None, periodic: bool = False, max_restarts: int = 10,
         max_repairs: int | None = None) -> Layout:
    """Grows a layout of ``rules.blocks`` on ``grid`` cells.

    Cells are filled one at a time, the lowest-entropy cell of the growth front first; a cell
    takes a block admissible next to all its filled neighbours (and leaving each empty neighbour
    a choice), drawn with the probability of its frequency group corrected towards the region's
    target count, p = (p₀n − x₀)/(n − x) (n cells in the region, x filled, x₀ of this group).

    Parameters
    ----------
    rules:
        The blocks and their adjacency rules.
    grid:
        Cells along X, Y, Z.
    frequency:
        Target fraction per block group (``rules.groups``): one ξ (a sequence, or a dict by
        name) for the whole grid, or a field ``[gx, gy, gz, n_groups]``. Rows sum to 1; a row
        of zeros marks a void cell (left empty, constraining nothing).
    seed:
        Growth seed: the same inputs and seed give the same layout on any thread count.
    regions:
        Optional int grid ``[gx, gy, gz]`` of region ids over which counts are corrected (the
        seed's finite elements). Default: cells with equal ξ rows form one region.
    periodic:
        Wrap adjacency across the grid's faces (needed for periodic homogenization).
    max_restarts, max_repairs:
        Full restarts allowed, and local repairs per attempt before one (default cells/8 + 64).

    Raises :class:`GrowthError` when every attempt met unresolvable contradictions.
    """
    if not isinstance(rules, AdjacencyRules):
        raise TypeError(f"`rules` must be a voxtwin.growth.AdjacencyRules, got {type(rules).__name__}")
    shape = _grid(grid)
    seed = _validate.seed(seed)
    max_restarts = _validate.integer("max_restarts", max_restarts, minimum=0)
    repairs_cap = -1 if max_repairs is None else _validate.integer("max_repairs", max_repairs, minimum=0)
    field = _frequency(rules, shape, frequency)
    flat = field.reshape(-1, rules.n_groups)
    void = flat.sum(axis=1) == 0
    if regions is None:
        rows, inverse = np.unique(flat[~void], axis=0, return_inverse=True)
        region = np.full(flat.shape[0], -1, dtype=np.int32)
        region[~void] = inverse.ravel()
        targets = rows
    else:
        r = np.asarray(regions)
        if r.shape != shape or not np.issubdtype(r.dtype, np.integer) or r.min() < -1:
            raise ValueError(f"`regions` must be an int grid of shape {shape} with ids >= 0 (-1: void)")
        region = r.reshape(-1).astype(np.int32)
        region[void] = -1
        n_r = int(region.max()) + 1 if (region >= 0).any() else 0
        targets = np.zeros((n_r, rules.n_groups))
        np.add.at(targets, region[region >= 0], flat[region >= 0])
        counts = np.bincount(region[region >= 0], minlength=n_r).astype(np.float64)
        targets /= np.maximum(counts, 1.0)[:, None]
    if targets.shape[0] == 0:
        raise ValueError("`frequency` marks every cell void; nothing to grow")
    targets = targets / targets.sum(axis=1, keepdims=True)
    blocks, repairs, restarts, complete = _core.grow(
        rules.table.astype(np.uint8), rules.group_of, rules.n_groups, shape, region,
        np.ascontiguousarray(targets), seed, bool(periodic), repairs_cap, max_restarts)
    if not complete:
        raise GrowthError(f"growth on grid {shape} met contradictions it could not resolve: {repairs} local repairs "
                          f"and {restarts} full restarts (max_restarts={max_restarts}); the rules may admit no "
                          "complete layout (check that every face constraint has a block that satisfies it)")
    return Layout(np.asarray(blocks, dtype=np.int32), rules, region.reshape(shape), targets, seed, int(repairs),
                  int(restarts), bool(periodic))
