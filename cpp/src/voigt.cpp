#include "voxtwin/voigt.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace voxtwin {

namespace {
// Tensor index pairs of the Voigt components xx, yy, zz, yz, xz, xy.
constexpr int kPair[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};
}  // namespace

int voigt_index(int i, int j) {
  if (i == j) return i;
  return 6 - i - j;  // (1,2) -> 3, (0,2) -> 4, (0,1) -> 5
}

Matrix6 rotate_stiffness(const Matrix6& C, const Eigen::Matrix3d& R) {
  // Bond-free formulation: expand to the full tensor on the fly. 6x6x81 terms is cheap
  // and leaves no room for the factor-of-two slips of the Bond matrices.
  Matrix6 out = Matrix6::Zero();
  for (int I = 0; I < 6; ++I) {
    const int i = kPair[I][0], j = kPair[I][1];
    for (int J = 0; J < 6; ++J) {
      const int k = kPair[J][0], l = kPair[J][1];
      double sum = 0.0;
      for (int p = 0; p < 3; ++p)
        for (int q = 0; q < 3; ++q) {
          const double rpq = R(i, p) * R(j, q);
          if (rpq == 0.0) continue;
          const int P = voigt_index(p, q);
          for (int r = 0; r < 3; ++r)
            for (int s = 0; s < 3; ++s) sum += rpq * R(k, r) * R(l, s) * C(P, voigt_index(r, s));
        }
      out(I, J) = sum;
    }
  }
  return out;
}

Eigen::Matrix3d strain_tensor(const Vector6& e) {
  Eigen::Matrix3d t;
  t << e[0], 0.5 * e[5], 0.5 * e[4],  //
      0.5 * e[5], e[1], 0.5 * e[3],   //
      0.5 * e[4], 0.5 * e[3], e[2];
  return t;
}

Vector6 strain_voigt(const Eigen::Matrix3d& t) {
  Vector6 e;
  e << t(0, 0), t(1, 1), t(2, 2), t(1, 2) + t(2, 1), t(0, 2) + t(2, 0), t(0, 1) + t(1, 0);
  return e;
}

Vector6 rotate_strain(const Vector6& strain, const Eigen::Matrix3d& R) {
  return strain_voigt(R * strain_tensor(strain) * R.transpose());
}

Eigen::Matrix3d rotation_from_axis(const Eigen::Vector3d& axis, const char* name) {
  const double norm = axis.norm();
  if (!std::isfinite(norm) || norm == 0.0) {
    throw std::invalid_argument(std::string("`") + name + "` must be a finite non-zero 3-vector, got " + name +
                                "=(" + std::to_string(axis[0]) + ", " + std::to_string(axis[1]) + ", " +
                                std::to_string(axis[2]) + ")");
  }
  const Eigen::Vector3d a = axis / norm;
  // Helper: the coordinate axis least aligned with a, so the cross product is well conditioned.
  Eigen::Vector3d helper = Eigen::Vector3d::Zero();
  int smallest = 0;
  a.cwiseAbs().minCoeff(&smallest);
  helper[smallest] = 1.0;
  const Eigen::Vector3d b = (helper - helper.dot(a) * a).normalized();
  const Eigen::Vector3d c = a.cross(b);
  Eigen::Matrix3d R;
  R.col(0) = a;
  R.col(1) = b;
  R.col(2) = c;
  return R;
}

}  // namespace voxtwin
