#pragma once
// The reference-medium preconditioner of the hexahedral CG schemes on a slab: the serial
// preconditioner's per-mode 3x3 inverse (reference_medium.hpp) between FFTW-MPI R2C/C2R transforms
// of each displacement component, in place on the slab's padded planes, transposed spectrum
// ([ky local][kx][kz]) so that each transform needs one all-to-all each way.
#include <fftw3-mpi.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "hex_operator.hpp"
#include "mpi_slab.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/reference_medium.hpp"

namespace voxtwin::mpi {

template <class T>
struct FftwMpi;

template <>
struct FftwMpi<double> {
  using plan = fftw_plan;
  using complex = fftw_complex;
  static plan r2c(const Shape3& s, double* in, unsigned flags) {
    return fftw_mpi_plan_dft_r2c_3d(s.nx, s.ny, s.nz, in, reinterpret_cast<complex*>(in), MPI_COMM_WORLD,
                                    flags | FFTW_MPI_TRANSPOSED_OUT);
  }
  static plan c2r(const Shape3& s, double* in, unsigned flags) {
    return fftw_mpi_plan_dft_c2r_3d(s.nx, s.ny, s.nz, reinterpret_cast<complex*>(in), in, MPI_COMM_WORLD,
                                    flags | FFTW_MPI_TRANSPOSED_IN);
  }
  static void forward(plan p, double* f) { fftw_mpi_execute_dft_r2c(p, f, reinterpret_cast<complex*>(f)); }
  static void inverse(plan p, double* f) { fftw_mpi_execute_dft_c2r(p, reinterpret_cast<complex*>(f), f); }
  static void destroy(plan p) { fftw_destroy_plan(p); }
  static int alignment_of(double* p) { return fftw_alignment_of(p); }
};

template <>
struct FftwMpi<float> {
  using plan = fftwf_plan;
  using complex = fftwf_complex;
  static plan r2c(const Shape3& s, float* in, unsigned flags) {
    return fftwf_mpi_plan_dft_r2c_3d(s.nx, s.ny, s.nz, in, reinterpret_cast<complex*>(in), MPI_COMM_WORLD,
                                     flags | FFTW_MPI_TRANSPOSED_OUT);
  }
  static plan c2r(const Shape3& s, float* in, unsigned flags) {
    return fftwf_mpi_plan_dft_c2r_3d(s.nx, s.ny, s.nz, reinterpret_cast<complex*>(in), in, MPI_COMM_WORLD,
                                     flags | FFTW_MPI_TRANSPOSED_IN);
  }
  static void forward(plan p, float* f) { fftwf_mpi_execute_dft_r2c(p, f, reinterpret_cast<complex*>(f)); }
  static void inverse(plan p, float* f) { fftwf_mpi_execute_dft_c2r(p, reinterpret_cast<complex*>(f), f); }
  static void destroy(plan p) { fftwf_destroy_plan(p); }
  static int alignment_of(float* p) { return fftwf_alignment_of(p); }
};

/// What the slab preconditioner needs beyond the serial one's arguments.
struct SlabContext {
  Shape3 shape;                // the whole volume
  detail::PlaneRange range;    // owned planes of the slab grid, with the ordered reduction
};

template <class T, bool Full>
class SlabReferencePreconditioner {
 public:
  SlabReferencePreconditioner(const detail::PaddedGrid& g, const Matrix6& C0, const T ih[3], T* buffer, int threads,
                              const SlabContext& ctx)
      : g_(g), ctx_(ctx), spectrum_(spectrum_of(ctx.shape)), threads_(threads), dots_(ctx.range.count()) {
    using F = FftwMpi<T>;
    for (int i = 0; i < 36; ++i) C0_[i] = static_cast<T>(C0(i / 6, i % 6));
    for (int i = 0; i < 3; ++i) ih_[i] = ih[i];
    double lambda = 0, mu = 0;
    isotropic_ = detail::isotropic_parameters(C0, lambda, mu);
    lambda0_ = static_cast<T>(lambda);
    mu0_ = static_cast<T>(mu);
    const Shape3& s = ctx.shape;
    for (std::int64_t m = 0; m < s.nx; ++m) mx_.push_back(detail::axis_mode<T>(m, s.nx));
    for (std::int64_t m = 0; m < s.ny; ++m) my_.push_back(detail::axis_mode<T>(m, s.ny));
    for (std::int64_t m = 0; m < s.nz / 2 + 1; ++m) mz_.push_back(detail::axis_mode<T>(m, s.nz));
    scale_ = static_cast<T>(1.0 / static_cast<double>(s.size()));
    // Executed on the three components (new-array execution): plan unaligned unless all share the alignment.
    T* first = buffer + ctx.range.begin * g.plane();
    const bool aligned = F::alignment_of(first + g.component()) == F::alignment_of(first);
    const unsigned flags = FFTW_ESTIMATE | (aligned ? 0u : FFTW_UNALIGNED);
    forward_ = F::r2c(s, first, flags);
    inverse_ = F::c2r(s, first, flags);
    if (!forward_ || !inverse_) throw std::runtime_error("FFTW-MPI could not plan the distributed transforms");
  }
  ~SlabReferencePreconditioner() {
    if (forward_) FftwMpi<T>::destroy(forward_);
    if (inverse_) FftwMpi<T>::destroy(inverse_);
  }
  SlabReferencePreconditioner(const SlabReferencePreconditioner&) = delete;
  SlabReferencePreconditioner& operator=(const SlabReferencePreconditioner&) = delete;

