"""Device selection, backend reporting and the installed CMake package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import voxtwin as vt
from voxtwin._backend import resolve_device


def test_version_is_the_package_version() -> None:
    from importlib.metadata import version

    assert vt.__version__ == version("voxtwin")


def test_resolve_device_rejects_unknown_names() -> None:
    with pytest.raises(ValueError, match=r"`device` must be 'auto', 'cpu' or 'cuda', got device='gpu'"):
        resolve_device("gpu")


def test_auto_picks_cuda_only_when_available() -> None:
    assert resolve_device("auto") == ("cuda" if vt.cuda_available() else "cpu")
    assert resolve_device("cpu") == "cpu"


def test_requesting_missing_cuda_says_why() -> None:
    if vt.cuda_available():
        pytest.skip("a GPU is present")
    with pytest.raises(vt.BackendUnavailableError, match="device='cuda' requested but"):
        resolve_device("cuda")
    with pytest.raises(vt.BackendUnavailableError):
        vt.phase_counts(__import__("numpy").zeros((1, 1, 1), dtype="uint8"), device="cuda")


def test_backend_info_is_consistent() -> None:
    info = vt.backend_info()
    assert info["version"] == vt.__version__
    assert info["cuda_available"] == vt.cuda_available()
    assert isinstance(info["cpu_threads"], int) and info["cpu_threads"] >= 1
    if not info["cuda_built"]:
        assert not vt.cuda_available()


def test_cmake_package_is_installed() -> None:
    cmake_dir = Path(vt.get_cmake_dir())
    assert (cmake_dir / "voxtwinConfig.cmake").is_file()
    assert (cmake_dir / "voxtwinTargets.cmake").is_file()
    include = cmake_dir.parents[2] / "include" / "voxtwin" / "voxtwin.hpp"
    assert include.is_file(), include


def test_cuda_status_is_one_short_sentence_matching_availability() -> None:
    status = vt.cuda_status()
    assert isinstance(status, str) and "\n" not in status and len(status) < 300
    assert status.startswith("usable") == vt.cuda_available()
    assert vt.backend_info()["cuda_status"] == status
    if not vt.backend_info()["cuda_built"]:
        assert status.startswith("not built")


def test_runtime_status_codes_agree_with_their_message() -> None:
    if not vt.backend_info()["cuda_built"]:
        pytest.skip("the CUDA backend is not built")
    st = vt._backend._cuda.runtime_status()
    prefix = {"usable": "usable", "no_device": "no device", "no_driver": "no device",
              "driver_too_old": "driver too old", "error": "cudaGetDeviceCount failed"}
    assert st["message"].startswith(prefix[st["code"]])
    assert (st["device_count"] > 0) == (st["code"] == "usable")
    assert st["runtime_version"] >= 12000  # the static runtime always answers: 12.x or 13.x
    if st["code"] == "driver_too_old":
        assert "driver supports CUDA" in st["message"] and "this build needs CUDA" in st["message"]


def test_device_cuda_error_quotes_the_status() -> None:
    if vt.cuda_available():
        pytest.skip("a GPU is usable")
    with pytest.raises(vt.BackendUnavailableError, match=re.escape(vt.cuda_status())):
        resolve_device("cuda")


def test_auto_warns_once_when_a_visible_gpu_is_unusable(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from voxtwin import _backend

    too_old = {"code": "driver_too_old", "device_count": 0,
               "message": "driver too old for this build (driver supports CUDA 12.4, this build needs CUDA 13.0)"}
    monkeypatch.setattr(_backend, "_status_cache", too_old)
    monkeypatch.setattr(_backend, "_warned_auto", False)
    monkeypatch.setattr(_backend, "_gpu_visible_to_os", lambda: True)
    with pytest.warns(vt.CudaUnusableWarning, match="driver supports CUDA 12.4, this build needs CUDA 13.0"):
        assert resolve_device("auto") == "cpu"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_device("auto") == "cpu"  # once per process
    with pytest.raises(vt.BackendUnavailableError, match="driver too old"):
        resolve_device("cuda")


def test_auto_stays_quiet_without_a_visible_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import warnings

    from voxtwin import _backend

    monkeypatch.setattr(_backend, "_status_cache", {"code": "no_device", "device_count": 0, "message": "no device"})
    monkeypatch.setattr(_backend, "_warned_auto", False)
    monkeypatch.setattr(_backend, "_gpu_visible_to_os", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_device("auto") == "cpu"


def test_info_prints_the_cuda_status(capsys: pytest.CaptureFixture[str]) -> None:
    from voxtwin.cli import main

    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "cuda_status" in out and vt.cuda_status() in out
