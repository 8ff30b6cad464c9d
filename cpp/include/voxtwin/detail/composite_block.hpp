#pragma once
// Per-block arithmetic of composite voxels, shared by the CPU (cpp/src/composite_voxels.cpp)
// and CUDA (cuda/composite_voxels.cu) kernels: the same source on both sides is how they give
// identical bytes. Label access goes through a source type with
//   std::uint8_t label(x, y, z)      x, y, z in [-1, n] (halo: wrapped or clamped by the source)
//   std::uint32_t instance(x, y, z)  inside the volume only
// so that the CPU reads the whole volume and the GPU a slab with halo planes.
// Integer sums throughout; the fibre normal is double arithmetic without fused multiply-add
// (-ffp-contract=off / -fmad=false), rounded once to float.
#include <cmath>
#include <cstdint>

#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/detail/host_device.hpp"

namespace voxtwin::detail {

/// Index along an axis of extent n for i in [-1, n]: wrapped when periodic, else clamped.
VOXTWIN_HD inline std::int64_t halo_index(std::int64_t i, std::int64_t n, bool periodic) {
  if (i < 0) return periodic ? i + n : 0;
  if (i >= n) return periodic ? i - n : n - 1;
  return i;
}

/// The whole volume in memory (CPU; also usable on the GPU).
struct WholeVolume {
  const std::uint8_t* labels = nullptr;
  const std::uint32_t* instances = nullptr;
  Shape3 shape;
  bool periodic = true;

  VOXTWIN_HD std::uint8_t label(std::int64_t x, std::int64_t y, std::int64_t z) const {
    return labels[(halo_index(x, shape.nx, periodic) * shape.ny + halo_index(y, shape.ny, periodic)) * shape.nz +
                  halo_index(z, shape.nz, periodic)];
  }
  VOXTWIN_HD std::uint32_t instance(std::int64_t x, std::int64_t y, std::int64_t z) const {
    return instances[(x * shape.ny + y) * shape.nz + z];
  }
};

/// What every block needs besides the labels (device pointers on the GPU).
struct BlockParams {
  int factor = 4;
  bool periodic = true;
  Shape3 shape;                             ///< fine grid
  const std::int32_t* weights = nullptr;    ///< 256 entries
  bool use_fibres = false;
  const double* centres = nullptr;          ///< 3 per fibre
  const double* directions = nullptr;       ///< 3 per fibre
  const double* half_lengths = nullptr;     ///< per fibre, or null (infinite cylinders)
  const double* radii = nullptr;            ///< per fibre, with half_lengths
  bool rounded = false;                     ///< spherocylinders
  std::int64_t n_fibres = 0;
};

/// Outward normal of a capped cylinder (radius R, half-length h along unit axis) at the surface
/// point nearest to a point with radial offset r (|r| = rl) and axial coordinate t: radial on the
/// mantle, axial at the caps, their blend around the rims. `excess` is the signed distance.
VOXTWIN_HD inline void capped_cylinder_normal(const double r[3], double rl, double t, const double axis[3], double R,
                                              double h, double* n, double* excess) {
  const double a = rl - R, b = (t < 0.0 ? -t : t) - h, s = t < 0.0 ? -1.0 : 1.0;
  const double wr = a > 0.0 && b > 0.0 ? a : (b > a ? 0.0 : 1.0);
  const double wa = a > 0.0 && b > 0.0 ? b : (b > a ? 1.0 : 0.0);
  const double inv = rl > 0.0 ? 1.0 / rl : 0.0;
  for (int k = 0; k < 3; ++k) n[k] = wr * r[k] * inv + wa * s * axis[k];
  *excess = a > 0.0 && b > 0.0 ? sqrt(a * a + b * b) : (a > b ? a : b);
}

/// Surface normal of fibre `row` (of p's table, in p's length units) at the point nearest to the
/// point (px, py, pz): radial from the axis, axial at flat end faces, away from the cap centre of a
/// spherocylinder; of the nearest periodic image when p.periodic (p.shape gives the period).
/// False when the point sits on the axis or the direction is zero. Shared by the voxel route
/// (fibre_normal) and the fibre-table route (cpp/src/fibre_composite.cpp).
VOXTWIN_HD inline bool fibre_row_normal(const BlockParams& p, std::int64_t row, double px, double py, double pz,
                                        float* normal) {
  const double* c = p.centres + 3 * row;
  const double* d = p.directions + 3 * row;
  const double dd = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
  if (!(dd > 0.0)) return false;
  const double v[3] = {px - c[0], py - c[1], pz - c[2]};
  const double L[3] = {static_cast<double>(p.shape.nx), static_cast<double>(p.shape.ny),
                       static_cast<double>(p.shape.nz)};
  const double dl = sqrt(dd);
  const double axis[3] = {d[0] / dl, d[1] / dl, d[2] / dl};
  const bool capped = p.half_lengths != nullptr;
  // Periodic twins: the image of the fibre nearest to the block (perpendicular distance for
  // infinite cylinders, distance to the surface for capped ones).
  const int reach = p.periodic ? 1 : 0;
  bool found = false;
  double best = 0.0, best_n[3] = {0.0, 0.0, 0.0};
  for (int sx = -reach; sx <= reach; ++sx)
    for (int sy = -reach; sy <= reach; ++sy)
      for (int sz = -reach; sz <= reach; ++sz) {
        const double w[3] = {v[0] + sx * L[0], v[1] + sy * L[1], v[2] + sz * L[2]};
        const double t = w[0] * axis[0] + w[1] * axis[1] + w[2] * axis[2];
        const double r[3] = {w[0] - t * axis[0], w[1] - t * axis[1], w[2] - t * axis[2]};
        const double r2 = r[0] * r[0] + r[1] * r[1] + r[2] * r[2];
        double n[3] = {r[0], r[1], r[2]}, score = r2;
        if (capped && p.rounded) {  // spherocylinder: away from the nearest point of the axis segment
          const double h = p.half_lengths[row], tc = t < -h ? -h : (t > h ? h : t);
          for (int k = 0; k < 3; ++k) n[k] = w[k] - tc * axis[k];
          score = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]) - p.radii[row];
        } else if (capped) {
          capped_cylinder_normal(r, sqrt(r2), t, axis, p.radii[row], p.half_lengths[row], n, &score);
        }
        if (!found || score < best) {
          found = true;
          best = score;
          best_n[0] = n[0];
          best_n[1] = n[1];
          best_n[2] = n[2];
        }
      }
  if (!(best_n[0] != 0.0 || best_n[1] != 0.0 || best_n[2] != 0.0)) return false;  // on the axis
  for (int a = 0; a < 3; ++a) normal[a] = static_cast<float>(best_n[a]);
  return true;
}

