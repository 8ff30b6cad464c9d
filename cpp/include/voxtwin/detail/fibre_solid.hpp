#pragma once
// The voxel test of a fibre, shared word for word by the CPU and CUDA rasterizers and by the
// placement's voxel counts. Compiled for host and device from this one source, with no fused
// multiply-add on either side (-ffp-contract=off / -fmad=false), so both backends decide every
// voxel identically. Derived values (half-length, radius², bounds, reciprocals) are computed once
// on the host (make_solid) and copied, never recomputed on the device.
//
// Search order: voxels are visited in columns along the fibre's dominant axis ("column axis"),
// columns grouped in planes across the second one ("plane axis"), so a fibre of length L and
// diameter d costs about (d/h)² columns instead of L d / h² short ones. The ranges are only a
// conservative narrowing; `inside` decides, at the two ends of each column's inside run (a line
// meets a convex solid in one interval, so the voxels between the ends are inside). Labels,
// instance labels and voxel counts all come from these runs, on both backends.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "voxtwin/detail/host_device.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin::detail {

/// Grid extents, voxel size (µm) and wrap flag in a device-friendly form.
struct GridGeom {
  std::int64_t n[3];
  double h;
  int periodic;
};

/// A fibre prepared for voxel tests.
struct FibreSolid {
  double c[3];        ///< centre (µm)
  double u[3];        ///< unit axis
  double half;        ///< half-length of the axis segment (µm)
  double r2;          ///< radius² (µm²)
  double reach;       ///< radius + growth: candidates lie in the capsule of this radius
  double reach2;      ///< reach²
  double slab;        ///< bound on the |axial coordinate| of candidates (µm)
  int capped;         ///< 1 spherocylinder, 0 cylinder
  int ax[3];          ///< plane axis, row axis, column axis (indices into x, y, z)
  double inv_u0;      ///< 1 / u[ax[0]] (0 when it is 0)
  double inv_u2;      ///< 1 / u[ax[2]] (never 0: the column axis is the dominant one)
  double p2;          ///< u[ax[0]]² + u[ax[1]]²: squared length of the axis' shadow across the columns
  double inv_p2;      ///< 1 / p2 (0 when p2 = 0)
  std::int64_t lo[3]; ///< first voxel index per axis x, y, z (unwrapped when periodic, clipped otherwise)
  std::int64_t hi[3]; ///< last voxel index, inclusive; lo > hi means no voxel
};

/// How far (µm) the candidate region reaches beyond the solid. Voxel centres: 1e-4 voxel, many
/// orders above double rounding at any realistic coordinate, so no inside voxel is missed.
/// Partial volumes: a whole voxel, so every voxel with a sub-point inside is a candidate.
inline double candidate_growth(double h, bool partial_volumes) { return partial_volumes ? h : 1e-4 * h; }

inline GridGeom make_grid(const FibreGrid& grid) {
  return GridGeom{{grid.shape.nx, grid.shape.ny, grid.shape.nz}, grid.voxel_size, grid.periodic ? 1 : 0};
}

/// Throws std::invalid_argument for a bad grid, fibre or output (shared by both rasterizers).
void check_raster_arguments(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                            const RasterTargets& targets);

