// Laminate homogenization against an independent second method: the closed form of DESIGN §5
// with the acoustic tensors K_i,jk = n_l C_i,jlkm n_m (full 4th-order tensors, no frame
// rotation, no block elimination), and its thermal counterpart derived from the same
// continuity conditions; plus the limits c -> 0/1, equal phases and void layers.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>

#include "voxtwin/laminate.hpp"
#include "voxtwin/materials.hpp"

using namespace voxtwin;

namespace {

using T4 = std::array<double, 81>;
using Eigen::Matrix3d;
using Eigen::Vector3d;

int at(int i, int j, int k, int l) { return ((i * 3 + j) * 3 + k) * 3 + l; }

T4 tensor(const Matrix6& C) {
  T4 t{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 3; ++l) t[at(i, j, k, l)] = C(voigt_index(i, j), voigt_index(k, l));
  return t;
}

Matrix3d contract(const T4& C, const Matrix3d& eps) {
  Matrix3d s = Matrix3d::Zero();
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 3; ++l) s(i, j) += C[at(i, j, k, l)] * eps(k, l);
  return s;
}

Matrix3d acoustic(const T4& C, const Vector3d& n) {
  Matrix3d K = Matrix3d::Zero();
  for (int j = 0; j < 3; ++j)
    for (int k = 0; k < 3; ++k)
      for (int l = 0; l < 3; ++l)
        for (int m = 0; m < 3; ++m) K(j, k) += n[l] * C[at(j, l, k, m)] * n[m];
  return K;
}

Matrix3d sym_outer(const Vector3d& a, const Vector3d& n) { return 0.5 * (a * n.transpose() + n * a.transpose()); }

Vector6 stress_voigt(const Matrix3d& s) {
  Vector6 v;
  v << s(0, 0), s(1, 1), s(2, 2), s(1, 2), s(0, 2), s(0, 1);
  return v;
}

// DESIGN §5: C_L:eps = (c1 C1 + c2 C2):eps - c1 c2 (C1 - C2):sym(M[((C1 - C2):eps) n] (x) n),
// M = (c2 K1 + c1 K2)^-1; thermal stress beta_L from the same jump with the eigenstress
// difference: beta_L = c1 b1 + c2 b2 - c1 c2 (C1 - C2):sym(M[(b1 - b2) n] (x) n).
ThermoElastic closed_form(const Material& m1, const Material& m2, double c1, Vector3d n) {
  n.normalize();
  const double c2 = 1.0 - c1;
  const T4 C1 = tensor(m1.C), C2 = tensor(m2.C);
  T4 dC{};
  for (int i = 0; i < 81; ++i) dC[i] = C1[i] - C2[i];
  const Matrix3d M = (c2 * acoustic(C1, n) + c1 * acoustic(C2, n)).inverse();
  ThermoElastic out;
  for (int J = 0; J < 6; ++J) {
    Vector6 e = Vector6::Zero();
    e[J] = 1.0;
    const Matrix3d eps = strain_tensor(e);
    const Matrix3d mean = c1 * contract(C1, eps) + c2 * contract(C2, eps);
    const Vector3d a = M * (contract(dC, eps) * n);
    out.C.col(J) = stress_voigt(mean - c1 * c2 * contract(dC, sym_outer(a, n)));
  }
  const Matrix3d b1 = contract(C1, strain_tensor(m1.alpha)), b2 = contract(C2, strain_tensor(m2.alpha));
  const Vector3d a = M * ((b1 - b2) * n);
  const Vector6 beta = stress_voigt(c1 * b1 + c2 * b2 - c1 * c2 * contract(dC, sym_outer(a, n)));
  out.alpha = out.C.ldlt().solve(beta);
  return out;
}

ThermoElastic two(const Material& a, const Material& b, double ca, const Vector3d& n) {
  return laminate({{a.C, a.alpha, ca}, {b.C, b.alpha, 1.0 - ca}}, n);
}

double rel(const Matrix6& a, const Matrix6& b) { return (a - b).norm() / b.norm(); }
double rel(const Vector6& a, const Vector6& b) { return (a - b).norm() / b.norm(); }

