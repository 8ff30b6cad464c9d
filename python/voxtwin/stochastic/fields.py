"""Stationary random fields on a periodic voxel grid (C++ core, see gaussian_field.hpp).

Gaussian fields have unit variance and the orthotropic squared-exponential covariance

    rho(r) = exp(-(rx^2 / lx^2 + ry^2 / ly^2 + rz^2 / lz^2) / 2),

lengths in voxels here (µm in the models). Any slab of x-planes has exactly the bytes of the
same planes of the whole field (counter-based noise, separable real-space convolutions along x, y
and z in a fixed order), so giga-voxel fields are made slab by slab; the CUDA twin
(``device="cuda"``) gives the same bytes as the CPU. chi^2_k fields are sums of k squared independent
Gaussian fields (streams 0..k-1 of the seed).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import _backend, _core, _validate

__all__ = ["gaussian_field", "chi2_field"]


def _lengths(lengths: Sequence[float]) -> tuple[float, float, float]:
    if not isinstance(lengths, (Sequence, np.ndarray)) or len(lengths) != 3:
        raise ValueError(f"`lengths` must be three correlation lengths (x, y, z) in voxels, got lengths={lengths!r}")
    return tuple(_validate.non_negative(f"lengths[{i}]", v, "voxels") for i, v in enumerate(lengths))  # type: ignore[return-value]


def _planes(shape: tuple[int, int, int], planes: tuple[int, int] | None) -> tuple[int, int]:
    if planes is None:
        return 0, shape[0]
    x0, x1 = (_validate.integer("planes", p) for p in planes)
    if not 0 <= x0 < x1 <= shape[0]:
        raise ValueError(f"`planes` must satisfy 0 <= x0 < x1 <= nx={shape[0]}, got planes={planes!r}")
    return x0, x1


def gaussian_field(shape: Sequence[int], lengths: Sequence[float], seed: int, *, stream: int = 0,
                   planes: tuple[int, int] | None = None, device: str = "cpu") -> np.ndarray:
    """Unit-variance periodic Gaussian field (float32 ``[x, y, z]``), lengths in voxels.

    ``planes=(x0, x1)`` returns only those x-planes of the whole field, byte-identical to
    ``gaussian_field(shape, ...)[x0:x1]``. ``device``: "cpu", "cuda" or "auto" (the same bytes).
    """
    s = _validate.shape3("shape", tuple(shape))
    ls = _lengths(lengths)
    x0, x1 = _planes(s, planes)
    out = np.empty((x1 - x0, s[1], s[2]), dtype=np.float32)
    backend = _backend.cuda_module() if _backend.resolve_device(device) == "cuda" else _core
    backend.gaussian_field(s, ls, _validate.seed(seed), _validate.integer("stream", stream, minimum=0), x0, x1, out)
    return out


def chi2_field(shape: Sequence[int], lengths: Sequence[float], k: int, seed: int, *,
               planes: tuple[int, int] | None = None, device: str = "cpu") -> np.ndarray:
    """chi^2_k field: the sum of k squared independent Gaussian fields (float32), lengths in voxels."""
    kk = _validate.integer("k", k, minimum=1)
    out = gaussian_field(shape, lengths, seed, stream=0, planes=planes, device=device)
    np.square(out, out=out)
    for i in range(1, kk):
        g = gaussian_field(shape, lengths, seed, stream=i, planes=planes, device=device)
        out += g * g
    return out
