"""Step 4: digital unit twins. Fibre statistics and a seed become a voxel building block.

Fibres are placed without overlap by random sequential adsorption (C++, spatial hash) or, for
industrial fractions, by sequential addition and migration (``method="migrate"``), only where
a mask allows, wrapping across faces when periodic; then rasterized on the CPU (OpenMP) or the GPU
(CUDA) with byte-identical output.

Conventions:

- Lengths in µm. The origin is the outer corner of voxel (0, 0, 0); voxel (i, j, k) has its centre
  at ((i + 0.5) h, (j + 0.5) h, (k + 0.5) h) for voxel size h. Volumes are indexed ``vol[x, y, z]``.
- A voxel is fibre when its centre lies inside the solid (boundary included).
- Phase labels: fibres are written as 1 (:data:`FIBRE_LABEL`) into the background (0 = matrix by
  default; a scan's voids stay as they are). Instance labels are uint32: 0 = no fibre, fibre i of
  the table -> i + 1.
- Volume fractions are fractions of *all* voxels of the block, counted from the voxels (not from
  analytic volumes).
- The in-plane angle of the building blocks is measured in the XY plane from +X towards +Y, in
  degrees: fibres along (cos θ, sin θ, 0) with an orientation spread.

Randomness comes only from ``numpy.random.default_rng(seed)`` (sizes, directions, and the keys of
the counter-based SplitMix64 streams the C++ placement draws its trial centres from): the same
arguments give the same table and byte-identical volumes on every backend and for any thread count
(placement is sequential, migration gathers each fibre's pushes in a fixed order; rasterization
combines its writes in an order-independent way). Streams are those of numpy's PCG64 and ``Generator.random`` / ``integers``, stable across numpy releases
so far but not promised by numpy: pin numpy where twins must be regenerated bit for bit years later.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import _core, _validate

_FIBRE_BYTES = 256  # a placed fibre: its table row, the placer's copy and its spatial-hash entries
_HASH_CELL_BYTES = 8  # one cell of the placer's spatial hash
from ._backend import Device, cuda_module, resolve_device
from ._limits import require_memory
from ._migration import DEFAULT_MAX_STEPS, choose_method, migrate_placement
from ._progress import progress_bar
from .distributions import Distribution, LogNormal, Normal, as_distribution, distribution_from_dict
from .errors import DistributionWarning, PlacementError, PlacementWarning
from .fibre_table import FIBRE_SHAPES, FibreTable
from .orientation import Aligned, OrientationDistribution, in_plane_rotation, orientation_from_dict

__all__ = [
    "FIBRE_LABEL",
    "SEED000_SPREAD_DEG",
    "FibreSpec",
    "Placement",
    "FibreRaster",
    "UnitTwin",
    "place_fibres",
    "rasterize_fibres",
    "generate_fibres",
    "overlapping_fibres",
    "matrix_space",
    "seed000_spec",
    "building_blocks",
]

FIBRE_LABEL = 1
"""Phase label of fibre voxels (0 = matrix, 2 = void)."""

SEED000_SPREAD_DEG = 15.0
"""Default orientation spread of the seed-000 building blocks (degrees, :class:`~voxtwin.orientation.Aligned`).

