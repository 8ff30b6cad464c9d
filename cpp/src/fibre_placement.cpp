// Fibre placement by random sequential adsorption with a uniform spatial hash.
// Fibre sizes and directions come from the caller (Python draws them from the distributions and
// the seed); the only numbers drawn here are the centres of the tries, from a counter-based
// generator keyed by the caller. The same inputs give the same fibres.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "capsule_hash.hpp"
#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/detail/random.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin {

using detail::Capsule;
using detail::make_capsule;
using detail::segment_distance2;

double axis_distance(const Fibre& a, const Fibre& b, FibreShape shape) {
  validate_fibres({a, b}, shape, "fibres");
  const Capsule p = make_capsule(a, shape), q = make_capsule(b, shape);
  const double w[3] = {p.c[0] - q.c[0], p.c[1] - q.c[1], p.c[2] - q.c[2]};
  return std::sqrt(segment_distance2(w, p, q));
}

struct FibrePlacer::Impl {
  FibreGrid grid;
  FibreShape shape;
  double gap;
  VolumeView<const std::uint8_t> mask;
  detail::GridGeom g;
  double period[3];

  // Spatial hash: every fibre is listed in each cell its box grown by gap/2 touches.
  double requested_cell = 0.0;
  bool hashed = false;
  detail::CapsuleHash hash;
  detail::HashQuery query;

  std::vector<Fibre> fibres;
  std::vector<Capsule> capsules;
  std::vector<std::int64_t> counts;
  std::int64_t total = 0;
  PlacementStats stats;

  void build_hash(const std::vector<Fibre>& first) {
    double size = requested_cell;
    if (size <= 0.0) {  // a third of the mean length: a fibre touches a handful of cells
      double mean_length = 0.0, mean_diameter = 0.0;
      for (const Fibre& f : first) {
        mean_length += f.length;
        mean_diameter += f.diameter;
      }
      mean_length /= double(first.size());
      mean_diameter /= double(first.size());
      size = std::max({grid.voxel_size, mean_length / 3.0, mean_diameter});
    }
    hash.build(period, g.periodic != 0, size);
    hashed = true;
  }

  bool pair_overlaps(const Capsule& p, const Capsule& q) const {
    const double limit = p.r + q.r + gap;
    return detail::for_each_image(p, q, gap, g.periodic != 0, period, false,
                                  [&](const double* w) { return segment_distance2(w, p, q) < limit * limit; });
  }

  // A fibre longer than the box may touch its own periodic images.
  bool self_overlaps(const Capsule& p) const {
    if (!g.periodic) return false;
    const double limit = 2.0 * p.r + gap;
    return detail::for_each_image(p, p, gap, true, period, true,
                                  [&](const double* w) { return segment_distance2(w, p, p) < limit * limit; });
  }

  bool overlaps_held(const Capsule& p) {
    if (fibres.empty()) return false;
    return hash.visit(p, 0.5 * gap, query,
                      [&](std::int32_t f) { return pair_overlaps(p, capsules[static_cast<std::size_t>(f)]); });
  }

  // Voxels whose centre lies inside the fibre; -1 when one of them is forbidden by the mask.
  std::int64_t voxels_of(const Fibre& f, bool use_mask) const {
    const detail::FibreSolid s = detail::make_solid(f, shape, g, detail::candidate_growth(g.h, false));
    return detail::count_voxels(s, g, use_mask ? mask.data : nullptr);
  }

  void hold(const Fibre& f, const Capsule& k, std::int64_t count) {
    if (fibres.size() >= static_cast<std::size_t>(INT32_MAX))
      throw std::length_error("FibrePlacer holds at most 2^31 - 1 fibres");
    const std::int32_t id = static_cast<std::int32_t>(fibres.size());
    fibres.push_back(f);
    capsules.push_back(k);
    counts.push_back(count);
    query.stamp.push_back(0u);
    total += count;
    hash.insert(id, k, 0.5 * gap, query);
  }
};

FibrePlacer::FibrePlacer(const FibreGrid& grid, FibreShape shape, double min_gap, VolumeView<const std::uint8_t> mask,
                         double cell_size)
    : impl_(std::make_unique<Impl>()) {
  validate_grid(grid);
  if (!std::isfinite(min_gap) || min_gap < 0.0)
    throw std::invalid_argument("`min_gap` must be a finite number >= 0 µm, got min_gap=" + std::to_string(min_gap));
  if (!std::isfinite(cell_size) || cell_size < 0.0)
    throw std::invalid_argument("`cell_size` must be >= 0 µm (0 = automatic), got cell_size=" +
                                std::to_string(cell_size));
  if (mask.data && mask.shape != grid.shape)
    throw std::invalid_argument("`mask` must have the grid shape (" + std::to_string(grid.shape.nx) + ", " +
                                std::to_string(grid.shape.ny) + ", " + std::to_string(grid.shape.nz) + "), got (" +
                                std::to_string(mask.shape.nx) + ", " + std::to_string(mask.shape.ny) + ", " +
                                std::to_string(mask.shape.nz) + ")");
  Impl& m = *impl_;
  m.grid = grid;
  m.shape = shape;
  m.gap = min_gap;
  m.mask = mask;
  m.g = detail::make_grid(grid);
  m.requested_cell = cell_size;
  const std::int64_t n[3] = {grid.shape.nx, grid.shape.ny, grid.shape.nz};
  for (int a = 0; a < 3; ++a) m.period[a] = double(n[a]) * grid.voxel_size;
}

