"""Device selection, backend reporting and the installed CMake package."""

from __future__ import annotations

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