Gives a_11 = 0.875 along the printing direction: fast FDM printing (50 mm/s in seed 000, chosen
"for the high orientation of the embedded fibers") aligns short fibres strongly with the bead,
and values of a_11 around 0.8-0.9 are what printed short-fibre filaments typically show.
"""

_SEED000 = {"volume_fraction": 0.10, "diameter": 15.0, "length": 100.0}


NEGLIGIBLE_MASS = 1e-9
"""Probability below 0 µm that a Normal size may have and still be truncated at 0 without a warning."""


def _positive_support(name: str, dist: Distribution) -> Distribution:
    low, high = dist.support
    if isinstance(dist, LogNormal) and low >= 0:
        return dist  # its values are > 0 whatever the lower bound
    if isinstance(dist, Normal) and dist.std > 0 and low <= 0 < high and dist.cdf(0.0) < 0.5:
        below = dist.cdf(0.0)  # most of it above 0: a size with a tail to cut, not a mistake
        if below >= NEGLIGIBLE_MASS:
            warnings.warn(f"`{name}` = {dist!r} has {below:.3g} of its probability at or below 0 µm; it is "
                          "truncated at 0 (give `low` to choose the bound)", DistributionWarning, stacklevel=4)
        return Normal(dist.mean, dist.std, low=0.0, high=dist.high)  # a continuous density: never exactly 0
    if not low > 0:
        raise ValueError(
            f"`{name}` must only take values > 0 µm, got {name}={dist!r} (smallest value {low}); "
            "give it a positive value or a lower bound, e.g. Normal(15.0, 2.0, low=5.0)"
        )
    return dist


@dataclass(frozen=True)
class FibreSpec:
    """What to generate: fibre volume fraction, size distributions (µm), orientations, shape.

    ``diameter`` and ``length`` take a number (µm) or a distribution (:class:`~voxtwin.Normal`,
    :class:`~voxtwin.LogNormal`, :class:`~voxtwin.Fixed`, :class:`~voxtwin.Empirical`) that only
    yields positive values. ``shape`` is ``"cylinder"`` (length = axis length between flat ends) or
    ``"spherocylinder"`` (length = tip to tip, caps included; a drawn length below the drawn
    diameter becomes the diameter, a sphere). ``min_gap`` (µm) keeps fibre surfaces at least that
    far apart (0: fibres may touch).
    """

    volume_fraction: float
    diameter: Distribution | float
    length: Distribution | float
    orientation: OrientationDistribution
    shape: str = "cylinder"
    min_gap: float = 0.0

    def __post_init__(self) -> None:
        vf = _validate.fraction("volume_fraction", self.volume_fraction)
        object.__setattr__(self, "volume_fraction", vf)
        object.__setattr__(self, "diameter", _positive_support("diameter", as_distribution("diameter", self.diameter)))
        object.__setattr__(self, "length", _positive_support("length", as_distribution("length", self.length)))
        if not isinstance(self.orientation, OrientationDistribution):
            raise TypeError(
                "`orientation` must be an orientation distribution (voxtwin.orientation.Isotropic, Planar, Aligned "
                f"or FromTensor), got orientation={self.orientation!r}"
            )
        object.__setattr__(self, "shape", _validate.choice("shape", self.shape, FIBRE_SHAPES))
        object.__setattr__(self, "min_gap", _validate.non_negative("min_gap", self.min_gap, "µm"))

    def rotated_in_plane(self, angle_deg: float) -> FibreSpec:
        """The spec with its orientations turned about +Z by ``angle_deg`` (from +X towards +Y)."""
        return replace(self, orientation=self.orientation.rotated(in_plane_rotation(angle_deg)))

    def mean_fibre_volume(self) -> float:
        """Expected volume of one fibre (µm³), estimated from 4096 draws of a fixed internal stream."""
        return _mean_fibre_volume(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description; :meth:`from_dict` reads it back."""
        return {
            "volume_fraction": self.volume_fraction,
            "diameter": self.diameter.to_dict(),  # type: ignore[union-attr]
            "length": self.length.to_dict(),  # type: ignore[union-attr]
            "orientation": self.orientation.to_dict(),
            "shape": self.shape,
            "min_gap": self.min_gap,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FibreSpec:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                volume_fraction=data["volume_fraction"],
                diameter=distribution_from_dict(data["diameter"]),
                length=distribution_from_dict(data["length"]),
                orientation=orientation_from_dict(data["orientation"]),
                shape=data.get("shape", "cylinder"),
                min_gap=data.get("min_gap", 0.0),
            )
        except KeyError as exc:
            raise ValueError(f"`data` is missing the FibreSpec field {exc}") from None


@functools.lru_cache(maxsize=64)
def _mean_fibre_volume(spec: FibreSpec) -> float:
    d, length = _draw_sizes(spec, 4096, np.random.default_rng(0x5EED))  # its own stream: the seed is untouched
    sizes = FibreTable(np.zeros((d.size, 3)), np.tile([1.0, 0.0, 0.0], (d.size, 1)), length, d, spec.shape)
    return float(sizes.volumes().mean())


