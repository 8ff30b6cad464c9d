// CUDA twin of cpp/src/composite_voxels.cpp: one thread per coarse voxel running the same
// per-block code (voxtwin/detail/composite_block.hpp), so the cells equal the CPU's byte for
// byte. The volume streams through the GPU in slabs of coarse layers along X, each with its two
// halo planes (wrapped or clamped on the host exactly as the CPU source does).
#include <algorithm>

#include "check.cuh"
#include "voxtwin/composite_voxels.hpp"
#include "voxtwin/detail/composite_block.hpp"

namespace voxtwin::cuda {

namespace {

// Fine planes x_begin - 1 .. x_end of the labels (halo included) and x_begin .. x_end - 1 of
// the instances, addressed in whole-volume coordinates.
struct Slab {
  const std::uint8_t* labels = nullptr;
  const std::uint32_t* instances = nullptr;
  std::int64_t x_begin = 0;
  Shape3 shape;
  bool periodic = true;

  __device__ std::uint8_t label(std::int64_t x, std::int64_t y, std::int64_t z) const {
    const std::int64_t plane = x - x_begin + 1;
    return labels[(plane * shape.ny + detail::halo_index(y, shape.ny, periodic)) * shape.nz +
                  detail::halo_index(z, shape.nz, periodic)];
  }
  __device__ std::uint32_t instance(std::int64_t x, std::int64_t y, std::int64_t z) const {
    return instances[((x - x_begin) * shape.ny + y) * shape.nz + z];
  }
};

__global__ void cells_kernel(Slab src, detail::BlockParams p, std::int64_t X0, std::int64_t nX, Shape3 coarse,
                             CompositeCell* out) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= nX * coarse.ny * coarse.nz) return;
  const std::int64_t Z = i % coarse.nz, Y = (i / coarse.nz) % coarse.ny, X = X0 + i / (coarse.nz * coarse.ny);
  out[i] = detail::composite_block(src, X, Y, Z, p);
}

__global__ void majority_kernel(Slab src, int factor, std::int64_t X0, std::int64_t nX, Shape3 coarse,
                                std::uint8_t* out) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= nX * coarse.ny * coarse.nz) return;
  const std::int64_t Z = i % coarse.nz, Y = (i / coarse.nz) % coarse.ny, X = X0 + i / (coarse.nz * coarse.ny);
  out[i] = detail::majority_block(src, X, Y, Z, factor);
}

constexpr int kThreads = 128;
constexpr std::int64_t kSlabBytes = std::int64_t(256) << 20;  // device staging per slab

int blocks_for(std::int64_t n) { return static_cast<int>((n + kThreads - 1) / kThreads); }

// Coarse X layers per slab: as many as fit kSlabBytes (at least one).
std::int64_t layers_per_slab(const Shape3& fine, const Shape3& coarse, int factor, std::int64_t bytes_per_voxel) {
  const std::int64_t layer = std::int64_t(factor) * fine.ny * fine.nz * bytes_per_voxel;
  return std::max<std::int64_t>(1, std::min<std::int64_t>(coarse.nx, kSlabBytes / std::max<std::int64_t>(layer, 1)));
}

// Copies fine planes x_begin - 1 .. x_end (halo wrapped or clamped) into the device slab.
void upload_labels(const VolumeView<const std::uint8_t>& labels, std::int64_t x_begin, std::int64_t x_end,
                   bool periodic, std::uint8_t* d_slab) {
  const std::int64_t plane = labels.shape.ny * labels.shape.nz;
  const std::int64_t before = detail::halo_index(x_begin - 1, labels.shape.nx, periodic);
  const std::int64_t after = detail::halo_index(x_end, labels.shape.nx, periodic);
  VOXTWIN_CUDA_CHECK(cudaMemcpy(d_slab, labels.data + before * plane, plane, cudaMemcpyHostToDevice));
  VOXTWIN_CUDA_CHECK(cudaMemcpy(d_slab + plane, labels.data + x_begin * plane, (x_end - x_begin) * plane,
                                cudaMemcpyHostToDevice));
  VOXTWIN_CUDA_CHECK(cudaMemcpy(d_slab + (x_end - x_begin + 1) * plane, labels.data + after * plane, plane,
                                cudaMemcpyHostToDevice));
}

template <class T>
void upload(cuda_detail::DeviceBuffer<T>& dst, const T* src, std::size_t n) {
  if (n) VOXTWIN_CUDA_CHECK(cudaMemcpy(dst.get(), src, n * sizeof(T), cudaMemcpyHostToDevice));
}

}  // namespace