/// Host-side preparation of a fibre for the tests below; `grow` from candidate_growth.
inline FibreSolid make_solid(const Fibre& f, FibreShape shape, const GridGeom& g, double grow) {
  FibreSolid s{};
  const double r = 0.5 * f.diameter;
  s.capped = shape == FibreShape::Spherocylinder ? 1 : 0;
  s.half = s.capped ? 0.5 * std::max(f.length - f.diameter, 0.0) : 0.5 * f.length;
  s.r2 = r * r;
  s.reach = r + grow;
  s.reach2 = s.reach * s.reach;
  s.slab = s.half + (s.capped ? r : 0.0) + grow;
  for (int a = 0; a < 3; ++a) {
    s.c[a] = f.centre[a];
    s.u[a] = f.direction[a];
    // Bounding box of the grown capsule on the axis segment (it contains the cylinder too).
    const double e = s.half * std::fabs(f.direction[a]) + s.reach;
    s.lo[a] = static_cast<std::int64_t>(std::ceil((f.centre[a] - e) / g.h - 0.5));
    s.hi[a] = static_cast<std::int64_t>(std::floor((f.centre[a] + e) / g.h - 0.5));
    if (!g.periodic) {
      s.lo[a] = std::max<std::int64_t>(s.lo[a], 0);
      s.hi[a] = std::min<std::int64_t>(s.hi[a], g.n[a] - 1);
    }
  }
  // Columns along the largest |u| component, planes across the second largest.
  const double m[3] = {std::fabs(f.direction[0]), std::fabs(f.direction[1]), std::fabs(f.direction[2])};
  int col = 2;
  if (m[1] > m[col]) col = 1;
  if (m[0] > m[col]) col = 0;
  const int p = (col + 1) % 3, q = (col + 2) % 3;
  s.ax[0] = m[p] >= m[q] ? p : q;
  s.ax[1] = m[p] >= m[q] ? q : p;
  s.ax[2] = col;
  const double u0 = f.direction[s.ax[0]], u1 = f.direction[s.ax[1]], u2 = f.direction[s.ax[2]];
  s.inv_u0 = u0 != 0.0 ? 1.0 / u0 : 0.0;
  s.inv_u2 = 1.0 / u2;
  s.p2 = u0 * u0 + u1 * u1;
  s.inv_p2 = s.p2 > 0.0 ? 1.0 / s.p2 : 0.0;
  return s;
}

VOXTWIN_HD inline std::int64_t wrap_index(std::int64_t i, std::int64_t n) {
  const std::int64_t m = i % n;
  return m < 0 ? m + n : m;
}

/// True when the point (x, y, z) (µm) lies inside the solid, boundary included.
VOXTWIN_HD inline bool inside(const FibreSolid& f, double x, double y, double z) {
  const double vx = x - f.c[0], vy = y - f.c[1], vz = z - f.c[2];
  const double t = vx * f.u[0] + vy * f.u[1] + vz * f.u[2];
  double tc = t;
  if (t < -f.half) {
    if (!f.capped) return false;
    tc = -f.half;
  } else if (t > f.half) {
    if (!f.capped) return false;
    tc = f.half;
  }
  const double px = vx - tc * f.u[0], py = vy - tc * f.u[1], pz = vz - tc * f.u[2];
  return px * px + py * py + pz * pz <= f.r2;
}

/// Number of the s³ points ((i + (a + 0.5)/s) h, ...) of voxel (i, j, k) (unwrapped x, y, z indices)
/// inside the solid.
VOXTWIN_HD inline int subpoints_inside(const FibreSolid& f, std::int64_t i, std::int64_t j, std::int64_t k, double h,
                                       int s) {
  const double hs = h / s;
  int count = 0;
  for (int a = 0; a < s; ++a) {
    const double x = (static_cast<double>(i * s + a) + 0.5) * hs;
    for (int b = 0; b < s; ++b) {
      const double y = (static_cast<double>(j * s + b) + 0.5) * hs;
      for (int c = 0; c < s; ++c) {
        const double z = (static_cast<double>(k * s + c) + 0.5) * hs;
        count += inside(f, x, y, z) ? 1 : 0;
      }
    }
  }
  return count;
}

/// Index range [lo, hi] of voxel centres (i + 0.5) h within the coordinates [a, b] (µm), cut to
/// the bounds [lo_bound, hi_bound]; clamped in floating point first so that an unbounded side
/// never reaches the integer cast. Empty when lo > hi.
VOXTWIN_HD inline void index_range(double a, double b, double h, std::int64_t lo_bound, std::int64_t hi_bound,
                                   std::int64_t& lo, std::int64_t& hi) {
  const double lb = static_cast<double>(lo_bound), hb = static_cast<double>(hi_bound);
  lo = static_cast<std::int64_t>(std::ceil(std::min(std::max(a / h - 0.5, lb), hb + 1.0)));
  hi = static_cast<std::int64_t>(std::floor(std::max(std::min(b / h - 0.5, hb), lb - 1.0)));
}