def _draw_sizes(spec: FibreSpec, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    d = spec.diameter.sample(n, rng)  # type: ignore[union-attr]
    length = spec.length.sample(n, rng)  # type: ignore[union-attr]
    if spec.shape == "spherocylinder":  # tip to tip can never be shorter than the caps
        length = np.maximum(length, d)
    return d, length


def _draw_fibres(
    spec: FibreSpec, n: int, rng: np.random.Generator
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], int]:
    """n fibres to place (centres still zero) and the key of the stream their tried centres come from.

    Drawn in this order: diameters, lengths, directions, then the 64-bit centre key.
    """
    d, length = _draw_sizes(spec, n, rng)
    direction = np.ascontiguousarray(spec.orientation.sample(n, rng))
    key = int(rng.integers(0, 2**64, dtype=np.uint64))
    return (np.zeros((n, 3)), direction, length, d), key


def _typical_extent(dist: Distribution) -> float:
    mean, std = dist.moments()
    return min(dist.support[1], mean + 4.0 * std)


def _mask_argument(mask: object, shape: tuple[int, int, int]) -> np.ndarray | None:
    if mask is None:
        return None
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"`mask` must be a numpy array of dtype bool or uint8, got {type(mask).__name__}")
    if mask.dtype not in (np.bool_, np.uint8):
        raise TypeError(f"`mask` must have dtype bool or uint8 (nonzero = fibres allowed), got dtype {mask.dtype}")
    if mask.shape != shape:
        raise ValueError(f"`mask` must have the block shape {shape}, got shape {mask.shape}")
    return np.ascontiguousarray(mask).view(np.uint8)


def _supersample_argument(value: object) -> int | None:
    if value is None:
        return None
    out = _validate.integer("supersample", value, minimum=1)
    if out > 8:
        raise ValueError(f"`supersample` must be in 1..8 points per voxel edge, got supersample={value!r}")
    return out


def _labels_argument(name: str, labels: object, shape: tuple[int, int, int]) -> np.ndarray:
    if not isinstance(labels, np.ndarray) or labels.dtype != np.uint8:
        got = labels.dtype if isinstance(labels, np.ndarray) else type(labels).__name__
        raise TypeError(f"`{name}` must be a uint8 numpy array of phase labels, got {got}")
    if labels.shape != shape:
        raise ValueError(f"`{name}` must have the block shape {shape}, got shape {labels.shape}")
    return np.array(labels, dtype=np.uint8, order="C")  # a copy: the caller's array is never written


@dataclass(frozen=True, eq=False)
class Placement:
    """Result of :func:`place_fibres`."""

    fibres: FibreTable
    """All fibres: the ``existing`` table first (same order), then the new ones in placement order."""
    voxel_counts: np.ndarray
    """Voxels whose centre lies inside each fibre (int64, same order)."""
    target_voxels: int
    """Fibre voxels asked for."""
    target_reached: bool
    stats: dict[str, int]
    """Tries ``examined``, fibres ``accepted``, tries ``rejected_overlap`` / ``rejected_mask`` /
    ``rejected_empty``, and fibres ``abandoned`` (no try fitted)."""
    n_existing: int = 0

    @property
    def fibre_voxels(self) -> int:
        """Sum of ``voxel_counts``."""
        return int(self.voxel_counts.sum())


def _require_volume(grid: tuple[int, int, int], instances: bool, supersample: int | None, what: str) -> None:
    """Refuse an output volume that does not fit before allocating it (uint8 labels, uint32 instances,
    float32 fractions; twice the labels for the copy a caller's background is drawn into)."""
    per_voxel = 2 + 4 * bool(instances) + 4 * (supersample is not None)
    require_memory(float(math.prod(grid)) * per_voxel, f"{what} of shape={grid}",
                   "generate smaller blocks and assemble them (voxtwin.BlockLibrary, voxtwin.Assembly)")


