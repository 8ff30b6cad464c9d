// Downsampling into composite voxels: exact counts, interface normals of planes and cylinders,
// thread-count independence, the quantized table and the majority-vote baseline.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <vector>

#include "voxtwin/composite_table.hpp"
#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/parallel.hpp"

using namespace voxtwin;

namespace {

struct Volume {
  Shape3 shape;
  std::vector<std::uint8_t> data;
  VolumeView<const std::uint8_t> view() const { return {data.data(), shape}; }
};

// Label 1 where n . (centre of voxel) < d, else 0.
Volume half_space(const Shape3& s, const Eigen::Vector3d& n, double d) {
  Volume v{s, std::vector<std::uint8_t>(static_cast<std::size_t>(s.size()))};
  for (std::int64_t x = 0; x < s.nx; ++x)
    for (std::int64_t y = 0; y < s.ny; ++y)
      for (std::int64_t z = 0; z < s.nz; ++z)
        v.data[s.index(x, y, z)] = n.dot(Eigen::Vector3d(x + 0.5, y + 0.5, z + 0.5)) < d ? 1 : 0;
  return v;
}

std::vector<CompositeCell> cells_of(const Volume& v, const CompositeOptions& o) {
  const Shape3 c = coarse_shape(v.shape, o.factor);
  std::vector<CompositeCell> out(static_cast<std::size_t>(c.size()));
  composite_cells(v.view(), o, out.data());
  return out;
}

double angle_deg(const float g[3], const Eigen::Vector3d& n) {
  const Eigen::Vector3d v(g[0], g[1], g[2]);
  return std::acos(std::min(1.0, std::abs(v.dot(n)) / (v.norm() * n.norm()))) * 180.0 / M_PI;
}

}  // namespace

TEST(CompositeVoxels, CountsAreExactAndSorted) {
  Volume v{{8, 12, 16}, {}};
  v.data.resize(static_cast<std::size_t>(v.shape.size()));
  std::mt19937 gen(5);
  std::uniform_int_distribution<int> dist(0, 2);
  for (auto& l : v.data) l = static_cast<std::uint8_t>(3 * dist(gen));  // labels 0, 3, 6
  CompositeOptions o;
  const auto cells = cells_of(v, o);
  const Shape3 c = coarse_shape(v.shape, 4);
  for (std::int64_t X = 0; X < c.nx; ++X)
    for (std::int64_t Y = 0; Y < c.ny; ++Y)
      for (std::int64_t Z = 0; Z < c.nz; ++Z) {
        std::map<int, int> want;
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 4; ++j)
            for (int k = 0; k < 4; ++k) ++want[v.data[v.shape.index(4 * X + i, 4 * Y + j, 4 * Z + k)]];
        const CompositeCell& cell = cells[c.index(X, Y, Z)];
        std::map<int, int> got;
        for (int s = 0; s < kCompositeSlots && cell.count[s]; ++s) {
          got[cell.label[s]] = cell.count[s];
          if (s > 0) EXPECT_LT(cell.label[s - 1], cell.label[s]);
        }
        EXPECT_EQ(got, want);
      }
}

TEST(CompositeVoxels, AxisPlaneGivesTheAxisNormal) {
  // Interface at x = 5: coarse layer X = 1 holds one fine layer of phase 1 and three of phase 0.
  const Volume v = half_space({12, 8, 8}, Eigen::Vector3d::UnitX(), 5.0);
  const auto cells = cells_of(v, CompositeOptions{});
  const Shape3 c = coarse_shape(v.shape, 4);
  for (std::int64_t Y = 0; Y < c.ny; ++Y)
    for (std::int64_t Z = 0; Z < c.nz; ++Z) {
      const CompositeCell& cell = cells[c.index(1, Y, Z)];
      EXPECT_EQ(cell.count[0], 48);  // label 0
      EXPECT_EQ(cell.count[1], 16);  // label 1
      EXPECT_NE(cell.normal[0], 0.0f);
      EXPECT_EQ(cell.normal[1], 0.0f);
      EXPECT_EQ(cell.normal[2], 0.0f);
      EXPECT_EQ(cells[c.index(0, Y, Z)].count[1], 0);  // pure
    }
}

