#include "voxtwin/phase_counts.hpp"

#include <omp.h>

#include "voxtwin/parallel.hpp"

#include <vector>

namespace voxtwin {

PhaseCounts phase_counts(const VolumeView<const std::uint8_t>& labels) {
  require_valid_shape(labels.shape, "labels");
  const std::int64_t n = labels.size();
  const std::uint8_t* data = labels.data;
  // Per-thread histograms summed at the end: integer sums, so the result is exact for any thread count.
  const int threads = get_num_threads();
  std::vector<PhaseCounts> partial(threads, PhaseCounts{});
#pragma omp parallel num_threads(threads)
  {
    PhaseCounts& mine = partial[omp_get_thread_num()];
#pragma omp for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) ++mine[data[i]];
  }
  PhaseCounts total{};
  for (const auto& p : partial)
    for (int k = 0; k < 256; ++k) total[k] += p[k];
  return total;
}

}  // namespace voxtwin
