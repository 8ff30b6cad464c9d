#pragma once
// The voxel test of a fibre, shared word for word by the CPU and CUDA rasterizers and by the
// placement's voxel counts. Compiled for host and device from this one source, with no fused
// multiply-add on either side (-ffp-contract=off / -fmad=false), so both backends decide every
// voxel identically. Derived values (half-length, radius², bounds) are computed once on the host
// (make_solid) and copied, never recomputed on the device.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "voxtwin/fibres.hpp"

#ifdef __CUDACC__
#define VOXTWIN_HD __host__ __device__
#else
#define VOXTWIN_HD
#endif

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
  double reach;       ///< radius + grow: the candidate region is the capsule of this radius
  double reach2;      ///< reach²
  double slab;        ///< bound on the |axial coordinate| of candidates (µm)
  double inv_ux;      ///< 1 / u[0] (0 when u[0] = 0)
  double inv_uz;      ///< 1 / u[2] (0 when u[2] = 0)
  double p2;          ///< u[0]² + u[1]², squared length of the axis' XY shadow
  double inv_p2;      ///< 1 / p2 (0 when p2 = 0)
  int capped;         ///< 1 spherocylinder, 0 cylinder
  std::int64_t lo[3]; ///< first voxel index (unwrapped when periodic, clipped otherwise) per axis
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
  // Reciprocals once here, so the per-column ranges need no division.
  s.inv_ux = f.direction[0] != 0.0 ? 1.0 / f.direction[0] : 0.0;
  s.inv_uz = f.direction[2] != 0.0 ? 1.0 / f.direction[2] : 0.0;
  s.p2 = f.direction[0] * f.direction[0] + f.direction[1] * f.direction[1];
  s.inv_p2 = s.p2 > 0.0 ? 1.0 / s.p2 : 0.0;
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

/// Number of the s³ points ((i + (a + 0.5)/s) h, ...) of voxel (i, j, k) (unwrapped indices) inside the solid.
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

