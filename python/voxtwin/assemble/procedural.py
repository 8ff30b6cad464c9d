"""Procedural building blocks: the one place where assembly calls the unit-twin generator.

A procedural block is (fibre spec, in-plane angle θ, seed). Its voxels come from
``voxtwin.generate_fibres`` with the spec's orientations turned by θ about +Z
(``FibreSpec.rotated_in_plane``: fibres along (cos θ, sin θ, 0) for a spec aligned with +X), so
the generator draws the fibres at that angle: any θ works, and no voxel grid is rotated (which
would clip corners and smear fibres). Blocks are periodic, so fibres continue across the shared
faces of attached blocks in a statistical sense.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from .._migration import choose_method
from ..generate import FibreSpec, generate_fibres

__all__ = ["check_method", "check_spec", "expected_fibres", "generate_block", "spec_from_dict", "spec_key", "spec_to_dict"]


def check_spec(spec: object) -> FibreSpec:
    """The spec, if it is a :class:`voxtwin.FibreSpec`; TypeError otherwise."""
    if not isinstance(spec, FibreSpec):
        raise TypeError(f"`spec` must be a voxtwin.FibreSpec, got spec={spec!r}")
    return spec


def check_method(method: object, spec: FibreSpec) -> str:
    """The placement method, if ``generate_fibres`` knows it; ValueError naming ``method`` otherwise."""
    choose_method(method, spec.volume_fraction)
    return str(method)


def generate_block(spec: FibreSpec, angle: float | None, block_shape: tuple[int, int, int], voxel_size: float,
                   seed: int, device: str = "auto", method: str = "rsa") -> np.ndarray:
    """Labels (uint8 ``[x, y, z]``, C-contiguous) of one procedural block, fibres placed by ``method``."""
    oriented = spec if angle is None else spec.rotated_in_plane(angle)
    twin = generate_fibres(oriented, shape=block_shape, voxel_size=voxel_size, seed=seed, periodic=True,
                           device=device, method=method)
    return np.ascontiguousarray(twin.labels, dtype=np.uint8)


def expected_fibres(spec: FibreSpec, block_volume_um3: float) -> float:
    """Expected number of fibres in a block: volume fraction × block volume / mean fibre volume."""
    return spec.volume_fraction * block_volume_um3 / spec.mean_fibre_volume()


def spec_to_dict(spec: FibreSpec) -> dict[str, Any]:
    """JSON-ready form of a spec (``FibreSpec.to_dict``)."""
    return spec.to_dict()


def spec_from_dict(data: dict[str, Any]) -> FibreSpec:
    """Inverse of :func:`spec_to_dict`."""
    return FibreSpec.from_dict(data)


def spec_key(spec: FibreSpec) -> str:
    """A text that changes whenever the spec does (for store fingerprints)."""
    return json.dumps(spec.to_dict(), sort_keys=True)
