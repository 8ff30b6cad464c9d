#pragma once
// Run lengths of one label along an axis: the basis of chord-length distributions and of the
// lineal path function (seed 003).
#include <cstdint>
#include <vector>

#include "voxtwin/volume.hpp"

namespace voxtwin {

/// Histograms (index = run length in voxels, size n + 1) of maximal runs of `phase` along `axis`.
/// `inner`: runs that touch no end of a non-periodic line; `edge`: runs that touch an end (cut by
/// the window). With `periodic`, runs wrap around and are all inner, except a line wholly in the
/// phase, which is counted as an edge run of length n (it has no ends).
struct RunLengths {
  std::vector<std::int64_t> inner;
  std::vector<std::int64_t> edge;
};
RunLengths run_lengths(const VolumeView<const std::uint8_t>& labels, int axis, std::uint8_t phase, bool periodic);

}  // namespace voxtwin
