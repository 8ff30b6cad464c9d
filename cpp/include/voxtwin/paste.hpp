#pragma once
// Digital assembly kernel: copies a building block into an output volume at an integer
// voxel offset, turned by a signed axis permutation (90-degree rotations and mirrors), and
// clipped at the output's bounds. Output chunks need not align with blocks: a chunk pastes
// the part of every block that overlaps it.
#include <array>
#include <cstdint>

#include "voxtwin/volume.hpp"

namespace voxtwin {

/// A signed permutation of the axes (the 48 symmetries of a cube's voxel grid): axis `a` of
/// the turned block runs along axis `axis[a]` of the block, reversed when `flip[a]`.
/// The identity is axis = {0, 1, 2}, flip = {false, false, false}; a 90-degree turn about Z
/// (+X towards +Y) is axis = {1, 0, 2}, flip = {true, false, false}.
struct AxisTransform {
  std::array<int, 3> axis{0, 1, 2};
  std::array<bool, 3> flip{false, false, false};

  /// Throws std::invalid_argument unless `axis` is a permutation of {0, 1, 2}.
  void validate() const;
  /// Extent of a block of extent `s` once turned.
  Shape3 turned(const Shape3& s) const;
};

/// Writes the turned block into `out` with its first voxel at `offset` (voxels, in `out`'s
/// frame; may be negative or beyond `out`): out[offset + p] = turned(block)[p] for every p that
/// lands inside `out`; voxels outside are clipped. Returns the number of voxels written (0 when
/// nothing overlaps). OpenMP over the overlap; the result does not depend on the thread count.
std::int64_t paste(const VolumeView<const std::uint8_t>& block, const VolumeView<std::uint8_t>& out,
                   const std::array<std::int64_t, 3>& offset, const AxisTransform& transform = {});

}  // namespace voxtwin
