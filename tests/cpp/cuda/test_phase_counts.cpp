#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "voxtwin/device.hpp"
#include "voxtwin/phase_counts.hpp"

using namespace voxtwin;

TEST(CudaPhaseCounts, EqualsCpuExactly) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const Shape3 shape{101, 64, 77};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(shape.size()));
  std::mt19937 gen(11);
  std::uniform_int_distribution<int> dist(0, 255);
  for (auto& v : labels) v = static_cast<std::uint8_t>(dist(gen));
  EXPECT_EQ(cuda::phase_counts({labels.data(), shape}), phase_counts({labels.data(), shape}));
}

TEST(CudaDevice, CountNeverThrows) { EXPECT_GE(cuda::device_count(), 0); }
