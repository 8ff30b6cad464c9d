#pragma once
// The CUDA scheme behind voxtwin::cuda::solve_elasticity (cuda/elasticity.cu dispatches to it);
// twin of cpp/src/elasticity_solvers.hpp.
#include <cstdint>
#include <memory>
#include <vector>

#include "voxtwin/elasticity.hpp"

namespace voxtwin::cuda_detail {

/// Preconditioned CG on trilinear hexahedra in float32 on the current device. Checks the free
/// device memory, with headroom, before allocating (voxtwin::InsufficientMemory). Writes the
/// displacement fluctuation (3N floats, µm, compact [c][x][y][z]) to the host array `u` when it is
/// not null; without `u` the displacement is not stored and the mean stress follows the recurrence.
template <class L>
ElasticityResult hex_cg_solve(const VolumeView<const L>& index, const MaterialTable& table, const MacroLoading& loading,
                              const ElasticityOptions& options, const std::vector<std::uint64_t>& counts, float* u);

/// A device workspace for many cells of one grid (batched homogenization): cuFFT plans, CG vectors
/// and the label buffer made once; solve() uploads a cell's labels and runs one load case.
class CellWorkspace {
 public:
  virtual ~CellWorkspace() = default;
  virtual ElasticityResult solve(const std::uint8_t* labels, const Matrix6& C0, const MacroLoading& loading) = 0;
  virtual double memory_bytes() const = 0;
};
std::unique_ptr<CellWorkspace> make_cell_workspace(const Shape3& shape, const MaterialTable& table,
                                                   const ElasticityOptions& options);

/// Device bytes of hex_cg_solve (cuFFT work area from cufftGetSizeMany64 unless `with_fft_work`
/// is false: a lower bound that cannot fail); x is kept with fields.
double cg_device_bytes(const Shape3& shape, int index_bytes, bool full_integration, bool with_fields,
                       bool with_fft_work = true);

}  // namespace voxtwin::cuda_detail
