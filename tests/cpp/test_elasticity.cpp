#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "voxtwin/elasticity.hpp"
#include "voxtwin/errors.hpp"
#include "voxtwin/materials.hpp"
#include "voxtwin/parallel.hpp"

using namespace voxtwin;

namespace {

MaterialTable two_phases() {
  MaterialTable t;
  const Material pla = isotropic(3.4, 0.33, 68e-6), basalt = isotropic(87.5, 0.2, 8e-6);
  t.C = {pla.C, basalt.C};
  t.alpha = {pla.alpha, basalt.alpha};
  return t;
}

}  // namespace

// Layers normal to x under a uniaxial mean strain along x: the in-plane strains stay zero and
// sigma_xx is the same in every layer, so C11_eff = 1 / <1 / C11> exactly, for every scheme.
TEST(Elasticity, LaminateNormalStiffnessIsTheSerialAverage) {
  const Shape3 shape{10, 4, 6};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(shape.size()), 0);
  for (int x = 0; x < 4; ++x)
    for (int y = 0; y < 4; ++y)
      for (int z = 0; z < 6; ++z) labels[static_cast<std::size_t>(shape.index(x, y, z))] = 1;
  const MaterialTable t = two_phases();
  const double expected = 1.0 / (0.6 / t.C[0](0, 0) + 0.4 / t.C[1](0, 0));
  MacroLoading load;
  load.strain[0] = 1e-3;
  for (auto scheme : {ElasticityScheme::HexReduced, ElasticityScheme::HexFull, ElasticityScheme::MoulinecSuquet}) {
    ElasticityOptions opt;
    opt.scheme = scheme;
    opt.tol = 1e-10;
    const ElasticityResult r = solve_elasticity<double, std::uint8_t>({labels.data(), shape}, t, load, opt);
    EXPECT_TRUE(r.converged);
    EXPECT_NEAR(r.mean_stress[0] / 1e-3, expected, 1e-8 * expected) << static_cast<int>(scheme);
  }
}

TEST(Elasticity, HomogeneousGeneralMaterialNeedsNoIteration) {
  const Material fibre = transversely_isotropic(230, 15, 15, 0.2, 0.07, -0.7e-6, 12e-6, Eigen::Vector3d(1, 2, 3));
  MaterialTable t;
  t.C = {fibre.C};
  t.alpha = {fibre.alpha};
  const Shape3 shape{5, 6, 7};
  std::vector<std::uint16_t> labels(static_cast<std::size_t>(shape.size()), 0);
  MacroLoading load;
  load.strain << 1e-3, -2e-4, 3e-4, 1e-4, 0, 5e-4;
  load.delta_T = 10.0;
  std::vector<double> u(3 * static_cast<std::size_t>(shape.size())), stress(6 * static_cast<std::size_t>(shape.size()));
  ElasticityFields<double> fields;
  fields.displacement = u.data();
  fields.stress = stress.data();
  const ElasticityResult r =
      solve_elasticity<double, std::uint16_t>({labels.data(), shape}, t, load, ElasticityOptions{}, fields);
  const Vector6 expected = fibre.C * (load.strain - fibre.alpha * load.delta_T);
  EXPECT_EQ(r.iterations, 0);
  EXPECT_LT((r.mean_stress - expected).cwiseAbs().maxCoeff(), 1e-12 * expected.cwiseAbs().maxCoeff());
  EXPECT_NEAR(stress[static_cast<std::size_t>(shape.size()) * 5 + 17], expected[5], 1e-12 * expected.cwiseAbs().maxCoeff());
  // Node (4, 0, 0): displacement x = eps_xx * 4 (voxel size 1).
  EXPECT_NEAR(u[static_cast<std::size_t>(shape.index(4, 0, 0))], 4e-3, 1e-15);
}

TEST(Elasticity, ResultIsTheSameForAnyThreadCount) {
  const Shape3 shape{48, 40, 30};  // big enough for 3 solver threads
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(shape.size()));
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> dist(0, 9);
  for (auto& v : labels) v = dist(gen) < 2 ? 1 : 0;
  MacroLoading load;
  load.strain[0] = 1e-3;
  load.stress_controlled = {false, true, true, false, false, false};
  load.delta_T = -5;
  ElasticityOptions opt;
  opt.max_iter = 15;
  const int before = get_num_threads();
  std::vector<std::vector<float>> runs;
  std::vector<ElasticityResult> results;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    std::vector<float> u(3 * static_cast<std::size_t>(shape.size()));
    ElasticityFields<float> f;
    f.displacement = u.data();
    results.push_back(solve_elasticity<float, std::uint8_t>({labels.data(), shape}, two_phases(), load, opt, f));
    runs.push_back(u);
  }
  set_num_threads(before);
  for (std::size_t i = 1; i < runs.size(); ++i) {
    EXPECT_EQ(std::memcmp(runs[0].data(), runs[i].data(), runs[0].size() * sizeof(float)), 0);
    EXPECT_EQ(results[0].residuals, results[i].residuals);
    EXPECT_EQ(results[0].mean_stress, results[i].mean_stress);
  }
}

TEST(Elasticity, RefusesAProblemLargerThanMemoryBeforeReadingIt) {
  std::uint8_t dummy = 0;  // never read: the check comes first
  const Shape3 huge{4096, 4096, 4096};
  try {
    solve_elasticity<double, std::uint8_t>({&dummy, huge}, two_phases(), MacroLoading{}, ElasticityOptions{});
    FAIL() << "a 4096^3 problem must be refused";
  } catch (const InsufficientMemory& e) {
    EXPECT_GT(e.required, e.available);
    EXPECT_NE(std::string(e.what()).find("GiB"), std::string::npos) << e.what();
  }
}

TEST(Elasticity, RejectsIndicesOutsideTheTableAndBadOptions) {
  const Shape3 shape{3, 3, 3};
  std::vector<std::uint8_t> labels(27, 0);
  labels[5] = 7;
  const VolumeView<const std::uint8_t> view{labels.data(), shape};
  const MaterialTable table = two_phases();
  auto solve = [&](const ElasticityOptions& o) { solve_elasticity<double, std::uint8_t>(view, table, MacroLoading{}, o); };
  EXPECT_THROW(solve(ElasticityOptions{}), std::invalid_argument);
  labels[5] = 1;
  ElasticityOptions bad;
  bad.tol = -1;
  EXPECT_THROW(solve(bad), std::invalid_argument);
}