FibrePlacer::~FibrePlacer() = default;

std::vector<std::uint8_t> FibrePlacer::add(const std::vector<Fibre>& fibres) {
  validate_fibres(fibres, impl_->shape, "fibres");
  std::vector<std::uint8_t> clash(fibres.size(), 0);
  if (fibres.empty()) return clash;
  if (!impl_->hashed) impl_->build_hash(fibres);
  for (std::size_t i = 0; i < fibres.size(); ++i) {
    const Capsule k = make_capsule(fibres[i], impl_->shape);
    clash[i] = (impl_->self_overlaps(k) || impl_->overlaps_held(k)) ? 1 : 0;
    impl_->hold(fibres[i], k, impl_->voxels_of(fibres[i], false));
  }
  return clash;
}

PlacementBatch FibrePlacer::place(const std::vector<Fibre>& fibres, std::int64_t target_voxels,
                                  const CentreDraw* draw, std::int64_t max_examined) {
  Impl& m = *impl_;
  if (max_examined < 0)
    throw std::invalid_argument("`max_examined` must be >= 0, got max_examined=" + std::to_string(max_examined));
  if (draw) {
    if (draw->tries < 1)
      throw std::invalid_argument("`tries` must be >= 1 per fibre, got tries=" + std::to_string(draw->tries));
    for (int a = 0; a < 3; ++a)
      if (!(std::isfinite(draw->lo[a]) && std::isfinite(draw->hi[a]) && draw->lo[a] < draw->hi[a]))
        throw std::invalid_argument("`lo` and `hi` must bound a box of finite, positive extent");
  }
  validate_fibres(fibres, m.shape, "fibres");
  PlacementBatch out;
  out.target_reached = m.total >= target_voxels;
  if (out.target_reached || fibres.empty()) return out;
  if (!m.hashed) m.build_hash(fibres);
  const std::int64_t tries = draw ? draw->tries : 1;
  for (std::size_t i = 0; i < fibres.size() && !out.target_reached && out.examined < max_examined; ++i) {
    Fibre f = fibres[i];
    std::int64_t t = 0;
    bool placed = false;
    for (; t < tries && out.examined < max_examined; ++t) {
      if (draw) {
        const std::uint64_t base = (static_cast<std::uint64_t>(i) * static_cast<std::uint64_t>(tries) + t) * 3u;
        for (int a = 0; a < 3; ++a)
          f.centre[a] = draw->lo[a] + (draw->hi[a] - draw->lo[a]) * detail::uniform01(draw->key, base + a);
      }
      ++m.stats.examined;
      ++out.examined;
      const Capsule k = make_capsule(f, m.shape);
      if (m.self_overlaps(k) || m.overlaps_held(k)) {
        ++m.stats.rejected_overlap;
        continue;
      }
      const std::int64_t count = m.voxels_of(f, true);
      if (count < 0) {
        ++m.stats.rejected_mask;
        continue;
      }
      if (count == 0) {  // invisible at this voxel size, or outside a non-periodic box
        ++m.stats.rejected_empty;
        continue;
      }
      m.hold(f, k, count);
      ++m.stats.accepted;
      out.accepted.push_back(static_cast<std::int64_t>(i));
      out.centres.push_back(f.centre);
      out.target_reached = m.total >= target_voxels;
      placed = true;
      break;
    }
    // A fibre cut short by the budget is not abandoned: it simply was not finished.
    if (draw && !placed && t == tries) ++m.stats.abandoned;
  }
  return out;
}

bool FibrePlacer::overlaps(const Fibre& fibre) const {
  validate_fibres({fibre}, impl_->shape, "fibre");
  const Capsule k = make_capsule(fibre, impl_->shape);
  if (impl_->self_overlaps(k)) return true;
  if (!impl_->hashed) return false;
  return impl_->overlaps_held(k);
}

const std::vector<Fibre>& FibrePlacer::fibres() const { return impl_->fibres; }
const std::vector<std::int64_t>& FibrePlacer::voxel_counts() const { return impl_->counts; }
std::int64_t FibrePlacer::fibre_voxels() const { return impl_->total; }
const PlacementStats& FibrePlacer::stats() const { return impl_->stats; }

}  // namespace voxtwin
