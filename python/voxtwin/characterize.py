"""Step 3 of the pipeline: individual fibres of a segmented volume and their statistics.

``characterize(labels, voxel_size)`` finds every fibre of the fibre phase (touching fibres
separated, see :mod:`voxtwin._fibre_instances`) and measures it:

- **centre**: centroid of its voxels (µm; voxel ``[i, j, k]`` is the cube whose centre lies at
  ``((i, j, k) + 0.5) * voxel_size``);
- **direction**: principal axis of its voxels (unit vector, sign chosen with z >= 0);
- **length**: the longest chord along that axis -- the extent of the voxel centres' projections
  plus the mean spacing of the distinct projections at both ends (one voxel for an axis-aligned
  fibre, whose end caps sit on whole voxel layers; ~0 for a generic direction);
- **diameter**: twice the inscribed radius along the medial axis -- per one-voxel slice along
  the axis the largest distance-transform value (the centre of the largest inscribed sphere),
  median over the central 70 % of the slices, plus the calibrated offset
  ``EDT_RADIUS_OFFSET`` (0.22 voxel) by which that value underestimates a rasterized radius;
- **volume**: voxel count x voxel volume; **cut**: the fibre touches the volume boundary (its
  length is then a lower bound), or, in a periodic volume, wraps onto itself.

Fibres are assumed straight: a curved fibre is reported as its straight segments.

Periodic volumes (``periodic=True``, e.g. a generated unit twin, whose fibres wrap across faces)
are treated as a torus: distances wrap, a fibre crossing a face is measured whole, nothing is
cut. A scan is not periodic (the default): fibres crossing its faces are flagged ``cut``, and
``length`` / ``diameter`` report only the complete fibres. Compare like with like.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy import ndimage as ndi

from . import _validate
from ._plot import pyplot
from ._fibre_instances import EDT_RADIUS_OFFSET, identify_fibres
from .orientation import orientation_tensor
from .phases import phase_fractions

__all__ = [
    "FibreStatistics",
    "GaussianFit",
    "OrientationProfile",
    "characterize",
    "match_instances",
    "principal_direction",
    "PARAMETERS",
    "EDT_RADIUS_OFFSET",
]

# Per-fibre parameters that ``FibreStatistics.samples`` knows (units in the docstring there).
PARAMETERS = ("diameter", "length", "aspect_ratio", "polar_angle", "azimuth", "misalignment", "volume_fraction")

FIBRE_DTYPE = np.dtype([
    ("id", np.uint32),
    ("centre", np.float64, (3,)),
    ("direction", np.float64, (3,)),
    ("length", np.float64),
    ("diameter", np.float64),
    ("volume", np.float64),
    ("n_voxels", np.int64),
    ("cut", np.bool_),
])

# Central part of a fibre over which the inscribed radius is taken: the end caps are thinner.
_CORE_FRACTION = 0.7
# A piece cut off by the boundary has a trustworthy axis once it is this many diameters long;
# shorter stubs (often shorter than wide) point anywhere and would fatten the angle statistics.
_RELIABLE_ASPECT = 3.0
# Projection values closer than this (voxels) count as one layer when measuring the end spacing.
_SAME_LAYER = 1e-6


@dataclass(frozen=True)
class GaussianFit:
    """Maximum-likelihood normal fit of a sample: ``mean``, ``std`` (ddof=0), sample size ``n``."""

    mean: float
    std: float
    n: int

    def pdf(self, x: np.ndarray) -> np.ndarray:
        """The fitted probability density at ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if self.std <= 0:
            return np.where(x == self.mean, np.inf, 0.0)
        z = (x - self.mean) / self.std
        return np.exp(-0.5 * z * z) / (self.std * math.sqrt(2.0 * math.pi))


def gaussian_fit(samples: np.ndarray) -> GaussianFit:
    """Normal fit by maximum likelihood (mean and population standard deviation)."""
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        return GaussianFit(float("nan"), float("nan"), 0)
    return GaussianFit(float(x.mean()), float(x.std()), int(x.size))


