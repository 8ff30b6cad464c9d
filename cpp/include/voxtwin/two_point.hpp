#pragma once
// Two-point correlation counts of phase indicators by FFT (seed 003's S2 and cross-correlations).
// Counts are integers: the FFT results are rounded to the nearest integer, which makes them exact
// (and identical for every thread count) as long as the rounding error stays below 1/2.
#include <array>
#include <cstdint>
#include <vector>

#include "voxtwin/volume.hpp"

namespace voxtwin {

/// Along one axis (0 = x, 1 = y, 2 = z): c[r] = number of pairs (p, p + r e_axis) with label a at p
/// and label b at p + r e_axis, summed over every line of the volume. With `periodic`, lags wrap
/// (c has n entries, lag n - r is lag -r); without, each line is zero-padded to 2n, c has 2n
/// entries, c[r] for r < n is lag +r and c[2n - r] is lag -r (c[n] = 0).
std::vector<std::int64_t> axis_correlation_counts(const VolumeView<const std::uint8_t>& labels, int axis,
                                                  std::uint8_t a, std::uint8_t b, bool periodic);

/// Orientation average of the full 3D correlation of labels a and b, binned by the rounded length
/// of the lag vector |r| (voxels) for bins 0 .. max_bin: pairs[k] counts (a at p, b at p + r) over
/// every lag with round(|r|) = k, windows[k] the number of positions those lags had (so
/// pairs[k] / windows[k] is the binned S2). Axes without `periodic` are zero-padded (every octant
/// of lags is counted, not one). Memory: one float64 grid of the (padded) volume.
struct RadialCorrelation {
  std::vector<std::int64_t> pairs;
  std::vector<std::int64_t> windows;
};
RadialCorrelation radial_correlation_counts(const VolumeView<const std::uint8_t>& labels, std::uint8_t a,
                                            std::uint8_t b, const std::array<bool, 3>& periodic,
                                            std::int64_t max_bin);

namespace cuda {
/// CUDA twin of voxtwin::axis_correlation_counts (cuFFT, float64; defined in libvoxtwin_cuda;
/// throws voxtwin::CudaError). Returns the same counts as the CPU.
std::vector<std::int64_t> axis_correlation_counts(const VolumeView<const std::uint8_t>& labels, int axis,
                                                  std::uint8_t a, std::uint8_t b, bool periodic);
}  // namespace cuda

}  // namespace voxtwin
