#pragma once
// The matrix-free operator of the hexahedral CG schemes on the CPU, q = sum_e B_e^T sigma_e, on the
// x-planes [begin, end) of a padded grid (detail::PlaneRange): all planes of a periodic grid in the
// serial solver, the planes of a slab between two ghost planes in the distributed one.
//
// Element stresses are computed once per x-plane into per-thread plane buffers and gathered node by
// node in a fixed order; node plane x reads element planes x - 1 and x, and element plane X reads
// the displacement of node planes X and X + 1 (periodic wrap within the grid). A slab grid holds its
// owned planes at 1..n with ghost planes 0 and n + 1, so the same code never wraps there.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <vector>

#include "aligned_buffer.hpp"
#include "voxtwin/detail/hex_element.hpp"

namespace voxtwin::detail {

/// The x-planes [begin, end) an operator owns, and how per-plane partial sums become totals. With no
/// `reduce` (one process) the owned values are summed in plane order; a distributed slab gathers the
/// partial sums of every rank and sums them in global plane order: the same additions in the same
/// order for any number of threads or ranks.
struct PlaneRange {
  std::int64_t begin = 0, end = 0;
  /// total[i] = sum over the planes of every rank, in global order, of per_plane[plane * width + i].
  std::function<void(const double* per_plane, int width, double* total)> reduce;

  std::int64_t count() const { return end - begin; }
  void total(const double* per_plane, int width, double* out) const {
    if (reduce) return reduce(per_plane, width, out);
    for (int i = 0; i < width; ++i) out[i] = 0;
    for (std::int64_t p = 0; p < count(); ++p)
      for (int i = 0; i < width; ++i) out[i] += per_plane[p * width + i];
  }
};

/// Every plane of a (serial, periodic) grid.
inline PlaneRange all_planes(const PaddedGrid& g) { return PlaneRange{0, g.nx, {}}; }

/// Runs fn(x) for every plane of [begin, end), planes split statically over the threads.
template <class Fn>
void for_planes(std::int64_t begin, std::int64_t end, int threads, Fn&& fn) {
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t x = begin; x < end; ++x) fn(x);
}

template <class T, class L, bool Full>
class HexOperator {
 public:
  // Values kept per element in the plane buffers: reduced, the centre stress ([y][k][z] rows);
  // full, the 24 corner forces and the mean stress ([y][z][30]).
  static constexpr int K = Full ? 30 : 6;

  HexOperator(const PaddedGrid& g, const PlaneRange& range, const L* labels, const MaterialEntry<T>* entries,
              const T ih[3], int threads)
      : g_(g), range_(range), labels_(labels), entries_(entries), threads_(threads), sums_(range.count() * 6),
        dots_(range.count()) {
    for (int i = 0; i < 3; ++i) ih_[i] = ih[i];
    const std::size_t row = static_cast<std::size_t>(g.nz + 1);
    for (int t = 0; t < threads; ++t) {
      planes_.emplace_back(static_cast<std::size_t>(g.ny * g.nz * K));
      planes_.emplace_back(static_cast<std::size_t>(g.ny * g.nz * K));
      rows_.emplace_back(Full ? 0 : 18 * row);  // node sums of an element row / layer sums of a node row
    }
  }

  /// Points the operator at another index volume of the same grid (batched small cells reuse it).
  void set_labels(const L* labels) { labels_ = labels; }

  /// q = sum_e B_e^T sigma_e with sigma_e = C_e (B pu + E) - dT beta_e (pu may be null: zero).
  /// Optionally the sum of sigma_e over all voxels and the dot product pu . q.
  void apply(const T* pu, const T E[6], T dT, T* q, double sigma_sum[6], double* dot) {
    const bool want_sum = sigma_sum != nullptr;
#pragma omp parallel num_threads(threads_)
    {
      const int tid = omp_get_thread_num(), nthr = omp_get_num_threads();
      const std::int64_t chunk = (range_.count() + nthr - 1) / nthr;
      const std::int64_t x0 = range_.begin + tid * chunk, x1 = std::min(range_.end, x0 + chunk);
      if (x0 < x1) {
        T* prev = planes_[2 * tid].get();
        T* cur = planes_[2 * tid + 1].get();
        T* scratch = rows_[tid].get();
        element_plane(x0 == 0 ? g_.nx - 1 : x0 - 1, pu, E, dT, prev, nullptr, scratch);
        for (std::int64_t x = x0; x < x1; ++x) {
          element_plane(x, pu, E, dT, cur, want_sum ? &sums_[6 * (x - range_.begin)] : nullptr, scratch);
          dots_[x - range_.begin] = node_plane(x, cur, prev, q, pu, scratch);
          std::swap(prev, cur);
        }
      }
    }
    if (want_sum) plane_totals(sigma_sum);
    if (dot) range_.total(dots_.data(), 1, dot);
  }

