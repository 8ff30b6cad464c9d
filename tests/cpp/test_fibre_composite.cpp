// Composite cells from the fibre table against a brute-force quadrature, thread independence, errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/fibre_composite.hpp"
#include "voxtwin/parallel.hpp"

using namespace voxtwin;

namespace {

std::vector<Fibre> some_fibres(int count, double edge, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> pos(0.0, edge);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<Fibre> out;
  for (int i = 0; i < count; ++i) {
    Fibre f;
    double u[3] = {n(gen), n(gen), n(gen)};
    const double s = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    for (int a = 0; a < 3; ++a) {
      f.centre[a] = pos(gen);
      f.direction[a] = u[a] / s;
    }
    f.length = 20.0 + 10.0 * (i % 3);
    f.diameter = 5.0 + (i % 4);
    out.push_back(f);
  }
  return out;
}

// Every sub-point of every voxel against every fibre (no periodic images: a cut grid).
std::vector<int> brute_force(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid, int s) {
  const detail::GridGeom g = detail::make_grid(grid);
  std::vector<int> out(static_cast<std::size_t>(grid.shape.size()), 0);
  for (const Fibre& f : fibres) {
    const detail::FibreSolid solid = detail::make_solid(f, shape, g, g.h);
    for (std::int64_t i = 0; i < grid.shape.nx; ++i)
      for (std::int64_t j = 0; j < grid.shape.ny; ++j)
        for (std::int64_t k = 0; k < grid.shape.nz; ++k)
          out[static_cast<std::size_t>(grid.shape.index(i, j, k))] += detail::subpoints_inside(solid, i, j, k, g.h, s);
  }
  for (int& v : out) v = std::min(v, s * s * s);
  return out;
}

}  // namespace

TEST(FibreComposite, CountsEqualTheBruteForceQuadrature) {
  for (FibreShape shape : {FibreShape::Cylinder, FibreShape::Spherocylinder}) {
    const FibreGrid grid{Shape3{7, 6, 5}, 8.0, false};
    const auto fibres = some_fibres(12, 48.0, 7);
    std::vector<CompositeCell> cells(static_cast<std::size_t>(grid.shape.size()));
    fibre_composite_cells(fibres, shape, grid, 6, 0, 1, false, cells.data());
    const auto want = brute_force(fibres, shape, grid, 6);
    for (std::size_t v = 0; v < cells.size(); ++v) {
      const CompositeCell& c = cells[v];
      const int fibre = c.label[0] == 1 ? c.count[0] : (c.label[1] == 1 ? c.count[1] : 0);
      ASSERT_EQ(fibre, want[v]) << "voxel " << v;
      ASSERT_EQ(c.count[0] + c.count[1], 216);
      const bool mixed = fibre > 0 && fibre < 216;
      const float n2 = c.normal[0] * c.normal[0] + c.normal[1] * c.normal[1] + c.normal[2] * c.normal[2];
      ASSERT_EQ(mixed, n2 > 0.0f) << "voxel " << v;
    }
  }
}

TEST(FibreComposite, SameBytesForAnyThreadCount) {
  const FibreGrid grid{Shape3{8, 8, 8}, 6.0, true};
  const auto fibres = some_fibres(30, 48.0, 11);
  std::vector<CompositeCell> one(512), two(512);
  const int before = get_num_threads();
  set_num_threads(1);
  fibre_composite_cells(fibres, FibreShape::Cylinder, grid, 8, 0, 1, false, one.data());
  set_num_threads(2);
  fibre_composite_cells(fibres, FibreShape::Cylinder, grid, 8, 0, 1, false, two.data());
  set_num_threads(before);
  EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(CompositeCell)));
}

TEST(FibreComposite, AxesAreTheDominantFibresAxis) {
  const FibreGrid grid{Shape3{6, 6, 6}, 8.0, true};
  Fibre f;
  f.centre = {24.0, 24.0, 24.0};
  f.direction = {0.6, 0.0, 0.8};
  f.length = 40.0;
  f.diameter = 10.0;
  std::vector<CompositeCell> cells(216);
  fibre_composite_cells({f}, FibreShape::Cylinder, grid, 8, 0, 1, true, cells.data());
  int mixed = 0;
  for (const CompositeCell& c : cells) {
    if (c.count[1] == 0) continue;
    ++mixed;
    EXPECT_FLOAT_EQ(c.normal[0], 0.6f);
    EXPECT_FLOAT_EQ(c.normal[2], 0.8f);
  }
  EXPECT_GT(mixed, 0);
}

TEST(FibreComposite, BadArgumentsAreNamed) {
  const FibreGrid grid{Shape3{4, 4, 4}, 8.0, true};
  std::vector<CompositeCell> cells(64);
  const auto fibres = some_fibres(2, 32.0, 3);
  EXPECT_THROW(fibre_composite_cells(fibres, FibreShape::Cylinder, grid, 17, 0, 1, false, cells.data()),
               std::invalid_argument);
  EXPECT_THROW(fibre_composite_cells(fibres, FibreShape::Cylinder, grid, 4, 1, 1, false, cells.data()),
               std::invalid_argument);
}
