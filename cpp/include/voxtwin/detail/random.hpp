#pragma once
// A counter-based random number generator: SplitMix64 (Steele, Lea, Flood 2014) read at any
// position of its stream, so that value n of stream `key` needs no state and no order. Used where
// the C++ core draws numbers itself (fibre placement tries); seeded explicitly, never global.
#include <cstdint>

namespace voxtwin::detail {

/// Output `counter` of the SplitMix64 stream started at `key`.
inline std::uint64_t splitmix64(std::uint64_t key, std::uint64_t counter) {
  std::uint64_t z = key + (counter + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// Uniform double in [0, 1) with 53 random bits, from output `counter` of stream `key`.
inline double uniform01(std::uint64_t key, std::uint64_t counter) {
  return static_cast<double>(splitmix64(key, counter) >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace voxtwin::detail
