"""Which compiled backends exist, and the choice of device for heavy functions.

``voxtwin._core`` (CPU, always built) and ``voxtwin._cuda`` (built only where nvcc and cuFFT
were found) are separate extensions, so a wheel built with CUDA still imports on a machine
without a GPU. The ImportError of ``_cuda`` is kept to explain why CUDA is unavailable.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import ModuleType
from typing import Literal

from . import _core
from .errors import BackendUnavailableError, CudaUnusableWarning

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


def _gpu_visible_to_os() -> bool:
    """True when the OS shows an NVIDIA GPU (driver node or device file), whatever CUDA says."""
    gpus = Path("/proc/driver/nvidia/gpus")
    try:
        if gpus.is_dir() and any(gpus.iterdir()):
            return True
    except OSError:
        pass
    return Path("/dev/nvidia0").exists()


_status_cache: dict[str, object] | None = None


def _runtime_status() -> dict[str, object]:
    """The CUDA runtime's answer (cached: the device list does not change within a process)."""
    global _status_cache
    if _status_cache is None:
        if _cuda is None:
            _status_cache = {"code": "not_built", "message": f"not built ({_cuda_import_error})", "device_count": 0}
        else:
            _status_cache = dict(_cuda.runtime_status())
    return _status_cache


def cuda_status() -> str:
    """One short sentence saying whether the CUDA backend is usable here, and if not, why.

    ``"usable: 1 device (NVIDIA H200)"``, ``"not built (...)"``, ``"no device: ..."``,
    ``"driver too old for this build (driver supports CUDA 12.4, this build needs CUDA 13.0)"``
    or ``"cudaGetDeviceCount failed: ..."``.
    """
    return str(_runtime_status()["message"])


def cuda_available() -> bool:
    """True when the CUDA backend was built and a GPU is usable now (see :func:`cuda_status`)."""
    return _runtime_status()["code"] == "usable"


def _cuda_unavailable_reason() -> str:
    status = cuda_status()
    if _cuda is None:
        return (
            f"CUDA is {status}. Rebuild on a machine with nvcc and cuFFT "
            "(pip install nvidia-cufft; VOXTWIN_CUDA=ON pip install --no-build-isolation .)"
        )
    return f"CUDA is not usable: {status}"


_warned_auto = False


def _warn_unusable_gpu() -> None:
    """Warn once per process when device='auto' falls back to the CPU although a GPU is there."""
    global _warned_auto
    if _warned_auto or not _gpu_visible_to_os():
        return
    _warned_auto = True
    warnings.warn(
        f"device='auto' runs on the CPU although an NVIDIA GPU is visible: {_cuda_unavailable_reason()}",
        CudaUnusableWarning,
        stacklevel=3,
    )


def resolve_device(device: str) -> Literal["cpu", "cuda"]:
    """Turn ``device="auto" | "cpu" | "cuda"`` into the backend to use.

    ``auto`` picks CUDA when it is usable, and warns once (:class:`~voxtwin.errors.CudaUnusableWarning`)
    when a GPU is visible but CUDA cannot use it. Asking for ``cuda`` where it is not usable raises
    :class:`~voxtwin.errors.BackendUnavailableError` quoting :func:`cuda_status`.
    """
    if not isinstance(device, str) or device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"`device` must be 'auto', 'cpu' or 'cuda', got device={device!r}")
    if device == "auto":
        if cuda_available():
            return "cuda"
        _warn_unusable_gpu()
        return "cpu"
    if device == "cuda" and not cuda_available():
        raise BackendUnavailableError(f"device='cuda' requested but {_cuda_unavailable_reason()}")
    return device  # type: ignore[return-value]


def cuda_module() -> ModuleType:
    """The ``voxtwin._cuda`` extension; raises BackendUnavailableError when it is not usable."""
    if _cuda is None or not cuda_available():
        raise BackendUnavailableError(_cuda_unavailable_reason())
    return _cuda


def backend_info() -> dict[str, object]:
    """What this installation has: version, threads, CUDA build, status and devices."""
    info: dict[str, object] = {
        "version": _core.__version__,
        "cpu_threads": _core.get_num_threads(),
        "cuda_built": cuda_built(),
        "cuda_available": cuda_available(),
        "cuda_status": cuda_status(),
    }
    from .simulate_mpi import mpi_built

    info["mpi_built"] = mpi_built()
    if _cuda is None:
        info["cuda_import_error"] = _cuda_import_error
    elif cuda_available():
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
