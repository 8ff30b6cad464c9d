// Fibre geometry, rasterization and placement against brute force and analytic volumes.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/fibres.hpp"
#include "voxtwin/parallel.hpp"

using namespace voxtwin;

namespace {

constexpr double kPi = 3.14159265358979323846;

std::array<double, 3> random_direction(std::mt19937_64& gen) {
  std::normal_distribution<double> n(0.0, 1.0);
  std::array<double, 3> u{n(gen), n(gen), n(gen)};
  const double s = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
  for (double& v : u) v /= s;
  return u;
}

// Directions that stress the range narrowing: along the axes, nearly along them, and random.
std::array<double, 3> test_direction(std::mt19937_64& gen, int i) {
  const double tiny = 1e-13;
  switch (i % 8) {
    case 0: return {1, 0, 0};
    case 1: return {0, 1, 0};
    case 2: return {0, 0, 1};
    case 3: return {tiny, 0, 1};
    case 4: return {0, -std::sqrt(0.5), std::sqrt(0.5)};
    default: return random_direction(gen);
  }
}

std::vector<Fibre> random_fibres(std::mt19937_64& gen, int count, const FibreGrid& grid, double dmin, double dmax,
                                 double lmin, double lmax) {
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::vector<Fibre> out;
  for (int i = 0; i < count; ++i) {
    Fibre f;
    f.centre = {uni(gen) * grid.shape.nx * grid.voxel_size, uni(gen) * grid.shape.ny * grid.voxel_size,
                uni(gen) * grid.shape.nz * grid.voxel_size};
    f.direction = test_direction(gen, i);
    f.diameter = dmin + (dmax - dmin) * uni(gen);
    f.length = std::max(lmin + (lmax - lmin) * uni(gen), f.diameter);
    out.push_back(f);
  }
  return out;
}

// Independent reference: test every voxel of the grid against every periodic image of the fibre.
std::set<std::int64_t> brute_force_voxels(const Fibre& f, FibreShape shape, const FibreGrid& grid) {
  const detail::GridGeom g = detail::make_grid(grid);
  const detail::FibreSolid s = detail::make_solid(f, shape, g, 0.0);
  std::set<std::int64_t> out;
  const int images = grid.periodic ? 1 : 0;
  const double P[3] = {g.n[0] * g.h, g.n[1] * g.h, g.n[2] * g.h};
  for (std::int64_t i = 0; i < g.n[0]; ++i)
    for (std::int64_t j = 0; j < g.n[1]; ++j)
      for (std::int64_t k = 0; k < g.n[2]; ++k)
        for (int a = -images; a <= images; ++a)
          for (int b = -images; b <= images; ++b)
            for (int c = -images; c <= images; ++c)
              if (detail::inside(s, (i + 0.5) * g.h + a * P[0], (j + 0.5) * g.h + b * P[1], (k + 0.5) * g.h + c * P[2]))
                out.insert(grid.shape.index(i, j, k));
  return out;
}

std::set<std::int64_t> visited_voxels(const Fibre& f, FibreShape shape, const FibreGrid& grid, bool partial,
                                      std::set<std::int64_t>* candidates = nullptr) {
  const detail::GridGeom g = detail::make_grid(grid);
  const detail::FibreSolid s = detail::make_solid(f, shape, g, detail::candidate_growth(g.h, partial));
  std::set<std::int64_t> inside;
  auto visit = [&](std::int64_t idx, std::int64_t, std::int64_t, std::int64_t, bool in) {
    if (in) inside.insert(idx);
    if (candidates) candidates->insert(idx);
    return true;
  };
  detail::visit_solid(s, g, partial, visit);
  return inside;
}

}  // namespace

TEST(Fibres, AxisDistanceMatchesDenseSampling) {
  std::mt19937_64 gen(7);
  std::uniform_real_distribution<double> uni(-1.0, 1.0);
  for (int trial = 0; trial < 400; ++trial) {
    Fibre a, b;
    a.centre = {uni(gen) * 20, uni(gen) * 20, uni(gen) * 20};
    b.centre = {uni(gen) * 20, uni(gen) * 20, uni(gen) * 20};
    a.direction = random_direction(gen);
    b.direction = trial % 4 == 0 ? a.direction : random_direction(gen);  // parallel pairs too
    if (trial % 8 == 1) b.direction = {-a.direction[0], -a.direction[1], -a.direction[2]};
    if (trial % 8 == 2) b.centre = {a.centre[0] + 3 * a.direction[0], a.centre[1] + 3 * a.direction[1],
                                    a.centre[2] + 3 * a.direction[2]};  // collinear
    a.length = 5 + 30 * (uni(gen) + 1);
    b.length = 5 + 30 * (uni(gen) + 1);
    a.diameter = b.diameter = 1.0;
    const double exact = axis_distance(a, b, FibreShape::Cylinder);
    // Reference: s on a dense grid, best t for each s in closed form; the minimum over the grid is
    // an upper bound within half a grid step (distance is 1-Lipschitz in s).
    const int steps = 20000;
    double best = 1e300;
    for (int n = 0; n <= steps; ++n) {
      const double s = -a.length / 2 + a.length * n / steps;
      double p[3], w[3];
      for (int d = 0; d < 3; ++d) p[d] = a.centre[d] + s * a.direction[d];
      for (int d = 0; d < 3; ++d) w[d] = p[d] - b.centre[d];
      double t = w[0] * b.direction[0] + w[1] * b.direction[1] + w[2] * b.direction[2];
      t = std::min(std::max(t, -b.length / 2), b.length / 2);
      double d2 = 0;
      for (int d = 0; d < 3; ++d) d2 += std::pow(w[d] - t * b.direction[d], 2);
      best = std::min(best, std::sqrt(d2));
    }
    const double step = a.length / steps;
    EXPECT_LE(exact, best + 1e-9) << "trial " << trial;
    EXPECT_GE(exact, best - step) << "trial " << trial;
  }
}

