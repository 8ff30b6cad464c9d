#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "voxtwin/parallel.hpp"
#include "voxtwin/phase_counts.hpp"

using namespace voxtwin;

TEST(PhaseCounts, MatchesSerialCountForAnyThreadCount) {
  const Shape3 shape{33, 17, 21};
  std::vector<std::uint8_t> labels(static_cast<std::size_t>(shape.size()));
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> dist(0, 5);
  for (auto& v : labels) v = static_cast<std::uint8_t>(dist(gen));
  PhaseCounts serial{};
  for (auto v : labels) ++serial[v];

  const int before = get_num_threads();
  for (int threads : {1, 2, 4}) {
    set_num_threads(threads);
    EXPECT_EQ(phase_counts({labels.data(), shape}), serial) << threads << " threads";
  }
  set_num_threads(before);
}

TEST(PhaseCounts, RejectsEmptyShape) {
  std::uint8_t dummy = 0;
  EXPECT_THROW(phase_counts({&dummy, Shape3{0, 1, 1}}), std::invalid_argument);
}
