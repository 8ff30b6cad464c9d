"""Step 4, feedback: the similarity index S (seed 000, eqs 1-6), the closed loop, ANOVA.

``similarity`` compares two samples of one measurable parameter (fibre diameter, length, an
orientation angle, a volume fraction, a pore size, ...), the physical one measured on the scan
and the digital one measured on the twin:

    S = 1 - (w_mu f_mu + w_sigma f_sigma + w_KS f_KS) / 3,     w_mu + w_sigma + w_KS = 3
    f_mu    = |mu1 - mu2| / (x_max - x_min)
    f_sigma = |sigma1 - sigma2| / (|sigma1 - sigma2| + 1)
    f_KS    = D_KS / (D_KS + 1)

Reading of eq. (5). As printed, D_KS = 2 Phi(-|mu1 - mu2| / sqrt(sigma1^2 + sigma2^2)) is an
*overlap* (1 for identical distributions, 0 for disjoint ones): identical samples would then
give f_KS = 1/2 and S <= 0.833, below the 0.85 the paper's feedback reaches. The text calls it a
distance ("as D_KS increases, S decreases"), so voxtwin uses its complement

    D_KS = 1 - 2 Phi(-|mu1 - mu2| / sqrt(sigma1^2 + sigma2^2))     (0 when identical)

and offers the empirical two-sample Kolmogorov-Smirnov statistic (``ks="empirical"``) as the
distribution-free alternative. Identical samples give S = 1.

Eq. (4) is not scale-free: |sigma1 - sigma2| is in the samples' unit. ``sigma_scale`` (default
1, the paper's form) divides it, so a caller can make the term dimensionless; the closed loop
compares diameters and lengths relative to the target's mean, angles in radians.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import stats as _sps

from . import _validate

__all__ = ["Similarity", "similarity", "ks_statistic", "AnovaResult", "anova"]


@dataclass(frozen=True)
class Similarity:
    """The similarity index ``S`` and its terms (seed 000, eqs 1-6).

    ``f_mu``, ``f_sigma``, ``f_ks``: the three discrepancy terms; ``d_ks``: the KS distance
    before normalization; ``weights``: normalized to sum 3; ``x_range``: (x_min, x_max) used in
    f_mu; ``mean``/``std``: (physical, digital) means and population standard deviations.
    ``float(s)`` gives S.
    """

    S: float
    f_mu: float
    f_sigma: float
    f_ks: float
    d_ks: float
    weights: tuple[float, float, float]
    x_range: tuple[float, float]
    mean: tuple[float, float]
    std: tuple[float, float]
    ks: str = "normal"

    def __float__(self) -> float:
        return self.S

    def as_dict(self) -> dict[str, float]:
        """S and its terms as plain floats (for histories and JSON)."""
        return {"S": self.S, "f_mu": self.f_mu, "f_sigma": self.f_sigma, "f_ks": self.f_ks, "d_ks": self.d_ks}


def _sample(name: str, value: object) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a sequence of numbers, got {name}={value!r}") from None
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    if arr.size == 0:
        raise ValueError(f"`{name}` must hold at least one value, got an empty sample")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {int((~np.isfinite(arr)).sum())} NaN/inf values")
    return arr


def _weights(value: object) -> tuple[float, float, float]:
    try:
        w = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`weights` must be three numbers (w_mu, w_sigma, w_KS), got weights={value!r}") from None
    if w.shape != (3,):
        raise ValueError(f"`weights` must be three numbers (w_mu, w_sigma, w_KS), got weights={value!r}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"`weights` must be finite and >= 0, got weights={value!r}")
    if w.sum() == 0:
        raise ValueError(f"`weights` must not all be zero, got weights={value!r}")
    w = 3.0 * w / w.sum()   # eq. (2)
    return float(w[0]), float(w[1]), float(w[2])


def ks_statistic(x1: np.ndarray, x2: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic: the largest gap between the empirical CDFs."""
    a = np.sort(np.asarray(x1, dtype=np.float64))
    b = np.sort(np.asarray(x2, dtype=np.float64))
    grid = np.concatenate([a, b])
    fa = np.searchsorted(a, grid, side="right") / a.size
    fb = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(fa - fb)))