TEST(CompositeVoxels, ObliquePlanesGiveNormalsWithinAFewDegrees) {
  // A voxelized plane cannot give its exact normal; the summed central differences stay close.
  // Bounds from 1855 mixed voxels of 200 random planes in a numpy prototype of this estimator:
  // mean 3.1 degrees, max 18 (corner cuts of a few voxels), max 11.8 where each phase holds
  // at least 16 of the 64 voxels.
  constexpr double kMeanDeg = 4.0, kMaxDeg = 20.0, kMaxBalancedDeg = 13.0;
  std::mt19937 gen(17);
  std::normal_distribution<double> g;
  std::uniform_real_distribution<double> u(-6.0, 6.0);
  double sum = 0.0, worst = 0.0, worst_balanced = 0.0;
  int mixed = 0;
  CompositeOptions o;
  o.periodic = false;  // a half-space is not periodic
  const Shape3 c{5, 5, 5};
  for (int trial = 0; trial < 40; ++trial) {
    const Eigen::Vector3d n = Eigen::Vector3d(g(gen), g(gen), g(gen)).normalized();
    const Volume v = half_space({20, 20, 20}, n, n.dot(Eigen::Vector3d(10, 10, 10)) + u(gen));
    const auto cells = cells_of(v, o);
    for (std::int64_t i = 0; i < c.size(); ++i) {
      const CompositeCell& cell = cells[i];
      const std::int64_t X = i / 25, Y = (i / 5) % 5, Z = i % 5;
      const bool inner = X > 0 && X < 4 && Y > 0 && Y < 4 && Z > 0 && Z < 4;  // away from the clamped edges
      if (cell.count[1] == 0 || !inner) continue;
      const double a = angle_deg(cell.normal, n);
      sum += a;
      worst = std::max(worst, a);
      if (std::min(cell.count[0], cell.count[1]) >= 16) worst_balanced = std::max(worst_balanced, a);
      ++mixed;
    }
  }
  ASSERT_GT(mixed, 100);
  EXPECT_LT(sum / mixed, kMeanDeg);
  EXPECT_LT(worst, kMaxDeg);
  EXPECT_LT(worst_balanced, kMaxBalancedDeg);
}

TEST(CompositeVoxels, FibreNormalIsRadial) {
  // A cylinder of radius 5 along (0, 0, 1) through (10.3, 9.7): instance 1, listed with its axis.
  const Shape3 s{20, 20, 8};
  Volume v{s, std::vector<std::uint8_t>(static_cast<std::size_t>(s.size()))};
  std::vector<std::uint32_t> inst(static_cast<std::size_t>(s.size()), 0u);
  const double cx = 10.3, cy = 9.7;
  for (std::int64_t x = 0; x < s.nx; ++x)
    for (std::int64_t y = 0; y < s.ny; ++y)
      for (std::int64_t z = 0; z < s.nz; ++z)
        if (std::hypot(x + 0.5 - cx, y + 0.5 - cy) < 5.0) {
          v.data[s.index(x, y, z)] = 1;
          inst[s.index(x, y, z)] = 1u;
        }
  CompositeOptions o;
  o.instances = inst.data();
  o.fibres.centre = {cx, cy, 123.0};
  o.fibres.direction = {0.0, 0.0, 2.0};
  const auto cells = cells_of(v, o);
  const Shape3 c = coarse_shape(s, 4);
  int checked = 0;
  for (std::int64_t X = 0; X < c.nx; ++X)
    for (std::int64_t Y = 0; Y < c.ny; ++Y) {
      const CompositeCell& cell = cells[c.index(X, Y, 0)];
      if (cell.count[1] == 0) continue;
      const Eigen::Vector3d radial(4 * X + 2 - cx, 4 * Y + 2 - cy, 0.0);
      EXPECT_LT(angle_deg(cell.normal, radial), 1e-4);
      ++checked;
    }
  EXPECT_GE(checked, 8);
}

