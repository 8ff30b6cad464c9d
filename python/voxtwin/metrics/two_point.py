"""Two-point correlation functions S2 (seed 003, eq. 18): per axis, orientation-averaged, cross-phase.

S2(r) is the probability that a voxel p holds phase a and the voxel p + r holds phase b (a = b:
the auto-correlation, S2(0) = volume fraction, S2(r -> inf) -> volume fraction squared for a
disordered medium). The C++ core counts pairs exactly by FFT: per axis from 1D transforms of all
lines (memory of a few lines), radially from the full 3D correlation (every octant of lag vectors,
one float64 grid of the volume; zero-padding doubles each non-periodic axis).

Boundaries: ``periodic=True`` wraps (the right estimator for periodic twins and generated fields);
``periodic=False`` zero-pads and divides each lag by the number of positions it fits in the
window (the estimator for a scan).
"""

from __future__ import annotations

import numpy as np

from .. import _backend, _core, _validate
from .._limits import require_memory
from ._profile import AxisProfiles
from ._volume import as_labels, phase_label

__all__ = ["two_point", "axis_correlation", "radial_grid_bytes"]


def axis_correlation(arr: np.ndarray, axis: int, a: int, b: int, periodic: bool, count: int,
                     device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """S2 of labels a -> b along array axis ``axis`` at lags 0..count-1: (positive lags, negative lags)."""
    n = arr.shape[axis]
    lines = arr.size // n
    backend = _backend.cuda_module() if device == "cuda" else _core
    c = backend.axis_correlation_counts(arr, axis, a, b, periodic).astype(np.float64)
    r = np.arange(count)
    m = c.size
    windows = lines * (np.full(count, n) if periodic else n - r)
    return c[r] / windows, c[(m - r) % m] / windows


def radial_grid_bytes(shape: tuple[int, ...], periodic: list[bool], cross: bool) -> int:
    """Bytes of the float64 grid(s) the radial average transforms: each axis doubled unless it wraps
    (or is one voxel), the last padded to 2 (m/2 + 1) for the in-place real FFT; two for a
    cross-correlation, plus one transposed row of complex modes per thread (small)."""
    m = [n if (p or n == 1) else 2 * n for n, p in zip(shape, periodic)]
    grid = m[0] * m[1] * 2 * (m[2] // 2 + 1) * 8
    return (2 if cross else 1) * grid + 16 * m[0] * (m[2] // 2 + 1) * max(1, _core.get_num_threads())


def two_point(volume: np.ndarray, phase: int = 1, voxel_size: float = 1.0, periodic: bool = True, *,
              other: int | None = None, radial: bool = True, max_distance: float | None = None,
              plane: str | None = None, device: str = "auto") -> AxisProfiles:
    """Two-point correlation S2 of ``phase`` (with ``other``: the cross-correlation phase -> other).

    Parameters
    ----------
    volume:
        uint8 labels ``[x, y, z]``, or a 2D image (its axes named by ``plane``, default "xy").
    phase, other:
        Labels at p and p + r (``other`` defaults to ``phase``).
    voxel_size:
        µm per voxel; distances come out in µm.
    periodic:
        Wrap around (True) or zero-pad and normalise by the window (False).
    radial:
        Also compute the orientation average over all lag vectors (bins of width one voxel).
    max_distance:
        Largest distance in µm (default: half the smallest extent).
    device:
        "auto", "cpu" or "cuda" for the per-axis pair counts (cuFFT; the same integer counts as the
        CPU); the radial average always runs on the CPU.

    Returns
    -------
    AxisProfiles
        ``.x``, ``.y``, ``.z`` at distances 0, 1, ... voxels (``.distance`` in µm), ``.radial``; for a
        cross-correlation, ``.extra["negative"]`` holds S2 at the negative lags per axis (S_ab(-r) =
        S_ba(r), which differs from S_ab(r) in general).
    """
    lab = as_labels(volume, voxel_size, plane)
    a = phase_label(phase)
    b = a if other is None else phase_label(other, "other")
    count = min(lab.lengths) // 2 + 1
    if max_distance is not None:
        limit = int(np.floor(_validate.non_negative("max_distance", max_distance, "µm") / lab.voxel_size)) + 1
        count = min(count, limit)
    flags = lab.periodic_flags(periodic)
    dev = _backend.resolve_device(device)
    pos: dict[str, np.ndarray] = {}
    neg: dict[str, np.ndarray] = {}
    for i, name in enumerate(lab.axes):
        pos[name], neg[name] = axis_correlation(lab.array, i, a, b, flags[i], count, dev)
    rad = None
    if radial:
        require_memory(radial_grid_bytes(lab.array.shape, flags, a != b),
                       f"the radial S2 of a volume of shape {tuple(lab.array.shape)} (periodic={periodic})",
                       "pass radial=False for the per-axis S2 only (memory of a few lines)")
        pairs, windows = _core.radial_correlation_counts(lab.array, a, b, flags, count - 1)
        rad = pairs / np.maximum(windows, 1)
    return AxisProfiles(
        name="S2" if a == b else f"S2 ({a}, {b})",
        axes=pos,
        distance=np.arange(count) * lab.voxel_size,
        phase=a if a == b else (a, b),
        voxel_size=lab.voxel_size,
        periodic=bool(periodic),
        radial=rad,
        extra={} if a == b else {"negative": neg},
    )