def place_fibres(
    spec: FibreSpec,
    shape: Sequence[int],
    voxel_size: float,
    seed: int,
    *,
    mask: np.ndarray | None = None,
    periodic: bool = True,
    existing: FibreTable | None = None,
    target_voxels: int | None = None,
    max_attempts: int | None = None,
    tries_per_fibre: int = 256,
    strict: bool = False,
    progress: bool = False,
    method: str = "rsa",
) -> Placement:
    """Place non-overlapping fibres drawn from ``spec`` until they cover the target voxel count.

    Fibres (size and direction, drawn in batches from ``numpy.random.default_rng(seed)``) are tried
    in order at up to ``tries_per_fibre`` uniform random centres each (drawn in C++ from a SplitMix64
    stream whose key comes from the same generator); a try is kept when its axis
    stays at least (d1 + d2)/2 + ``spec.min_gap`` from every fibre held and from every periodic
    image, and every voxel it would occupy is allowed by ``mask`` (bool or uint8, nonzero =
    allowed). Retrying the centre, not the fibre, keeps the placed sizes and orientations
    distributed as requested: plain RSA would favour thin, short and well-aligned fibres, which fit
    more easily. A fibre that fits nowhere in its tries is abandoned. Cylinders are kept apart as
    if capped (conservative). Non-periodic blocks cut fibres at the faces; their
    centres are drawn from the block grown by half a typical fibre length so the density stays
    uniform up to the faces.

    ``existing`` (a table of the same fibre shape) is held first without checks and new fibres
    avoid it; its voxels count towards the target. ``target_voxels`` defaults to
    ``round(spec.volume_fraction * voxels)``. Placement stops after ``max_attempts`` tries
    (default ``50 * expected fibres + 10000``): it then warns (:class:`~voxtwin.errors.PlacementWarning`)
    with the fraction reached, or raises :class:`~voxtwin.errors.PlacementError` when ``strict``.

    ``method="migrate"`` reaches fractions RSA cannot (sequential addition and migration, see
    :mod:`voxtwin._migration`): all fibres are dropped with overlaps allowed and moved apart
    (centres, and directions within the orientation distribution: the orientation tensor is held
    at ``spec.orientation.tensor()``, planar ones stay in their plane) until none overlap, inside
    the mask; ``max_attempts`` then counts migration steps (default 10 000; it also stops after
    2 000 steps without fewer overlapping pairs) and ``tries_per_fibre`` is unused. Fibres still overlapping when the steps run out are removed and the warning (or
    error) says the fraction reached and how many overlaps were left. ``"auto"`` uses RSA up to
    10 vol% and migration above.
    """
    if not isinstance(spec, FibreSpec):
        raise TypeError(f"`spec` must be a FibreSpec, got spec={spec!r}")
    grid = _validate.shape3("shape", shape)
    h = _validate.voxel_size(voxel_size)
    seed = _validate.seed(seed)
    mask_u8 = _mask_argument(mask, grid)
    if not isinstance(periodic, bool):
        raise TypeError(f"`periodic` must be True or False, got periodic={periodic!r}")
    if existing is None:
        existing = FibreTable.empty(spec.shape)
    if not isinstance(existing, FibreTable):
        raise TypeError(f"`existing` must be a FibreTable or None, got {type(existing).__name__}")
    if existing.fibre_shape != spec.shape:
        raise ValueError(
            f"`existing` holds {existing.fibre_shape}s but `spec.shape` is {spec.shape!r}: one table has one shape"
        )
    n_voxels = grid[0] * grid[1] * grid[2]
    if target_voxels is None:
        target_voxels = round(spec.volume_fraction * n_voxels)
    target_voxels = _validate.integer("target_voxels", target_voxels, minimum=0)

    # At least one voxel per fibre: fibres that cover none are rejected, they never add to the count.
    mean_voxels = max(spec.mean_fibre_volume() / h**3, 1.0)
    expected = max(1, math.ceil(target_voxels / mean_voxels))
    budget = 50 * expected + 10_000 if max_attempts is None else _validate.integer("max_attempts", max_attempts, 1)
    tries = _validate.integer("tries_per_fibre", tries_per_fibre, minimum=1)
    hash_cell = max(h, spec.length.moments()[0] / 3.0, spec.diameter.moments()[0])  # type: ignore[union-attr]
    hash_cells = math.prod(g * h / hash_cell + 2.0 for g in grid)
    require_memory(expected * _FIBRE_BYTES + hash_cells * _HASH_CELL_BYTES,
                   f"placing about {expected:.3g} fibres in shape={grid} at voxel_size={h:g} µm",
                   "generate smaller blocks and assemble them (voxtwin.BlockLibrary, voxtwin.Assembly)")
    method = choose_method(method, spec.volume_fraction)

    extent = np.array(grid, dtype=np.float64) * h
    margin = 0.0 if periodic else 0.5 * (_typical_extent(spec.length) + _typical_extent(spec.diameter))  # type: ignore[arg-type]
    lo, hi = [-margin] * 3, (extent + margin).tolist()
    if method == "migrate":
        steps = DEFAULT_MAX_STEPS if max_attempts is None else budget
        return migrate_placement(spec, grid, h, seed, mask_u8=mask_u8, periodic=periodic, existing=existing,
                                 target_voxels=target_voxels, lo=lo, hi=hi, max_steps=steps,
                                 strict=strict, progress=progress)
    # Hash cells of about a third of a fibre: each fibre then touches a handful of cells.
    cell = max(h, spec.length.moments()[0] / 3.0, spec.diameter.moments()[0])  # type: ignore[union-attr]

    placer = _core.FibrePlacer(grid, h, periodic, spec.shape, spec.min_gap, mask_u8, cell)
    if len(existing):
        placer.add(*existing._arrays())
    rng = np.random.default_rng(seed)
    chunks: list[tuple[np.ndarray, ...]] = []
    examined = fibres_drawn = fibres_placed = 0
    reached = placer.fibre_voxels >= target_voxels
    with progress_bar(target_voxels, desc="placing fibres", unit="vox", enabled=progress) as bar:
        bar.update(min(placer.fibre_voxels, target_voxels))
        while not reached and examined < budget:
            # Enough fibres for the remaining voxels (more when many were abandoned).
            placed_share = fibres_placed / fibres_drawn if fibres_drawn else 1.0
            remaining = target_voxels - placer.fibre_voxels
            n = math.ceil(1.1 * remaining / mean_voxels / max(placed_share, 0.05)) + 16
            n = min(max(n, 32), 2**20)
            batch, key = _draw_fibres(spec, n, rng)
            before = placer.fibre_voxels
            idx, centres, used, reached = placer.place(
                *batch, target_voxels, key=key, lo=lo, hi=hi, tries=tries, max_examined=budget - examined
            )
            examined += int(used)
            fibres_drawn += n
            fibres_placed += idx.size
            if idx.size:
                chunks.append((centres, *(col[idx] for col in batch[1:])))
            bar.update(min(placer.fibre_voxels, target_voxels) - min(before, target_voxels))

    new = (
        FibreTable(*[np.concatenate([c[k] for c in chunks]) for k in range(4)], spec.shape)
        if chunks
        else FibreTable.empty(spec.shape)
    )
    table = FibreTable.concat(existing, new) if len(existing) else new
    stats = {k: int(v) for k, v in placer.stats.items()}
    result = Placement(table, placer.voxel_counts, target_voxels, bool(reached), stats, len(existing))
    if not reached:
        achieved, target = result.fibre_voxels / n_voxels, target_voxels / n_voxels
        message = (
            f"fibre placement stopped at volume fraction {achieved:.4f} of the target {target:.4f} after "
            f"{stats['examined']} tries ({stats['accepted']} fibres placed, {stats['abandoned']} abandoned after "
            f"{tries} tries each; tries rejected: {stats['rejected_overlap']} overlapping, {stats['rejected_mask']} "
            f"outside the mask, {stats['rejected_empty']} covering no voxel). "
            "Random sequential adsorption has jammed or the mask leaves too little room: raise `max_attempts`, "
            "lower the volume fraction or the fibre length, or widen the mask."
        )
        if strict:
            raise PlacementError(message, achieved, target)
        warnings.warn(message, PlacementWarning, stacklevel=2)
    return result