/// The radial direction from the axis of the block's dominant fibre to the block centre.
/// False when the block holds no listed fibre or sits on the axis.
template <class Src>
VOXTWIN_HD bool fibre_normal(const Src& src, std::int64_t x0, std::int64_t y0, std::int64_t z0, const BlockParams& p,
                             float* normal) {
  constexpr int kIds = 8;  // distinct instances tracked per block; more never occur at sane resolutions
  std::uint32_t ids[kIds];
  int counts[kIds];
  int m = 0;
  const int f = p.factor;
  for (int i = 0; i < f; ++i)
    for (int j = 0; j < f; ++j)
      for (int k = 0; k < f; ++k) {
        const std::uint32_t id = src.instance(x0 + i, y0 + j, z0 + k);
        if (id == 0u) continue;
        int s = 0;
        while (s < m && ids[s] != id) ++s;
        if (s < m) {
          ++counts[s];
        } else if (m < kIds) {
          ids[m] = id;
          counts[m] = 1;
          ++m;
        }
      }
  if (m == 0) return false;
  int top = 0;
  for (int s = 1; s < m; ++s)
    if (counts[s] > counts[top] || (counts[s] == counts[top] && ids[s] < ids[top])) top = s;
  const std::int64_t row = static_cast<std::int64_t>(ids[top]) - 1;
  if (row >= p.n_fibres) return false;
  const double half = 0.5 * f;
  return fibre_row_normal(p, row, static_cast<double>(x0) + half, static_cast<double>(y0) + half,
                          static_cast<double>(z0) + half, normal);
}

