"""Closed-form two-point statistics of excursion sets (the moments method of seed 001).

For a unit-variance Gaussian field Z with correlation rho(r), the excursion set {Z > u} has
volume fraction phi = 1 - Phi(u) and, by the bivariate normal distribution,

    S2(r) = P(Z(0) > u, Z(r) > u) = phi^2 + 1/(2 pi) * int_0^asin(rho) exp(-u^2 / (1 + sin t)) dt

(the substitution t -> sin t removes the 1/sqrt(1 - t^2) singularity; Gauss-Legendre nodes).

For a chi^2_k field Y = sum Z_i^2 and the set {Y <= t}: given Y(0) = y, Y(r) / (1 - rho^2) is
non-central chi^2_k with non-centrality rho^2 y / (1 - rho^2), so

    S2(r) = int_0^t f_k(y) F_ncx2(t / (1 - rho^2); k, rho^2 y / (1 - rho^2)) dy

(y = t s^2 makes the integrand smooth for every k), tabulated on a grid of rho and interpolated.

Three-phase models need the bivariate normal CDF with correlation rho (Sheppard's formula)

    Phi2(x, y; rho) = Phi(x) Phi(y) + 1/(2 pi) int_0^asin(rho) exp(-(x^2 + y^2 - 2 x y sin t) / (2 cos^2 t)) dt

and from it the S2 of a band {a < Z <= b}: Phi2(b, b) - 2 Phi2(a, b) + Phi2(a, a).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import special, stats

__all__ = ["gaussian_s2", "chi2_s2", "gaussian_threshold", "chi2_threshold", "squared_exponential",
           "bivariate_normal_cdf", "band_s2"]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(48)


def squared_exponential(r: np.ndarray, length: float) -> np.ndarray:
    """rho(r) = exp(-r^2 / (2 l^2)) (r and l in the same unit; l = 0: white)."""
    r = np.asarray(r, dtype=np.float64)
    if length <= 0:
        return (r == 0).astype(np.float64)
    return np.exp(-0.5 * (r / length) ** 2)


def gaussian_threshold(volume_fraction: float) -> float:
    """u with P(Z > u) = volume_fraction."""
    return float(special.ndtri(1.0 - volume_fraction))


def chi2_threshold(volume_fraction: float, k: int) -> float:
    """t with P(chi^2_k <= t) = volume_fraction."""
    return float(stats.chi2.ppf(volume_fraction, k))


def gaussian_s2(rho: np.ndarray, volume_fraction: float) -> np.ndarray:
    """S2 of the Gaussian excursion set of fraction ``volume_fraction`` at correlations ``rho``."""
    rho = np.clip(np.asarray(rho, dtype=np.float64), -1.0, 1.0)
    u = gaussian_threshold(volume_fraction)
    top = np.arcsin(rho)[..., None]
    t = 0.5 * top * (_NODES + 1.0)
    integral = 0.5 * top[..., 0] * (np.exp(-u * u / (1.0 + np.sin(t))) * _WEIGHTS).sum(axis=-1)
    return volume_fraction**2 + integral / (2.0 * np.pi)


@lru_cache(maxsize=64)
def _chi2_table(volume_fraction: float, k: int) -> tuple[np.ndarray, np.ndarray]:
    t = chi2_threshold(volume_fraction, k)
    rho = np.linspace(0.0, 0.999, 400)
    s = 0.5 * (_NODES + 1.0)
    y = t * s * s
    w = 0.5 * _WEIGHTS * stats.chi2.pdf(y, k) * 2.0 * t * s
    r2 = rho[:, None] ** 2
    cond = stats.ncx2.cdf(t / (1.0 - r2), k, r2 * y[None, :] / (1.0 - r2))
    table = (cond * w[None, :]).sum(axis=1)
    rho = np.append(rho, 1.0)
    table = np.append(table, volume_fraction)
    return rho, table


def chi2_s2(rho: np.ndarray, volume_fraction: float, k: int) -> np.ndarray:
    """S2 of {chi^2_k <= t} with fraction ``volume_fraction`` at correlations ``rho`` >= 0 of the Gaussian components."""
    grid, table = _chi2_table(float(volume_fraction), int(k))
    return np.interp(np.clip(np.asarray(rho, dtype=np.float64), 0.0, 1.0), grid, table)


def bivariate_normal_cdf(x: float, y: float, rho: np.ndarray) -> np.ndarray:
    """P(X <= x, Y <= y) of standard normals with correlation ``rho`` (array); x, y may be +-inf."""
    rho = np.clip(np.asarray(rho, dtype=np.float64), -1.0, 1.0)
    px, py = special.ndtr(x), special.ndtr(y)
    if not (np.isfinite(x) and np.isfinite(y)):
        # Phi2(+inf, y) = Phi(y), Phi2(-inf, y) = 0: the product of the marginals is exact
        return np.full(rho.shape, px * py)
    top = np.arcsin(rho)[..., None]
    t = 0.5 * top * (_NODES + 1.0)
    st, c2 = np.sin(t), np.cos(t) ** 2
    with np.errstate(divide="ignore", over="ignore"):
        e = np.exp(-(x * x + y * y - 2.0 * x * y * st) / (2.0 * np.maximum(c2, 1e-300)))
    return px * py + 0.5 * top[..., 0] * (e * _WEIGHTS).sum(axis=-1) / (2.0 * np.pi)


def band_s2(rho: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """S2 of the band {lower < Z <= upper} of a unit Gaussian field at correlations ``rho``
    (``lower`` may be -inf, ``upper`` +inf)."""
    return (bivariate_normal_cdf(upper, upper, rho) - 2.0 * bivariate_normal_cdf(lower, upper, rho)
            + bivariate_normal_cdf(lower, lower, rho))
