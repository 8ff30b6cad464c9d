"""Directional modulus, modulus rose and anisotropy A_E against closed forms; plots draw what they say."""

from __future__ import annotations

import numpy as np
import pytest

import voxtwin as vt
from voxtwin import analysis

# Closed-form comparisons in float64: round-off only.
RTOL = 1e-10


def test_isotropic_material_has_the_same_modulus_in_every_direction(rng: np.random.Generator) -> None:
    mat = vt.Isotropic(3.4, 0.33)
    directions = rng.normal(size=(50, 3))
    assert np.allclose(analysis.directional_modulus(mat.C, directions), 3.4, rtol=RTOL)
    theta, E = analysis.modulus_rose(mat.C, "yz", n=72)
    assert theta.shape == E.shape == (72,)
    assert np.allclose(E, 3.4, rtol=RTOL)
    assert analysis.anisotropy(mat.C, "xz") == pytest.approx(1.0, abs=1e-12)


def test_rose_of_a_transversely_isotropic_fibre_matches_the_lamina_formula() -> None:
    # In-plane modulus of an orthotropic lamina at angle theta from its axis:
    # 1/E = cos^4/E1 + sin^4/E2 + (1/G12 - 2 nu12/E1) sin^2 cos^2.
    E1, E2, G12, nu12 = 87.5, 12.0, 5.0, 0.3
    fibre = vt.TransverselyIsotropic(E1, E2, G12, nu12, 0.4, axis=(1, 0, 0))
    theta, E = analysis.modulus_rose(fibre.C, "xy", n=360)
    c, s = np.cos(theta), np.sin(theta)
    expected = 1 / (c**4 / E1 + s**4 / E2 + (1 / G12 - 2 * nu12 / E1) * s**2 * c**2)
    assert np.allclose(E, expected, rtol=RTOL)
    assert analysis.directional_modulus(fibre.C, (1, 0, 0)) == pytest.approx(E1, rel=RTOL)
    dense = np.linspace(0, 2 * np.pi, 200001)
    c, s = np.cos(dense), np.sin(dense)
    E_dense = 1 / (c**4 / E1 + s**4 / E2 + (1 / G12 - 2 * nu12 / E1) * s**2 * c**2)
    # The extremes of the rose are found by sampling 3600 angles: resolved to ~1e-5 relative.
    assert analysis.anisotropy(fibre.C, "xy") == pytest.approx(E_dense.max() / E_dense.min(), rel=2e-5)
    # Rotating the fibre by 90 degrees in the plane turns the rose but keeps A_E.
    turned = fibre.with_axis((0, 1, 0))
    assert analysis.anisotropy(turned.C, "xy") == pytest.approx(analysis.anisotropy(fibre.C, "xy"), rel=1e-9)
    assert analysis.directional_modulus(turned.C, (0, 1, 0)) == pytest.approx(E1, rel=RTOL)


def test_anisotropy_of_a_homogenized_fibre_block_grows_with_alignment() -> None:
    # Fibres along x make the composite stiffer along x than along y: A_E in xy > 1, in yz ~ sym.
    labels = np.zeros((16, 12, 12), np.uint8)
    labels[:, 2:4, 2:4] = 1
    labels[:, 8:10, 7:9] = 1
    res = vt.homogenize(labels, {0: vt.Isotropic(3.4, 0.33), 1: vt.Isotropic(87.5, 0.2)}, device="cpu",
                        progress=False)
    E_x = analysis.directional_modulus(res.C, (1, 0, 0))
    E_y = analysis.directional_modulus(res.C, (0, 1, 0))
    # Continuous fibres: the axial modulus is the rule of mixtures (exact for parallel cylinders
    # of any section under uniform axial strain, up to the small Poisson coupling).
    f = labels.mean()
    assert E_x == pytest.approx(f * 87.5 + (1 - f) * 3.4, rel=0.01)
    assert E_x > E_y
    assert analysis.anisotropy(res.C, "xy") > 1.5


def test_singular_and_malformed_stiffness_raise() -> None:
    porous = np.zeros((6, 6))
    porous[1, 1] = porous[2, 2] = 1.0
    with pytest.raises(ValueError, match="positive definite"):
        analysis.directional_modulus(porous, (1, 0, 0))
    with pytest.raises(ValueError, match="6×6"):
        analysis.modulus_rose(np.eye(3))
    with pytest.raises(ValueError, match="`plane`"):
        analysis.modulus_rose(np.eye(6), "xx")
    with pytest.raises(ValueError, match="non-zero"):
        analysis.directional_modulus(np.eye(6), (0, 0, 0))


def test_plots_draw_the_rose_and_the_fields() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fibre = vt.TransverselyIsotropic(87.5, 12.0, 5.0, 0.3, 0.4, axis=(1, 1, 0))
    ax = analysis.plot_modulus_rose({"fibre": fibre.C, "pla": vt.Isotropic(3.4, 0.33).C}, "xy", n=90)
    (line, iso) = ax.get_lines()
    theta, E = analysis.modulus_rose(fibre.C, "xy", n=90)
    assert np.allclose(line.get_ydata()[:-1], E)
    assert "A_E" in ax.get_legend().get_texts()[0].get_text()
    plt.close(ax.figure)

    labels = np.zeros((8, 8, 8), np.uint8)
    labels[2:5, 2:5, :] = 1
    sol = vt.solve(labels, {0: vt.Isotropic(3.4, 0.33), 1: vt.Isotropic(87.5, 0.2)}, strain=[0, 0, 1e-3, 0, 0, 0],
                   device="cpu", progress=False)
    ax = analysis.plot_field_slice(sol, "stress", "zz", axis="z", index=3)
    image = ax.get_images()[0].get_array()
    assert np.allclose(image, 1000.0 * sol.stress[2, :, :, 3].T)  # stresses below 0.1 GPa are shown in MPa
    plt.close(ax.figure)
    ax = analysis.plot_phase_histograms(sol, "stress", "zz", labels={0: "matrix", 1: "fibre"})
    assert len(ax.patches) == 2
    plt.close(ax.figure)
