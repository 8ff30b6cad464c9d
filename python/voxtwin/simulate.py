"""FFT-based elasticity and thermo-elasticity of voxel models (step 6 of the pipeline).

The periodic small-strain cell problem σ = C(x):(ε − α(x)ΔT), div σ = 0 is solved by the C++ core
(CPU: OpenMP + FFTW; GPU: CUDA + cuFFT) with one of three schemes:

- ``"hex8r"`` (default): displacement-based conjugate gradients on trilinear voxel hexahedra with
  one integration point (Willot's rotated scheme), preconditioned by the same operator for a
  homogeneous reference medium applied per Fourier mode. Converges with voids and high contrast.
- ``"hex8"``: the same with full 2×2×2 Gauss integration (no hourglass modes; slower).
- ``"basic"``: the Moulinec–Suquet fixed point with the continuous Green operator (CPU only; a
  reference, slow at high contrast and not meant for voids).

Convergence: the residual in the norm of the preconditioner relative to the initial one,
√(rᵀM⁻¹r)/√(r₀ᵀM⁻¹r₀) ≤ ``tol`` — the reference-medium energy of the strain correction the
remaining force imbalance would cause. Results flag ``converged``; ``strict=True`` raises
:class:`~voxtwin.ConvergenceError` instead. ``converged`` is also False (reasons in ``problems``)
when the stiffness contrast is beyond what ``tol`` or the float type resolves (a
:class:`~voxtwin.ContrastWarning` with a hint), or when the effective C fails a physical check:
not positive definite, above the Voigt bound, or asymmetric by far more than ``tol`` (the true
residual then exceeds the reported one). Non-finite results raise ConvergenceError.

Loadings: macroscopic strain, macroscopic stress, or mixed (per Voigt component). Stress and mixed
control are exact in one solve: the free macroscopic strain components are extra CG unknowns that
minimize the energy minus the work of the prescribed stress, so the solution meets ⟨σ⟩ = Σ̄ on
those components to the solver tolerance.

Sign conventions: ΔT > 0 heats; α_eff is defined by ⟨σ⟩ = C_eff (⟨ε⟩ − α_eff ΔT), computed from
the clamped thermal case (⟨ε⟩ = 0, ΔT = 1 K): α_eff = −C_eff⁻¹⟨σ⟩. Cooling from 50 °C to room
temperature is ``delta_T=-25``. Units: GPa, 1/K, µm; Voigt order xx, yy, zz, yz, xz, xy with
engineering shear strains.
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from . import _core
from . import _validate as check
from ._backend import cuda_module, get_num_threads, resolve_device
from ._material_table import MaterialTable, check_labels, material_table
from ._progress import progress_bar
from .errors import ContrastWarning, ConvergenceError, InsufficientMemoryError
from .materials import Material

__all__ = ["homogenize", "solve", "Homogenization", "Solution", "VOIGT", "LOAD_CASES"]

Scheme = Literal["hex8r", "hex8", "basic"]
Precision = Literal["float32", "float64"]

#: Voigt component names in order.
VOIGT: tuple[str, ...] = ("xx", "yy", "zz", "yz", "xz", "xy")
#: Load cases of :func:`homogenize`: six unit strains, then the clamped thermal case.
LOAD_CASES: tuple[str, ...] = (*VOIGT, "thermal")

_SCHEMES = ("hex8r", "hex8", "basic")
# Loads beyond these are not small-strain elasticity and overflow float32 products in the solver.
_MAX_STRAIN = 1e3
_MAX_STRESS_GPA = 1e9
_MAX_DELTA_T = 1e6
# A contrast times machine epsilon above this cannot be represented in the solver's float type.
_MAX_CONTRAST_EPS = 1e-2
# Stiffness eigenvalues below this fraction of the largest are zero modes (voids), not a soft phase.
_ZERO_MODE = 1e-12
# Effective C may miss the physical bounds by this many tolerances (times the largest stiffness).
_PHYSICAL_SLACK = 10.0
# C_raw may be this many tolerances away from symmetric before the true residual is in doubt.
_ASYMMETRY_FACTOR = 100.0
_FIELDS = ("displacement", "strain", "stress")


# ----------------------------------------------------------------------------- results


@dataclass
class _Run:
    """How a result was computed: backend, precision, scheme, voxel size (µm), wall time (s) and the
    solver's working memory (bytes)."""

    device: str
    precision: str
    scheme: str
    voxel_size: tuple[float, float, float]
    seconds: float
    memory_bytes: float