const Material kPla = isotropic(3.4, 0.33, 68e-6);
const Material kBasalt = isotropic(87.5, 0.2, 8e-6);
const Material kCarbon =
    transversely_isotropic(230, 15, 15, 0.2, 0.07, -0.7e-6, 12e-6, Eigen::Vector3d(1.0, 2.0, -0.5));

// Double-precision agreement of two algebraically equal formulas (a few hundred operations).
constexpr double kTight = 1e-12;

}  // namespace

TEST(Laminate, MatchesClosedFormForRandomNormalsAndFractions) {
  std::mt19937 gen(3);
  std::normal_distribution<double> g;
  std::uniform_real_distribution<double> u(0.01, 0.99);
  for (int trial = 0; trial < 40; ++trial) {
    const Vector3d n(g(gen), g(gen), g(gen));
    const double c = u(gen);
    const Material& a = trial % 2 ? kCarbon : kBasalt;
    const ThermoElastic got = two(a, kPla, c, n);
    const ThermoElastic want = closed_form(a, kPla, c, n);
    EXPECT_LT(rel(got.C, want.C), kTight) << "trial " << trial;
    EXPECT_LT(rel(got.alpha, want.alpha), kTight) << "trial " << trial;
  }
}

TEST(Laminate, VoidLayerMatchesClosedFormStiffness) {
  const Material air = void_material();
  const Vector3d n(0.3, -1.0, 0.7);
  const ThermoElastic got = two(kPla, air, 0.6, n);
  const ThermoElastic want = closed_form(kPla, air, 0.6, n);
  EXPECT_LT(rel(got.C, want.C), kTight);
  // A single solid with a void keeps its own (isotropic) expansion.
  EXPECT_LT(rel(got.alpha, kPla.alpha), kTight);
}

TEST(Laminate, LimitsOfTheFractions) {
  const Vector3d n(1.0, 1.0, 0.0);
  EXPECT_LT(rel(two(kBasalt, kPla, 1.0, n).C, kBasalt.C), kTight);
  EXPECT_LT(rel(two(kBasalt, kPla, 0.0, n).C, kPla.C), kTight);
  EXPECT_LT(rel(two(kBasalt, kPla, 0.0, n).alpha, kPla.alpha), kTight);
  // Continuity: a tiny fraction changes the law by about that fraction.
  const ThermoElastic almost = two(kBasalt, kPla, 1e-7, n);
  EXPECT_LT(rel(almost.C, kPla.C), 1e-5);
  EXPECT_LT(rel(two(kCarbon, kCarbon, 0.37, n).C, kCarbon.C), kTight);
  EXPECT_LT(rel(two(kCarbon, kCarbon, 0.37, n).alpha, kCarbon.alpha), kTight);
}

TEST(Laminate, SerialAndParallelBoundsAlongTheAxes) {
  // Normal along x: E_x is the Reuss-type serial modulus, the in-plane shear G_yz the Voigt mean.
  const double c = 0.3;
  const ThermoElastic L = two(kBasalt, kPla, c, Vector3d::UnitX());
  const double G1 = kBasalt.C(3, 3), G2 = kPla.C(3, 3);
  EXPECT_NEAR(L.C(3, 3), c * G1 + (1 - c) * G2, 1e-12 * G1);
  EXPECT_NEAR(L.C(4, 4), 1.0 / (c / G1 + (1 - c) / G2), 1e-12 * G1);
  EXPECT_NEAR(L.C(5, 5), 1.0 / (c / G1 + (1 - c) / G2), 1e-12 * G1);
}

