#pragma once
// The lines of a volume along one axis, seen as (outer, n, inner): line l = (o, i) starts at
// o * n * inner + i and steps by `inner`. Consecutive line ids share o and have consecutive i, so a
// batch of them reads contiguous bytes at every position along the line.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "voxtwin/volume.hpp"

namespace voxtwin::detail {

struct AxisLines {
  std::int64_t outer = 1, n = 1, inner = 1;
  std::int64_t count() const { return outer * inner; }
  std::int64_t start(std::int64_t line) const { return (line / inner) * n * inner + line % inner; }

  /// Copies lines [first, first + width) into rows of `out` (row j at out + j * row, n entries);
  /// rows past the last line are left alone.
  template <class In, class Out>
  void gather(const In* vol, std::int64_t first, std::int64_t width, Out* out, std::int64_t row) const {
    const std::int64_t last = std::min(first + width, count());
    for (std::int64_t l = first; l < last;) {
      // lines of one outer index share the stride walk
      const std::int64_t o = l / inner, i0 = l % inner;
      const std::int64_t run = std::min(last - l, inner - i0);
      const In* base = vol + o * n * inner + i0;
      Out* dst = out + (l - first) * row;
      for (std::int64_t t = 0; t < n; ++t)
        for (std::int64_t j = 0; j < run; ++j) dst[j * row + t] = static_cast<Out>(base[t * inner + j]);
      l += run;
    }
  }
};

inline AxisLines axis_lines(const Shape3& s, int axis) {
  if (axis == 0) return {1, s.nx, s.ny * s.nz};
  if (axis == 1) return {s.nx, s.ny, s.nz};
  if (axis == 2) return {s.nx * s.ny, s.nz, 1};
  throw std::invalid_argument("`axis` must be 0, 1 or 2, got axis=" + std::to_string(axis));
}

}  // namespace voxtwin::detail
