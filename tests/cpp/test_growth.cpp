// Virtual growth: rule checks, a forced pattern, determinism and the frequency correction.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "voxtwin/growth.hpp"

using namespace voxtwin;

namespace {

// Two blocks that may only touch each other: growth must produce a 3D checkerboard.
GrowthRules checkerboard() {
  GrowthRules r;
  r.n_blocks = 2;
  r.n_groups = 2;
  r.group = {0, 1};
  r.allowed.assign(6 * 2 * 2, 0);
  for (int f = 0; f < 6; ++f) {
    r.allowed[(f * 2 + 0) * 2 + 1] = 1;
    r.allowed[(f * 2 + 1) * 2 + 0] = 1;
  }
  return r;
}

// Two blocks that may touch anything.
GrowthRules free_pair() {
  GrowthRules r = checkerboard();
  r.allowed.assign(6 * 2 * 2, 1);
  return r;
}

}  // namespace

TEST(Growth, RejectsAsymmetricRules) {
  GrowthRules r = checkerboard();
  r.allowed[(0 * 2 + 0) * 2 + 0] = 1;  // A across +x of A, but not A across -x of A
  EXPECT_THROW(r.validate(), std::invalid_argument);
}

TEST(Growth, ForcedCheckerboard) {
  const std::array<std::int64_t, 3> shape{6, 5, 4};
  std::vector<std::int32_t> region(6 * 5 * 4, 0);
  const GrowthResult res = grow(checkerboard(), shape, region, {0.5, 0.5}, 1, GrowthOptions{7});
  ASSERT_TRUE(res.complete);
  const std::int32_t first = res.blocks[0];
  for (std::int64_t x = 0; x < 6; ++x)
    for (std::int64_t y = 0; y < 5; ++y)
      for (std::int64_t z = 0; z < 4; ++z)
        EXPECT_EQ(res.blocks[(x * 5 + y) * 4 + z], (first + x + y + z) % 2);
}

TEST(Growth, SameSeedSameLayoutAndCorrectedCounts) {
  const std::array<std::int64_t, 3> shape{20, 20, 20};
  std::vector<std::int32_t> region(8000, 0);
  const GrowthResult a = grow(free_pair(), shape, region, {0.3, 0.7}, 1, GrowthOptions{11});
  const GrowthResult b = grow(free_pair(), shape, region, {0.3, 0.7}, 1, GrowthOptions{11});
  ASSERT_TRUE(a.complete);
  EXPECT_EQ(a.blocks, b.blocks);
  std::int64_t ones = 0;
  for (const auto v : a.blocks) ones += v;
  // The count correction steers the last draws: the count lands within a few blocks of 0.7 n,
  // far inside the binomial spread (sqrt(n p q) ~ 41) an uncorrected draw would have.
  EXPECT_LE(std::abs(static_cast<double>(ones) - 0.7 * 8000), 3.0);
}
