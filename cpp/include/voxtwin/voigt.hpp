#pragma once
// Voigt notation and rotations of 4th-order stiffness tensors.
// Order: xx, yy, zz, yz, xz, xy. Strain vectors carry engineering shears (gamma = 2 eps),
// stress vectors the plain components, so sigma = C eps with the usual 6x6 stiffness C.
#include <Eigen/Dense>

namespace voxtwin {

using Matrix6 = Eigen::Matrix<double, 6, 6>;
using Vector6 = Eigen::Matrix<double, 6, 1>;

/// Voigt index (0..5) of the tensor index pair (i, j), i, j in 0..2.
int voigt_index(int i, int j);

/// Rotates a Voigt stiffness: C'_ijkl = R_ip R_jq R_kr R_ls C_pqrs.
/// R maps material-frame vectors to global-frame vectors (columns = material axes in global frame).
Matrix6 rotate_stiffness(const Matrix6& C, const Eigen::Matrix3d& R);

/// Rotates a strain in Voigt form (engineering shears): eps' = R eps R^T.
Vector6 rotate_strain(const Vector6& strain, const Eigen::Matrix3d& R);

/// Strain tensor (3x3, symmetric) from a Voigt strain with engineering shears, and back.
Eigen::Matrix3d strain_tensor(const Vector6& strain);
Vector6 strain_voigt(const Eigen::Matrix3d& eps);

/// A proper rotation whose first column is the unit vector along `axis` (need not be normalized).
/// Throws std::invalid_argument for a zero or non-finite axis; `name` names the argument.
Eigen::Matrix3d rotation_from_axis(const Eigen::Vector3d& axis, const char* name = "axis");

}  // namespace voxtwin
