"""Fibre orientation distributions and second-order orientation tensors.

A fibre direction is a unit 3-vector whose sign carries no meaning (fibres are axial). The
orientation tensor of directions p with weights w is ``a_ij = sum(w p_i p_j) / sum(w)``: symmetric,
positive semi-definite, trace 1 (I/3 for isotropic fibres, e1 e1^T for fibres all along X).

Distributions (each has ``sample(n, rng) -> (n, 3)`` unit vectors and ``tensor``, the expected a):

- :class:`Isotropic`: uniform on the sphere.
- :class:`Planar`: uniform within the plane normal to ``normal``.
- :class:`Aligned`: around ``direction`` with an angular spread (a Gaussian on the tangent plane).
- :class:`FromTensor`: the angular central Gaussian whose orientation tensor is ``a`` exactly.

Like the size distributions, every sample draws a fixed number of uniform numbers from the caller's
``numpy.random.Generator`` (``n_uniforms`` per direction) and maps them deterministically.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import optimize, special

from . import _validate
from .distributions import check_sample_arguments, open_uniform

__all__ = [
    "OrientationDistribution",
    "Isotropic",
    "Planar",
    "Aligned",
    "FromTensor",
    "orientation_tensor",
    "in_plane_rotation",
    "orientation_from_dict",
]

_SYMMETRY_TOL = 1e-6  # measured tensors are symmetric and of unit trace up to float rounding
_TRACE_TOL = 1e-6
# Beyond ~60 degrees the wrapped tangent Gaussian of Aligned piles up again at the antipode: a_dd
# stops falling (0.358 at 60 degrees, 0.42 at 90), so wider spreads would not mean wider.
_MAX_SPREAD_DEG = 60.0


def _perpendicular_basis(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing the unit ``axis`` to a right-handed orthonormal basis."""
    helper = np.zeros(3)
    helper[int(np.argmin(np.abs(axis)))] = 1.0
    e1 = helper - helper.dot(axis) * axis
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(axis, e1)


def _rotation(name: str, R: object) -> np.ndarray:
    arr = np.asarray(R, dtype=np.float64)
    if arr.shape != (3, 3) or not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be a finite 3x3 rotation matrix, got {name}={R!r}")
    if np.abs(arr @ arr.T - np.eye(3)).max() > 1e-9 or np.linalg.det(arr) < 0:
        raise ValueError(f"`{name}` must be a proper rotation (R R^T = I, det R = 1), got {name}={arr.tolist()!r}")
    return arr


def in_plane_rotation(angle_deg: float) -> np.ndarray:
    """Rotation about +Z by ``angle_deg`` degrees, from +X towards +Y (the building blocks' angle)."""
    t = math.radians(_validate.real("angle_deg", angle_deg, "degrees"))
    c, s = math.cos(t), math.sin(t)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


