"""Which compiled backends exist, and the choice of device for heavy functions.

``voxtwin._core`` (CPU, always built) and ``voxtwin._cuda`` (built only where nvcc and cuFFT
were found) are separate extensions, so a wheel built with CUDA still imports on a machine
without a GPU. The ImportError of ``_cuda`` is kept to explain why CUDA is unavailable.
"""

from __future__ import annotations

from types import ModuleType
from typing import Literal

from . import _core
from .errors import BackendUnavailableError

Device = Literal["auto", "cpu", "cuda"]

_cuda: ModuleType | None
_cuda_import_error: str | None
try:
    from . import _cuda  # type: ignore[attr-defined,no-redef]

    _cuda_import_error = None
except ImportError as exc:  # built without CUDA, or cuFFT/driver libraries missing
    _cuda = None
    _cuda_import_error = str(exc)


def cuda_built() -> bool:
    """True when the CUDA extension ``voxtwin._cuda`` was built and imports."""
    return _cuda is not None


def cuda_available() -> bool:
    """True when the CUDA backend was built and a GPU is visible now."""
    return _cuda is not None and _cuda.device_count() > 0


def _cuda_unavailable_reason() -> str:
    if _cuda is None:
        return (
            "voxtwin was built without its CUDA backend "
            f"({_cuda_import_error}). Rebuild on a machine with nvcc and cuFFT "
            "(pip install nvidia-cufft; VOXTWIN_CUDA=ON pip install --no-build-isolation .)"
        )
    return "the CUDA backend is built but no GPU is visible (cudaGetDeviceCount returned 0)"


def resolve_device(device: str) -> Literal["cpu", "cuda"]:
    """Turn ``device="auto" | "cpu" | "cuda"`` into the backend to use.

    ``auto`` picks CUDA when it is available. Asking for ``cuda`` where it is not raises
    :class:`~voxtwin.errors.BackendUnavailableError` saying why and how to get it.
    """
    if not isinstance(device, str) or device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"`device` must be 'auto', 'cpu' or 'cuda', got device={device!r}")
    if device == "auto":
        return "cuda" if cuda_available() else "cpu"
    if device == "cuda" and not cuda_available():
        raise BackendUnavailableError(f"device='cuda' requested but {_cuda_unavailable_reason()}")
    return device  # type: ignore[return-value]


def cuda_module() -> ModuleType:
    """The ``voxtwin._cuda`` extension; raises BackendUnavailableError when it is not there."""
    if _cuda is None or not cuda_available():
        raise BackendUnavailableError(_cuda_unavailable_reason())
    return _cuda


def backend_info() -> dict[str, object]:
    """What this installation has: version, threads, CUDA build and devices."""
    info: dict[str, object] = {
        "version": _core.__version__,
        "cpu_threads": _core.get_num_threads(),
        "cuda_built": cuda_built(),
        "cuda_available": cuda_available(),
    }
    from .simulate_mpi import mpi_built

    info["mpi_built"] = mpi_built()
    if _cuda is None:
        info["cuda_import_error"] = _cuda_import_error
    else:
        info["cuda_devices"] = [_cuda.device_info(i) for i in range(_cuda.device_count())]
    return info


def get_num_threads() -> int:
    """Number of threads the CPU kernels use."""
    return int(_core.get_num_threads())


def set_num_threads(n: int) -> None:
    """Set the number of threads the CPU kernels use (n >= 1). Results do not depend on it."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"`n` must be an int >= 1, got n={n!r}")
    _core.set_num_threads(n)