def overlapping_fibres(
    fibres: FibreTable, shape: Sequence[int], voxel_size: float, *, periodic: bool = True, min_gap: float = 0.0
) -> np.ndarray:
    """Which fibres overlap an earlier row of the table (bool (n,)), e.g. after editing a table.

    Fibre i is flagged when its axis comes closer than (d_i + d_j)/2 + ``min_gap`` to the axis of a
    fibre j < i, or of a periodic image of any fibre including itself (the same test as placement:
    cylinders as if capped). Every overlapping pair flags its later member once, so
    ``fibres[~overlapping_fibres(...)]`` is a table without overlaps.
    """
    if not isinstance(fibres, FibreTable):
        raise TypeError(f"`fibres` must be a FibreTable, got {type(fibres).__name__}")
    grid = _validate.shape3("shape", shape)
    h = _validate.voxel_size(voxel_size)
    gap = _validate.non_negative("min_gap", min_gap, "µm")
    if not isinstance(periodic, bool):
        raise TypeError(f"`periodic` must be True or False, got periodic={periodic!r}")
    cell = max(h, float(np.mean(fibres.length)) / 3.0, float(np.mean(fibres.diameter))) if len(fibres) else 0.0
    placer = _core.FibrePlacer(grid, h, periodic, fibres.fibre_shape, gap, None, cell)
    return placer.add(*fibres._arrays())


