#pragma once
// The homogeneous reference medium of the elasticity solvers, per Fourier mode, shared by the
// CPU and CUDA backends: the preconditioner of the displacement-based CG (the discrete operator
// of a homogeneous medium is diagonal in Fourier space, a 3x3 acoustic tensor per mode) and the
// continuous Green operator of the Moulinec-Suquet basic scheme.
//
// Mode m of an axis with n voxels has frequency q = 2 pi m / n. For trilinear hexahedra the
// gradient of a Fourier mode at a point (t_x, t_y, t_z) of the voxel has the symbol
//   s_j = (1/h_j) (e^{i q_j} - 1) prod_{l != j} ((1 - t_l) + t_l e^{i q_l}),
// and the operator of a homogeneous medium C0 is K_ik = sum_jl C0_ijkl M_jl with
// M_jl = sum_g w_g conj(s_j) s_l over the integration points g. At the centre (reduced
// integration) M_jl = k_j k_l with Willot's real modified wave vector
//   k_j = (2/h_j) sin(q_j/2) prod_{l != j} cos(q_l/2),
// which vanishes at q = 0 and wherever two components sit at the Nyquist frequency (hourglass
// modes, which the operator itself does not see): the preconditioner is zero there.
#include <cmath>
#include <cstdint>

#include "voxtwin/detail/host_device.hpp"

