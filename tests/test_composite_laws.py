"""Mori–Tanaka laws of composite voxels: Eshelby limits, exact two-phase results, rotation."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.composite_laws import eshelby_spheroid, mori_tanaka, rotate_laws

LIB = vt.material_library()
PLA, BASALT = LIB["pla"], LIB["basalt_fibre"]
# Closed forms evaluated two ways agree to double rounding of terms O(1).
EXACT = 1e-10
# The spheroid formulas lose digits as the aspect ratio grows (g involves cancellation of
# A sqrt(A² − 1) and arccosh A); at A = 1e4 the cylinder is reached to about 1e-7.
LIMIT = 1e-6


def test_eshelby_spheroid_reaches_the_sphere_and_the_cylinder() -> None:
    nu = 0.33
    # the entries approach the sphere's linearly in A − 1 (at most 0.16 % off at A = 1.001)
    sphere = eshelby_spheroid(nu, 1.001)
    for i in (0, 1, 2):
        assert sphere[i, i] == pytest.approx((7 - 5 * nu) / (15 * (1 - nu)), rel=1e-3)  # a sphere's S1111
    assert sphere[0, 1] == pytest.approx((5 * nu - 1) / (15 * (1 - nu)), rel=1e-3)
    assert sphere[2, 0] == pytest.approx((5 * nu - 1) / (15 * (1 - nu)), rel=2e-3)
    for i in (3, 4, 5):
        assert sphere[i, i] == pytest.approx(2 * (4 - 5 * nu) / (15 * (1 - nu)), rel=1e-3)
    np.testing.assert_allclose(eshelby_spheroid(nu, 1e4), eshelby_spheroid(nu, np.inf), atol=LIMIT)


def test_mori_tanaka_end_points_are_the_phases() -> None:
    axes = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    C, alpha = mori_tanaka(PLA, BASALT, np.array([0.0, 1.0]), axes)
    np.testing.assert_allclose(C[0], PLA.C, atol=EXACT * 100)
    np.testing.assert_allclose(C[1], BASALT.C, atol=EXACT * 1000)
    np.testing.assert_allclose(alpha[0], PLA.alpha, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(alpha[1], BASALT.alpha, rtol=1e-9, atol=1e-15)


def test_mori_tanaka_cylinders_give_hashins_transverse_bulk_modulus() -> None:
    """Aligned cylinders: MT's plane-strain bulk modulus k23 equals the composite cylinder
    assemblage's exact value k = km + f / (1/(kf − km) + (1 − f)/(km + Gm)) (Hashin & Rosen)."""
    f = np.array([0.1, 0.4, 0.7])
    C, _ = mori_tanaka(PLA, BASALT, f, np.tile([0.0, 0.0, 1.0], (3, 1)))
    k = lambda m: m.K + m.G / 3  # plane-strain bulk modulus λ + G
    km, kf, Gm = k(PLA), k(BASALT), PLA.G
    hashin = km + f / (1 / (kf - km) + (1 - f) / (km + Gm))
    np.testing.assert_allclose((C[:, 0, 0] + C[:, 0, 1]) / 2, hashin, rtol=1e-10)


def test_rotation_matches_the_materials_rotation() -> None:
    law = vt.Anisotropic(mori_tanaka(PLA, BASALT, np.array([0.3]), np.array([[0.0, 0.0, 1.0]]))[0][0],
                         mori_tanaka(PLA, BASALT, np.array([0.3]), np.array([[0.0, 0.0, 1.0]]))[1][0])
    axis = np.array([0.6, -0.3, 0.742])
    axis /= np.linalg.norm(axis)
    C, alpha = rotate_laws(law.C[None], law.alpha[None], axis[None])
    # the library's rotation with the same frame (third column = axis)
    from voxtwin.composite_laws import _frames

    turned = law.rotated(_frames(axis[None])[0])
    np.testing.assert_allclose(C[0], turned.C, atol=1e-9)
    np.testing.assert_allclose(alpha[0], turned.alpha, rtol=1e-9, atol=1e-15)
    # a transversely isotropic law does not depend on the frame's choice about the axis
    C_mt, _ = mori_tanaka(PLA, BASALT, np.array([0.3]), axis[None])
    np.testing.assert_allclose(C_mt[0], C[0], atol=1e-9)


def test_spheroids_are_softer_along_the_axis_than_cylinders() -> None:
    """Short fibres transfer less load: a finite aspect ratio lowers the axial stiffness, and
    the law tends to the cylinders' as the aspect ratio grows."""
    z = np.array([[0.0, 0.0, 1.0]])
    f = np.array([0.5])
    cyl = mori_tanaka(PLA, BASALT, f, z)[0][0, 2, 2]
    short = mori_tanaka(PLA, BASALT, f, z, aspect=3.0)[0][0, 2, 2]
    long = mori_tanaka(PLA, BASALT, f, z, aspect=300.0)[0][0, 2, 2]
    assert short < long < cyl
    assert long == pytest.approx(cyl, rel=2e-3)  # 0.16 % below at A = 300


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="aspect"):
        eshelby_spheroid(0.3, 0.5)
    with pytest.raises(TypeError, match="matrix"):
        mori_tanaka(BASALT.rotated(np.eye(3)), PLA, np.array([0.1]), np.array([[0.0, 0.0, 1.0]]))
    with pytest.raises(ValueError, match="fractions"):
        mori_tanaka(PLA, BASALT, np.array([1.5]), np.array([[0.0, 0.0, 1.0]]))


def test_double_inclusion_lies_between_mori_tanaka_and_its_inverse() -> None:
    """Lielens' law: the phases at f = 0 and 1, and between the Mori–Tanaka estimate (PLA around
    basalt) and the inverse one (basalt around PLA pockets) on every diagonal entry in between."""
    z = np.tile([0.0, 0.0, 1.0], (3, 1))
    f = np.array([0.0, 0.5, 1.0])
    C, _ = mori_tanaka(PLA, BASALT, f, z, aspect=6.67, double_inclusion=True)
    np.testing.assert_allclose(C[0], PLA.C, atol=1e-9)
    np.testing.assert_allclose(C[2], BASALT.C, atol=1e-8)
    lower, _ = mori_tanaka(PLA, BASALT, f[1:2], z[:1], aspect=6.67)
    upper, _ = mori_tanaka(BASALT, PLA, 1 - f[1:2], z[:1], aspect=6.67)
    d, lo, up = np.diag(C[1]), np.diag(lower[0]), np.diag(upper[0])
    assert np.all(lo < d) and np.all(d < up)
