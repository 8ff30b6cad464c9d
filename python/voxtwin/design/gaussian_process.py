"""A small multi-output Gaussian process: a linear trend plus an RBF residual, shared hyperparameters.

Used by the growth surrogate (ξ → 21 stiffness entries) where the database is a few dozen
points: a GP interpolates them exactly up to the fitted noise, needs no training schedule, is
deterministic, and its hyperparameters (length scale, signal and noise variance) come from the
marginal likelihood summed over the outputs instead of from a validation split.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import linalg, optimize

__all__ = ["GaussianProcess"]


def _rbf(a: np.ndarray, b: np.ndarray, length: float) -> np.ndarray:
    d2 = ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
    return np.exp(-0.5 * d2 / length**2)


@dataclass
class GaussianProcess:
    """Fitted GP: ``predict(X)`` returns outputs in the units they were given."""

    X: np.ndarray
    trend: np.ndarray      # least-squares linear trend [1 + d, m] on the scaled outputs
    alpha: np.ndarray      # K⁻¹ residuals [n, m]
    length: float
    signal: float
    noise: float
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray, Y: np.ndarray) -> GaussianProcess:
        X = np.asarray(X, dtype=np.float64)
        Y = np.asarray(Y, dtype=np.float64)
        mean = Y.mean(axis=0)
        scale = Y.std(axis=0)
        scale[scale == 0] = 1.0
        Ys = (Y - mean) / scale
        A = np.hstack([np.ones((len(X), 1)), X])
        trend, *_ = np.linalg.lstsq(A, Ys, rcond=None)
        R = Ys - A @ trend
        n, m = R.shape

        def nll(theta: np.ndarray) -> float:
            length, signal, noise = np.exp(theta)
            K = signal * _rbf(X, X, length) + (noise + 1e-10) * np.eye(n)
            try:
                c = linalg.cho_factor(K, lower=True)
            except linalg.LinAlgError:
                return 1e30
            a = linalg.cho_solve(c, R)
            return float(0.5 * (R * a).sum() + m * np.log(np.diag(c[0])).sum())

        starts = [np.log([s, 0.3, 1e-3]) for s in (0.1, 0.3, 1.0)]
        best = min((optimize.minimize(nll, t0, method="L-BFGS-B", bounds=[(-5, 3), (-8, 4), (-14, 2)])
                    for t0 in starts), key=lambda r: r.fun)
        length, signal, noise = np.exp(best.x)
        K = signal * _rbf(X, X, length) + (noise + 1e-10) * np.eye(n)
        alpha = linalg.cho_solve(linalg.cho_factor(K, lower=True), R)
        return cls(X, trend, alpha, float(length), float(signal), float(noise), mean, scale)

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=np.float64))
        A = np.hstack([np.ones((len(X), 1)), X])
        Ys = A @ self.trend + self.signal * _rbf(X, self.X, self.length) @ self.alpha
        return Ys * self.scale + self.mean
