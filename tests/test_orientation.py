"""Orientation distributions: sampled orientation tensors against the requested ones, rotations, bad tensors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

import voxtwin as vt
from voxtwin.orientation import in_plane_rotation, orientation_from_dict, orientation_tensor

N = 100_000
ISSUE_TOL = 0.01  # the acceptance criterion: the tensor of 1e5 samples within 0.01 of `a` entrywise
SIGMAS = 5.0  # statistical bound per entry: 5 standard errors of the mean of p_i p_j


def _standard_error(p: np.ndarray) -> np.ndarray:
    outer = np.einsum("ni,nj->nij", p, p)
    return outer.std(axis=0) / math.sqrt(p.shape[0])


def _rotated(diag: list[float], seed: int) -> np.ndarray:
    R = Rotation.random(random_state=seed).as_matrix()
    return R @ np.diag(diag) @ R.T


TENSORS = {
    "general": _rotated([0.6, 0.3, 0.1], 1),
    "printed": _rotated([0.875, 0.0625, 0.0625], 2),
    "nearly_uniaxial": _rotated([0.98, 0.015, 0.005], 3),
    "planar": _rotated([0.7, 0.3, 0.0], 4),
    "planar_isotropic": np.diag([0.5, 0.5, 0.0]),
    "uniaxial": np.diag([0.0, 1.0, 0.0]),
    "isotropic": np.eye(3) / 3,
}


@pytest.mark.parametrize("name", TENSORS)
def test_from_tensor_reproduces_the_tensor(name: str, rng: np.random.Generator) -> None:
    a = TENSORS[name]
    p = vt.orientation.FromTensor(a).sample(N, rng)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-12)
    got = orientation_tensor(p)
    assert np.abs(got - a).max() <= ISSUE_TOL
    assert np.all(np.abs(got - a) <= SIGMAS * _standard_error(p) + 1e-12)


@pytest.mark.parametrize(
    "dist",
    [
        vt.orientation.Isotropic(),
        vt.orientation.Planar((1.0, 2.0, 3.0)),
        vt.orientation.Aligned((1.0, 0.0, 0.0), 5.0),
        vt.orientation.Aligned((0.0, 1.0, 1.0), 15.0),
        vt.orientation.Aligned((1.0, -1.0, 0.5), 40.0),
        vt.orientation.Aligned((0.0, 0.0, 1.0), 60.0),
    ],
    ids=repr,
)
def test_expected_tensor_matches_samples(dist: vt.orientation.OrientationDistribution, rng: np.random.Generator) -> None:
    p = dist.sample(N, rng)
    assert p.shape == (N, 3)
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, atol=1e-12)
    assert np.all(np.abs(orientation_tensor(p) - dist.tensor) <= SIGMAS * _standard_error(p) + 1e-12)
    assert np.trace(dist.tensor) == pytest.approx(1.0)


def test_aligned_spread_zero_is_exact_and_small_spreads_follow_2_sigma_squared(rng: np.random.Generator) -> None:
    d = vt.orientation.Aligned((0.0, 3.0, 4.0), 0.0)
    p = d.sample(100, rng)
    assert np.array_equal(p, np.tile([0.0, 0.6, 0.8], (100, 1)))
    sigma = math.radians(2.0)
    assert vt.orientation.Aligned((1, 0, 0), 2.0).axial == pytest.approx(1 - 2 * sigma**2, rel=1e-5)


def test_planar_directions_lie_in_the_plane(rng: np.random.Generator) -> None:
    n = np.array([1.0, 2.0, 3.0]) / math.sqrt(14.0)
    p = vt.orientation.Planar(tuple(n)).sample(1000, rng)
    assert np.abs(p @ n).max() < 1e-12


def test_rotations_turn_the_distributions() -> None:
    R = in_plane_rotation(90.0)
    np.testing.assert_allclose(R @ [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], atol=1e-15)
    aligned = vt.orientation.Aligned((1.0, 0.0, 0.0), 10.0).rotated(R)
    np.testing.assert_allclose(aligned.direction, (0.0, 1.0, 0.0), atol=1e-15)
    assert aligned.spread_deg == 10.0
    a = TENSORS["general"]
    np.testing.assert_allclose(vt.orientation.FromTensor(a).rotated(R).tensor, R @ a @ R.T, atol=1e-15)
    np.testing.assert_allclose(vt.orientation.Planar((1.0, 0.0, 0.0)).rotated(R).normal, (0.0, 1.0, 0.0), atol=1e-15)
    assert vt.orientation.Isotropic().rotated(R) == vt.orientation.Isotropic()
    with pytest.raises(ValueError, match="`R`"):
        vt.orientation.Isotropic().rotated(np.diag([1.0, 1.0, -1.0]))


@pytest.mark.parametrize(
    "a, match",
    [
        ([[0.5, 0.1, 0.0], [0.0, 0.3, 0.0], [0.0, 0.0, 0.2]], "symmetric"),
        (np.diag([0.6, 0.4, 0.2]), "trace 1"),
        (np.diag([1.2, 0.0, -0.2]), "positive semi-definite"),
        (np.eye(2) / 2, "3x3"),
        (np.diag([np.nan, 0.5, 0.5]), "finite"),
    ],
)
def test_bad_tensors_are_rejected_with_a_reason(a: object, match: str) -> None:
    with pytest.raises(ValueError, match=f"`a`.*{match}"):
        vt.orientation.FromTensor(a)


def test_bad_aligned_and_planar_arguments() -> None:
    with pytest.raises(ValueError, match="`spread_deg`"):
        vt.orientation.Aligned((1.0, 0.0, 0.0), -1.0)
    with pytest.raises(ValueError, match="`spread_deg`"):
        vt.orientation.Aligned((1.0, 0.0, 0.0), 75.0)
    with pytest.raises(ValueError, match="`direction`"):
        vt.orientation.Aligned((0.0, 0.0, 0.0), 5.0)
    with pytest.raises(ValueError, match="`normal`"):
        vt.orientation.Planar((1.0, 0.0))


def test_orientation_tensor_weights_and_normalization() -> None:
    p = np.array([[2.0, 0.0, 0.0], [0.0, -5.0, 0.0]])
    np.testing.assert_allclose(orientation_tensor(p, weights=[3.0, 1.0]), np.diag([0.75, 0.25, 0.0]))
    np.testing.assert_allclose(orientation_tensor(p), np.diag([0.5, 0.5, 0.0]))
    with pytest.raises(ValueError, match="`directions`"):
        orientation_tensor(np.zeros((0, 3)))
    with pytest.raises(ValueError, match="`weights`"):
        orientation_tensor(p, weights=[1.0, -1.0])


@pytest.mark.parametrize(
    "dist",
    [
        vt.orientation.Isotropic(),
        vt.orientation.Planar((0.0, 1.0, 0.0)),
        vt.orientation.Aligned((1.0, 1.0, 0.0), 12.5),
        vt.orientation.FromTensor(TENSORS["general"]),
    ],
    ids=repr,
)
def test_dict_round_trip_through_json(dist: vt.orientation.OrientationDistribution) -> None:
    back = orientation_from_dict(json.loads(json.dumps(dist.to_dict())))
    np.testing.assert_allclose(back.tensor, dist.tensor, atol=1e-15)
    assert type(back) is type(dist)
