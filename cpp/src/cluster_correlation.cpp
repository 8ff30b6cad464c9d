// Two-point cluster function counts along an axis (see cluster_correlation.hpp): runs of equal
// cluster labels per line, trapezoids of run pairs accumulated as second differences.
#include "voxtwin/cluster_correlation.hpp"

#include <omp.h>

#include <algorithm>

#include "line_batches.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

constexpr std::int64_t kBatch = 64;

struct Run {
  std::uint32_t label;
  std::int64_t start, length;
};

// Adds one line's one-sided counts h(d), d >= 1 (pairs i < j with j - i = d in one cluster), to
// the second-difference array dd (size n + 2); returns the clustered voxels (the d = 0 pairs).
std::int64_t scan_line(const std::uint32_t* s, std::int64_t n, std::vector<Run>& runs, std::int64_t* dd) {
  runs.clear();
  for (std::int64_t k = 0; k < n;) {
    const std::uint32_t v = s[k];
    std::int64_t e = k + 1;
    while (e < n && s[e] == v) ++e;
    if (v) runs.push_back({v, k, e - k});
    k = e;
  }
  std::int64_t self = 0;
  // one run of length l: h(d) = l - d for 1 <= d < l, i.e. second differences -1 at 1, +1 at l + 1
  // after removing d = 0 (which is counted as `self`): h = ramp starting at l - 1 on d = 1.
  for (const Run& r : runs) {
    self += r.length;
    if (r.length > 1) {
      dd[1] += r.length - 1;
      dd[2] -= r.length;
      dd[r.length + 1] += 1;
    }
  }
  if (runs.size() < 2) return self;
  // runs of one label, in line order within each label
  std::stable_sort(runs.begin(), runs.end(), [](const Run& a, const Run& b) { return a.label < b.label; });
  for (std::size_t g = 0; g < runs.size();) {
    std::size_t e = g + 1;
    while (e < runs.size() && runs[e].label == runs[g].label) ++e;
    for (std::size_t i = g; i < e; ++i)
      for (std::size_t j = i + 1; j < e; ++j) {
        // A before B: d = jB - iA over the box convolution, between b - a - la + 1 and b - a + lb - 1
        const std::int64_t a = runs[i].start, la = runs[i].length, b = runs[j].start, lb = runs[j].length;
        dd[b - a - la + 1] += 1;
        dd[b - a + 1] -= 1;
        dd[b - a - la + 1 + lb] -= 1;
        dd[b - a + lb + 1] += 1;
      }
    g = e;
  }
  return self;
}

}  // namespace

std::vector<std::int64_t> axis_cluster_counts(const VolumeView<const std::uint32_t>& clusters, int axis,
                                              bool periodic) {
  require_valid_shape(clusters.shape, "clusters");
  const detail::AxisLines lines = detail::axis_lines(clusters.shape, axis);
  const std::int64_t n = lines.n;
  const int threads = get_num_threads();
  std::vector<std::vector<std::int64_t>> dd(threads, std::vector<std::int64_t>(n + 2));
  std::vector<std::int64_t> self(threads, 0);
  const std::int64_t batches = (lines.count() + kBatch - 1) / kBatch;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    std::vector<std::uint32_t> raw(kBatch * n);
    std::vector<Run> runs;
#pragma omp for schedule(static)
    for (std::int64_t k = 0; k < batches; ++k) {
      const std::int64_t first = k * kBatch, width = std::min(kBatch, lines.count() - first);
      lines.gather(clusters.data, first, width, raw.data(), n);
      for (std::int64_t j = 0; j < width; ++j) self[t] += scan_line(raw.data() + j * n, n, runs, dd[t].data());
    }
  }
  std::vector<std::int64_t> h(n + 2, 0);
  std::int64_t total_self = 0;
  for (int t = 0; t < threads; ++t) {
    total_self += self[t];
    for (std::int64_t d = 0; d < n + 2; ++d) h[d] += dd[t][d];
  }
  for (int pass = 0; pass < 2; ++pass)
    for (std::int64_t d = 1; d < n + 2; ++d) h[d] += h[d - 1];
  std::vector<std::int64_t> c(n, 0);
  c[0] = total_self;
  // h(d) lives on 1 <= d <= n - 1; with wrapping, the pair (i < j, j - i = d) is also the lag n - d
  // seen from j
  for (std::int64_t r = 1; r < n; ++r) c[r] = h[r] + (periodic ? h[n - r] : 0);
  return c;
}

}  // namespace voxtwin