def similarity(physical: Sequence[float] | np.ndarray, digital: Sequence[float] | np.ndarray,
               weights: Sequence[float] = (1.0, 1.0, 1.0), x_range: tuple[float, float] | None = None, *,
               ks: str = "normal", sigma_scale: float = 1.0) -> Similarity:
    """Weighted similarity index S of two samples of one parameter (seed 000, eqs 1-6).

    Parameters
    ----------
    physical, digital:
        Samples of the same parameter, in the same unit (e.g. fibre diameters in µm), measured
        on the physical twin and on the digital twin.
    weights:
        (w_mu, w_sigma, w_KS), non-negative, not all zero; normalized to sum 3 (eq. 2).
    x_range:
        (x_min, x_max) normalizing the mean discrepancy (eq. 3); default: the range of both
        samples together (their union).
    ks:
        ``"normal"``: D_KS from the two Gaussian fits, 1 - 2 Phi(-|mu1-mu2|/sqrt(sigma1²+sigma2²))
        (the distance reading of eq. 5, see the module docstring); ``"empirical"``: the
        two-sample KS statistic of the samples themselves.
    sigma_scale:
        Unit of |sigma1 - sigma2| in eq. (4) (default 1: the printed form, in the samples' unit).

    Means and standard deviations are those of maximum-likelihood Gaussian fits (population
    standard deviation, ddof=0). Returns a :class:`Similarity`; S = 1 for identical samples.
    """
    x1 = _sample("physical", physical)
    x2 = _sample("digital", digital)
    w = _weights(weights)
    ks = _validate.choice("ks", ks, ("normal", "empirical"))
    scale = _validate.positive("sigma_scale", sigma_scale)
    if x_range is None:
        lo = float(min(x1.min(), x2.min()))
        hi = float(max(x1.max(), x2.max()))
    else:
        if not isinstance(x_range, Sequence) or isinstance(x_range, str) or len(x_range) != 2:
            raise ValueError(f"`x_range` must be (x_min, x_max), got x_range={x_range!r}")
        lo = _validate.real("x_range[0]", x_range[0])
        hi = _validate.real("x_range[1]", x_range[1])
        if hi <= lo:
            raise ValueError(f"`x_range` must have x_max > x_min, got x_range={x_range!r}")

    mu1, mu2 = float(x1.mean()), float(x2.mean())
    s1, s2 = float(x1.std()), float(x2.std())
    dmu = abs(mu1 - mu2)
    # f_mu: a zero range only happens when both samples hold one and the same value
    f_mu = dmu / (hi - lo) if hi > lo else 0.0
    dsig = abs(s1 - s2) / scale
    f_sigma = dsig / (dsig + 1.0)
    if ks == "empirical":
        d_ks = ks_statistic(x1, x2)
    else:
        spread = math.sqrt(s1 * s1 + s2 * s2)
        if spread > 0:
            # 1 - 2 Phi(-z) = erf(z / sqrt 2)
            d_ks = math.erf(dmu / spread / math.sqrt(2.0))
        else:
            d_ks = 0.0 if dmu == 0 else 1.0
    f_ks = d_ks / (d_ks + 1.0)
    S = 1.0 - (w[0] * f_mu + w[1] * f_sigma + w[2] * f_ks) / 3.0
    return Similarity(S=S, f_mu=f_mu, f_sigma=f_sigma, f_ks=f_ks, d_ks=d_ks, weights=w, x_range=(lo, hi),
                      mean=(mu1, mu2), std=(s1, s2), ks=ks)


@dataclass(frozen=True)
class AnovaResult:
    """One-way analysis of variance (seed 000, Table S2).

    ``F``, ``p``; sums of squares, degrees of freedom and mean squares between and within the
    groups; ``names``, ``means``, ``sizes`` per group. ``significant(alpha)`` is p < alpha.
    """

    F: float
    p: float
    ss_between: float
    ss_within: float
    df_between: int
    df_within: int
    names: tuple[str, ...]
    means: tuple[float, ...]
    sizes: tuple[int, ...]
    ms_between: float = field(init=False)
    ms_within: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ms_between", self.ss_between / self.df_between)
        object.__setattr__(self, "ms_within", self.ss_within / self.df_within if self.df_within else math.nan)

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the group means differ at level ``alpha`` (p < alpha)."""
        return self.p < _validate.fraction("alpha", alpha)

    def table(self) -> str:
        """The ANOVA table as text (source, SS, df, MS, F, p)."""
        rows = [f"{'source':<10}{'SS':>14}{'df':>6}{'MS':>14}{'F':>10}{'p':>10}",
                f"{'between':<10}{self.ss_between:>14.6g}{self.df_between:>6d}{self.ms_between:>14.6g}"
                f"{self.F:>10.4g}{self.p:>10.4g}",
                f"{'within':<10}{self.ss_within:>14.6g}{self.df_within:>6d}{self.ms_within:>14.6g}",
                f"{'total':<10}{self.ss_between + self.ss_within:>14.6g}{self.df_between + self.df_within:>6d}"]
        return "\n".join(rows)


def anova(*groups: Sequence[float] | np.ndarray | Mapping[str, Sequence[float]]) -> AnovaResult:
    """One-way ANOVA of two or more groups (e.g. experimental / building block / architecture).

    Call as ``anova(a, b, c)`` or ``anova({"experimental": a, "building block": b, ...})``.
    Tests whether the group means differ: a p-value above 0.05 means no significant
    difference, as in seed 000's Table S2.
    """
    if len(groups) == 1 and isinstance(groups[0], Mapping):
        named = [(str(k), v) for k, v in groups[0].items()]
    else:
        named = [(f"group {i + 1}", g) for i, g in enumerate(groups)]
    if len(named) < 2:
        raise ValueError(f"`groups` must hold at least two groups, got {len(named)}")
    data = [_sample(f"groups[{name!r}]", g) for name, g in named]
    sizes = [len(d) for d in data]
    n = sum(sizes)
    k = len(data)
    if n <= k:
        raise ValueError(f"`groups` need more values than groups for a within-group variance, got sizes={sizes}")
    grand = float(np.concatenate(data).mean())
    means = [float(d.mean()) for d in data]
    ss_between = float(sum(m_ * (mu - grand) ** 2 for m_, mu in zip(sizes, means)))
    ss_within = float(sum(((d - mu) ** 2).sum() for d, mu in zip(data, means)))
    df_b, df_w = k - 1, n - k
    if ss_within == 0:
        F = math.inf if ss_between > 0 else math.nan
        p = 0.0 if ss_between > 0 else math.nan
    else:
        F = (ss_between / df_b) / (ss_within / df_w)
        p = float(_sps.f.sf(F, df_b, df_w))
    return AnovaResult(F=float(F), p=p, ss_between=ss_between, ss_within=ss_within, df_between=df_b,
                       df_within=df_w, names=tuple(n_ for n_, _ in named), means=tuple(means), sizes=tuple(sizes))
