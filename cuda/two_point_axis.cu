// CUDA twin of cpp/src/two_point_axis.cpp: batches of lines become float64 rows on the device,
// batched D2Z transforms (cuFFT) give their spectra, the cross spectra conj(A) B are summed over the
// batch's lines per frequency in a fixed order, and one Z2D inverse gives the pair counts, rounded
// to integers like the CPU's: both backends return the same counts.
#include <cufft.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "check.cuh"
#include "voxtwin/two_point.hpp"

namespace voxtwin::cuda {

namespace {

struct Lines {
  std::int64_t outer, n, inner;
};

Lines axis_lines(const Shape3& s, int axis) {
  if (axis == 0) return {1, s.nx, s.ny * s.nz};
  if (axis == 1) return {s.nx, s.ny, s.nz};
  if (axis == 2) return {s.nx * s.ny, s.nz, 1};
  throw std::invalid_argument("`axis` must be 0, 1 or 2, got axis=" + std::to_string(axis));
}

__global__ void fill_rows(const std::uint8_t* __restrict__ labels, Lines l, std::int64_t first, std::int64_t count,
                          std::int64_t batch, std::int64_t m, std::uint8_t a, std::uint8_t b, double* ra, double* rb) {
  const std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (i >= batch * m) return;
  const std::int64_t j = i / m, t = i % m, line = first + j;
  double va = 0.0, vb = 0.0;
  if (line < count && t < l.n) {
    const std::uint8_t v = labels[(line / l.inner) * l.n * l.inner + line % l.inner + t * l.inner];
    va = v == a ? 1.0 : 0.0;
    vb = v == b ? 1.0 : 0.0;
  }
  ra[i] = va;
  if (rb) rb[i] = vb;
}

__global__ void accumulate(const cufftDoubleComplex* __restrict__ sa, const cufftDoubleComplex* __restrict__ sb,
                           std::int64_t batch, std::int64_t mc, cufftDoubleComplex* acc) {
  const std::int64_t q = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x;
  if (q >= mc) return;
  double re = acc[q].x, im = acc[q].y;
  for (std::int64_t j = 0; j < batch; ++j) {
    const cufftDoubleComplex x = sa[j * mc + q], y = sb[j * mc + q];
    re += x.x * y.x + x.y * y.y;  // conj(x) * y
    im += x.x * y.y - x.y * y.x;
  }
  acc[q].x = re;
  acc[q].y = im;
}

void cufft_check(cufftResult r, const char* what) {
  if (r != CUFFT_SUCCESS) throw CudaError(std::string("cuFFT failed in ") + what + " (code " + std::to_string(r) + ")");
}

}  // namespace

std::vector<std::int64_t> axis_correlation_counts(const VolumeView<const std::uint8_t>& labels, int axis,
                                                  std::uint8_t a, std::uint8_t b, bool periodic) {
  require_valid_shape(labels.shape, "labels");
  const Lines l = axis_lines(labels.shape, axis);
  const std::int64_t n = l.n, m = periodic ? n : 2 * n, mc = m / 2 + 1, count = l.outer * l.inner;
  const bool same = a == b;
  const std::int64_t batch = std::max<std::int64_t>(1, std::min<std::int64_t>(count, (std::int64_t(1) << 24) / m));
  cuda_detail::DeviceBuffer<std::uint8_t> d_labels(static_cast<std::size_t>(labels.size()));
  VOXTWIN_CUDA_CHECK(cudaMemcpy(d_labels.get(), labels.data, static_cast<std::size_t>(labels.size()),
                                cudaMemcpyHostToDevice));
  cuda_detail::DeviceBuffer<double> ra(static_cast<std::size_t>(batch * m));
  cuda_detail::DeviceBuffer<double> rb(same ? 1 : static_cast<std::size_t>(batch * m));
  cuda_detail::DeviceBuffer<cufftDoubleComplex> sa(static_cast<std::size_t>(batch * mc));
  cuda_detail::DeviceBuffer<cufftDoubleComplex> sb(same ? 1 : static_cast<std::size_t>(batch * mc));
  cuda_detail::DeviceBuffer<cufftDoubleComplex> acc(static_cast<std::size_t>(mc));
  cuda_detail::DeviceBuffer<double> corr(static_cast<std::size_t>(m));
  VOXTWIN_CUDA_CHECK(cudaMemset(acc.get(), 0, static_cast<std::size_t>(mc) * sizeof(cufftDoubleComplex)));
  cufftHandle forward = 0, inverse = 0;
  int len = static_cast<int>(m);
  cufft_check(cufftPlanMany(&forward, 1, &len, nullptr, 1, len, nullptr, 1, static_cast<int>(mc), CUFFT_D2Z,
                            static_cast<int>(batch)), "planning the line transforms");
  try {
    cufft_check(cufftPlan1d(&inverse, len, CUFFT_Z2D, 1), "planning the inverse");
    constexpr int threads = 256;
    for (std::int64_t first = 0; first < count; first += batch) {
      const int blocks = static_cast<int>((batch * m + threads - 1) / threads);
      fill_rows<<<blocks, threads>>>(d_labels.get(), l, first, count, batch, m, a, b, ra.get(), same ? nullptr : rb.get());
      VOXTWIN_CUDA_CHECK_LAUNCH();
      cufft_check(cufftExecD2Z(forward, ra.get(), sa.get()), "the line transforms");
      if (!same) cufft_check(cufftExecD2Z(forward, rb.get(), sb.get()), "the line transforms");
      accumulate<<<static_cast<int>((mc + threads - 1) / threads), threads>>>(sa.get(), same ? sa.get() : sb.get(),
                                                                              batch, mc, acc.get());
      VOXTWIN_CUDA_CHECK_LAUNCH();
    }
    cufft_check(cufftExecZ2D(inverse, acc.get(), corr.get()), "the inverse transform");
  } catch (...) {
    cufftDestroy(forward);
    if (inverse) cufftDestroy(inverse);
    throw;
  }
  cufftDestroy(forward);
  cufftDestroy(inverse);
  std::vector<double> host(static_cast<std::size_t>(m));
  VOXTWIN_CUDA_CHECK(cudaMemcpy(host.data(), corr.get(), static_cast<std::size_t>(m) * sizeof(double),
                                cudaMemcpyDeviceToHost));
  std::vector<std::int64_t> counts(static_cast<std::size_t>(m));
  for (std::int64_t r = 0; r < m; ++r) counts[r] = std::llround(host[r] / static_cast<double>(m));
  return counts;
}

}  // namespace voxtwin::cuda