TEST(CompositeVoxels, FibreNormalIsAxialAtTheEndCaps) {
  // A fibre of radius 6 and length 10 along z, centred at (12.2, 11.9, 16): its caps at z = 11 and
  // z = 21 cut the coarse layers Z = 2 and Z = 5; where the mantle is far, the normal is axial.
  const Shape3 s{24, 24, 32};
  Volume v{s, std::vector<std::uint8_t>(static_cast<std::size_t>(s.size()))};
  std::vector<std::uint32_t> inst(static_cast<std::size_t>(s.size()), 0u);
  const double cx = 12.2, cy = 11.9, cz = 16.0, R = 6.0, h = 5.0;
  for (std::int64_t x = 0; x < s.nx; ++x)
    for (std::int64_t y = 0; y < s.ny; ++y)
      for (std::int64_t z = 0; z < s.nz; ++z)
        if (std::hypot(x + 0.5 - cx, y + 0.5 - cy) < R && std::abs(z + 0.5 - cz) <= h) {
          v.data[s.index(x, y, z)] = 1;
          inst[s.index(x, y, z)] = 1u;
        }
  CompositeOptions o;
  o.instances = inst.data();
  o.fibres.centre = {cx, cy, cz};
  o.fibres.direction = {0.0, 0.0, -1.0};
  o.fibres.half_length = {h};
  o.fibres.radius = {R};
  const auto cells = cells_of(v, o);
  const Shape3 c = coarse_shape(s, 4);
  // Blocks X, Y in {2, 3} lie well inside the mantle (block centres within 3 of the axis).
  for (std::int64_t Z : {2, 5})
    for (std::int64_t X : {2, 3})
      for (std::int64_t Y : {2, 3}) {
        const CompositeCell& cell = cells[c.index(X, Y, Z)];
        ASSERT_NE(cell.count[1], 0) << X << Y << Z;
        EXPECT_LT(angle_deg(cell.normal, Eigen::Vector3d::UnitZ()), 1e-6);
      }
  // Mid-length blocks on the mantle stay radial.
  const CompositeCell& side = cells[c.index(1, 2, 3)];
  ASSERT_NE(side.count[1], 0);
  EXPECT_LT(angle_deg(side.normal, Eigen::Vector3d(4 * 1 + 2 - cx, 4 * 2 + 2 - cy, 0.0)), 1e-4);
  o.fibres.radius.clear();
  std::vector<CompositeCell> out(static_cast<std::size_t>(c.size()));
  EXPECT_THROW(composite_cells(v.view(), o, out.data()), std::invalid_argument);
}

TEST(CompositeVoxels, ResultsDoNotDependOnThreads) {
  Volume v{{16, 20, 12}, {}};
  v.data.resize(static_cast<std::size_t>(v.shape.size()));
  std::mt19937 gen(9);
  std::uniform_int_distribution<int> dist(0, 9);
  for (auto& l : v.data) l = static_cast<std::uint8_t>(dist(gen) < 7 ? 0 : dist(gen) < 8 ? 1 : 2);
  CompositeOptions o;
  o.weights[0] = 100;
  o.weights[1] = 1000;
  const int before = get_num_threads();
  set_num_threads(1);
  const auto one = cells_of(v, o);
  set_num_threads(3);
  const auto three = cells_of(v, o);
  set_num_threads(before);
  ASSERT_EQ(one.size(), three.size());
  EXPECT_EQ(std::memcmp(one.data(), three.data(), one.size() * sizeof(CompositeCell)), 0);
}

