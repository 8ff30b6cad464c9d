// Gaussian random field synthesis, slab by slab with the bytes of the whole field (see
// gaussian_field.hpp for the design): counter-based white noise, then separable real-space
// convolutions along x (over a ring of noise planes per thread), y and z (inside each plane).
#include "voxtwin/gaussian_field.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "voxtwin/detail/gaussian_noise.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

constexpr double kTwoPi = 6.283185307179586;
constexpr std::int64_t kBlock = 2048;  // floats per column block of the x pass (ring: (2R + 1) x 8 KiB)

// Scratch of one thread for the noise of a range of voxels.
struct NoiseScratch {
  std::vector<float> u1, u2, c, s;
};

// Noise of linear voxel indices [first, first + count) into `out`: the uniforms of every pair
// first (64-bit integer hashing), then Box-Muller over them in a loop that vectorizes.
void noise_range(std::uint64_t key, std::int64_t first, std::int64_t count, float* out, NoiseScratch& w) {
  const std::int64_t q0 = first >> 1, q1 = (first + count + 1) >> 1, pairs = q1 - q0;  // pairs covering the range
  w.u1.resize(pairs);
  w.u2.resize(pairs);
  w.c.resize(pairs);
  w.s.resize(pairs);
  float* u1 = w.u1.data();
  float* u2 = w.u2.data();
  float* c = w.c.data();
  float* s = w.s.data();
  for (std::int64_t q = 0; q < pairs; ++q)
    detail::noise_uniforms(detail::noise_hash(key, static_cast<std::uint64_t>(q0 + q)), u1[q], u2[q]);
  for (std::int64_t q = 0; q < pairs; ++q) detail::box_muller(u1[q], u2[q], c[q], s[q]);
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t g = first + i, q = (g >> 1) - q0;
    out[i] = (g & 1) ? s[q] : c[q];
  }
}

// Symmetric convolution of `n` contiguous values (stride 1) with wrap: out[i] = k0 in[i] + sum_j
// kj (in[i - j] + in[i + j]), in this order; `pad` holds the row with R wrapped values each side.
void convolve_row(const float* in, float* out, std::int64_t n, const std::vector<float>& k, std::vector<float>& pad) {
  const std::int64_t R = static_cast<std::int64_t>(k.size()) - 1;
  pad.resize(static_cast<std::size_t>(n + 2 * R));
  std::copy_n(in, n, pad.data() + R);
  for (std::int64_t i = 1; i <= R; ++i) {  // wrapped margins (R may exceed n)
    pad[R - i] = in[detail::wrap_index(-i, n)];
    pad[R + n - 1 + i] = in[detail::wrap_index(n - 1 + i, n)];
  }
  const float* c = pad.data() + R;
  const float k0 = k[0];
  for (std::int64_t i = 0; i < n; ++i) out[i] = k0 * c[i];
  for (std::int64_t j = 1; j <= R; ++j) {
    const float w = k[j];
    for (std::int64_t i = 0; i < n; ++i) out[i] += w * (c[i - j] + c[i + j]);
  }
}

}  // namespace

double white_noise(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  return static_cast<double>(detail::noise_at(detail::noise_key(seed, stream), index));
}

std::int64_t gaussian_kernel_radius(double l) { return static_cast<std::int64_t>(gaussian_kernel(l).size()) - 1; }

