"""Analytical references for the elasticity solver tests, written independently of voxtwin's C++ core.

Voigt order xx, yy, zz, yz, xz, xy with engineering shear strains (σ = C ε with the usual 6×6 C).
"""

from __future__ import annotations

import numpy as np

# Voigt components that are continuous in stress (serial) and in strain (parallel) across layers
# whose normal is axis 0, 1 or 2.
SERIAL = {0: [0, 4, 5], 1: [1, 3, 5], 2: [2, 3, 4]}
PARALLEL = {0: [1, 2, 3], 1: [0, 2, 4], 2: [0, 1, 5]}


def laminate_response(Cs: list[np.ndarray], alphas: list[np.ndarray], fractions: list[float], normal: int,
                      E: np.ndarray, dT: float) -> tuple[np.ndarray, list[np.ndarray]]:
    """Exact mean stress and per-layer strains of a periodic laminate under mean strain E and ΔT.

    Continuity: the parallel strains equal E_p in every layer; the serial stresses S are the same in
    every layer, and the serial strains average to E_s. Layer i: σ_i = C_i ε_i − ΔT C_i α_i.
    """
    s, p = SERIAL[normal], PARALLEL[normal]
    E = np.asarray(E, dtype=float)
    betas = [C @ a for C, a in zip(Cs, alphas)]
    inv = [np.linalg.inv(C[np.ix_(s, s)]) for C in Cs]
    A = sum(f * Ai for f, Ai in zip(fractions, inv))
    rhs = E[s] + sum(f * Ai @ (C[np.ix_(s, p)] @ E[p] - dT * b[s]) for f, Ai, C, b in zip(fractions, inv, Cs, betas))
    S = np.linalg.solve(A, rhs)
    strains, mean = [], np.zeros(6)
    for f, Ai, C, b in zip(fractions, inv, Cs, betas):
        eps = E.copy()
        eps[s] = Ai @ (S - C[np.ix_(s, p)] @ E[p] + dT * b[s])
        strains.append(eps)
        mean += f * (C @ eps - dT * b)
    return mean, strains


def laminate_effective(Cs: list[np.ndarray], alphas: list[np.ndarray], fractions: list[float],
                       normal: int) -> tuple[np.ndarray, np.ndarray]:
    """Effective C (6×6) and CTE (6) of a laminate: six unit strains and the clamped ΔT = 1 case."""
    C = np.column_stack([laminate_response(Cs, alphas, fractions, normal, np.eye(6)[j], 0.0)[0] for j in range(6)])
    thermal, _ = laminate_response(Cs, alphas, fractions, normal, np.zeros(6), 1.0)
    return C, -np.linalg.solve(C, thermal)


def porous_laminate_effective(C: np.ndarray, alpha: np.ndarray, solid_fraction: float,
                              normal: int) -> tuple[np.ndarray, np.ndarray]:
    """Layers of one solid separated by void layers: the solid plates are traction-free across
    (serial stresses 0), so C_eff = f (C_pp − C_ps C_ss⁻¹ C_sp) on the parallel block and 0 elsewhere;
    the in-plane CTE is that of a free plate; serial CTE components are undetermined (NaN)."""
    s, p = SERIAL[normal], PARALLEL[normal]
    beta = C @ alpha
    Css_inv = np.linalg.inv(C[np.ix_(s, s)])
    Q = C[np.ix_(p, p)] - C[np.ix_(p, s)] @ Css_inv @ C[np.ix_(s, p)]
    out = np.zeros((6, 6))
    out[np.ix_(p, p)] = solid_fraction * Q
    a = np.full(6, np.nan)
    a[p] = np.linalg.solve(Q, beta[p] - C[np.ix_(p, s)] @ Css_inv @ beta[s])
    return out, a


def isotropic_moduli(C: np.ndarray) -> tuple[float, float]:
    """Bulk and shear moduli of the isotropic projection of a Voigt stiffness."""
    K = C[:3, :3].sum() / 9
    G = (np.trace(C[:3, :3]) - (C[0, 1] + C[0, 2] + C[1, 2]) + 3 * (C[3, 3] + C[4, 4] + C[5, 5])) / 15
    return float(K), float(G)


def hashin_shtrikman(K1: float, G1: float, K2: float, G2: float, f2: float) -> tuple[float, float, float, float]:
    """HS bounds (K_lower, K_upper, G_lower, G_upper) of an isotropic two-phase composite, phase 2 stiffer."""
    f1 = 1 - f2
    K_lo = K1 + f2 / (1 / (K2 - K1) + 3 * f1 / (3 * K1 + 4 * G1))
    K_up = K2 + f1 / (1 / (K1 - K2) + 3 * f2 / (3 * K2 + 4 * G2))
    G_lo = G1 + f2 / (1 / (G2 - G1) + 6 * f1 * (K1 + 2 * G1) / (5 * G1 * (3 * K1 + 4 * G1)))
    G_up = G2 + f1 / (1 / (G1 - G2) + 6 * f2 * (K2 + 2 * G2) / (5 * G2 * (3 * K2 + 4 * G2)))
    return K_lo, K_up, G_lo, G_up


def eshelby_dilute_bulk(Km: float, Gm: float, Ki: float, f: float) -> float:
    """Bulk modulus of a dilute suspension of spheres (Eshelby): K_m + f (K_i − K_m)(3K_m + 4G_m)/(3K_i + 4G_m)."""
    return Km + f * (Ki - Km) * (3 * Km + 4 * Gm) / (3 * Ki + 4 * Gm)
