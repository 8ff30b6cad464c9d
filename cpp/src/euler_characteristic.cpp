// Euler characteristic from the 2x2x2 configuration table. Every lattice vertex of the closed-cube
// complex owns 1/2 of its 6 edges, 1/4 of its 12 faces and 1/8 of its 8 cubes, so
// chi = sum over vertices of [vertex] - edges/2 + faces/4 - cubes/8, read off the 8 voxels around it.
// In units of 1/8 every term is an integer: the sum is exact for any thread count.
#include "voxtwin/euler_characteristic.hpp"

#include <omp.h>

#include "voxtwin/parallel.hpp"

namespace voxtwin {

namespace {

std::array<int, 256> make_table() {
  std::array<int, 256> table{};
  for (int c = 0; c < 256; ++c) {
    auto on = [c](int i, int j, int k) { return (c >> ((i << 2) | (j << 1) | k)) & 1; };
    int cubes = 0;
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j)
        for (int k = 0; k < 2; ++k) cubes += on(i, j, k);
    int edges = 0;  // the half edge towards side s of an axis touches the 4 voxels on that side
    for (int s = 0; s < 2; ++s) {
      int ex = 0, ey = 0, ez = 0;
      for (int p = 0; p < 2; ++p)
        for (int q = 0; q < 2; ++q) {
          ex |= on(s, p, q);
          ey |= on(p, s, q);
          ez |= on(p, q, s);
        }
      edges += ex + ey + ez;
    }
    int faces = 0;  // a face quadrant touches the 2 voxels on either side of it
    for (int p = 0; p < 2; ++p)
      for (int q = 0; q < 2; ++q)
        faces += (on(0, p, q) | on(1, p, q)) + (on(p, 0, q) | on(p, 1, q)) + (on(p, q, 0) | on(p, q, 1));
    table[c] = 8 * (c != 0) - 4 * edges + 2 * faces - cubes;
  }
  return table;
}

}  // namespace

const std::array<int, 256>& euler_table() {
  static const std::array<int, 256> table = make_table();
  return table;
}

std::int64_t euler_characteristic(const VolumeView<const std::uint8_t>& labels, std::uint8_t phase,
                                  const std::array<bool, 3>& periodic) {
  require_valid_shape(labels.shape, "labels");
  const Shape3 s = labels.shape;
  const std::int64_t n[3] = {s.nx, s.ny, s.nz};
  // Vertex v of a periodic axis sits between voxels v - 1 (wrapped) and v; a closed axis has n + 1
  // vertices and nothing outside.
  std::int64_t nv[3];
  for (int d = 0; d < 3; ++d) nv[d] = periodic[d] ? n[d] : n[d] + 1;
  auto coord = [&](int d, std::int64_t v, int o, std::int64_t& c) {
    c = v - 1 + o;
    if (periodic[d]) {
      c = (c + n[d]) % n[d];
      return true;
    }
    return c >= 0 && c < n[d];
  };
  const auto& table = euler_table();
  std::int64_t eighths = 0;
#pragma omp parallel for num_threads(get_num_threads()) reduction(+ : eighths) schedule(static)
  for (std::int64_t vx = 0; vx < nv[0]; ++vx)
    for (std::int64_t vy = 0; vy < nv[1]; ++vy)
      for (std::int64_t vz = 0; vz < nv[2]; ++vz) {
        int c = 0;
        for (int i = 0; i < 2; ++i) {
          std::int64_t x;
          if (!coord(0, vx, i, x)) continue;
          for (int j = 0; j < 2; ++j) {
            std::int64_t y;
            if (!coord(1, vy, j, y)) continue;
            for (int k = 0; k < 2; ++k) {
              std::int64_t z;
              if (coord(2, vz, k, z) && labels(x, y, z) == phase) c |= 1 << ((i << 2) | (j << 1) | k);
            }
          }
        }
        eighths += table[c];
      }
  return eighths / 8;
}

}  // namespace voxtwin
