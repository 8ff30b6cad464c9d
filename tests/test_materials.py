"""Materials: stiffness from engineering constants, rotations, CTE, validation, library."""

from __future__ import annotations

import math

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.materials import material_from_dict

# Double-precision round-off of a 6×6 inverse and a few rotations: far below any physical effect.
RTOL = 1e-12


def rotation_about_z(deg: float) -> np.ndarray:
    t = math.radians(deg)
    return np.array([[math.cos(t), -math.sin(t), 0.0], [math.sin(t), math.cos(t), 0.0], [0.0, 0.0, 1.0]])


def test_isotropic_lame_form() -> None:
    E, nu = 87.5, 0.2
    m = vt.Isotropic(E, nu)
    lam = E * nu / ((1 + nu) * (1 - 2 * nu))
    mu = E / (2 * (1 + nu))
    expected = np.zeros((6, 6))
    expected[:3, :3] = lam
    expected[np.arange(3), np.arange(3)] = lam + 2 * mu
    expected[np.arange(3, 6), np.arange(3, 6)] = mu
    np.testing.assert_allclose(m.C, expected, rtol=RTOL, atol=1e-12)
    S = m.S
    assert 1 / S[0, 0] == pytest.approx(E, rel=RTOL)
    assert -S[0, 1] / S[0, 0] == pytest.approx(nu, rel=RTOL)
    assert m.G == pytest.approx(mu, rel=RTOL)
    assert m.K == pytest.approx(lam + 2 * mu / 3, rel=RTOL)


def test_from_EG_gives_nu() -> None:
    m = vt.Isotropic.from_EG(3.4, 1.27)
    assert m.nu == pytest.approx(3.4 / (2 * 1.27) - 1, rel=RTOL)
    with pytest.raises(ValueError, match="`G`"):
        vt.Isotropic.from_EG(3.0, 0.9)  # G < E/3 -> nu > 0.5


def test_isotropic_is_rotation_invariant() -> None:
    m = vt.Isotropic(3.4, 0.33, alpha=68e-6)
    R = vt._core.rotation_from_axis(np.array([1.0, 2.0, -0.5]))
    turned = m.rotated(R)
    np.testing.assert_allclose(turned.C, m.C, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(turned.alpha, m.alpha, rtol=1e-12, atol=1e-20)


def test_transversely_isotropic_engineering_constants() -> None:
    E1, E2, G12, nu12, nu23 = 230.0, 15.0, 15.0, 0.2, 0.0714
    m = vt.TransverselyIsotropic(E1, E2, G12, nu12, nu23, alpha1=-0.7e-6, alpha2=12e-6)
    S = m.S
    assert 1 / S[0, 0] == pytest.approx(E1, rel=RTOL)
    assert 1 / S[1, 1] == pytest.approx(E2, rel=RTOL)
    assert 1 / S[2, 2] == pytest.approx(E2, rel=RTOL)
    assert -S[0, 1] / S[0, 0] == pytest.approx(nu12, rel=RTOL)
    assert -S[1, 2] / S[1, 1] == pytest.approx(nu23, rel=RTOL)
    assert 1 / S[5, 5] == pytest.approx(G12, rel=RTOL)
    assert 1 / S[4, 4] == pytest.approx(G12, rel=RTOL)
    assert 1 / S[3, 3] == pytest.approx(E2 / (2 * (1 + nu23)), rel=RTOL)
    np.testing.assert_allclose(m.alpha, [-0.7e-6, 12e-6, 12e-6, 0, 0, 0], atol=1e-20)


@pytest.mark.parametrize("axis", [(0, 1, 0), (0, 0, 1), (1, 1, 1), (0.3, -0.2, 0.9)])
def test_rotated_axis_keeps_axial_and_transverse_moduli(axis: tuple[float, float, float]) -> None:
    """Independent check of the tensor rotation: the modulus along the new axis is E1 and across it E2."""
    E1, E2 = 230.0, 15.0
    m = vt.TransverselyIsotropic(E1, E2, 15.0, 0.2, 0.07, axis=axis)
    a = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    S = m.S

    def modulus(d: np.ndarray) -> float:
        sigma = np.array([d[0] ** 2, d[1] ** 2, d[2] ** 2, d[1] * d[2], d[0] * d[2], d[0] * d[1]])
        eps = S @ sigma  # engineering shear strains
        eps_t = np.array([[eps[0], eps[5] / 2, eps[4] / 2], [eps[5] / 2, eps[1], eps[3] / 2], [eps[4] / 2, eps[3] / 2, eps[2]]])
        return 1.0 / float(d @ eps_t @ d)

    assert modulus(a) == pytest.approx(E1, rel=1e-10)
    transverse = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
    assert modulus(transverse / np.linalg.norm(transverse)) == pytest.approx(E2, rel=1e-10)


def test_ti_axis_y_equals_axis_x_turned_about_z() -> None:
    base = vt.TransverselyIsotropic(230.0, 15.0, 15.0, 0.2, 0.07, alpha1=-0.7e-6, alpha2=12e-6)
    along_y = base.with_axis((0, 1, 0))
    turned = base.rotated(rotation_about_z(90.0))
    np.testing.assert_allclose(along_y.C, turned.C, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(along_y.alpha, turned.alpha, atol=1e-18)
    # The axial stiffness moved from C11 to C22.
    assert along_y.C[1, 1] == pytest.approx(base.C[0, 0], rel=1e-12)


def test_cte_tensor_of_tilted_fibre() -> None:
    a1, a2 = -0.7e-6, 12e-6
    axis = np.array([1.0, 1.0, 0.0]) / math.sqrt(2)
    m = vt.TransverselyIsotropic(230.0, 15.0, 15.0, 0.2, 0.07, alpha1=a1, alpha2=a2, axis=axis)
    tensor = a2 * np.eye(3) + (a1 - a2) * np.outer(axis, axis)
    voigt = [tensor[0, 0], tensor[1, 1], tensor[2, 2], 2 * tensor[1, 2], 2 * tensor[0, 2], 2 * tensor[0, 1]]
    np.testing.assert_allclose(m.alpha, voigt, atol=1e-18)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"E": 3.4, "nu": 0.5}, "nu"),
        ({"E": 3.4, "nu": -1.0}, "nu"),
        ({"E": 3.4, "nu": 0.7}, "nu"),
        ({"E": 0.0, "nu": 0.3}, "E"),
        ({"E": -2.0, "nu": 0.3}, "E"),
        ({"E": float("nan"), "nu": 0.3}, "E"),
        ({"E": 3.4, "nu": float("nan")}, "nu"),
        ({"E": 3.4, "nu": 0.3, "alpha": float("inf")}, "alpha"),
        ({"E": 3.4, "nu": 0.3, "density": -1.0}, "density"),
    ],
)
def test_isotropic_rejects_bad_values(kwargs: dict[str, float], name: str) -> None:
    with pytest.raises(ValueError, match=f"`{name}`"):
        vt.Isotropic(**kwargs)


