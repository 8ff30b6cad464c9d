#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <Eigen/Dense>

#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/device.hpp"

using namespace voxtwin;

namespace {

// Three phases: a few cylinders (label 1, instances 1..3) and pores (label 2) in a matrix.
struct Sample {
  Shape3 shape{24, 16, 20};
  std::vector<std::uint8_t> labels;
  std::vector<std::uint32_t> instances;
  FibreAxes axes;
};

Sample sample() {
  Sample s;
  const std::int64_t n = s.shape.size();
  s.labels.assign(static_cast<std::size_t>(n), 0);
  s.instances.assign(static_cast<std::size_t>(n), 0u);
  const double axes[3][6] = {{5.2, 7.1, 0.0, 0.0, 0.3, 1.0}, {12.0, 3.3, 9.0, 1.0, 0.1, 0.2}, {20.5, 12.0, 6.0, 0.2, 1.0, 0.0}};
  for (const auto& a : axes) {
    s.axes.centre.insert(s.axes.centre.end(), {a[0], a[1], a[2]});
    s.axes.direction.insert(s.axes.direction.end(), {a[3], a[4], a[5]});
  }
  std::mt19937 gen(4);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (std::int64_t x = 0; x < s.shape.nx; ++x)
    for (std::int64_t y = 0; y < s.shape.ny; ++y)
      for (std::int64_t z = 0; z < s.shape.nz; ++z) {
        const std::int64_t i = s.shape.index(x, y, z);
        if (u(gen) < 0.02) s.labels[i] = 2;
        for (int f = 0; f < 3; ++f) {
          const Eigen::Vector3d c(axes[f][0], axes[f][1], axes[f][2]);
          const Eigen::Vector3d d = Eigen::Vector3d(axes[f][3], axes[f][4], axes[f][5]).normalized();
          const Eigen::Vector3d p = Eigen::Vector3d(x + 0.5, y + 0.5, z + 0.5) - c;
          if ((p - p.dot(d) * d).norm() < 2.6) {
            s.labels[i] = 1;
            s.instances[i] = static_cast<std::uint32_t>(f + 1);
          }
        }
      }
  return s;
}

}  // namespace

TEST(CudaCompositeVoxels, CellsEqualCpuByteForByte) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const Sample s = sample();
  const VolumeView<const std::uint8_t> view{s.labels.data(), s.shape};
  for (int variant = 0; variant < 5; ++variant) {
    CompositeOptions o;
    o.factor = variant == 3 ? 2 : 4;
    o.periodic = variant % 2 == 0;
    o.weights[0] = 27;
    o.weights[1] = 1000;
    if (variant >= 2) {
      o.instances = s.instances.data();
      o.fibres = s.axes;
    }
    if (variant == 4) {  // finite fibres: end caps
      o.fibres.half_length = {4.0, 6.5, 5.0};
      o.fibres.radius = {2.6, 2.6, 2.6};
    }
    const Shape3 c = coarse_shape(s.shape, o.factor);
    std::vector<CompositeCell> cpu(static_cast<std::size_t>(c.size())), gpu(cpu.size());
    composite_cells(view, o, cpu.data());
    cuda::composite_cells(view, o, gpu.data());
    EXPECT_EQ(std::memcmp(cpu.data(), gpu.data(), cpu.size() * sizeof(CompositeCell)), 0) << "variant " << variant;
  }
}

TEST(CudaCompositeVoxels, MajorityEqualsCpu) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  const Sample s = sample();
  const VolumeView<const std::uint8_t> view{s.labels.data(), s.shape};
  const Shape3 c = coarse_shape(s.shape, 4);
  std::vector<std::uint8_t> cpu(static_cast<std::size_t>(c.size())), gpu(cpu.size());
  majority_vote(view, 4, cpu.data());
  cuda::majority_vote(view, 4, gpu.data());
  EXPECT_EQ(cpu, gpu);
}