/// Range [j0, j1] of row indices (along ax[1]) in plane i (unwrapped, along ax[0]) whose columns
/// may meet the grown capsule: the axis parameters s with |p - c_p - s u_p| <= reach, and the row
/// coordinates of those axis points widened by reach. False when the plane misses the capsule.
VOXTWIN_HD inline bool plane_range(const FibreSolid& f, std::int64_t i, double h, std::int64_t& j0, std::int64_t& j1) {
  const int p = f.ax[0], q = f.ax[1];
  const double x = (static_cast<double>(i) + 0.5) * h - f.c[p];
  double s0 = -f.half, s1 = f.half;
  if (f.inv_u0 != 0.0) {
    double a = (x - f.reach) * f.inv_u0, b = (x + f.reach) * f.inv_u0;
    if (a > b) {
      const double tmp = a;
      a = b;
      b = tmp;
    }
    s0 = std::max(s0, a);
    s1 = std::min(s1, b);
    if (s0 > s1) return false;
  } else if (std::fabs(x) > f.reach) {
    return false;
  }
  const double y0 = f.c[q] + std::min(s0 * f.u[q], s1 * f.u[q]) - f.reach;
  const double y1 = f.c[q] + std::max(s0 * f.u[q], s1 * f.u[q]) + f.reach;
  index_range(y0, y1, h, f.lo[q], f.hi[q], j0, j1);
  return j0 <= j1;
}

/// Range [k0, k1] of indices along the column axis, in the column through plane i and row j
/// (unwrapped), whose voxel centres may lie in the grown capsule; false when there is none.
VOXTWIN_HD inline bool column_range(const FibreSolid& f, std::int64_t i, std::int64_t j, double h, std::int64_t& k0,
                                    std::int64_t& k1) {
  const int p = f.ax[0], q = f.ax[1], r = f.ax[2];
  const double wx = (static_cast<double>(i) + 0.5) * h - f.c[p];
  const double wy = (static_cast<double>(j) + 0.5) * h - f.c[q];
  const double ux = f.u[p], uy = f.u[q], uz = f.u[r];
  // The column meets the grown capsule only if it pierces its shadow across the columns: the
  // projected segment widened by the grown radius.
  const double a = wx * ux + wy * uy;
  const double s = std::min(std::max(a * f.inv_p2, -f.half), f.half);
  const double dx = wx - s * ux, dy = wy - s * uy;
  if (dx * dx + dy * dy > f.reach2) return false;

  // Along the column, offset o from the centre: the axial coordinate a + o uz must stay within the
  // slab, and the squared distance to the axis line, p2 o² - 2 a uz o + (wx² + wy² - a²), within reach².
  double o1 = (-f.slab - a) * f.inv_u2, o2 = (f.slab - a) * f.inv_u2;
  double lo = std::min(o1, o2), hi = std::max(o1, o2);
  if (f.p2 > 1e-9) {  // nearly axial fibres are bounded well enough by the slab alone
    const double b = a * uz;  // roots (b -/+ sqrt(b² - p2 C)) / p2
    const double C = wx * wx + wy * wy - a * a - f.reach2;
    const double D = b * b - f.p2 * C;
    if (D < 0.0) return false;
    const double sq = std::sqrt(D);
    lo = std::max(lo, (b - sq) * f.inv_p2);
    hi = std::min(hi, (b + sq) * f.inv_p2);
  }
  if (lo > hi) return false;
  index_range(f.c[r] + lo, f.c[r] + hi, h, f.lo[r], f.hi[r], k0, k1);
  return k0 <= k1;
}

