"""Training sets of cubic cells labelled by the solver: ``dataset()`` and :class:`CellDataset`.

Initial structures (seed 004 used density-based topology optimisation from trigonometric
initialisations): the ``"excursion"`` generator draws excursion sets of smooth periodic Gaussian
random fields (``voxtwin.stochastic.gaussian_field``), made cubic by averaging the field over the
cube's 48 symmetry operations before thresholding (one threshold: blobs and struts; two thresholds,
a band around the median: sheets and shells). Why this generator: it is cheap (one FFT per cell),
smooth like optimised structures (no voxel noise), covers volume fractions and topologies
continuously through the correlation lengths and the threshold rule, and every cell is cubic by
construction. Cells whose solid is not one face-connected periodic cluster are dropped
(:func:`~voxtwin.design.cubic.is_connected`), as seed 004 drops disconnected generations.

Labels: C11, C12, C44 (GPa) of the cubic effective stiffness from
:func:`voxtwin.homogenize_cells` with ``symmetry="cubic"`` (two load cases per cell) and the solid
volume fraction. Stored in zarr: octants (uint8 [N, m, m, m], 1 = solid), C [N, 3], vf [N],
the materials as 6×6 stiffnesses and the generator settings in the attributes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate
from .._progress import progress_bar
from ..materials import VOID, Isotropic, Material
from ..simulate_batch import homogenize_cells
from ..stochastic import gaussian_field
from .cubic import cubic_cell, is_connected, permutation_average

__all__ = ["CellDataset", "dataset", "label", "excursion_octants", "default_materials", "CONSTANTS"]

#: The independent constants of a cubic stiffness, in the order of ``CellDataset.C``.
CONSTANTS = ("C11", "C12", "C44")
SOLID = 1


def default_materials() -> dict[int, Material]:
    """Void (label 0) and a unit base material (label 1: E = 1 GPa, ν = 0.3): moduli then read in
    units of the base material's Young's modulus, as seed 004 reports them."""
    return {0: VOID, 1: Isotropic(E=1.0, nu=0.3, name="base")}


@dataclass
class CellDataset:
    """Cubic cells and their labels.

    ``octants`` uint8 [N, m, m, m] (1 = solid; the cell is ``cubic_cell(octant)``, size 2m);
    ``C`` [N, 3] C11, C12, C44 in GPa; ``vf`` [N] solid volume fraction; ``connected`` [N] bool;
    ``materials_C`` {label: 6×6 GPa} of the materials used; ``info`` generator settings.
    """

    octants: np.ndarray
    C: np.ndarray
    vf: np.ndarray
    connected: np.ndarray
    materials_C: dict[int, np.ndarray] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.octants)

    @property
    def size(self) -> int:
        """Voxels per axis of the full cell."""
        return 2 * self.octants.shape[-1]

    def cells(self, index: Any = slice(None)) -> np.ndarray:
        """Full cells uint8 [k, n, n, n] of the selected entries."""
        return cubic_cell(self.octants[index])

    @property
    def ranges(self) -> np.ndarray:
        """[3, 2] min and max of C11, C12, C44 over the set: the normaliser of eq. 18 (seed 004)."""
        return np.stack([self.C.min(axis=0), self.C.max(axis=0)], axis=1)

    def subset(self, index: Any) -> CellDataset:
        """The entries ``index`` (array of indices or mask), same materials and info."""
        return CellDataset(self.octants[index], self.C[index], self.vf[index], self.connected[index],
                           dict(self.materials_C), dict(self.info))

    def concat(self, other: CellDataset) -> CellDataset:
        """This set followed by ``other`` (same cell size)."""
        if other.octants.shape[1:] != self.octants.shape[1:]:
            raise ValueError(f"`other` holds cells of size {other.size}, this set {self.size}")
        return CellDataset(np.concatenate([self.octants, other.octants]), np.concatenate([self.C, other.C]),
                           np.concatenate([self.vf, other.vf]), np.concatenate([self.connected, other.connected]),
                           dict(self.materials_C), dict(self.info))

    def materials(self) -> dict[int, Material]:
        """The materials as ``{label: Material}`` (void for an all-zero stiffness)."""
        from ..materials import Anisotropic

        return {k: VOID if not np.any(C) else Anisotropic(C) for k, C in self.materials_C.items()}

    # ------------------------------------------------------------------ storage
    def to_zarr(self, path: str | os.PathLike[str]) -> None:
        """Write the set to a zarr v3 group (overwrites)."""
        import zarr
        from zarr.codecs import BloscCodec

        attrs = {"materials_C": {str(k): np.asarray(v).tolist() for k, v in self.materials_C.items()},
                 "info": self.info, "constants": list(CONSTANTS), "kind": "voxtwin.design.CellDataset"}
        root = zarr.open_group(os.fspath(path), mode="w", zarr_format=3, attributes=attrs)
        comp = BloscCodec(cname="zstd", clevel=5, shuffle="bitshuffle")
        n = max(len(self), 1)
        root.create_array("octants", shape=self.octants.shape, chunks=(min(n, 4096),) + self.octants.shape[1:],
                          dtype="uint8", compressors=comp)[...] = self.octants
        for name, arr in (("C", self.C), ("vf", self.vf), ("connected", self.connected.astype(np.uint8))):
            root.create_array(name, shape=arr.shape, chunks=arr.shape, dtype=arr.dtype, compressors=comp)[...] = arr

    @classmethod
    def from_zarr(cls, path: str | os.PathLike[str]) -> CellDataset:
        """Read a set written by :meth:`to_zarr` (ValueError when the group is not one)."""
        import zarr

        root = zarr.open_group(os.fspath(path), mode="r")
        if root.attrs.get("kind") != "voxtwin.design.CellDataset":
            raise ValueError(f"`path` is not a voxtwin design dataset (zarr group without kind attribute): {os.fspath(path)!r}")
        mats = {int(k): np.asarray(v) for k, v in root.attrs["materials_C"].items()}
        return cls(np.asarray(root["octants"][...]), np.asarray(root["C"][...]), np.asarray(root["vf"][...]),
                   np.asarray(root["connected"][...]).astype(bool), mats, dict(root.attrs.get("info", {})))

    def to_npz(self, path: str | os.PathLike[str]) -> None:
        """Compact fixture: octants bit-packed (one bit per voxel), labels in float32, compressed."""
        mats = np.stack([self.materials_C[k] for k in sorted(self.materials_C)]) if self.materials_C else np.zeros((0, 6, 6))
        np.savez_compressed(os.fspath(path), bits=np.packbits(self.octants.astype(bool), axis=None),
                            shape=np.array(self.octants.shape), C=self.C.astype(np.float32), vf=self.vf.astype(np.float32),
                            connected=self.connected, labels=np.array(sorted(self.materials_C)), materials=mats,
                            info=np.array(repr(self.info)))

    @classmethod
    def from_npz(cls, path: str | os.PathLike[str]) -> CellDataset:
        """Read a fixture written by :meth:`to_npz`."""
        import ast

        with np.load(os.fspath(path)) as z:
            shape = tuple(int(s) for s in z["shape"])
            octs = np.unpackbits(z["bits"], count=int(np.prod(shape))).reshape(shape).astype(np.uint8)
            mats = {int(k): np.asarray(C, dtype=np.float64) for k, C in zip(z["labels"], z["materials"])}
            return cls(octs, z["C"].astype(np.float64), z["vf"].astype(np.float64), z["connected"].astype(bool), mats,
                       ast.literal_eval(str(z["info"])))


# ---------------------------------------------------------------------- generator


def excursion_octants(n: int, size: int = 16, seed: int = 0, vf: tuple[float, float] = (0.2, 0.8),
                      lengths: tuple[float, float] = (1.0, 4.0), band: float = 0.5) -> np.ndarray:
    """``n`` permutation-symmetric corner octants (uint8 [n, size/2, size/2, size/2], 1 = solid).

    Each: a periodic Gaussian field of ``size``³ with correlation lengths drawn per axis from
    ``lengths`` (voxels), averaged over the 8 mirror images (``x → size − 1 − x`` per axis) and the 6
    axis permutations, then thresholded to a volume fraction drawn from ``vf``: above one threshold,
    or (probability ``band``) inside a band around the median (two thresholds).
    """
    n = _validate.integer("n", n, minimum=1)
    size = _validate.integer("size", size, minimum=4)
    if size % 2:
        raise ValueError(f"`size` must be even (a cell is its octant mirrored), got size={size}")
    lo, hi = (_validate.fraction("vf", v) for v in vf)
    if lo > hi:
        raise ValueError(f"`vf` must be (low, high) with low <= high, got vf={vf!r}")
    rng = np.random.default_rng(_validate.seed(seed))
    m = size // 2
    out = np.empty((n, m, m, m), dtype=np.uint8)
    for i in range(n):
        ls = rng.uniform(*lengths, size=3)
        f = gaussian_field((size, size, size), ls, seed, stream=i).astype(np.float64)
        f = f + f[::-1]
        f = f + f[:, ::-1]
        f = f + f[:, :, ::-1]
        o = permutation_average(f[:m, :m, :m])
        target = rng.uniform(lo, hi)
        if rng.random() < band:
            o = -np.abs(o - np.median(o))
        thr = np.quantile(o, 1.0 - target)
        out[i] = o > thr
    # the quantile threshold is permutation-invariant, so the octants stay symmetric exactly
    return out


def dataset(generator: str | Callable[[int, int, int], np.ndarray] = "excursion", n: int = 2000,
            materials: dict[int, Material] | None = None, symmetry: str = "cubic", device: str = "auto", *,
            size: int = 16, seed: int = 0, path: str | os.PathLike[str] | None = None, tol: float = 1e-5,
            connected_only: bool = True, max_rounds: int = 10, progress: bool = True, **generator_options: Any) -> CellDataset:
    """Build and label a training set of ``n`` cubic cells of ``size``³ voxels.

    ``generator``: ``"excursion"`` (:func:`excursion_octants`, options passed through) or a callable
    ``(count, size, seed) -> octants`` (uint8 [count, size/2, size/2, size/2], permutation-symmetric,
    1 = solid); ``materials`` ``{0: void, 1: solid}`` (default :func:`default_materials`);
    ``symmetry`` must be ``"cubic"`` (the labels are C11, C12, C44); ``device`` of the solver;
    ``connected_only`` draws more cells until ``n`` connected ones are found (at most ``max_rounds``
    rounds, then RuntimeError); ``path`` writes the set to zarr. Labels from
    :func:`voxtwin.homogenize_cells` (tolerance ``tol``).
    """
    n = _validate.integer("n", n, minimum=1)
    _validate.choice("symmetry", symmetry, ("cubic",))
    mats = default_materials() if materials is None else materials
    if isinstance(generator, str):
        _validate.choice("generator", generator, ("excursion",))
        gen: Callable[[int, int, int], np.ndarray] = lambda k, s, sd: excursion_octants(k, s, sd, **generator_options)
    elif callable(generator):
        gen = generator
    else:
        raise TypeError(f"`generator` must be 'excursion' or a callable (count, size, seed) -> octants, got {generator!r}")
    kept: list[np.ndarray] = []
    found = 0
    bar = progress_bar(n, desc="design dataset: cells", enabled=progress, unit="cell")
    try:
        for r in range(max_rounds):
            want = n - found
            octs = np.asarray(gen(int(want * (1.3 if connected_only else 1.0)) + 1, size, seed + 7919 * r), dtype=np.uint8)
            if octs.ndim != 4 or octs.shape[1:] != (size // 2,) * 3:
                raise ValueError(f"`generator` must return octants [count, {size // 2}, {size // 2}, {size // 2}], got shape {octs.shape}")
            if connected_only:
                octs = octs[is_connected(cubic_cell(octs), SOLID)]
            octs = octs[:want]
            kept.append(octs)
            found += len(octs)
            bar.update(len(octs))
            if found >= n:
                break
    finally:
        bar.close()
    if found < n:
        raise RuntimeError(f"dataset: only {found} of n={n} connected cells after max_rounds={max_rounds}; "
                           "widen the generator's volume fractions or raise max_rounds")
    octs = np.concatenate(kept)
    return label(octs, mats, device=device, tol=tol, path=path, progress=progress,
                 info={"generator": generator if isinstance(generator, str) else getattr(generator, "__name__", "callable"),
                       "seed": int(seed), "size": int(size), **{k: repr(v) for k, v in generator_options.items()}})


def label(octants: np.ndarray, materials: dict[int, Material], *, device: str = "auto", tol: float = 1e-5,
          path: str | os.PathLike[str] | None = None, progress: bool = True,
          info: dict[str, Any] | None = None) -> CellDataset:
    """Homogenize cubic cells given by their octants and return them as a labelled :class:`CellDataset`."""
    res = homogenize_cells(cubic_cell(octants), materials, tol=tol, device=device, symmetry="cubic", progress=progress)
    ds = labelled(octants, res.cubic, res.converged, materials, tol=tol, info=info)
    if path is not None:
        ds.to_zarr(path)
    return ds


def labelled(octants: np.ndarray, C: np.ndarray, converged: np.ndarray, materials: dict[int, Material], *,
             tol: float, info: dict[str, Any] | None = None) -> CellDataset:
    """A :class:`CellDataset` of cells whose C11, C12, C44 (GPa) the solver has already computed at
    ``tol`` (``converged`` [N] its flags): what :func:`label` returns without solving again."""
    cells = cubic_cell(octants)
    vf = (octants == SOLID).mean(axis=(1, 2, 3))
    return CellDataset(np.ascontiguousarray(octants, dtype=np.uint8), np.asarray(C, dtype=np.float64), vf,
                       is_connected(cells, SOLID), {int(k): np.asarray(m.C, dtype=np.float64) for k, m in materials.items()},
                       dict(info or {}, solver_tol=float(tol), unconverged=int((~np.asarray(converged)).sum())))