  /// Sum over all voxels of the element stress for displacement u (mean over Gauss points).
  void stress_sum(const T* u, const T E[6], T dT, double out[6]) {
#pragma omp parallel num_threads(threads_)
    {
      const int tid = omp_get_thread_num();
      T* buf = planes_[2 * tid].get();
      T* scratch = rows_[tid].get();
#pragma omp for schedule(static)
      for (std::int64_t x = range_.begin; x < range_.end; ++x)
        element_plane(x, u, E, dT, buf, &sums_[6 * (x - range_.begin)], scratch);
    }
    plane_totals(out);
  }

 private:
  void plane_totals(double out[6]) const { range_.total(sums_.data(), 6, out); }

  void element_plane(std::int64_t X, const T* pu, const T E[6], T dT, T* buf, double* acc, T* scratch) const {
    if constexpr (Full)
      element_plane_full(X, pu, E, dT, buf, acc);
    else
      element_plane_reduced(X, pu, E, dT, buf, acc, scratch);
  }

  // Centre stresses of element plane X, row by row: the node sums of reduced_gradient are formed
  // once per node of the row and shared by the two elements beside it; rows of isotropic and void
  // voxels (the usual case) take a branch-free, vectorizable path. Same arithmetic as
  // reduced_gradient / strain_from_gradient / entry_stress (what the GPU calls per voxel).
  void element_plane_reduced(std::int64_t X, const T* pu, const T E[6], T dT, T* buf, double* acc, T* scratch) const {
    double sum[6] = {0, 0, 0, 0, 0, 0};
    const std::int64_t ny = g_.ny, nz = g_.nz, comp = g_.component(), row = nz + 1;
    const std::int64_t X1 = X + 1 == g_.nx ? 0 : X + 1;
    const T q = T(0.25), hx = q * ih_[0], hy = q * ih_[1], hz = q * ih_[2];
    T* __restrict sx = scratch;  // [c][z], z = 0..nz (nz repeats 0: periodic)
    T* __restrict sy = scratch + 3 * row;
    T* __restrict sa = scratch + 6 * row;
    T* __restrict ev = scratch + 9 * row;  // strain [k][z]
    T* __restrict lam = scratch + 15 * row;
    T* __restrict mu = scratch + 16 * row;
    T* __restrict bet = scratch + 17 * row;
    for (std::int64_t y = 0; y < ny; ++y) {
      const std::int64_t y1 = y + 1 == ny ? 0 : y + 1;
      const L* lab = labels_ + (X * ny + y) * nz;
      if (pu) {
        for (int c = 0; c < 3; ++c) {
          const T* __restrict A = pu + c * comp + g_.at(X, y, 0);
          const T* __restrict B = pu + c * comp + g_.at(X1, y, 0);
          const T* __restrict C = pu + c * comp + g_.at(X, y1, 0);
          const T* __restrict D = pu + c * comp + g_.at(X1, y1, 0);
          T* __restrict px = sx + c * row;
          T* __restrict py = sy + c * row;
          T* __restrict pa = sa + c * row;
#pragma omp simd
          for (std::int64_t z = 0; z < nz; ++z) {
            px[z] = (B[z] + D[z]) - (A[z] + C[z]);
            py[z] = (C[z] + D[z]) - (A[z] + B[z]);
            pa[z] = (A[z] + C[z]) + (B[z] + D[z]);
          }
          px[nz] = px[0];
          py[nz] = py[0];
          pa[nz] = pa[0];
        }
        const T *x0 = sx, *x1 = sx + row, *x2 = sx + 2 * row;
        const T *y0 = sy, *y1r = sy + row, *y2 = sy + 2 * row;
        const T *a0 = sa, *a1 = sa + row, *a2 = sa + 2 * row;
#pragma omp simd
        for (std::int64_t z = 0; z < nz; ++z) {
          const T g00 = hx * (x0[z] + x0[z + 1]), g01 = hy * (y0[z] + y0[z + 1]), g02 = hz * (a0[z + 1] - a0[z]);
          const T g10 = hx * (x1[z] + x1[z + 1]), g11 = hy * (y1r[z] + y1r[z + 1]), g12 = hz * (a1[z + 1] - a1[z]);
          const T g20 = hx * (x2[z] + x2[z + 1]), g21 = hy * (y2[z] + y2[z + 1]), g22 = hz * (a2[z + 1] - a2[z]);
          ev[z] = E[0] + g00;
          ev[nz + z] = E[1] + g11;
          ev[2 * nz + z] = E[2] + g22;
          ev[3 * nz + z] = E[3] + (g12 + g21);
          ev[4 * nz + z] = E[4] + (g02 + g20);
          ev[5 * nz + z] = E[5] + (g01 + g10);
        }
      } else {
        for (int k = 0; k < 6; ++k)
          for (std::int64_t z = 0; z < nz; ++z) ev[k * nz + z] = E[k];
      }
      T* __restrict out = buf + y * 6 * nz;
      bool general = false;
      for (std::int64_t z = 0; z < nz; ++z) {
        const MaterialEntry<T>& m = entries_[lab[z]];
        general |= m.kind == kGeneralEntry;
        lam[z] = m.lambda;  // zero for voids: the isotropic formula then gives zero stress
        mu[z] = m.mu;
        bet[z] = m.beta[0];
      }
      if (!general) {
#pragma omp simd
        for (std::int64_t z = 0; z < nz; ++z) {
          const T e0 = ev[z], e1 = ev[nz + z], e2 = ev[2 * nz + z];
          const T lt = lam[z] * ((e0 + e1) + e2), m2 = mu[z] + mu[z], tb = dT * bet[z];
          out[z] = (lt + m2 * e0) - tb;
          out[nz + z] = (lt + m2 * e1) - tb;
          out[2 * nz + z] = (lt + m2 * e2) - tb;
          out[3 * nz + z] = mu[z] * ev[3 * nz + z];
          out[4 * nz + z] = mu[z] * ev[4 * nz + z];
          out[5 * nz + z] = mu[z] * ev[5 * nz + z];
        }
      } else {
        for (std::int64_t z = 0; z < nz; ++z) {
          T e[6], st[6];
          for (int k = 0; k < 6; ++k) e[k] = ev[k * nz + z];
          entry_stress(entries_[lab[z]], e, dT, st);
          for (int k = 0; k < 6; ++k) out[k * nz + z] = st[k];
        }
      }
      if (acc)
        for (int k = 0; k < 6; ++k)
          for (std::int64_t z = 0; z < nz; ++z) sum[k] += out[k * nz + z];
    }
    if (acc)
      for (int i = 0; i < 6; ++i) acc[i] = sum[i];
  }

