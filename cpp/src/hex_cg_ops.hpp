#pragma once
// The CPU side of detail::mixed_pcg (cpp/include/voxtwin/detail/mixed_pcg.hpp): the vector
// operations of the hexahedral CG schemes on the owned planes of a padded grid, shared by the
// serial solver (every plane, FFTW preconditioner) and the distributed one (a slab, FFTW-MPI).
#include <algorithm>
#include <functional>
#include <utility>

#include "aligned_buffer.hpp"
#include "elasticity_solvers.hpp"
#include "hex_operator.hpp"

namespace voxtwin::detail {

/// The vector operations of mixed_pcg on the CPU: x, r, p, q as padded 3-component fields of the
/// grid, worked on over the owned planes of `range`. `Precond` inverts the reference medium in place
/// on q (constructed from the grid, C0, 1/h, q's buffer, the thread count and `extra`); `halo`, when
/// given, fills the ghost planes of a field (p before the operator reads it, x before the stress sum).
template <class T, class L, bool Full, class Precond>
class CpuOps {
 public:
  using Halo = std::function<void(T* field)>;

  template <class... Extra>
  CpuOps(const PaddedGrid& g, const PlaneRange& range, const L* labels, const MaterialEntry<T>* entries,
         const Matrix6& C0, const T ih[3], int threads, Halo halo, Extra&&... extra)
      : g_(g),
        range_(range),
        halo_(std::move(halo)),
        threads_(threads),
        x_(3 * g.component()),
        r_(3 * g.component()),
        p_(3 * g.component()),
        q_(3 * g.component()),
        op_(g, range, labels, entries, ih, threads),
        precond_(g, C0, ih, q_.get(), threads, std::forward<Extra>(extra)...) {}

  double apply(bool with_p, const double E[6], double dT, double* sigma_sum) {
    T Et[6];
    for (int i = 0; i < 6; ++i) Et[i] = static_cast<T>(E[i]);
    double dot = 0;
    if (with_p && halo_) halo_(p_.get());
    op_.apply(with_p ? p_.get() : nullptr, Et, static_cast<T>(dT), q_.get(), sigma_sum, with_p ? &dot : nullptr);
    return dot;
  }
  void negate_into_residual() {
    rows([&](T* __restrict r, T* __restrict q, const T*, T*, std::int64_t n) {
      for (std::int64_t k = 0; k < n; ++k) {
        r[k] = -q[k];
        q[k] = r[k];
      }
    });
  }
  double precondition() { return precond_.apply(q_.get(), r_.get()); }
  void copy_direction() {
    rows([&](T*, T* __restrict q, T* __restrict p, T*, std::int64_t n) {
      for (std::int64_t k = 0; k < n; ++k) p[k] = q[k];
    });
  }
  void update(double alpha) {
    const T a = static_cast<T>(alpha);
    rows([&](T* __restrict r, T* __restrict q, const T* __restrict p, T* __restrict x, std::int64_t n) {
      for (std::int64_t k = 0; k < n; ++k) {
        x[k] += a * p[k];
        r[k] -= a * q[k];
        q[k] = r[k];
      }
    });
  }
  void direction(double beta) {
    const T b = static_cast<T>(beta);
    rows([&](T*, T* __restrict q, T* __restrict p, T*, std::int64_t n) {
      for (std::int64_t k = 0; k < n; ++k) p[k] = q[k] + b * p[k];
    });
  }
  void stress_sum(const double E[6], double dT, double out[6]) {
    T Et[6];
    for (int i = 0; i < 6; ++i) Et[i] = static_cast<T>(E[i]);
    if (halo_) halo_(x_.get());
    op_.stress_sum(x_.get(), Et, static_cast<T>(dT), out);
  }
  /// x is always held on the CPU: mixed_pcg confirms convergence with the true residual.
  bool has_solution() const { return true; }
  /// r = b - A x (q = r), recomputed from x rather than updated recursively; sigma_sum: stress sum of x.
  void true_residual(const double E[6], double dT, double sigma_sum[6]) {
    T Et[6];
    for (int i = 0; i < 6; ++i) Et[i] = static_cast<T>(E[i]);
    if (halo_) halo_(x_.get());
    op_.apply(x_.get(), Et, static_cast<T>(dT), q_.get(), sigma_sum, nullptr);
    negate_into_residual();
  }
  /// Starts over on another index volume of the same grid (batched small cells): x = 0 (CG starts
  /// from a zero fluctuation), the operator reads `labels`; r, p, q are overwritten by mixed_pcg.
  void reset(const L* labels) {
    std::fill(x_.get(), x_.get() + 3 * g_.component(), T(0));
    op_.set_labels(labels);
  }
  /// The preconditioner (batched cells set a new reference medium on it).
  Precond& preconditioner() { return precond_; }
  /// The solution x as a compact [c][x][y][z] array of the owned planes.
  void copy_solution(T* out) const { padded_to_compact(x_.get(), 3, g_, threads_, out, range_.begin, range_.end); }
  /// The solution x in the padded layout (ghost planes current after stress_sum).
  const T* solution() const { return x_.get(); }

 private:
  // fn(r, q, p, x, n) on every row of nz real entries of the padded fields, rows split over threads.
  template <class Fn>
  void rows(Fn&& fn) {
    const std::int64_t comp = g_.component();
    T *x = x_.get(), *r = r_.get(), *p = p_.get(), *q = q_.get();
    for_planes(range_.begin, range_.end, threads_, [&](std::int64_t xp) {
      for (int c = 0; c < 3; ++c)
        for (std::int64_t y = 0; y < g_.ny; ++y) {
          const std::int64_t o = c * comp + g_.at(xp, y, 0);
          fn(r + o, q + o, p + o, x + o, g_.nz);
        }
    });
  }

  PaddedGrid g_;
  PlaneRange range_;
  Halo halo_;
  int threads_;
  AlignedBuffer<T> x_, r_, p_, q_;
  HexOperator<T, L, Full> op_;
  Precond precond_;
};


}  // namespace voxtwin::detail