@dataclass(frozen=True, eq=False)
class FibreRaster:
    """Result of :func:`rasterize_fibres`."""

    labels: np.ndarray
    """uint8 phases: the background with fibre voxels set to ``fibre_label``."""
    instances: np.ndarray | None = None
    """uint32: 0 = no fibre, i + 1 for fibre i (the lowest index where fibres overlap)."""
    fractions: np.ndarray | None = None
    """float32 in [0, 1]: share of the supersample³ points of each voxel inside fibres."""


def rasterize_fibres(
    fibres: FibreTable,
    shape: Sequence[int],
    voxel_size: float,
    *,
    periodic: bool = True,
    labels: np.ndarray | None = None,
    fibre_label: int = FIBRE_LABEL,
    instances: bool = False,
    supersample: int | None = None,
    device: Device = "auto",
) -> FibreRaster:
    """Voxelize a fibre table: a voxel is fibre when its centre lies inside a fibre.

    ``labels`` (uint8, optional) is the background to draw into (copied, never written; default
    all 0 = matrix). ``instances=True`` adds uint32 instance labels; ``supersample=s`` (1..8) adds
    float32 partial-volume fractions from s³ points per voxel (summed over fibres and clamped to 1,
    exact for non-overlapping fibres). CPU and CUDA give byte-identical output for any thread count.
    """
    if not isinstance(fibres, FibreTable):
        raise TypeError(f"`fibres` must be a FibreTable, got {type(fibres).__name__}")
    grid = _validate.shape3("shape", shape)
    h = _validate.voxel_size(voxel_size)
    if not isinstance(periodic, bool):
        raise TypeError(f"`periodic` must be True or False, got periodic={periodic!r}")
    fibre_label = _validate.integer("fibre_label", fibre_label, minimum=0)
    if fibre_label > 255:
        raise ValueError(f"`fibre_label` must be a uint8 label in 0..255, got fibre_label={fibre_label!r}")
    supersample = _supersample_argument(supersample)
    _require_volume(grid, instances, supersample, "rasterize_fibres")
    out = np.zeros(grid, dtype=np.uint8) if labels is None else _labels_argument("labels", labels, grid)
    return _rasterize_into(out, fibres, h, periodic, fibre_label, instances, supersample, device)


def _rasterize_into(
    out: np.ndarray,
    fibres: FibreTable,
    h: float,
    periodic: bool,
    fibre_label: int,
    instances: bool,
    supersample: int | None,
    device: Device,
) -> FibreRaster:
    """Draws into ``out`` (uint8, C-contiguous, owned by the caller) without copying it."""
    backend = cuda_module() if resolve_device(device) == "cuda" else _core
    inst = np.empty(out.shape, dtype=np.uint32) if instances else None
    frac = np.empty(out.shape, dtype=np.float32) if supersample is not None else None
    backend.rasterize_fibres(
        *fibres._arrays(), fibres.fibre_shape, out.shape, h, periodic, out, fibre_label, inst, frac, supersample or 0
    )
    return FibreRaster(out, inst, frac)


