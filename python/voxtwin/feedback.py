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

Spatial arrangement (seed 003): eqs (1)-(6) judge one parameter's distribution and are blind to
where the phases sit. ``similarity(..., s2=(physical_labels, digital_labels))`` adds a fourth term
of the same bounded form, f_S2 = e / (e + 1) with e the mean per-axis relative L2 error of the
two-point correlation S2 (:func:`voxtwin.metrics.s2_error`), weighted by ``s2_weight`` on the scale
of the three normalized weights:

    S = 1 - (w_mu f_mu + w_sigma f_sigma + w_KS f_KS + w_S2 f_S2) / (3 + w_S2)

so identical arrangements still give S = 1 and without ``s2`` S is the paper's.

Eq. (4) is not scale-free: |sigma1 - sigma2| is in the samples' unit. ``sigma_scale`` (default
1, the paper's form) divides it, so a caller can make the term dimensionless; the closed loop
compares diameters and lengths relative to the target's mean, angles in radians.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats as _sps

from . import _validate
from ._migration import choose_method
from ._plot import pyplot
from ._progress import progress_bar
from .characterize import FibreStatistics, characterize, principal_direction
from .metrics import s2_error, s2_similarity
from .distributions import Distribution, Empirical, Fixed, LogNormal, Normal
from .fibre_table import FibreTable
from .generate import FIBRE_LABEL, FibreSpec, UnitTwin, generate_fibres, rasterize_fibres
from .orientation import Aligned, FromTensor, OrientationDistribution

__all__ = [
    "Similarity",
    "similarity",
    "ks_statistic",
    "AnovaResult",
    "anova",
    "LOOP_PARAMETERS",
    "LoopStep",
    "ClosedLoop",
    "closed_loop",
]


