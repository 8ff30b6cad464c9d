"""Materials and the solver: constants out of any physical range, loads that overflow, contrasts the
tolerance cannot resolve, and effective stiffnesses that break physical bounds are never reported
as converged."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin import simulate

PLA, FIBRE = vt.Isotropic(3.4, 0.33, alpha=68e-6), vt.Isotropic(87.5, 0.2, alpha=8e-6)


def layered(n: int = 8) -> np.ndarray:
    labels = np.zeros((n, n, n), dtype=np.uint8)
    labels[:, :, : n // 2] = 1
    return labels


@pytest.mark.parametrize("E", [1e200, 1e308, 3.4e9, 1e-12])
def test_moduli_outside_any_material_are_refused(E: float) -> None:
    with pytest.raises(ValueError, match="`E` must be in .*GPa"):
        vt.Isotropic(E, 0.3)


def test_incompressible_nu_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match="`nu` must be in \\(-1, 0.5\\).*incompressible"):
        vt.Isotropic(3.4, 0.5)


def test_cte_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="`alpha`"):
        vt.Isotropic(3.4, 0.3, alpha=5.0)


def test_huge_axis_components_are_normalized_not_zeroed() -> None:
    m = vt.TransverselyIsotropic(230.0, 15.0, 15.0, 0.2, 0.07, axis=(1e200, 1e200, 0))
    assert np.allclose(m.axis, [2**-0.5, 2**-0.5, 0.0])


def test_anisotropic_of_strings_is_a_type_error_naming_c() -> None:
    with pytest.raises(TypeError, match="`C` must be a 6×6 matrix of numbers"):
        vt.Anisotropic([["a"] * 6] * 6)
    with pytest.raises(ValueError, match="largest entry of `C`"):
        vt.Anisotropic(np.eye(6) * 1e200)


def test_thermal_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match="`thermal` must be True, False or None"):
        vt.homogenize(layered(), {0: PLA, 1: FIBRE}, thermal="no", device="cpu", progress=False)


@pytest.mark.parametrize("load", [{"stress": [1e300, 0, 0, 0, 0, 0]}, {"strain": [1e10, 0, 0, 0, 0, 0]}])
def test_loads_that_would_overflow_are_refused(load: dict) -> None:
    with pytest.raises(ValueError, match="must be within"):
        vt.solve(layered(), {0: PLA, 1: FIBRE}, device="cpu", progress=False, **load)


def test_contrast_beyond_the_tolerance_is_flagged_not_converged() -> None:
    soft, stiff = vt.Isotropic(1e-4, 0.3), vt.Isotropic(1e4, 0.3)  # contrast 1e8
    with pytest.warns(vt.ContrastWarning, match=r"contrast \d.*tol x contrast > 1.*use tol <= \d"):
        res = vt.homogenize(layered(), {0: soft, 1: stiff}, tol=1e-5, device="cpu", progress=False)
    assert not res.converged and "contrast" in res.problems[0]
    with pytest.warns(vt.ContrastWarning), pytest.raises(vt.ConvergenceError, match="contrast"):
        vt.homogenize(layered(), {0: soft, 1: stiff}, tol=1e-5, device="cpu", progress=False, strict=True)


def test_ordinary_contrast_is_not_flagged() -> None:
    res = vt.homogenize(layered(), {0: PLA, 1: FIBRE}, device="cpu", progress=False)
    assert res.converged and res.problems == ()
    # the layered cell has the exact laminate (Voigt) stiffness along the layers, below Voigt elsewhere
    voigt = 0.5 * (PLA.C + FIBRE.C)
    assert np.linalg.eigvalsh(voigt - res.C).min() > -1e-6 * np.abs(voigt).max()


def test_physical_checks_catch_a_non_positive_or_super_voigt_stiffness() -> None:
    """The post-solve checks on fabricated results: the negative control for the bound they enforce."""
    table = vt.simulate._setup(layered(), {0: PLA, 1: FIBRE}, 1.0, 1e-5, "cpu", "hex8r", None, 10, None, 0.0)
    voigt = 0.5 * (PLA.C + FIBRE.C)
    assert simulate._check_effective(voigt, voigt, table) == ()
    bad = voigt.copy()
    bad[2, 2] = -50.0
    assert any("not positive definite" in p for p in simulate._check_effective(bad, bad, table))
    stiff = voigt * 1.01
    assert any("Voigt bound" in p for p in simulate._check_effective(stiff, stiff, table))
    skew = voigt.copy()
    skew[0, 1] += 0.01 * np.abs(voigt).max()  # an asymmetry of 1e-2 at tol 1e-5
    assert any("not symmetric" in p for p in simulate._check_effective(voigt, skew, table))
