#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "voxtwin/cluster_correlation.hpp"
#include "voxtwin/euler_characteristic.hpp"
#include "voxtwin/gaussian_field.hpp"
#include "voxtwin/parallel.hpp"
#include "voxtwin/run_lengths.hpp"
#include "voxtwin/two_point.hpp"

using namespace voxtwin;

TEST(EulerTable, EmptyAndFullConfigurationsAndSingleVoxel) {
  const auto& t = euler_table();
  EXPECT_EQ(t[0], 0);
  EXPECT_EQ(t[255], 0);  // an interior vertex of a solid: 1 - 6/2 + 12/4 - 8/8 = 0
  EXPECT_EQ(t[1], 1);    // the corner of one cube: 1 - 3/2 + 3/4 - 1/8 in eighths
  const Shape3 s{5, 5, 5};
  std::vector<std::uint8_t> v(static_cast<std::size_t>(s.size()), 0);
  v[static_cast<std::size_t>(s.index(2, 2, 2))] = 1;
  EXPECT_EQ(euler_characteristic({v.data(), s}, 1, {false, false, false}), 1);
}

TEST(TwoPointAxis, PeriodicCountsOfARandomVolumeMatchShifting) {
  const Shape3 s{9, 7, 6};
  std::vector<std::uint8_t> v(static_cast<std::size_t>(s.size()));
  std::mt19937 gen(3);
  for (auto& x : v) x = static_cast<std::uint8_t>(gen() % 2);
  const auto c = axis_correlation_counts({v.data(), s}, 1, 1, 1, true);
  for (std::int64_t r = 0; r < s.ny; ++r) {
    std::int64_t brute = 0;
    for (std::int64_t x = 0; x < s.nx; ++x)
      for (std::int64_t y = 0; y < s.ny; ++y)
        for (std::int64_t z = 0; z < s.nz; ++z)
          brute += v[static_cast<std::size_t>(s.index(x, y, z))] & v[static_cast<std::size_t>(s.index(x, (y + r) % s.ny, z))];
    EXPECT_EQ(c[static_cast<std::size_t>(r)], brute) << "lag " << r;
  }
}

TEST(RunLengths, WrapsAroundWhenPeriodic) {
  const Shape3 s{10, 1, 1};
  std::vector<std::uint8_t> v = {1, 1, 0, 0, 1, 0, 0, 0, 1, 1};
  const auto open = run_lengths({v.data(), s}, 0, 1, false);
  EXPECT_EQ(open.inner[1], 1);
  EXPECT_EQ(open.edge[2], 2);
  const auto wrapped = run_lengths({v.data(), s}, 0, 1, true);
  EXPECT_EQ(wrapped.inner[4], 1);
  EXPECT_EQ(wrapped.inner[1], 1);
}

TEST(GaussianField, SlabsHaveTheBytesOfTheWholeField) {
  GaussianFieldSpec spec{Shape3{21, 12, 10}, {4.0, 2.0, 1.0}, 42, 1};
  std::vector<float> whole(static_cast<std::size_t>(spec.shape.size()));
  gaussian_field(spec, 0, 21, {whole.data(), spec.shape});
  const std::int64_t plane = spec.shape.ny * spec.shape.nz;
  const int before = get_num_threads();
  set_num_threads(1);
  for (std::int64_t x0 : {0, 7, 13}) {
    const std::int64_t x1 = std::min<std::int64_t>(x0 + 6, 21);
    std::vector<float> part(static_cast<std::size_t>((x1 - x0) * plane));
    gaussian_field(spec, x0, x1, {part.data(), Shape3{x1 - x0, 12, 10}});
    for (std::size_t i = 0; i < part.size(); ++i) ASSERT_EQ(part[i], whole[static_cast<std::size_t>(x0 * plane) + i]);
  }
  set_num_threads(before);
}

TEST(GaussianField, KernelAutocorrelationIsTheSampledCovariance) {
  for (double l : {0.8, 1.0, 3.0, 6.0}) {
    const auto k = gaussian_kernel(l);
    const auto R = static_cast<std::int64_t>(k.size()) - 1;
    auto at = [&](std::int64_t j) { return std::abs(j) > R ? 0.0 : static_cast<double>(k[std::abs(j)]); };
    for (std::int64_t d = 0; d <= 3; ++d) {
      double c = 0.0;
      for (std::int64_t j = -R - d; j <= R; ++j) c += at(j) * at(j + d);
      // float weights: 1e-6; truncation at 3 l: below 1e-7
      EXPECT_NEAR(c, std::exp(-0.5 * static_cast<double>(d * d) / (l * l)), 2e-6) << "l=" << l << " d=" << d;
    }
  }
}

TEST(ClusterCorrelation, RunPairsOfOneLabelAcrossAGap) {
  // one line along z: clusters 7 at z = 0, 1 and 5; cluster 3 at z = 3
  const Shape3 s{1, 1, 6};
  const std::vector<std::uint32_t> v{7, 7, 0, 3, 0, 7};
  const VolumeView<const std::uint32_t> view{v.data(), s};
  // pairs (i < j) of one cluster: (0,1) lag 1, (0,5) lag 5, (1,5) lag 4
  EXPECT_EQ(axis_cluster_counts(view, 2, false), (std::vector<std::int64_t>{4, 1, 0, 0, 1, 1}));
  // wrapped: c[r] = h(r) + h(6 - r): lag 1 also (5 -> 0), lag 2 also (5 -> 1)
  EXPECT_EQ(axis_cluster_counts(view, 2, true), (std::vector<std::int64_t>{4, 2, 1, 0, 1, 2}));
}