@dataclass(frozen=True)
class Similarity:
    """The similarity index ``S`` and its terms (seed 000, eqs 1-6).

    ``f_mu``, ``f_sigma``, ``f_ks``: the three discrepancy terms; ``d_ks``: the KS distance
    before normalization; ``f_s2``, ``s2_error``, ``s2_weight``: the spatial-arrangement term,
    the mean per-axis relative S2 error behind it and its weight (None, None, 0 without ``s2``); ``weights``: normalized to sum 3; ``x_range``: (x_min, x_max) used in
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
    f_s2: float | None = None
    s2_error: float | None = None
    s2_weight: float = 0.0

    def __float__(self) -> float:
        return self.S

    def as_dict(self) -> dict[str, float]:
        """S and its terms as plain floats (for histories and JSON)."""
        out = {"S": self.S, "f_mu": self.f_mu, "f_sigma": self.f_sigma, "f_ks": self.f_ks, "d_ks": self.d_ks}
        if self.f_s2 is not None and self.s2_error is not None:
            out.update({"f_s2": self.f_s2, "s2_error": self.s2_error})
        return out

    def plot(self, ax: Any = None, labels: tuple[str, str] = ("physical", "digital"), unit: str = "") -> Any:
        """The two Gaussian fits over ``x_range`` with S and its terms (seed 000, Fig. 3c);
        matplotlib (``viz`` extra). Returns the axes."""
        plt = pyplot()
        if ax is None:
            _, ax = plt.subplots(figsize=(5.5, 3.5))
        lo, hi = self.x_range
        pad = 0.25 * (hi - lo) if hi > lo else 1.0
        x = np.linspace(lo - pad, hi + pad, 400)
        for (mu, sd), label in zip(zip(self.mean, self.std), labels):
            y = np.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * math.sqrt(2 * math.pi)) if sd > 0 else np.zeros_like(x)
            ax.plot(x, y, label=f"{label}: {mu:.3g} ± {sd:.3g}")
        ax.set_xlabel(unit)
        ax.set_ylabel("probability density")
        ax.set_title(f"S = {self.S:.3f}  (f_mu {self.f_mu:.3f}, f_sigma {self.f_sigma:.3f}, f_KS {self.f_ks:.3f})",
                     fontsize=9)
        ax.legend(fontsize=8)
        return ax


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
               ks: str = "normal", sigma_scale: float = 1.0,
               s2: tuple[np.ndarray, np.ndarray] | None = None, s2_weight: float = 1.0, s2_phase: int = 1,
               s2_periodic: bool = False) -> Similarity:
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
    s2:
        Optional ``(physical_labels, digital_labels)``: uint8 label volumes (or 2D images) of the
        scan and of the twin, on the same voxel grid (shapes may differ). Adds the S2 term (module
        docstring) so the twin is judged on its spatial arrangement, not only on this parameter.
    s2_weight:
        Weight of the S2 term (> 0) relative to the normalized (w_mu, w_sigma, w_KS) that sum to 3.
    s2_phase, s2_periodic:
        Label whose S2 is compared; wrap-around (True for periodic twins on both sides) or
        zero-padded boundaries (False, for scans).

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
    sd1, sd2 = float(x1.std()), float(x2.std())
    dmu = abs(mu1 - mu2)
    # f_mu: a zero range only happens when both samples hold one and the same value
    f_mu = dmu / (hi - lo) if hi > lo else 0.0
    dsig = abs(sd1 - sd2) / scale
    f_sigma = dsig / (dsig + 1.0)
    if ks == "empirical":
        d_ks = ks_statistic(x1, x2)
    else:
        spread = math.sqrt(sd1 * sd1 + sd2 * sd2)
        if spread > 0:
            # 1 - 2 Phi(-z) = erf(z / sqrt 2)
            d_ks = math.erf(dmu / spread / math.sqrt(2.0))
        else:
            d_ks = 0.0 if dmu == 0 else 1.0
    f_ks = d_ks / (d_ks + 1.0)
    total, norm = w[0] * f_mu + w[1] * f_sigma + w[2] * f_ks, 3.0
    f_s2 = err = None
    w_s2 = 0.0
    if s2 is not None:
        if not isinstance(s2, (tuple, list)) or len(s2) != 2:
            raise TypeError("`s2` must be a pair (physical_labels, digital_labels) of label arrays, "
                            f"got {type(s2).__name__}")
        w_s2 = _validate.positive("s2_weight", s2_weight)
        err = s2_error(s2[0], s2[1], 1.0, s2_phase, periodic=bool(s2_periodic))
        f_s2 = err / (err + 1.0) if np.isfinite(err) else 1.0
        total, norm = total + w_s2 * f_s2, norm + w_s2
    S = 1.0 - total / norm
    return Similarity(S=S, f_mu=f_mu, f_sigma=f_sigma, f_ks=f_ks, d_ks=d_ks, weights=w, x_range=(lo, hi),
                      mean=(mu1, mu2), std=(sd1, sd2), ks=ks, f_s2=f_s2, s2_error=err, s2_weight=w_s2)


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


# ---------------------------------------------------------------------------------------------
# The closed loop (seed 000, Fig. 3a): generate -> characterize -> S per parameter -> correct.
# ---------------------------------------------------------------------------------------------

LOOP_PARAMETERS = ("diameter", "length", "misalignment", "volume_fraction")
_SIZE_PARAMETERS = ("diameter", "length")
# Bounds kept while re-tuning a volume fraction (random sequential adsorption jams far above).
_VF_LIMITS = (0.005, 0.6)
# Widest Aligned spread the generator accepts (degrees).
_MAX_SPREAD_DEG = 60.0
# Directions drawn to compare candidate orientation distributions (no voxels involved).
_ORIENTATION_DRAWS = 4000
# A re-tuned standard deviation never drops below this share of its mean (a spread, not a spike).
_MIN_REL_STD = 0.02


def _loop_seed(seed: int, iteration: int) -> int:
    """Seed of the twin made at ``iteration``: ``seed`` itself first, then ``seed`` mixed with the
    iteration by ``numpy.random.SeedSequence`` (64 bits)."""
    if iteration == 0:
        return seed
    words = np.random.SeedSequence([seed, iteration]).generate_state(2, np.uint32)
    return int(words[0]) | (int(words[1]) << 32)


@dataclass(frozen=True)
class LoopStep:
    """One iteration of :func:`closed_loop`.

    ``action``: how this iteration's twin was made -- ``"generate"`` (the starting spec),
    ``"retune"`` (spec re-tuned from the measured discrepancies, regenerated with a new seed),
    ``"correct"`` (erroneous fibres corrected or removed, missing volume added), ``"add"``
    (missing fibres added) or ``"remove"`` (surplus fibres removed); ``detail`` says what changed.
    ``scores``: the :class:`Similarity` of each parameter; ``spec`` and ``seed``: what the twin was
    generated from; ``n_fibres``: fibres in its table; ``volume_fraction``: fibre fraction achieved.
    """

    iteration: int
    action: str
    detail: str
    seed: int
    spec: FibreSpec
    scores: dict[str, Similarity]
    n_fibres: int
    volume_fraction: float
    s2: float | None = None

    @property
    def S(self) -> dict[str, float]:
        """S of each parameter."""
        return {k: v.S for k, v in self.scores.items()}

    def passed(self, threshold: float) -> bool:
        """Every parameter (and the S2 term, when judged) reaches ``threshold``."""
        return all(v.S >= threshold for v in self.scores.values()) and (self.s2 is None or self.s2 >= threshold)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready record (the spec as :meth:`FibreSpec.to_dict`)."""
        return {"iteration": self.iteration, "action": self.action, "detail": self.detail, "seed": self.seed,
                "spec": self.spec.to_dict(), "n_fibres": self.n_fibres, "volume_fraction": self.volume_fraction,
                "scores": {k: v.as_dict() for k, v in self.scores.items()}, "s2": self.s2}


