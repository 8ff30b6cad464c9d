#pragma once
// The tile of the CUDA elasticity operator (cuda/elasticity_cg.cu), as host-device code so that
// the CPU tests run the very arithmetic the kernel runs (tests/cpp/test_hex_march.cpp).
//
// A block owns a tile of TY x TZ nodes in (y, z) and marches along a chunk of x-planes. Per plane
// it loads the displacement of node plane x + 1 (tile plus a one-node halo) into shared memory,
// computes each element of element plane x once (centre stress for hex8r, 24 corner forces for
// hex8, from the shared element functions of hex_element.hpp), and gathers the node forces of node
// plane x from element planes x - 1 and x in the CPU operator's order. Global traffic per voxel:
// p read once (plus the halo), the label once, q written once; nothing per element is stored.
// The policy `Par` runs the phases: on the GPU each(n, fn) strides fn over the block's threads and
// sync() is __syncthreads(); on the host each() is a plain loop and sync() does nothing.
#include <cstdint>

#include "voxtwin/detail/hex_element.hpp"

namespace voxtwin::detail {

template <bool Full>
struct MarchTile {
  static constexpr int TZ = 32;            ///< nodes along z per block: one warp, coalesced rows
  static constexpr int TY = Full ? 4 : 8;  ///< nodes along y per block (hex8 keeps 24 values per element)
  static constexpr int threads = TZ * TY;
  static constexpr int NZ = TZ + 2, NY = TY + 2;  ///< node halo: y0 - 1 .. y0 + TY
  static constexpr int EZ = TZ + 1, EY = TY + 1;  ///< element halo: y0 - 1 .. y0 + TY - 1
  static constexpr int nodes = NY * NZ, elements = EY * EZ;
  static constexpr int K = Full ? 24 : 6;  ///< values per element: corner forces [c][corner], or stress
};

/// Shared memory of one block: two node planes (3 components) and two element planes.
template <bool Full, class T>
struct MarchShared {
  T node[2][3][MarchTile<Full>::nodes];
  T elem[2][MarchTile<Full>::K][MarchTile<Full>::elements];
};

template <class T, class L>
struct MarchArgs {
  PaddedGrid g;
  const L* labels = nullptr;  ///< compact [x][y][z]
  const MaterialEntry<T>* entries = nullptr;
  T ih[3] = {1, 1, 1};
  T E[6] = {0, 0, 0, 0, 0, 0};
  T dT = 0;
  std::int64_t chunk = 1;  ///< x-planes per block
};

/// What one thread accumulates: p . q over its nodes and the stress sum over the elements it owns.
struct MarchSums {
  double dot = 0;
  double stress[6] = {0, 0, 0, 0, 0, 0};
};

/// v mod n for v >= -1 (32-bit: the halo of a tile wraps around the periodic box).
VOXTWIN_HD inline int march_wrap(int v, int n) {
  if (v < 0) return v + n;
  return v < n ? v : v % n;
}

/// Blocks of the march: tiles along z, along y, chunks along x.
template <bool Full>
inline void march_grid(const PaddedGrid& g, std::int64_t chunk, std::int64_t out[3]) {
  out[0] = (g.nz + MarchTile<Full>::TZ - 1) / MarchTile<Full>::TZ;
  out[1] = (g.ny + MarchTile<Full>::TY - 1) / MarchTile<Full>::TY;
  out[2] = (g.nx + chunk - 1) / chunk;
}

/// The values an element keeps in shared memory, and its stress (mean over Gauss points for hex8).
template <bool Full, class T>
VOXTWIN_HD inline void march_element(const MaterialEntry<T>& m, const T u[3][8], const T ih[3], const T E[6], T dT,
                                     T vals[MarchTile<Full>::K], T s[6]) {
  if constexpr (Full) {
    T f[3][8];
    full_element(m, u, ih, E, dT, f, s);
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 8; ++k) vals[8 * c + k] = f[c][k];
  } else {
    T gr[3][3], e[6];
    reduced_gradient(u, ih, gr);
    strain_from_gradient(gr, E, e);
    entry_stress(m, e, dT, s);
    for (int k = 0; k < 6; ++k) vals[k] = s[k];
  }
}

/// Force on node (ty, tz) of the tile from element planes x (cur, corner a = 0) and x - 1 (prev),
/// summed in the order of the CPU operator (cpp/src/elasticity_cg.cpp, node_plane).
template <bool Full, class T>
VOXTWIN_HD inline void march_node(const MarchShared<Full, T>& sh, int prev, int cur, int ty, int tz, const T ih[3],
                                  T f[3]) {
  using Tile = MarchTile<Full>;
  // Element (x - a, y - b, z - c) is element (ty + 1 - b, tz + 1 - c) of the tile's plane.
  const int e[2][2] = {{(ty + 1) * Tile::EZ + tz + 1, (ty + 1) * Tile::EZ + tz},
                       {ty * Tile::EZ + tz + 1, ty * Tile::EZ + tz}};
  if constexpr (Full) {
    f[0] = f[1] = f[2] = T(0);
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b)
        for (int c = 0; c < 2; ++c) {
          const int slot = a ? prev : cur, k = 4 * a + 2 * b + c, i = e[b][c];
          f[0] += sh.elem[slot][k][i];
          f[1] += sh.elem[slot][8 + k][i];
          f[2] += sh.elem[slot][16 + k][i];
        }
  } else {
    T px[6], py[6], pz[6];
    for (int k = 0; k < 6; ++k) {
      const T* sc = sh.elem[cur][k];
      const T* sp = sh.elem[prev][k];
      T dx0, dy0, aa0, dx1, dy1, aa1;
      // s[a][b][c]: a = 0 current plane, b = 0 row y, c = 0 column z.
      reduced_layer(sc[e[0][0]], sc[e[1][0]], sp[e[0][0]], sp[e[1][0]], dx0, dy0, aa0);
      reduced_layer(sc[e[0][1]], sc[e[1][1]], sp[e[0][1]], sp[e[1][1]], dx1, dy1, aa1);
      px[k] = reduced_part_xy(dx0, dx1, ih[0]);
      py[k] = reduced_part_xy(dy0, dy1, ih[1]);
      pz[k] = reduced_part_z(aa0, aa1, ih[2]);
    }
    reduced_force(px, py, pz, f);
  }
}

