// The CUDA operator's tile (detail/hex_march.hpp) run on the host, block by block, against the CPU
// solver: the displacement the CPU solver returns is in equilibrium under the CPU operator, so the
// tile's arithmetic must give (near) zero nodal forces for it and the CPU's mean stress. No GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_march.hpp"
#include "voxtwin/elasticity.hpp"
#include "voxtwin/materials.hpp"

using namespace voxtwin;
using detail::PaddedGrid;

namespace {

/// q = A p (+ E, dT terms) by running every block of the march on the host; returns the sums.
template <bool Full, class T, class L>
detail::MarchSums host_march(const detail::MarchArgs<T, L>& a, const T* p, T* q) {
  std::int64_t grid[3];
  detail::march_grid<Full>(a.g, a.chunk, grid);
  auto shared = std::make_unique<detail::MarchShared<Full, T>>();
  detail::MarchHostPolicy par;
  detail::MarchSums acc;
  for (std::int64_t bx = 0; bx < grid[2]; ++bx)
    for (int by = 0; by < grid[1]; ++by)
      for (int bz = 0; bz < grid[0]; ++bz)
        detail::march_block<Full>(a, p, q, bz, by, bx, *shared, par, acc, true);
  return acc;
}

struct Cell {
  Shape3 shape;
  std::vector<std::uint8_t> labels;
  MaterialTable table;
};

// Three phases: an isotropic matrix, a transversely isotropic fibre phase (general entries) and
// voids; a shape that no tile or chunk divides.
Cell three_phase_cell() {
  Cell c;
  c.shape = Shape3{7, 11, 37};
  c.labels.resize(static_cast<std::size_t>(c.shape.size()));
  std::mt19937 gen(3);
  std::uniform_int_distribution<int> dist(0, 9);
  for (auto& v : c.labels) {
    const int d = dist(gen);
    v = d < 6 ? 0 : (d < 9 ? 1 : 2);
  }
  const Material pla = isotropic(3.4, 0.33, 68e-6);
  const Material fibre = transversely_isotropic(230, 15, 15, 0.2, 0.07, -0.7e-6, 12e-6, Eigen::Vector3d(1, 2, 3));
  c.table.C = {pla.C, fibre.C, Matrix6::Zero()};
  c.table.alpha = {pla.alpha, fibre.alpha, Vector6::Zero()};
  return c;
}

/// Packs a compact [c][x][y][z] field into the padded solver layout.
template <class T>
std::vector<T> padded(const PaddedGrid& g, const std::vector<double>& compact) {
  std::vector<T> out(static_cast<std::size_t>(3 * g.component()), T(0));
  const std::int64_t n = g.voxels();
  for (int c = 0; c < 3; ++c)
    for (std::int64_t x = 0; x < g.nx; ++x)
      for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t z = 0; z < g.nz; ++z)
          out[static_cast<std::size_t>(c * g.component() + g.at(x, y, z))] =
              static_cast<T>(compact[static_cast<std::size_t>(c * n + (x * g.ny + y) * g.nz + z)]);
  return out;
}

double max_abs(const PaddedGrid& g, const std::vector<double>& q) {
  double m = 0;
  for (int c = 0; c < 3; ++c)
    for (std::int64_t x = 0; x < g.nx; ++x)
      for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t z = 0; z < g.nz; ++z)
          m = std::max(m, std::abs(q[static_cast<std::size_t>(c * g.component() + g.at(x, y, z))]));
  return m;
}

