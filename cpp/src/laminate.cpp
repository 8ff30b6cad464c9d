#include "voxtwin/laminate.hpp"
#include "voxtwin/detail/format.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace voxtwin {

using detail::format_value;

namespace {

using Matrix3 = Eigen::Matrix3d;
using Vector3 = Eigen::Vector3d;

// With the normal along the local x axis: the serial components (continuous stress) are
// xx, xy, xz, the parallel ones (continuous strain) yy, zz, yz. Voigt indices; engineering
// shears are fine here because the block elimination only needs sigma = C eps component-wise.
constexpr int kSerial[3] = {0, 5, 4};
constexpr int kParallel[3] = {1, 2, 3};

Matrix3 block(const Matrix6& M, const int (&rows)[3], const int (&cols)[3]) {
  Matrix3 out;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) out(i, j) = M(rows[i], cols[j]);
  return out;
}

Vector3 part(const Vector6& v, const int (&idx)[3]) { return Vector3(v[idx[0]], v[idx[1]], v[idx[2]]); }

void set_block(Matrix6& M, const int (&rows)[3], const int (&cols)[3], const Matrix3& B) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) M(rows[i], cols[j]) = B(i, j);
}

void set_part(Vector6& v, const int (&idx)[3], const Vector3& p) {
  for (int i = 0; i < 3; ++i) v[idx[i]] = p[i];
}

// Voigt stress rotation (Bond) matrix M for sigma' = R sigma R^T; stiffnesses turn as M C M^T.
// One 6x6 product per layer instead of the general tensor rotation: the table of a giga-voxel
// model holds up to 65536 laminates.
Matrix6 stress_rotation(const Matrix3& R) {
  constexpr int kPair[6][2] = {{0, 0}, {1, 1}, {2, 2}, {1, 2}, {0, 2}, {0, 1}};
  Matrix6 M;
  for (int J = 0; J < 6; ++J) {
    Matrix3 s = Matrix3::Zero();
    s(kPair[J][0], kPair[J][1]) = 1.0;
    s(kPair[J][1], kPair[J][0]) = 1.0;
    const Matrix3 t = R * s * R.transpose();
    for (int I = 0; I < 6; ++I) M(I, J) = t(kPair[I][0], kPair[I][1]);
  }
  return M;
}

void validate(const std::vector<Lamina>& layers) {
  if (layers.empty()) throw std::invalid_argument("`layers` must hold at least one layer, got none");
  double sum = 0.0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const double c = layers[i].fraction;
    if (!std::isfinite(c) || c < 0.0)
      throw std::invalid_argument("`layers[" + std::to_string(i) + "].fraction` must be a finite number >= 0, got " +
                                  format_value(c));
    if (!layers[i].C.allFinite() || !layers[i].alpha.allFinite())
      throw std::invalid_argument("`layers[" + std::to_string(i) + "]` has a non-finite stiffness or CTE");
    sum += c;
  }
  if (std::abs(sum - 1.0) > 1e-9)
    throw std::invalid_argument("layer fractions must sum to 1, got sum=" + format_value(sum));
}

}  // namespace

ThermoElastic laminate(const std::vector<Lamina>& layers, const Eigen::Vector3d& normal) {
  validate(layers);
  const Matrix3 R = rotation_from_axis(normal, "normal");  // columns: n, t1, t2 in the global frame
  const Matrix3 Rt = R.transpose();
  const Matrix6 to_local = stress_rotation(Rt), to_global = stress_rotation(R);

  // Fraction-weighted averages over the solid layers (Milton's formulas, with the thermal
  // stress beta = C alpha carried along).
  Matrix3 inv11 = Matrix3::Zero();     // <A11^-1>
  Matrix3 inv11_12 = Matrix3::Zero();  // <A11^-1 A12>
  Matrix3 a21_inv11 = Matrix3::Zero(); // <A21 A11^-1>
  Matrix3 schur = Matrix3::Zero();     // <A22 - A21 A11^-1 A12>
  Vector3 inv11_bs = Vector3::Zero();  // <A11^-1 beta_s>
  Vector3 bp_free = Vector3::Zero();   // <beta_p - A21 A11^-1 beta_s>
  double void_fraction = 0.0, solid_fraction = 0.0;

  struct Local {
    Matrix3 inv11, a12;
    Vector3 bs;
    double c;
  };
  std::vector<Local> solids;
  solids.reserve(layers.size());
  for (const Lamina& l : layers) {
    if (l.fraction == 0.0) continue;
    if (l.C.isZero(0.0)) {
      void_fraction += l.fraction;
      continue;
    }
    const Matrix6 C = to_local * l.C * to_local.transpose();
    const Vector6 beta = C * rotate_strain(l.alpha, Rt);
    const Matrix3 A11 = block(C, kSerial, kSerial), A12 = block(C, kSerial, kParallel);
    const Matrix3 A21 = block(C, kParallel, kSerial), A22 = block(C, kParallel, kParallel);
    const Vector3 bs = part(beta, kSerial), bp = part(beta, kParallel);
    const Matrix3 A11i = A11.inverse();
    const double c = l.fraction;
    inv11 += c * A11i;
    inv11_12 += c * (A11i * A12);
    a21_inv11 += c * (A21 * A11i);
    schur += c * (A22 - A21 * A11i * A12);
    inv11_bs += c * (A11i * bs);
    bp_free += c * (bp - A21 * (A11i * bs));
    solid_fraction += c;
    solids.push_back({A11i, A12, bs, c});
  }

  ThermoElastic out;
  if (solids.empty()) return out;  // all void

  Matrix6 C = Matrix6::Zero();
  Vector6 beta = Vector6::Zero();
  Vector6 alpha = Vector6::Zero();
  if (void_fraction > 0.0) {
    // No traction crosses a void layer: serial stresses vanish, solids are traction-free on n.
    set_block(C, kParallel, kParallel, schur);
    const Vector3 alpha_p = schur.ldlt().solve(bp_free);
    Vector3 alpha_s = Vector3::Zero();
    for (const Local& s : solids) alpha_s += s.c * (s.inv11 * (s.bs - s.a12 * alpha_p));
    alpha_s /= solid_fraction;
    set_part(alpha, kParallel, alpha_p);
    set_part(alpha, kSerial, alpha_s);
  } else {
    const Matrix3 A11 = inv11.inverse();
    const Matrix3 A12 = A11 * inv11_12;
    const Matrix3 A21 = a21_inv11 * A11;
    const Matrix3 A22 = schur + a21_inv11 * A11 * inv11_12;
    set_block(C, kSerial, kSerial, A11);
    set_block(C, kSerial, kParallel, A12);
    set_block(C, kParallel, kSerial, A21);
    set_block(C, kParallel, kParallel, A22);
    const Vector3 bs = A11 * inv11_bs;
    set_part(beta, kSerial, bs);
    set_part(beta, kParallel, bp_free + a21_inv11 * bs);
    C = 0.5 * (C + C.transpose());  // exact symmetry; the formulas agree to rounding
    alpha = C.ldlt().solve(beta);
  }
  out.C = to_global * C * to_global.transpose();
  out.C = 0.5 * (out.C + out.C.transpose());
  out.alpha = rotate_strain(alpha, R);
  return out;
}

}  // namespace voxtwin