@dataclass
class Homogenization(_Run):
    """Effective properties of a voxel model (:func:`homogenize`).

    ``C`` effective stiffness (6×6, GPa, symmetrized; ``C_raw`` as computed), ``alpha`` effective
    CTE (Voigt, 1/K; NaN on components the composite has no stiffness to define, e.g. across the
    void layers of a porous laminate), ``iterations``/``residuals``/``converged_cases`` per load
    case (``LOAD_CASES`` order, the thermal case absent when no phase expands), ``converged`` all of them.
    ``true_residual_checked`` per load case: whether the last residual is b − A x recomputed from the
    solution (always on the CPU hex schemes; on the GPU when it had room to keep the solution).
    """

    C: np.ndarray
    C_raw: np.ndarray
    alpha: np.ndarray
    iterations: tuple[int, ...]
    residuals: tuple[np.ndarray, ...]
    converged_cases: tuple[bool, ...]
    load_cases: tuple[str, ...]
    mean_stresses: np.ndarray
    reference_C: np.ndarray = field(repr=False)
    problems: tuple[str, ...] = ()
    true_residual_checked: tuple[bool, ...] = ()

    @property
    def converged(self) -> bool:
        """True when every load case reached the tolerance and the result passed the physical checks
        (``problems`` is empty: C positive definite and below the Voigt bound, contrast resolvable at ``tol``)."""
        return all(self.converged_cases) and not self.problems

    @property
    def S(self) -> np.ndarray:
        """Effective compliance C⁻¹ (1/GPa). ValueError when C is singular (e.g. a porous laminate)."""
        if np.linalg.cond(self.C) > 1e12:
            raise ValueError("the effective stiffness is singular (the structure has no stiffness in some direction)")
        return np.linalg.inv(self.C)

    @property
    def asymmetry(self) -> float:
        """max |C_raw − C_rawᵀ| / max |C_raw|: a check of the solver tolerance."""
        return float(np.max(np.abs(self.C_raw - self.C_raw.T)) / np.max(np.abs(self.C_raw)))


@dataclass
class Solution(_Run):
    """Local fields of one loading (:func:`solve`).

    ``converged`` is False also when ``problems`` names a contrast the tolerance cannot resolve.
    ``strain`` and ``stress`` [6, nx, ny, nz] at the voxel centres (GPa for stress), ``displacement``
    [3, nx, ny, nz] in µm at the nodes (voxel corners; node (i, j, k) at (i, j, k)·voxel_size), total:
    fluctuation plus mean strain · position. Fields not asked for (``fields=``) are None; the basic
    scheme has no displacement. ``mean_strain``/``mean_stress`` are the volume averages (voids count
    as zero stress).
    """

    strain: np.ndarray | None
    stress: np.ndarray | None
    displacement: np.ndarray | None
    mean_strain: np.ndarray
    mean_stress: np.ndarray
    iterations: int
    converged: bool
    residuals: np.ndarray
    delta_T: float
    phases: np.ndarray = field(repr=False)
    problems: tuple[str, ...] = ()
    true_residual_checked: bool = False  # the last residual is b − A x recomputed from the solution

    def __post_init__(self) -> None:
        self.converged = bool(self.converged) and not self.problems

    def field(self, quantity: str, component: str | int) -> np.ndarray:
        """One component of ``"strain"``, ``"stress"`` or ``"displacement"`` as a [nx, ny, nz] view."""
        arr = self._quantity(quantity)
        names = ("x", "y", "z") if quantity == "displacement" else VOIGT
        return arr[_component_index(component, names)]

    def in_phase(self, label: int, quantity: str = "stress", component: str | int = "xx") -> np.ndarray:
        """Values of one field component in the voxels of phase ``label`` (1D), e.g. in-fibre σ_xx."""
        check.integer("label", label, minimum=0)
        return self.field(quantity, component)[self.phases == label]

    def phase_stats(self, bins: int = 64, quantities: Sequence[str] = ("strain", "stress")) -> dict[int, dict[str, dict[str, np.ndarray]]]:
        """Per phase label and quantity: ``mean`` (6,), ``std`` (6,), ``hist`` (6, bins) and ``edges`` (6, bins + 1).

        The basis of seed 000's in-fibre stress and in-matrix strain histograms (Fig. 7e–j).
        """
        bins = check.integer("bins", bins, minimum=1)
        out: dict[int, dict[str, dict[str, np.ndarray]]] = {}
        for label in np.flatnonzero(np.bincount(self.phases.ravel(), minlength=256)):
            mask = self.phases == label
            out[int(label)] = {}
            for q in quantities:
                vals = self._quantity(q)[:, mask].astype(np.float64)
                hists = [np.histogram(v, bins=bins, range=_histogram_range(v)) for v in vals]
                out[int(label)][q] = {
                    "mean": vals.mean(axis=1),
                    "std": vals.std(axis=1),
                    "hist": np.array([h[0] for h in hists]),
                    "edges": np.array([h[1] for h in hists]),
                }
        return out

    def _quantity(self, quantity: str) -> np.ndarray:
        check.choice("quantity", quantity, _FIELDS)
        arr = getattr(self, quantity)
        if arr is None:
            raise ValueError(f"the {quantity} field was not computed (pass fields=(..., {quantity!r}) to solve)")
        return arr


