"""ξ → C surrogate of grown architectures and the per-region inverse design (seed 002, Fig. 6a–c).

The database: frequency combinations ξ sampled on the simplex, a few periodic specimens grown per
combination, homogenized by batched ``vt.homogenize_cells`` calls (six strain cases per cell,
the FFT solver's CG, CPU or CUDA; ``batch=False`` calls ``vt.homogenize`` per specimen and gives
the same C to rounding) and the stiffnesses averaged per combination. Held-out combinations
(``holdout``) are never seen by the fit and give the reported error; :meth:`GrowthSurrogate.noise_floor`
the error a perfect surrogate would show against their specimens' mean.

The model (``model=``): "gp", a Gaussian process (linear trend + RBF residual,
``gaussian_process``) from ξ to the 21 independent entries of C, is the default; "mlp" is the
seed's network 4–512–256–21 (ReLU, MSE, Adam, 1000 epochs at 1e-2/1e-3/1e-4, ``mlp_regressor``,
torch). Why the GP, measured (benchmarks/RESULTS.md, "Virtual growth"): on databases of 14
combinations × 6 specimens of 24³ voxels (held-out combinations with 12 specimens each) the GP's
worst held-out error was 4.4–6.2 % over three database seeds; with 30 combinations (the tests'
database now) its mean held-out error is 1.4–3.8 % on each of ten databases, and 56 of 60 held-out
combinations are within 5 % (worst 7.6 %, about twice the held-out means' noise floor); the
seed's MLP as published, trained on 11 combinations, interpolates their noise (training MSE ~1e-6)
and misses held-out ones by 19–150 %. An L2 penalty (Adam weight decay 1e-2) brought it to 4.3 %
on one database seed but 12.7 % and 11.4 % on the two others: the penalty that works is
database-dependent, while the GP takes its length scale and noise from the marginal likelihood,
deterministically and without a schedule. The seed's 200 combinations × 100 specimens would give
the MLP the data it was designed for.

This sits in ``voxtwin.design`` (the top of the data flow) because it calls the solver.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import optimize

from .. import _validate
from .._progress import progress_bar
from ..assemble import Assembly, BlockLibrary
from ..growth import AdjacencyRules, grow
from ..materials import VOID, Isotropic, Material
from ..simulate import homogenize, solve
from ..simulate_batch import homogenize_cells
from .gaussian_process import GaussianProcess

__all__ = ["MODELS", "PROPERTIES", "GrowthDesign", "GrowthSurrogate", "SolvedDesign", "fit_surrogate", "sample_simplex",
           "solve_design", "upper21"]

_IU = np.triu_indices(6)

#: Specimens grown and homogenized per batched solver call in ``fit_surrogate``.
_BATCH_CHUNK = 256

#: Surrogate models ``fit_surrogate`` can fit: a Gaussian process, the seed's MLP 4–512–256–21 (torch).
MODELS = ("gp", "mlp")

#: Design targets a region may ask for (engineering moduli from S = C⁻¹, or a C entry), GPa.
PROPERTIES = ("E_x", "E_y", "E_z", "C11", "C22", "C33")


def upper21(C: np.ndarray) -> np.ndarray:
    """The 21 independent entries of a symmetric 6×6 (row-major upper triangle)."""
    return np.asarray(C)[..., _IU[0], _IU[1]]


def full6(c21: np.ndarray) -> np.ndarray:
    """Symmetric 6×6 matrices from 21 entries."""
    c21 = np.asarray(c21)
    C = np.zeros(c21.shape[:-1] + (6, 6))
    C[..., _IU[0], _IU[1]] = c21
    C[..., _IU[1], _IU[0]] = c21
    return C


def sample_simplex(n: int, dim: int, seed: int = 0, low: float = 0.0) -> np.ndarray:
    """``n`` points uniform on the simplex Σξ = 1 with every ξ_i >= ``low`` (sorted uniform
    spacings, shrunk), its corners first when ``n >= dim`` so the database spans them."""
    rng = np.random.default_rng(seed)
    u = np.sort(rng.random((n, dim - 1)), axis=1)
    pts = np.diff(np.hstack([np.zeros((n, 1)), u, np.ones((n, 1))]), axis=1)
    if n >= dim:
        pts[:dim] = np.eye(dim)
    return low + (1.0 - dim * low) * pts


def _voigt_tensor(C: np.ndarray) -> np.ndarray:
    pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    T = np.zeros((3, 3, 3, 3))
    for I, (i, j) in enumerate(pairs):
        for J, (k, m) in enumerate(pairs):
            for a, b in ((i, j), (j, i)):
                for c, d in ((k, m), (m, k)):
                    T[a, b, c, d] = C[I, J]
    return T


def cubic_average(C: np.ndarray) -> np.ndarray:
    """Mean of a Voigt stiffness over the 48 quarter turns and mirrors of the cube.

    Rules derived with all turned variants, and weights shared evenly by a block's variants,
    make the grown ensemble statistically invariant under these 48 operations, so its mean
    stiffness is too: averaging each specimen over them estimates that mean with less noise."""
    from ..assemble import transforms

    T = _voigt_tensor(C)
    acc = np.zeros_like(T)
    for code in range(48):
        R = transforms.matrix(code).astype(np.float64)
        acc += np.einsum("ia,jb,kc,ld,abcd->ijkl", R, R, R, R, T)
    acc /= 48.0
    pairs = [(0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1)]
    return np.array([[acc[i, j, k, m] for (k, m) in pairs] for (i, j) in pairs])


def _property(C: np.ndarray, name: str) -> np.ndarray:
    if name.startswith("E_"):
        i = "xyz".index(name[2])
        return 1.0 / np.linalg.inv(C)[..., i, i]
    i = int(name[1]) - 1
    return C[..., i, i]


@dataclass
class GrowthDesign:
    """Result of :meth:`GrowthSurrogate.design`: ``xi`` [n_regions, n_groups], ``frequency`` field
    [gx, gy, gz, n_groups] for ``grow`` (zero rows where ``regions`` is -1), ``predicted`` and
    ``target`` property per region (GPa)."""

    xi: np.ndarray
    frequency: np.ndarray
    regions: np.ndarray
    predicted: np.ndarray
    target: np.ndarray
    property: str


@dataclass
class GrowthSurrogate:
    """ξ → C model of grown architectures (:func:`fit_surrogate`).

    ``predict(xi)`` gives 6×6 stiffnesses (GPa); ``xi``/``C`` the database (mean C per
    combination); ``train``/``test`` index it; ``test_error`` the relative Frobenius error
    ‖Ĉ − C‖/‖C‖ per held-out combination; ``build_seconds`` the database time (growth + solver);
    ``model`` the fitted regressor (``GaussianProcess`` or ``MLPRegressor``, ``settings["model"]``
    names it); :meth:`refit` fits another one on the same database.
    """

    groups: tuple[str, ...]
    xi: np.ndarray
    C: np.ndarray
    C_spread: np.ndarray
    train: np.ndarray
    test: np.ndarray
    model: Any
    test_error: np.ndarray
    build_seconds: float
    settings: dict[str, Any] = field(default_factory=dict)
    C_specimens: np.ndarray | None = field(default=None, repr=False)

    def refit(self, model: str = "gp", *, seed: int | None = None, epochs: int = 1000,
              weight_decay: float = 0.0) -> GrowthSurrogate:
        """The same database fitted with ``model`` ("gp" or "mlp"), its held-out error measured.

        The fit sees the training combinations' mean C only (21 entries); ``seed`` (default the
        database's) seeds the MLP's weights, ``epochs`` its training (the seed's 1000),
        ``weight_decay`` Adam's L2 penalty (0 as in the seed; see the module on why). A new
        surrogate is returned; this one is unchanged.
        """
        model = _validate.choice("model", model, MODELS)
        seed = _validate.seed(self.settings.get("seed", 0) if seed is None else seed)
        X, Y = self.xi[self.train], upper21(self.C[self.train])
        if model == "gp":
            fitted: Any = GaussianProcess.fit(X, Y)
        else:
            from .mlp_regressor import MLPRegressor

            fitted = MLPRegressor.fit(X, Y, seed=seed, epochs=epochs, weight_decay=weight_decay)
        pred = full6(fitted.predict(self.xi[self.test]))
        err = np.linalg.norm(pred - self.C[self.test], axis=(1, 2)) / np.linalg.norm(self.C[self.test], axis=(1, 2))
        settings = dict(self.settings, model=model, model_seed=seed)
        if model == "mlp":
            settings.update(epochs=epochs, weight_decay=weight_decay)
        return replace(self, model=fitted, test_error=err, settings=settings)

    def noise_floor(self) -> np.ndarray:
        """Per held-out combination, the error a perfect surrogate would show: ‖s‖/(√n ‖C‖), s the
        specimens' standard deviation per entry (ddof 1) and n their number, i.e. the relative
        standard error of the held-out mean the error is measured against (its expected Frobenius
        deviation from the true mean stiffness of that ξ). NaN without at least 2 specimens."""
        if self.C_specimens is None:
            raise ValueError("this surrogate keeps no specimens (C_specimens is None)")
        out = np.full(len(self.test), np.nan)
        for k, i in enumerate(self.test):
            Ck = self.C_specimens[i][~np.isnan(self.C_specimens[i]).any(axis=(1, 2))]
            if len(Ck) >= 2:
                out[k] = np.linalg.norm(Ck.std(axis=0, ddof=1)) / np.sqrt(len(Ck)) / np.linalg.norm(self.C[i])
        return out

    def predict(self, xi: Any) -> np.ndarray:
        """Stiffness 6×6 (GPa) for one ξ or a stack [n, n_groups]."""
        x = np.asarray(xi, dtype=np.float64)
        out = full6(self.model.predict(np.atleast_2d(x)))
        return out[0] if x.ndim == 1 else out

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-block range of ξ the database covers: the surrogate is trusted only inside it."""
        return self.xi.min(axis=0), self.xi.max(axis=0)

    def max_property(self, name: str = "E_x") -> float:
        """Largest value of a property (GPa) within :meth:`bounds`."""
        return float(_property(self.predict(self._optimize(lambda p: -p, name)), name))

    def _optimize(self, objective: Any, name: str) -> np.ndarray:
        """ξ minimizing objective(property) on the simplex within :meth:`bounds` (softmax
        parameters, Nelder–Mead from the database's centre and its corners; a small pull to the
        centre picks one ξ among equally good ones)."""
        _validate.choice("property", name, PROPERTIES)
        lo, hi = self.bounds()
        centre = self.xi.mean(axis=0)

        def xi_of(z: np.ndarray) -> np.ndarray:
            w = np.exp(z - z.max())
            return w / w.sum()

        def f(z: np.ndarray) -> float:
            x = xi_of(z)
            out = np.sum(np.clip(lo - x, 0, None) ** 2 + np.clip(x - hi, 0, None) ** 2)
            return float(objective(_property(self.predict(x), name)) + 1e3 * out + 1e-4 * np.sum((x - centre) ** 2))

        starts = [np.log(centre)] + [np.log(np.clip(centre + 0.5 * (np.eye(len(centre))[k] - centre), 1e-3, None))
                   for k in range(len(centre))]
        best = min((optimize.minimize(f, s0, method="Nelder-Mead",
                                      options={"xatol": 1e-7, "fatol": 1e-12, "maxiter": 4000}) for s0 in starts),
                   key=lambda r: r.fun)
        return xi_of(best.x)

    def design(self, target: Sequence[float], regions: np.ndarray, property: str = "E_x") -> GrowthDesign:
        """ξ per region whose predicted ``property`` (GPa) meets ``target[r]`` for region r.

        ``regions``: int grid [gx, gy, gz] of region ids 0..R-1 (-1: void); ``target``: R values.
        Each region solves min ((p(ξ) − target)/target)² on the simplex within :meth:`bounds`.
        """
        _validate.choice("property", property, PROPERTIES)
        reg = np.asarray(regions)
        if reg.ndim != 3 or not np.issubdtype(reg.dtype, np.integer) or reg.min() < -1:
            raise ValueError(f"`regions` must be a 3D int grid of region ids (-1 void), got shape {reg.shape}")
        t = np.asarray(target, dtype=np.float64).ravel()
        n_r = int(reg.max()) + 1
        if t.size != n_r or not np.all(np.isfinite(t)) or t.min() <= 0:
            raise ValueError(f"`target` must give one positive {property} (GPa) per region ({n_r}), got {target!r}")
        g = len(self.groups)
        xi = np.zeros((n_r, g))
        for r in range(n_r):
            scale = t[r]

            def obj(p: np.ndarray, tr: float = t[r], sc: float = scale) -> float:
                return float(((p - tr) / sc) ** 2)

            xi[r] = self._optimize(obj, property)
        predicted = _property(self.predict(xi), property)
        field_ = np.zeros(reg.shape + (g,))
        solid = reg >= 0
        field_[solid] = xi[reg[solid]]
        return GrowthDesign(xi, field_, reg, predicted, t, property)


def fit_surrogate(lib: BlockLibrary, rules: AdjacencyRules, combinations: int | np.ndarray = 24,
                  specimens: int = 2, specimen_blocks: int | Sequence[int] = 4,
                  materials: Mapping[int, Material] | None = None, *, holdout: float = 0.2, seed: int = 0,
                  low: float = 0.05, symmetry: str = "cubic", tol: float = 1e-3, device: str = "auto",
                  progress: bool = True, holdout_specimens: int | None = None, model: str = "gp",
                  batch: bool = True) -> GrowthSurrogate:
    """Grows, homogenizes and fits the ξ → C surrogate.

    Parameters
    ----------
    lib, rules:
        The blocks (voxels) and their rules (``AdjacencyRules.from_library(lib)``).
    combinations:
        Number of ξ sampled on the simplex (vertices first), or an array [m, n_groups].
    specimens:
        Periodic specimens grown per combination; their C are averaged.
    specimen_blocks:
        Blocks per specimen along x, y, z (the seed's 10×10×10; smaller here to fit a laptop).
    materials:
        ``{label: Material}`` of the block labels (default: the seed's resin, E = 1.16251 GPa,
        ν = 0.40, on label 0 and ``VOID`` on label 2).
    holdout:
        Fraction of combinations kept out of the fit to measure the error (the seed: 40 of 200).
    low:
        Smallest fraction of each block in sampled combinations: at the simplex corners (one
        block alone, e.g. disconnected rods of lines) specimens scatter too much for a small database.
    symmetry:
        "cubic": each specimen's C is averaged over the cube's 48 turns and mirrors (valid for
        rules with all turned variants, see ``cubic_average``); "none": taken as solved.
    tol:
        Solver tolerance (1e-3 changes C by < 0.1 % against 1e-4 on these specimens, at 1/4 of the cost).
    holdout_specimens:
        Specimens grown per held-out combination (default ``specimens``). The error is measured
        against their mean, so more of them measure the surrogate rather than the scatter of a few
        specimens; they never enter the fit.
    device:
        "auto", "cpu" or "cuda": where the specimens are homogenized.
    model:
        "gp" (default) or "mlp" (the seed's 4–512–256–21, torch; see :meth:`GrowthSurrogate.refit`
        and the module docstring for why the GP is the default).
    batch:
        True (default): grow the specimens, then homogenize them in batched
        ``vt.homogenize_cells`` calls of up to 256 (the C++/CUDA batched solver, one cell per
        thread, no per-call Python setup); False: ``vt.homogenize`` per specimen. Both give the
        same C to the solver's rounding (``tests/test_growth_surrogate.py``).
    """
    if not isinstance(lib, BlockLibrary):
        raise TypeError(f"`lib` must be a voxtwin BlockLibrary, got {type(lib).__name__}")
    if not isinstance(rules, AdjacencyRules):
        raise TypeError(f"`rules` must be voxtwin.growth.AdjacencyRules, got {type(rules).__name__}")
    seed = _validate.seed(seed)
    g = rules.n_groups
    if isinstance(combinations, (int, np.integer)) and not isinstance(combinations, bool):
        n_c = _validate.integer("combinations", combinations, minimum=g + 3)
        low = _validate.real("low", low)
        if not 0 <= low < 1.0 / g:
            raise ValueError(f"`low` must be in [0, 1/{g}), got low={low!r}")
        xi = sample_simplex(n_c, g, seed, low)
    else:
        xi = np.asarray(combinations, dtype=np.float64)
        if xi.ndim != 2 or xi.shape[1] != g or not np.allclose(xi.sum(axis=1), 1.0) or xi.min() < 0:
            raise ValueError(f"`combinations` must be an int or fractions [m, {g}] summing to 1 per row")
    specimens = _validate.integer("specimens", specimens, minimum=1)
    n_held = specimens if holdout_specimens is None else _validate.integer("holdout_specimens", holdout_specimens,
                                                                           minimum=1)
    holdout = _validate.fraction("holdout", holdout)
    symmetry = _validate.choice("symmetry", symmetry, ("cubic", "none"))
    model = _validate.choice("model", model, MODELS)
    if not isinstance(batch, (bool, np.bool_)):
        raise TypeError(f"`batch` must be True or False, got batch={batch!r}")
    sb = (specimen_blocks,) * 3 if isinstance(specimen_blocks, (int, np.integer)) else tuple(specimen_blocks)
    grid = _validate.shape3("specimen_blocks", sb)
    if materials is None:
        materials = {0: Isotropic(1.16251, 0.40, name="resin"), 2: VOID}
    # The combinations at either end of each block's range stay in the fit: holding one out
    # would measure extrapolation, not the surrogate inside its database.
    ends = set(np.argmin(xi, axis=0).tolist()) | set(np.argmax(xi, axis=0).tolist())
    inner = np.array([i for i in np.random.default_rng(seed + 1).permutation(len(xi)) if i not in ends], dtype=int)
    n_test = min(max(1, int(round(holdout * len(xi)))), len(inner))
    if n_test == 0:
        raise ValueError(f"`combinations` leaves no interior combination to hold out ({len(xi)} given); add more")
    test = np.sort(inner[:n_test])
    train = np.setdiff1d(np.arange(len(xi)), test)
    counts = np.full(len(xi), specimens)
    counts[test] = n_held
    start = time.perf_counter()
    Cs = np.full((len(xi), int(counts.max()), 6, 6), np.nan)  # NaN where a combination has fewer specimens
    index = [(i, s) for i in range(len(xi)) for s in range(counts[i])]

    def specimen(i: int, s: int) -> np.ndarray:
        layout = grow(rules, grid, xi[i], seed=seed * 1_000_003 + i * 1009 + s, periodic=True)
        return Assembly.from_layout(lib, layout).to_numpy()

    with progress_bar(len(index), desc="surrogate database", enabled=progress, unit="specimen") as bar:
        if batch:
            # grow specimens (fast, C++) a chunk at a time, each chunk one batched solver call: the
            # labels held at once stay bounded (the seed's 200 × 100 specimens of 40³ would be 1.3 GB)
            for lo in range(0, len(index), _BATCH_CHUNK):
                part = index[lo:lo + _BATCH_CHUNK]
                cells = np.stack([specimen(i, s) for i, s in part])
                res = homogenize_cells(cells, dict(materials), tol=tol, device=device, chunk=_BATCH_CHUNK,
                                       progress=False)
                for (i, s), Ck in zip(part, res.C):
                    Cs[i, s] = cubic_average(Ck) if symmetry == "cubic" else Ck
                bar.update(len(part))
        else:
            for i, s in index:
                one = homogenize(specimen(i, s), dict(materials), lib.voxel_size, tol=tol, device=device,
                                 progress=False)
                Cs[i, s] = cubic_average(one.C) if symmetry == "cubic" else one.C
                bar.update(1)
    build = time.perf_counter() - start
    C = np.nanmean(Cs, axis=1)
    spread = np.nanstd(Cs, axis=1)
    settings = {"specimen_blocks": grid, "specimens": specimens, "holdout_specimens": n_held, "tol": tol, "seed": seed,
                "symmetry": symmetry, "batch": batch, "device": device,
                "block_shape": lib.block_shape, "voxel_size": lib.voxel_size}
    sur = GrowthSurrogate(rules.groups, xi, C, spread, train, test, None, np.zeros(len(test)), build, settings, Cs)
    return sur.refit(model, seed=seed)


@dataclass
class SolvedDesign:
    """Result of :func:`solve_design`: the iterate whose solved stiffness came closest to the target.

    ``design``/``layouts``: that iterate's ξ per region and its grown layouts (one per
    realization); ``local`` [iterations, R]: solved stiffness per region (GPa) of every iterate,
    the mean over its realizations (``local_each`` [iterations, realizations, R] each one);
    ``asked`` [iterations, R]: the target each iterate handed to :meth:`GrowthSurrogate.design`;
    ``best``: the index of the returned iterate.
    """

    design: GrowthDesign
    layouts: list[Any]
    local: np.ndarray
    local_each: np.ndarray
    asked: np.ndarray
    target: np.ndarray
    best: int

    @property
    def ratio(self) -> np.ndarray:
        """Solved / target stiffness per region of the returned iterate."""
        return self.local[self.best] / self.target


def solve_design(surrogate: GrowthSurrogate, lib: BlockLibrary, rules: AdjacencyRules, target: Sequence[float],
                 regions: np.ndarray, property: str = "E_x", *, iterations: int = 3, realizations: int = 1, seed: int = 0,
                 materials: Mapping[int, Material] | None = None, periodic: bool = True, tol: float = 1e-3,
                 device: str = "auto") -> SolvedDesign:
    """Designs, grows and solves a graded layout, correcting the surrogate's targets by what is solved.

    Each iterate designs ξ per region for the current targets (:meth:`GrowthSurrogate.design`),
    grows ``realizations`` layouts of that design (seeds ``seed``, ``seed + 1``, ...), solves each
    under uniaxial stress along the property's axis and measures each region's stiffness as mean
    σ / mean ε over its voxels, averaged over the realizations (one grown layout scatters by
    ~±15 % per region at 600 blocks of 4³ voxels: the design fixes ξ, not the layout). The next iterate asks for
    target / b per region, b the mean over the iterates so far of solved / asked: that removes what
    the surrogate misses systematically in the assembled layout (its database specimens' scatter,
    neighbouring regions' coupling), while averaging over iterates damps the scatter of each
    grown layout (a correction by the last ratio alone chases it).
    ``property``: "E_x", "E_y" or "E_z" (GPa). Returns the iterate closest to ``target`` (largest
    relative deviation over regions), with every iterate's figures.
    """
    if property not in ("E_x", "E_y", "E_z"):
        raise ValueError(f"`property` must be one of 'E_x', 'E_y', 'E_z', got property={property!r}")
    iterations = _validate.integer("iterations", iterations, minimum=1)
    realizations = _validate.integer("realizations", realizations, minimum=1)
    if materials is None:
        materials = {0: Isotropic(1.16251, 0.40, name="resin"), 2: VOID}
    axis = "xyz".index(property[2])
    goal = np.asarray(target, dtype=np.float64).ravel()
    reg = np.asarray(regions)
    voxels = reg
    for a, n in enumerate(lib.block_shape):
        voxels = np.repeat(voxels, n, axis=a)
    stress = [0.0] * 6
    stress[axis] = 1e-3  # GPa; linear elasticity, so the size only sets the strains' scale
    asked_all, local_all, each_all, results = [], [], [], []
    asked = goal.copy()
    for _ in range(iterations):
        design = surrogate.design(asked, reg, property=property)
        layouts, each = [], []
        for k in range(realizations):
            layout = grow(rules, reg.shape, design.frequency, seed=seed + k, regions=reg, periodic=periodic)
            labels = Assembly.from_layout(lib, layout).to_numpy()
            sol = solve(labels, dict(materials), stress=stress, tol=tol, voxel_size=lib.voxel_size,
                        fields=("strain", "stress"), device=device, progress=False)
            sig, eps = sol.stress[axis], sol.strain[axis]
            each.append([sig[voxels == r].mean() / eps[voxels == r].mean() for r in range(goal.size)])
            layouts.append(layout)
        local = np.mean(each, axis=0)
        asked_all.append(asked.copy())
        local_all.append(local)
        each_all.append(each)
        results.append((design, layouts))
        bias = np.mean(np.array(local_all) / np.array(asked_all), axis=0)
        asked = goal / bias
    local_arr, asked_arr = np.array(local_all), np.array(asked_all)
    best = int(np.argmin(np.abs(local_arr / goal - 1.0).max(axis=1)))
    return SolvedDesign(results[best][0], results[best][1], local_arr, np.array(each_all), asked_arr, goal, best)