TEST(Fibres, CandidateRangesFindEveryVoxelBruteForceFinds) {
  std::mt19937_64 gen(11);
  for (bool periodic : {true, false}) {
    const FibreGrid grid{{23, 19, 27}, 1.3, periodic};
    for (FibreShape shape : {FibreShape::Cylinder, FibreShape::Spherocylinder}) {
      auto fibres = random_fibres(gen, 96, grid, 1.0, 9.0, 2.0, 40.0);
      // Lattice-aligned fibres put voxel centres exactly on their surfaces and end faces.
      for (int k = 1; k <= 3; ++k)
        for (const std::array<double, 3>& u : {std::array<double, 3>{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}) {
          Fibre f;
          f.centre = {(10 + 0.5) * 1.3, (9 + 0.5) * 1.3, (13 + 0.5) * 1.3};
          f.direction = u;
          f.diameter = 2 * k * 1.3;
          f.length = (4 * k + 2) * 1.3;
          fibres.push_back(f);
        }
      for (std::size_t n = 0; n < fibres.size(); ++n) {
        const auto brute = brute_force_voxels(fibres[n], shape, grid);
        EXPECT_EQ(visited_voxels(fibres[n], shape, grid, false), brute)
            << "fibre " << n << " periodic " << periodic << " shape " << int(shape);
        // The run-end count agrees wherever no voxel lies in two periodic images of the fibre.
        const detail::GridGeom g = detail::make_grid(grid);
        const detail::FibreSolid s = detail::make_solid(fibres[n], shape, g, detail::candidate_growth(g.h, false));
        if (s.hi[0] - s.lo[0] < g.n[0] && s.hi[1] - s.lo[1] < g.n[1] && s.hi[2] - s.lo[2] < g.n[2])
          EXPECT_EQ(detail::count_voxels(s, g, nullptr), static_cast<std::int64_t>(brute.size())) << "fibre " << n;
      }
    }
  }
}

TEST(Fibres, PartialVolumeCandidatesCoverEveryTouchedVoxel) {
  std::mt19937_64 gen(5);
  const FibreGrid grid{{20, 22, 18}, 2.0, true};
  const int s = 3;
  for (const Fibre& f : random_fibres(gen, 24, grid, 1.0, 6.0, 2.0, 25.0)) {
    std::set<std::int64_t> candidates;
    visited_voxels(f, FibreShape::Spherocylinder, grid, true, &candidates);
    const detail::GridGeom g = detail::make_grid(grid);
    const detail::FibreSolid solid = detail::make_solid(f, FibreShape::Spherocylinder, g, 0.0);
    // Any voxel near the fibre (unwrapped indices) with a sub-point inside must be a candidate.
    for (std::int64_t i = solid.lo[0] - 2; i <= solid.hi[0] + 2; ++i)
      for (std::int64_t j = solid.lo[1] - 2; j <= solid.hi[1] + 2; ++j)
        for (std::int64_t k = solid.lo[2] - 2; k <= solid.hi[2] + 2; ++k)
          if (detail::subpoints_inside(solid, i, j, k, g.h, s) > 0) {
            const std::int64_t idx = grid.shape.index(detail::wrap_index(i, g.n[0]), detail::wrap_index(j, g.n[1]),
                                                      detail::wrap_index(k, g.n[2]));
            ASSERT_TRUE(candidates.count(idx)) << "voxel (" << i << ", " << j << ", " << k << ") missed";
          }
  }
}

TEST(Fibres, VoxelCountApproachesAnalyticVolume) {
  // Lattice points in a convex body of volume V: V/h³ up to a boundary term; for bodies 40 voxels
  // across the relative deviation stays well under 1 %.
  std::mt19937_64 gen(3);
  const FibreGrid grid{{200, 200, 200}, 1.0, true};
  for (int trial = 0; trial < 4; ++trial) {
    Fibre f;
    f.centre = {100.3, 99.1, 100.7};
    f.direction = random_direction(gen);
    f.diameter = 40.0;
    f.length = 120.0;
    const double r = f.diameter / 2;
    const double cyl = kPi * r * r * f.length;
    const double sph = kPi * r * r * (f.length - f.diameter) + 4.0 / 3.0 * kPi * r * r * r;
    EXPECT_NEAR(double(fibre_voxel_count(f, FibreShape::Cylinder, grid)) / cyl, 1.0, 0.01);
    EXPECT_NEAR(double(fibre_voxel_count(f, FibreShape::Spherocylinder, grid)) / sph, 1.0, 0.01);
  }
}

TEST(Fibres, RasterizationIsIndependentOfThreadsAndMatchesBruteForce) {
  std::mt19937_64 gen(17);
  const FibreGrid grid{{31, 26, 29}, 1.1, true};
  const auto fibres = random_fibres(gen, 40, grid, 1.5, 7.0, 3.0, 30.0);  // overlapping on purpose
  const std::int64_t n = grid.shape.size();

  // Reference: union of brute-force sets; the instance label is the lowest index containing the voxel.
  std::vector<std::uint8_t> ref_labels(n, 7);
  std::vector<std::uint32_t> ref_inst(n, 0);
  for (std::size_t f = 0; f < fibres.size(); ++f)
    for (std::int64_t idx : brute_force_voxels(fibres[f], FibreShape::Spherocylinder, grid)) {
      ref_labels[idx] = 1;
      if (!ref_inst[idx]) ref_inst[idx] = static_cast<std::uint32_t>(f + 1);
    }

  const int before = get_num_threads();
  std::vector<std::vector<float>> fractions;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    std::vector<std::uint8_t> labels(n, 7);
    std::vector<std::uint32_t> inst(n, 99);
    std::vector<float> frac(n, -1.0f);
    RasterTargets t;
    t.labels = {labels.data(), grid.shape};
    t.instances = {inst.data(), grid.shape};
    t.fractions = {frac.data(), grid.shape};
    t.supersample = 3;
    rasterize_fibres(fibres, FibreShape::Spherocylinder, grid, t);
    EXPECT_EQ(labels, ref_labels) << threads << " threads";
    EXPECT_EQ(inst, ref_inst) << threads << " threads";
    for (float v : frac) ASSERT_TRUE(v >= 0.0f && v <= 1.0f);
    fractions.push_back(frac);
  }
  set_num_threads(before);
  EXPECT_EQ(fractions[0], fractions[1]);
  EXPECT_EQ(fractions[0], fractions[2]);
}

