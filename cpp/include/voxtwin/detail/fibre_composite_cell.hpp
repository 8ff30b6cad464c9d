#pragma once
// Per-voxel arithmetic of composite voxels from the fibre table, shared by the CPU
// (cpp/src/fibre_composite.cpp) and CUDA (cuda/fibre_composite.cu) kernels so that both give the
// same bytes: the packed (sub-points, fibre) key whose atomic maximum picks the dominant fibre,
// and the cell built from a voxel's sub-point count and key (double arithmetic without fused
// multiply-add, rounded once to float).
#include <cmath>
#include <cstdint>
#include <vector>

#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/detail/composite_block.hpp"
#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/detail/host_device.hpp"

namespace voxtwin::detail {

/// (sub-points inside, fibre) packed so that the largest key has the most points and, on ties,
/// the lowest fibre index: the same winner for any order of the atomics.
VOXTWIN_HD inline std::uint64_t composite_key(int count, std::int64_t fibre) {
  return (static_cast<std::uint64_t>(count) << 32) | (0xFFFFFFFFull - static_cast<std::uint64_t>(fibre));
}

/// What the cell step needs (device pointers on the GPU).
struct FibreCellParams {
  BlockParams axes;  ///< the fibres in coarse-voxel units, for fibre_row_normal
  int full = 0;      ///< points^3
  std::uint8_t matrix_label = 0;
  std::uint8_t fibre_label = 1;
  bool store_axes = false;  ///< the dominant fibre's axis instead of the interface normal
};

/// The fibre table in coarse-voxel units (host side; copied to the device by the CUDA twin).
struct FibreAxesTable {
  std::vector<double> centres, directions, halves, radii;
};

inline FibreAxesTable axes_table(const std::vector<Fibre>& fibres, const std::vector<FibreSolid>& solids, double h) {
  FibreAxesTable t;
  const std::size_t n = fibres.size();
  t.centres.resize(3 * n);
  t.directions.resize(3 * n);
  t.halves.resize(n);
  t.radii.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (int a = 0; a < 3; ++a) {
      t.centres[3 * i + a] = fibres[i].centre[a] / h;
      t.directions[3 * i + a] = fibres[i].direction[a];
    }
    t.halves[i] = solids[i].half / h;
    t.radii[i] = 0.5 * fibres[i].diameter / h;
  }
  return t;
}

/// Throws std::invalid_argument for a bad grid, fibre, points or equal labels (both backends).
void check_fibre_composite_arguments(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                                     int points, std::uint8_t matrix_label, std::uint8_t fibre_label);

/// Parameters of the cell step pointing into `t` (host pointers; the CUDA twin swaps in device copies).
inline FibreCellParams cell_params(const FibreAxesTable& t, FibreShape shape, const FibreGrid& grid, int points,
                                   std::uint8_t matrix_label, std::uint8_t fibre_label, bool store_axes) {
  FibreCellParams q;
  q.axes.periodic = grid.periodic;
  q.axes.shape = grid.shape;
  q.axes.centres = t.centres.data();
  q.axes.directions = t.directions.data();
  q.axes.half_lengths = t.halves.data();
  q.axes.radii = t.radii.data();
  q.axes.rounded = shape == FibreShape::Spherocylinder;
  q.axes.n_fibres = static_cast<std::int64_t>(t.halves.size());
  q.axes.use_fibres = true;
  q.full = points * points * points;
  q.matrix_label = matrix_label;
  q.fibre_label = fibre_label;
  q.store_axes = store_axes;
  return q;
}

/// The cell of coarse voxel `idx` (C order of q.axes.shape) from its clamped sub-point count and key.
VOXTWIN_HD inline CompositeCell fibre_composite_cell(std::uint32_t inside, std::uint64_t key, std::int64_t idx,
                                                     const FibreCellParams& q) {
  CompositeCell cell = empty_cell();
  const int c = static_cast<int>(inside) < q.full ? static_cast<int>(inside) : q.full;
  if (c == 0 || c == q.full) {
    cell.label[0] = c == 0 ? q.matrix_label : q.fibre_label;
    cell.count[0] = static_cast<std::uint16_t>(q.full);
    return cell;
  }
  const int fs = q.fibre_label < q.matrix_label ? 0 : 1;  // slots are sorted by label
  cell.label[fs] = q.fibre_label;
  cell.count[fs] = static_cast<std::uint16_t>(c);
  cell.label[1 - fs] = q.matrix_label;
  cell.count[1 - fs] = static_cast<std::uint16_t>(q.full - c);
  const Shape3& g = q.axes.shape;
  const std::int64_t X = idx / (g.ny * g.nz), Y = (idx / g.nz) % g.ny, Z = idx % g.nz;
  const std::int64_t row = static_cast<std::int64_t>(0xFFFFFFFFull - (key & 0xFFFFFFFFull));
  const double* u = q.axes.directions + 3 * row;
  if (q.store_axes) {
    for (int k = 0; k < 3; ++k) cell.normal[k] = static_cast<float>(u[k]);
  } else if (!fibre_row_normal(q.axes, row, X + 0.5, Y + 0.5, Z + 0.5, cell.normal)) {
    // The voxel centre sits on the axis: any direction across the fibre is as good.
    const double a0 = fabs(u[0]), a1 = fabs(u[1]), a2 = fabs(u[2]);
    const int a = a0 <= a1 && a0 <= a2 ? 0 : (a1 <= a2 ? 1 : 2);
    const double t = u[a];
    for (int k = 0; k < 3; ++k) cell.normal[k] = static_cast<float>((k == a ? 1.0 : 0.0) - t * u[k]);
  }
  return cell;
}

}  // namespace voxtwin::detail