std::vector<float> gaussian_kernel(double l) {
  if (!(l >= 0) || !std::isfinite(l))
    throw std::invalid_argument("correlation length must be finite and >= 0 voxels, got " + std::to_string(l));
  if (l == 0) return {1.0f};
  // Square root of the sampled covariance through its spectrum on a period M >> l (so the
  // periodization adds nothing): S(k) = sum_d rho(d) cos(2 pi k d / M) >= 0, h = IDFT(sqrt S).
  const std::int64_t reach = static_cast<std::int64_t>(std::ceil(3.0 * l));
  std::int64_t M = 64;
  while (M < 16 * (reach + 1)) M *= 2;
  std::vector<double> cosine(M), rho(M, 0.0), spec(M), h(M / 2);
  for (std::int64_t i = 0; i < M; ++i) cosine[i] = std::cos(kTwoPi * static_cast<double>(i) / static_cast<double>(M));
  for (std::int64_t d = -M / 2; d < M / 2; ++d)
    rho[detail::wrap_index(d, M)] += std::exp(-0.5 * static_cast<double>(d * d) / (l * l));
  for (std::int64_t k = 0; k < M; ++k) {
    double sum = 0.0;
    for (std::int64_t d = 0; d < M; ++d) sum += rho[d] * cosine[(k * d) % M];
    spec[k] = std::sqrt(std::max(sum, 0.0));  // tiny negative round-off of a positive-definite covariance
  }
  double total = 0.0;
  for (std::int64_t j = 0; j < M / 2; ++j) {
    double sum = 0.0;
    for (std::int64_t k = 0; k < M; ++k) sum += spec[k] * cosine[(k * j) % M];
    h[j] = sum / static_cast<double>(M);
    total += (j == 0 ? 1.0 : 2.0) * h[j] * h[j];
  }
  // radius: at least 3 l, and until the left-out tail holds < 1e-8 of the variance (as the taps
  // beyond 3 l of a wide Gaussian kernel do; float32 fields resolve 6e-8; small l:
  // the square root of an aliased spectrum decays more slowly than the Gaussian)
  std::int64_t R = std::min(reach, M / 2 - 1);
  double tail = 0.0;
  for (std::int64_t j = M / 2 - 1; j > R; --j) tail += 2.0 * h[j] * h[j];
  while (R < M / 2 - 1 && tail > 1e-8 * total) {
    ++R;
    tail -= 2.0 * h[R] * h[R];
  }
  double norm = 0.0;
  for (std::int64_t j = 0; j <= R; ++j) norm += (j == 0 ? 1.0 : 2.0) * h[j] * h[j];
  std::vector<float> out(R + 1);
  for (std::int64_t j = 0; j <= R; ++j) out[j] = static_cast<float>(h[j] / std::sqrt(norm));
  return out;
}

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

  const std::vector<float> kx = gaussian_kernel(spec.lengths[0]), ky = gaussian_kernel(spec.lengths[1]),
                           kz = gaussian_kernel(spec.lengths[2]);
  const std::int64_t R = static_cast<std::int64_t>(kx.size()) - 1, taps = 2 * R + 1;
  const std::int64_t Ry = static_cast<std::int64_t>(ky.size()) - 1;
  const std::int64_t plane = s.ny * s.nz;
  const std::uint64_t key = detail::noise_key(spec.seed, spec.stream);
  const int threads = static_cast<int>(std::min<std::int64_t>(get_num_threads(), x1 - x0));

#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    // contiguous planes per thread: the noise ring is refilled one plane per output plane
    const std::int64_t count = x1 - x0, first = x0 + count * t / threads, last = x0 + count * (t + 1) / threads;
    // x pass, by column blocks of the plane: the ring of 2R + 1 noise blocks stays in cache
    const std::int64_t width = std::min<std::int64_t>(plane, kBlock);
    std::vector<float> ring(static_cast<std::size_t>(taps * width));
    auto slot = [&](std::int64_t p) { return ring.data() + detail::wrap_index(p, taps) * width; };
    NoiseScratch scratch;
    for (std::int64_t b0 = 0; b0 < plane && first < last; b0 += width) {
      const std::int64_t bw = std::min(width, plane - b0);
      for (std::int64_t x = first; x < last; ++x) {
        if (x == first) {
          for (std::int64_t p = x - R; p <= x + R; ++p)
            noise_range(key, detail::wrap_index(p, s.nx) * plane + b0, bw, slot(p), scratch);
        } else {
          noise_range(key, detail::wrap_index(x + R, s.nx) * plane + b0, bw, slot(x + R), scratch);
        }
        // symmetric kernel: pairs of planes share a weight (fixed order: centre, then j = 1..R)
        float* acc = out.data + (x - x0) * plane + b0;
        {
          const float w0 = kx[0];
          const float* c0 = slot(x);
          for (std::int64_t i = 0; i < bw; ++i) acc[i] = w0 * c0[i];
        }
        for (std::int64_t j = 1; j <= R; ++j) {
          const float w = kx[j];
          const float* lo = slot(x - j);
          const float* hi = slot(x + j);
          for (std::int64_t i = 0; i < bw; ++i) acc[i] += w * (lo[i] + hi[i]);
        }
      }
    }
    // y then z, plane by plane, in place in `out`
    std::vector<float> accy(plane), pad;
    for (std::int64_t x = first; x < last; ++x) {
      float* src = out.data + (x - x0) * plane;
      // y: whole rows of nz values at once (wrapped row indices), same order
      for (std::int64_t y = 0; y < s.ny; ++y) {
        float* dst = accy.data() + y * s.nz;
        const float* c0 = src + y * s.nz;
        const float w0 = ky[0];
        for (std::int64_t z = 0; z < s.nz; ++z) dst[z] = w0 * c0[z];
        for (std::int64_t j = 1; j <= Ry; ++j) {
          const float w = ky[j];
          const float* lo = src + detail::wrap_index(y - j, s.ny) * s.nz;
          const float* hi = src + detail::wrap_index(y + j, s.ny) * s.nz;
          for (std::int64_t z = 0; z < s.nz; ++z) dst[z] += w * (lo[z] + hi[z]);
        }
      }
      // z: along each row, back into `out`
      for (std::int64_t y = 0; y < s.ny; ++y) convolve_row(accy.data() + y * s.nz, src + y * s.nz, s.nz, kz, pad);
    }
  }
}

}  // namespace voxtwin