def _histogram_range(v: np.ndarray) -> tuple[float, float]:
    """The data range, widened when it is (nearly) a single value so that the bins have a width."""
    lo, hi = float(v.min()), float(v.max())
    pad = 1e-9 * max(abs(lo), abs(hi), 1e-300)
    return (lo - pad, hi + pad) if hi - lo < 2 * pad else (lo, hi)


def _component_index(component: str | int, names: Sequence[str]) -> int:
    if isinstance(component, str):
        if component not in names:
            raise ValueError(f"`component` must be one of {', '.join(names)}, got component={component!r}")
        return names.index(component)
    i = check.integer("component", component, minimum=0)
    if i >= len(names):
        raise ValueError(f"`component` must be < {len(names)}, got component={component!r}")
    return i


# ----------------------------------------------------------------------------- checks


def _voxel_size(value: object) -> tuple[float, float, float]:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        h = check.voxel_size(value)
        return (h, h, h)
    v = check.vector3("voxel_size", value)
    if np.any(v <= 0):
        raise ValueError(f"`voxel_size` must be > 0 µm along every axis, got voxel_size={value!r}")
    return (float(v[0]), float(v[1]), float(v[2]))


def _voigt_values(name: str, value: object) -> np.ndarray:
    """Six Voigt values from a sequence (None/NaN = not prescribed) or a dict by component name."""
    out = np.full(6, np.nan)
    if isinstance(value, Mapping):
        for key, v in value.items():
            if key not in VOIGT:
                raise ValueError(f"`{name}` keys must be Voigt names {', '.join(VOIGT)}, got {key!r}")
            out[VOIGT.index(key)] = np.nan if v is None else check.real(f"{name}[{key!r}]", v)
        return out
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)) or len(value) != 6:
        raise ValueError(f"`{name}` must be 6 Voigt components (xx, yy, zz, yz, xz, xy) or a dict, got {name}={value!r}")
    for i, v in enumerate(value):
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        out[i] = check.real(f"{name}[{i}]", v)
    return out


def _loading(strain: object, stress: object) -> tuple[np.ndarray, np.ndarray, list[bool]]:
    """(strain, stress, stress_controlled) with every component prescribed exactly once."""
    if strain is None and stress is None:
        return np.zeros(6), np.zeros(6), [False] * 6
    e = _voigt_values("strain", strain) if strain is not None else np.full(6, np.nan)
    s = _voigt_values("stress", stress) if stress is not None else np.full(6, np.nan)
    both = [VOIGT[i] for i in range(6) if np.isfinite(e[i]) and np.isfinite(s[i])]
    neither = [VOIGT[i] for i in range(6) if not np.isfinite(e[i]) and not np.isfinite(s[i])]
    if both:
        raise ValueError(f"components {both} are prescribed in both `strain` and `stress`; give each in exactly one")
    if neither:
        raise ValueError(f"components {neither} are prescribed in neither `strain` nor `stress`; give each in exactly one "
                         "(e.g. uniaxial tension: stress=[s, 0, 0, 0, 0, 0])")
    controlled = [bool(np.isfinite(s[i])) for i in range(6)]
    return np.nan_to_num(e), np.nan_to_num(s), controlled