/// Range [j0, j1] of voxel y-indices in the X plane i (unwrapped) whose columns may meet the
/// grown capsule: the axis parameters s with |x - cx - s ux| <= reach, and the y span of those
/// axis points widened by reach. False when the plane misses the capsule.
VOXTWIN_HD inline bool plane_range(const FibreSolid& f, std::int64_t i, double h, std::int64_t& j0, std::int64_t& j1) {
  const double x = (static_cast<double>(i) + 0.5) * h - f.c[0];
  double s0 = -f.half, s1 = f.half;
  if (f.u[0] != 0.0) {
    double a = (x - f.reach) * f.inv_ux, b = (x + f.reach) * f.inv_ux;
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
  const double y0 = f.c[1] + std::min(s0 * f.u[1], s1 * f.u[1]) - f.reach;
  const double y1 = f.c[1] + std::max(s0 * f.u[1], s1 * f.u[1]) + f.reach;
  j0 = std::max(f.lo[1], static_cast<std::int64_t>(std::ceil(y0 / h - 0.5)));
  j1 = std::min(f.hi[1], static_cast<std::int64_t>(std::floor(y1 / h - 0.5)));
  return j0 <= j1;
}

/// Range [k0, k1] of voxel z-indices on the column through (x, y) (voxel-centre coordinates, µm)
/// whose centres may lie in the grown capsule; false when there is none. The range only narrows
/// the search (`inside` decides); the growth keeps it conservative against rounding.
VOXTWIN_HD inline bool column_range(const FibreSolid& f, double x, double y, double h, std::int64_t& k0,
                                    std::int64_t& k1) {
  const double wx = x - f.c[0], wy = y - f.c[1];
  const double ux = f.u[0], uy = f.u[1], uz = f.u[2];
  // The column meets the grown capsule only if (x, y) lies in its XY shadow: the projected
  // segment widened by the grown radius.
  const double a = wx * ux + wy * uy;
  const double s = std::min(std::max(a * f.inv_p2, -f.half), f.half);
  const double dx = wx - s * ux, dy = wy - s * uy;
  if (dx * dx + dy * dy > f.reach2) return false;

  // Along the column, offset o = z - cz: the axial coordinate a + o uz must stay within the slab
  // and the squared distance to the axis line, p2 o² - 2 a uz o + (wx² + wy² - a²), within reach².
  // Offsets are only narrowed by the constraints; the bounding box is applied to the indices at the
  // end, in integers, so that no round trip through coordinates can drop its last voxel.
  double lo = -HUGE_VAL, hi = HUGE_VAL;
  if (uz != 0.0) {
    double o1 = (-f.slab - a) * f.inv_uz, o2 = (f.slab - a) * f.inv_uz;
    if (o1 > o2) {
      const double tmp = o1;
      o1 = o2;
      o2 = tmp;
    }
    lo = std::max(lo, o1);
    hi = std::min(hi, o2);
  }
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
  // Clamped in floating point first, so that an unbounded side never reaches the integer cast.
  const double lo_bound = static_cast<double>(f.lo[2]), hi_bound = static_cast<double>(f.hi[2]);
  k0 = static_cast<std::int64_t>(std::ceil(std::min(std::max((f.c[2] + lo) / h - 0.5, lo_bound), hi_bound + 1.0)));
  k1 = static_cast<std::int64_t>(std::floor(std::max(std::min((f.c[2] + hi) / h - 0.5, hi_bound), lo_bound - 1.0)));
  return k0 <= k1;
}

/// Calls visit(index, i, j, k, centre_inside) for every candidate voxel of the column (i, j)
/// (unwrapped indices within the solid's bounds), in increasing k; `index` is the wrapped linear
/// index into vol[x, y, z]. Stops early, returning false, when visit returns false.
#ifdef __CUDACC__
#pragma nv_exec_check_disable
#endif
template <class Visit>
VOXTWIN_HD inline bool visit_column(const FibreSolid& f, const GridGeom& g, std::int64_t i, std::int64_t j,
                                    Visit& visit) {
  const double x = (static_cast<double>(i) + 0.5) * g.h;
  const double y = (static_cast<double>(j) + 0.5) * g.h;
  std::int64_t k0 = 0, k1 = -1;
  if (!column_range(f, x, y, g.h, k0, k1)) return true;
  const std::int64_t base = (wrap_index(i, g.n[0]) * g.n[1] + wrap_index(j, g.n[1])) * g.n[2];
  std::int64_t wk = wrap_index(k0, g.n[2]);
  for (std::int64_t k = k0; k <= k1; ++k) {
    const double z = (static_cast<double>(k) + 0.5) * g.h;
    if (!visit(base + wk, i, j, k, inside(f, x, y, z))) return false;
    if (++wk == g.n[2]) wk = 0;
  }
  return true;
}

/// Calls visit(...) as visit_column does for every candidate voxel of the fibre whose wrapped X
/// index lies in [x0, x1), plane by plane. Returns false when visit stopped early.
#ifdef __CUDACC__
#pragma nv_exec_check_disable
#endif
template <class Visit>
VOXTWIN_HD inline bool visit_solid(const FibreSolid& f, const GridGeom& g, std::int64_t x0, std::int64_t x1,
                                   Visit& visit) {
  for (std::int64_t i = f.lo[0]; i <= f.hi[0]; ++i) {
    const std::int64_t wi = wrap_index(i, g.n[0]);
    if (wi < x0 || wi >= x1) continue;
    std::int64_t j0 = 0, j1 = -1;
    if (!plane_range(f, i, g.h, j0, j1)) continue;
    for (std::int64_t j = j0; j <= j1; ++j)
      if (!visit_column(f, g, i, j, visit)) return false;
  }
  return true;
}

}  // namespace voxtwin::detail