/// Interface normal from the fine geometry (see composite_voxels.hpp): the summed central
/// differences of w over the block, else the second-moment axis, else e_x.
template <class Src>
VOXTWIN_HD void geometry_normal(const Src& src, std::int64_t x0, std::int64_t y0, std::int64_t z0,
                                const BlockParams& p, const CompositeCell& cell, int n_labels, float* normal) {
  const int f = p.factor;
  const std::uint8_t first = cell.label[0];
  // Two labels: indicator of the first; more: the caller's integer weights.
  auto w = [&](std::uint8_t l) -> std::int64_t { return n_labels == 2 ? (l == first ? 1 : 0) : p.weights[l]; };
  std::int64_t g[3] = {0, 0, 0};
  for (int u = 0; u < f; ++u)
    for (int v = 0; v < f; ++v) {
      g[0] += w(src.label(x0 + f, y0 + u, z0 + v)) + w(src.label(x0 + f - 1, y0 + u, z0 + v)) -
              w(src.label(x0, y0 + u, z0 + v)) - w(src.label(x0 - 1, y0 + u, z0 + v));
      g[1] += w(src.label(x0 + u, y0 + f, z0 + v)) + w(src.label(x0 + u, y0 + f - 1, z0 + v)) -
              w(src.label(x0 + u, y0, z0 + v)) - w(src.label(x0 + u, y0 - 1, z0 + v));
      g[2] += w(src.label(x0 + u, y0 + v, z0 + f)) + w(src.label(x0 + u, y0 + v, z0 + f - 1)) -
              w(src.label(x0 + u, y0 + v, z0)) - w(src.label(x0 + u, y0 + v, z0 - 1));
    }
  if (g[0] != 0 || g[1] != 0 || g[2] != 0) {
    for (int a = 0; a < 3; ++a) normal[a] = static_cast<float>(g[a]);
    return;
  }
  // Symmetric block: compare w's second moment about the block centre per axis with that of
  // a uniform block, (f^2 - 1)/3 per unit weight (coordinates doubled to stay integer).
  std::int64_t total = 0, moment[3] = {0, 0, 0};
  for (int i = 0; i < f; ++i)
    for (int j = 0; j < f; ++j)
      for (int k = 0; k < f; ++k) {
        const std::int64_t wv = w(src.label(x0 + i, y0 + j, z0 + k));
        const std::int64_t di = 2 * i - (f - 1), dj = 2 * j - (f - 1), dk = 2 * k - (f - 1);
        total += wv;
        moment[0] += wv * di * di;
        moment[1] += wv * dj * dj;
        moment[2] += wv * dk * dk;
      }
  int axis = 0;
  std::int64_t best = -1;
  for (int a = 0; a < 3; ++a) {
    std::int64_t dev = 3 * moment[a] - static_cast<std::int64_t>(f * f - 1) * total;
    if (dev < 0) dev = -dev;
    if (dev > best) {
      best = dev;
      axis = a;
    }
  }
  for (int a = 0; a < 3; ++a) normal[a] = a == axis ? 1.0f : 0.0f;
}

/// A cell with no labels, counts or normal yet.
VOXTWIN_HD inline CompositeCell empty_cell() {
  CompositeCell cell;
  for (int s = 0; s < kCompositeSlots; ++s) {
    cell.label[s] = 0;
    cell.count[s] = 0;
  }
  cell.normal[0] = cell.normal[1] = cell.normal[2] = 0.0f;
  return cell;
}

/// The composition of coarse voxel (X, Y, Z): sorted labels with counts and the normal.
template <class Src>
VOXTWIN_HD CompositeCell composite_block(const Src& src, std::int64_t X, std::int64_t Y, std::int64_t Z,
                                         const BlockParams& p) {
  CompositeCell cell = empty_cell();
  const int f = p.factor;
  const std::int64_t x0 = X * f, y0 = Y * f, z0 = Z * f;
  int n = 0;
  for (int i = 0; i < f; ++i)
    for (int j = 0; j < f; ++j)
      for (int k = 0; k < f; ++k) {
        const std::uint8_t l = src.label(x0 + i, y0 + j, z0 + k);
        int s = 0;
        while (s < n && cell.label[s] < l) ++s;
        if (s < n && cell.label[s] == l) {
          ++cell.count[s];
          continue;
        }
        if (n == kCompositeSlots) {  // too many labels: report through count[0] == 0
          for (int t = 0; t < kCompositeSlots; ++t) cell.count[t] = 0;
          return cell;
        }
        for (int t = n; t > s; --t) {
          cell.label[t] = cell.label[t - 1];
          cell.count[t] = cell.count[t - 1];
        }
        cell.label[s] = l;
        cell.count[s] = 1;
        ++n;
      }
  if (n == 1) return cell;
  if (p.use_fibres && fibre_normal(src, x0, y0, z0, p, cell.normal)) return cell;
  geometry_normal(src, x0, y0, z0, p, cell, n, cell.normal);
  return cell;
}

/// The most frequent label of coarse voxel (X, Y, Z); the smallest on ties.
template <class Src>
VOXTWIN_HD std::uint8_t majority_block(const Src& src, std::int64_t X, std::int64_t Y, std::int64_t Z, int f) {
  std::uint16_t hist[256];
  for (int l = 0; l < 256; ++l) hist[l] = 0;
  const std::int64_t x0 = X * f, y0 = Y * f, z0 = Z * f;
  for (int i = 0; i < f; ++i)
    for (int j = 0; j < f; ++j)
      for (int k = 0; k < f; ++k) ++hist[src.label(x0 + i, y0 + j, z0 + k)];
  int best = 0;
  for (int l = 1; l < 256; ++l)
    if (hist[l] > hist[best]) best = l;
  return static_cast<std::uint8_t>(best);
}

}  // namespace voxtwin::detail