@dataclass
class _Setup:
    table: MaterialTable
    device: str
    precision: str
    scheme: str
    voxel_size: tuple[float, float, float]
    tol: float
    max_iter: int
    problems: tuple[str, ...] = ()
    store: Any = None  # a simulate_mpi.StoreRun when solving a zarr store slab by slab

    @property
    def rank0(self) -> bool:
        """True on the process that reports (MPI rank 0, or the only process)."""
        return self.store is None or self.store.rank == 0


def _store_setup(path: Any, materials: Any, voxel_size: object, tol: object, device: str, scheme: str,
                 precision: str | None, max_iter: object, axes: np.ndarray | None, field_bytes_per_voxel: float) -> _Setup:
    """A zarr store: read slab by slab across MPI ranks, or whole on one process without MPI."""
    from .simulate_mpi import StoreRun

    if axes is not None:
        raise ValueError("`axes` cannot be given with a zarr store: write the model with per-voxel axes once with "
                         "voxtwin.simulate_mpi.write_solver_input(path, labels, materials, axes=axes) and solve that store")
    if device not in ("auto", "cpu"):
        raise ValueError(f"a zarr store is solved by the CPU solver (slab by slab under MPI), got device={device!r}")
    check.choice("scheme", scheme, ("hex8r", "hex8"))
    precision = "float64" if precision is None else precision
    check.choice("precision", precision, ("float32", "float64"))
    run = StoreRun(path, materials, scheme, precision, field_bytes_per_voxel)
    if not run.distributed:
        model = run.source.whole(materials, None)
        st = _setup(model, materials, voxel_size, tol, "cpu", scheme, precision, max_iter, None, field_bytes_per_voxel)
        st.store = run
        return st
    table = MaterialTable(run.index, run.C, run.alpha, run.source.phases, np.full(len(run.C), -1, dtype=np.int64))
    return _Setup(table, "cpu", precision, scheme, _voxel_size(voxel_size), check.positive("tol", tol),
                  check.integer("max_iter", max_iter, minimum=0), store=run)


def _setup(labels_or_cv: Any, materials: dict[int, Material], voxel_size: object, tol: object, device: str,
           scheme: str, precision: str | None, max_iter: object, axes: np.ndarray | None,
           field_bytes_per_voxel: float) -> _Setup:
    from .simulate_mpi import is_store

    if is_store(labels_or_cv):
        return _store_setup(labels_or_cv, materials, voxel_size, tol, device, scheme, precision, max_iter, axes,
                            field_bytes_per_voxel)
    if isinstance(labels_or_cv, (str, os.PathLike)):
        raise ValueError(f"`labels_or_cv` must be an array, a composite-voxel object or the path of a zarr store, "
                         f"got labels_or_cv={os.fspath(labels_or_cv)!r}, which is not a zarr store")
    backend = resolve_device(device)
    check.choice("scheme", scheme, _SCHEMES)
    if precision is None:
        precision = "float32" if backend == "cuda" else "float64"
    check.choice("precision", precision, ("float32", "float64"))
    if backend == "cuda" and precision != "float32":
        raise ValueError(f"the CUDA solver works in float32, got precision={precision!r} (use device='cpu' for float64)")
    if backend == "cuda" and scheme == "basic":
        raise ValueError("the basic (Moulinec-Suquet) scheme is CPU-only, got scheme='basic' with device='cuda'")
    tol_f = check.positive("tol", tol)
    iters = check.integer("max_iter", max_iter, minimum=0)
    h = _voxel_size(voxel_size)
    if isinstance(labels_or_cv, np.ndarray):
        labels = check_labels(labels_or_cv)
        _check_memory(labels.shape, backend, scheme, precision, field_bytes_per_voxel)
        table = material_table(labels, materials, axes=axes)
    else:
        table = material_table(labels_or_cv, materials, axes=axes)
        _check_memory(table.shape, backend, scheme, precision, field_bytes_per_voxel)
    problems = _check_contrast(table, precision, tol_f)
    return _Setup(table, backend, precision, scheme, h, tol_f, iters, problems)


def _hint(st: _Setup) -> str:
    tighter = f"a tighter tol than {st.tol:g}"
    return f"try {tighter}" + (" and device='cpu' with precision='float64'" if st.precision == "float32" else "")