namespace voxtwin::detail {

template <class T>
struct Cplx {
  T re, im;
};
template <class T>
VOXTWIN_HD inline Cplx<T> cmul(Cplx<T> a, Cplx<T> b) {
  return {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
}
template <class T>
VOXTWIN_HD inline Cplx<T> cconj(Cplx<T> a) {
  return {a.re, -a.im};
}
template <class T>
VOXTWIN_HD inline Cplx<T> cadd(Cplx<T> a, Cplx<T> b) {
  return {a.re + b.re, a.im + b.im};
}
template <class T>
VOXTWIN_HD inline Cplx<T> csub(Cplx<T> a, Cplx<T> b) {
  return {a.re - b.re, a.im - b.im};
}
template <class T>
VOXTWIN_HD inline Cplx<T> cscale(Cplx<T> a, T s) {
  return {a.re * s, a.im * s};
}

/// Voigt index of the tensor index pair (i, j).
VOXTWIN_HD inline int voigt_pair(int i, int j) { return i == j ? i : 6 - i - j; }

/// sin(q/2) and cos(q/2) of mode m on an axis of n voxels, exactly 0 at q = 0 (sine) and at the
/// Nyquist frequency of an even axis (cosine), so that the hourglass modes are exact zeros.
template <class T>
struct AxisMode {
  T s, c;
};
template <class T>
VOXTWIN_HD inline AxisMode<T> axis_mode(std::int64_t m, std::int64_t n) {
  const double half = 3.14159265358979323846 * static_cast<double>(m) / static_cast<double>(n);
  AxisMode<T> out;
  out.s = m == 0 ? T(0) : static_cast<T>(sin(half));
  out.c = 2 * m == n ? T(0) : static_cast<T>(cos(half));
  return out;
}

/// K_ik = sum_jl C0_ijkl M_jl for a real symmetric M; K returned as xx, yy, zz, yz, xz, xy.
template <class T>
VOXTWIN_HD inline void acoustic_real(const T C0[36], const T M[3][3], T K[6]) {
  const int ii[6] = {0, 1, 2, 1, 0, 0}, kk[6] = {0, 1, 2, 2, 2, 1};
  for (int e = 0; e < 6; ++e) {
    T acc = 0;
    for (int j = 0; j < 3; ++j)
      for (int l = 0; l < 3; ++l) acc += C0[6 * voigt_pair(ii[e], j) + voigt_pair(kk[e], l)] * M[j][l];
    K[e] = acc;
  }
}

/// Cofactors (c00, c01, c02, c11, c12, c22) and determinant of the symmetric 3x3
/// [[K0 K5 K4] [K5 K1 K3] [K4 K3 K2]], for its inverse adj / det.
template <class T>
VOXTWIN_HD inline T sym3_cofactors(const T K[6], T c[6]) {
  c[0] = K[1] * K[2] - K[3] * K[3];
  c[1] = K[4] * K[3] - K[5] * K[2];
  c[2] = K[5] * K[3] - K[1] * K[4];
  c[3] = K[0] * K[2] - K[4] * K[4];
  c[4] = K[5] * K[4] - K[0] * K[3];
  c[5] = K[0] * K[1] - K[5] * K[5];
  return (K[0] * c[0] + K[5] * c[1]) + K[4] * c[2];
}

/// Cofactors c and determinant of the acoustic tensor K0(k) = k . C0 . k of a real wave vector k
/// (shared by the reduced-integration preconditioner and the basic scheme's Green operator).
template <class T>
VOXTWIN_HD inline T acoustic_cofactors(const T C0[36], const T k[3], T c[6]) {
  T M[3][3];
  for (int j = 0; j < 3; ++j)
    for (int l = 0; l < 3; ++l) M[j][l] = k[j] * k[l];
  T K[6];
  acoustic_real(C0, M, K);
  return sym3_cofactors(K, c);
}

/// w = f adj(K) v for complex v (f = scale / det gives scale K^-1 v).
template <class T>
VOXTWIN_HD inline void sym3_apply(const T c[6], T f, const Cplx<T> v[3], Cplx<T> w[3]) {
  w[0] = cscale(cadd(cadd(cscale(v[0], c[0]), cscale(v[1], c[1])), cscale(v[2], c[2])), f);
  w[1] = cscale(cadd(cadd(cscale(v[0], c[1]), cscale(v[1], c[3])), cscale(v[2], c[4])), f);
  w[2] = cscale(cadd(cadd(cscale(v[0], c[2]), cscale(v[1], c[4])), cscale(v[2], c[5])), f);
}

/// Preconditioner of the reduced-integration scheme at one mode: r <- scale K(k)^-1 r, or 0
/// where k = 0. `ih` = 1/h per axis.
template <class T>
VOXTWIN_HD inline void precondition_reduced(const T C0[36], const T ih[3], AxisMode<T> mx, AxisMode<T> my,
                                            AxisMode<T> mz, T scale, Cplx<T> r[3]) {
  const T k[3] = {T(2) * ih[0] * mx.s * (my.c * mz.c), T(2) * ih[1] * my.s * (mx.c * mz.c),
                  T(2) * ih[2] * mz.s * (mx.c * my.c)};
  if (k[0] == T(0) && k[1] == T(0) && k[2] == T(0)) {
    r[0] = r[1] = r[2] = Cplx<T>{0, 0};
    return;
  }
  T c[6];
  const T det = acoustic_cofactors(C0, k, c);
  const Cplx<T> in[3] = {r[0], r[1], r[2]};
  sym3_apply(c, scale / det, in, r);
}

/// The same for an isotropic reference (lambda0, mu0) in closed form:
/// K^-1 = (I - c k k^T / |k|^2) / (mu0 |k|^2), c = (lambda0 + mu0) / (lambda0 + 2 mu0).
template <class T>
VOXTWIN_HD inline void precondition_reduced_isotropic(T lambda0, T mu0, const T ih[3], AxisMode<T> mx, AxisMode<T> my,
                                                      AxisMode<T> mz, T scale, Cplx<T> r[3]) {
  const T k[3] = {T(2) * ih[0] * mx.s * (my.c * mz.c), T(2) * ih[1] * my.s * (mx.c * mz.c),
                  T(2) * ih[2] * mz.s * (mx.c * my.c)};
  const T k2 = (k[0] * k[0] + k[1] * k[1]) + k[2] * k[2];
  if (k2 == T(0)) {
    r[0] = r[1] = r[2] = Cplx<T>{0, 0};
    return;
  }
  const T c = (lambda0 + mu0) / (lambda0 + T(2) * mu0) / k2;
  const T f = scale / (mu0 * k2);
  const Cplx<T> kr = cadd(cadd(cscale(r[0], k[0]), cscale(r[1], k[1])), cscale(r[2], k[2]));
  for (int i = 0; i < 3; ++i) r[i] = cscale(csub(r[i], cscale(kr, c * k[i])), f);
}

/// Preconditioner of the fully integrated (2x2x2 Gauss) scheme at one mode: r <- scale K^-1 r,
/// 0 at q = 0 (the only zero of K for a positive definite C0). With e = e^{iq}:
/// sum over the two Gauss abscissae of ((1-t) + t e) is 1 + e, of |(1-t) + t e|^2 is (2/3)(2 + cos q).
template <class T>
VOXTWIN_HD inline void precondition_full(const T C0[36], const T ih[3], AxisMode<T> mx, AxisMode<T> my,
                                         AxisMode<T> mz, T scale, Cplx<T> r[3]) {
  const AxisMode<T> md[3] = {mx, my, mz};
  if (mx.s == T(0) && my.s == T(0) && mz.s == T(0)) {
    r[0] = r[1] = r[2] = Cplx<T>{0, 0};
    return;
  }
  Cplx<T> D[3], B[3];
  T A[3];
  for (int j = 0; j < 3; ++j) {
    const T s = md[j].s, c = md[j].c;
    const T cosq = T(1) - T(2) * s * s, sinq = T(2) * s * c;
    D[j] = Cplx<T>{cosq - T(1), sinq};                  // e^{iq} - 1
    B[j] = Cplx<T>{T(1) + cosq, sinq};                  // 1 + e^{iq}
    A[j] = T(2) / T(3) * (T(2) + cosq);
  }
  // M_jl = (1/8) sum_g conj(s_j) s_l (Hermitian).
  Cplx<T> M[3][3];
  for (int j = 0; j < 3; ++j) {
    const int l1 = (j + 1) % 3, l2 = (j + 2) % 3;
    const T dd = D[j].re * D[j].re + D[j].im * D[j].im;
    M[j][j] = Cplx<T>{T(0.125) * ih[j] * ih[j] * dd * T(2) * (A[l1] * A[l2]), 0};
  }
  for (int j = 0; j < 3; ++j)
    for (int l = 0; l < 3; ++l) {
      if (j == l) continue;
      const int m = 3 - j - l;
      // conj(D_j) D_l conj(B_l) B_j A_m / 8
      const Cplx<T> v = cmul(cmul(cconj(D[j]), D[l]), cmul(cconj(B[l]), B[j]));
      M[j][l] = cscale(v, T(0.125) * ih[j] * ih[l] * A[m]);
    }
  Cplx<T> K[3][3];
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 3; ++k) {
      Cplx<T> acc{0, 0};
      for (int j = 0; j < 3; ++j)
        for (int l = 0; l < 3; ++l) acc = cadd(acc, cscale(M[j][l], C0[6 * voigt_pair(i, j) + voigt_pair(k, l)]));
      K[i][k] = acc;
    }
  // General complex 3x3 inverse by cofactors: inv = adj / det.
  Cplx<T> adj[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) {
      const int i1 = (j + 1) % 3, i2 = (j + 2) % 3, j1 = (i + 1) % 3, j2 = (i + 2) % 3;
      adj[i][j] = csub(cmul(K[i1][j1], K[i2][j2]), cmul(K[i1][j2], K[i2][j1]));
    }
  const Cplx<T> det = cadd(cadd(cmul(K[0][0], adj[0][0]), cmul(K[0][1], adj[1][0])), cmul(K[0][2], adj[2][0]));
  const T dn = det.re * det.re + det.im * det.im;
  const Cplx<T> idet = cscale(cconj(det), scale / dn);
  const Cplx<T> in[3] = {r[0], r[1], r[2]};
  for (int i = 0; i < 3; ++i) {
    Cplx<T> acc{0, 0};
    for (int j = 0; j < 3; ++j) acc = cadd(acc, cmul(adj[i][j], in[j]));
    r[i] = cmul(acc, idet);
  }
}

/// Strain update of the basic scheme at one mode with continuous frequency xi (not 0):
/// tau (Voigt stress) <- -Gamma0(xi) tau = -sym(xi (x) K0(xi)^-1 (tau xi)), Voigt strain with
/// engineering shears.
template <class T>
VOXTWIN_HD inline void green_basic(const T C0[36], const T xi[3], Cplx<T> tau[6]) {
  T c[6];
  const T idet = T(1) / acoustic_cofactors(C0, xi, c);
  // v = tau xi (traction of the polarization on planes normal to xi), w = K0^-1 v.
  const Cplx<T> v[3] = {cadd(cadd(cscale(tau[0], xi[0]), cscale(tau[5], xi[1])), cscale(tau[4], xi[2])),
                        cadd(cadd(cscale(tau[5], xi[0]), cscale(tau[1], xi[1])), cscale(tau[3], xi[2])),
                        cadd(cadd(cscale(tau[4], xi[0]), cscale(tau[3], xi[1])), cscale(tau[2], xi[2]))};
  Cplx<T> w[3];
  sym3_apply(c, idet, v, w);
  const Cplx<T> w0 = w[0], w1 = w[1], w2 = w[2];
  tau[0] = cscale(w0, -xi[0]);
  tau[1] = cscale(w1, -xi[1]);
  tau[2] = cscale(w2, -xi[2]);
  tau[3] = cscale(cadd(cscale(w2, xi[1]), cscale(w1, xi[2])), T(-1));
  tau[4] = cscale(cadd(cscale(w2, xi[0]), cscale(w0, xi[2])), T(-1));
  tau[5] = cscale(cadd(cscale(w1, xi[0]), cscale(w0, xi[1])), T(-1));
}

}  // namespace voxtwin::detail
