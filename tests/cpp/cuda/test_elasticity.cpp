#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "voxtwin/device.hpp"
#include "voxtwin/elasticity.hpp"
#include "voxtwin/errors.hpp"
#include "voxtwin/materials.hpp"

using namespace voxtwin;

namespace {

MaterialTable fibre_matrix_void() {
  MaterialTable t;
  const Material pla = isotropic(3.4, 0.33, 68e-6);
  const Material fibre = transversely_isotropic(230, 15, 15, 0.2, 0.07, -0.7e-6, 12e-6, Eigen::Vector3d(1, 0.5, 0.2));
  t.C = {pla.C, fibre.C, void_material().C};
  t.alpha = {pla.alpha, fibre.alpha, Vector6::Zero()};
  return t;
}

}  // namespace

// float32 on the GPU against float64 on the CPU, both converged to 1e-6: mean stresses agree to 1e-4.
TEST(CudaElasticity, AgreesWithTheCpu) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const Shape3 shape{20, 18, 16};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(shape.size()));
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> dist(0, 19);
  for (auto& v : labels) {
    const int d = dist(gen);
    v = d < 4 ? 1 : (d == 4 ? 2 : 0);
  }
  MacroLoading load;
  load.strain << 1e-3, 0, 0, 0, 2e-4, 0;
  load.stress_controlled = {false, true, true, false, false, false};
  load.delta_T = -20;
  for (auto scheme : {ElasticityScheme::HexReduced, ElasticityScheme::HexFull}) {
    ElasticityOptions opt;
    opt.scheme = scheme;
    opt.tol = 1e-6;
    const auto cpu = solve_elasticity<double, std::uint8_t>({labels.data(), shape}, fibre_matrix_void(), load, opt);
    const auto gpu = cuda::solve_elasticity<std::uint8_t>({labels.data(), shape}, fibre_matrix_void(), load, opt);
    EXPECT_TRUE(gpu.converged);
    const double scale = cpu.mean_stress.cwiseAbs().maxCoeff();
    EXPECT_LT((gpu.mean_stress - cpu.mean_stress).cwiseAbs().maxCoeff(), 1e-4 * scale);
    EXPECT_LT((gpu.mean_strain - cpu.mean_strain).cwiseAbs().maxCoeff(), 1e-4 * cpu.mean_strain.cwiseAbs().maxCoeff());
  }
}

TEST(CudaElasticity, RefusesAProblemLargerThanTheDevice) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  std::vector<std::uint8_t> labels(1, 0);
  // 4096^3 needs ~3.5 TB of device memory; the check comes before any allocation or label read.
  const Shape3 huge{4096, 4096, 4096};
  const VolumeView<const std::uint8_t> view{labels.data(), huge};
  auto solve = [&] { cuda::solve_elasticity<std::uint8_t>(view, fibre_matrix_void(), MacroLoading{}, ElasticityOptions{}); };
  EXPECT_THROW(solve(), InsufficientMemory);
}

// Without fields the GPU keeps no displacement and follows the mean stress through the CG
// recurrence; with fields it keeps x, confirms the true residual and sums the stress of x. Both
// converge to 1e-7 on the same problem: their mean stresses agree to the tolerance.
TEST(CudaElasticity, RecurrenceStressMatchesTheKeptSolution) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const Shape3 shape{24, 20, 18};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(shape.size()));
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> dist(0, 9);
  for (auto& v : labels) v = dist(gen) < 3 ? 1 : 0;
  MacroLoading load;
  load.strain << 1e-3, 0, 0, 0, 0, 5e-4;
  load.delta_T = 10;
  ElasticityOptions opt;
  opt.tol = 1e-7;
  std::vector<float> u(3 * static_cast<std::size_t>(shape.size()));
  ElasticityFields<float> fields;
  fields.displacement = u.data();
  const auto kept = cuda::solve_elasticity<std::uint8_t>({labels.data(), shape}, fibre_matrix_void(), load, opt, fields);
  const auto recurrent = cuda::solve_elasticity<std::uint8_t>({labels.data(), shape}, fibre_matrix_void(), load, opt);
  ASSERT_TRUE(kept.converged);
  ASSERT_TRUE(recurrent.converged);
  EXPECT_LT(recurrent.memory_bytes, kept.memory_bytes);  // three vectors instead of four
  const double scale = kept.mean_stress.cwiseAbs().maxCoeff();
  EXPECT_LT((recurrent.mean_stress - kept.mean_stress).cwiseAbs().maxCoeff(), 1e-5 * scale);
  // The last recorded residual of the kept run is the true one.
  EXPECT_LE(kept.residuals.back(), opt.tol);
}

TEST(CudaDevice, StatusExplainsItself) {
  const cuda::RuntimeStatus st = cuda::runtime_status();
  EXPECT_FALSE(st.message.empty());
  EXPECT_EQ(st.code == cuda::RuntimeStatus::Code::Usable, cuda::device_count() > 0);
  EXPECT_GE(st.runtime_version, 12000);
  if (st.code == cuda::RuntimeStatus::Code::DriverTooOld) {
    EXPECT_NE(st.message.find("driver supports CUDA"), std::string::npos);
  }
}
