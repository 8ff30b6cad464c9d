"""Materials: linear thermo-elastic phases with a 6×6 Voigt stiffness (GPa) and CTE (1/K).

Voigt order xx, yy, zz, yz, xz, xy; strains carry engineering shears, so the CTE vector
holds 2·α_ij in its shear slots. The stiffness is computed in the C++ core (``voxtwin::Material``);
these classes keep the parameters a person typed, for reports and for saving a run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _core
from . import _validate as check

__all__ = [
    "Material",
    "Isotropic",
    "TransverselyIsotropic",
    "Anisotropic",
    "Void",
    "VOID",
    "material_library",
    "material_from_dict",
]


class Material:
    """A phase of a voxel model. Use the subclasses; every one exposes ``C``, ``alpha``, ``S``."""

    kind: str = "material"

    def __init__(self, core: Any, params: dict[str, Any]) -> None:
        self._core = core
        self._params = params

    @property
    def name(self) -> str:
        """Name given at construction (may be empty)."""
        return str(self._core.name)

    @property
    def density(self) -> float:
        """Density in g/cm³ (0 when unknown)."""
        return float(self._core.density)

    @property
    def C(self) -> np.ndarray:
        """6×6 Voigt stiffness in GPa (a copy)."""
        return np.array(self._core.C, dtype=np.float64)

    @property
    def alpha(self) -> np.ndarray:
        """Voigt thermal expansion in 1/K, engineering shear slots (a copy)."""
        return np.array(self._core.alpha, dtype=np.float64).reshape(6)

    @property
    def S(self) -> np.ndarray:
        """6×6 compliance in 1/GPa. ValueError for a void phase."""
        return np.array(self._core.compliance(), dtype=np.float64)

    @property
    def is_void(self) -> bool:
        """True for the zero-stiffness phase."""
        return self.kind == "void"

    def rotated(self, R: np.ndarray) -> Anisotropic:
        """The same material turned by the rotation ``R`` (3×3, columns = material axes in the global frame)."""
        R = np.asarray(R, dtype=np.float64)
        if R.shape != (3, 3) or not np.allclose(R @ R.T, np.eye(3), atol=1e-9) or np.linalg.det(R) <= 0:
            raise ValueError(f"`R` must be a proper 3×3 rotation matrix, got R={R.tolist()!r}")
        if self.is_void:
            raise ValueError("a void material has nothing to rotate")
        turned = self._core.rotated(R)
        return Anisotropic(turned.C, turned.alpha, name=self.name, density=self.density)

    def to_dict(self) -> dict[str, Any]:
        """Parameters as typed, for JSON; :func:`material_from_dict` rebuilds the material."""
        return {"kind": self.kind, **self._params}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params.items() if v not in ("", 0.0) or k in ("E", "nu"))
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Material) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict().items(), key=lambda kv: kv[0])))


class Isotropic(Material):
    """Isotropic phase from Young's modulus ``E`` (GPa) and Poisson's ratio ``nu``.

    ``alpha`` is the linear CTE (1/K), ``density`` in g/cm³ (0 = unknown).
    Raises ValueError unless E > 0, -1 < nu < 0.5 and every value is finite.
    """

    kind = "isotropic"

    def __init__(self, E: float, nu: float, alpha: float = 0.0, name: str = "", density: float = 0.0) -> None:
        E = check.modulus("E", E)
        nu = check.real("nu", nu)
        if not -1.0 < nu < 0.5:
            raise ValueError(f"`nu` must be in (-1, 0.5) (0.5 is incompressible: no finite stiffness), got nu={nu!r}")
        alpha = check.expansion("alpha", alpha)
        density = check.real("density", density, "g/cm^3")
        core = _core.isotropic(E, nu, alpha, str(name), density)
        super().__init__(core, {"E": E, "nu": nu, "alpha": alpha, "name": str(name), "density": density})

    @classmethod
    def from_EG(cls, E: float, G: float, alpha: float = 0.0, name: str = "", density: float = 0.0) -> Isotropic:
        """Isotropic phase from Young's modulus ``E`` and shear modulus ``G`` (GPa): nu = E/(2G) − 1."""
        E = check.positive("E", E, "GPa")
        G = check.positive("G", G, "GPa")
        if not G > E / 3:
            raise ValueError(f"`G` must be > E/3 so that nu = E/(2G) - 1 < 0.5, got E={E!r}, G={G!r}")
        return cls(E, E / (2 * G) - 1, alpha, name, density)

    @property
    def E(self) -> float:
        """Young's modulus (GPa)."""
        return float(self._params["E"])

    @property
    def nu(self) -> float:
        """Poisson's ratio."""
        return float(self._params["nu"])

    @property
    def G(self) -> float:
        """Shear modulus (GPa)."""
        return self.E / (2 * (1 + self.nu))

    @property
    def K(self) -> float:
        """Bulk modulus (GPa)."""
        return self.E / (3 * (1 - 2 * self.nu))


