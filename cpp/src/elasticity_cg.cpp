// Displacement-based preconditioned conjugate gradients on trilinear voxel hexahedra (CPU): the
// operations of detail::mixed_pcg (cpp/include/voxtwin/detail/mixed_pcg.hpp, shared with CUDA).
//
// The operator A = B^T C B is applied matrix-free (detail::HexOperator, cpp/src/hex_operator.hpp) on
// every x-plane of the periodic grid, the vector operations are detail::CpuOps. The preconditioner inverts
// the same operator for a homogeneous reference medium C0 per Fourier mode (fused into the
// x-transform pass). Memory: x, r, p and q (z shares q's buffer), 3 padded components each.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "aligned_buffer.hpp"
#include "elasticity_solvers.hpp"
#include "fft_r2c.hpp"
#include "hex_cg_ops.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/detail/mixed_pcg.hpp"
#include "voxtwin/detail/reference_medium.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin::detail {

namespace {

template <class T, bool Full>
class ReferencePreconditioner {
 public:
  ReferencePreconditioner(const PaddedGrid& g, const Matrix6& C0, const T ih[3], T* buffer, int threads)
      : g_(g), fft_(g, 3, threads, buffer), dots_(g.nx) {
    for (int i = 0; i < 36; ++i) C0_[i] = static_cast<T>(C0(i / 6, i % 6));
    for (int i = 0; i < 3; ++i) ih_[i] = ih[i];
    // An isotropic reference (the usual case: isotropic phases) takes the closed-form inverse.
    double lambda = 0, mu = 0;
    isotropic_ = isotropic_parameters(C0, lambda, mu);
    lambda0_ = static_cast<T>(lambda);
    mu0_ = static_cast<T>(mu);
    for (std::int64_t m = 0; m < g.nx; ++m) mx_.push_back(axis_mode<T>(m, g.nx));
    for (std::int64_t m = 0; m < g.ny; ++m) my_.push_back(axis_mode<T>(m, g.ny));
    for (std::int64_t m = 0; m < g.nzc; ++m) mz_.push_back(axis_mode<T>(m, g.nz));
    scale_ = static_cast<T>(1.0 / static_cast<double>(g.voxels()));
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

template <class T, class L, bool Full>
ElasticityResult run_cg(const VolumeView<const L>& index, const MaterialTable& table, const MacroLoading& loading,
                        const ElasticityOptions& options, const std::vector<std::uint64_t>& counts, T* u_out) {
  const auto start = std::chrono::steady_clock::now();
  const PaddedGrid g = padded_grid(index.shape.nx, index.shape.ny, index.shape.nz);
  const int threads = solver_threads(index.shape);
  const std::vector<MaterialEntry<T>> entries = material_entries<T>(table);
  const Matrix6 C0 = reference_stiffness(table, counts);
  T ih[3];
  for (int i = 0; i < 3; ++i) ih[i] = static_cast<T>(1.0 / options.voxel_size[i]);
  CpuOps<T, L, Full, ReferencePreconditioner<T, Full>> ops(g, all_planes(g), index.data, entries.data(), C0, ih,
                                                           threads, {});
  ElasticityResult result =
      mixed_pcg(ops, mixed_control(loading, C0), loading, options, static_cast<double>(g.voxels()));
  if (u_out) ops.copy_solution(u_out);
  result.reference_C = C0;
  result.memory_bytes = hex_cg_memory_bytes(index.shape, Full, sizeof(T), threads);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

double hex_cg_memory_bytes(const Shape3& shape, bool full_integration, int real_bytes, int threads) {
  const PaddedGrid g = padded_grid(shape.nx, shape.ny, shape.nz);
  const double fields = 4.0 * 3.0 * static_cast<double>(g.component()) * real_bytes;
  const double planes = 2.0 * threads * static_cast<double>(g.ny * g.nz) * (full_integration ? 30 : 6) * real_bytes;
  const double rows = threads * 3.0 * 2.0 * static_cast<double>(g.nx * g.nzc) * real_bytes;
  return fields + planes + rows + 8.0 * 8.0 * static_cast<double>(g.nx);
}

template <class T, class L>
ElasticityResult hex_cg_solve(const VolumeView<const L>& index, const MaterialTable& table, const MacroLoading& loading,
                              const ElasticityOptions& options, const std::vector<std::uint64_t>& counts, T* u) {
  if (options.scheme == ElasticityScheme::HexFull) return run_cg<T, L, true>(index, table, loading, options, counts, u);
  return run_cg<T, L, false>(index, table, loading, options, counts, u);
}

#define VOXTWIN_INSTANTIATE(T, L)                                                                                   \
  template ElasticityResult hex_cg_solve<T, L>(const VolumeView<const L>&, const MaterialTable&, const MacroLoading&, \
                                               const ElasticityOptions&, const std::vector<std::uint64_t>&, T*);
VOXTWIN_ELASTICITY_TYPES(VOXTWIN_INSTANTIATE)
#undef VOXTWIN_INSTANTIATE

}  // namespace voxtwin::detail
