#pragma once
// Voxel counts per phase label, the basis of every volume fraction.
#include <array>
#include <cstdint>

#include "voxtwin/volume.hpp"

namespace voxtwin {

using PhaseCounts = std::array<std::uint64_t, 256>;

/// Number of voxels holding each uint8 label (CPU, OpenMP). Exact for any thread count.
PhaseCounts phase_counts(const VolumeView<const std::uint8_t>& labels);

namespace cuda {
/// CUDA twin of voxtwin::phase_counts (defined in libvoxtwin_cuda; throws voxtwin::CudaError).
PhaseCounts phase_counts(const VolumeView<const std::uint8_t>& labels);
}  // namespace cuda

}  // namespace voxtwin
