"""Reading the mechanics of a voxel model: directional Young's modulus, the modulus rose and its
anisotropy A_E (seed 000, Fig. S21), and plots of roses, field slices and per-phase histograms.

matplotlib (the ``viz`` extra) is imported only by the plotting functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as check
from .simulate import VOIGT, Solution

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = [
    "directional_modulus",
    "modulus_rose",
    "anisotropy",
    "plot_modulus_rose",
    "plot_field_slice",
    "plot_phase_histograms",
    "PLANES",
]

#: In-plane angle θ of each plane: direction (cos θ, sin θ) in the plane's two axes.
PLANES: dict[str, tuple[int, int]] = {"xy": (0, 1), "yz": (1, 2), "xz": (0, 2)}


def _stiffness(C: object) -> np.ndarray:
    C = np.asarray(C, dtype=np.float64)
    if C.shape != (6, 6) or not np.all(np.isfinite(C)):
        raise ValueError(f"`C` must be a finite 6×6 Voigt stiffness (GPa), got shape {C.shape}")
    return C


def _compliance(C: np.ndarray) -> np.ndarray:
    w = np.linalg.eigvalsh(0.5 * (C + C.T))
    if not w.min() > 1e-12 * max(w.max(), 1e-300):
        raise ValueError("`C` must be positive definite: a structure with no stiffness in some direction has no "
                         f"finite directional modulus (smallest eigenvalue {w.min():.3g} GPa)")
    return np.linalg.inv(C)


def _stress_vectors(d: np.ndarray) -> np.ndarray:
    """Voigt vectors of uniaxial unit stress d⊗d for unit directions d (n, 3)."""
    return np.stack([d[:, 0] ** 2, d[:, 1] ** 2, d[:, 2] ** 2, d[:, 1] * d[:, 2], d[:, 0] * d[:, 2], d[:, 0] * d[:, 1]], axis=1)


def directional_modulus(C: np.ndarray, direction: Sequence[float] | np.ndarray) -> float | np.ndarray:
    """Young's modulus (GPa) along ``direction`` (3-vector, or (n, 3) for several): E(d) = 1 / (v·S·v), v = Voigt(d⊗d).

    With engineering shear strains in Voigt form, the normal strain along d under unit uniaxial stress
    d⊗d is v·S·v with the same v. Raises ValueError for a singular C.
    """
    S = _compliance(_stiffness(C))
    d = np.asarray(direction, dtype=np.float64)
    single = d.ndim == 1
    d = np.atleast_2d(d)
    if d.shape[1] != 3 or not np.all(np.isfinite(d)):
        raise ValueError(f"`direction` must be a finite 3-vector or an (n, 3) array, got shape {np.shape(direction)}")
    norms = np.linalg.norm(d, axis=1)
    if np.any(norms == 0):
        raise ValueError("`direction` must be non-zero")
    v = _stress_vectors(d / norms[:, None])
    E = 1.0 / np.einsum("ni,ij,nj->n", v, S, v)
    return float(E[0]) if single else E


def modulus_rose(C: np.ndarray, plane: str = "xy", n: int = 360) -> tuple[np.ndarray, np.ndarray]:
    """Young's modulus over ``n`` in-plane angles θ ∈ [0, 2π) (radians) of ``plane`` ("xy", "yz", "xz").

    Returns ``(theta, E)`` with E in GPa; θ measured from the plane's first axis toward its second.
    """
    check.choice("plane", plane, tuple(PLANES))
    n = check.integer("n", n, minimum=4)
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    a, b = PLANES[plane]
    d = np.zeros((n, 3))
    d[:, a] = np.cos(theta)
    d[:, b] = np.sin(theta)
    return theta, np.asarray(directional_modulus(C, d))


def anisotropy(C: np.ndarray, plane: str = "xy", n: int = 3600) -> float:
    """A_E = max / min Young's modulus in ``plane`` (seed 000, Fig. S21), sampled at ``n`` angles.

    1 for an in-plane isotropic material. The rose is smooth (the inverse of a trigonometric
    polynomial of degree 4), so 3600 samples resolve its extremes to about 1e-5 relative.
    """
    _, E = modulus_rose(C, plane, n)
    return float(E.max() / E.min())


# ----------------------------------------------------------------------------- plots


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'voxtwin[viz]'") from exc
    return plt


SMALL_STRESS_GPA = 0.1
"""Below this magnitude (GPa) stresses are plotted in MPa."""


def plot_modulus_rose(C: np.ndarray | Mapping[str, np.ndarray], plane: str = "xy", n: int = 360,
                      ax: Axes | None = None) -> Axes:
    """Polar plot of the Young's modulus rose in ``plane``; ``C`` a 6×6 or ``{name: C}`` to overlay several.

    The legend (below the rose, clear of the curves) gives A_E of each curve; each curve has its own
    line style, so nearly equal roses (helicoidal and quasi-isotropic) stay visible on top of each other.
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(subplot_kw={"projection": "polar"})
    curves = C.items() if isinstance(C, Mapping) else [("", C)]
    styles = ("-", "--", ":", "-.")
    for i, (name, Ci) in enumerate(curves):
        theta, E = modulus_rose(Ci, plane, n)
        label = f"{name} (A_E = {E.max() / E.min():.2f})".strip()
        ax.plot(np.append(theta, theta[0]), np.append(E, E[0]), styles[i % len(styles)], label=label,
                linewidth=2.2 if i == 0 else 1.6)
    ax.set_title(f"Young's modulus in the {plane} plane (GPa)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), fontsize="small", ncol=min(len(curves), 2))
    return ax


def plot_field_slice(solution: Solution, quantity: str = "stress", component: str | int = "xx", axis: str = "z",
                     index: int | None = None, ax: Axes | None = None, cmap: str = "coolwarm",
                     outline: bool = True) -> Axes:
    """Image of one field component on a slice normal to ``axis`` ("x", "y", "z") at ``index``
    (default: the middle), with the phase boundaries drawn when ``outline``."""
    plt = _pyplot()
    check.choice("axis", axis, ("x", "y", "z"))
    arr = solution.field(quantity, component)
    k = "xyz".index(axis)
    if index is None:
        index = arr.shape[k] // 2
    index = check.integer("index", index, minimum=0)
    if index >= arr.shape[k]:
        raise ValueError(f"`index` must be < {arr.shape[k]} along {axis}, got index={index}")
    sl = np.take(arr, index, axis=k)
    phases = np.take(solution.phases, index, axis=k)
    if ax is None:
        _, ax = plt.subplots()
    unit = "GPa" if quantity == "stress" else ("µm" if quantity == "displacement" else "")
    if quantity == "stress" and np.max(np.abs(sl)) < SMALL_STRESS_GPA:
        sl, unit = sl * 1000.0, "MPa"  # small stresses read better in MPa than as 0.00x GPa
    lim = float(np.max(np.abs(sl))) or 1.0
    image = ax.imshow(sl.T, origin="lower", cmap=cmap, vmin=-lim if sl.min() < 0 else None,
                      vmax=lim if sl.min() < 0 else None)
    if outline and len(np.unique(phases)) > 1:
        ax.contour(phases.T.astype(float), levels=np.unique(phases)[:-1] + 0.5, colors="k", linewidths=0.4)
    a, b = [c for c in "xyz" if c != axis]
    ax.set_xlabel(f"{a} (voxels)")
    ax.set_ylabel(f"{b} (voxels)")
    name = component if isinstance(component, str) else (VOIGT[component] if quantity != "displacement" else "xyz"[component])
    ax.set_title(f"{quantity} {name} at {axis} = {index}")
    plt.colorbar(image, ax=ax, label=unit)
    return ax


def plot_phase_histograms(solution: Solution, quantity: str = "stress", component: str | int = "xx",
                          labels: Mapping[int, str] | None = None, bins: int = 64, ax: Axes | None = None) -> Axes:
    """Histograms of one field component per phase (e.g. in-fibre stress and in-matrix strain, seed 000
    Fig. 7e–j); ``labels`` names the phases to show (default: every phase present)."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots()
    present = np.flatnonzero(np.bincount(solution.phases.ravel(), minlength=256))
    names = labels if labels is not None else {int(k): f"phase {k}" for k in present}
    shown = {name: solution.in_phase(label, quantity, component) for label, name in names.items()}
    scale, unit = 1.0, " (GPa)" if quantity == "stress" else ""
    if quantity == "stress" and max((float(np.max(np.abs(v))) for v in shown.values() if v.size), default=0.0) < SMALL_STRESS_GPA:
        scale, unit = 1000.0, " (MPa)"  # small stresses read better in MPa than as 0.00x GPa
    for name, values in shown.items():
        if values.size:
            values = values * scale
            ax.hist(values, bins=bins, histtype="step", density=True, label=f"{name} (mean {values.mean():.3g})")
    ax.locator_params(axis="x", nbins=6)  # strains such as -0.0025 need room
    ax.set_xlabel(f"{quantity} {component}{unit}")
    ax.set_ylabel("probability density" + (f" (1/{unit.strip(' ()')})" if unit else ""))
    ax.legend(fontsize="small")
    return ax