class ClosedLoop:
    """Result of :func:`closed_loop`.

    ``twin`` (the last twin made, a :class:`~voxtwin.UnitTwin`), ``stats`` (its
    :class:`~voxtwin.FibreStatistics`), ``history`` (one :class:`LoopStep` per iteration),
    ``converged`` (every parameter reached ``threshold`` on the last iteration), ``threshold``,
    ``parameters``, ``target`` (the samples compared against, per parameter).
    """

    def __init__(self, twin: UnitTwin, stats: FibreStatistics, history: list[LoopStep], threshold: float,
                 parameters: tuple[str, ...], target: dict[str, np.ndarray]) -> None:
        self.twin = twin
        self.stats = stats
        self.history = history
        self.threshold = threshold
        self.parameters = parameters
        self.target = target

    @property
    def converged(self) -> bool:
        """True when every parameter reached the threshold on the last twin."""
        return bool(self.history) and self.history[-1].passed(self.threshold)

    @property
    def iterations(self) -> int:
        """Twins made and characterized."""
        return len(self.history)

    def S(self, parameter: str) -> np.ndarray:
        """S of ``parameter`` at every iteration."""
        _validate.choice("parameter", parameter, self.parameters)
        return np.array([step.scores[parameter].S for step in self.history])

    def summary(self) -> dict[str, Any]:
        """JSON-ready: threshold, convergence and every step."""
        return {"threshold": self.threshold, "converged": self.converged, "parameters": list(self.parameters),
                "history": [step.as_dict() for step in self.history]}

    def plot(self, ax: Any = None) -> Any:
        """S per parameter against the iteration, the threshold line and each step's action
        (matplotlib, the ``viz`` extra). Returns the axes."""
        plt = pyplot()
        if ax is None:
            _, ax = plt.subplots(figsize=(6.5, 4))
        it = np.arange(len(self.history))
        for name in self.parameters:
            ax.plot(it, self.S(name), marker="o", label=name)
        ax.axhline(self.threshold, color="k", ls="--", lw=1, label=f"threshold {self.threshold:g}")
        ax.set_xticks(it)
        ax.set_xticklabels([f"{i}\n{s.action}" for i, s in zip(it, self.history)], fontsize=8)
        ax.set_xlabel("iteration (how its twin was made)")
        ax.set_ylabel("similarity index S")
        lowest = min(float(self.S(p).min()) for p in self.parameters)
        ax.set_ylim(min(lowest, self.threshold) - 0.05, 1.02)
        ax.legend(loc="lower right", fontsize=8)
        ax.set_title("closed-loop feedback" + (" (converged)" if self.converged else " (not converged)"))
        return ax

    def __repr__(self) -> str:
        last = self.history[-1].S if self.history else {}
        scores = ", ".join(f"{k} {v:.3f}" for k, v in last.items())
        return (f"ClosedLoop({'converged' if self.converged else 'not converged'} after {self.iterations} "
                f"iterations; S: {scores})")


def _block_counts(shape: Sequence[int], voxel_size: float, block_size: float) -> tuple[int, int, int]:
    """Subset blocks per axis so that their edge is about ``block_size`` µm."""
    return tuple(max(1, int(round(n * voxel_size / block_size))) for n in shape)  # type: ignore[return-value]


