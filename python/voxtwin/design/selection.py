"""Selection of generated cells, the errors of seed 004, the retrieval control and one
generate–filter–retrain round.

Errors per target and constant i ∈ {C11, C12, C44}:
- eq. 18 of seed 004: |C_i^target − C_i^gen| / (C_i^max − C_i^min), the range over the training
  set, averaged over the three constants;
- relative: |C_i^target − C_i^gen| / |C_i^target|.

The control a generator must beat (:func:`nearest_neighbour`): retrieve, for each target, the
training cell whose label is closest to it in the eq. 18 distance; its error is the distance from
the target to the training set.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate
from ..materials import Material
from ..simulate_batch import homogenize_cells
from .cell_dataset import SOLID, CellDataset, default_materials, labelled
from .cubic import bridge_hinges, is_connected, octant, remove_islands

__all__ = ["Errors", "Selection", "errors", "select", "nearest_neighbour", "refine"]


@dataclass
class Errors:
    """``eq18`` [k] (mean over the constants), ``eq18_per`` [k, 3] and ``relative_per`` [k, 3]
    (C11, C12, C44), all as fractions (0.05 = 5 %)."""

    eq18: np.ndarray
    eq18_per: np.ndarray
    relative_per: np.ndarray

    def summary(self) -> dict[str, float]:
        """Means over the targets (fractions)."""
        out = {"eq18": float(self.eq18.mean())}
        for i, name in enumerate(("C11", "C12", "C44")):
            out[f"eq18_{name}"] = float(self.eq18_per[:, i].mean())
            out[f"relative_{name}"] = float(self.relative_per[:, i].mean())
        return out


def errors(C_gen: np.ndarray, C_target: np.ndarray, ranges: np.ndarray) -> Errors:
    """Errors of C_gen [..., 3] against C_target [..., 3] (GPa); ``ranges`` [3, 2] min/max per constant."""
    g = np.asarray(C_gen, dtype=np.float64)
    t = np.asarray(C_target, dtype=np.float64)
    r = np.asarray(ranges, dtype=np.float64)
    if g.shape[-1] != 3 or t.shape[-1] != 3 or r.shape != (3, 2):
        raise ValueError(f"`C_gen` and `C_target` must end in 3 constants and `ranges` be [3, 2], got shapes "
                         f"{g.shape}, {t.shape}, {r.shape}")
    span = r[:, 1] - r[:, 0]
    if np.any(span <= 0):
        raise ValueError(f"`ranges` must have max > min for every constant, got ranges={r.tolist()}")
    diff = np.abs(g - t)
    per = diff / span
    rel = diff / np.maximum(np.abs(t), np.finfo(float).tiny)
    return Errors(per.mean(axis=-1), per, rel)


@dataclass
class Selection:
    """Result of :func:`select` for k targets with n candidates each.

    ``cells`` uint8 [k, size, size, size] the best connected candidate per target (the best of all
    when none is connected: ``found`` False); ``C`` [k, 3] its C11, C12, C44 (GPa); ``errors`` its
    :class:`Errors`; ``candidate_C`` [k, n, 3], ``candidate_eq18`` [k, n], ``connected`` [k, n];
    ``index`` [k] the chosen candidate; ``connected_before`` [k, n] connectivity of the samples as
    given and ``removed`` [k, n] the solid voxels :func:`~voxtwin.design.cubic.remove_islands` took
    away (both equal to ``connected`` and 0 with ``islands="keep"``), ``added`` [k, n] the void
    voxels :func:`~voxtwin.design.cubic.bridge_hinges` filled (0 with ``hinges="keep"``);
    ``candidates`` uint8 [k, n, size, size, size] the cells as solved (repaired unless both repairs
    are "keep"); ``converged`` [k, n] the solver's flags (True for an empty cell: nothing to solve).
    """

    cells: np.ndarray
    C: np.ndarray
    errors: Errors
    candidate_C: np.ndarray
    candidate_eq18: np.ndarray
    connected: np.ndarray
    index: np.ndarray
    found: np.ndarray
    connected_before: np.ndarray
    removed: np.ndarray
    added: np.ndarray
    candidates: np.ndarray
    converged: np.ndarray

    @property
    def connected_fraction(self) -> float:
        """Share of all candidates that are connected."""
        return float(self.connected.mean())

    @property
    def connected_fraction_before(self) -> float:
        """Share of the candidates, as given (before any island repair), that are connected."""
        return float(self.connected_before.mean())


def select(samples: np.ndarray, target_C: np.ndarray, materials: dict[int, Material] | None = None, *,
           ranges: np.ndarray, device: str = "auto", tol: float = 1e-5, islands: str = "keep",
           hinges: str = "keep", progress: bool = False) -> Selection:
    """Homogenize candidate cells, drop disconnected ones and return the best per target.

    ``samples`` uint8 [k, n, s, s, s] (or [n, s, s, s] for one target) of cubic cells (1 = solid);
    ``target_C`` [k, 3] (C11, C12, C44 GPa); ``materials`` as for the training set (default
    :func:`~voxtwin.design.cell_dataset.default_materials`); ``ranges`` [3, 2] the eq. 18
    normaliser (``dataset.ranges``). Candidates are ranked by the eq. 18 error.

    ``islands``: what to do before the connectivity filter and the solver with solid that is not
    part of the load-bearing body (:func:`~voxtwin.design.cubic.remove_islands`): ``"keep"``
    nothing (the candidates as generated); ``"floating"`` remove the solid clusters that do not
    wrap around the periodic cell and touch nothing else, not even at a corner (they carry no load:
    C is unchanged); ``"largest"`` keep only the largest face-connected cluster (seed 004's repair;
    can drop load-bearing solid and change C). ``hinges``, after that: ``"keep"`` nothing;
    ``"bridge"`` join solid pieces that touch only along an edge or at a corner by filling the void
    voxels that make the contact a face (:func:`~voxtwin.design.cubic.bridge_hinges`; adds solid,
    so C changes: the bridged cell is the one homogenized). The returned cells are the repaired ones.
    """
    _validate.choice("islands", islands, ("keep", "floating", "largest"))
    _validate.choice("hinges", hinges, ("keep", "bridge"))
    s = np.asarray(samples)
    t = np.atleast_2d(np.asarray(target_C, dtype=np.float64))
    if s.ndim == 4:
        s = s[None]
    if s.ndim != 5 or s.shape[0] != t.shape[0]:
        raise ValueError(f"`samples` must be [k, n, s, s, s] with k = len(target_C) = {t.shape[0]}, got shape {np.shape(samples)}")
    k, n = s.shape[:2]
    flat = np.ascontiguousarray(s.reshape((k * n,) + s.shape[2:]), dtype=np.uint8)
    mats = default_materials() if materials is None else materials
    conn_before = is_connected(flat, SOLID)
    removed = np.zeros(k * n, dtype=np.int64)
    if islands != "keep":
        flat, removed = remove_islands(flat, SOLID, keep="wrapping" if islands == "floating" else "largest")
    added = np.zeros(k * n, dtype=np.int64)
    if hinges == "bridge":
        flat, added = bridge_hinges(flat, SOLID)
    s = flat.reshape(s.shape)
    conn = is_connected(flat, SOLID) if removed.any() or added.any() else conn_before
    solid = flat.reshape(k * n, -1).any(axis=1)
    C = np.zeros((k * n, 3))
    converged = np.ones(k * n, dtype=bool)
    if solid.any():
        res = homogenize_cells(flat[solid], mats, tol=tol, device=device, symmetry="cubic", progress=progress)
        C[solid], converged[solid] = res.cubic, res.converged
    C = C.reshape(k, n, 3)
    conn = conn.reshape(k, n)
    err = errors(C, t[:, None, :], ranges).eq18
    ranked = np.where(conn, err, np.inf)
    found = np.isfinite(ranked).any(axis=1)
    best = np.where(found, np.argmin(ranked, axis=1), np.argmin(err, axis=1))
    rows = np.arange(k)
    Cb = C[rows, best]
    return Selection(cells=s[rows, best], C=Cb, errors=errors(Cb, t, ranges), candidate_C=C, candidate_eq18=err,
                     connected=conn, index=best, found=found, connected_before=conn_before.reshape(k, n),
                     removed=removed.reshape(k, n), added=added.reshape(k, n), candidates=s,
                     converged=converged.reshape(k, n))


def nearest_neighbour(train: CellDataset, target_C: np.ndarray, ranges: np.ndarray | None = None) -> tuple[np.ndarray, Errors]:
    """The retrieval control: per target the training entry nearest in the eq. 18 distance.

    Returns (indices into ``train`` [k], their :class:`Errors` against the targets)."""
    t = np.atleast_2d(np.asarray(target_C, dtype=np.float64))
    r = train.ranges if ranges is None else np.asarray(ranges)
    d = errors(train.C[None, :, :], t[:, None, :], r).eq18  # [k, N]
    idx = np.argmin(d, axis=1)
    return idx, errors(train.C[idx], t, r)


def refine(model: Any, train: CellDataset, targets: np.ndarray, vf: np.ndarray | None = None, *, n: int = 4,
           epochs: int = 10, materials: dict[int, Material] | None = None, seed: int = 0, device: str = "cpu",
           solver_device: str = "auto", tol: float = 1e-5, progress: bool = False) -> tuple[CellDataset, Selection]:
    """One generate–filter–retrain round (seed 004, §3.1 "Data expansion").

    Generates ``n`` cells per target with ``model`` (a fitted :class:`StiffnessDiffusion`), labels
    them with the solver (one homogenization per cell: the selection's C are the labels), keeps the
    connected ones (seed 004's filter), adds them to ``train`` and continues training ``model`` on
    the union for ``epochs`` epochs; ``tol`` the solver's relative residual, as for :func:`select`
    and :func:`~voxtwin.design.cell_dataset.label`. Returns (the enlarged training set, the
    selection of this round's samples). One round on the issue-18 acceptance set did not improve the generator
    (benchmarks/RESULTS.md, "Issue 18").
    """
    mats = default_materials() if materials is None else materials
    t = np.atleast_2d(np.asarray(targets, dtype=np.float64))
    samples = model.sample(t, vf=vf, n=n, seed=seed, device=device)
    sel = select(samples, t, mats, ranges=train.ranges, device=solver_device, tol=tol, progress=progress)
    flat = samples.reshape((-1,) + samples.shape[2:])
    keep = sel.connected.reshape(-1)
    if keep.any():
        new = labelled(octant(flat[keep]), sel.candidate_C.reshape(-1, 3)[keep], sel.converged.reshape(-1)[keep], mats,
                       tol=tol, info=dict(train.info, refined_from=len(train)))
        train = train.concat(new)
    model.fit(train, seed=seed + 1, device=device, epochs=epochs, progress=progress)
    return train, sel
