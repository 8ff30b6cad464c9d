#pragma once
// Linear (thermo-)elastic materials: 6x6 Voigt stiffness in GPa and Voigt CTE in 1/K
// (engineering shear components, i.e. 2 * alpha_ij for i != j).
#include <string>

#include "voxtwin/voigt.hpp"

namespace voxtwin {

/// Kind of constitutive law, kept so that callers can tell materials apart without comparing matrices.
enum class MaterialKind { Isotropic, TransverselyIsotropic, Anisotropic, Void };

struct Material {
  MaterialKind kind = MaterialKind::Void;
  std::string name;
  Matrix6 C = Matrix6::Zero();      ///< stiffness (GPa), in the global frame
  Vector6 alpha = Vector6::Zero();  ///< thermal expansion (1/K), Voigt with engineering shears
  double density = 0.0;             ///< g/cm^3 (0 when unknown)

  bool is_void() const { return kind == MaterialKind::Void; }
  /// Compliance S = C^-1 (1/GPa). Throws std::invalid_argument for a void material.
  Matrix6 compliance() const;
  /// The same material turned by rotation R (columns = material axes in the global frame).
  Material rotated(const Eigen::Matrix3d& R) const;
};

/// Isotropic material from Young's modulus E (GPa) and Poisson's ratio nu.
/// Throws std::invalid_argument unless E > 0, -1 < nu < 0.5 and all values are finite.
Material isotropic(double E, double nu, double alpha = 0.0, const std::string& name = "", double density = 0.0);

/// Isotropic material from Young's modulus E and shear modulus G (GPa); nu = E / (2G) - 1.
Material isotropic_from_EG(double E, double G, double alpha = 0.0, const std::string& name = "",
                           double density = 0.0);

/// Transversely isotropic material with symmetry axis `axis` (the fibre direction, "1").
/// E1 axial and E2 transverse moduli, G12 axial shear modulus (GPa), nu12 (strain ratio -eps2/eps1
/// under axial load) and nu23 (in the isotropic plane); alpha1 axial, alpha2 transverse CTE (1/K).
/// Throws std::invalid_argument when the stiffness would not be positive definite.
Material transversely_isotropic(double E1, double E2, double G12, double nu12, double nu23, double alpha1,
                                double alpha2, const Eigen::Vector3d& axis, const std::string& name = "",
                                double density = 0.0);

/// General anisotropic material from a 6x6 Voigt stiffness (GPa) and a Voigt CTE (1/K).
/// Throws std::invalid_argument unless C is finite, symmetric (to 1e-9 relative) and positive definite.
Material anisotropic(const Matrix6& C, const Vector6& alpha, const std::string& name = "", double density = 0.0);

/// The zero-stiffness phase (pores, air around a part).
Material void_material(const std::string& name = "void");

}  // namespace voxtwin
