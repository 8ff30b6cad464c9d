#include "voxtwin/materials.hpp"
#include "voxtwin/detail/format.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace voxtwin {

using detail::format_value;

namespace {

void require_finite(double value, const char* name) {
  if (!std::isfinite(value))
    throw std::invalid_argument(std::string("`") + name + "` must be a finite number, got " + name + "=" + format_value(value));
}

void require_positive(double value, const char* name, const char* unit) {
  require_finite(value, name);
  if (value <= 0.0)
    throw std::invalid_argument(std::string("`") + name + "` must be > 0 " + unit + ", got " + name + "=" + format_value(value));
}

void require_density(double density) {
  require_finite(density, "density");
  if (density < 0.0)
    throw std::invalid_argument("`density` must be >= 0 g/cm^3 (0 = unknown), got density=" + format_value(density));
}

}  // namespace

Matrix6 Material::compliance() const {
  if (is_void())
    throw std::invalid_argument("material `" + name + "` is void: a zero stiffness has no compliance");
  return C.inverse();
}

Material Material::rotated(const Eigen::Matrix3d& R) const {
  Material m = *this;
  m.C = rotate_stiffness(C, R);
  m.alpha = rotate_strain(alpha, R);
  return m;
}

Material isotropic(double E, double nu, double alpha, const std::string& name, double density) {
  require_positive(E, "E", "GPa");
  require_finite(nu, "nu");
  if (!(nu > -1.0 && nu < 0.5))
    throw std::invalid_argument("`nu` must be in (-1, 0.5), got nu=" + format_value(nu));
  require_finite(alpha, "alpha");
  require_density(density);

  const double lambda = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu));
  const double mu = E / (2.0 * (1.0 + nu));
  Material m;
  m.kind = MaterialKind::Isotropic;
  m.name = name;
  m.density = density;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) m.C(i, j) = lambda;
    m.C(i, i) = lambda + 2.0 * mu;
    m.C(i + 3, i + 3) = mu;
    m.alpha[i] = alpha;
  }
  return m;
}

Material isotropic_from_EG(double E, double G, double alpha, const std::string& name, double density) {
  require_positive(E, "E", "GPa");
  require_positive(G, "G", "GPa");
  const double nu = E / (2.0 * G) - 1.0;
  if (!(nu > -1.0 && nu < 0.5))
    throw std::invalid_argument("`G` must be > E/3 so that nu = E/(2G) - 1 < 0.5, got E=" + format_value(E) + ", G=" + format_value(G) +
                                " (nu=" + format_value(nu) + ")");
  return isotropic(E, nu, alpha, name, density);
}

Material transversely_isotropic(double E1, double E2, double G12, double nu12, double nu23, double alpha1,
                                double alpha2, const Eigen::Vector3d& axis, const std::string& name,
                                double density) {
  require_positive(E1, "E1", "GPa");
  require_positive(E2, "E2", "GPa");
  require_positive(G12, "G12", "GPa");
  require_finite(nu12, "nu12");
  require_finite(nu23, "nu23");
  require_finite(alpha1, "alpha1");
  require_finite(alpha2, "alpha2");
  require_density(density);
  if (!(nu23 > -1.0 && nu23 < 1.0))
    throw std::invalid_argument("`nu23` must be in (-1, 1), got nu23=" + format_value(nu23));
  // Positive definiteness of the normal block of the compliance: det = e(1+nu23)(1-nu23-2 nu12^2 e), e = E2/E1.
  if (!(1.0 - nu23 - 2.0 * nu12 * nu12 * E2 / E1 > 0.0))
    throw std::invalid_argument("`nu12` is too large for a positive definite stiffness: need 1 - nu23 - 2 nu12^2 E2/E1 > 0, got nu12=" +
                                format_value(nu12) + " (E1=" + format_value(E1) + ", E2=" + format_value(E2) + ", nu23=" + format_value(nu23) + ")");
  const Eigen::Matrix3d R = rotation_from_axis(axis, "axis");

  // Compliance in the material frame, axis 1 along the fibre.
  const double G23 = E2 / (2.0 * (1.0 + nu23));
  Matrix6 S = Matrix6::Zero();
  S(0, 0) = 1.0 / E1;
  S(1, 1) = S(2, 2) = 1.0 / E2;
  S(0, 1) = S(1, 0) = S(0, 2) = S(2, 0) = -nu12 / E1;
  S(1, 2) = S(2, 1) = -nu23 / E2;
  S(3, 3) = 1.0 / G23;  // yz: the isotropic plane
  S(4, 4) = 1.0 / G12;  // xz
  S(5, 5) = 1.0 / G12;  // xy

  Material local;
  local.kind = MaterialKind::TransverselyIsotropic;
  local.name = name;
  local.density = density;
  local.C = S.inverse();
  local.C = 0.5 * (local.C + local.C.transpose()).eval();
  local.alpha << alpha1, alpha2, alpha2, 0.0, 0.0, 0.0;
  return local.rotated(R);
}

Material anisotropic(const Matrix6& C, const Vector6& alpha, const std::string& name, double density) {
  if (!C.allFinite()) throw std::invalid_argument("`C` must contain finite numbers only");
  if (!alpha.allFinite()) throw std::invalid_argument("`alpha` must contain finite numbers only");
  require_density(density);
  const double scale = C.cwiseAbs().maxCoeff();
  if (!((C - C.transpose()).cwiseAbs().maxCoeff() <= 1e-9 * scale))
    throw std::invalid_argument("`C` must be symmetric, got max |C - C^T| = " +
                                format_value((C - C.transpose()).cwiseAbs().maxCoeff()));
  Eigen::SelfAdjointEigenSolver<Matrix6> eig(0.5 * (C + C.transpose()));
  if (!(eig.eigenvalues().minCoeff() > 0.0))
    throw std::invalid_argument("`C` must be positive definite, got smallest eigenvalue " +
                                format_value(eig.eigenvalues().minCoeff()) + " GPa (use the void material for zero stiffness)");
  Material m;
  m.kind = MaterialKind::Anisotropic;
  m.name = name;
  m.density = density;
  m.C = 0.5 * (C + C.transpose());
  m.alpha = alpha;
  return m;
}

Material void_material(const std::string& name) {
  Material m;
  m.kind = MaterialKind::Void;
  m.name = name;
  return m;
}

}  // namespace voxtwin
