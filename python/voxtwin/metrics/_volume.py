"""Input checks shared by the descriptors: a 2D image or 3D volume of uint8 labels, axis names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _validate

__all__ = ["Labels", "as_labels", "phase_label"]

AXES = "xyz"


@dataclass(frozen=True)
class Labels:
    """A checked label array as the C++ core wants it: C-contiguous uint8 of shape (nx, ny, nz).

    ``axes`` names the array's axes ("xyz" for a volume, e.g. "xz" for an image of that plane);
    a 2D image gets a singleton third axis (never periodic, never a direction).
    """

    array: np.ndarray
    axes: str
    voxel_size: float

    @property
    def lengths(self) -> tuple[int, ...]:
        """Voxels along each named axis."""
        return tuple(int(n) for n in self.array.shape[: len(self.axes)])

    def periodic_flags(self, periodic: bool) -> list[bool]:
        """Per array axis: wraps only along named axes of more than one voxel."""
        return [bool(periodic) and i < len(self.axes) and self.array.shape[i] > 1 for i in range(3)]


def as_labels(volume: object, voxel_size: object, plane: str | None = None, name: str = "volume") -> Labels:
    """Checks ``volume`` (2D image or 3D volume of integer labels 0..255, or booleans)."""
    size = _validate.positive("voxel_size", voxel_size, "µm")
    if not isinstance(volume, np.ndarray):
        raise TypeError(f"`{name}` must be a numpy array of labels, got {type(volume).__name__}")
    if volume.ndim not in (2, 3):
        raise ValueError(f"`{name}` must be a 2D image or a 3D volume indexed [x, y, z], got shape {volume.shape}")
    if volume.size == 0:
        raise ValueError(f"`{name}` must not be empty, got shape {volume.shape}")
    if volume.dtype == np.bool_:
        arr = volume.astype(np.uint8)
    elif np.issubdtype(volume.dtype, np.integer):
        if volume.dtype != np.uint8:
            lo, hi = int(volume.min()), int(volume.max())
            if lo < 0 or hi > 255:
                raise ValueError(f"`{name}` labels must lie in 0..255, got values in [{lo}, {hi}]")
        arr = volume.astype(np.uint8, copy=False)
    else:
        raise TypeError(f"`{name}` must hold integer labels (uint8) or booleans, got dtype {volume.dtype}")
    if volume.ndim == 3:
        if plane is not None:
            raise ValueError(f"`plane` names the axes of a 2D image; `{name}` is 3D, got plane={plane!r}")
        axes = AXES
    else:
        axes = _validate.choice("plane", "xy" if plane is None else plane, ("xy", "xz", "yz", "yx", "zx", "zy"))
        arr = arr[:, :, None]
    return Labels(np.ascontiguousarray(arr), axes, size)


def phase_label(value: object, name: str = "phase") -> int:
    """A phase label in 0..255."""
    out = _validate.integer(name, value, minimum=0)
    if out > 255:
        raise ValueError(f"`{name}` must be a uint8 label in 0..255, got {name}={value!r}")
    return out