class TransverselyIsotropic(Material):
    """Transversely isotropic phase (e.g. a carbon fibre) with symmetry axis ``axis``.

    ``E1`` axial and ``E2`` transverse Young's moduli, ``G12`` axial shear modulus (GPa);
    ``nu12`` axial Poisson's ratio, ``nu23`` in the transverse plane; ``alpha1`` axial and
    ``alpha2`` transverse CTE (1/K); ``axis`` the fibre direction in the global frame.
    """

    kind = "transversely_isotropic"

    def __init__(
        self,
        E1: float,
        E2: float,
        G12: float,
        nu12: float,
        nu23: float,
        alpha1: float = 0.0,
        alpha2: float = 0.0,
        axis: tuple[float, float, float] | np.ndarray = (1.0, 0.0, 0.0),
        name: str = "",
        density: float = 0.0,
    ) -> None:
        values = {
            "E1": check.modulus("E1", E1),
            "E2": check.modulus("E2", E2),
            "G12": check.modulus("G12", G12),
            "nu12": check.real("nu12", nu12),
            "nu23": check.real("nu23", nu23),
            "alpha1": check.expansion("alpha1", alpha1),
            "alpha2": check.expansion("alpha2", alpha2),
        }
        axis_vec = check.vector3("axis", axis, unit_length=True)
        density = check.real("density", density, "g/cm^3")
        core = _core.transversely_isotropic(*values.values(), axis_vec, str(name), density)
        params = {**values, "axis": axis_vec.tolist(), "name": str(name), "density": density}
        super().__init__(core, params)

    @property
    def axis(self) -> np.ndarray:
        """Unit symmetry axis (fibre direction) in the global frame."""
        return np.array(self._params["axis"])

    def with_axis(self, axis: tuple[float, float, float] | np.ndarray) -> TransverselyIsotropic:
        """The same material with its symmetry axis along ``axis``."""
        p = {k: v for k, v in self._params.items() if k != "axis"}
        return TransverselyIsotropic(axis=axis, **p)


