#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "voxtwin/device.hpp"
#include "voxtwin/fibres.hpp"

using namespace voxtwin;

namespace {

struct Outputs {
  std::vector<std::uint8_t> labels;
  std::vector<std::uint32_t> instances;
  std::vector<float> fractions;
};

template <class Raster>
Outputs run(Raster raster, const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid, int supersample) {
  const std::size_t n = static_cast<std::size_t>(grid.shape.size());
  Outputs o{std::vector<std::uint8_t>(n), std::vector<std::uint32_t>(n), std::vector<float>(n)};
  for (std::size_t i = 0; i < n; ++i) o.labels[i] = static_cast<std::uint8_t>(i % 3 == 0 ? 2 : 0);  // a background
  RasterTargets t;
  t.labels = {o.labels.data(), grid.shape};
  t.instances = {o.instances.data(), grid.shape};
  if (supersample) {
    t.fractions = {o.fractions.data(), grid.shape};
    t.supersample = supersample;
  }
  raster(fibres, shape, grid, t);
  return o;
}

}  // namespace

TEST(CudaFibreRaster, EqualsCpuByteForByte) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  std::mt19937_64 gen(41);
  std::uniform_real_distribution<double> uni(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (bool periodic : {true, false}) {
    const FibreGrid grid{{67, 45, 53}, 1.7, periodic};
    for (FibreShape shape : {FibreShape::Cylinder, FibreShape::Spherocylinder}) {
      std::vector<Fibre> fibres(300);  // overlapping on purpose: the tie rules must agree too
      for (std::size_t i = 0; i < fibres.size(); ++i) {
        Fibre& f = fibres[i];
        f.centre = {uni(gen) * 67 * 1.7, uni(gen) * 45 * 1.7, uni(gen) * 53 * 1.7};
        std::array<double, 3> u{normal(gen), normal(gen), normal(gen)};
        if (i % 5 == 0) u = {0, 0, 1};
        const double s = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
        f.direction = {u[0] / s, u[1] / s, u[2] / s};
        f.diameter = 1 + 6 * uni(gen);
        f.length = f.diameter + 40 * uni(gen);
      }
      for (int supersample : {0, 3}) {
        const Outputs cpu = run([](auto&&... a) { rasterize_fibres(a...); }, fibres, shape, grid, supersample);
        const Outputs gpu = run([](auto&&... a) { cuda::rasterize_fibres(a...); }, fibres, shape, grid, supersample);
        EXPECT_EQ(cpu.labels, gpu.labels);
        EXPECT_EQ(cpu.instances, gpu.instances);
        EXPECT_EQ(cpu.fractions, gpu.fractions);
      }
    }
  }
}