  void element_plane_full(std::int64_t X, const T* pu, const T E[6], T dT, T* buf, double* acc) const {
    double sum[6] = {0, 0, 0, 0, 0, 0};
    const std::int64_t ny = g_.ny, nz = g_.nz;
    for (std::int64_t y = 0; y < ny; ++y) {
      const L* lab = labels_ + (X * ny + y) * nz;
      for (std::int64_t z = 0; z < nz; ++z) {
        const MaterialEntry<T>& m = entries_[lab[z]];
        T* out = buf + (y * nz + z) * K;
        if (m.kind == kVoidEntry) {
          for (int k = 0; k < K; ++k) out[k] = T(0);
          continue;
        }
        T u[3][8] = {};
        if (pu) gather_corners(pu, g_, X, y, z, u);
        T f[3][8], sm[6];
        full_element(m, u, ih_, E, dT, f, sm);
        for (int c = 0; c < 3; ++c)
          for (int k = 0; k < 8; ++k) out[8 * c + k] = f[c][k];
        for (int i = 0; i < 6; ++i) {
          out[24 + i] = sm[i];
          sum[i] += sm[i];
        }
      }
    }
    if (acc)
      for (int i = 0; i < 6; ++i) acc[i] = sum[i];
  }

  /// Nodal forces of node plane x from element planes x (cur, corner a = 0) and x-1 (prev, a = 1);
  /// returns pu . q over the plane (0 when pu is null).
  double node_plane(std::int64_t x, const T* cur, const T* prev, T* q, const T* pu, T* scratch) const {
    const std::int64_t ny = g_.ny, nz = g_.nz, comp = g_.component();
    double d = 0;
    for (std::int64_t y = 0; y < ny; ++y) {
      const std::int64_t ym = y == 0 ? ny - 1 : y - 1;
      T* __restrict qx = q + g_.at(x, y, 0);
      T* __restrict qy = qx + comp;
      T* __restrict qz = qx + 2 * comp;
      if constexpr (Full) {
        const std::int64_t ys[2] = {y, ym};
        for (std::int64_t z = 0; z < nz; ++z) {
          const std::int64_t zs[2] = {z, z == 0 ? nz - 1 : z - 1};
          T f[3] = {0, 0, 0};
          for (int a = 0; a < 2; ++a) {
            const T* buf = a ? prev : cur;
            for (int b = 0; b < 2; ++b)
              for (int c = 0; c < 2; ++c) {
                const T* v = buf + (ys[b] * nz + zs[c]) * K;
                const int k = 4 * a + 2 * b + c;
                f[0] += v[k];
                f[1] += v[8 + k];
                f[2] += v[16 + k];
              }
          }
          qx[z] = f[0];
          qy[z] = f[1];
          qz[z] = f[2];
        }
      } else {
        // Layer sums per element z of the four element rows around the node row, then the node forces.
        const T* s00 = cur + y * 6 * nz;   // a = 0, b = 0
        const T* s01 = cur + ym * 6 * nz;  // a = 0, b = 1
        const T* s10 = prev + y * 6 * nz;  // a = 1, b = 0
        const T* s11 = prev + ym * 6 * nz;
        T* __restrict DX = scratch;
        T* __restrict DY = scratch + 6 * nz;
        T* __restrict AA = scratch + 12 * nz;
#pragma omp simd
        for (std::int64_t i = 0; i < 6 * nz; ++i) reduced_layer(s00[i], s01[i], s10[i], s11[i], DX[i], DY[i], AA[i]);
        const T hx = ih_[0], hy = ih_[1], hz = ih_[2];
        auto node = [&](std::int64_t z, std::int64_t zm) {
          // reduced_force(px, py, pz) with the parts of the components it needs.
          qx[z] = (reduced_part_xy(DX[z], DX[zm], hx) + reduced_part_xy(DY[5 * nz + z], DY[5 * nz + zm], hy)) +
                  reduced_part_z(AA[4 * nz + z], AA[4 * nz + zm], hz);
          qy[z] = (reduced_part_xy(DX[5 * nz + z], DX[5 * nz + zm], hx) + reduced_part_xy(DY[nz + z], DY[nz + zm], hy)) +
                  reduced_part_z(AA[3 * nz + z], AA[3 * nz + zm], hz);
          qz[z] = (reduced_part_xy(DX[4 * nz + z], DX[4 * nz + zm], hx) +
                   reduced_part_xy(DY[3 * nz + z], DY[3 * nz + zm], hy)) +
                  reduced_part_z(AA[2 * nz + z], AA[2 * nz + zm], hz);
        };
        node(0, nz - 1);
#pragma omp simd
        for (std::int64_t z = 1; z < nz; ++z) node(z, z - 1);
      }
      if (pu) {
        const T* px = pu + g_.at(x, y, 0);
        for (std::int64_t z = 0; z < nz; ++z)
          d += (static_cast<double>(px[z]) * qx[z] + static_cast<double>(px[comp + z]) * qy[z]) +
               static_cast<double>(px[2 * comp + z]) * qz[z];
      }
    }
    return d;
  }

  PaddedGrid g_;
  PlaneRange range_;
  const L* labels_;
  const MaterialEntry<T>* entries_;
  int threads_;
  T ih_[3];
  std::vector<AlignedBuffer<T>> planes_, rows_;
  std::vector<double> sums_, dots_;
};


}  // namespace voxtwin::detail