@dataclass(frozen=True, eq=False)
class UnitTwin:
    """A generated building block and everything needed to make it again."""

    labels: np.ndarray
    """uint8 phases indexed [x, y, z]: 1 = fibre, background elsewhere (0 = matrix)."""
    fibres: FibreTable
    """The fibres (existing ones first); row i has instance label i + 1."""
    seed: int
    spec: FibreSpec
    voxel_size: float
    """µm per voxel."""
    periodic: bool
    achieved_volume_fraction: float
    """Fibre voxels / all voxels, counted in ``labels``."""
    target_reached: bool
    instances: np.ndarray | None = None
    """uint32 instance labels when asked for (0 = none, fibre i -> i + 1)."""
    fractions: np.ndarray | None = None
    """float32 partial-volume fractions when asked for."""
    placement: dict[str, int] = field(default_factory=dict)
    """Candidates examined, accepted and rejected (by reason)."""

    @property
    def shape(self) -> tuple[int, int, int]:
        """Voxels along X, Y, Z."""
        return self.labels.shape  # type: ignore[return-value]

    @property
    def target_volume_fraction(self) -> float:
        return self.spec.volume_fraction


def generate_fibres(
    spec: FibreSpec,
    shape: Sequence[int],
    voxel_size: float,
    seed: int,
    mask: np.ndarray | None = None,
    periodic: bool = True,
    device: Device = "auto",
    *,
    background: np.ndarray | None = None,
    existing: FibreTable | None = None,
    instances: bool = False,
    supersample: int | None = None,
    max_attempts: int | None = None,
    tries_per_fibre: int = 256,
    strict: bool = False,
    progress: bool = False,
    method: str = "rsa",
) -> UnitTwin:
    """Generate a unit twin: place fibres from ``spec`` with ``seed`` and rasterize them.

    ``shape`` (nx, ny, nz) voxels of ``voxel_size`` µm. ``mask`` (bool/uint8, nonzero = allowed)
    limits where fibres go, e.g. the matrix space of a segmented scan (see :func:`matrix_space`);
    ``background`` (uint8 phases) is what fibres are drawn into (default all matrix), so a scan's
    voids stay untouched. The target is ``spec.volume_fraction`` of all voxels; fibre voxels already
    in ``background`` and those of ``existing`` fibres count towards it. ``device`` only chooses
    where rasterization runs: the result is the same everywhere.

    If the target is out of reach within ``max_attempts`` tries the twin holds what was
    placed, ``target_reached`` is False and a :class:`~voxtwin.errors.PlacementWarning` says the
    fraction reached (``strict=True`` raises :class:`~voxtwin.errors.PlacementError` instead).
    ``method``: ``"rsa"`` (random sequential adsorption, jams near 17-20 vol% for seed 000's
    fibres), ``"migrate"`` (sequential addition and migration, for industrial fractions) or
    ``"auto"`` (RSA up to 10 vol%, migration above); see :func:`place_fibres`.
    See :func:`place_fibres` and :func:`rasterize_fibres` for the parts.
    """
    grid = _validate.shape3("shape", shape)
    seed = _validate.seed(seed)
    if not isinstance(spec, FibreSpec):
        raise TypeError(f"`spec` must be a FibreSpec, got spec={spec!r}")
    resolve_device(device)  # bad arguments fail before any work
    supersample = _supersample_argument(supersample)
    _require_volume(grid, instances, supersample, "generate_fibres")
    base = np.zeros(grid, dtype=np.uint8) if background is None else _labels_argument("background", background, grid)
    n_voxels = base.size
    already = 0 if background is None else int(np.count_nonzero(base == FIBRE_LABEL))
    target = max(round(spec.volume_fraction * n_voxels) - already, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PlacementWarning)
        placement = place_fibres(
            spec,
            grid,
            voxel_size,
            seed,
            mask=mask,
            periodic=periodic,
            existing=existing,
            target_voxels=target,
            max_attempts=max_attempts,
            tries_per_fibre=tries_per_fibre,
            strict=strict,
            progress=progress,
            method=method,
        )
    for w in caught:  # re-issued here so that the warning points at the caller of generate_fibres
        warnings.warn(w.message, w.category, stacklevel=2)
    raster = _rasterize_into(base, placement.fibres, float(voxel_size), periodic, FIBRE_LABEL, bool(instances),
                             supersample, device)
    fibre_voxels = int(np.count_nonzero(raster.labels == FIBRE_LABEL))
    return UnitTwin(
        labels=raster.labels,
        fibres=placement.fibres,
        seed=seed,
        spec=spec,
        voxel_size=float(voxel_size),
        periodic=periodic,
        achieved_volume_fraction=fibre_voxels / n_voxels,
        target_reached=placement.target_reached,
        instances=raster.instances,
        fractions=raster.fractions,
        placement=placement.stats,
    )


