// Fibre rasterization on the CPU (OpenMP); CUDA twin: cuda/fibre_raster.cu.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/detail/format.hpp"
#include "voxtwin/fibres.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

using detail::format_value;

namespace {

void require_output_shape(const Shape3& got, const Shape3& want, const char* name) {
  if (got != want) {
    std::ostringstream s;
    s << "`" << name << "` must have the grid shape (" << want.nx << ", " << want.ny << ", " << want.nz << "), got ("
      << got.nx << ", " << got.ny << ", " << got.nz << ")";
    throw std::invalid_argument(s.str());
  }
}

// Writes one fibre's voxels. Fibres are drawn in parallel, so every write is atomic and every
// combination is order-independent: the same label from every writer, the lowest fibre index for
// the instance label (an atomic minimum), and integer point counts for the fractions (exact in
// float). The result is therefore the same for any number of threads, and equal to the CUDA twin's.
struct SharedWriter {
  const detail::FibreSolid* f;
  const RasterTargets* t;
  std::uint32_t tag;  // fibre index + 1
  double h;
  bool operator()(std::int64_t idx, std::int64_t i, std::int64_t j, std::int64_t k, bool centre_inside) const {
    if (centre_inside) {
      if (t->labels.data) __atomic_store_n(&t->labels.data[idx], t->fibre_label, __ATOMIC_RELAXED);
      if (t->instances.data) {
        std::uint32_t* slot = &t->instances.data[idx];
        std::uint32_t cur = __atomic_load_n(slot, __ATOMIC_RELAXED);
        while ((cur == 0u || cur > tag) &&
               !__atomic_compare_exchange_n(slot, &cur, tag, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        }
      }
    }
    if (t->fractions.data) {
      const int n = detail::subpoints_inside(*f, i, j, k, h, t->supersample);
      if (n) {
        float& slot = t->fractions.data[idx];
#pragma omp atomic update
        slot += static_cast<float>(n);
      }
    }
    return true;
  }
};

}  // namespace

void validate_grid(const FibreGrid& grid) {
  require_valid_shape(grid.shape, "shape");
  if (!std::isfinite(grid.voxel_size) || grid.voxel_size <= 0.0)
    throw std::invalid_argument("`voxel_size` must be a finite number > 0 µm, got voxel_size=" + format_value(grid.voxel_size));
}

void validate_fibres(const std::vector<Fibre>& fibres, FibreShape shape, const char* name) {
  for (std::size_t i = 0; i < fibres.size(); ++i) {
    const Fibre& f = fibres[i];
    const std::string at = std::string(name) + "[" + std::to_string(i) + "]";
    double norm2 = 0.0;
    for (int a = 0; a < 3; ++a) {
      if (!std::isfinite(f.centre[a]) || !std::isfinite(f.direction[a]))
        throw std::invalid_argument("`" + at + "` must have a finite centre and direction");
      norm2 += f.direction[a] * f.direction[a];
    }
    if (!(std::fabs(std::sqrt(norm2) - 1.0) <= 1e-6))
      throw std::invalid_argument("`" + at + "` must have a unit direction, got |direction|=" + format_value(std::sqrt(norm2)));
    if (!(std::isfinite(f.diameter) && f.diameter > 0.0))
      throw std::invalid_argument("`" + at + "` must have a diameter > 0 µm, got diameter=" + format_value(f.diameter));
    if (!(std::isfinite(f.length) && f.length > 0.0))
      throw std::invalid_argument("`" + at + "` must have a length > 0 µm, got length=" + format_value(f.length));
    if (shape == FibreShape::Spherocylinder && f.length < f.diameter)
      throw std::invalid_argument("`" + at + "` is a spherocylinder whose length (tip to tip, caps included) must be >= "
                                  "its diameter, got length=" + format_value(f.length) + ", diameter=" + format_value(f.diameter));
  }
}

namespace detail {
void check_raster_arguments(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                            const RasterTargets& targets) {
  validate_grid(grid);
  validate_fibres(fibres, shape);
  if (targets.labels.data) require_output_shape(targets.labels.shape, grid.shape, "labels");
  if (targets.instances.data) require_output_shape(targets.instances.shape, grid.shape, "instances");
  if (fibres.size() >= std::numeric_limits<std::uint32_t>::max())
    throw std::invalid_argument("`fibres` has too many fibres for uint32 instance labels, got " +
                                std::to_string(fibres.size()));
  if (targets.fractions.data) {
    require_output_shape(targets.fractions.shape, grid.shape, "fractions");
    if (targets.supersample < 1 || targets.supersample > 8)
      throw std::invalid_argument("`supersample` must be in 1..8 points per voxel edge, got supersample=" +
                                  std::to_string(targets.supersample));
  }
}
}  // namespace detail

void rasterize_fibres(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                      const RasterTargets& targets) {
  detail::check_raster_arguments(fibres, shape, grid, targets);
  const detail::GridGeom g = detail::make_grid(grid);
  const std::int64_t total = grid.shape.size();
  const int threads = get_num_threads();
  std::vector<detail::FibreSolid> solids(fibres.size());
  const double grow = detail::candidate_growth(g.h, targets.fractions.data != nullptr);
  for (std::size_t i = 0; i < fibres.size(); ++i) solids[i] = detail::make_solid(fibres[i], shape, g, grow);

  if (targets.instances.data || targets.fractions.data) {
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < total; ++i) {
      if (targets.instances.data) targets.instances.data[i] = 0u;
      if (targets.fractions.data) targets.fractions.data[i] = 0.0f;
    }
  }

#pragma omp parallel for schedule(dynamic, 8) num_threads(threads)
  for (std::int64_t n = 0; n < static_cast<std::int64_t>(solids.size()); ++n) {
    const detail::FibreSolid& s = solids[static_cast<std::size_t>(n)];
    if (s.lo[0] > s.hi[0] || s.lo[1] > s.hi[1] || s.lo[2] > s.hi[2]) continue;
    SharedWriter write{&s, &targets, static_cast<std::uint32_t>(n + 1), g.h};
    detail::visit_solid(s, g, targets.fractions.data != nullptr, write);
  }

  if (targets.fractions.data) {
    const float points = static_cast<float>(targets.supersample * targets.supersample * targets.supersample);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (std::int64_t i = 0; i < total; ++i) {
      const float v = targets.fractions.data[i];
      if (v != 0.0f) targets.fractions.data[i] = std::min(v, points) / points;
    }
  }
}

std::int64_t fibre_voxel_count(const Fibre& fibre, FibreShape shape, const FibreGrid& grid) {
  validate_grid(grid);
  validate_fibres({fibre}, shape, "fibre");
  const detail::GridGeom g = detail::make_grid(grid);
  return detail::count_voxels(detail::make_solid(fibre, shape, g, detail::candidate_growth(g.h, false)), g, nullptr);
}

}  // namespace voxtwin
