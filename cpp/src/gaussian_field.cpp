// Gaussian random field synthesis, slab by slab with the bytes of the whole field (see
// gaussian_field.hpp for the design): counter-based white noise, x convolution in real space over
// a ring of noise planes per thread, (y, z) filtering of each plane by a 2D real FFT.
#include "voxtwin/gaussian_field.hpp"

#include <fftw3.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "aligned_buffer.hpp"
#include "fft_r2c.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

constexpr double kTwoPi = 6.283185307179586;

std::uint64_t mix(std::uint64_t z) {  // splitmix64 finalizer
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t stream_key(std::uint64_t seed, std::uint64_t stream) {
  return mix(mix(seed + 0x9E3779B97F4A7C15ULL) ^ (stream * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL));
}

// Box-Muller on two 24-bit uniforms from the hash of pair q, in float (tails end at 5.8 sigma, a
// probability of 1e-8): normals for indices 2q (cos) and 2q + 1 (sin).
inline void normal_pair(std::uint64_t key, std::uint64_t q, float& c, float& s) {
  const std::uint64_t h = mix(key + (q + 1) * 0x9E3779B97F4A7C15ULL);
  const float u1 = (static_cast<float>(h >> 40) + 0.5f) * 0x1.0p-24f;  // in (0, 1): log is finite
  const float u2 = static_cast<float>((h >> 16) & 0xFFFFFFu) * 0x1.0p-24f;
  const float r = std::sqrt(-2.0f * std::log(u1));
  const float a = static_cast<float>(kTwoPi) * u2;
  c = r * std::cos(a);
  s = r * std::sin(a);
}

// Noise of global plane p (wrapped into [0, nx)) into `out` (ny * nz floats).
void noise_plane(std::uint64_t key, const Shape3& s, std::int64_t p, float* out) {
  const std::int64_t plane = s.ny * s.nz, base = p * plane;
  std::int64_t i = 0;
  if (base & 1) {  // the plane starts on the sin half of a pair
    float c, sn;
    normal_pair(key, static_cast<std::uint64_t>(base >> 1), c, sn);
    out[i++] = sn;
  }
  for (; i + 1 < plane; i += 2) {
    float c, sn;
    normal_pair(key, static_cast<std::uint64_t>((base + i) >> 1), c, sn);
    out[i] = c;
    out[i + 1] = sn;
  }
  if (i < plane) {
    float c, sn;
    normal_pair(key, static_cast<std::uint64_t>((base + i) >> 1), c, sn);
    out[i] = c;
  }
}

// Spectral density of the periodized sampled covariance exp(-d^2 / (2 l^2)) on n points (real, even).
std::vector<double> spectral_density(std::int64_t n, double l) {
  std::vector<double> rho(n, 0.0), out(n, 0.0);
  if (l <= 0) {
    std::fill(out.begin(), out.end(), 1.0);
    return out;
  }
  const double reach = 12.0 * l;  // exp(-72): nothing beyond
  for (std::int64_t d = 0; d < n; ++d)
    for (std::int64_t p = -static_cast<std::int64_t>(reach / n) - 1; p <= static_cast<std::int64_t>(reach / n) + 1; ++p) {
      const double r = static_cast<double>(d + p * n);
      if (std::fabs(r) <= reach) rho[d] += std::exp(-0.5 * r * r / (l * l));
    }
  for (std::int64_t k = 0; k < n; ++k) {
    double sum = 0.0;
    for (std::int64_t d = 0; d < n; ++d) sum += rho[d] * std::cos(kTwoPi * static_cast<double>((k * d) % n) / n);
    out[k] = std::max(sum, 0.0);  // tiny negative round-off of a positive-definite covariance
  }
  return out;
}

}  // namespace

double white_noise(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  float c, s;
  normal_pair(stream_key(seed, stream), index >> 1, c, s);
  return static_cast<double>((index & 1) ? s : c);
}

// k(j)^2 = exp(-2 j^2 / lx^2) is below exp(-18) beyond 3 lx: the covariance is unchanged to 1e-7.
std::int64_t gaussian_kernel_radius(double lx) { return lx <= 0 ? 0 : static_cast<std::int64_t>(std::ceil(3.0 * lx)); }