TEST(Laminate, VoidLayerLeavesOnlyTheInPlaneStiffness) {
  // Solid fraction c of an isotropic phase with a void layer, normal z: no stiffness along z or
  // for the xz, yz shears; in plane, c times the plane-stress stiffness E/(1 - nu^2).
  const double c = 0.75, E = 3.4, nu = 0.33;
  const ThermoElastic L = two(kPla, void_material(), c, Vector3d::UnitZ());
  for (int k = 0; k < 6; ++k) {
    EXPECT_NEAR(L.C(2, k), 0.0, 1e-13);
    EXPECT_NEAR(L.C(3, k), 0.0, 1e-13);
    EXPECT_NEAR(L.C(4, k), 0.0, 1e-13);
  }
  EXPECT_NEAR(L.C(0, 0), c * E / (1 - nu * nu), 1e-12);
  EXPECT_NEAR(L.C(0, 1), c * E * nu / (1 - nu * nu), 1e-12);
  EXPECT_NEAR(L.C(5, 5), c * E / (2 * (1 + nu)), 1e-12);
}

TEST(Laminate, ManyLayersDependOnFractionsOnly) {
  const Vector3d n(0.2, 0.5, -1.0);
  const ThermoElastic abc = laminate({{kBasalt.C, kBasalt.alpha, 0.2}, {kPla.C, kPla.alpha, 0.5},
                                      {kCarbon.C, kCarbon.alpha, 0.3}}, n);
  const ThermoElastic cab = laminate({{kCarbon.C, kCarbon.alpha, 0.3}, {kBasalt.C, kBasalt.alpha, 0.2},
                                      {kPla.C, kPla.alpha, 0.5}}, n);
  EXPECT_LT(rel(abc.C, cab.C), kTight);
  EXPECT_LT(rel(abc.alpha, cab.alpha), kTight);
  // A phase split into two layers is the same laminate.
  const ThermoElastic split = laminate({{kBasalt.C, kBasalt.alpha, 0.15}, {kPla.C, kPla.alpha, 0.5},
                                        {kBasalt.C, kBasalt.alpha, 0.2}, {kPla.C, kPla.alpha, 0.15}},
                                       n);
  const ThermoElastic merged = two(kBasalt, kPla, 0.35, n);
  EXPECT_LT(rel(split.C, merged.C), kTight);
  EXPECT_LT(rel(split.alpha, merged.alpha), kTight);
  // A laminate of a laminate with the same normal is one laminate (sequential rule).
  const ThermoElastic inner = two(kBasalt, kCarbon, 0.4, n);
  const ThermoElastic nested = laminate({{inner.C, inner.alpha, 0.5}, {kPla.C, kPla.alpha, 0.5}}, n);
  const ThermoElastic flat = laminate({{kBasalt.C, kBasalt.alpha, 0.2}, {kCarbon.C, kCarbon.alpha, 0.3},
                                       {kPla.C, kPla.alpha, 0.5}}, n);
  EXPECT_LT(rel(nested.C, flat.C), 1e-11);
  EXPECT_LT(rel(nested.alpha, flat.alpha), 1e-11);
}

TEST(Laminate, NormalSignAndLengthDoNotMatter) {
  const Vector3d n(0.3, -0.4, 0.87);
  const ThermoElastic a = two(kCarbon, kPla, 0.4, n);
  const ThermoElastic b = two(kCarbon, kPla, 0.4, -7.0 * n);
  EXPECT_LT(rel(a.C, b.C), kTight);
  EXPECT_LT(rel(a.alpha, b.alpha), kTight);
}

TEST(Laminate, RejectsBadInputNamingIt) {
  const Vector3d n = Vector3d::UnitX();
  EXPECT_THROW(laminate({}, n), std::invalid_argument);
  EXPECT_THROW(two(kPla, kBasalt, 1.2, n), std::invalid_argument);  // fractions 1.2 and -0.2
  EXPECT_THROW(laminate({{kPla.C, kPla.alpha, 0.5}, {kBasalt.C, kBasalt.alpha, 0.6}}, n), std::invalid_argument);
  try {
    two(kPla, kBasalt, 0.5, Vector3d::Zero());
    FAIL() << "a zero normal must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("`normal`"), std::string::npos) << e.what();
  }
  EXPECT_EQ(laminate({{Matrix6::Zero(), Vector6::Zero(), 1.0}}, n).C, Matrix6::Zero());
}