TEST(CompositeVoxels, RejectsBadShapesAndFactors) {
  const Volume v = half_space({10, 8, 8}, Eigen::Vector3d::UnitX(), 5.0);
  std::vector<CompositeCell> out(100);
  CompositeOptions o;
  EXPECT_THROW(composite_cells(v.view(), o, out.data()), std::invalid_argument);  // 10 % 4
  o.factor = 17;
  EXPECT_THROW(coarse_shape({34, 34, 34}, 17), std::invalid_argument);
  o.factor = 2;
  o.fibres.centre = {1.0, 2.0};
  EXPECT_THROW(composite_cells(v.view(), o, out.data()), std::invalid_argument);
}

TEST(CompositeTable, QuantizedNormalsAreExactOnLatticeDirectionsAndSignFree) {
  const float diag[3] = {0.5f, 0.5f, 0.0f}, neg[3] = {-0.5f, -0.5f, -0.0f}, body[3] = {-2.0f, 2.0f, -2.0f};
  EXPECT_EQ(quantize_normal(diag, 15), (std::array<std::int8_t, 3>{15, 15, 0}));
  EXPECT_EQ(quantize_normal(neg, 15), (std::array<std::int8_t, 3>{15, 15, 0}));
  EXPECT_EQ(quantize_normal(body, 15), (std::array<std::int8_t, 3>{15, -15, 15}));
  const float zero[3] = {0.0f, 0.0f, 0.0f};
  EXPECT_THROW(quantize_normal(zero, 15), std::invalid_argument);
  EXPECT_THROW(quantize_normal(diag, 0), std::invalid_argument);
  // Worst angle over many random directions: about 0.71/K rad at the face centres.
  std::mt19937 gen(1);
  std::normal_distribution<double> g;
  double worst = 0.0;
  for (int i = 0; i < 20000; ++i) {
    const float n[3] = {float(g(gen)), float(g(gen)), float(g(gen))};
    const auto q = quantize_normal(n, 15);
    const float qf[3] = {float(q[0]), float(q[1]), float(q[2])};
    worst = std::max(worst, angle_deg(qf, Eigen::Vector3d(n[0], n[1], n[2])));
  }
  EXPECT_LT(worst, 0.72 / 15 * 180 / M_PI);
}

TEST(CompositeTable, IndexPointsAtMaterialsAndDistinctEntries) {
  const Volume v = half_space({12, 8, 8}, Eigen::Vector3d(1.0, 0.2, 0.0), 6.0);
  const auto cells = cells_of(v, CompositeOptions{});
  const Shape3 c = coarse_shape(v.shape, 4);
  std::array<int, 256> rows;
  rows.fill(-1);
  rows[0] = 1;  // materials in any order
  rows[1] = 0;
  std::vector<std::uint16_t> index(static_cast<std::size_t>(c.size()));
  const CompositeTable t = composite_table(cells.data(), c, rows, 2, 15, 65536, index.data());
  EXPECT_EQ(t.resolution, 15);
  ASSERT_FALSE(t.entries.empty());
  for (std::size_t i = 1; i < t.entries.size(); ++i) EXPECT_TRUE(t.entries[i - 1] < t.entries[i]);
  for (std::int64_t i = 0; i < c.size(); ++i) {
    const CompositeCell& cell = cells[i];
    if (cell.count[1] == 0) {
      EXPECT_EQ(index[i], rows[cell.label[0]]);
    } else {
      ASSERT_GE(index[i], 2);
      const CompositeEntry& e = t.entries[index[i] - 2];
      EXPECT_EQ(e.count[0], cell.count[0]);
      EXPECT_EQ(e.count[1], cell.count[1]);
      const auto q = quantize_normal(cell.normal, 15);
      EXPECT_EQ(e.normal[0], q[0]);
      EXPECT_EQ(e.normal[1], q[1]);
      EXPECT_EQ(e.normal[2], q[2]);
    }
  }
  // Laminate law of an entry = the laminate of its labels and normal.
  std::vector<ThermoElastic> phases(256);
  phases[0].C = 3.0 * Matrix6::Identity();
  phases[1].C = 80.0 * Matrix6::Identity();
  phases[1].alpha.setConstant(1e-6);
  const auto laws = composite_laminates(t.entries, 4, phases);
  const CompositeEntry& e = t.entries[0];
  const ThermoElastic want = laminate({{phases[0].C, phases[0].alpha, e.count[0] / 64.0},
                                       {phases[1].C, phases[1].alpha, e.count[1] / 64.0}},
                                      Eigen::Vector3d(e.normal[0], e.normal[1], e.normal[2]));
  EXPECT_EQ(laws[0].C, want.C);
  EXPECT_EQ(laws[0].alpha, want.alpha);
}