class Anisotropic(Material):
    """General anisotropic phase from a 6×6 Voigt stiffness ``C`` (GPa) and Voigt CTE ``alpha`` (1/K).

    ``C`` must be symmetric positive definite (use :data:`VOID` for zero stiffness).
    """

    kind = "anisotropic"

    def __init__(self, C: np.ndarray, alpha: np.ndarray | None = None, name: str = "", density: float = 0.0) -> None:
        try:
            C = np.asarray(C, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"`C` must be a 6×6 matrix of numbers (GPa), got C={C!r}") from None
        if C.shape != (6, 6):
            raise ValueError(f"`C` must be a 6×6 Voigt matrix, got shape {C.shape}")
        try:
            a = np.zeros(6) if alpha is None else np.asarray(alpha, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise TypeError(f"`alpha` must be 6 numbers (1/K), got alpha={alpha!r}") from None
        if a.shape != (6,):
            raise ValueError(f"`alpha` must have 6 Voigt components, got shape {np.shape(alpha)}")
        if not (np.all(np.isfinite(C)) and np.all(np.isfinite(a))):
            raise ValueError(f"`C` and `alpha` must be finite, got C={C.tolist()!r}, alpha={a.tolist()!r}")
        lo, hi = check.MODULUS_RANGE_GPA
        top = float(np.abs(C).max())
        if not lo <= top <= hi:
            raise ValueError(f"the largest entry of `C` must be in [{lo:g}, {hi:g}] GPa (moduli are in GPa), "
                             f"got max |C| = {top!r}")
        if float(np.abs(a).max()) > check.MAX_EXPANSION:
            raise ValueError(f"`alpha` must be within ±{check.MAX_EXPANSION:g} 1/K, got alpha={a.tolist()!r}")
        density = check.real("density", density, "g/cm^3")
        core = _core.anisotropic(C, a, str(name), density)
        super().__init__(core, {"C": C.tolist(), "alpha": a.tolist(), "name": str(name), "density": density})


class Void(Material):
    """The zero-stiffness phase: pores, or the air around a printed part."""

    kind = "void"

    def __init__(self, name: str = "void") -> None:
        super().__init__(_core.void_material(str(name)), {"name": str(name)})

    @property
    def S(self) -> np.ndarray:  # noqa: D102 - documented on the base class
        raise ValueError(f"material {self.name!r} is void: a zero stiffness has no compliance")


#: The zero-stiffness phase.
VOID = Void("void")

_KINDS: dict[str, type[Material]] = {
    "isotropic": Isotropic,
    "transversely_isotropic": TransverselyIsotropic,
    "anisotropic": Anisotropic,
    "void": Void,
}


def material_from_dict(data: dict[str, Any]) -> Material:
    """Rebuild a material from :meth:`Material.to_dict` output (e.g. a run's JSON or TOML)."""
    if not isinstance(data, dict) or "kind" not in data:
        raise ValueError(f"`data` must be a dict with a 'kind' key, got data={data!r}")
    params = {k: v for k, v in data.items() if k != "kind"}
    kind = check.choice("kind", data["kind"], list(_KINDS))
    try:
        return _KINDS[kind](**params)
    except TypeError as exc:
        raise ValueError(f"material of kind {kind!r} got unexpected parameters {sorted(params)}: {exc}") from None


def material_library() -> dict[str, Material]:
    """Named materials with literature values (moduli in GPa, CTE in 1/K, density in g/cm³).

    - ``basalt_fibre``: E 87.5 GPa, G 36.45 GPa, ν 0.2, ρ 2.67 g/cm³ — measured by single-fibre
      tensile tests in seed 000 (Yu et al., Adv. Mater. 2025, e10559, experimental section).
      CTE 8.0e-6 1/K: the value tabulated for basalt fibre in reviews of its properties
      (Fiore, Scalici, Di Bella, Valenza, Compos. Part B 74 (2015) 74–94).
    - ``pla``: E 3.4 GPa, G 1.27 GPa, ν 0.33, ρ 1.25 g/cm³ — seed 000, tensile tests.
      CTE 68e-6 1/K: a typical handbook value for amorphous PLA below its glass transition
      (values from about 60e-6 to 80e-6 1/K are reported for printed PLA); replace it with a
      measurement of your own filament when you have one.
    - ``air``: the void phase.
    - ``carbon_fibre_t300``: transversely isotropic T300 fibre, axis along X; ``e_glass_fibre``
      (Gevetex 21xK43); ``epoxy_ly556`` and ``epoxy_3501_6``: lamina constituent data of the
      World-Wide Failure Exercise (Soden, Hinton, Kaddour, Compos. Sci. Technol. 58 (1998)
      1011–1022, Table 1). Densities of T300 (1.76) and E-glass (2.58) are manufacturer values;
      the epoxies' are left unknown (0).

    Note: seed 000 lists E and G for PLA and basalt; ν from E and G (E/2G − 1) gives 0.339 and 0.200,
    so the stated ν is used and G follows from it (1.278 and 36.46 GPa).
    """
    return {
        "basalt_fibre": Isotropic(87.5, 0.2, alpha=8.0e-6, name="basalt_fibre", density=2.67),
        "pla": Isotropic(3.4, 0.33, alpha=68e-6, name="pla", density=1.25),
        "air": Void("air"),
        "carbon_fibre_t300": TransverselyIsotropic(
            230.0, 15.0, 15.0, 0.2, 15.0 / (2 * 7.0) - 1, alpha1=-0.7e-6, alpha2=12e-6, axis=(1, 0, 0),
            name="carbon_fibre_t300", density=1.76,
        ),
        "e_glass_fibre": Isotropic(80.0, 0.2, alpha=4.9e-6, name="e_glass_fibre", density=2.58),
        "epoxy_ly556": Isotropic(3.35, 0.35, alpha=58e-6, name="epoxy_ly556"),
        "epoxy_3501_6": Isotropic(4.2, 0.34, alpha=45e-6, name="epoxy_3501_6"),
    }
