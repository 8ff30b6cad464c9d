#include "voxtwin/paste.hpp"

#include <algorithm>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "voxtwin/parallel.hpp"

namespace voxtwin {

void AxisTransform::validate() const {
  std::array<bool, 3> seen{false, false, false};
  for (int a : axis) {
    if (a < 0 || a > 2 || seen[a]) {
      std::ostringstream msg;
      msg << "`axis` must be a permutation of (0, 1, 2), got axis=(" << axis[0] << ", " << axis[1] << ", " << axis[2]
          << ")";
      throw std::invalid_argument(msg.str());
    }
    seen[a] = true;
  }
}

Shape3 AxisTransform::turned(const Shape3& s) const {
  validate();
  const std::array<std::int64_t, 3> e{s.nx, s.ny, s.nz};
  return Shape3{e[axis[0]], e[axis[1]], e[axis[2]]};
}

std::int64_t paste(const VolumeView<const std::uint8_t>& block, const VolumeView<std::uint8_t>& out,
                   const std::array<std::int64_t, 3>& offset, const AxisTransform& transform) {
  require_valid_shape(block.shape, "block");
  require_valid_shape(out.shape, "out");
  const Shape3 t = transform.turned(block.shape);
  const std::array<std::int64_t, 3> text{t.nx, t.ny, t.nz};
  const std::array<std::int64_t, 3> oext{out.shape.nx, out.shape.ny, out.shape.nz};

  // Overlap of the turned block with the output, in output coordinates.
  std::array<std::int64_t, 3> lo{}, hi{};
  for (int a = 0; a < 3; ++a) {
    lo[a] = std::max<std::int64_t>(0, offset[a]);
    hi[a] = std::min<std::int64_t>(oext[a], offset[a] + text[a]);
    if (hi[a] <= lo[a]) return 0;
  }

  // Source linear index = base + sum_a p[a] * step[a], p = position inside the turned block.
  const std::array<std::int64_t, 3> bstride{block.shape.ny * block.shape.nz, block.shape.nz, 1};
  std::array<std::int64_t, 3> step{};
  std::int64_t base = 0;
  for (int a = 0; a < 3; ++a) {
    const std::int64_t s = bstride[transform.axis[a]];
    step[a] = transform.flip[a] ? -s : s;
    if (transform.flip[a]) base += (text[a] - 1) * s;
  }

  const std::int64_t nzrun = hi[2] - lo[2];
  const std::uint8_t* src = block.data;
  std::uint8_t* dst = out.data;
  const Shape3 os = out.shape;
#pragma omp parallel for collapse(2) schedule(static) num_threads(get_num_threads())
  for (std::int64_t x = lo[0]; x < hi[0]; ++x) {
    for (std::int64_t y = lo[1]; y < hi[1]; ++y) {
      const std::int64_t s0 = base + (x - offset[0]) * step[0] + (y - offset[1]) * step[1] + (lo[2] - offset[2]) * step[2];
      std::uint8_t* d = dst + os.index(x, y, lo[2]);
      if (step[2] == 1) {
        std::memcpy(d, src + s0, static_cast<std::size_t>(nzrun));
      } else {
        for (std::int64_t k = 0; k < nzrun; ++k) d[k] = src[s0 + k * step[2]];
      }
    }
  }
  return (hi[0] - lo[0]) * (hi[1] - lo[1]) * nzrun;
}

}  // namespace voxtwin