TEST(CompositeTable, CoarsensTheNormalSetWhenTheTableOverflows) {
  // A sphere gives mixed voxels with many normals; a tiny table forces coarser directions.
  const Shape3 s{32, 32, 32};
  Volume v{s, std::vector<std::uint8_t>(static_cast<std::size_t>(s.size()))};
  for (std::int64_t x = 0; x < s.nx; ++x)
    for (std::int64_t y = 0; y < s.ny; ++y)
      for (std::int64_t z = 0; z < s.nz; ++z)
        v.data[s.index(x, y, z)] = std::hypot(std::hypot(x - 15.7, y - 16.2), z - 15.9) < 11.0 ? 1 : 0;
  const auto cells = cells_of(v, CompositeOptions{});
  const Shape3 c = coarse_shape(s, 4);
  std::array<int, 256> rows;
  rows.fill(-1);
  rows[0] = 0;
  rows[1] = 1;
  std::vector<std::uint16_t> index(static_cast<std::size_t>(c.size()));
  const CompositeTable fine = composite_table(cells.data(), c, rows, 2, 15, 65536, index.data());
  const CompositeTable few = composite_table(cells.data(), c, rows, 2, 4, 65536, index.data());
  ASSERT_LT(few.entries.size(), fine.entries.size());
  const int limit = static_cast<int>(few.entries.size()) + 2;
  const CompositeTable coarse = composite_table(cells.data(), c, rows, 2, 15, limit, index.data());
  EXPECT_LT(coarse.resolution, 15);
  EXPECT_GE(coarse.resolution, 4);
  EXPECT_LE(coarse.entries.size() + 2, static_cast<std::size_t>(limit));
  for (auto i : index) EXPECT_LT(i, coarse.entries.size() + 2);
  rows[1] = -1;
  EXPECT_THROW(composite_table(cells.data(), c, rows, 2, 15, 65536, index.data()), std::invalid_argument);
}

TEST(CompositeTable, RejectsBlocksWithTooManyLabels) {
  Volume v{{4, 4, 4}, std::vector<std::uint8_t>(64)};
  for (int i = 0; i < 64; ++i) v.data[i] = static_cast<std::uint8_t>(i % 5);
  const auto cells = cells_of(v, CompositeOptions{});
  EXPECT_EQ(cells[0].count[0], 0);
  std::array<int, 256> rows;
  rows.fill(0);
  std::uint16_t index = 0;
  EXPECT_THROW(composite_table(cells.data(), {1, 1, 1}, rows, 1, 15, 65536, &index), std::invalid_argument);
}

TEST(MajorityVote, MostFrequentLabelWithTiesToTheSmallest) {
  Volume v{{4, 4, 8}, std::vector<std::uint8_t>(128)};
  for (int i = 0; i < 64; ++i) v.data[v.shape.index(i / 16, (i / 4) % 4, i % 4)] = i < 30 ? 7 : (i < 50 ? 2 : 9);
  for (int i = 0; i < 64; ++i) v.data[v.shape.index(i / 16, (i / 4) % 4, 4 + i % 4)] = i < 32 ? 5 : 3;
  std::uint8_t out[2];
  majority_vote(v.view(), 4, out);
  EXPECT_EQ(out[0], 7);
  EXPECT_EQ(out[1], 3);
}