void composite_cells(const VolumeView<const std::uint8_t>& labels, const CompositeOptions& options,
                     CompositeCell* out) {
  const Shape3 coarse = composite_grid(labels.shape, options);
  const int f = options.factor;
  const bool fibres = options.instances != nullptr;
  const std::int64_t plane = labels.shape.ny * labels.shape.nz;
  const std::int64_t nX = layers_per_slab(labels.shape, coarse, f, fibres ? 5 : 1);
  const std::int64_t cells_per_layer = coarse.ny * coarse.nz;

  cuda_detail::DeviceBuffer<std::uint8_t> d_labels(static_cast<std::size_t>((nX * f + 2) * plane));
  cuda_detail::DeviceBuffer<std::uint32_t> d_instances(fibres ? static_cast<std::size_t>(nX * f * plane) : 0);
  cuda_detail::DeviceBuffer<std::int32_t> d_weights(256);
  cuda_detail::DeviceBuffer<double> d_centres(options.fibres.centre.size());
  cuda_detail::DeviceBuffer<double> d_directions(options.fibres.direction.size());
  cuda_detail::DeviceBuffer<double> d_half_lengths(options.fibres.half_length.size());
  cuda_detail::DeviceBuffer<double> d_radii(options.fibres.radius.size());
  cuda_detail::DeviceBuffer<CompositeCell> d_cells(static_cast<std::size_t>(nX * cells_per_layer));
  upload(d_weights, options.weights.data(), 256);
  upload(d_centres, options.fibres.centre.data(), options.fibres.centre.size());
  upload(d_directions, options.fibres.direction.data(), options.fibres.direction.size());
  upload(d_half_lengths, options.fibres.half_length.data(), options.fibres.half_length.size());
  upload(d_radii, options.fibres.radius.data(), options.fibres.radius.size());

  detail::BlockParams p;
  p.factor = f;
  p.periodic = options.periodic;
  p.shape = labels.shape;
  p.weights = d_weights.get();
  p.use_fibres = fibres;
  p.centres = d_centres.get();
  p.directions = d_directions.get();
  p.n_fibres = options.fibres.size();
  p.half_lengths = options.fibres.capped() ? d_half_lengths.get() : nullptr;
  p.rounded = options.fibres.rounded;
  p.radii = options.fibres.capped() ? d_radii.get() : nullptr;

  for (std::int64_t X0 = 0; X0 < coarse.nx; X0 += nX) {
    const std::int64_t m = std::min(nX, coarse.nx - X0);
    const std::int64_t x_begin = X0 * f, x_end = (X0 + m) * f;
    upload_labels(labels, x_begin, x_end, options.periodic, d_labels.get());
    if (fibres)
      VOXTWIN_CUDA_CHECK(cudaMemcpy(d_instances.get(), options.instances + x_begin * plane,
                                    (x_end - x_begin) * plane * sizeof(std::uint32_t), cudaMemcpyHostToDevice));
    const Slab src{d_labels.get(), d_instances.get(), x_begin, labels.shape, options.periodic};
    const std::int64_t n = m * cells_per_layer;
    cells_kernel<<<blocks_for(n), kThreads>>>(src, p, X0, m, coarse, d_cells.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    VOXTWIN_CUDA_CHECK(cudaMemcpy(out + X0 * cells_per_layer, d_cells.get(), n * sizeof(CompositeCell),
                                  cudaMemcpyDeviceToHost));
  }
}

void majority_vote(const VolumeView<const std::uint8_t>& labels, int factor, std::uint8_t* out) {
  const Shape3 coarse = coarse_shape(labels.shape, factor);
  const std::int64_t plane = labels.shape.ny * labels.shape.nz;
  const std::int64_t nX = layers_per_slab(labels.shape, coarse, factor, 1);
  const std::int64_t cells_per_layer = coarse.ny * coarse.nz;
  cuda_detail::DeviceBuffer<std::uint8_t> d_labels(static_cast<std::size_t>((nX * factor + 2) * plane));
  cuda_detail::DeviceBuffer<std::uint8_t> d_out(static_cast<std::size_t>(nX * cells_per_layer));
  for (std::int64_t X0 = 0; X0 < coarse.nx; X0 += nX) {
    const std::int64_t m = std::min(nX, coarse.nx - X0);
    const std::int64_t x_begin = X0 * factor, x_end = (X0 + m) * factor;
    upload_labels(labels, x_begin, x_end, true, d_labels.get());
    const Slab src{d_labels.get(), nullptr, x_begin, labels.shape, true};
    const std::int64_t n = m * cells_per_layer;
    majority_kernel<<<blocks_for(n), kThreads>>>(src, factor, X0, m, coarse, d_out.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    VOXTWIN_CUDA_CHECK(cudaMemcpy(out + X0 * cells_per_layer, d_out.get(), n, cudaMemcpyDeviceToHost));
  }
}

}  // namespace voxtwin::cuda