@dataclass(frozen=True)
class OrientationProfile:
    """Orientation and fibre content along one axis (seed 000, Fig. 6d / S29).

    ``position`` (µm): bin centres; ``a11``, ``a22``, ``a33``: diagonal of the volume-weighted
    orientation tensor of the fibre voxels in each bin (NaN where a bin has no fibre);
    ``fibre_fraction``: fibre-phase voxels / voxels per bin.
    """

    axis: int
    position: np.ndarray
    a11: np.ndarray
    a22: np.ndarray
    a33: np.ndarray
    fibre_fraction: np.ndarray

    def plot(self, ax: Any = None) -> Any:
        """Plot a11, a22, a33 and the fibre fraction against position (matplotlib, ``viz`` extra)."""
        plt = pyplot()
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        for name in ("a11", "a22", "a33"):
            ax.plot(self.position, getattr(self, name), label=name)
        ax.plot(self.position, self.fibre_fraction, "k--", label="fibre fraction")
        ax.set_xlabel(f"position along {'xyz'[self.axis]} (µm)")
        ax.set_ylim(0.0, 1.0)
        ax.legend()
        return ax


def _orientation_tensor(directions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Volume-weighted a_ij of the fibres (zeros when there is no fibre to average)."""
    if len(directions) == 0:
        return np.zeros((3, 3))
    return orientation_tensor(directions, weights)


def _hemisphere(d: np.ndarray) -> np.ndarray:
    """Flip unit vectors (rows) into z > 0, then y > 0, then x > 0 where a component is zero."""
    sign = np.sign(d[:, 2])
    sign = np.where(sign == 0, np.sign(d[:, 1]), sign)
    sign = np.where(sign == 0, np.sign(d[:, 0]), sign)
    sign = np.where(sign == 0, 1.0, sign)
    return d * sign[:, None]


def _angle_deg(d: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Angle in degrees [0, 90] between undirected axes (rows of d) and a reference axis."""
    c = np.clip(np.abs(d @ reference), 0.0, 1.0)
    return np.degrees(np.arccos(c))


def principal_direction(a: np.ndarray) -> np.ndarray:
    """Eigenvector of the largest eigenvalue of an orientation tensor (z >= 0)."""
    _, vec = np.linalg.eigh(np.asarray(a, dtype=np.float64))
    return _hemisphere(vec[:, 2][None, :])[0]


class FibreStatistics:
    """The "data cloud" of a segmented volume: per-fibre table and derived statistics.

    Attributes: ``fibres`` (structured array, one row per fibre: id, centre (µm, 3), direction
    (unit, 3), length (µm), diameter (µm), volume (µm³), n_voxels, cut), ``instances`` (uint32
    volume, 0 = no fibre, else the fibre's id), ``voxel_size`` (µm), ``shape``, ``periodic``,
    ``fibre_label``, ``volume_fractions`` ({phase label: fraction}), ``orientation_tensor``
    (volume-weighted over all fibres, 3x3).
    Built by :func:`characterize`; ``fibre_phase`` is the boolean fibre-phase mask (fibres and
    fragments too small to be one), kept for fractions per block and slab.
    """

    def __init__(self, fibres: np.ndarray, instances: np.ndarray, fibre_phase: np.ndarray,
                 volume_fractions: Mapping[int, float], voxel_size: float, periodic: bool, fibre_label: int) -> None:
        self.fibres = fibres
        self.instances = instances
        self._fibre_phase = fibre_phase
        self.volume_fractions = dict(volume_fractions)
        self.voxel_size = float(voxel_size)
        self.periodic = bool(periodic)
        self.fibre_label = int(fibre_label)
        self.shape = tuple(int(n) for n in instances.shape)
        self.orientation_tensor = _orientation_tensor(fibres["direction"], fibres["volume"])

    # ---- per-fibre arrays -------------------------------------------------------------
    @property
    def n_fibres(self) -> int:
        """Number of fibres found (cut ones included)."""
        return int(len(self.fibres))

    @property
    def complete(self) -> np.ndarray:
        """Rows of ``fibres`` not cut by the volume boundary."""
        return self.fibres[~self.fibres["cut"]]

    @property
    def diameter(self) -> np.ndarray:
        """Diameters of the complete (uncut) fibres, µm."""
        return self.complete["diameter"].copy()

    @property
    def length(self) -> np.ndarray:
        """Lengths of the complete (uncut) fibres, µm."""
        return self.complete["length"].copy()

    @property
    def reliable_axis(self) -> np.ndarray:
        """Rows of ``fibres`` whose direction counts in angle statistics: complete fibres, and cut
        ones at least three diameters long."""
        f = self.fibres
        return ~f["cut"] | (f["length"] >= _RELIABLE_ASPECT * f["diameter"])

    @property
    def fibre_fraction(self) -> float:
        """Volume fraction of the fibre phase."""
        return float(self.volume_fractions.get(self.fibre_label, 0.0))

    @property
    def principal_direction(self) -> np.ndarray:
        """Main fibre axis: eigenvector of the largest eigenvalue of ``orientation_tensor``."""
        return principal_direction(self.orientation_tensor)

    def samples(self, parameter: str, reference: Sequence[float] | np.ndarray | None = None,
                n_blocks: int | Sequence[int] = 4) -> np.ndarray:
        """Samples of one measurable parameter, for fits and the similarity index.

        ``diameter``, ``length`` (µm) and ``aspect_ratio`` (length/diameter) over the complete
        fibres; ``polar_angle`` (degrees from +z, [0, 90]), ``azimuth`` (degrees in the xy plane,
        [0, 180)) and ``misalignment`` (degrees between each fibre and ``reference``, default
        :attr:`principal_direction`) over the fibres with a reliable axis: the complete ones and
        the cut ones at least three diameters long (a stub cut off by a face has none);
        ``volume_fraction``: fibre fraction of each of ``n_blocks`` subset blocks per axis.
        """
        _validate.choice("parameter", parameter, PARAMETERS)
        if parameter in ("diameter", "length"):
            return getattr(self, parameter)
        if parameter == "aspect_ratio":
            c = self.complete
            return c["length"] / c["diameter"]
        d = self.fibres["direction"][self.reliable_axis]
        if parameter == "polar_angle":
            return np.degrees(np.arccos(np.clip(np.abs(d[:, 2]), 0.0, 1.0)))
        if parameter == "azimuth":
            return np.mod(np.degrees(np.arctan2(d[:, 1], d[:, 0])), 180.0)
        if parameter == "misalignment":
            ref = self.principal_direction if reference is None else _validate.vector3(
                "reference", reference, unit_length=True)
            return _angle_deg(d, ref)
        return self.block_fibre_fractions(n_blocks).reshape(-1)

    def gaussian_fit(self, parameter: str) -> GaussianFit:
        """Maximum-likelihood normal fit of :meth:`samples` ``(parameter)``."""
        return gaussian_fit(self.samples(parameter))

    # ---- voxel-level statistics -------------------------------------------------------
    def _voxel_directions(self) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
        coords = np.nonzero(self.instances)
        ids = self.instances[coords]
        lookup = np.zeros((int(self.fibres["id"].max(initial=0)) + 1, 3))
        lookup[self.fibres["id"]] = self.fibres["direction"]
        return coords, lookup[ids]

    def _blocks(self, n_blocks: int | Sequence[int]) -> tuple[int, int, int]:
        if isinstance(n_blocks, (int, np.integer)) and not isinstance(n_blocks, bool):
            n_blocks = (int(n_blocks),) * 3
        nb = _validate.shape3("n_blocks", tuple(n_blocks) if isinstance(n_blocks, Sequence) else n_blocks)
        for a, (b, n) in enumerate(zip(nb, self.shape)):
            if b > n:
                raise ValueError(f"`n_blocks[{a}]` must be <= the volume size {n}, got n_blocks={n_blocks!r}")
        return nb

    def _block_index(self, coords: tuple[np.ndarray, ...], nb: tuple[int, int, int]) -> np.ndarray:
        idx = [np.minimum(c * b // n, b - 1) for c, b, n in zip(coords, nb, self.shape)]
        return np.ravel_multi_index(idx, nb)

    def block_orientation_tensors(self, n_blocks: int | Sequence[int] = 4) -> np.ndarray:
        """Orientation tensor of each subset block: array (bx, by, bz, 3, 3).

        The volume is cut into ``n_blocks`` blocks per axis (as equal as the size allows); in
        each, a_ij is the average of p_i p_j over its fibre voxels (volume weighting), NaN where a
        block holds no identified fibre.
        """
        nb = self._blocks(n_blocks)
        coords, p = self._voxel_directions()
        block = self._block_index(coords, nb)
        size = int(np.prod(nb))
        count = np.bincount(block, minlength=size).astype(np.float64)
        out = np.empty((size, 3, 3))
        for i in range(3):
            for j in range(i, 3):
                out[:, i, j] = out[:, j, i] = np.bincount(block, weights=p[:, i] * p[:, j], minlength=size)
        with np.errstate(invalid="ignore", divide="ignore"):
            out /= count[:, None, None]
        return out.reshape(*nb, 3, 3)

    def block_fibre_fractions(self, n_blocks: int | Sequence[int] = 4) -> np.ndarray:
        """Fibre-phase volume fraction of each subset block (bx, by, bz), from the fibre instances
        plus fibre voxels too small to be a fibre (they are still fibre phase)."""
        nb = self._blocks(n_blocks)
        block_of = [np.minimum(np.arange(n) * b // n, b - 1) for n, b in zip(self.shape, nb)]
        fibre = self._fibre_phase.astype(np.int64)
        for axis in range(3):   # sum over the layers of each block, one axis after the other
            starts = np.flatnonzero(np.diff(np.r_[-1, block_of[axis]]))
            fibre = np.add.reduceat(fibre, starts, axis=axis)
        sizes = [np.bincount(b).astype(np.float64) for b in block_of]
        return fibre / np.einsum("i,j,k->ijk", *sizes)

    def profile(self, axis: int | str = 0, n_bins: int = 20) -> OrientationProfile:
        """a11, a22, a33 and the fibre fraction in ``n_bins`` slabs along ``axis`` (0/'x', 1/'y', 2/'z')."""
        ax = {"x": 0, "y": 1, "z": 2}.get(axis, axis) if isinstance(axis, str) else axis
        ax = _validate.integer("axis", ax)
        if ax not in (0, 1, 2):
            raise ValueError(f"`axis` must be 0, 1, 2 or 'x', 'y', 'z', got axis={axis!r}")
        n = self.shape[ax]
        nbins = _validate.integer("n_bins", n_bins, minimum=1)
        if nbins > n:
            raise ValueError(f"`n_bins` must be <= the volume size along axis {ax} ({n}), got n_bins={n_bins!r}")
        coords, p = self._voxel_directions()
        b = np.minimum(coords[ax] * nbins // n, nbins - 1)
        count = np.bincount(b, minlength=nbins).astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            diag = [np.bincount(b, weights=p[:, i] ** 2, minlength=nbins) / count for i in range(3)]
        slab = np.minimum(np.arange(n) * nbins // n, nbins - 1)
        other = tuple(a for a in range(3) if a != ax)
        fibre_per_layer = self._fibre_phase.sum(axis=other)
        per_bin = np.bincount(slab, weights=fibre_per_layer, minlength=nbins)
        layers = np.bincount(slab, minlength=nbins) * (self.shape[other[0]] * self.shape[other[1]])
        centre = np.bincount(slab, weights=np.arange(n) + 0.5, minlength=nbins) / np.bincount(slab, minlength=nbins)
        return OrientationProfile(ax, centre * self.voxel_size, diag[0], diag[1], diag[2], per_bin / layers)

    # ---- summaries and export ---------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """Means, standard deviations, Gaussian fits, orientation tensor and phase fractions."""
        def finite(x: float) -> float | None:   # JSON has no NaN: an empty sample has no fit
            return x if math.isfinite(x) else None

        fits = {}
        for name in ("diameter", "length", "aspect_ratio", "polar_angle", "azimuth", "misalignment"):
            f = self.gaussian_fit(name)
            fits[name] = {"mean": finite(f.mean), "std": finite(f.std), "n": f.n}
        return {
            "voxel_size_um": self.voxel_size,
            "shape": list(self.shape),
            "periodic": self.periodic,
            "fibre_label": self.fibre_label,
            "n_fibres": self.n_fibres,
            "n_complete": int((~self.fibres["cut"]).sum()),
            "volume_fractions": {str(k): v for k, v in sorted(self.volume_fractions.items())},
            "orientation_tensor": self.orientation_tensor.tolist(),
            "principal_direction": self.principal_direction.tolist(),
            "gaussian_fits": fits,
            "units": {"diameter": "um", "length": "um", "aspect_ratio": "1", "polar_angle": "deg",
                      "azimuth": "deg", "misalignment": "deg"},
        }

    def table_columns(self) -> dict[str, np.ndarray]:
        """The fibre table as flat named columns (units in the names)."""
        f = self.fibres
        cols: dict[str, np.ndarray] = {"id": f["id"]}
        for i, c in enumerate("xyz"):
            cols[f"centre_{c}_um"] = f["centre"][:, i]
        for i, c in enumerate("xyz"):
            cols[f"direction_{c}"] = f["direction"][:, i]
        cols["length_um"] = f["length"]
        cols["diameter_um"] = f["diameter"]
        cols["volume_um3"] = f["volume"]
        cols["n_voxels"] = f["n_voxels"]
        cols["cut"] = f["cut"]
        return cols

    def to_csv(self, path: str | Path) -> Path:
        """Write the per-fibre table as CSV (one row per fibre, header with units)."""
        path = Path(path)
        cols = self.table_columns()
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(list(cols))
            for row in zip(*(c.tolist() for c in cols.values())):   # one row per fibre
                writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
        return path

    def to_parquet(self, path: str | Path) -> Path:
        """Write the per-fibre table as Parquet (needs the optional package ``pyarrow``)."""
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise ImportError("writing Parquet needs the optional package pyarrow: pip install pyarrow") from None
        path = Path(path)
        pq.write_table(pa.table(self.table_columns()), path)
        return path

    def to_table(self, path: str | Path) -> Path:
        """Write the fibre table, format from the suffix: ``.csv`` or ``.parquet``."""
        suffix = Path(path).suffix.lower()
        if suffix == ".csv":
            return self.to_csv(path)
        if suffix in (".parquet", ".pq"):
            return self.to_parquet(path)
        raise ValueError(f"`path` must end in .csv or .parquet, got path={str(path)!r}")

    def to_json(self, path: str | Path) -> Path:
        """Write :meth:`summary` as JSON."""
        path = Path(path)
        path.write_text(json.dumps(self.summary(), indent=2, allow_nan=False))
        return path

    def __repr__(self) -> str:
        d = self.gaussian_fit("diameter")
        l_ = self.gaussian_fit("length")
        return (f"FibreStatistics({self.n_fibres} fibres ({int(self.fibres['cut'].sum())} cut), "
                f"fibre fraction {self.fibre_fraction:.3f}, diameter {d.mean:.2f}±{d.std:.2f} µm, "
                f"length {l_.mean:.1f}±{l_.std:.1f} µm)")


def match_instances(truth: np.ndarray, found: np.ndarray, min_iou: float = 0.8) -> np.ndarray:
    """Pair the fibres of two instance volumes (uint32, 0 = none), e.g. a generator's ``instances``
    and :attr:`FibreStatistics.instances`.

    Returns ``match`` with ``match[t]`` = the found fibre whose voxels overlap true fibre ``t``
    with an intersection over union above ``min_iou`` (> 0.5 makes the pairing one to one), 0 where
    none does; index 0 is unused.
    """
    if not isinstance(truth, np.ndarray) or not isinstance(found, np.ndarray) or truth.shape != found.shape:
        raise ValueError("`truth` and `found` must be numpy instance volumes of the same shape")
    iou_min = _validate.fraction("min_iou", min_iou, open_low=False)
    m = (truth > 0) | (found > 0)
    t = truth[m].astype(np.int64)
    f = found[m].astype(np.int64)
    pairs, shared = np.unique(np.stack([t, f]), axis=1, return_counts=True)
    size_t = np.bincount(t)
    size_f = np.bincount(f)
    iou = shared / (size_t[pairs[0]] + size_f[pairs[1]] - shared)
    ok = (iou > iou_min) & (pairs[0] > 0) & (pairs[1] > 0)
    match = np.zeros(int(truth.max(initial=0)) + 1, dtype=np.int64)
    match[pairs[0][ok]] = pairs[1][ok]
    return match


def _check_labels(labels: object) -> np.ndarray:
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"`labels` must be a numpy array of phase labels, got labels={type(labels).__name__}")
    if labels.ndim != 3:
        raise ValueError(f"`labels` must be a 3D volume indexed [x, y, z], got labels.shape={labels.shape}")
    if labels.size == 0:
        raise ValueError(f"`labels` must not be empty, got labels.shape={labels.shape}")
    if labels.dtype == np.bool_:
        return np.ascontiguousarray(labels, dtype=np.uint8)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"`labels` must hold integer phase labels (uint8), got labels.dtype={labels.dtype}")
    if labels.dtype != np.uint8:
        lo, hi = (int(labels.min()), int(labels.max())) if labels.size else (0, 0)
        if lo < 0 or hi > 255:
            raise ValueError(f"`labels` must hold phase labels in 0..255, got values in [{lo}, {hi}]")
    return np.ascontiguousarray(labels, dtype=np.uint8)


def _group_extreme(op: np.ufunc, values: np.ndarray, groups: np.ndarray, n: int, fill: float) -> np.ndarray:
    """Largest (``np.maximum``) or smallest (``np.minimum``) value of each group 1..n."""
    out = np.full(n + 1, fill)
    op.at(out, groups, values)
    return out[1:]


def _measure(inst, shape: tuple[int, int, int], periodic: bool) -> dict[str, np.ndarray]:
    """Centre, direction, length, diameter (voxel units), voxel count and cut flag per fibre."""
    n = inst.n
    if n == 0:
        return {"centre": np.zeros((0, 3)), "direction": np.zeros((0, 3)), "length": np.zeros(0),
                "radius": np.zeros(0), "n_voxels": np.zeros(0, dtype=np.int64), "cut": np.zeros(0, dtype=bool)}
    idx = np.arange(1, n + 1)
    coords = np.nonzero(inst.labels)
    fib = inst.labels[coords].astype(np.int64)
    piece = inst.piece_labels[coords]
    x = np.stack(coords, axis=1).astype(np.float64) + 0.5 + inst.piece_shift[piece]
    count = np.bincount(fib, minlength=n + 1).astype(np.float64)
    mean = np.stack([np.bincount(fib, weights=x[:, i], minlength=n + 1) for i in range(3)], axis=1)
    mean[1:] /= count[1:, None]
    xc = x - mean[fib]
    cov = np.zeros((n + 1, 3, 3))
    for i in range(3):
        for j in range(i, 3):
            cov[:, i, j] = cov[:, j, i] = np.bincount(fib, weights=xc[:, i] * xc[:, j], minlength=n + 1)
    cov[1:] /= count[1:, None, None]
    cov[0] = np.eye(3)
    _, vec = np.linalg.eigh(cov)
    direction = vec[:, :, 2]
    direction[1:] = _hemisphere(direction[1:])

    # longest chord along the axis, with the end-layer spacing (see module docstring)
    t = np.einsum("ij,ij->i", xc, direction[fib])
    tmax = _group_extreme(np.maximum, t, fib, n, -np.inf)
    tmin = _group_extreme(np.minimum, t, fib, n, np.inf)
    below_top = t < tmax[fib - 1] - _SAME_LAYER
    above_bottom = t > tmin[fib - 1] + _SAME_LAYER
    second_top = _group_extreme(np.maximum, np.where(below_top, t, -np.inf), fib, n, -np.inf)
    second_bottom = _group_extreme(np.minimum, np.where(above_bottom, t, np.inf), fib, n, np.inf)
    gap_top = np.where(np.isfinite(second_top), tmax - second_top, 0.0)
    gap_bottom = np.where(np.isfinite(second_bottom), second_bottom - tmin, 0.0)
    length = (tmax - tmin) + 0.5 * (np.minimum(gap_top, 1.0) + np.minimum(gap_bottom, 1.0))

    # inscribed radius: largest distance value per one-voxel slice, median over the central slices
    n_slices = np.floor(tmax - tmin).astype(np.int64) + 1
    base = np.concatenate([[0], np.cumsum(n_slices)])
    slice_of = np.minimum(np.floor(t - tmin[fib - 1]).astype(np.int64), n_slices[fib - 1] - 1)
    slice_id = base[fib - 1] + slice_of
    slice_max = np.full(base[-1], -1.0)
    np.maximum.at(slice_max, slice_id, inst.edt[coords])
    slice_fibre = np.repeat(idx, n_slices)
    pos = (np.arange(base[-1]) - base[slice_fibre - 1] + 0.5) / n_slices[slice_fibre - 1]
    core = (np.abs(pos - 0.5) <= 0.5 * _CORE_FRACTION) & (slice_max >= 0)
    # short fibres may have no central slice: fall back to all slices that hold voxels
    has_core = np.bincount(slice_fibre[core], minlength=n + 1)[1:] > 0
    use = core | (~has_core[slice_fibre - 1] & (slice_max >= 0))
    radius = ndi.median(slice_max[use], slice_fibre[use], idx) + EDT_RADIUS_OFFSET

    if periodic:
        cut = inst.wraps_onto_itself.copy()
        centre = np.mod(mean[1:], np.asarray(shape, dtype=np.float64))
    else:
        on_face = np.zeros(len(fib), dtype=bool)
        for a, c in enumerate(coords):
            on_face |= (c == 0) | (c == shape[a] - 1)
        cut = np.bincount(fib[on_face], minlength=n + 1)[1:] > 0
        centre = mean[1:]
    return {
        "centre": centre,
        "direction": direction[1:],
        "length": np.asarray(length),
        "radius": np.asarray(radius),
        "n_voxels": count[1:].astype(np.int64),
        "cut": cut,
    }


def characterize(labels: np.ndarray, voxel_size: float, fibre_label: int = 1, *, periodic: bool = False,
                 min_voxels: int = 8) -> FibreStatistics:
    """Identify the individual fibres of a segmented volume and measure them (step 3).

    Parameters
    ----------
    labels:
        uint8 phase volume indexed ``[x, y, z]`` (0 matrix, 1 fibre, 2 void by default).
    voxel_size:
        Edge of a voxel in µm.
    fibre_label:
        Phase label of the fibres.
    periodic:
        Treat the volume as periodic (a generated unit twin): fibres crossing a face are measured
        whole. Keep False for scans; their boundary fibres are flagged ``cut``.
    min_voxels:
        Fibre-phase pieces smaller than this are no fibre (too small for a direction); they still
        count in the volume fractions.

    Returns
    -------
    FibreStatistics
        Per-fibre table, diameters and lengths (µm), orientation tensors, phase fractions,
        profiles, Gaussian fits, CSV/Parquet/JSON export.
    """
    vol = _check_labels(labels)
    h = _validate.voxel_size(voxel_size)
    lab = _validate.integer("fibre_label", fibre_label, minimum=0)
    if lab > 255:
        raise ValueError(f"`fibre_label` must be a phase label in 0..255, got fibre_label={fibre_label!r}")
    if not isinstance(periodic, (bool, np.bool_)):
        raise TypeError(f"`periodic` must be True or False, got periodic={periodic!r}")
    min_vox = _validate.integer("min_voxels", min_voxels, minimum=1)

    fractions = phase_fractions(vol, device="cpu") if vol.size else {}
    mask = vol == lab
    inst = identify_fibres(mask, periodic=bool(periodic), min_voxels=min_vox)
    m = _measure(inst, vol.shape, bool(periodic))
    table = np.zeros(inst.n, dtype=FIBRE_DTYPE)
    table["id"] = np.arange(1, inst.n + 1, dtype=np.uint32)
    table["centre"] = m["centre"] * h
    table["direction"] = m["direction"]
    table["length"] = m["length"] * h
    table["diameter"] = 2.0 * m["radius"] * h
    table["volume"] = m["n_voxels"] * h ** 3
    table["n_voxels"] = m["n_voxels"]
    table["cut"] = m["cut"]
    return FibreStatistics(table, inst.labels, mask, fractions, h, bool(periodic), lab)
