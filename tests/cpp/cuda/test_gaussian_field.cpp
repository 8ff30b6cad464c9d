#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "voxtwin/device.hpp"
#include "voxtwin/gaussian_field.hpp"

using namespace voxtwin;

TEST(CudaGaussianField, EqualsCpuByteForByte) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  // the x kernel (radius 18) wraps around nx = 37; white z exercises the radius-0 kernel
  for (const auto& lengths : {std::array<double, 3>{6.0, 3.0, 1.5}, std::array<double, 3>{0.8, 2.0, 0.0}}) {
    const GaussianFieldSpec spec{Shape3{37, 20, 18}, lengths, 11, 2};
    std::vector<float> cpu(static_cast<std::size_t>(spec.shape.size())), gpu(cpu.size());
    gaussian_field(spec, 0, 37, {cpu.data(), spec.shape});
    cuda::gaussian_field(spec, 0, 37, {gpu.data(), spec.shape});
    EXPECT_EQ(std::memcmp(cpu.data(), gpu.data(), cpu.size() * sizeof(float)), 0);
    std::vector<float> part(static_cast<std::size_t>(25 * 20 * 18));
    cuda::gaussian_field(spec, 5, 30, {part.data(), Shape3{25, 20, 18}});
    EXPECT_EQ(std::memcmp(part.data(), cpu.data() + 5 * 20 * 18, part.size() * sizeof(float)), 0);
  }
}
