// CUDA twin of cpp/src/elasticity.cpp: checks, scheme dispatch, and the local fields (computed on
// the host from the downloaded displacement, by the CPU routine, so the GPU holds no field beyond
// the CG vectors: three for homogenization, four when fields are asked for).
// Eigen (host code only here) trips nvcc's note on defaulted __host__ __device__ members.
#pragma nv_diag_suppress 20012
#include <vector>

#include "check.cuh"
#include "elasticity_solvers.cuh"
#include "fft_r2c.cuh"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/device.hpp"
#include "voxtwin/elasticity.hpp"

namespace voxtwin::cuda {

double elasticity_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int index_bytes, bool with_fields) {
  require_valid_shape(shape, "shape");
  if (scheme == ElasticityScheme::MoulinecSuquet)
    throw std::invalid_argument("the basic (Moulinec-Suquet) scheme is CPU-only; use scheme 'hex8r' or 'hex8' on CUDA");
  return cuda_detail::cg_device_bytes(shape, index_bytes, scheme == ElasticityScheme::HexFull, with_fields);
}

double cufft_work_bytes(const Shape3& shape) {
  require_valid_shape(shape, "shape");
  return static_cast<double>(cuda_detail::cufft_work_bytes(detail::padded_grid(shape.nx, shape.ny, shape.nz)));
}

template <class L>
ElasticityResult solve_elasticity(const VolumeView<const L>& index, const MaterialTable& table,
                                  const MacroLoading& loading, const ElasticityOptions& options,
                                  const ElasticityFields<float>& fields) {
  detail::check_elasticity_arguments(index.shape, table, loading, options);
  if (!index.data) throw std::invalid_argument("`labels` must not be null");
  if (options.scheme == ElasticityScheme::MoulinecSuquet)
    throw std::invalid_argument("the basic (Moulinec-Suquet) scheme is CPU-only; use scheme 'hex8r' or 'hex8' on CUDA");
  const RuntimeStatus status = runtime_status();
  if (status.code != RuntimeStatus::Code::Usable) throw CudaError("CUDA is not usable: " + status.message);
  const bool temp_u = !fields.displacement && (fields.strain || fields.stress);
  // A first check without the cuFFT work area (it cannot fail), before the labels are even read;
  // the solver checks again, with headroom, once its plans are made.
  std::size_t free_bytes = 0, total_bytes = 0;
  VOXTWIN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  detail::require_memory(
      cuda_detail::cg_device_bytes(index.shape, sizeof(L), options.scheme == ElasticityScheme::HexFull,
                                   fields.displacement || temp_u, false),
      static_cast<double>(free_bytes), "GPU");
  const std::vector<std::uint64_t> counts = detail::index_counts(index, table.size());
  std::vector<float> scratch;
  if (temp_u) {
    const double need = 3.0 * static_cast<double>(index.size()) * sizeof(float);
    detail::require_memory(need, detail::available_host_memory(), "host");
    scratch.resize(static_cast<std::size_t>(3 * index.size()));
  }
  float* u = fields.displacement ? fields.displacement : (temp_u ? scratch.data() : nullptr);
  ElasticityResult result = cuda_detail::hex_cg_solve<L>(index, table, loading, options, counts, u);
  if (u) elasticity_fields<float, L>(index, table, u, result.mean_strain, loading.delta_T, options, fields);
  return result;
}

template ElasticityResult solve_elasticity<std::uint8_t>(const VolumeView<const std::uint8_t>&, const MaterialTable&,
                                                         const MacroLoading&, const ElasticityOptions&,
                                                         const ElasticityFields<float>&);
template ElasticityResult solve_elasticity<std::uint16_t>(const VolumeView<const std::uint16_t>&, const MaterialTable&,
                                                          const MacroLoading&, const ElasticityOptions&,
                                                          const ElasticityFields<float>&);

}  // namespace voxtwin::cuda
