// The counter-based SplitMix64 stream against the reference sequence and basic uniformity.
#include <gtest/gtest.h>

#include <cmath>

#include "voxtwin/detail/random.hpp"

using namespace voxtwin::detail;

TEST(Random, SplitMix64MatchesTheReferenceSequence) {
  // First outputs of Vigna's splitmix64.c with state 0.
  EXPECT_EQ(splitmix64(0, 0), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(splitmix64(0, 1), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(splitmix64(0, 2), 0x06C45D188009454Full);
}

TEST(Random, UniformsCoverTheUnitIntervalEvenly) {
  const int n = 200000, bins = 20;
  int count[bins] = {};
  double sum = 0.0;
  for (int i = 0; i < n; ++i) {
    const double u = uniform01(12345, static_cast<std::uint64_t>(i));
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    ++count[static_cast<int>(u * bins)];
  }
  EXPECT_NEAR(sum / n, 0.5, 5.0 * std::sqrt(1.0 / 12.0 / n));  // 5 standard errors
  for (int b = 0; b < bins; ++b) EXPECT_NEAR(count[b], n / bins, 5.0 * std::sqrt(n / bins));
}
