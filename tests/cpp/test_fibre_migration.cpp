// Migration of overlapping fibres: separation checked with the independent placer test, fixed
// fibres, planar directions, thread-count independence and bad arguments.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "voxtwin/fibres.hpp"
#include "voxtwin/parallel.hpp"

using namespace voxtwin;

namespace {

Fibre fibre(double x, double y, double z, double ux, double uy, double uz, double length = 40.0, double d = 6.0) {
  const double n = std::sqrt(ux * ux + uy * uy + uz * uz);
  return Fibre{{x, y, z}, {ux / n, uy / n, uz / n}, length, d};
}

// Flags from a fresh FibrePlacer: 1 for every fibre overlapping an earlier one or its own image.
int overlaps_by_placer(const std::vector<Fibre>& fibres, const FibreGrid& grid, double gap = 0.0) {
  FibrePlacer check(grid, FibreShape::Cylinder, gap);
  int n = 0;
  for (std::uint8_t c : check.add(fibres)) n += c;
  return n;
}

std::vector<Fibre> crowd(int count, const FibreGrid& grid, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::uniform_real_distribution<double> pos(0.0, double(grid.shape.nx) * grid.voxel_size);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<Fibre> out;
  for (int i = 0; i < count; ++i) out.push_back(fibre(pos(gen), pos(gen), pos(gen), n(gen), n(gen), n(gen)));
  return out;
}

}  // namespace

TEST(FibreMigration, TwoCrossingFibresEndApart) {
  const FibreGrid grid{{40, 40, 40}, 2.0, true};
  const std::vector<Fibre> start = {fibre(40, 40, 40, 1, 0, 0), fibre(40, 40, 40, 0, 1, 0)};
  MigrationOptions opt;
  opt.draw_centres = false;
  FibreMigrator m(start, FibreShape::Cylinder, grid, {}, opt);
  EXPECT_EQ(m.status().overlapping_pairs, 1);
  EXPECT_NEAR(m.status().max_overlap, 6.0, 1e-12);
  const MigrationStatus s = m.run(1000);
  EXPECT_TRUE(s.resolved);
  EXPECT_GT(s.iterations, 0);
  const double d = axis_distance(m.fibres()[0], m.fibres()[1], FibreShape::Cylinder);
  EXPECT_GE(d, 6.0);
  EXPECT_LT(d, 6.5);  // pushed just clear, not flung away
  EXPECT_EQ(overlaps_by_placer(m.fibres(), grid), 0);
}

TEST(FibreMigration, ACrowdIsResolvedIdenticallyOnAnyThreadCount) {
  const FibreGrid grid{{50, 50, 50}, 2.0, true};
  const std::vector<Fibre> start = crowd(150, grid, 3);  // ~14 vol%, many overlaps
  ASSERT_GT(overlaps_by_placer(start, grid), 20);
  const int before = get_num_threads();
  std::vector<std::vector<Fibre>> results;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    MigrationOptions opt;
    opt.key = 42;
    opt.lo = {0, 0, 0};
    opt.hi = {100, 100, 100};
    opt.min_gap = 0.5;
    FibreMigrator m(start, FibreShape::Cylinder, grid, {}, opt);
    EXPECT_TRUE(m.run(5000).resolved);
    EXPECT_EQ(overlaps_by_placer(m.fibres(), grid, 0.5), 0);
    results.push_back(m.fibres());
  }
  set_num_threads(before);
  for (std::size_t k = 1; k < results.size(); ++k)
    for (std::size_t i = 0; i < results[0].size(); ++i)
      EXPECT_EQ(std::memcmp(&results[k][i], &results[0][i], sizeof(Fibre)), 0) << "fibre " << i;
}

TEST(FibreMigration, FixedFibresStayAndPlanarOnesStayInTheirPlane) {
  const FibreGrid grid{{40, 40, 40}, 2.0, true};
  std::vector<Fibre> start = crowd(60, grid, 9);
  for (std::size_t i = 10; i < start.size(); ++i) {  // the mobile ones in the XY plane
    start[i].direction[2] = 0.0;
    const double n = std::hypot(start[i].direction[0], start[i].direction[1]);
    start[i].direction[0] /= n;
    start[i].direction[1] /= n;
  }
  MigrationOptions opt;
  opt.draw_centres = false;
  opt.fixed = 10;
  opt.plane_normal = {0.0, 0.0, 1.0};
  FibreMigrator m(start, FibreShape::Spherocylinder, grid, {}, opt);
  const MigrationStatus s = m.run(5000);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(std::memcmp(&m.fibres()[i], &start[i], sizeof(Fibre)), 0);
  for (std::size_t i = 10; i < start.size(); ++i) EXPECT_EQ(m.fibres()[i].direction[2], 0.0);
  // Fixed fibres may overlap each other (the caller's table); everything involving a mobile one is resolved.
  EXPECT_EQ(s.overlapping_pairs, 0);
}

TEST(FibreMigration, BadArgumentsNameThemselves) {
  const FibreGrid grid{{10, 10, 10}, 1.0, true};
  const std::vector<Fibre> one = {fibre(5, 5, 5, 1, 0, 0, 4.0, 1.0)};
  MigrationOptions opt;
  opt.draw_centres = false;
  opt.fixed = 2;
  EXPECT_THROW(FibreMigrator(one, FibreShape::Cylinder, grid, {}, opt), std::invalid_argument);
  opt.fixed = 0;
  opt.plane_normal = {0.0, 0.0, 2.0};
  EXPECT_THROW(FibreMigrator(one, FibreShape::Cylinder, grid, {}, opt), std::invalid_argument);
  opt.plane_normal = {0.0, 0.0, 0.0};
  opt.min_gap = -1.0;
  EXPECT_THROW(FibreMigrator(one, FibreShape::Cylinder, grid, {}, opt), std::invalid_argument);
  opt.min_gap = 0.0;
  FibreMigrator m(one, FibreShape::Cylinder, grid, {}, opt);
  EXPECT_THROW(m.run(-1), std::invalid_argument);
  EXPECT_TRUE(m.run(0).resolved);
}
