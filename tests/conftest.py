"""Shared fixtures: the compute device, the real micro-CT sample, and deterministic RNGs."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.gpu)])
def device(request: pytest.FixtureRequest) -> str:
    """Every heavy function is tested on each backend; CUDA is skipped where there is no GPU."""
    if request.param == "cuda" and not vt.cuda_available():
        pytest.skip("CUDA backend not built or no GPU visible")
    return request.param


def shared_data_dir() -> Path:
    """``../shared/data`` beside the checkout, or $VOXTWIN_SHARED_DATA."""
    env = os.environ.get("VOXTWIN_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def fiberform_path() -> Path:
    """The real FiberForm micro-CT (100³ uint8, 1.3 µm voxels); tests using it skip when it is absent."""
    path = shared_data_dir() / "100_fiberform.tif"
    if not path.is_file():
        pytest.skip(f"real micro-CT sample not found at {path}")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator, so random test inputs are the same on every run."""
    return np.random.default_rng(20251121)