/// One block of the march: q = A p (+ macroscopic and thermal terms) on its nodes; p may be null
/// (zero). Adds p . q and, when want_stress, the stress of the elements it owns to acc.
template <bool Full, class T, class L, class Par>
VOXTWIN_HD void march_block(const MarchArgs<T, L>& a, const T* p, T* q, int bz, int by, std::int64_t bx,
                            MarchShared<Full, T>& sh, Par& par, MarchSums& acc, bool want_stress) {
  using Tile = MarchTile<Full>;
  const PaddedGrid& g = a.g;
  const int ny = static_cast<int>(g.ny), nz = static_cast<int>(g.nz);
  const int y0 = by * Tile::TY, z0 = bz * Tile::TZ;
  const std::int64_t x0 = bx * a.chunk;
  const std::int64_t x1 = x0 + a.chunk < g.nx ? x0 + a.chunk : g.nx;
  const std::int64_t comp = g.component();
  auto xwrap = [&](std::int64_t x) { return x < 0 ? x + g.nx : (x >= g.nx ? x - g.nx : x); };

  auto load_nodes = [&](std::int64_t X, int slot) {
    const std::int64_t base = xwrap(X) * g.ny;
    par.each(Tile::nodes, [&](int i) {
      const int j = i / Tile::NZ, k = i - j * Tile::NZ;
      const std::int64_t o = (base + march_wrap(y0 - 1 + j, ny)) * g.nzp + march_wrap(z0 - 1 + k, nz);
      for (int c = 0; c < 3; ++c) sh.node[slot][c][i] = p ? p[c * comp + o] : T(0);
    });
  };
  auto elements = [&](std::int64_t X, int lo, int hi, int slot, bool owned) {
    const std::int64_t base = xwrap(X) * g.ny;
    par.each(Tile::elements, [&](int e) {
      const int j = e / Tile::EZ, k = e - j * Tile::EZ;
      const int ey = march_wrap(y0 - 1 + j, ny), ez = march_wrap(z0 - 1 + k, nz);
      const MaterialEntry<T>& m = a.entries[a.labels[(base + ey) * g.nz + ez]];
      T u[3][8];
      for (int c = 0; c < 3; ++c)
        for (int ca = 0; ca < 2; ++ca)
          for (int cb = 0; cb < 2; ++cb)
            for (int cc = 0; cc < 2; ++cc)
              u[c][4 * ca + 2 * cb + cc] = sh.node[ca ? hi : lo][c][(j + cb) * Tile::NZ + k + cc];
      T vals[Tile::K], s[6];
      march_element<Full>(m, u, a.ih, a.E, a.dT, vals, s);
      for (int v = 0; v < Tile::K; ++v) sh.elem[slot][v][e] = vals[v];
      // The block owns the elements of its own tile (not the halo row and column).
      if (want_stress && owned && j >= 1 && k >= 1 && y0 - 1 + j < ny && z0 - 1 + k < nz)
        for (int v = 0; v < 6; ++v) acc.stress[v] += s[v];
    });
  };
  auto node_forces = [&](std::int64_t X, int prev, int cur, int slot) {
    par.each(Tile::threads, [&](int t) {
      const int tz = t % Tile::TZ, ty = t / Tile::TZ;
      if (y0 + ty >= ny || z0 + tz >= nz) return;
      T f[3];
      march_node<Full>(sh, prev, cur, ty, tz, a.ih, f);
      const std::int64_t o = (X * g.ny + y0 + ty) * g.nzp + z0 + tz;
      q[o] = f[0];
      q[comp + o] = f[1];
      q[2 * comp + o] = f[2];
      if (p) {
        const int i = (ty + 1) * Tile::NZ + tz + 1;
        acc.dot += (static_cast<double>(sh.node[slot][0][i]) * f[0] + static_cast<double>(sh.node[slot][1][i]) * f[1]) +
                   static_cast<double>(sh.node[slot][2][i]) * f[2];
      }
    });
  };

  if (x0 >= x1) return;
  load_nodes(x0 - 1, 0);
  load_nodes(x0, 1);
  par.sync();
  elements(x0 - 1, 0, 1, 0, false);
  par.sync();
  int node_x = 1, prev = 0;  // slots of node plane x and of element plane x - 1
  for (std::int64_t x = x0; x < x1; ++x) {
    const int node_next = 1 - node_x, cur = 1 - prev;
    load_nodes(x + 1, node_next);
    par.sync();
    elements(x, node_x, node_next, cur, true);
    par.sync();
    node_forces(x, prev, cur, node_x);
    par.sync();
    prev = cur;
    node_x = node_next;
  }
}

/// Host policy: the phases of a block run one after the other, each as a plain loop.
struct MarchHostPolicy {
  template <class Fn>
  void each(int n, Fn&& fn) {
    for (int i = 0; i < n; ++i) fn(i);
  }
  void sync() {}
};

}  // namespace voxtwin::detail
