// Fibre placement by random sequential adsorption with a uniform spatial hash.
// Fibre sizes and directions come from the caller (Python draws them from the distributions and
// the seed); the only numbers drawn here are the centres of the tries, from a counter-based
// generator keyed by the caller. The same inputs give the same fibres.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/detail/random.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin {

namespace {

// A fibre for distance tests: the axis segment c + s u, |s| <= half, and the radius.
struct Capsule {
  double c[3];
  double u[3];
  double half;
  double r;
  double ext[3];  // half-extents of the bounding box of the capsule
};

Capsule make_capsule(const Fibre& f, FibreShape shape) {
  Capsule k{};
  k.r = 0.5 * f.diameter;
  // A cylinder lies inside the spherocylinder on the same segment: keeping those apart is a safe test.
  k.half = shape == FibreShape::Spherocylinder ? 0.5 * std::max(f.length - f.diameter, 0.0) : 0.5 * f.length;
  for (int a = 0; a < 3; ++a) {
    k.c[a] = f.centre[a];
    k.u[a] = f.direction[a];
    k.ext[a] = k.half * std::fabs(f.direction[a]) + k.r;
  }
  return k;
}

double dot(const double* a, const double* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// Squared distance between the segments p(s) = c1 + s u1 (|s| <= h1) and q(t) = c2 + t u2
// (|t| <= h2), given w = c1 - c2 (which may include a periodic shift). Minimizes
// |w + s u1 - t u2|²: the stationary point is s = (b e - d) / (1 - b²), t = b s + e with
// b = u1.u2, d = u1.w, e = u2.w; a clamped t is followed by the best s for that t. For parallel
// axes any s is stationary and s = 0 followed by the two clamps gives the minimum.
double segment_distance2(const double* w, const Capsule& p, const Capsule& q) {
  const double b = dot(p.u, q.u), d = dot(p.u, w), e = dot(q.u, w);
  const double denom = 1.0 - b * b;
  double s = denom > 1e-12 ? (b * e - d) / denom : 0.0;
  s = std::min(std::max(s, -p.half), p.half);
  double t = b * s + e;
  if (t < -q.half || t > q.half) {
    t = std::min(std::max(t, -q.half), q.half);
    s = std::min(std::max(b * t - d, -p.half), p.half);
  }
  double sum = 0.0;
  for (int a = 0; a < 3; ++a) {
    const double v = w[a] + s * p.u[a] - t * q.u[a];
    sum += v * v;
  }
  return sum;
}

}  // namespace

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

