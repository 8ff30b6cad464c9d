// Composite voxels from the fibre table (see voxtwin/fibre_composite.hpp).
#include "voxtwin/fibre_composite.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "voxtwin/detail/composite_block.hpp"
#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

// Packs (sub-points inside, fibre) so that an atomic maximum keeps the fibre with most points
// and, on ties, the lowest index: the same winner for any order of the threads.
std::uint64_t pack(int count, std::size_t fibre) {
  return (static_cast<std::uint64_t>(count) << 32) | (0xFFFFFFFFull - static_cast<std::uint64_t>(fibre));
}

void atomic_max(std::uint64_t* slot, std::uint64_t value) {
  std::uint64_t cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
  while (cur < value && !__atomic_compare_exchange_n(slot, &cur, value, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

}  // namespace

void fibre_composite_cells(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid, int points,
                           std::uint8_t matrix_label, std::uint8_t fibre_label, bool axes, CompositeCell* out) {
  validate_grid(grid);
  validate_fibres(fibres, shape);
  if (points < 1 || points > kMaxFibreCompositePoints)
    throw std::invalid_argument("`points` must be in 1.." + std::to_string(kMaxFibreCompositePoints) +
                                " quadrature points per voxel edge, got points=" + std::to_string(points));
  if (matrix_label == fibre_label)
    throw std::invalid_argument("`matrix_label` and `fibre_label` must differ, got " + std::to_string(matrix_label) +
                                " for both");
  if (fibres.size() >= 0xFFFFFFFFull)
    throw std::invalid_argument("`fibres` has too many fibres, got " + std::to_string(fibres.size()));
  const detail::GridGeom g = detail::make_grid(grid);
  const std::int64_t total = grid.shape.size();
  const int threads = get_num_threads();
  const int full = points * points * points;

  std::vector<detail::FibreSolid> solids(fibres.size());
  const double grow = detail::candidate_growth(g.h, true);
  for (std::size_t i = 0; i < fibres.size(); ++i) solids[i] = detail::make_solid(fibres[i], shape, g, grow);

  std::vector<std::uint32_t> inside(static_cast<std::size_t>(total), 0u);
  std::vector<std::uint64_t> top(static_cast<std::size_t>(total), 0u);
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (std::int64_t n = 0; n < static_cast<std::int64_t>(solids.size()); ++n) {
    const detail::FibreSolid& s = solids[static_cast<std::size_t>(n)];
    if (s.lo[0] > s.hi[0] || s.lo[1] > s.hi[1] || s.lo[2] > s.hi[2]) continue;
    auto visit = [&](std::int64_t idx, std::int64_t i, std::int64_t j, std::int64_t k, bool) {
      const int c = detail::subpoints_inside(s, i, j, k, g.h, points);
      if (c) {
        __atomic_fetch_add(&inside[static_cast<std::size_t>(idx)], static_cast<std::uint32_t>(c), __ATOMIC_RELAXED);
        atomic_max(&top[static_cast<std::size_t>(idx)], pack(c, static_cast<std::size_t>(n)));
      }
      return true;
    };
    detail::visit_solid(s, g, true, visit);
  }

  // The normal's fibre table in coarse-voxel units (fibre_row_normal's convention).
  const std::size_t nf = fibres.size();
  std::vector<double> centres(3 * nf), directions(3 * nf), halves(nf), radii(nf);
  for (std::size_t i = 0; i < nf; ++i) {
    for (int a = 0; a < 3; ++a) {
      centres[3 * i + a] = fibres[i].centre[a] / g.h;
      directions[3 * i + a] = fibres[i].direction[a];
    }
    halves[i] = solids[i].half / g.h;
    radii[i] = 0.5 * fibres[i].diameter / g.h;
  }
  detail::BlockParams p;
  p.periodic = grid.periodic;
  p.shape = grid.shape;
  p.centres = centres.data();
  p.directions = directions.data();
  p.half_lengths = halves.data();
  p.radii = radii.data();
  p.rounded = shape == FibreShape::Spherocylinder;
  p.n_fibres = static_cast<std::int64_t>(nf);
  p.use_fibres = true;

  const bool fibre_first = fibre_label < matrix_label;  // slots are sorted by label
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t idx = 0; idx < total; ++idx) {
    CompositeCell cell{};
    const int c = std::min<int>(static_cast<int>(inside[static_cast<std::size_t>(idx)]), full);
    if (c == 0 || c == full) {
      cell.label[0] = c == 0 ? matrix_label : fibre_label;
      cell.count[0] = static_cast<std::uint16_t>(full);
    } else {
      const int fs = fibre_first ? 0 : 1;
      cell.label[fs] = fibre_label;
      cell.count[fs] = static_cast<std::uint16_t>(c);
      cell.label[1 - fs] = matrix_label;
      cell.count[1 - fs] = static_cast<std::uint16_t>(full - c);
      const std::int64_t X = idx / (grid.shape.ny * grid.shape.nz), Y = (idx / grid.shape.nz) % grid.shape.ny,
                         Z = idx % grid.shape.nz;
      const std::int64_t row = static_cast<std::int64_t>(0xFFFFFFFFull - (top[static_cast<std::size_t>(idx)] & 0xFFFFFFFFull));
      if (axes) {
        for (int k = 0; k < 3; ++k) cell.normal[k] = static_cast<float>(directions[3 * static_cast<std::size_t>(row) + k]);
      } else if (!detail::fibre_row_normal(p, row, X + 0.5, Y + 0.5, Z + 0.5, cell.normal)) {
        // The voxel centre sits on the axis: any direction across the fibre is as good.
        const double* u = &directions[3 * static_cast<std::size_t>(row)];
        const int a = std::fabs(u[0]) <= std::fabs(u[1]) && std::fabs(u[0]) <= std::fabs(u[2]) ? 0
                      : (std::fabs(u[1]) <= std::fabs(u[2]) ? 1 : 2);
        double e[3] = {0.0, 0.0, 0.0};
        e[a] = 1.0;
        const double t = e[0] * u[0] + e[1] * u[1] + e[2] * u[2];
        for (int k = 0; k < 3; ++k) cell.normal[k] = static_cast<float>(e[k] - t * u[k]);
      }
    }
    out[idx] = cell;
  }
}

}  // namespace voxtwin
