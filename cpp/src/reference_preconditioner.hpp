#pragma once
// The preconditioner of the CPU hexahedral CG schemes: the same operator for a homogeneous
// reference medium C0, inverted per Fourier mode (a 3x3 solve per frequency) and applied with the
// slab R2C/C2R FFTs (cpp/src/fft_r2c.hpp), never stored. Used by the serial solver
// (elasticity_cg.cpp) and by the batched small-cell homogenization (batched_homogenization.cpp),
// which keeps one per thread and only swaps the reference medium between cells.
#include <vector>

#include "fft_r2c.hpp"
#include "hex_operator.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/detail/reference_medium.hpp"

namespace voxtwin::detail {

template <class T, bool Full>
class ReferencePreconditioner {
 public:
  ReferencePreconditioner(const PaddedGrid& g, const Matrix6& C0, const T ih[3], T* buffer, int threads)
      : g_(g), fft_(g, 3, threads, buffer), dots_(g.nx) {
    for (int i = 0; i < 3; ++i) ih_[i] = ih[i];
    set_reference(C0);
    for (std::int64_t m = 0; m < g.nx; ++m) mx_.push_back(axis_mode<T>(m, g.nx));
    for (std::int64_t m = 0; m < g.ny; ++m) my_.push_back(axis_mode<T>(m, g.ny));
    for (std::int64_t m = 0; m < g.nzc; ++m) mz_.push_back(axis_mode<T>(m, g.nz));
    scale_ = static_cast<T>(1.0 / static_cast<double>(g.voxels()));
  }

  /// A new reference medium C0 (GPa); the FFT plans and buffers stay.
  void set_reference(const Matrix6& C0) {
    for (int i = 0; i < 36; ++i) C0_[i] = static_cast<T>(C0(i / 6, i % 6));
    // An isotropic reference (the usual case: isotropic phases) takes the closed-form inverse.
    double lambda = 0, mu = 0;
    isotropic_ = isotropic_parameters(C0, lambda, mu);
    lambda0_ = static_cast<T>(lambda);
    mu0_ = static_cast<T>(mu);
  }

  /// z <- M^-1 z in place (z holds a copy of r on entry); returns r . z.
  double apply(T* z, const T* r) {
    const std::int64_t comp = g_.component();
    fft_.transform(
        z, [&](Cplx<T>* block, std::int64_t y) { spectral_row(block, y); },
        [&](std::int64_t x) {
          double d = 0;
          for (int c = 0; c < 3; ++c)
            for (std::int64_t y = 0; y < g_.ny; ++y) {
              const std::int64_t o = c * comp + g_.at(x, y, 0);
              for (std::int64_t k = 0; k < g_.nz; ++k) d += static_cast<double>(r[o + k]) * z[o + k];
            }
          dots_[x] = d;
        });
    double total = 0;
    all_planes(g_).total(dots_.data(), 1, &total);
    return total;
  }

 private:
  // The reference operator's inverse on the modes (all x, all kz) of row y.
  void spectral_row(Cplx<T>* zc, std::int64_t y) const {
    const std::int64_t cblock = g_.nx * g_.nzc;  // complex entries per component
    for (std::int64_t x = 0; x < g_.nx; ++x) {
      for (std::int64_t k = 0; k < g_.nzc; ++k) {
        const std::int64_t i = x * g_.nzc + k;
        Cplx<T> v[3] = {zc[i], zc[cblock + i], zc[2 * cblock + i]};
        if constexpr (Full)
          precondition_full(C0_, ih_, mx_[x], my_[y], mz_[k], scale_, v);
        else if (isotropic_)
          precondition_reduced_isotropic(lambda0_, mu0_, ih_, mx_[x], my_[y], mz_[k], scale_, v);
        else
          precondition_reduced(C0_, ih_, mx_[x], my_[y], mz_[k], scale_, v);
        zc[i] = v[0];
        zc[cblock + i] = v[1];
        zc[2 * cblock + i] = v[2];
      }
    }
  }

  PaddedGrid g_;
  SlabFft<T> fft_;
  T C0_[36], ih_[3], scale_, lambda0_, mu0_;
  bool isotropic_ = false;
  std::vector<AxisMode<T>> mx_, my_, mz_;
  std::vector<double> dots_;
};

}  // namespace voxtwin::detail
