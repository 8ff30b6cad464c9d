"""Solver-driven local search from the nearest training cells: model edits and the random-flip control.

Retrieval (:func:`~voxtwin.design.selection.nearest_neighbour`) is a strong baseline when the
training set covers the label space densely. A generator can still improve on it by *editing*
the retrieved cells: :func:`local_search` starts from the ``starts`` nearest training cells of
each target, and in each of ``rounds`` rounds asks ``propose`` for ``candidates`` variations of the
current best cell (of every start in the first round), homogenizes them (:func:`select`, with
island repair), and keeps a candidate when it is connected and closer to the target in the eq. 18
error. Proposals:

- :func:`edit_proposals`: SDEdit of the cell by a fitted :class:`StiffnessDiffusion` under the
  target's condition (:meth:`StiffnessDiffusion.edit`);
- :func:`flip_proposals`: the no-model control, random voxel flips of the same cell (each voxel
  orbit of the cube's symmetry flips with probability ``rate``, so the cell stays cubic).

Both go through the same loop with the same solver budget (``rounds × candidates`` homogenizations
per target), so any gain of the edits over the flips is the model's, and any gain of both over
retrieval may be the solver-driven selection's alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate
from .._progress import progress_bar
from ..materials import Material
from .cell_dataset import CellDataset
from .cubic import cubic_cell
from .selection import Errors, errors, select

__all__ = ["SearchResult", "local_search", "edit_proposals", "flip_proposals"]

#: propose(cells uint8 [k, s, s, s], target_C [k, 3], vf [k], n, seed) -> uint8 [k, n, s, s, s]
Proposer = Callable[[np.ndarray, np.ndarray, np.ndarray, int, int], np.ndarray]


@dataclass
class SearchResult:
    """Result of :func:`local_search` for k targets.

    ``cells`` uint8 [k, s, s, s] the best connected cell found (a start cell if nothing beat it);
    ``C`` [k, 3] its C11, C12, C44 (GPa); ``errors`` its :class:`Errors`; ``history`` [rounds + 1, k]
    the incumbent's eq. 18 error after each round (row 0: the nearest training cell);
    ``evaluations`` homogenizations per target; ``connected_before`` / ``connected`` shares of the
    proposals connected as proposed / after island repair; ``changed`` mean share of voxels a
    proposal differs from the cell it came from; ``improved`` [k] whether a proposal beat the start.
    """

    cells: np.ndarray
    C: np.ndarray
    errors: Errors
    history: np.ndarray
    evaluations: int
    connected_before: float
    connected: float
    changed: float
    improved: np.ndarray


def _nearest(train: CellDataset, target_C: np.ndarray, count: int) -> np.ndarray:
    d = errors(train.C[None, :, :], target_C[:, None, :], train.ranges).eq18  # [k, N]
    return np.argsort(d, axis=1, kind="stable")[:, :count]


def local_search(propose: Proposer, train: CellDataset, target_C: np.ndarray, vf: np.ndarray | None = None, *,
                 starts: int = 4, rounds: int = 2, candidates: int = 8, materials: dict[int, Material] | None = None,
                 islands: str = "floating", seed: int = 0, device: str = "auto",
                 progress: bool = False) -> SearchResult:
    """Improve on nearest-neighbour retrieval by proposals selected with the solver.

    ``propose``: :func:`edit_proposals` (model) or :func:`flip_proposals` (control);
    ``train``: the training set (starts and the eq. 18 normaliser); ``target_C`` [k, 3] (GPa);
    ``vf`` [k] volume fractions passed to ``propose`` (None: the start cells' own); ``starts``
    nearest training cells per target seed the first round (``candidates // starts`` proposals each,
    so ``candidates`` must be a multiple of ``starts``); later rounds vary the incumbent;
    ``islands`` the repair in :func:`select`; ``device`` the solver's. Budget: ``rounds ×
    candidates`` homogenizations per target.
    """
    t = np.atleast_2d(np.asarray(target_C, dtype=np.float64))
    k = len(t)
    starts = _validate.integer("starts", starts, minimum=1)
    rounds = _validate.integer("rounds", rounds, minimum=1)
    candidates = _validate.integer("candidates", candidates, minimum=1)
    if candidates % starts:
        raise ValueError(f"`candidates` must be a multiple of `starts`, got candidates={candidates}, starts={starts}")
    seed = _validate.seed(seed)
    nn = _nearest(train, t, starts)  # [k, starts]
    cells = np.stack([train.cells(row) for row in nn])  # [k, starts, s, s, s]
    v = train.vf[nn[:, 0]] if vf is None else np.broadcast_to(np.asarray(vf, dtype=np.float64), (k,))
    best_cells = cells[:, 0].copy()
    best_C = train.C[nn[:, 0]].copy()
    best_err = errors(best_C, t, train.ranges).eq18
    history = [best_err.copy()]
    n_conn = n_conn0 = n_all = 0
    changed = []
    bar = progress_bar(rounds, desc="design search", enabled=progress, unit="round")
    try:
        for r in range(rounds):
            if r == 0:
                per = candidates // starts
                src = cells.reshape((k * starts,) + cells.shape[2:])
                props = propose(src, np.repeat(t, starts, axis=0), np.repeat(v, starts), per, seed + r)
                origin = np.repeat(src, per, axis=0).reshape((k, candidates) + src.shape[1:])
                props = props.reshape((k, candidates) + src.shape[1:])
            else:
                props = propose(best_cells, t, v, candidates, seed + r)
                origin = np.repeat(best_cells[:, None], candidates, axis=1)
            changed.append(float((props != origin).mean()))
            sel = select(props, t, materials, ranges=train.ranges, device=device, islands=islands)
            n_conn0 += int(sel.connected_before.sum())
            n_conn += int(sel.connected.sum())
            n_all += sel.connected.size
            better = sel.found & (sel.errors.eq18 < best_err)
            best_cells[better] = sel.cells[better]
            best_C[better] = sel.C[better]
            best_err = np.where(better, sel.errors.eq18, best_err)
            history.append(best_err.copy())
            bar.update(1)
    finally:
        bar.close()
    return SearchResult(cells=best_cells, C=best_C, errors=errors(best_C, t, train.ranges), history=np.stack(history),
                        evaluations=rounds * candidates, connected_before=n_conn0 / n_all, connected=n_conn / n_all,
                        changed=float(np.mean(changed)), improved=best_err < history[0])


def edit_proposals(model: Any, t_start: float = 0.3, *, steps: int | None = None, guidance: float | None = None,
                   device: str = "cpu") -> Proposer:
    """Proposals by SDEdit with a fitted :class:`StiffnessDiffusion` (``model.edit`` from ``t_start``)."""
    def propose(cells: np.ndarray, target_C: np.ndarray, vf: np.ndarray, n: int, seed: int) -> np.ndarray:
        return model.edit(cells, target_C, vf=vf, t_start=t_start, n=n, steps=steps, guidance=guidance, seed=seed,
                          device=device)

    return propose


def flip_proposals(rate: float) -> Proposer:
    """The no-model control: each voxel orbit of the cube's symmetry flips with probability ``rate``
    (so a share ``rate`` of the voxels flips on average and the cell stays cubic)."""
    p = _validate.real("rate", rate)
    if not 0.0 < p < 1.0:
        raise ValueError(f"`rate` must be in (0, 1), got rate={rate!r}")

    def propose(cells: np.ndarray, target_C: np.ndarray, vf: np.ndarray, n: int, seed: int) -> np.ndarray:
        c = np.asarray(cells)
        m = c.shape[-1] // 2
        octs = np.repeat(c[:, :m, :m, :m], n, axis=0)
        # one uniform number per orbit: every voxel reads the one at its sorted coordinates
        canon = np.ravel_multi_index(np.sort(np.indices((m, m, m)).reshape(3, -1), axis=0), (m, m, m))
        u = np.random.default_rng(seed).random((len(octs), m ** 3))[:, canon].reshape(octs.shape)
        out = np.where(u < p, 1 - octs, octs).astype(np.uint8)
        return cubic_cell(out).reshape((len(c), n) + c.shape[1:])

    return propose