def _loop_samples(stats: FibreStatistics, parameters: Sequence[str], reference: np.ndarray,
                  block_size: float) -> dict[str, np.ndarray]:
    """The samples the loop compares, measured the same way on both sides."""
    out = {}
    for p in parameters:
        if p == "misalignment":
            out[p] = stats.samples(p, reference=reference)
        elif p == "volume_fraction":
            out[p] = stats.block_fibre_fractions(_block_counts(stats.shape, stats.voxel_size, block_size)).reshape(-1)
        else:
            out[p] = stats.samples(p)
    return out


def _score(target: Mapping[str, np.ndarray], digital: Mapping[str, np.ndarray], weights: Sequence[float],
           ks: str) -> dict[str, Similarity]:
    """S per parameter, with eq. (4) on dimensionless spreads: sigma relative to the target's mean."""
    out = {}
    for p, x1 in target.items():
        x2 = digital[p]
        if x2.size == 0:
            raise ValueError(f"the digital twin gave no `{p}` samples to compare (no such fibre measured): "
                             "enlarge the block or check the spec")
        scale = abs(float(np.mean(x1))) or 1.0
        out[p] = similarity(x1, x2, weights, ks=ks, sigma_scale=scale)
    return out


def _shifted(dist: Distribution, dmu: float, dsigma: float) -> Distribution:
    """A size distribution moved by dmu (µm) and widened by dsigma (µm), same family where possible."""
    mean, std = dist.moments()
    new_mean = mean + dmu
    floor = _MIN_REL_STD * abs(new_mean)
    if isinstance(dist, Normal):
        try:
            return Normal(dist.mean + dmu, max(dist.std + dsigma, floor), dist.low, dist.high)
        except ValueError:   # the bounds leave no room any more: keep only a positive floor
            return Normal(dist.mean + dmu, max(dist.std + dsigma, floor), low=max(1e-3, 0.05 * new_mean))
    if isinstance(dist, LogNormal):
        return LogNormal(max(dist.mean + dmu, 1e-3), max(dist.std + dsigma, floor), dist.low, dist.high)
    if isinstance(dist, Empirical):
        scale = max(std + dsigma, 0.0) / std if std > 0 else 1.0
        return Empirical(np.clip(new_mean + (dist.values - mean) * scale, 1e-3, None), dist.low, dist.high)
    if isinstance(dist, Fixed):
        if std + dsigma > floor:
            return Normal(new_mean, std + dsigma, low=max(1e-3, 0.05 * new_mean))
        return Fixed(new_mean)
    raise TypeError(f"cannot re-tune a size distribution of type {type(dist).__name__}")


def _nearest_tensor(a: np.ndarray) -> np.ndarray:
    """The orientation tensor (symmetric, positive definite, trace 1) nearest to ``a``."""
    w, v = np.linalg.eigh(0.5 * (a + a.T))
    w = np.clip(w, 1e-4, None)
    return (v * (w / w.sum())) @ v.T


def _retuned_orientation(orient: OrientationDistribution, target: FibreStatistics | None,
                         digital: FibreStatistics, t_mis: np.ndarray, d_mis: np.ndarray, reference: np.ndarray,
                         seed: int) -> OrientationDistribution:
    """An orientation distribution closer to the target's misalignment angles.

    An Aligned spec keeps its family: its axis becomes the target's main direction and its
    spread is scaled by target / measured mean misalignment. Other families (isotropic, planar,
    tensor) offer two candidates -- the tensor corrected by target - measured, and an Aligned
    distribution whose Rayleigh mean matches the target's -- and the one whose sampled
    misalignment angles score the higher S against the target is kept.
    """
    if isinstance(orient, Aligned):
        if orient.spread_deg > 0 and d_mis.mean() > 0:
            spread = orient.spread_deg * t_mis.mean() / d_mis.mean()
        else:   # the misalignment of a 2D Gaussian tilt is Rayleigh: mean = spread sqrt(pi/2)
            spread = t_mis.mean() / math.sqrt(math.pi / 2)
        return Aligned(tuple(reference.tolist()), float(np.clip(spread, 0.0, _MAX_SPREAD_DEG)))
    candidates: list[OrientationDistribution] = [
        Aligned(tuple(reference.tolist()), float(np.clip(t_mis.mean() / math.sqrt(math.pi / 2), 0.0, _MAX_SPREAD_DEG)))
    ]
    if target is not None:
        a = np.asarray(orient.tensor, dtype=np.float64) + target.orientation_tensor - digital.orientation_tensor
        candidates.append(FromTensor(_nearest_tensor(a)))
    rng = np.random.default_rng(seed)
    scale = abs(float(t_mis.mean())) or 1.0
    best, best_s = orient, -math.inf
    for cand in candidates:   # a few candidate families; directions sampled, no voxels
        p = cand.sample(_ORIENTATION_DRAWS, rng)
        angles = np.degrees(np.arccos(np.clip(np.abs(p @ reference), 0.0, 1.0)))
        s = similarity(t_mis, angles, sigma_scale=scale).S
        if s > best_s:
            best, best_s = cand, s
    return best