def _contrast(table: MaterialTable) -> float:
    """Largest over smallest stiffness eigenvalue of the entries in use (1 when uniform).

    Zero-stiffness modes (void phases, the normal of a solid-void composite voxel: eigenvalues
    below ``_ZERO_MODE`` of the largest) are left out: the schemes handle them as voids.
    """
    used = np.flatnonzero(np.bincount(table.index.ravel(), minlength=len(table.C)))
    eig = np.concatenate([np.linalg.eigvalsh(table.C[i]) for i in used]) if len(used) else np.ones(1)
    top = float(np.abs(eig).max())
    if top == 0.0:
        return 1.0
    solid = eig[eig > _ZERO_MODE * top]
    return top / float(solid.min())


def _check_contrast(table: MaterialTable, precision: str, tol: float) -> tuple[str, ...]:
    """Flag a stiffness contrast the float type or the tolerance cannot resolve (with a hint).

    A residual below ``tol`` relative to stresses of the stiff phase can leave errors as large as the
    whole stress of a phase more than 1/tol times softer, so its contribution is not resolved; the
    same holds for machine epsilon of the float type.
    """
    contrast = _contrast(table)
    eps = float(np.finfo(np.float32 if precision == "float32" else np.float64).eps)
    msg = ""
    if contrast * eps > _MAX_CONTRAST_EPS:
        msg = (f"the stiffness contrast between the phases is {contrast:.3g}, beyond what {precision} resolves "
               f"(about {_MAX_CONTRAST_EPS / eps:.3g}): "
               + ("use device='cpu' with precision='float64', or " if precision == "float32" else "")
               + "model the soft phase as vt.VOID")
    elif contrast * tol > 1.0:
        msg = (f"the stiffness contrast {contrast:.3g} is beyond what tol={tol:g} resolves (tol x contrast > 1): "
               f"use tol <= {1.0 / contrast:.1g}" + (" with precision='float64'" if precision == "float32" else "")
               + ", or model the soft phase as vt.VOID")
    if msg:
        warnings.warn(msg, ContrastWarning, stacklevel=4)
        return (msg,)
    return ()


def _check_effective(C: np.ndarray, C_raw: np.ndarray, st: _Setup) -> tuple[str, ...]:
    """Physical checks of an effective stiffness: positive semi-definite, at most the Voigt bound, and
    symmetric to the tolerance (a check of the true residual behind the six load cases).

    The uniform strain is an admissible field of every scheme, so the energy of C_eff never exceeds
    the volume average of the local stiffness (Voigt); a negative eigenvalue is impossible for a
    stable material. Both are allowed a slack of the solver tolerance times the largest stiffness.
    """
    problems = []
    t = st.table
    counts = np.bincount(t.index.ravel(), minlength=len(t.C)).astype(np.float64)
    voigt = np.tensordot(counts / counts.sum(), t.C, axes=1)
    scale = float(np.abs(np.linalg.eigvalsh(voigt)).max()) or 1.0
    slack = max(_PHYSICAL_SLACK * st.tol, 1e3 * float(np.finfo(np.float64).eps)) * scale
    low = float(np.linalg.eigvalsh(C).min())
    if low < -slack:
        problems.append(f"the effective C is not positive definite (smallest eigenvalue {low:.4g} GPa); {_hint(st)}")
    above = float(np.linalg.eigvalsh(C - voigt).max())
    if above > slack:
        problems.append(f"the effective C exceeds the Voigt bound by {above:.4g} GPa (impossible); {_hint(st)}")
    # The six load cases give a symmetric C up to the solver error, which tracks tol (measured: the
    # asymmetry stays below tol from 1e-3 to 1e-5). Far more means the reported residual understates
    # the true one.
    top = float(np.abs(C_raw).max()) or 1.0
    asymmetry = float(np.abs(C_raw - C_raw.T).max()) / top
    if asymmetry > _ASYMMETRY_FACTOR * max(st.tol, 1e3 * float(np.finfo(np.float64).eps)):
        problems.append(f"the computed C is not symmetric (relative asymmetry {asymmetry:.2e} > "
                        f"{_ASYMMETRY_FACTOR:g} x tol): the true residual is larger than the solver reports; "
                        f"{_hint(st)}")
    return tuple(problems)


