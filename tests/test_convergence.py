"""Richardson-style extrapolation of grid sequences."""

from __future__ import annotations

import numpy as np
import pytest

from voxtwin.convergence import extrapolate

H = np.array([4.0, 2.0, 1.6, 1.25, 1.0])


def test_a_first_order_sequence_extrapolates_exactly() -> None:
    values = 7.0 + 0.3 * H
    e = extrapolate(H, values)
    assert e.limit == pytest.approx(7.0, abs=1e-12)
    assert e.uncertainty == pytest.approx(0.0, abs=1e-12)
    assert e.slope == pytest.approx(0.3)
    assert e.finest == values[-1]


def test_noise_and_curvature_show_in_the_uncertainty(rng: np.random.Generator) -> None:
    """A second-order term and scatter: the limit misses 7 by less than the stated uncertainty,
    which is not zero (the fit cannot be exact)."""
    values = np.stack([7.0 + 0.3 * H + 0.02 * H**2 + 0.01 * rng.standard_normal(H.size),
                       1.0 - 0.1 * H + 0.005 * rng.standard_normal(H.size)], axis=1)
    e = extrapolate(H, values)
    assert e.limit.shape == (2,)
    assert np.all(e.uncertainty > 0)
    assert np.all(np.abs(e.limit - [7.0, 1.0]) < e.uncertainty + 0.05)


def test_bad_sequences_are_named() -> None:
    with pytest.raises(ValueError, match="voxel_sizes"):
        extrapolate([1.0, 1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="values"):
        extrapolate(H, np.zeros(3))
    with pytest.raises(ValueError, match="fit"):
        extrapolate(H, np.zeros(5), fit=2)
