// The CUDA twin of fibre_composite_cells against the CPU, byte for byte (skipped without a GPU).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "voxtwin/device.hpp"
#include "voxtwin/fibre_composite.hpp"

using namespace voxtwin;

TEST(CudaFibreComposite, CellsEqualTheCpu) {
  if (cuda::device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> pos(0.0, 64.0);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<Fibre> fibres(40);
  for (std::size_t i = 0; i < fibres.size(); ++i) {
    double u[3] = {n(gen), n(gen), n(gen)};
    const double s = std::sqrt(u[0] * u[0] + u[1] * u[1] + u[2] * u[2]);
    for (int a = 0; a < 3; ++a) {
      fibres[i].centre[a] = pos(gen);
      fibres[i].direction[a] = u[a] / s;
    }
    fibres[i].length = 25.0;
    fibres[i].diameter = 6.0;
  }
  for (bool periodic : {true, false})
    for (bool axes : {false, true}) {
      const FibreGrid grid{Shape3{8, 8, 8}, 8.0, periodic};
      std::vector<CompositeCell> cpu(512), gpu(512);
      fibre_composite_cells(fibres, FibreShape::Cylinder, grid, 16, 0, 1, axes, cpu.data());
      cuda::fibre_composite_cells(fibres, FibreShape::Cylinder, grid, 16, 0, 1, axes, gpu.data());
      EXPECT_EQ(0, std::memcmp(cpu.data(), gpu.data(), cpu.size() * sizeof(CompositeCell)))
          << "periodic=" << periodic << " axes=" << axes;
    }
}
