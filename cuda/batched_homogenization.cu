// CUDA twin of cpp/src/batched_homogenization.cpp: the cells of a batch solved one after another on
// the device in float32, all of them in one workspace (cuFFT plans, CG vectors, the label buffer:
// cuda_detail::make_cell_workspace), with the load cases and the cubic symmetry handling of the
// CPU batch (detail::check_batch, batch_load_cases, finish_cell).
// Eigen (host code only here) trips nvcc's note on defaulted __host__ __device__ members.
#pragma nv_diag_suppress 20012
#include <chrono>
#include <vector>

#include "check.cuh"
#include "elasticity_solvers.cuh"
#include "voxtwin/batched_homogenization.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/device.hpp"

namespace voxtwin::cuda {

BatchResult homogenize_cells(const std::uint8_t* cells, std::int64_t count, const Shape3& shape,
                             const MaterialTable& table, const BatchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto counts = detail::check_batch(cells, count, shape, table, options);
  const RuntimeStatus status = runtime_status();
  if (status.code != RuntimeStatus::Code::Usable) throw CudaError("CUDA is not usable: " + status.message);
  const ElasticityOptions& eo = options;
  const bool cubic = options.symmetry == CellSymmetry::Cubic;
  BatchResult result = detail::empty_batch_result(count);
  if (count == 0) return result;
  auto workspace = cuda_detail::make_cell_workspace(shape, table, eo);
  for (std::int64_t c = 0; c < count; ++c) {
    const std::uint8_t* labels = cells + c * shape.size();
    const Matrix6 C0 = detail::reference_stiffness(table, counts[c]);
    const bool shortcut = cubic && cubic_invariant(VolumeView<const std::uint8_t>{labels, shape});
    const std::vector<int> cases = detail::batch_load_cases(shortcut);
    std::vector<Vector6> stresses;
    bool converged = true;
    for (int k : cases) {
      MacroLoading loading;
      loading.strain[k] = 1.0;
      const ElasticityResult r = workspace->solve(labels, C0, loading);
      stresses.push_back(r.mean_stress);
      result.iterations[c] += r.iterations;
      converged = converged && r.converged;
    }
    result.converged[c] = converged ? 1 : 0;
    result.invariant[c] = shortcut ? 1 : 0;
    detail::finish_cell(cases, stresses, cubic, shortcut, c, result);
  }
  result.memory_bytes = workspace->memory_bytes();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace voxtwin::cuda
