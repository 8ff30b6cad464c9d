// CUDA twin of cpp/src/gaussian_field.cpp: the same counter-based noise (detail/gaussian_noise.hpp)
// and the same separable real-space convolutions along x, y and z, each a kernel that sums the taps
// in the CPU's order (centre, then j = 1..R as w * (lo + hi)) without fused multiply-add
// (-fmad=false): the bytes equal the CPU's for the same spec and planes.
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.cuh"
#include "voxtwin/detail/gaussian_noise.hpp"
#include "voxtwin/gaussian_field.hpp"

namespace voxtwin::cuda {

namespace {

constexpr int kThreads = 256;

// noise[p][i] for planes p = 0..count + 2R - 1, global plane wrap(x0 - R + p)
__global__ void noise_kernel(float* __restrict__ noise, std::uint64_t key, std::int64_t x_first, std::int64_t nx,
                             std::int64_t plane, std::int64_t total) {
  const std::int64_t k = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (k >= total) return;
  const std::int64_t p = k / plane, i = k - p * plane;
  const std::int64_t g = detail::wrap_index(x_first + p, nx) * plane + i;
  noise[k] = detail::noise_at(key, static_cast<std::uint64_t>(g));
}

// x: out[x][i] = k0 n[x + R][i] + sum_j kj (n[x + R - j][i] + n[x + R + j][i])
__global__ void convolve_x(const float* __restrict__ noise, float* __restrict__ out, const float* __restrict__ k,
                           std::int64_t R, std::int64_t plane, std::int64_t total) {
  const std::int64_t t = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (t >= total) return;
  const std::int64_t x = t / plane, i = t - x * plane;
  const float* c = noise + (x + R) * plane + i;
  float acc = k[0] * c[0];
  for (std::int64_t j = 1; j <= R; ++j) acc += k[j] * (c[-j * plane] + c[j * plane]);
  out[t] = acc;
}

// y or z inside each plane: stride between neighbours `step`, extent n, wrap
__global__ void convolve_axis(const float* __restrict__ in, float* __restrict__ out, const float* __restrict__ k,
                              std::int64_t R, std::int64_t ny, std::int64_t nz, int axis, std::int64_t total) {
  const std::int64_t t = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (t >= total) return;
  const std::int64_t z = t % nz, y = (t / nz) % ny, base = t - y * nz - z;  // base: the plane start
  float acc = k[0] * in[t];
  for (std::int64_t j = 1; j <= R; ++j) {
    float lo, hi;
    if (axis == 1) {
      lo = in[base + detail::wrap_index(y - j, ny) * nz + z];
      hi = in[base + detail::wrap_index(y + j, ny) * nz + z];
    } else {
      lo = in[base + y * nz + detail::wrap_index(z - j, nz)];
      hi = in[base + y * nz + detail::wrap_index(z + j, nz)];
    }
    acc += k[j] * (lo + hi);
  }
  out[t] = acc;
}

int blocks_for(std::int64_t n) { return static_cast<int>((n + kThreads - 1) / kThreads); }

}  // namespace

void gaussian_field(const GaussianFieldSpec& spec, std::int64_t x0, std::int64_t x1, const VolumeView<float>& out) {
  const Shape3 s = spec.shape;
  require_valid_shape(s, "shape");
  if (x0 < 0 || x1 > s.nx || x0 >= x1)
    throw std::invalid_argument("planes [x0, x1) must lie in [0, " + std::to_string(s.nx) + "), got x0=" +
                                std::to_string(x0) + ", x1=" + std::to_string(x1));
  if (out.shape != Shape3{x1 - x0, s.ny, s.nz})
    throw std::invalid_argument("`out` must have shape (x1 - x0, ny, nz)");
  // the kernels are made on the host, by the CPU's function: the same floats on both sides
  const std::vector<float> kx = voxtwin::gaussian_kernel(spec.lengths[0]), ky = voxtwin::gaussian_kernel(spec.lengths[1]),
                           kz = voxtwin::gaussian_kernel(spec.lengths[2]);
  const std::int64_t R = static_cast<std::int64_t>(kx.size()) - 1, plane = s.ny * s.nz, count = x1 - x0;
  const std::int64_t total = count * plane, noisy = (count + 2 * R) * plane;
  cuda_detail::DeviceBuffer<float> d_noise(static_cast<std::size_t>(noisy));
  cuda_detail::DeviceBuffer<float> d_a(static_cast<std::size_t>(total)), d_b(static_cast<std::size_t>(total));
  cuda_detail::DeviceBuffer<float> d_kx(kx.size()), d_ky(ky.size()), d_kz(kz.size());
  VOXTWIN_CUDA_CHECK(cudaMemcpy(d_kx.get(), kx.data(), kx.size() * sizeof(float), cudaMemcpyHostToDevice));
  VOXTWIN_CUDA_CHECK(cudaMemcpy(d_ky.get(), ky.data(), ky.size() * sizeof(float), cudaMemcpyHostToDevice));
  VOXTWIN_CUDA_CHECK(cudaMemcpy(d_kz.get(), kz.data(), kz.size() * sizeof(float), cudaMemcpyHostToDevice));
  const std::uint64_t key = detail::noise_key(spec.seed, spec.stream);
  noise_kernel<<<blocks_for(noisy), kThreads>>>(d_noise.get(), key, x0 - R, s.nx, plane, noisy);
  VOXTWIN_CUDA_CHECK_LAUNCH();
  convolve_x<<<blocks_for(total), kThreads>>>(d_noise.get(), d_a.get(), d_kx.get(), R, plane, total);
  VOXTWIN_CUDA_CHECK_LAUNCH();
  convolve_axis<<<blocks_for(total), kThreads>>>(d_a.get(), d_b.get(), d_ky.get(),
                                                  static_cast<std::int64_t>(ky.size()) - 1, s.ny, s.nz, 1, total);
  VOXTWIN_CUDA_CHECK_LAUNCH();
  convolve_axis<<<blocks_for(total), kThreads>>>(d_b.get(), d_a.get(), d_kz.get(),
                                                  static_cast<std::int64_t>(kz.size()) - 1, s.ny, s.nz, 2, total);
  VOXTWIN_CUDA_CHECK_LAUNCH();
  VOXTWIN_CUDA_CHECK(cudaMemcpy(out.data, d_a.get(), static_cast<std::size_t>(total) * sizeof(float),
                                cudaMemcpyDeviceToHost));
}

}  // namespace voxtwin::cuda
