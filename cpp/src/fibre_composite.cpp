// Composite voxels from the fibre table (see voxtwin/fibre_composite.hpp); CUDA twin:
// cuda/fibre_composite.cu. The per-voxel arithmetic is shared (detail/fibre_composite_cell.hpp).
#include "voxtwin/fibre_composite.hpp"

#include <stdexcept>
#include <string>

#include "voxtwin/detail/fibre_composite_cell.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

void atomic_max(std::uint64_t* slot, std::uint64_t value) {
  std::uint64_t cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
  while (cur < value && !__atomic_compare_exchange_n(slot, &cur, value, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
}

}  // namespace

namespace detail {

void check_fibre_composite_arguments(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                                     int points, std::uint8_t matrix_label, std::uint8_t fibre_label) {
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
}

}  // namespace detail

void fibre_composite_cells(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid, int points,
                           std::uint8_t matrix_label, std::uint8_t fibre_label, bool axes, CompositeCell* out) {
  detail::check_fibre_composite_arguments(fibres, shape, grid, points, matrix_label, fibre_label);
  const detail::GridGeom g = detail::make_grid(grid);
  const std::int64_t total = grid.shape.size();
  const int threads = get_num_threads();

  std::vector<detail::FibreSolid> solids(fibres.size());
  const double grow = detail::candidate_growth(g.h, true);
  for (std::size_t i = 0; i < fibres.size(); ++i) solids[i] = detail::make_solid(fibres[i], shape, g, grow);

  // Sub-points inside (summed over fibres) and the dominant fibre's key per coarse voxel.
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
        atomic_max(&top[static_cast<std::size_t>(idx)], detail::composite_key(c, n));
      }
      return true;
    };
    detail::visit_solid(s, g, true, visit);
  }

  const detail::FibreAxesTable t = detail::axes_table(fibres, solids, g.h);
  detail::FibreCellParams q = detail::cell_params(t, shape, grid, points, matrix_label, fibre_label, axes);
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t idx = 0; idx < total; ++idx)
    out[idx] = detail::fibre_composite_cell(inside[static_cast<std::size_t>(idx)], top[static_cast<std::size_t>(idx)],
                                            idx, q);
}

}  // namespace voxtwin