def matrix_space(
    labels: np.ndarray, matrix_label: int = 0, fibre_label: int = FIBRE_LABEL
) -> tuple[np.ndarray, np.ndarray]:
    """The working space of seed 000: ``(mask, background)`` from a segmented scan.

    Existing fibres are deleted (set to ``matrix_label``) and fibres may go wherever the scan has
    matrix or fibre; every other phase (voids, air) is kept as it is and is off limits.
    Pass both to :func:`generate_fibres` (``mask=mask, background=background``).
    """
    if not isinstance(labels, np.ndarray) or labels.dtype != np.uint8 or labels.ndim != 3:
        raise TypeError("`labels` must be a 3D uint8 numpy array of phase labels")
    mask = (labels == matrix_label) | (labels == fibre_label)
    background = np.where(labels == fibre_label, np.uint8(matrix_label), labels).astype(np.uint8)
    return mask, background


def seed000_spec(spread_deg: float = SEED000_SPREAD_DEG, shape: str = "cylinder") -> FibreSpec:
    """The fibres of seed 000's building blocks: 10 vol%, diameter 15 µm, length 100 µm, along +X.

    ``spread_deg`` is the orientation spread (:class:`~voxtwin.orientation.Aligned`); the in-plane
    angle is applied by :meth:`FibreSpec.rotated_in_plane` or :func:`building_blocks`.
    """
    return FibreSpec(
        volume_fraction=_SEED000["volume_fraction"],
        diameter=_SEED000["diameter"],
        length=_SEED000["length"],
        orientation=Aligned((1.0, 0.0, 0.0), spread_deg),
        shape=shape,
    )


def building_blocks(
    spec: FibreSpec | None = None,
    angles: Sequence[float] = (0.0, 45.0, 90.0, 135.0),
    block_shape: Sequence[int] = (125, 125, 125),
    voxel_size: float = 4.0,
    seed: int = 0,
    *,
    device: Device = "auto",
    **kwargs: Any,
) -> dict[float, UnitTwin]:
    """Seed 000's building blocks in one call: one unit twin per in-plane angle.

    Defaults: 0°, 45°, 90°, 135°; a 0.5 mm cube at 4 µm voxels (125³); :func:`seed000_spec`
    (10 vol%, 15 µm × 100 µm cylinders, spread :data:`SEED000_SPREAD_DEG`). ``spec`` describes the
    0° block (fibres along +X); block ``i`` uses ``spec.rotated_in_plane(angles[i])`` and seed
    ``(seed + i) % 2**64``. Other keyword arguments go to :func:`generate_fibres`.
    Returns ``{angle: UnitTwin}`` in the order of ``angles``.
    """
    spec = seed000_spec() if spec is None else spec
    if not isinstance(spec, FibreSpec):
        raise TypeError(f"`spec` must be a FibreSpec or None, got spec={spec!r}")
    seed = _validate.seed(seed)
    angle_list = [_validate.real(f"angles[{i}]", a, "degrees") for i, a in enumerate(angles)]
    if not angle_list:
        raise ValueError("`angles` must hold at least one angle (degrees)")
    return {
        angle: generate_fibres(
            spec.rotated_in_plane(angle), block_shape, voxel_size, (seed + i) % 2**64, device=device, **kwargs
        )
        for i, angle in enumerate(angle_list)
    }
