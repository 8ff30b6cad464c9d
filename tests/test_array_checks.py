"""Every binding checks its volume arguments the same way: named, explained, never a crash."""

from __future__ import annotations

import numpy as np
import pytest

from voxtwin import _core


def test_accepts_a_proper_volume() -> None:
    counts = _core.phase_counts(np.zeros((2, 3, 4), dtype=np.uint8))
    assert counts[0] == 24 and sum(counts) == 24


def test_wrong_dtype_is_a_type_error_naming_the_argument() -> None:
    with pytest.raises(TypeError, match=r"`labels` must have dtype uint8, got dtype float64"):
        _core.phase_counts(np.zeros((2, 2, 2)))


def test_not_an_array_is_a_type_error() -> None:
    with pytest.raises(TypeError, match=r"`labels` must be a numpy array of dtype uint8, got list"):
        _core.phase_counts([[[0]]])


def test_wrong_dimensions_is_a_value_error_with_the_shape() -> None:
    with pytest.raises(ValueError, match=r"`labels` must be a 3D array indexed \[x, y, z\], got shape \(4, 4\)"):
        _core.phase_counts(np.zeros((4, 4), dtype=np.uint8))


def test_non_contiguous_is_a_value_error_with_the_fix() -> None:
    vol = np.zeros((4, 5, 6), dtype=np.uint8).transpose(2, 1, 0)
    with pytest.raises(ValueError, match=r"C-contiguous; pass numpy.ascontiguousarray\(labels\)"):
        _core.phase_counts(vol)


def test_empty_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"`labels` must not be empty, got shape \(0, 3, 3\)"):
        _core.phase_counts(np.zeros((0, 3, 3), dtype=np.uint8))


def test_byte_swapped_float_is_rejected() -> None:
    # Same kind, other byte order: converting silently would hide a misread file.
    vol = np.zeros((2, 2, 2), dtype=">f4")
    with pytest.raises(TypeError, match="`labels`"):
        _core.phase_counts(vol)