def _check_memory(shape: tuple[int, ...], backend: str, scheme: str, precision: str, field_bytes_per_voxel: float) -> None:
    """Refuse a problem that does not fit before anything is allocated or scanned."""
    real = 4 if precision == "float32" else 8
    voxels = float(np.prod(shape))
    host_fields = field_bytes_per_voxel * real * voxels
    if backend == "cuda":
        mod = cuda_module()
        need = float(mod.elasticity_memory_bytes(*shape, scheme, 1, field_bytes_per_voxel > 0))
        free = float(mod.device_info(0)["free_memory"])
        if need > free:
            raise InsufficientMemoryError(
                f"the elasticity problem of shape {tuple(shape)} needs {need / 2**30:.3g} GiB of GPU memory "
                f"({need / voxels:.1f} bytes per voxel) but only {free / 2**30:.3g} GiB are free")
        need_host = host_fields
    else:
        need_host = float(_core.elasticity_memory_bytes(*shape, scheme, real, get_num_threads())) + host_fields
    avail = float(_core.available_host_memory())
    if need_host > avail:
        raise InsufficientMemoryError(
            f"the elasticity problem of shape {tuple(shape)} needs {need_host / 2**30:.3g} GiB of host memory "
            f"({need_host / voxels:.1f} bytes per voxel in {precision}) but only {avail / 2**30:.3g} GiB are available")


def _run(st: _Setup, strain: np.ndarray, stress: np.ndarray, controlled: list[bool], delta_T: float,
         fields: Sequence[str], monitor: Callable[[int, float], bool] | None) -> dict[str, Any]:
    t = st.table
    args = (t.index, t.C, t.alpha, strain, stress, controlled, float(delta_T), st.scheme, st.tol, st.max_iter,
            np.array(st.voxel_size))
    want = ("displacement" in fields, "strain" in fields, "stress" in fields)
    if st.store is not None and st.store.distributed:
        return st.store.run(strain, stress, controlled, delta_T, st.scheme, st.tol, st.max_iter, st.voxel_size,
                            st.precision, want, monitor)
    if st.device == "cuda":
        return cuda_module().solve_elasticity(*args, *want, monitor)
    return _core.solve_elasticity(*args, st.precision, *want, monitor)