  /// z <- M^-1 z in place on the owned planes (z holds a copy of r on entry); returns r . z over the volume.
  double apply(T* z, const T* r) {
    const std::int64_t comp = g_.component(), base = ctx_.range.begin * g_.plane();
    for (int c = 0; c < 3; ++c) FftwMpi<T>::forward(forward_, z + c * comp + base);
    spectral(z + base, comp);
    for (int c = 0; c < 3; ++c) FftwMpi<T>::inverse(inverse_, z + c * comp + base);
    const std::int64_t b = ctx_.range.begin;
    detail::for_planes(b, ctx_.range.end, threads_, [&](std::int64_t x) {
      double d = 0;
      for (int c = 0; c < 3; ++c)
        for (std::int64_t y = 0; y < g_.ny; ++y) {
          const std::int64_t o = c * comp + g_.at(x, y, 0);
          for (std::int64_t k = 0; k < g_.nz; ++k) d += static_cast<double>(r[o + k]) * z[o + k];
        }
      dots_[x - b] = d;
    });
    double total = 0;
    ctx_.range.total(dots_.data(), 1, &total);
    return total;
  }

 private:
  // The reference operator's inverse on this rank's modes: [ky local][kx][kz] per component.
  void spectral(T* z, std::int64_t comp) const {
    const std::int64_t nx = ctx_.shape.nx, nzc = ctx_.shape.nz / 2 + 1;
    detail::Cplx<T>* c0 = reinterpret_cast<detail::Cplx<T>*>(z);
    detail::Cplx<T>* c1 = reinterpret_cast<detail::Cplx<T>*>(z + comp);
    detail::Cplx<T>* c2 = reinterpret_cast<detail::Cplx<T>*>(z + 2 * comp);
#pragma omp parallel for num_threads(threads_) schedule(static)
    for (std::int64_t j = 0; j < spectrum_.nky; ++j)
      for (std::int64_t x = 0; x < nx; ++x)
        for (std::int64_t k = 0; k < nzc; ++k) {
          const std::int64_t i = (j * nx + x) * nzc + k;
          detail::Cplx<T> v[3] = {c0[i], c1[i], c2[i]};
          const auto& my = my_[spectrum_.ky0 + j];
          if constexpr (Full)
            detail::precondition_full(C0_, ih_, mx_[x], my, mz_[k], scale_, v);
          else if (isotropic_)
            detail::precondition_reduced_isotropic(lambda0_, mu0_, ih_, mx_[x], my, mz_[k], scale_, v);
          else
            detail::precondition_reduced(C0_, ih_, mx_[x], my, mz_[k], scale_, v);
          c0[i] = v[0];
          c1[i] = v[1];
          c2[i] = v[2];
        }
  }

  detail::PaddedGrid g_;
  SlabContext ctx_;
  Spectrum spectrum_;
  int threads_;
  T C0_[36], ih_[3], scale_, lambda0_, mu0_;
  bool isotropic_ = false;
  std::vector<detail::AxisMode<T>> mx_, my_, mz_;
  std::vector<double> dots_;
  typename FftwMpi<T>::plan forward_ = nullptr, inverse_ = nullptr;
};

}  // namespace voxtwin::mpi