def test_isotropic_rejects_non_numbers() -> None:
    with pytest.raises(TypeError, match="`E`"):
        vt.Isotropic("stiff", 0.3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"E2": -1.0}, "E2"),
        ({"G12": 0.0}, "G12"),
        ({"nu23": 1.0}, "nu23"),
        ({"nu12": 5.0}, "nu12"),
        ({"axis": (0, 0, 0)}, "axis"),
    ],
)
def test_transversely_isotropic_rejects_bad_values(kwargs: dict[str, object], name: str) -> None:
    params: dict[str, object] = {"E1": 230.0, "E2": 15.0, "G12": 15.0, "nu12": 0.2, "nu23": 0.07}
    params.update(kwargs)
    with pytest.raises(ValueError, match=f"`{name}`"):
        vt.TransverselyIsotropic(**params)  # type: ignore[arg-type]


def test_anisotropic_validation() -> None:
    C = vt.Isotropic(3.4, 0.33).C
    assert np.allclose(vt.Anisotropic(C).C, C)
    bad = C.copy()
    bad[0, 1] += 1.0
    with pytest.raises(ValueError, match="symmetric"):
        vt.Anisotropic(bad)
    with pytest.raises(ValueError, match="positive definite"):
        vt.Anisotropic(-C)


def test_void_has_zero_stiffness_and_no_compliance() -> None:
    assert vt.VOID.is_void
    assert np.all(vt.VOID.C == 0) and np.all(vt.VOID.alpha == 0)
    with pytest.raises(ValueError, match="void"):
        _ = vt.VOID.S


def test_library_holds_seed_000_values() -> None:
    lib = vt.material_library()
    basalt, pla, air = lib["basalt_fibre"], lib["pla"], lib["air"]
    assert isinstance(basalt, vt.Isotropic) and isinstance(pla, vt.Isotropic)
    assert basalt.E == 87.5 and basalt.nu == 0.2 and basalt.density == 2.67
    assert basalt.G == pytest.approx(36.45, abs=0.02)  # seed 000 lists G = 36.45 GPa
    assert pla.E == 3.4 and pla.nu == 0.33 and pla.density == 1.25
    assert pla.G == pytest.approx(1.27, abs=0.01)  # seed 000 lists G = 1.27 GPa
    assert 1e-6 < basalt.alpha[0] < 1e-5 and 4e-5 < pla.alpha[0] < 1e-4
    assert air.is_void
    for name, mat in lib.items():
        assert mat.name == name
        if not mat.is_void:
            assert np.all(np.linalg.eigvalsh(mat.C) > 0)


def test_dict_round_trip() -> None:
    for mat in vt.material_library().values():
        again = material_from_dict(mat.to_dict())
        assert again == mat
        np.testing.assert_array_equal(again.C, mat.C)
    with pytest.raises(ValueError, match="`kind`"):
        material_from_dict({"kind": "plasma"})