class _Monitor:
    """Per-iteration callback from the C++ loop: runs Python once per iteration, so Ctrl-C stops a
    long solve (KeyboardInterrupt propagates through the solver), and keeps a progress bar current."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __call__(self, iteration: int, residual: float) -> bool:
        if self.bar is not None:
            self.bar.set_postfix_str(f"it {iteration}, res {residual:.1e}", refresh=False)
        return True


def _convergence(name: str, result: dict[str, Any], tol: float, strict: bool) -> None:
    if strict and not result["converged"]:
        res = result["residuals"]
        raise ConvergenceError(f"{name}: not converged to tol={tol:g} after {result['iterations']} iterations "
                               f"(last relative residual {res[-1]:.3e})")


# ----------------------------------------------------------------------------- public API


def homogenize(labels_or_cv: Any, materials: dict[int, Material], voxel_size: float | Sequence[float] = 1.0,
               tol: float = 1e-5, device: str = "auto", *, scheme: Scheme = "hex8r", precision: Precision | None = None,
               max_iter: int = 1000, thermal: bool | None = None, strict: bool = False, progress: bool = True,
               axes: np.ndarray | None = None) -> Homogenization:
    """Effective 6×6 stiffness (GPa) and CTE (1/K) of a periodic voxel model.

    Six unit macroscopic strains give the columns of ``C`` (⟨σ⟩ per load case); with ``thermal``
    (default: when any phase has a CTE) the clamped case ΔT = 1 K gives α = −C⁻¹⟨σ⟩.

    ``labels_or_cv``: uint8 phase labels [nx, ny, nz] (or a composite-voxel object, see
    ``voxtwin._material_table``), or the path of a zarr store of labels or of a solver input
    (:func:`voxtwin.simulate_mpi.write_solver_input`, then ``materials=None``): under ``mpirun``
    with mpi4py every rank reads only its slab and returns the same result (see
    :mod:`voxtwin.simulate_mpi`); ``materials``: ``{label: Material}`` (``vt.VOID`` for pores);
    ``voxel_size`` in µm (scalar or per axis; results do not depend on it for a periodic cell);
    ``device`` ``"auto" | "cpu" | "cuda"``; ``precision`` ``"float64"`` (CPU default) or
    ``"float32"`` (CUDA); ``axes`` per-voxel fibre directions [3, nx, ny, nz] for transversely
    isotropic phases. Raises ValueError/TypeError for bad input, InsufficientMemoryError before
    allocating when the problem does not fit, ConvergenceError when ``strict`` and a case did not converge.
    """
    if thermal is not None and not isinstance(thermal, (bool, np.bool_)):
        raise TypeError(f"`thermal` must be True, False or None (automatic), got thermal={thermal!r}")
    st = _setup(labels_or_cv, materials, voxel_size, tol, device, scheme, precision, max_iter, axes, 0.0)
    progress = progress and st.rank0
    do_thermal = st.table.has_thermal_expansion if thermal is None else bool(thermal)
    cases = LOAD_CASES if do_thermal else VOIGT
    stresses = np.zeros((len(cases), 6))
    iterations, residuals, converged, checked = [], [], [], []
    memory = 0.0
    reference = np.zeros((6, 6))
    start = time.perf_counter()
    bar = progress_bar(len(cases), desc="homogenize", enabled=progress, unit="case")
    monitor = _Monitor(bar if progress else None)
    try:
        for k, case in enumerate(cases):
            strain = np.zeros(6)
            delta_T = 0.0
            if case == "thermal":
                delta_T = 1.0
            else:
                strain[k] = 1.0
            out = _run(st, strain, np.zeros(6), [False] * 6, delta_T, (), monitor)
            _convergence(f"load case {case}", out, st.tol, strict)
            stresses[k] = out["mean_stress"]
            iterations.append(int(out["iterations"]))
            residuals.append(np.asarray(out["residuals"]))
            converged.append(bool(out["converged"]))
            checked.append(bool(out.get("true_residual_checked", False)))
            memory = max(memory, float(out["memory_bytes"]))
            reference = np.asarray(out["reference_C"])
            bar.update(1)
    finally:
        bar.close()
    C_raw = stresses[:6].T.copy()
    if not np.all(np.isfinite(stresses)):
        raise ConvergenceError(f"homogenize: the solver produced non-finite stresses {stresses.tolist()} "
                               f"({st.precision}); {_hint(st)}")
    C = 0.5 * (C_raw + C_raw.T)
    alpha = _effective_cte(C, stresses[6]) if do_thermal else np.zeros(6)
    problems = st.problems + _check_effective(C, C_raw, st)
    if strict and problems:
        raise ConvergenceError("homogenize: " + "; ".join(problems))
    return Homogenization(C=C, C_raw=C_raw, alpha=alpha, iterations=tuple(iterations), residuals=tuple(residuals),
                          converged_cases=tuple(converged), load_cases=tuple(cases), mean_stresses=stresses,
                          device=st.device, precision=st.precision, scheme=st.scheme, voxel_size=st.voxel_size,
                          seconds=time.perf_counter() - start, memory_bytes=memory, reference_C=reference,
                          problems=problems, true_residual_checked=tuple(checked))


def _effective_cte(C: np.ndarray, thermal_stress: np.ndarray) -> np.ndarray:
    """α = −C⁻¹⟨σ⟩ on the range of C; NaN on components C gives no stiffness to (undetermined)."""
    w, V = np.linalg.eigh(C)
    keep = w > 1e-9 * np.max(np.abs(w))
    pinv = (V[:, keep] / w[keep]) @ V[:, keep].T
    alpha = -pinv @ thermal_stress
    null = V[:, ~keep]
    undetermined = np.linalg.norm(null, axis=1) > 1e-6 if null.size else np.zeros(6, dtype=bool)
    alpha[undetermined] = np.nan
    return alpha


def solve(labels_or_cv: Any, materials: dict[int, Material], strain: Sequence[float | None] | Mapping[str, float] | None = None,
          stress: Sequence[float | None] | Mapping[str, float] | None = None, delta_T: float = 0.0,
          tol: float = 1e-5, device: str = "auto", voxel_size: float | Sequence[float] = 1.0, *,
          scheme: Scheme = "hex8r", precision: Precision | None = None, max_iter: int = 1000, strict: bool = False,
          fields: Sequence[str] = _FIELDS, progress: bool = True, axes: np.ndarray | None = None,
          out: str | os.PathLike | None = None) -> Solution:
    """Strain, stress and displacement fields of one loading of a periodic voxel model.

    Per Voigt component, prescribe the macroscopic ``strain`` or the macroscopic ``stress`` (GPa):
    sequences of 6 with ``None``/NaN for components given in the other, or dicts by name
    (``{"xx": 0.01}``). Examples: ``strain=[0.01, 0, 0, 0, 0, 0]`` (strain-controlled);
    ``stress=[0.05, 0, 0, 0, 0, 0]`` (uniaxial tension); ``stress=[0] * 6, delta_T=-25``
    (stress-free thermal shrinkage, 50 °C → 25 °C); mixed:
    ``strain={"xx": 0.01}, stress={"yy": 0, "zz": 0, "yz": 0, "xz": 0, "xy": 0}``. Neither given:
    zero strain (a clamped cell). ``delta_T`` in K. ``fields`` picks which of ``"displacement"``,
    ``"strain"``, ``"stress"`` to return (each costs 3 or 6 numbers per voxel of host memory).
    Other arguments as in :func:`homogenize`.

    With a zarr store in ``labels_or_cv`` the fields go to a zarr store ``out`` (each MPI rank
    writes its own planes; arrays ``displacement`` [3, nx, ny, nz], ``strain``/``stress`` [6, nx,
    ny, nz]) and the returned Solution holds them as read-only zarr arrays, ``phases`` likewise.
    """
    e, s, controlled = _loading(strain, stress)
    dT = check.real("delta_T", delta_T, "K")
    for name, values, bound, unit in (("strain", e, _MAX_STRAIN, ""), ("stress", s, _MAX_STRESS_GPA, " GPa")):
        if np.abs(values).max() > bound:
            raise ValueError(f"`{name}` components must be within ±{bound:g}{unit} (small-strain elasticity; larger "
                             f"values overflow the solver), got {name}={values.tolist()!r}")
    if abs(dT) > _MAX_DELTA_T:
        raise ValueError(f"`delta_T` must be within ±{_MAX_DELTA_T:g} K, got delta_T={delta_T!r}")
    wanted = tuple(fields)
    for f in wanted:
        check.choice("fields", f, _FIELDS)
    per_voxel = 3.0 * ("displacement" in wanted) + 6.0 * ("strain" in wanted) + 6.0 * ("stress" in wanted)
    from .simulate_mpi import is_store

    if is_store(labels_or_cv) and wanted and out is None:
        raise ValueError("solving a zarr store writes the fields to a zarr store: pass out='FIELDS.zarr' "
                         "(or fields=() for the mean response only)")
    if out is not None and not is_store(labels_or_cv):
        raise ValueError(f"`out` is for solving a zarr store, got out={out!r} with an in-memory model")
    st = _setup(labels_or_cv, materials, voxel_size, tol, device, scheme, precision, max_iter, axes, per_voxel)
    progress = progress and st.rank0
    if st.store is not None and wanted:
        st.store.create_fields_store(out, wanted, st.precision, st.voxel_size)
    start = time.perf_counter()
    bar = progress_bar(1, desc="solve", enabled=progress, unit="solve")
    try:
        res = _run(st, e, s, controlled, dT, wanted, _Monitor(bar if progress else None))
        bar.update(1)
    finally:
        bar.close()
    _convergence("solve", res, st.tol, strict)
    if not (np.all(np.isfinite(res["mean_stress"])) and np.all(np.isfinite(res["mean_strain"]))):
        raise ConvergenceError(f"solve: the solver produced non-finite mean fields (stress {list(res['mean_stress'])}, "
                               f"strain {list(res['mean_strain'])}); {_hint(st)}")
    if strict and st.problems:
        raise ConvergenceError("solve: " + "; ".join(st.problems))
    phases: Any = st.table.phases
    if st.store is not None:
        phases = st.store.source.phases
        if wanted:
            st.store.write_fields(out, res, wanted)
            st.store.finish_fields_store(out, {"mean_strain": list(map(float, res["mean_strain"])),
                                               "mean_stress": list(map(float, res["mean_stress"])),
                                               "converged": bool(res["converged"]), "delta_T": dT})
            import zarr

            stored = zarr.open_group(os.fspath(out), mode="r")
            res = {**res, **{name: stored[name] if name in wanted else None for name in _FIELDS}}
    return Solution(strain=res["strain"], stress=res["stress"], displacement=res["displacement"],
                    mean_strain=np.asarray(res["mean_strain"]), mean_stress=np.asarray(res["mean_stress"]),
                    iterations=int(res["iterations"]), converged=bool(res["converged"]),
                    residuals=np.asarray(res["residuals"]), phases=phases, delta_T=dT, device=st.device,
                    precision=st.precision, scheme=st.scheme, voxel_size=st.voxel_size,
                    seconds=time.perf_counter() - start, memory_bytes=float(res["memory_bytes"]),
                    problems=st.problems, true_residual_checked=bool(res.get("true_residual_checked", False)))
