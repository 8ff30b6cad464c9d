#pragma once
// Trilinear hexahedral voxel elements shared by the CPU and CUDA elasticity solvers.
//
// One element per voxel, nodes at the voxel corners; corner (a, b, c) of voxel (i, j, k) is node
// (i + a, j + b, k + c) (periodic), numbered a*4 + b*2 + c. Element "forces" are per unit
// reference volume (the voxel volume is left out of the operator and of its right-hand side alike).
// Voigt order xx, yy, zz, yz, xz, xy; strains with engineering shears.
#include <cstdint>

#include "voxtwin/detail/host_device.hpp"

namespace voxtwin::detail {

/// Field layout of the solvers: [component][x][y][z] with z padded to nzp = 2 (nz/2 + 1) reals,
/// so that each component can be transformed in place by an R2C FFT.
struct PaddedGrid {
  std::int64_t nx = 0, ny = 0, nz = 0;
  std::int64_t nzc = 0;  ///< complex entries along z after R2C: nz/2 + 1
  std::int64_t nzp = 0;  ///< padded real length along z: 2 nzc
  VOXTWIN_HD std::int64_t plane() const { return ny * nzp; }
  VOXTWIN_HD std::int64_t component() const { return nx * ny * nzp; }
  VOXTWIN_HD std::int64_t at(std::int64_t x, std::int64_t y, std::int64_t z) const { return (x * ny + y) * nzp + z; }
  VOXTWIN_HD std::int64_t voxels() const { return nx * ny * nz; }
};

inline PaddedGrid padded_grid(std::int64_t nx, std::int64_t ny, std::int64_t nz) {
  PaddedGrid g;
  g.nx = nx;
  g.ny = ny;
  g.nz = nz;
  g.nzc = nz / 2 + 1;
  g.nzp = 2 * g.nzc;
  return g;
}

enum MaterialKindCode : int { kVoidEntry = 0, kIsotropicEntry = 1, kGeneralEntry = 2 };

/// A material table entry as the kernels read it: isotropic entries take a short cut (lambda, mu).
template <class T>
struct MaterialEntry {
  int kind = kVoidEntry;
  T lambda = 0, mu = 0;
  T C[36] = {};    ///< Voigt stiffness, row-major (GPa)
  T beta[6] = {};  ///< C alpha: thermal stress per kelvin (GPa/K)
};

/// sigma = C e - dT beta for one entry (Voigt).
template <class T>
VOXTWIN_HD inline void entry_stress(const MaterialEntry<T>& m, const T e[6], T dT, T s[6]) {
  if (m.kind == kIsotropicEntry) {
    const T lt = m.lambda * ((e[0] + e[1]) + e[2]);
    const T m2 = m.mu + m.mu;
    s[0] = lt + m2 * e[0];
    s[1] = lt + m2 * e[1];
    s[2] = lt + m2 * e[2];
    s[3] = m.mu * e[3];
    s[4] = m.mu * e[4];
    s[5] = m.mu * e[5];
  } else if (m.kind == kGeneralEntry) {
    for (int i = 0; i < 6; ++i) {
      T acc = 0;
      for (int j = 0; j < 6; ++j) acc += m.C[6 * i + j] * e[j];
      s[i] = acc;
    }
  } else {
    for (int i = 0; i < 6; ++i) s[i] = 0;
    return;
  }
  for (int i = 0; i < 6; ++i) s[i] -= dT * m.beta[i];
}

/// Voigt strain E + sym(g) from a displacement gradient g[c][j] = d u_c / d x_j.
template <class T>
VOXTWIN_HD inline void strain_from_gradient(const T g[3][3], const T E[6], T e[6]) {
  e[0] = E[0] + g[0][0];
  e[1] = E[1] + g[1][1];
  e[2] = E[2] + g[2][2];
  e[3] = E[3] + (g[1][2] + g[2][1]);
  e[4] = E[4] + (g[0][2] + g[2][0]);
  e[5] = E[5] + (g[0][1] + g[1][0]);
}

// ------------------------------------------------------------------ reduced integration (centre)

/// Displacement gradient at the voxel centre from the 8 corner displacements u[c][corner].
template <class T>
VOXTWIN_HD inline void reduced_gradient(const T u[3][8], const T ih[3], T g[3][3]) {
  const T q = T(0.25);
  for (int c = 0; c < 3; ++c) {
    const T* v = u[c];
    const T sx0 = (v[4] + v[6]) - (v[0] + v[2]);
    const T sx1 = (v[5] + v[7]) - (v[1] + v[3]);
    const T sy0 = (v[2] + v[6]) - (v[0] + v[4]);
    const T sy1 = (v[3] + v[7]) - (v[1] + v[5]);
    const T a0 = (v[0] + v[2]) + (v[4] + v[6]);
    const T a1 = (v[1] + v[3]) + (v[5] + v[7]);
    g[c][0] = q * ih[0] * (sx0 + sx1);
    g[c][1] = q * ih[1] * (sy0 + sy1);
    g[c][2] = q * ih[2] * (a1 - a0);
  }
}

// Nodal force of reduced integration. A node is corner (a, b, c) of the element node - (a, b, c);
// with s_abc that element's centre stress and dN/dx_j = (2 a_j - 1) / (4 h_j), the force is
// f_i = sum_abc s_abc,ij dN/dx_j. It is evaluated in factored form: per z-layer c the sums
//   dx = (s_10 + s_11) - (s_00 + s_01),  dy = (s_01 + s_11) - (s_00 + s_10),  aa = (s_00 + s_01) + (s_10 + s_11)
// over (a, b), then x, y and z parts per stress component. The CPU computes the layer sums once per
// element row, the GPU per node; both with these functions, so they round the same way.

template <class T>
VOXTWIN_HD inline void reduced_layer(T s00, T s01, T s10, T s11, T& dx, T& dy, T& aa) {
  dx = (s10 + s11) - (s00 + s01);
  dy = (s01 + s11) - (s00 + s10);
  aa = (s00 + s01) + (s10 + s11);
}

/// Part of the force along derivative direction j from the layer sums of layers c = 0 and c = 1.
template <class T>
VOXTWIN_HD inline T reduced_part_xy(T d0, T d1, T ih) {
  return T(0.25) * ih * (d0 + d1);
}
template <class T>
VOXTWIN_HD inline T reduced_part_z(T aa0, T aa1, T ih) {
  return T(0.25) * ih * (aa1 - aa0);
}

/// f from the parts px, py, pz of the six stress components (Voigt).
template <class T>
VOXTWIN_HD inline void reduced_force(const T px[6], const T py[6], const T pz[6], T f[3]) {
  f[0] = (px[0] + py[5]) + pz[4];
  f[1] = (px[5] + py[1]) + pz[3];
  f[2] = (px[4] + py[3]) + pz[2];
}

// ------------------------------------------------------------------ full integration (2x2x2 Gauss)

/// The two Gauss abscissae on [0, 1]: (1 -+ 1/sqrt 3) / 2.
template <class T>
VOXTWIN_HD inline T gauss_point(int i) {
  return i ? T(0.78867513459481288225) : T(0.21132486540518711775);
}

/// Corner forces f[c][corner] (weight 1/8 per Gauss point) and the mean stress over the Gauss
/// points of one element with entry m, corner displacements u and macroscopic strain E.
template <class T>
VOXTWIN_HD inline void full_element(const MaterialEntry<T>& m, const T u[3][8], const T ih[3], const T E[6], T dT,
                                    T f[3][8], T smean[6]) {
  for (int c = 0; c < 3; ++c)
    for (int k = 0; k < 8; ++k) f[c][k] = 0;
  for (int i = 0; i < 6; ++i) smean[i] = 0;
  if (m.kind == kVoidEntry) return;
  const T w = T(0.125);
  for (int gx = 0; gx < 2; ++gx)
    for (int gy = 0; gy < 2; ++gy)
      for (int gz = 0; gz < 2; ++gz) {
        const T tx = gauss_point<T>(gx), ty = gauss_point<T>(gy), tz = gauss_point<T>(gz);
        const T Lx[2] = {T(1) - tx, tx}, Ly[2] = {T(1) - ty, ty}, Lz[2] = {T(1) - tz, tz};
        T g[3][3];
        for (int c = 0; c < 3; ++c) {
          const T* v = u[c];
          T d0 = 0, d1 = 0, d2 = 0;
          for (int p = 0; p < 2; ++p)
            for (int r = 0; r < 2; ++r) {
              d0 += (Ly[p] * Lz[r]) * (v[4 + 2 * p + r] - v[2 * p + r]);
              d1 += (Lx[p] * Lz[r]) * (v[4 * p + 2 + r] - v[4 * p + r]);
              d2 += (Lx[p] * Ly[r]) * (v[4 * p + 2 * r + 1] - v[4 * p + 2 * r]);
            }
          g[c][0] = ih[0] * d0;
          g[c][1] = ih[1] * d1;
          g[c][2] = ih[2] * d2;
        }
        T e[6], s[6];
        strain_from_gradient(g, E, e);
        entry_stress(m, e, dT, s);
        for (int i = 0; i < 6; ++i) smean[i] += w * s[i];
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b)
            for (int c = 0; c < 2; ++c) {
              const T dx = w * ih[0] * (a ? T(1) : T(-1)) * (Ly[b] * Lz[c]);
              const T dy = w * ih[1] * (b ? T(1) : T(-1)) * (Lx[a] * Lz[c]);
              const T dz = w * ih[2] * (c ? T(1) : T(-1)) * (Lx[a] * Ly[b]);
              const int k = 4 * a + 2 * b + c;
              f[0][k] += (s[0] * dx + s[5] * dy) + s[4] * dz;
              f[1][k] += (s[5] * dx + s[1] * dy) + s[3] * dz;
              f[2][k] += (s[4] * dx + s[3] * dy) + s[2] * dz;
            }
      }
}

/// Gathers the 8 corner displacements of voxel (x, y, z) from a padded 3-component field.
template <class T>
VOXTWIN_HD inline void gather_corners(const T* u, const PaddedGrid& g, std::int64_t x, std::int64_t y, std::int64_t z,
                                      T out[3][8]) {
  const std::int64_t x1 = x + 1 == g.nx ? 0 : x + 1;
  const std::int64_t y1 = y + 1 == g.ny ? 0 : y + 1;
  const std::int64_t z1 = z + 1 == g.nz ? 0 : z + 1;
  const std::int64_t xs[2] = {x, x1}, ys[2] = {y, y1}, zs[2] = {z, z1};
  const std::int64_t comp = g.component();
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b) {
      const std::int64_t row = (xs[a] * g.ny + ys[b]) * g.nzp;
      for (int c = 0; c < 2; ++c) {
        const std::int64_t i = row + zs[c];
        const int k = 4 * a + 2 * b + c;
        out[0][k] = u[i];
        out[1][k] = u[comp + i];
        out[2][k] = u[2 * comp + i];
      }
    }
}

}  // namespace voxtwin::detail