class OrientationDistribution(ABC):
    """A distribution of fibre directions. Subclasses are immutable."""

    n_uniforms: ClassVar[int]

    @abstractmethod
    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        """Unit directions (n, 3) from uniform numbers ``u`` of shape (n, n_uniforms) in (0, 1)."""

    @property
    @abstractmethod
    def tensor(self) -> np.ndarray:
        """The expected orientation tensor (3x3)."""

    @abstractmethod
    def rotated(self, R: object) -> OrientationDistribution:
        """The same distribution turned by the rotation matrix ``R`` (directions p -> R p)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description; :func:`orientation_from_dict` reads it back."""

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` unit directions, shape (n, 3), drawn with ``n_uniforms`` uniform numbers each from ``rng``."""
        return self.from_uniform(open_uniform(rng, (check_sample_arguments(n, rng), self.n_uniforms)))


@dataclass(frozen=True)
class Isotropic(OrientationDistribution):
    """Directions uniform on the sphere (a = I/3)."""

    n_uniforms: ClassVar[int] = 2

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        z = 2.0 * u[:, 0] - 1.0
        phi = 2.0 * np.pi * u[:, 1]
        rho = np.sqrt(np.maximum(1.0 - z * z, 0.0))
        return np.stack([rho * np.cos(phi), rho * np.sin(phi), z], axis=1)

    @property
    def tensor(self) -> np.ndarray:
        return np.eye(3) / 3.0

    def rotated(self, R: object) -> Isotropic:
        _rotation("R", R)
        return self

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "isotropic"}


@dataclass(frozen=True)
class Planar(OrientationDistribution):
    """Directions uniform within the plane normal to ``normal`` (a = (I - n n^T) / 2)."""

    normal: tuple[float, float, float] = (0.0, 0.0, 1.0)
    n_uniforms: ClassVar[int] = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal", tuple(_validate.vector3("normal", self.normal, unit_length=True).tolist()))

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        e1, e2 = _perpendicular_basis(np.asarray(self.normal))
        phi = 2.0 * np.pi * u[:, 0]
        return np.cos(phi)[:, None] * e1 + np.sin(phi)[:, None] * e2

    @property
    def tensor(self) -> np.ndarray:
        n = np.asarray(self.normal)
        return 0.5 * (np.eye(3) - np.outer(n, n))

    def rotated(self, R: object) -> Planar:
        return Planar(tuple(_rotation("R", R) @ np.asarray(self.normal)))  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "planar", "normal": list(self.normal)}


@dataclass(frozen=True)
class Aligned(OrientationDistribution):
    """Directions around ``direction`` with an angular spread of ``spread_deg`` degrees.

    The tilt away from ``direction`` is a 2D Gaussian on the tangent plane with standard deviation
    ``spread_deg`` (radians inside) in each of the two perpendicular directions, wrapped onto the
    sphere (p = cos(rho) d + sin(rho) g/|g|, rho = |g|). ``spread_deg=0`` puts every fibre exactly
    along ``direction``. Expected tensor: a_dd = 1 - x D(x) along d (x = sqrt(2) sigma, D the
    Dawson function; about 1 - 2 sigma² for small spreads), the rest shared equally across.
    """

    direction: tuple[float, float, float] = (1.0, 0.0, 0.0)
    spread_deg: float = 15.0
    n_uniforms: ClassVar[int] = 2

    def __post_init__(self) -> None:
        d = _validate.vector3("direction", self.direction, unit_length=True)
        object.__setattr__(self, "direction", tuple(d.tolist()))
        spread = _validate.non_negative("spread_deg", self.spread_deg, "degrees")
        if spread > _MAX_SPREAD_DEG:
            raise ValueError(
                f"`spread_deg` must be <= {_MAX_SPREAD_DEG:g} degrees (use Isotropic for wider), got spread_deg={spread!r}"
            )
        object.__setattr__(self, "spread_deg", spread)

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        d = np.asarray(self.direction)
        e1, e2 = _perpendicular_basis(d)
        sigma = math.radians(self.spread_deg)
        g1 = sigma * special.ndtri(u[:, 0])
        g2 = sigma * special.ndtri(u[:, 1])
        rho = np.hypot(g1, g2)
        # sin(rho)/rho, with its limit 1 at rho = 0 (spread 0)
        sinc = np.where(rho > 0, np.sin(rho) / np.where(rho > 0, rho, 1.0), 1.0)
        return np.cos(rho)[:, None] * d + (sinc * g1)[:, None] * e1 + (sinc * g2)[:, None] * e2

    @property
    def axial(self) -> float:
        """Expected a_dd, the tensor component along ``direction``."""
        x = math.sqrt(2.0) * math.radians(self.spread_deg)
        return 1.0 - x * float(special.dawsn(x))

    @property
    def tensor(self) -> np.ndarray:
        d = np.asarray(self.direction)
        a = self.axial
        return a * np.outer(d, d) + 0.5 * (1.0 - a) * (np.eye(3) - np.outer(d, d))

    def rotated(self, R: object) -> Aligned:
        return Aligned(tuple(_rotation("R", R) @ np.asarray(self.direction)), self.spread_deg)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "aligned", "direction": list(self.direction), "spread_deg": self.spread_deg}


def _check_tensor(name: str, a: object) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a 3x3 array of numbers, got {name}={a!r}") from None
    if arr.shape != (3, 3):
        raise ValueError(f"`{name}` must be a 3x3 orientation tensor, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite, got {name}={arr.tolist()!r}")
    asym = float(np.abs(arr - arr.T).max())
    if asym > _SYMMETRY_TOL:
        raise ValueError(f"`{name}` must be symmetric, got max |a - a^T| = {asym:.3g} ({name}={arr.tolist()!r})")
    trace = float(np.trace(arr))
    if abs(trace - 1.0) > _TRACE_TOL:
        raise ValueError(f"`{name}` must have trace 1, got trace {trace!r} ({name}={arr.tolist()!r})")
    eig = np.linalg.eigvalsh(0.5 * (arr + arr.T))
    if eig.min() < -_SYMMETRY_TOL:
        raise ValueError(
            f"`{name}` must be positive semi-definite, got eigenvalues {eig.tolist()!r} ({name}={arr.tolist()!r})"
        )
    return arr


def _acg_moments(beta: np.ndarray) -> np.ndarray:
    """E[x_i²] of x = y/|y|, y ~ N(0, diag(beta)), all beta > 0.

    E[b_i z_i² / sum_j b_j z_j²] = integral over t of b_i (1 + 2 b_i t)^(-3/2) prod_(j != i) (1 + 2 b_j t)^(-1/2),
    which is R_D(1/b_j, 1/b_k, 1/b_i) / (3 sqrt(b_i b_j b_k)) with Carlson's symmetric integral R_D.
    """
    inv = 1.0 / beta
    pref = 1.0 / (3.0 * math.sqrt(float(np.prod(beta))))
    return np.array(
        [pref * float(special.elliprd(inv[(i + 1) % 3], inv[(i + 2) % 3], inv[i])) for i in range(3)]
    )


def _fit_acg(eigenvalues: np.ndarray) -> np.ndarray:
    """Angular central Gaussian parameters whose second moments are ``eigenvalues`` (sum 1)."""
    lam = np.clip(eigenvalues, 0.0, None)
    lam = lam / lam.sum()
    zero = lam < 1e-12
    beta = np.zeros(3)
    if zero.sum() >= 2:  # all fibres along one axis
        beta[int(np.argmax(lam))] = 1.0
        return beta
    if zero.sum() == 1:  # in a plane: on the circle, E[x_i²] = sqrt(b_i) / (sqrt(b_1) + sqrt(b_2))
        beta[~zero] = lam[~zero] ** 2
        return beta / beta.sum()

    # Solve in log space with beta_2 = 1 (the scale is free).
    def residual(log_b: np.ndarray) -> np.ndarray:
        b = np.exp(np.append(log_b, 0.0))
        return (_acg_moments(b) - lam)[:2]

    guess = np.log(lam[:2] / lam[2])
    sol = optimize.root(residual, guess, method="hybr", tol=1e-14)
    b = np.exp(np.append(sol.x, 0.0))
    err = float(np.abs(_acg_moments(b) - lam).max())
    if not err < 1e-9:
        raise ValueError(f"`a` could not be matched by an angular central Gaussian (residual {err:.3g})")
    return b / b.sum()


class FromTensor(OrientationDistribution):
    """Directions whose orientation tensor is ``a`` (3x3, symmetric, trace 1, positive semi-definite).

    Samples the angular central Gaussian x = y/|y|, y ~ N(0, B), with B sharing the eigenvectors of
    ``a`` and its eigenvalues fitted so that E[x x^T] = a exactly (Carlson integrals, solved to
    1e-9); planar and uniaxial tensors (zero eigenvalues) are handled in closed form.
    """

    n_uniforms: ClassVar[int] = 3

    def __init__(self, a: object) -> None:
        arr = _check_tensor("a", a)
        arr = 0.5 * (arr + arr.T)
        arr = arr / np.trace(arr)
        eigenvalues, vectors = np.linalg.eigh(arr)
        self._a = arr
        self._a.flags.writeable = False
        self._vectors = vectors
        self._scale = np.sqrt(_fit_acg(eigenvalues))

    @property
    def a(self) -> np.ndarray:
        """The orientation tensor (read-only, symmetrized and normalized to trace 1)."""
        return self._a

    def from_uniform(self, u: np.ndarray) -> np.ndarray:
        y = special.ndtri(u) * self._scale
        y /= np.linalg.norm(y, axis=1, keepdims=True)
        return y @ self._vectors.T

    @property
    def tensor(self) -> np.ndarray:
        return self._a.copy()

    def rotated(self, R: object) -> FromTensor:
        rot = _rotation("R", R)
        return FromTensor(rot @ self._a @ rot.T)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "tensor", "a": self._a.tolist()}

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FromTensor):
            return NotImplemented
        return bool(np.array_equal(self._a, other._a))

    def __hash__(self) -> int:
        return hash(self._a.tobytes())

    def __repr__(self) -> str:
        return f"FromTensor(a={np.round(self._a, 6).tolist()})"


def orientation_tensor(directions: object, weights: object = None) -> np.ndarray:
    """Second-order orientation tensor ``sum(w p p^T) / sum(w)`` of directions (n, 3).

    Directions are normalized first (their sign does not matter). ``weights`` (n,), e.g. fibre
    volumes, default to 1.
    """
    p = np.asarray(directions, dtype=np.float64)
    if p.ndim != 2 or p.shape[1] != 3 or p.shape[0] == 0:
        raise ValueError(f"`directions` must have shape (n, 3) with n >= 1, got shape {p.shape}")
    norms = np.linalg.norm(p, axis=1)
    if not np.all(np.isfinite(norms)) or np.any(norms == 0):
        raise ValueError("`directions` must be finite and non-zero")
    p = p / norms[:, None]
    if weights is None:
        w = np.ones(p.shape[0])
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (p.shape[0],) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                f"`weights` must be {p.shape[0]} finite numbers >= 0 with a positive sum, got shape {w.shape}"
            )
    a = np.einsum("n,ni,nj->ij", w, p, p) / w.sum()
    return 0.5 * (a + a.T)


def orientation_from_dict(data: Mapping[str, Any]) -> OrientationDistribution:
    """Inverse of ``OrientationDistribution.to_dict``."""
    if not isinstance(data, Mapping) or "kind" not in data:
        raise ValueError(f"`data` must be a mapping with a 'kind' key, got data={data!r}")
    kind = data["kind"]
    if kind == "isotropic":
        return Isotropic()
    if kind == "planar":
        return Planar(tuple(data["normal"]))
    if kind == "aligned":
        return Aligned(tuple(data["direction"]), data["spread_deg"])
    if kind == "tensor":
        return FromTensor(data["a"])
    raise ValueError(f"`kind` must be 'isotropic', 'planar', 'aligned' or 'tensor', got kind={kind!r}")
