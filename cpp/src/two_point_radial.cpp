// Orientation-averaged two-point correlation: the full 3D correlation of two indicator fields by
// the library's slab FFT (SlabFft, float64, zero-padded to 2n on non-periodic axes), binned by the
// rounded lag length while each x-slab comes back to real space, so no second grid is stored.
#include <omp.h>

#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>
#include <vector>

#include "aligned_buffer.hpp"
#include "fft_r2c.hpp"
#include "voxtwin/parallel.hpp"
#include "voxtwin/two_point.hpp"

namespace voxtwin {

namespace {

struct AxisLag {
  std::int64_t n, m;  // voxels, transform length
  bool periodic;
  // signed lag of transform index i, and whether it is a real lag (index n of a padded axis is not)
  bool lag(std::int64_t i, std::int64_t& r) const {
    if (periodic) {
      r = i <= n / 2 ? i : i - n;
      return true;
    }
    if (i == n) return false;
    r = i < n ? i : i - m;
    return true;
  }
  std::int64_t windows(std::int64_t r) const { return periodic ? n : n - std::llabs(r); }
};

}  // namespace

RadialCorrelation radial_correlation_counts(const VolumeView<const std::uint8_t>& labels, std::uint8_t a,
                                            std::uint8_t b, const std::array<bool, 3>& periodic,
                                            std::int64_t max_bin) {
  require_valid_shape(labels.shape, "labels");
  if (max_bin < 0) throw std::invalid_argument("`max_bin` must be >= 0, got max_bin=" + std::to_string(max_bin));
  const Shape3 s = labels.shape;
  const std::int64_t n[3] = {s.nx, s.ny, s.nz};
  AxisLag ax[3];
  for (int d = 0; d < 3; ++d) {
    const bool p = periodic[d] || n[d] == 1;  // a single layer has only lag 0 either way
    ax[d] = AxisLag{n[d], p ? n[d] : 2 * n[d], p};
  }
  const detail::PaddedGrid g = detail::padded_grid(ax[0].m, ax[1].m, ax[2].m);
  const bool same = a == b;
  const int ncomp = same ? 1 : 2;
  const int threads = get_num_threads();
  detail::AlignedBuffer<double> field(static_cast<std::size_t>(ncomp * g.component()));
  double* fa = field.get();
  double* fb = same ? fa : fa + g.component();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t x = 0; x < s.nx; ++x)
    for (std::int64_t y = 0; y < s.ny; ++y)
      for (std::int64_t z = 0; z < s.nz; ++z) {
        const std::uint8_t v = labels(x, y, z);
        fa[g.at(x, y, z)] = v == a ? 1.0 : 0.0;
        if (!same) fb[g.at(x, y, z)] = v == b ? 1.0 : 0.0;
      }
  std::vector<std::vector<std::int64_t>> pairs(threads, std::vector<std::int64_t>(max_bin + 1));
  std::vector<std::vector<std::int64_t>> windows(threads, std::vector<std::int64_t>(max_bin + 1));
  const double scale = 1.0 / static_cast<double>(g.voxels());
  detail::SlabFft<double> fft(g, ncomp, threads, fa);
  const std::int64_t row = g.nx * g.nzc;
  fft.transform(
      fa,
      [&](detail::Cplx<double>* block, std::int64_t) {
        auto* ca = reinterpret_cast<std::complex<double>*>(block);
        if (same) {
          for (std::int64_t i = 0; i < row; ++i) ca[i] = std::norm(ca[i]);
        } else {
          const auto* cb = ca + row;
          for (std::int64_t i = 0; i < row; ++i) ca[i] = std::conj(ca[i]) * cb[i];
        }
      },
      [&](std::int64_t x) {
        std::int64_t rx, ry, rz;
        if (!ax[0].lag(x, rx)) return;
        const int t = omp_get_thread_num();
        auto& p = pairs[t];
        auto& w = windows[t];
        const double* slab = fa + x * g.plane();
        for (std::int64_t y = 0; y < g.ny; ++y) {
          if (!ax[1].lag(y, ry)) continue;
          for (std::int64_t z = 0; z < g.nz; ++z) {
            if (!ax[2].lag(z, rz)) continue;
            const std::int64_t k = std::llround(std::sqrt(static_cast<double>(rx * rx + ry * ry + rz * rz)));
            if (k > max_bin) continue;
            p[k] += std::llround(slab[y * g.nzp + z] * scale);
            w[k] += ax[0].windows(rx) * ax[1].windows(ry) * ax[2].windows(rz);
          }
        }
      });
  RadialCorrelation out{std::vector<std::int64_t>(max_bin + 1), std::vector<std::int64_t>(max_bin + 1)};
  for (int t = 0; t < threads; ++t)
    for (std::int64_t k = 0; k <= max_bin; ++k) {
      out.pairs[k] += pairs[t][k];
      out.windows[k] += windows[t][k];
    }
  return out;
}

}  // namespace voxtwin
