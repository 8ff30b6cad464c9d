// CUDA twin of cpp/src/fibre_raster.cpp: one thread block per fibre, its threads over the
// fibre's columns (along its dominant axis). The voxel decisions come from the same header as the CPU's
// (voxtwin/detail/fibre_solid.hpp), so the output is byte-identical. Where fibres overlap, the
// lowest fibre index keeps the instance label (atomicMax on 0xFFFFFFFF - index), and fractions are
// summed as small integers (exact in float, so the order of the atomics does not matter).
#include <algorithm>
#include <vector>

#include "check.cuh"
#include "fibre_columns.cuh"
#include "voxtwin/detail/fibre_solid.hpp"
#include "voxtwin/errors.hpp"
#include "voxtwin/fibres.hpp"

namespace voxtwin::cuda {

namespace {

using detail::FibreSolid;
using detail::GridGeom;

struct DeviceWriter {
  const FibreSolid* f;
  std::uint8_t* labels;
  std::uint8_t fibre_label;
  std::uint32_t* instances;
  std::uint32_t key;  // 0xFFFFFFFF - fibre index: the largest key is the lowest index
  float* fractions;
  int supersample;
  double h;
  __device__ bool operator()(std::int64_t idx, std::int64_t i, std::int64_t j, std::int64_t k, bool centre_inside) const {
    if (centre_inside) {
      if (labels) labels[idx] = fibre_label;  // every writer stores the same value
      if (instances) atomicMax(&instances[idx], key);
    }
    if (fractions) {
      const int n = detail::subpoints_inside(*f, i, j, k, h, supersample);
      if (n) atomicAdd(&fractions[idx], static_cast<float>(n));
    }
    return true;
  }
};

__global__ void raster_kernel(const FibreSolid* __restrict__ solids, std::int64_t count, GridGeom g,
                              std::uint8_t* labels, std::uint8_t fibre_label, std::uint32_t* instances,
                              float* fractions, int supersample) {
  for (std::int64_t n = blockIdx.x; n < count; n += gridDim.x) {
    const FibreSolid s = solids[n];
    if (s.lo[0] > s.hi[0] || s.lo[1] > s.hi[1] || s.lo[2] > s.hi[2]) continue;
    DeviceWriter write{&s, labels, fibre_label, instances, 0xFFFFFFFFu - static_cast<std::uint32_t>(n), fractions,
                       supersample, g.h};
    cuda_detail::visit_fibre_columns(s, g, fractions != nullptr, write);
  }
}

__global__ void finish_kernel(std::int64_t total, std::uint32_t* instances, float* fractions, float points) {
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    if (instances) {
      const std::uint32_t v = instances[i];
      if (v) instances[i] = 0u - v;  // key 0xFFFFFFFF - n  ->  label n + 1
    }
    if (fractions) {
      const float v = fractions[i];
      if (v != 0.0f) fractions[i] = (v < points ? v : points) / points;  // as on the CPU
    }
  }
}

}  // namespace

void rasterize_fibres(const std::vector<Fibre>& fibres, FibreShape shape, const FibreGrid& grid,
                      const RasterTargets& targets) {
  detail::check_raster_arguments(fibres, shape, grid, targets);
  const GridGeom g = detail::make_grid(grid);
  const std::int64_t total = grid.shape.size();
  const std::size_t n = static_cast<std::size_t>(total);
  std::vector<FibreSolid> solids(fibres.size());
  const double grow = detail::candidate_growth(g.h, targets.fractions.data != nullptr);
  for (std::size_t i = 0; i < fibres.size(); ++i) solids[i] = detail::make_solid(fibres[i], shape, g, grow);

  // Check the memory before allocating: outputs plus the fibre records.
  const double needed = (targets.labels.data ? 1.0 : 0.0) * n + (targets.instances.data ? 4.0 : 0.0) * n +
                        (targets.fractions.data ? 4.0 : 0.0) * n + sizeof(FibreSolid) * double(solids.size());
  cuda_detail::require_free_memory(needed, "rasterize_fibres");

  cuda_detail::DeviceBuffer<FibreSolid> d_solids(solids.size());
  cuda_detail::DeviceBuffer<std::uint8_t> d_labels(targets.labels.data ? n : 0);
  cuda_detail::DeviceBuffer<std::uint32_t> d_instances(targets.instances.data ? n : 0);
  cuda_detail::DeviceBuffer<float> d_fractions(targets.fractions.data ? n : 0);
  if (!solids.empty())
    VOXTWIN_CUDA_CHECK(cudaMemcpy(d_solids.get(), solids.data(), solids.size() * sizeof(FibreSolid),
                                  cudaMemcpyHostToDevice));
  if (targets.labels.data)  // fibres are drawn into the caller's background
    VOXTWIN_CUDA_CHECK(cudaMemcpy(d_labels.get(), targets.labels.data, n, cudaMemcpyHostToDevice));
  if (targets.instances.data) VOXTWIN_CUDA_CHECK(cudaMemset(d_instances.get(), 0, n * sizeof(std::uint32_t)));
  if (targets.fractions.data) VOXTWIN_CUDA_CHECK(cudaMemset(d_fractions.get(), 0, n * sizeof(float)));

  if (!solids.empty()) {
    const int blocks = static_cast<int>(std::min<std::size_t>(solids.size(), 1u << 30));
    raster_kernel<<<blocks, 128>>>(d_solids.get(), static_cast<std::int64_t>(solids.size()), g, d_labels.get(),
                                   targets.fibre_label, d_instances.get(), d_fractions.get(), targets.supersample);
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  if (targets.instances.data || targets.fractions.data) {
    const float points = static_cast<float>(targets.supersample * targets.supersample * targets.supersample);
    const int blocks = static_cast<int>(std::min<std::int64_t>((total + 255) / 256, 65536));
    finish_kernel<<<blocks, 256>>>(total, d_instances.get(), d_fractions.get(), points);
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  if (targets.labels.data)
    VOXTWIN_CUDA_CHECK(cudaMemcpy(targets.labels.data, d_labels.get(), n, cudaMemcpyDeviceToHost));
  if (targets.instances.data)
    VOXTWIN_CUDA_CHECK(cudaMemcpy(targets.instances.data, d_instances.get(), n * sizeof(std::uint32_t),
                                  cudaMemcpyDeviceToHost));
  if (targets.fractions.data)
    VOXTWIN_CUDA_CHECK(
        cudaMemcpy(targets.fractions.data, d_fractions.get(), n * sizeof(float), cudaMemcpyDeviceToHost));
}

}  // namespace voxtwin::cuda