def _retune(spec: FibreSpec, failing: Sequence[str], target: Mapping[str, np.ndarray],
            digital: Mapping[str, np.ndarray], target_stats: FibreStatistics | None, digital_stats: FibreStatistics,
            reference: np.ndarray, target_fraction: float, seed: int) -> tuple[FibreSpec, str]:
    """The spec re-tuned by the measured discrepancies of the failing parameters (the measurement
    bias cancels: both sides are measured the same way)."""
    changes: dict[str, Any] = {}
    notes = []
    for p in failing:
        if p in _SIZE_PARAMETERS:
            dmu = float(target[p].mean() - digital[p].mean())
            dsig = float(target[p].std() - digital[p].std())
            changes[p] = _shifted(getattr(spec, p), dmu, dsig)
            notes.append(f"{p} mean {dmu:+.3g} µm, std {dsig:+.3g} µm")
        elif p == "misalignment":
            changes["orientation"] = _retuned_orientation(spec.orientation, target_stats, digital_stats,
                                                          target[p], digital[p], reference, seed)
            notes.append(f"orientation -> {changes['orientation']!r}")
        elif p == "volume_fraction":
            vf = spec.volume_fraction + (target_fraction - digital_stats.fibre_fraction)
            changes["volume_fraction"] = float(np.clip(vf, *_VF_LIMITS))
            notes.append(f"volume fraction {spec.volume_fraction:.4g} -> {changes['volume_fraction']:.4g}")
    return replace(spec, **changes), "; ".join(notes)


def _fibre_rows(stats: FibreStatistics, twin: UnitTwin) -> np.ndarray:
    """For each measured fibre, the row of the twin's table it comes from (most shared voxels), -1 if none."""
    m = stats.instances > 0
    measured = stats.instances[m].astype(np.int64)
    source = twin.instances[m].astype(np.int64)
    base = int(source.max(initial=0)) + 1
    pairs, counts = np.unique(measured * base + source, return_counts=True)
    meas, src = pairs // base, pairs % base
    keep = src > 0
    meas, src, counts = meas[keep], src[keep], counts[keep]
    order = np.lexsort((counts, meas))          # by fibre, then by shared voxels
    last = np.r_[meas[order][1:] != meas[order][:-1], True]
    best = np.zeros(stats.n_fibres + 1, dtype=np.int64)
    best[meas[order][last]] = src[order][last]
    return best[stats.fibres["id"].astype(np.int64)] - 1


def _erroneous(target: Mapping[str, np.ndarray], stats: FibreStatistics) -> np.ndarray:
    """Complete measured fibres whose size lies outside the target's range (bool over stats.fibres)."""
    bad = np.zeros(stats.n_fibres, dtype=bool)
    complete = ~stats.fibres["cut"]
    for p in _SIZE_PARAMETERS:
        if p in target:
            v = stats.fibres[p]
            bad |= complete & ((v < target[p].min()) | (v > target[p].max()))
    return bad


def _correction_helps(target: Mapping[str, np.ndarray], digital: Mapping[str, np.ndarray], stats: FibreStatistics,
                      bad: np.ndarray, size_fail: Sequence[str], weights: Sequence[float], ks: str,
                      threshold: float) -> bool:
    """Forecast: would S pass on the failing sizes once the erroneous fibres are gone?"""
    keep = ~bad[~stats.fibres["cut"]]
    if keep.sum() < 2:
        return False
    for p in size_fail:
        scale = abs(float(np.mean(target[p]))) or 1.0
        if similarity(target[p], digital[p][keep], weights, ks=ks, sigma_scale=scale).S < threshold:
            return False
    return True


