#pragma once
// Two-point cluster function C2 along an axis (Torquato's C2: the probability that p and p + r lie
// in the same cluster of a phase), counted exactly from cluster labels.
#include <cstdint>
#include <vector>

#include "voxtwin/volume.hpp"

namespace voxtwin {

/// Along one axis (0 = x, 1 = y, 2 = z): c[r] = number of positions p with clusters(p) != 0 and
/// clusters(p + r e_axis) == clusters(p), for r = 0 .. n - 1 (n voxels along the axis), summed
/// over every line. With `periodic`, p + r wraps (c[r] == c[n - r]); without, only pairs inside
/// the line count (divide by lines * (n - r) for the probability). `clusters`: 0 = not in the
/// phase, equal nonzero labels = one cluster (connectivity is the caller's: labels of the 3D
/// components, joined across periodic faces where wanted).
///
/// Method: per line, the runs of equal labels; every pair of runs of one label adds the
/// convolution of two boxes (a trapezoid over the lag) as four +-1 entries of a second-difference
/// array, each run its own ramp; two prefix sums give the counts. Exact integers, no FFT rounding,
/// cost O(voxels + sum over lines and labels of runs^2).
std::vector<std::int64_t> axis_cluster_counts(const VolumeView<const std::uint32_t>& clusters, int axis,
                                              bool periodic);

}  // namespace voxtwin
