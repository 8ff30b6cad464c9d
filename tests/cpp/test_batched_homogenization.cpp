#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "voxtwin/batched_homogenization.hpp"
#include "voxtwin/elasticity.hpp"
#include "voxtwin/materials.hpp"

using namespace voxtwin;

namespace {

MaterialTable void_and_solid() {
  MaterialTable t;
  const Material solid = isotropic(10.0, 0.3, 0.0);
  t.C = {Matrix6::Zero(), solid.C};
  t.alpha = {Vector6::Zero(), Vector6::Zero()};
  return t;
}

// A cube-invariant 8^3 frame: three rods of 2x2 voxels through the centre (void elsewhere).
std::vector<std::uint8_t> frame(std::int64_t n) {
  std::vector<std::uint8_t> c(static_cast<std::size_t>(n * n * n), 0);
  const Shape3 s{n, n, n};
  const std::int64_t a = n / 2 - 1, b = n / 2 + 1;
  for (std::int64_t x = 0; x < n; ++x)
    for (std::int64_t y = 0; y < n; ++y)
      for (std::int64_t z = 0; z < n; ++z) {
        const int in = (y >= a && y < b) + (z >= a && z < b) + (x >= a && x < b);
        if (in >= 2) c[static_cast<std::size_t>(s.index(x, y, z))] = 1;
      }
  return c;
}

}  // namespace

TEST(BatchedHomogenization, CubicProjectionKeepsCubicTensorsAndAveragesOthers) {
  Matrix6 C = Matrix6::Zero();
  for (int i = 0; i < 6; ++i) C(i, i) = i + 1.0;
  C(0, 1) = C(1, 0) = 0.5;
  C(0, 3) = C(3, 0) = 0.7;  // not cubic: averaged away
  const Matrix6 P = cubic_projection(C);
  EXPECT_DOUBLE_EQ(P(0, 0), 2.0);            // (1 + 2 + 3) / 3
  EXPECT_DOUBLE_EQ(P(3, 3), 5.0);            // (4 + 5 + 6) / 3
  EXPECT_DOUBLE_EQ(P(0, 1), 0.5 / 3.0);      // (0.5 + 0 + 0) / 3
  EXPECT_DOUBLE_EQ(P(0, 3), 0.0);
  EXPECT_LT((cubic_projection(P) - P).norm(), 1e-15);
}

// The frame is invariant: the batch solves two cases and its C11, C12, C44 equal the six-case
// solve_elasticity columns (the same arithmetic per case).
TEST(BatchedHomogenization, InvariantCellMatchesTheSingleCellSolver) {
  const std::int64_t n = 8;
  const Shape3 s{n, n, n};
  std::vector<std::uint8_t> cells = frame(n);
  const std::vector<std::uint8_t> one = cells;
  cells.insert(cells.end(), one.begin(), one.end());  // two copies
  ASSERT_TRUE(cubic_invariant(VolumeView<const std::uint8_t>{one.data(), s}));
  const MaterialTable t = void_and_solid();
  BatchOptions bo;
  bo.tol = 1e-8;
  bo.symmetry = CellSymmetry::Cubic;
  const BatchResult r = homogenize_cells<double>(cells.data(), 2, s, t, bo);
  ASSERT_EQ(r.C.size(), 2u);
  EXPECT_TRUE(r.invariant[0] && r.converged[0]);
  ElasticityOptions eo;
  eo.tol = 1e-8;
  MacroLoading xx, yz;
  xx.strain[0] = 1.0;
  yz.strain[3] = 1.0;
  const VolumeView<const std::uint8_t> view{one.data(), s};
  const Vector6 sx = solve_elasticity<double, std::uint8_t>(view, t, xx, eo).mean_stress;
  const Vector6 sy = solve_elasticity<double, std::uint8_t>(view, t, yz, eo).mean_stress;
  EXPECT_NEAR(r.C[0](0, 0), sx[0], 1e-12 * sx[0]);
  EXPECT_NEAR(r.C[0](0, 1), 0.5 * (sx[1] + sx[2]), 1e-12 * sx[0]);
  EXPECT_NEAR(r.C[0](3, 3), sy[3], 1e-12 * sx[0]);
  EXPECT_EQ((r.C[0] - r.C[1]).norm(), 0.0);  // a reused workspace gives the same bytes
}

TEST(BatchedHomogenization, RefusesAllVoidCellsAndNonCubes) {
  const MaterialTable t = void_and_solid();
  std::vector<std::uint8_t> cells(2 * 64, 1);
  std::fill(cells.begin() + 64, cells.end(), 0);
  BatchOptions bo;
  EXPECT_THROW(homogenize_cells<double>(cells.data(), 2, Shape3{4, 4, 4}, t, bo), std::invalid_argument);
  bo.symmetry = CellSymmetry::Cubic;
  EXPECT_THROW(homogenize_cells<double>(cells.data(), 1, Shape3{4, 4, 2}, t, bo), std::invalid_argument);
}