def _rasterized(twin: UnitTwin, table: FibreTable, background: np.ndarray | None, device: str) -> UnitTwin:
    """The twin with an edited fibre table, rasterized again."""
    raster = rasterize_fibres(table, twin.shape, twin.voxel_size, periodic=twin.periodic, labels=background,
                              instances=True, device=device)
    fraction = float(np.count_nonzero(raster.labels == FIBRE_LABEL)) / raster.labels.size
    return replace(twin, labels=raster.labels, fibres=table, instances=raster.instances,
                   achieved_volume_fraction=fraction)


def _correct(twin: UnitTwin, stats: FibreStatistics, target: Mapping[str, np.ndarray], spec: FibreSpec, seed: int,
             gen: Mapping[str, Any]) -> tuple[UnitTwin, str]:
    """Correct or remove the erroneous fibres of the twin's table, then add the missing volume.

    The table's sizes are put on the measured scale by the median measured/table ratio of the
    complete fibres (rasterization and measurement bias), so that fibres cut by the faces are
    judged too. Oversized ones are shrunk to sizes drawn from the target (shrinking never creates
    an overlap), undersized ones removed, and new fibres drawn from the spec truncated to the
    target's range fill the volume fraction again.
    """
    rows = _fibre_rows(stats, twin)
    complete = ~stats.fibres["cut"] & (rows >= 0)
    rng = np.random.default_rng(seed)
    table = twin.fibres
    columns = {"diameter": table.diameter.copy(), "length": table.length.copy()}
    shrink = np.zeros(len(table), dtype=bool)
    remove = np.zeros(len(table), dtype=bool)
    ranges = {}
    for p in _SIZE_PARAMETERS:
        if p not in target or not complete.any():
            continue
        ratio = float(np.median(stats.fibres[p][complete] / columns[p][rows[complete]]))
        lo, hi = float(target[p].min()) / ratio, float(target[p].max()) / ratio
        ranges[p] = (lo, hi)
        remove |= columns[p] < lo
        big = (columns[p] > hi) & ~remove
        columns[p][big] = rng.choice(target[p], size=int(big.sum())) / ratio
        shrink |= big
    table = table.replace(**columns).drop(np.flatnonzero(remove))
    kept = len(table)
    changes = {}
    for p, (lo, hi) in ranges.items():
        mean, std = getattr(spec, p).moments()
        changes[p] = Normal(min(max(mean, lo), hi), max(std, _MIN_REL_STD * mean), low=lo, high=hi)
    new = generate_fibres(replace(spec, **changes), twin.shape, twin.voxel_size, seed, existing=table,
                          instances=True, **gen)
    detail = (f"{int(shrink.sum())} oversized fibres shrunk, {int(remove.sum())} undersized removed, "
              f"{len(new.fibres) - kept} added within the target's range")
    return replace(new, spec=spec), detail


def _change_fraction(twin: UnitTwin, stats: FibreStatistics, target_fraction: float, spec: FibreSpec, seed: int,
                     gen: Mapping[str, Any]) -> tuple[UnitTwin, str, str]:
    """Add fibres around the existing ones, or remove random ones, to reach the target fraction."""
    surplus = stats.fibre_fraction - target_fraction
    before = f"fibre fraction {stats.fibre_fraction:.4f} -> target {target_fraction:.4f}: "
    if surplus < 0:
        fraction = float(np.clip(twin.achieved_volume_fraction - surplus, *_VF_LIMITS))
        new = generate_fibres(replace(spec, volume_fraction=fraction), twin.shape, twin.voxel_size, seed,
                              existing=twin.fibres, instances=True, **gen)
        return replace(new, spec=spec), "add", before + f"{len(new.fibres) - len(twin.fibres)} fibres added"
    counts = np.bincount(twin.instances.reshape(-1), minlength=len(twin.fibres) + 1)[1:]
    order = np.random.default_rng(seed).permutation(len(twin.fibres))
    n_drop = int(np.searchsorted(np.cumsum(counts[order]), surplus * twin.labels.size))
    table = twin.fibres.drop(order[:n_drop])
    return _rasterized(twin, table, gen["background"], gen["device"]), "remove", before + f"{n_drop} fibres removed"