/// The run [a, b] of column indices in [k0, k1] whose voxel centres lie inside the solid, found
/// from its ends: a line meets a convex solid in one interval, so only the voxels outside the run
/// and its two ends are tested. False when the column holds no inside centre.
VOXTWIN_HD inline bool inside_run(const FibreSolid& f, double* xyz, int r, double h, std::int64_t k0, std::int64_t k1,
                                  std::int64_t& a, std::int64_t& b) {
  a = k0;
  for (; a <= k1; ++a) {
    xyz[r] = (static_cast<double>(a) + 0.5) * h;
    if (inside(f, xyz[0], xyz[1], xyz[2])) break;
  }
  if (a > k1) return false;
  b = k1;
  for (; b > a; --b) {
    xyz[r] = (static_cast<double>(b) + 0.5) * h;
    if (inside(f, xyz[0], xyz[1], xyz[2])) break;
  }
  return true;
}

/// Calls visit(index, x, y, z, centre_inside) along the column (i, j) (unwrapped plane and row
/// indices), in increasing column index: for the voxels whose centre is inside (the inside run)
/// or, with `all_candidates`, for every candidate voxel (partial volumes need those whose centre
/// is just outside; centre_inside is still decided by the run). `index` is the wrapped linear index into vol[x, y, z] and x, y, z the
/// unwrapped voxel indices. Stops early, returning false, when visit returns false.
#ifdef __CUDACC__
#pragma nv_exec_check_disable
#endif
template <class Visit>
VOXTWIN_HD inline bool visit_column(const FibreSolid& f, const GridGeom& g, std::int64_t i, std::int64_t j,
                                    bool all_candidates, Visit& visit) {
  std::int64_t k0 = 0, k1 = -1;
  if (!column_range(f, i, j, g.h, k0, k1)) return true;
  const int p = f.ax[0], q = f.ax[1], r = f.ax[2];
  double xyz[3];
  xyz[p] = (static_cast<double>(i) + 0.5) * g.h;
  xyz[q] = (static_cast<double>(j) + 0.5) * g.h;
  std::int64_t a = 0, b = -1;  // the inside run; empty when the column misses the solid
  const bool hit = inside_run(f, xyz, r, g.h, k0, k1, a, b);
  if (!hit && !all_candidates) return true;
  const std::int64_t first = all_candidates ? k0 : a, last = all_candidates ? k1 : b;
  std::int64_t idx[3];
  idx[p] = i;
  idx[q] = j;
  const std::int64_t stride[3] = {g.n[1] * g.n[2], g.n[2], 1};
  const std::int64_t base = wrap_index(i, g.n[p]) * stride[p] + wrap_index(j, g.n[q]) * stride[q];
  std::int64_t wk = wrap_index(first, g.n[r]);
  for (std::int64_t k = first; k <= last; ++k) {
    idx[r] = k;
    if (!visit(base + wk * stride[r], idx[0], idx[1], idx[2], k >= a && k <= b)) return false;
    if (++wk == g.n[r]) wk = 0;
  }
  return true;
}

/// Visits (as visit_column) the voxels of the fibre, plane by plane. Returns false when visit
/// stopped early.
#ifdef __CUDACC__
#pragma nv_exec_check_disable
#endif
template <class Visit>
VOXTWIN_HD inline bool visit_solid(const FibreSolid& f, const GridGeom& g, bool all_candidates, Visit& visit) {
  for (std::int64_t i = f.lo[f.ax[0]]; i <= f.hi[f.ax[0]]; ++i) {
    std::int64_t j0 = 0, j1 = -1;
    if (!plane_range(f, i, g.h, j0, j1)) continue;
    for (std::int64_t j = j0; j <= j1; ++j)
      if (!visit_column(f, g, i, j, all_candidates, visit)) return false;
  }
  return true;
}

/// Number of voxels whose centre lies inside the solid (host only, for placement); -1 as soon as
/// one of them is forbidden by `mask` (nonzero = allowed; null allows all).
inline std::int64_t count_voxels(const FibreSolid& f, const GridGeom& g, const std::uint8_t* mask) {
  std::int64_t total = 0;
  bool forbidden = false;
  auto count = [&](std::int64_t idx, std::int64_t, std::int64_t, std::int64_t, bool) {
    if (mask && !mask[idx]) {
      forbidden = true;
      return false;
    }
    ++total;
    return true;
  };
  visit_solid(f, g, false, count);
  return forbidden ? -1 : total;
}

}  // namespace voxtwin::detail