void gaussian_field(const GaussianFieldSpec& spec, std::int64_t x0, std::int64_t x1, const VolumeView<float>& out) {
  const Shape3 s = spec.shape;
  require_valid_shape(s, "shape");
  for (int d = 0; d < 3; ++d)
    if (!(spec.lengths[d] >= 0) || !std::isfinite(spec.lengths[d]))
      throw std::invalid_argument("`lengths` must be finite and >= 0 voxels, got lengths[" + std::to_string(d) +
                                  "]=" + std::to_string(spec.lengths[d]));
  if (x0 < 0 || x1 > s.nx || x0 >= x1)
    throw std::invalid_argument("planes [x0, x1) must lie in [0, " + std::to_string(s.nx) + "), got x0=" +
                                std::to_string(x0) + ", x1=" + std::to_string(x1));
  if (out.shape != Shape3{x1 - x0, s.ny, s.nz})
    throw std::invalid_argument("`out` must have shape (x1 - x0, ny, nz)");

  // x kernel, normalized to unit variance
  const double lx = spec.lengths[0];
  const std::int64_t R = gaussian_kernel_radius(lx), taps = 2 * R + 1;
  std::vector<float> kernel(taps);
  {
    std::vector<double> k(taps);
    double norm = 0.0;
    for (std::int64_t j = -R; j <= R; ++j) {
      k[j + R] = lx <= 0 ? 1.0 : std::exp(-static_cast<double>(j * j) / (lx * lx));
      norm += k[j + R] * k[j + R];
    }
    for (std::int64_t j = 0; j < taps; ++j) kernel[j] = static_cast<float>(k[j] / std::sqrt(norm));
  }
  // (y, z) filter sqrt(S_y S_z) / (ny nz) on the R2C half spectrum
  const detail::PaddedGrid g = detail::padded_grid(1, s.ny, s.nz);
  std::vector<float> filter(s.ny * g.nzc);
  {
    const auto sy = spectral_density(s.ny, spec.lengths[1]), sz = spectral_density(s.nz, spec.lengths[2]);
    const double scale = 1.0 / static_cast<double>(s.ny * s.nz);
    for (std::int64_t y = 0; y < s.ny; ++y)
      for (std::int64_t z = 0; z < g.nzc; ++z) filter[y * g.nzc + z] = static_cast<float>(std::sqrt(sy[y] * sz[z]) * scale);
  }

  const std::int64_t plane = s.ny * s.nz;
  const std::uint64_t key = stream_key(spec.seed, spec.stream);
  const int threads = static_cast<int>(std::min<std::int64_t>(get_num_threads(), x1 - x0));
  std::vector<detail::AlignedBuffer<float>> bufs;
  for (int t = 0; t < threads; ++t) bufs.emplace_back(static_cast<std::size_t>(g.plane()));
  fftwf_plan forward, inverse;
  {
    detail::planner_thread_safety();
    std::lock_guard<std::mutex> lock(detail::planner_mutex());
    const int n2[2] = {static_cast<int>(s.ny), static_cast<int>(s.nz)};
    const int real_embed[2] = {static_cast<int>(s.ny), static_cast<int>(g.nzp)};
    const int cplx_embed[2] = {static_cast<int>(s.ny), static_cast<int>(g.nzc)};
    float* b = bufs[0].get();
    auto* c = reinterpret_cast<fftwf_complex*>(b);
    forward = fftwf_plan_many_dft_r2c(2, n2, 1, b, real_embed, 1, 0, c, cplx_embed, 1, 0, FFTW_ESTIMATE);
    inverse = fftwf_plan_many_dft_c2r(2, n2, 1, c, cplx_embed, 1, 0, b, real_embed, 1, 0, FFTW_ESTIMATE);
  }
  if (!forward || !inverse) throw std::runtime_error("FFTW could not plan the (y, z) field transforms");

#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    // contiguous planes per thread: the noise ring is refilled one plane per output plane
    const std::int64_t count = x1 - x0, first = x0 + count * t / threads, last = x0 + count * (t + 1) / threads;
    std::vector<float> ring(static_cast<std::size_t>(taps * plane));
    auto slot = [&](std::int64_t p) { return ring.data() + (((p % taps) + taps) % taps) * plane; };
    auto wrap = [&](std::int64_t p) { return ((p % s.nx) + s.nx) % s.nx; };
    float* buf = bufs[t].get();
    auto* cbuf = reinterpret_cast<std::complex<float>*>(buf);
    std::vector<float> acc(plane);
    for (std::int64_t x = first; x < last; ++x) {
      if (x == first) {
        for (std::int64_t p = x - R; p <= x + R; ++p) noise_plane(key, s, wrap(p), slot(p));
      } else {
        noise_plane(key, s, wrap(x + R), slot(x + R));
      }
      // symmetric kernel: pairs of planes share a weight (fixed order: centre, then j = 1..R)
      {
        const float w0 = kernel[R];
        const float* c0 = slot(x);
        for (std::int64_t i = 0; i < plane; ++i) acc[i] = w0 * c0[i];
      }
      for (std::int64_t j = 1; j <= R; ++j) {
        const float w = kernel[R + j];
        const float* lo = slot(x - j);
        const float* hi = slot(x + j);
        for (std::int64_t i = 0; i < plane; ++i) acc[i] += w * (lo[i] + hi[i]);
      }
      for (std::int64_t y = 0; y < s.ny; ++y) std::copy_n(acc.data() + y * s.nz, s.nz, buf + y * g.nzp);
      fftwf_execute_dft_r2c(forward, buf, reinterpret_cast<fftwf_complex*>(buf));
      for (std::int64_t i = 0; i < s.ny * g.nzc; ++i) cbuf[i] *= filter[i];
      fftwf_execute_dft_c2r(inverse, reinterpret_cast<fftwf_complex*>(buf), buf);
      float* dst = out.data + (x - x0) * plane;
      for (std::int64_t y = 0; y < s.ny; ++y) std::copy_n(buf + y * g.nzp, s.nz, dst + y * s.nz);
    }
  }
  {
    std::lock_guard<std::mutex> lock(detail::planner_mutex());
    fftwf_destroy_plan(forward);
    fftwf_destroy_plan(inverse);
  }
}

}  // namespace voxtwin