template <bool Full>
void check_against_cpu_solution() {
  const Cell cell = three_phase_cell();
  const Shape3& s = cell.shape;
  MacroLoading load;
  load.strain << 1e-3, -2e-4, 3e-4, 1e-4, -5e-4, 2e-4;
  load.delta_T = 20.0;
  ElasticityOptions opt;
  opt.scheme = Full ? ElasticityScheme::HexFull : ElasticityScheme::HexReduced;
  opt.tol = 1e-12;
  opt.max_iter = 2000;
  opt.voxel_size = Eigen::Vector3d(1.0, 0.8, 1.25);
  std::vector<double> total(3 * static_cast<std::size_t>(s.size()));
  ElasticityFields<double> fields;
  fields.displacement = total.data();
  const ElasticityResult r =
      solve_elasticity<double, std::uint8_t>({cell.labels.data(), s}, cell.table, load, opt, fields);
  ASSERT_TRUE(r.converged);

  // The fluctuation: total displacement less the affine part of the mean strain.
  const Vector6& E = r.mean_strain;
  const double Et[3][3] = {{E[0], 0.5 * E[5], 0.5 * E[4]}, {0.5 * E[5], E[1], 0.5 * E[3]}, {0.5 * E[4], 0.5 * E[3], E[2]}};
  std::vector<double> fluct(total.size());
  for (std::int64_t x = 0; x < s.nx; ++x)
    for (std::int64_t y = 0; y < s.ny; ++y)
      for (std::int64_t z = 0; z < s.nz; ++z) {
        const double X[3] = {x * opt.voxel_size[0], y * opt.voxel_size[1], z * opt.voxel_size[2]};
        const std::size_t i = static_cast<std::size_t>(s.index(x, y, z));
        for (int c = 0; c < 3; ++c)
          fluct[c * s.size() + i] = total[c * s.size() + i] - ((Et[c][0] * X[0] + Et[c][1] * X[1]) + Et[c][2] * X[2]);
      }

  const PaddedGrid g = detail::padded_grid(s.nx, s.ny, s.nz);
  const auto entries = detail::material_entries<double>(cell.table);
  detail::MarchArgs<double, std::uint8_t> a;
  a.g = g;
  a.labels = cell.labels.data();
  a.entries = entries.data();
  for (int i = 0; i < 3; ++i) a.ih[i] = 1.0 / opt.voxel_size[i];
  for (int i = 0; i < 6; ++i) a.E[i] = E[i];
  a.dT = load.delta_T;
  a.chunk = 3;

  // Scale: the forces of the load alone (u = 0), which the solution must cancel.
  std::vector<double> q0(static_cast<std::size_t>(3 * g.component()), 0.0), q(q0.size(), 0.0);
  host_march<Full>(a, static_cast<const double*>(nullptr), q0.data());
  const double scale = max_abs(g, q0);
  ASSERT_GT(scale, 0.0);

  const std::vector<double> u = padded<double>(g, fluct);
  const detail::MarchSums sums = host_march<Full>(a, u.data(), q.data());
  EXPECT_LT(max_abs(g, q), 1e-7 * scale) << "the CPU solution is not in equilibrium under the tile's operator";
  for (int i = 0; i < 6; ++i)
    EXPECT_NEAR(sums.stress[i] / static_cast<double>(s.size()), r.mean_stress[i], 1e-8 * r.mean_stress.cwiseAbs().maxCoeff())
        << i;
  // p . q is the sum over nodes the kernel reports for CG.
  double dot = 0;
  for (std::size_t i = 0; i < q.size(); ++i) dot += u[i] * q[i];
  EXPECT_NEAR(sums.dot, dot, 1e-12 * std::max(1.0, std::abs(dot)));

  // Negative control: the same field under the other integration rule is not in equilibrium.
  std::vector<double> qo(q.size(), 0.0);
  host_march<!Full>(a, u.data(), qo.data());
  EXPECT_GT(max_abs(g, qo), 1e-4 * scale);

  // float32, the GPU's precision: the same forces within float rounding, and independent of the
  // chunk of x-planes per block (each node's force is computed the same way in any block).
  const auto entries_f = detail::material_entries<float>(cell.table);
  detail::MarchArgs<float, std::uint8_t> af;
  af.g = g;
  af.labels = cell.labels.data();
  af.entries = entries_f.data();
  for (int i = 0; i < 3; ++i) af.ih[i] = static_cast<float>(a.ih[i]);
  for (int i = 0; i < 6; ++i) af.E[i] = static_cast<float>(E[i]);
  af.dT = static_cast<float>(load.delta_T);
  const std::vector<float> uf = padded<float>(g, fluct);
  std::vector<float> qf1(q.size(), 0.f), qf2(q.size(), 0.f);
  af.chunk = 1;
  host_march<Full>(af, uf.data(), qf1.data());
  af.chunk = s.nx;
  host_march<Full>(af, uf.data(), qf2.data());
  EXPECT_EQ(qf1, qf2);
  std::vector<double> qf(qf1.begin(), qf1.end());
  EXPECT_LT(max_abs(g, qf), 1e-4 * scale);
}

}  // namespace

TEST(HexMarch, ReducedTileHoldsTheCpuSolutionInEquilibrium) { check_against_cpu_solution<false>(); }

TEST(HexMarch, FullTileHoldsTheCpuSolutionInEquilibrium) { check_against_cpu_solution<true>(); }

TEST(HexMarch, WrapCoversHalosLargerThanTheBox) {
  EXPECT_EQ(detail::march_wrap(-1, 5), 4);
  EXPECT_EQ(detail::march_wrap(5, 5), 0);
  EXPECT_EQ(detail::march_wrap(11, 5), 1);  // a tile of 32 nodes over a box of 5
  EXPECT_EQ(detail::march_wrap(-1, 1), 0);
}
