// CUDA twin of cpp/src/phase_counts.cpp: per-block shared-memory histograms, summed with
// 64-bit atomics. Integer sums, so the result equals the CPU count exactly.
#include "check.cuh"
#include "voxtwin/phase_counts.hpp"

namespace voxtwin::cuda {

namespace {

__global__ void histogram_kernel(const std::uint8_t* __restrict__ labels, std::int64_t n,
                                 unsigned long long* __restrict__ counts) {
  __shared__ unsigned int local[256];
  for (int k = threadIdx.x; k < 256; k += blockDim.x) local[k] = 0u;
  __syncthreads();
  // A block handles at most gridDim-strided items; 32-bit shared counters cannot overflow
  // because each block sees fewer than 2^32 voxels per launch (chunks below).
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)
    atomicAdd(&local[labels[i]], 1u);
  __syncthreads();
  for (int k = threadIdx.x; k < 256; k += blockDim.x)
    if (local[k]) atomicAdd(&counts[k], static_cast<unsigned long long>(local[k]));
}

}  // namespace

PhaseCounts phase_counts(const VolumeView<const std::uint8_t>& labels) {
  require_valid_shape(labels.shape, "labels");
  const std::int64_t n = labels.size();
  // Stream the volume through a bounded device buffer so any size fits.
  const std::int64_t chunk = std::min<std::int64_t>(n, std::int64_t(1) << 28);
  cuda_detail::DeviceBuffer<std::uint8_t> d_labels(static_cast<std::size_t>(chunk));
  cuda_detail::DeviceBuffer<unsigned long long> d_counts(256);
  VOXTWIN_CUDA_CHECK(cudaMemset(d_counts.get(), 0, 256 * sizeof(unsigned long long)));
  constexpr int threads = 256;
  for (std::int64_t start = 0; start < n; start += chunk) {
    const std::int64_t m = std::min(chunk, n - start);
    VOXTWIN_CUDA_CHECK(cudaMemcpy(d_labels.get(), labels.data + start, static_cast<std::size_t>(m), cudaMemcpyHostToDevice));
    const int blocks = static_cast<int>(std::min<std::int64_t>((m + threads - 1) / threads, 4096));
    histogram_kernel<<<blocks, threads>>>(d_labels.get(), m, d_counts.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  unsigned long long host[256];
  VOXTWIN_CUDA_CHECK(cudaMemcpy(host, d_counts.get(), sizeof(host), cudaMemcpyDeviceToHost));
  PhaseCounts out{};
  for (int k = 0; k < 256; ++k) out[k] = host[k];
  return out;
}

}  // namespace voxtwin::cuda