def closed_loop(target: FibreStatistics | Mapping[str, Sequence[float] | np.ndarray], spec: FibreSpec,
                shape: Sequence[int], voxel_size: float, threshold: float = 0.85, max_iter: int = 10, seed: int = 0,
                *, parameters: Sequence[str] | None = None, weights: Sequence[float] = (1.0, 1.0, 1.0),
                ks: str = "normal", block_size: float | None = None,
                reference_direction: Sequence[float] | None = None, analyse_periodic: bool | None = None,
                periodic: bool = True, mask: np.ndarray | None = None, background: np.ndarray | None = None,
                device: str = "auto", progress: bool = False,
                target_labels: np.ndarray | None = None, method: str = "rsa") -> ClosedLoop:
    """Closed-loop feedback between a physical twin and generated digital twins (seed 000, Fig. 3).

    Each iteration generates a unit twin (:func:`~voxtwin.generate_fibres`), characterizes it with
    :func:`~voxtwin.characterize` -- the measurement the physical side went through, so its bias
    cancels -- and scores every parameter with :func:`similarity`. While some S is below
    ``threshold``, the next twin comes from one corrective action of seed 000:

    1. ``"correct"`` -- when only sizes fail and the fibres measured outside the target's range
       explain it (S forecast without them passes): those erroneous fibres are corrected (too
       large: shrunk to sizes drawn from the target) or removed (too small), and the volume lost
       is added back from the spec truncated to the target's range;
    2. ``"add"`` / ``"remove"`` -- when only the volume fraction fails: missing fibres are added
       around the existing ones, or surplus fibres removed;
    3. ``"retune"`` -- otherwise the spec is re-tuned by the measured discrepancies of the failing
       parameters (size means and standard deviations shifted by target - measured; the
       orientation spread rescaled or the orientation tensor corrected; the volume fraction
       shifted) and the twin regenerated with a new seed.

    Parameters
    ----------
    target:
        What the physical side measured: a :class:`~voxtwin.FibreStatistics`, or a mapping
        ``{parameter: samples}`` (µm for sizes, degrees for misalignment, fractions).
    spec, shape, voxel_size:
        The starting :class:`~voxtwin.FibreSpec`, the block shape (voxels), the voxel size (µm).
    threshold, max_iter, seed:
        S every parameter must reach; most twins to make; seed of the first twin (later twins use
        seeds mixed from ``seed`` and the iteration by ``numpy.random.SeedSequence``).
    parameters:
        Compared parameters among ``"diameter"``, ``"length"`` (µm, complete fibres),
        ``"misalignment"`` (degrees from the target's main direction, fibres with a reliable axis)
        and ``"volume_fraction"`` (fibre fraction per subset block); default all four (those
        present, for a mapping target).
    weights, ks:
        As in :func:`similarity`. Eq. (4) is applied to dimensionless spreads: each parameter's
        sigma difference is divided by the target's mean (``sigma_scale``).
    block_size:
        Edge (µm) of the subset blocks of ``volume_fraction``, on both sides; default half the
        twin's smallest edge.
    reference_direction:
        Main fibre direction for ``misalignment``; default the target's principal direction (for a
        mapping target, that of ``spec.orientation``).
    analyse_periodic:
        How twins are characterized: default like the target (``target.periodic``), or not periodic
        for a mapping (a scan's fibres are cut by its faces, so are the twin's).
    periodic, mask, background, device, method:
        Passed to :func:`~voxtwin.generate_fibres` (``method``: fibre placement, ``"rsa"``,
        ``"migrate"`` or ``"auto"``).
    progress:
        Show a progress bar over the iterations.
    target_labels:
        Optional labels of the physical side (fibre = 1): each twin is then also judged on its spatial
        arrangement by :func:`voxtwin.metrics.s2_similarity` (1 - mean per-axis relative S2 error),
        recorded as ``LoopStep.s2`` and required to reach ``threshold``; when only it fails, the
        next twin is the same spec with a new seed (action ``"reseed"``).

    Returns
    -------
    ClosedLoop
        ``twin``, ``stats``, ``history`` (S and its terms per parameter per iteration, the action,
        spec and seed of each twin), ``converged``; ``plot()`` draws S against the iteration.
    """
    if not isinstance(spec, FibreSpec):
        raise TypeError(f"`spec` must be a FibreSpec, got spec={spec!r}")
    grid = _validate.shape3("shape", shape)
    h = _validate.voxel_size(voxel_size)
    thr = _validate.fraction("threshold", threshold, open_low=False, open_high=False)
    n_iter = _validate.integer("max_iter", max_iter, minimum=1)
    seed = _validate.seed(seed)
    _weights(weights)
    ks = _validate.choice("ks", ks, ("normal", "empirical"))
    bsize = 0.5 * min(grid) * h if block_size is None else _validate.positive("block_size", block_size, "µm")

    target_stats = target if isinstance(target, FibreStatistics) else None
    if target_stats is not None:
        params = tuple(LOOP_PARAMETERS if parameters is None else parameters)
        for p in params:
            _validate.choice("parameters", p, LOOP_PARAMETERS)
        reference = target_stats.principal_direction
        target_fraction = target_stats.fibre_fraction
        char_periodic = target_stats.periodic
    elif isinstance(target, Mapping):
        for p in target:
            _validate.choice("target key", p, LOOP_PARAMETERS)
        params = tuple(p for p in (LOOP_PARAMETERS if parameters is None else parameters) if p in target)
        if not params:
            raise ValueError(f"`target` must hold samples of at least one of {LOOP_PARAMETERS}, got {list(target)}")
        reference = principal_direction(np.asarray(spec.orientation.tensor))
        char_periodic = False
    else:
        raise TypeError("`target` must be a FibreStatistics or a mapping parameter -> samples, "
                        f"got {type(target).__name__}")
    if reference_direction is not None:
        reference = _validate.vector3("reference_direction", reference_direction, unit_length=True)
    if analyse_periodic is not None:
        if not isinstance(analyse_periodic, bool):
            raise TypeError(
                f"`analyse_periodic` must be True, False or None, got analyse_periodic={analyse_periodic!r}")
        char_periodic = analyse_periodic
    if target_stats is not None:
        tsamples = _loop_samples(target_stats, params, reference, bsize)
    else:
        tsamples = {p: _sample(f"target[{p!r}]", target[p]) for p in params}  # type: ignore[index]
        target_fraction = float(tsamples["volume_fraction"].mean()) if "volume_fraction" in tsamples \
            else spec.volume_fraction

    choose_method(method, spec.volume_fraction)  # a bad method fails before the first twin
    gen = {"mask": mask, "background": background, "periodic": periodic, "device": device, "method": method}
    history: list[LoopStep] = []
    action, detail, current, twin_seed = "generate", "starting spec", spec, seed
    twin = generate_fibres(spec, grid, h, seed, instances=True, **gen)
    with progress_bar(n_iter, desc="closed loop", unit="twin", enabled=progress) as bar:
        for it in range(n_iter):
            stats = characterize(twin.labels, h, periodic=char_periodic)
            dsamples = _loop_samples(stats, params, reference, bsize)
            scores = _score(tsamples, dsamples, weights, ks)
            s2 = None if target_labels is None else s2_similarity(target_labels, twin.labels, h)
            history.append(LoopStep(it, action, detail, twin_seed, current, scores, len(twin.fibres),
                                    twin.achieved_volume_fraction, s2))
            bar.update(1)
            failing = [p for p in params if scores[p].S < thr]
            if (not failing and (s2 is None or s2 >= thr)) or it == n_iter - 1:
                break
            twin_seed = _loop_seed(seed, it + 1)
            if not failing:  # only the spatial arrangement misses: another draw of the same spec
                action, detail = "reseed", f"S2 term {s2:.3f} below the threshold"
                twin = generate_fibres(current, grid, h, twin_seed, instances=True, **gen)
                continue
            size_fail = [p for p in failing if p in _SIZE_PARAMETERS]
            if set(failing) <= {"volume_fraction"}:
                twin, action, detail = _change_fraction(twin, stats, target_fraction, current, twin_seed, gen)
                continue
            if size_fail and set(failing) <= {*_SIZE_PARAMETERS, "volume_fraction"}:
                bad = _erroneous(tsamples, stats)
                if bad.any() and _correction_helps(tsamples, dsamples, stats, bad, size_fail, weights, ks, thr):
                    action = "correct"
                    twin, detail = _correct(twin, stats, tsamples, current, twin_seed, gen)
                    continue
            action = "retune"
            current, detail = _retune(current, failing, tsamples, dsamples, target_stats, stats, reference,
                                      target_fraction, twin_seed)
            twin = generate_fibres(current, grid, h, twin_seed, instances=True, **gen)
    return ClosedLoop(twin, stats, history, thr, params, tsamples)
