// Directional two-point correlation counts: batches of lines are transformed with one 1D real FFT
// plan (FFTW), the cross spectra conj(A) B are summed over all lines, and one inverse transform
// gives the counts for every lag. Memory: a few lines per thread.
#include <fftw3.h>
#include <omp.h>

#include <cmath>
#include <complex>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "aligned_buffer.hpp"
#include "fft_r2c.hpp"
#include "line_batches.hpp"
#include "voxtwin/parallel.hpp"
#include "voxtwin/two_point.hpp"

namespace voxtwin {

namespace {

constexpr std::int64_t kBatch = 32;  // lines per transform call

}  // namespace

std::vector<std::int64_t> axis_correlation_counts(const VolumeView<const std::uint8_t>& labels, int axis,
                                                  std::uint8_t a, std::uint8_t b, bool periodic) {
  require_valid_shape(labels.shape, "labels");
  const detail::AxisLines lines = detail::axis_lines(labels.shape, axis);
  const std::int64_t n = lines.n, m = periodic ? n : 2 * n, mc = m / 2 + 1;
  const bool same = a == b;
  const int threads = get_num_threads();
  const std::int64_t batches = (lines.count() + kBatch - 1) / kBatch;

  // Plans on thread 0's buffers; every thread's buffers have the same (64-byte) alignment.
  std::vector<detail::AlignedBuffer<double>> real_a, real_b;
  std::vector<detail::AlignedBuffer<std::complex<double>>> spec_a, spec_b;
  std::vector<std::vector<std::complex<double>>> acc(threads, std::vector<std::complex<double>>(mc));
  for (int t = 0; t < threads; ++t) {
    real_a.emplace_back(kBatch * m);
    spec_a.emplace_back(kBatch * mc);
    if (!same) {
      real_b.emplace_back(kBatch * m);
      spec_b.emplace_back(kBatch * mc);
    }
  }
  fftw_plan forward, inverse;
  std::vector<double> corr(m);
  std::vector<std::complex<double>> total(mc);
  {
    detail::planner_thread_safety();
    std::lock_guard<std::mutex> lock(detail::planner_mutex());
    const int len[1] = {static_cast<int>(m)};
    forward = fftw_plan_many_dft_r2c(1, len, kBatch, real_a[0].get(), nullptr, 1, static_cast<int>(m),
                                     reinterpret_cast<fftw_complex*>(spec_a[0].get()), nullptr, 1,
                                     static_cast<int>(mc), FFTW_ESTIMATE);
    inverse = fftw_plan_dft_c2r_1d(static_cast<int>(m), reinterpret_cast<fftw_complex*>(total.data()), corr.data(),
                                   FFTW_ESTIMATE | FFTW_UNALIGNED);
  }
  if (!forward || !inverse) throw std::runtime_error("FFTW could not plan the line correlation transforms");

#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    double* ra = real_a[t].get();
    double* rb = same ? ra : real_b[t].get();
    auto* sa = spec_a[t].get();
    auto* sb = same ? sa : spec_b[t].get();
    std::vector<std::uint8_t> raw(kBatch * n);
    auto& sum = acc[t];
#pragma omp for schedule(static)
    for (std::int64_t k = 0; k < batches; ++k) {
      const std::int64_t first = k * kBatch;
      std::fill(raw.begin(), raw.end(), std::uint8_t(0));
      lines.gather(labels.data, first, kBatch, raw.data(), n);
      const std::int64_t width = std::min(kBatch, lines.count() - first);
      // rows past the last line stay zero: they add nothing to the sums
      std::fill(ra, ra + kBatch * m, 0.0);
      if (!same) std::fill(rb, rb + kBatch * m, 0.0);
      for (std::int64_t j = 0; j < width; ++j)
        for (std::int64_t i = 0; i < n; ++i) {
          const std::uint8_t v = raw[j * n + i];
          ra[j * m + i] = v == a ? 1.0 : 0.0;
          if (!same) rb[j * m + i] = v == b ? 1.0 : 0.0;
        }
      fftw_execute_dft_r2c(forward, ra, reinterpret_cast<fftw_complex*>(sa));
      if (!same) fftw_execute_dft_r2c(forward, rb, reinterpret_cast<fftw_complex*>(sb));
      for (std::int64_t j = 0; j < width; ++j)
        for (std::int64_t q = 0; q < mc; ++q) sum[q] += std::conj(sa[j * mc + q]) * sb[j * mc + q];
    }
  }
  for (int t = 0; t < threads; ++t)
    for (std::int64_t q = 0; q < mc; ++q) total[q] += acc[t][q];
  fftw_execute_dft_c2r(inverse, reinterpret_cast<fftw_complex*>(total.data()), corr.data());
  {
    std::lock_guard<std::mutex> lock(detail::planner_mutex());
    fftw_destroy_plan(forward);
    fftw_destroy_plan(inverse);
  }
  // c(r) = sum_p a(p) b(p + r): the inverse of conj(A) B, unnormalized by m; counts are integers.
  std::vector<std::int64_t> counts(m);
  for (std::int64_t r = 0; r < m; ++r) counts[r] = std::llround(corr[r] / static_cast<double>(m));
  return counts;
}

}  // namespace voxtwin
