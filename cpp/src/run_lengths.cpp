// Run-length scan of one label along an axis. Lines are gathered in batches (contiguous reads for
// every axis), scanned one by one, and counted in per-thread integer histograms (exact sums).
#include "voxtwin/run_lengths.hpp"

#include <omp.h>

#include <algorithm>

#include "line_batches.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

constexpr std::int64_t kBatch = 64;

// Runs of one line s[0..n) (1 = phase) into the histograms.
void scan_line(const std::uint8_t* s, std::int64_t n, bool periodic, std::int64_t* inner, std::int64_t* edge) {
  if (periodic) {
    std::int64_t start = 0;  // a position outside the phase: every run then ends before wrapping back to it
    while (start < n && s[start]) ++start;
    if (start == n) {
      ++edge[n];
      return;
    }
    std::int64_t run = 0;
    for (std::int64_t k = 1; k <= n; ++k) {
      if (s[(start + k) % n]) {
        ++run;
      } else if (run) {
        ++inner[run];
        run = 0;
      }
    }
    return;
  }
  std::int64_t run = 0, begin = 0;
  for (std::int64_t k = 0; k <= n; ++k) {
    if (k < n && s[k]) {
      if (!run) begin = k;
      ++run;
    } else if (run) {
      ((begin == 0 || k == n) ? edge : inner)[run] += 1;
      run = 0;
    }
  }
}

}  // namespace

RunLengths run_lengths(const VolumeView<const std::uint8_t>& labels, int axis, std::uint8_t phase, bool periodic) {
  require_valid_shape(labels.shape, "labels");
  const detail::AxisLines lines = detail::axis_lines(labels.shape, axis);
  const std::int64_t n = lines.n;
  const int threads = get_num_threads();
  std::vector<std::vector<std::int64_t>> inner(threads, std::vector<std::int64_t>(n + 1));
  std::vector<std::vector<std::int64_t>> edge(threads, std::vector<std::int64_t>(n + 1));
  const std::int64_t batches = (lines.count() + kBatch - 1) / kBatch;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    std::vector<std::uint8_t> raw(kBatch * n);
#pragma omp for schedule(static)
    for (std::int64_t k = 0; k < batches; ++k) {
      const std::int64_t first = k * kBatch, width = std::min(kBatch, lines.count() - first);
      lines.gather(labels.data, first, width, raw.data(), n);
      for (std::int64_t i = 0; i < width * n; ++i) raw[i] = raw[i] == phase;
      for (std::int64_t j = 0; j < width; ++j)
        scan_line(raw.data() + j * n, n, periodic, inner[t].data(), edge[t].data());
    }
  }
  RunLengths out{std::vector<std::int64_t>(n + 1), std::vector<std::int64_t>(n + 1)};
  for (int t = 0; t < threads; ++t)
    for (std::int64_t l = 0; l <= n; ++l) {
      out.inner[l] += inner[t][l];
      out.edge[l] += edge[t][l];
    }
  return out;
}

}  // namespace voxtwin
