#include <gtest/gtest.h>

#include <cmath>

#include "voxtwin/materials.hpp"

using namespace voxtwin;

TEST(Materials, IsotropicComplianceRecoversEngineeringConstants) {
  const Material m = isotropic(87.5, 0.2, 8e-6, "basalt", 2.67);
  const Matrix6 S = m.compliance();
  EXPECT_NEAR(1.0 / S(0, 0), 87.5, 1e-10);
  EXPECT_NEAR(-S(0, 1) / S(0, 0), 0.2, 1e-12);
  EXPECT_NEAR(1.0 / S(3, 3), 87.5 / 2.4, 1e-10);
  EXPECT_DOUBLE_EQ(m.alpha[0], 8e-6);
  EXPECT_DOUBLE_EQ(m.alpha[3], 0.0);
}

TEST(Materials, RejectsBadPoissonRatioWithItsName) {
  try {
    isotropic(3.4, 0.5);
    FAIL() << "nu = 0.5 must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("`nu`"), std::string::npos) << e.what();
  }
  EXPECT_THROW(isotropic(-1.0, 0.3), std::invalid_argument);
  EXPECT_THROW(isotropic(NAN, 0.3), std::invalid_argument);
  EXPECT_THROW(isotropic(3.0, -1.0), std::invalid_argument);
}

TEST(Materials, TransverselyIsotropicAlongZMatchesRotatedAlongX) {
  const Material x = transversely_isotropic(230, 15, 15, 0.2, 0.07, -0.7e-6, 12e-6, Eigen::Vector3d(1, 0, 0));
  const Material z = transversely_isotropic(230, 15, 15, 0.2, 0.07, -0.7e-6, 12e-6, Eigen::Vector3d(0, 0, 1));
  EXPECT_NEAR(z.C(2, 2), x.C(0, 0), 1e-9);
  EXPECT_NEAR(z.alpha[2], -0.7e-6, 1e-18);
  EXPECT_NEAR(z.alpha[0], 12e-6, 1e-18);
  // Compliance in the rotated frame: 1/S33 = E1.
  EXPECT_NEAR(1.0 / z.compliance()(2, 2), 230.0, 1e-9);
}

TEST(Materials, RotationComposesAndPreservesEigenvalues) {
  const Material m = transversely_isotropic(230, 15, 15, 0.2, 0.07, 0, 0, Eigen::Vector3d(1, 0, 0));
  const Eigen::Matrix3d R1 = rotation_from_axis(Eigen::Vector3d(1, 2, 3));
  const Eigen::Matrix3d R2 = rotation_from_axis(Eigen::Vector3d(-1, 0.5, 0.2));
  const Matrix6 twice = rotate_stiffness(rotate_stiffness(m.C, R1), R2);
  const Matrix6 once = rotate_stiffness(m.C, R2 * R1);
  EXPECT_LT((twice - once).cwiseAbs().maxCoeff(), 1e-9);
  // Mandel form (shear rows/cols scaled by sqrt 2) has rotation-invariant eigenvalues.
  auto mandel = [](const Matrix6& C) {
    Matrix6 M = C;
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) M(i, j) *= (i >= 3 ? std::sqrt(2.0) : 1.0) * (j >= 3 ? std::sqrt(2.0) : 1.0);
    return M;
  };
  Eigen::SelfAdjointEigenSolver<Matrix6> a(mandel(m.C)), b(mandel(once));
  EXPECT_LT((a.eigenvalues() - b.eigenvalues()).cwiseAbs().maxCoeff(), 1e-9);
}

TEST(Materials, RotationFromAxisIsProper) {
  const Eigen::Matrix3d R = rotation_from_axis(Eigen::Vector3d(0.3, -2.0, 0.1));
  EXPECT_NEAR(R.determinant(), 1.0, 1e-14);
  EXPECT_LT((R.transpose() * R - Eigen::Matrix3d::Identity()).cwiseAbs().maxCoeff(), 1e-14);
  EXPECT_LT((R.col(0) - Eigen::Vector3d(0.3, -2.0, 0.1).normalized()).norm(), 1e-14);
  EXPECT_THROW(rotation_from_axis(Eigen::Vector3d::Zero()), std::invalid_argument);
}

TEST(Materials, VoidHasNoCompliance) {
  const Material v = void_material();
  EXPECT_TRUE(v.is_void());
  EXPECT_EQ(v.C.cwiseAbs().maxCoeff(), 0.0);
  EXPECT_THROW(v.compliance(), std::invalid_argument);
}
