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
#include "reference_preconditioner.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/detail/mixed_pcg.hpp"
#include "voxtwin/detail/reference_medium.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin::detail {

namespace {

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