TEST(Fibres, PlacementKeepsFibresApartAcrossPeriodicImages) {
  std::mt19937_64 gen(23);
  const FibreGrid grid{{40, 40, 40}, 2.0, true};
  auto candidates = random_fibres(gen, 3000, grid, 3.0, 6.0, 10.0, 50.0);
  const double gap = 0.5;
  FibrePlacer placer(grid, FibreShape::Cylinder, gap);
  const PlacementBatch batch = placer.place(candidates, std::int64_t(1) << 40);
  const auto& held = placer.fibres();
  ASSERT_EQ(held.size(), batch.accepted.size());
  ASSERT_GT(held.size(), 50u);
  EXPECT_FALSE(batch.target_reached);
  EXPECT_EQ(batch.examined, 3000);
  const double P = 80.0;
  for (std::size_t a = 0; a < held.size(); ++a)
    for (std::size_t b = a; b < held.size(); ++b)
      for (int i = -1; i <= 1; ++i)
        for (int j = -1; j <= 1; ++j)
          for (int k = -1; k <= 1; ++k) {
            if (a == b && i == 0 && j == 0 && k == 0) continue;
            Fibre moved = held[b];
            moved.centre = {moved.centre[0] + i * P, moved.centre[1] + j * P, moved.centre[2] + k * P};
            ASSERT_GE(axis_distance(held[a], moved, FibreShape::Cylinder),
                      0.5 * (held[a].diameter + held[b].diameter) + gap - 1e-9)
                << a << " vs " << b << " image (" << i << ", " << j << ", " << k << ")";
          }
  // Non-overlapping fibres own disjoint voxels: the held count equals the rasterized count.
  std::vector<std::uint8_t> labels(grid.shape.size(), 0);
  RasterTargets t;
  t.labels = {labels.data(), grid.shape};
  rasterize_fibres(held, FibreShape::Cylinder, grid, t);
  std::int64_t drawn = 0;
  for (auto v : labels) drawn += v;
  EXPECT_EQ(placer.fibre_voxels(), drawn);
}