  // Spatial hash: every fibre is listed in each cell its grown bounding box touches.
  double requested_cell = 0.0;
  bool hashed = false;
  int nc[3] = {1, 1, 1};
  double cell[3] = {1.0, 1.0, 1.0};
  std::vector<std::int32_t> head;   // first entry of each cell, -1 when empty
  std::vector<std::int32_t> next;   // next entry in the same cell
  std::vector<std::int32_t> owner;  // fibre of each entry
  std::vector<std::uint32_t> stamp; // last query that looked at each fibre
  std::uint32_t epoch = 0;
  std::vector<int> range[3];        // scratch: cell indices per axis

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
    // Bound the table: at most 2^22 cells.
    for (;;) {
      for (int a = 0; a < 3; ++a) nc[a] = std::max(1, static_cast<int>(std::min(period[a] / size, 1e6)));
      if (double(nc[0]) * nc[1] * nc[2] <= double(1 << 22)) break;
      size *= 1.25;
    }
    for (int a = 0; a < 3; ++a) cell[a] = period[a] / nc[a];
    head.assign(static_cast<std::size_t>(nc[0]) * nc[1] * nc[2], -1);
    hashed = true;
  }

  // Cells touched by [lo, hi] (µm) along axis a: wrapped when periodic, clamped to the box otherwise
  // (clamping is monotone, so boxes that overlap still share a cell).
  void cells_along(int a, double lo, double hi) {
    std::vector<int>& out = range[a];
    out.clear();
    const double i0 = std::floor(lo / cell[a]), i1 = std::floor(hi / cell[a]);
    if (g.periodic) {
      if (i1 - i0 + 1 >= nc[a]) {
        for (int i = 0; i < nc[a]; ++i) out.push_back(i);
      } else {
        for (double i = i0; i <= i1; i += 1.0)
          out.push_back(static_cast<int>(detail::wrap_index(static_cast<std::int64_t>(i), nc[a])));
      }
    } else {
      const int c0 = static_cast<int>(std::min(std::max(i0, 0.0), double(nc[a] - 1)));
      const int c1 = static_cast<int>(std::min(std::max(i1, 0.0), double(nc[a] - 1)));
      for (int i = c0; i <= c1; ++i) out.push_back(i);
    }
  }

  void cells_of(const Capsule& k) {
    for (int a = 0; a < 3; ++a) {
      const double e = k.ext[a] + 0.5 * gap;
      cells_along(a, k.c[a] - e, k.c[a] + e);
    }
  }

  std::size_t cell_index(int i, int j, int k) const {
    return (static_cast<std::size_t>(i) * nc[1] + j) * nc[2] + k;
  }

  bool pair_overlaps(const Capsule& p, const Capsule& q) const {
    const double limit = p.r + q.r + gap;
    std::int64_t kmin[3], kmax[3];
    double delta[3];
    for (int a = 0; a < 3; ++a) {
      delta[a] = p.c[a] - q.c[a];
      const double reach = p.ext[a] + q.ext[a] + gap;
      if (g.periodic) {
        kmin[a] = static_cast<std::int64_t>(std::ceil((delta[a] - reach) / period[a]));
        kmax[a] = static_cast<std::int64_t>(std::floor((delta[a] + reach) / period[a]));
        if (kmin[a] > kmax[a]) return false;
      } else {
        if (std::fabs(delta[a]) > reach) return false;
        kmin[a] = kmax[a] = 0;
      }
    }
    for (std::int64_t kx = kmin[0]; kx <= kmax[0]; ++kx)
      for (std::int64_t ky = kmin[1]; ky <= kmax[1]; ++ky)
        for (std::int64_t kz = kmin[2]; kz <= kmax[2]; ++kz) {
          const double w[3] = {delta[0] - kx * period[0], delta[1] - ky * period[1], delta[2] - kz * period[2]};
          if (segment_distance2(w, p, q) < limit * limit) return true;
        }
    return false;
  }

  // A fibre longer than the box may touch its own periodic images.
  bool self_overlaps(const Capsule& p) const {
    if (!g.periodic) return false;
    const double limit = 2.0 * p.r + gap;
    std::int64_t kmax[3];
    for (int a = 0; a < 3; ++a) kmax[a] = static_cast<std::int64_t>(std::floor((2.0 * p.ext[a] + gap) / period[a]));
    if (kmax[0] == 0 && kmax[1] == 0 && kmax[2] == 0) return false;
    for (std::int64_t kx = -kmax[0]; kx <= kmax[0]; ++kx)
      for (std::int64_t ky = -kmax[1]; ky <= kmax[1]; ++ky)
        for (std::int64_t kz = -kmax[2]; kz <= kmax[2]; ++kz) {
          if (kx == 0 && ky == 0 && kz == 0) continue;
          const double w[3] = {-kx * period[0], -ky * period[1], -kz * period[2]};
          if (segment_distance2(w, p, p) < limit * limit) return true;
        }
    return false;
  }

  bool overlaps_held(const Capsule& p) {
    if (fibres.empty()) return false;
    if (++epoch == 0) {  // wrapped around: forget old stamps
      std::fill(stamp.begin(), stamp.end(), 0u);
      epoch = 1;
    }
    cells_of(p);
    for (int i : range[0])
      for (int j : range[1])
        for (int k : range[2])
          for (std::int32_t e = head[cell_index(i, j, k)]; e >= 0; e = next[static_cast<std::size_t>(e)]) {
            const std::int32_t f = owner[static_cast<std::size_t>(e)];
            if (stamp[static_cast<std::size_t>(f)] == epoch) continue;
            stamp[static_cast<std::size_t>(f)] = epoch;
            if (pair_overlaps(p, capsules[static_cast<std::size_t>(f)])) return true;
          }
    return false;
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
    stamp.push_back(0u);
    total += count;
    cells_of(k);
    for (int i : range[0])
      for (int j : range[1])
        for (int c : range[2]) {
          const std::size_t cell_id = cell_index(i, j, c);
          owner.push_back(id);
          next.push_back(head[cell_id]);
          head[cell_id] = static_cast<std::int32_t>(owner.size() - 1);
        }
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
