#pragma once
// Overlap geometry of fibres and the uniform spatial hash that keeps pair tests local, shared by
// random sequential adsorption (fibre_placement.cpp) and migration (fibre_migration.cpp).
// A fibre is tested as the capsule around its axis segment: a spherocylinder is one, a cylinder
// lies inside the capsule on the same segment (a slightly conservative test).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin::detail {

/// A fibre for distance tests: the axis segment c + s u, |s| <= half, and the radius.
struct Capsule {
  double c[3];
  double u[3];
  double half;
  double r;
  double ext[3];  ///< half-extents of the bounding box of the capsule
};

inline Capsule make_capsule(const Fibre& f, FibreShape shape) {
  Capsule k{};
  k.r = 0.5 * f.diameter;
  k.half = shape == FibreShape::Spherocylinder ? 0.5 * std::max(f.length - f.diameter, 0.0) : 0.5 * f.length;
  for (int a = 0; a < 3; ++a) {
    k.c[a] = f.centre[a];
    k.u[a] = f.direction[a];
    k.ext[a] = k.half * std::fabs(f.direction[a]) + k.r;
  }
  return k;
}

inline double dot3(const double* a, const double* b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/// Squared distance between the segments p(s) = c1 + s u1 (|s| <= h1) and q(t) = c2 + t u2
/// (|t| <= h2), given w = c1 - c2 (which may include a periodic shift); the closest parameters go
/// to *s_out, *t_out. Minimizes |w + s u1 - t u2|²: the stationary point is
/// s = (b e - d) / (1 - b²), t = b s + e with b = u1.u2, d = u1.w, e = u2.w; a clamped t is
/// followed by the best s for that t. For parallel axes any s is stationary and s = 0 followed by
/// the two clamps gives the minimum.
inline double segment_closest(const double* w, const Capsule& p, const Capsule& q, double* s_out, double* t_out) {
  const double b = dot3(p.u, q.u), d = dot3(p.u, w), e = dot3(q.u, w);
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
  *s_out = s;
  *t_out = t;
  return sum;
}

inline double segment_distance2(const double* w, const Capsule& p, const Capsule& q) {
  double s, t;
  return segment_closest(w, p, q, &s, &t);
}

/// Calls fn(w) for w = p.c - q.c - k * period over the periodic shifts k that can bring the two
/// bounding boxes (grown by `gap`) together (only k = 0 when not periodic), x slowest; stops
/// early and returns true when fn returns true. `self` skips k = 0 (a fibre against its images).
template <class F>
bool for_each_image(const Capsule& p, const Capsule& q, double gap, bool periodic, const double* period, bool self,
                    F&& fn) {
  std::int64_t kmin[3], kmax[3];
  double delta[3];
  for (int a = 0; a < 3; ++a) {
    delta[a] = p.c[a] - q.c[a];
    const double reach = p.ext[a] + q.ext[a] + gap;
    if (periodic) {
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
        if (self && kx == 0 && ky == 0 && kz == 0) continue;
        const double w[3] = {delta[0] - kx * period[0], delta[1] - ky * period[1], delta[2] - kz * period[2]};
        if (fn(w)) return true;
      }
  return false;
}

/// Scratch of one hash query (one per thread when queries run in parallel).
struct HashQuery {
  std::vector<std::uint32_t> stamp;  ///< last query that looked at each fibre
  std::uint32_t epoch = 0;
  std::vector<int> range[3];         ///< cell indices per axis
};

/// Uniform spatial hash over the box [0, period): every fibre is listed in each cell its bounding
/// box, grown by `grow`, touches (wrapped when periodic, clamped to the box otherwise).
class CapsuleHash {
 public:
  /// Cells of about `size` µm (at most 2^22 cells).
  void build(const double* period, bool periodic, double size) {
    periodic_ = periodic;
    for (;;) {
      for (int a = 0; a < 3; ++a) nc_[a] = std::max(1, static_cast<int>(std::min(period[a] / size, 1e6)));
      if (double(nc_[0]) * nc_[1] * nc_[2] <= double(1 << 22)) break;
      size *= 1.25;
    }
    for (int a = 0; a < 3; ++a) cell_[a] = period[a] / nc_[a];
    head_.assign(static_cast<std::size_t>(nc_[0]) * nc_[1] * nc_[2], -1);
    next_.clear();
    owner_.clear();
  }
  /// Forgets every entry, keeps the cells.
  void clear() {
    std::fill(head_.begin(), head_.end(), -1);
    next_.clear();
    owner_.clear();
  }
  /// Lists fibre `id` in the cells of its box grown by `grow` µm; `q` is scratch.
  void insert(std::int32_t id, const Capsule& k, double grow, HashQuery& q) {
    cells_of(k, grow, q);
    for (int i : q.range[0])
      for (int j : q.range[1])
        for (int c : q.range[2]) {
          const std::size_t cell_id = cell_index(i, j, c);
          owner_.push_back(id);
          next_.push_back(head_[cell_id]);
          head_[cell_id] = static_cast<std::int32_t>(owner_.size() - 1);
        }
  }
  /// Calls fn(f) once for every fibre f listed in a cell that the box of `k`, grown by `grow`,
  /// touches, in a fixed order (cells x slowest, then the latest entries first); stops early
  /// and returns true when fn returns true. q.stamp must hold one entry per fibre id.
  template <class F>
  bool visit(const Capsule& k, double grow, HashQuery& q, F&& fn) const {
    if (++q.epoch == 0) {  // wrapped around: forget old stamps
      std::fill(q.stamp.begin(), q.stamp.end(), 0u);
      q.epoch = 1;
    }
    cells_of(k, grow, q);
    for (int i : q.range[0])
      for (int j : q.range[1])
        for (int c : q.range[2])
          for (std::int32_t e = head_[cell_index(i, j, c)]; e >= 0; e = next_[static_cast<std::size_t>(e)]) {
            const std::int32_t f = owner_[static_cast<std::size_t>(e)];
            if (q.stamp[static_cast<std::size_t>(f)] == q.epoch) continue;
            q.stamp[static_cast<std::size_t>(f)] = q.epoch;
            if (fn(f)) return true;
          }
    return false;
  }

 private:
  bool periodic_ = true;
  int nc_[3] = {1, 1, 1};
  double cell_[3] = {1.0, 1.0, 1.0};
  std::vector<std::int32_t> head_;   // first entry of each cell, -1 when empty
  std::vector<std::int32_t> next_;   // next entry in the same cell
  std::vector<std::int32_t> owner_;  // fibre of each entry

  std::size_t cell_index(int i, int j, int k) const { return (static_cast<std::size_t>(i) * nc_[1] + j) * nc_[2] + k; }

  // Cells touched by [lo, hi] (µm) along axis a: wrapped when periodic, clamped to the box
  // otherwise (clamping is monotone, so boxes that overlap still share a cell).
  void cells_along(int a, double lo, double hi, std::vector<int>& out) const {
    out.clear();
    const double i0 = std::floor(lo / cell_[a]), i1 = std::floor(hi / cell_[a]);
    if (periodic_) {
      if (i1 - i0 + 1 >= nc_[a]) {
        for (int i = 0; i < nc_[a]; ++i) out.push_back(i);
      } else {
        for (double i = i0; i <= i1; i += 1.0)
          out.push_back(static_cast<int>(wrap_index(static_cast<std::int64_t>(i), nc_[a])));
      }
    } else {
      const int c0 = static_cast<int>(std::min(std::max(i0, 0.0), double(nc_[a] - 1)));
      const int c1 = static_cast<int>(std::min(std::max(i1, 0.0), double(nc_[a] - 1)));
      for (int i = c0; i <= c1; ++i) out.push_back(i);
    }
  }
  void cells_of(const Capsule& k, double grow, HashQuery& q) const {
    for (int a = 0; a < 3; ++a) {
      const double e = k.ext[a] + grow;
      cells_along(a, k.c[a] - e, k.c[a] + e, q.range[a]);
    }
  }
};

}  // namespace voxtwin::detail