TEST(Fibres, PlacementStopsAtTargetAndRespectsMask) {
  std::mt19937_64 gen(29);
  const FibreGrid grid{{30, 30, 30}, 1.0, false};
  std::vector<std::uint8_t> mask(grid.shape.size(), 0);
  for (std::int64_t i = 0; i < 15; ++i)  // only the lower X half allowed
    for (std::int64_t j = 0; j < 30; ++j)
      for (std::int64_t k = 0; k < 30; ++k) mask[grid.shape.index(i, j, k)] = 1;
  FibrePlacer placer(grid, FibreShape::Spherocylinder, 0.0, {mask.data(), grid.shape});
  const auto candidates = random_fibres(gen, 2000, grid, 2.0, 3.0, 4.0, 12.0);
  const PlacementBatch batch = placer.place(candidates, 1500);
  EXPECT_TRUE(batch.target_reached);
  EXPECT_GE(placer.fibre_voxels(), 1500);
  EXPECT_LT(batch.examined, 2000);
  EXPECT_GT(placer.stats().rejected_mask, 0);
  std::vector<std::uint8_t> labels(grid.shape.size(), 0);
  RasterTargets t;
  t.labels = {labels.data(), grid.shape};
  rasterize_fibres(placer.fibres(), FibreShape::Spherocylinder, grid, t);
  for (std::size_t i = 0; i < labels.size(); ++i)
    if (labels[i]) ASSERT_TRUE(mask[i]) << "fibre voxel " << i << " outside the mask";
}

TEST(Fibres, RandomCentresAreReproducibleAndInsideTheBox) {
  std::mt19937_64 gen(31);
  const FibreGrid grid{{40, 40, 40}, 1.0, false};
  auto fibres = random_fibres(gen, 400, grid, 2.0, 4.0, 6.0, 20.0);
  CentreDraw draw{0xC0FFEEull, {-5.0, -5.0, -5.0}, {45.0, 45.0, 45.0}, 50};
  FibrePlacer a(grid, FibreShape::Cylinder), b(grid, FibreShape::Cylinder);
  const PlacementBatch ra = a.place(fibres, std::int64_t(1) << 40, &draw);
  const PlacementBatch rb = b.place(fibres, std::int64_t(1) << 40, &draw);
  ASSERT_EQ(ra.accepted, rb.accepted);
  ASSERT_EQ(ra.centres, rb.centres);
  ASSERT_EQ(ra.accepted.size(), ra.centres.size());
  for (std::size_t i = 0; i < ra.centres.size(); ++i) {
    EXPECT_EQ(a.fibres()[i].centre, ra.centres[i]);
    EXPECT_EQ(a.fibres()[i].length, fibres[static_cast<std::size_t>(ra.accepted[i])].length);
    for (int d = 0; d < 3; ++d) {
      EXPECT_GE(ra.centres[i][d], -5.0);
      EXPECT_LT(ra.centres[i][d], 45.0);
    }
  }
  // Dense enough that some fibres fit nowhere in 50 tries; each try is counted once.
  const PlacementStats& s = a.stats();
  EXPECT_GT(s.abandoned, 0);
  EXPECT_EQ(s.examined, s.accepted + s.rejected_overlap + s.rejected_mask + s.rejected_empty);
  EXPECT_EQ(s.accepted + s.abandoned, 400);
  draw.key += 1;  // another stream, another arrangement
  FibrePlacer c(grid, FibreShape::Cylinder);
  EXPECT_NE(c.place(fibres, std::int64_t(1) << 40, &draw).centres, ra.centres);
}

TEST(Fibres, BadArgumentsNameThemselves) {
  const FibreGrid grid{{10, 10, 10}, 1.0, true};
  Fibre f;
  f.centre = {5, 5, 5};
  f.direction = {1, 0, 0};
  f.length = 4;
  f.diameter = -1;
  try {
    fibre_voxel_count(f, FibreShape::Cylinder, grid);
    FAIL() << "a negative diameter must be rejected";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("diameter"), std::string::npos) << e.what();
  }
  f.diameter = 5;  // a spherocylinder shorter than its caps
  EXPECT_THROW(fibre_voxel_count(f, FibreShape::Spherocylinder, grid), std::invalid_argument);
  f.direction = {1, 1, 0};
  EXPECT_THROW(fibre_voxel_count(f, FibreShape::Cylinder, grid), std::invalid_argument);
  EXPECT_THROW(FibrePlacer(FibreGrid{{10, 0, 10}, 1.0, true}, FibreShape::Cylinder), std::invalid_argument);
  EXPECT_THROW(FibrePlacer(FibreGrid{{10, 10, 10}, 0.0, true}, FibreShape::Cylinder), std::invalid_argument);
  EXPECT_THROW(FibrePlacer(grid, FibreShape::Cylinder, -1.0), std::invalid_argument);
}
