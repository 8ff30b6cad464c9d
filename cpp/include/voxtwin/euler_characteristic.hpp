#pragma once
// Euler characteristic of a voxel phase from the 2x2x2 configuration table.
#include <array>
#include <cstdint>

#include "voxtwin/volume.hpp"

namespace voxtwin {

/// Euler characteristic chi of the union of the closed unit cubes of `phase` (26-connected
/// phase, 6-connected complement): vertices - edges + faces - cubes of that cubical complex,
/// gathered per lattice vertex from its 2x2x2 neighbourhood (exact integer). Periodic axes wrap;
/// others see the phase absent outside. A volume with nz = 1 and z not periodic gives the 2D
/// (8-connected) Euler number.
std::int64_t euler_characteristic(const VolumeView<const std::uint8_t>& labels, std::uint8_t phase,
                                  const std::array<bool, 3>& periodic);

/// 8 x the contribution of each 2x2x2 configuration (bit (i<<2)|(j<<1)|k set when the voxel at
/// offset (i, j, k) from the vertex's lower corner holds the phase).
const std::array<int, 256>& euler_table();

}  // namespace voxtwin
