"""Exceptions raised by voxtwin.

Bad arguments raise the built-in ``ValueError`` / ``TypeError`` (messages name the argument
and echo the value); the classes here cover failures that are not a caller's typo.
"""

from __future__ import annotations

__all__ = [
    "VoxtwinError",
    "BackendUnavailableError",
    "CUDAError",
    "InsufficientMemoryError",
    "ConvergenceError",
    "FileFormatError",
    "MissingFileError",
    "ContrastWarning",
    "PlacementError",
    "PlacementWarning",
    "VoxtwinWarning",
    "ThinFeatureWarning",
    "NormalResolutionWarning",
]


class VoxtwinError(Exception):
    """Base class of voxtwin's own errors."""


class BackendUnavailableError(VoxtwinError, RuntimeError):
    """A backend was requested (e.g. ``device="cuda"``) that this build or machine does not have."""


class CUDAError(VoxtwinError, RuntimeError):
    """A CUDA runtime, cuFFT or kernel call failed."""


class InsufficientMemoryError(VoxtwinError, MemoryError):
    """A problem does not fit the memory of the device chosen to run it (checked before allocating)."""


class ConvergenceError(VoxtwinError, RuntimeError):
    """An iterative method did not reach its tolerance and the caller asked for ``strict=True``."""


class FileFormatError(VoxtwinError, ValueError):
    """A file could not be read: unknown format, truncated, or inconsistent with its metadata."""


class PlacementError(VoxtwinError, RuntimeError):
    """Fibre placement stopped short of its target volume fraction and the caller asked for ``strict=True``.

    ``achieved`` and ``target`` are the volume fractions reached and asked for.
    """

    def __init__(self, message: str, achieved: float, target: float) -> None:
        super().__init__(message)
        self.achieved = achieved
        self.target = target


class VoxtwinWarning(UserWarning):
    """Base class of voxtwin's warnings (filter them with ``warnings.simplefilter``)."""


class PlacementWarning(VoxtwinWarning):
    """Fibre placement stopped short of its target volume fraction (the twin holds what was placed)."""


class ThinFeatureWarning(VoxtwinWarning):
    """Features (fibres, pores) are thinner than a downsampling factor: composite voxels need at least ``factor``."""


class NormalResolutionWarning(VoxtwinWarning):
    """The composite-voxel table had to fall back to a coarser set of interface normals to fit 65536 entries."""


class DistributionWarning(VoxtwinWarning):
    """A size distribution had to be changed to make sense (e.g. a Normal with real mass below 0 µm, truncated at 0)."""


class SegmentationWarning(VoxtwinWarning):
    """A segmentation is doubtful: a class poorly covered by automatic strokes, a histogram that does not
    show the phases asked for, or a scan without a voxel size."""


class MissingFileError(FileFormatError, FileNotFoundError):
    """A file or folder named by the caller does not exist (a ``FileFormatError`` and a
    ``FileNotFoundError`` too, so either ``except`` catches it)."""


class ContrastWarning(VoxtwinWarning):
    """The stiffness contrast between phases is beyond what the solver tolerance resolves (result flagged)."""


class CudaUnusableWarning(VoxtwinWarning):
    """device='auto' fell back to the CPU although an NVIDIA GPU is visible (see voxtwin.cuda_status())."""
