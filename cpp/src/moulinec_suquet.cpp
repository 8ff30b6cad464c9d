// The Moulinec-Suquet basic scheme (CPU only; a reference for the CG schemes):
//   eps^{k+1} = eps^k - Gamma0 * sigma(eps^k),
// with the continuous Green operator of the isotropic reference C0 = (l_min + l_max)/2 Id (Mandel).
// Gamma0 is applied per Fourier mode (fused into the x-transform pass). A Nyquist frequency of an
// even axis is +n/2 and -n/2 at once; where that makes Gamma0 ambiguous (another component neither
// 0 nor Nyquist) Gamma0 = C0^-1 as in Moulinec & Suquet (1998), elsewhere (e.g. the modes of a
// laminate) the continuous Gamma0 is used as is. Stress-controlled mean components follow
// E_f <- E_f + (C0_ff)^-1 (Sigma_f - <sigma>_f). Convergence: the Mandel norm of the strain update
// relative to the first update.
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "aligned_buffer.hpp"
#include "elasticity_solvers.hpp"
#include "fft_r2c.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/detail/reference_medium.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin::detail {

namespace {

constexpr int kStrainComponents = 6;

/// Signed continuous frequency of mode m on an axis of n voxels of size h; `nyquist` flags m = n/2.
double frequency(std::int64_t m, std::int64_t n, double h, bool& nyquist) {
  nyquist = (n % 2 == 0) && (2 * m == n);
  const double signed_m = 2 * m <= n ? static_cast<double>(m) : static_cast<double>(m - n);
  return signed_m / (static_cast<double>(n) * h);
}

}  // namespace

double basic_scheme_memory_bytes(const Shape3& shape, int real_bytes, int threads) {
  const PaddedGrid g = padded_grid(shape.nx, shape.ny, shape.nz);
  const double rows = threads * kStrainComponents * 2.0 * static_cast<double>(g.nx * g.nzc) * real_bytes;
  return 2.0 * kStrainComponents * static_cast<double>(g.component()) * real_bytes + rows + 16.0 * g.nx;
}

template <class T, class L>
ElasticityResult basic_scheme_solve(const VolumeView<const L>& index, const MaterialTable& table,
                                    const MacroLoading& loading, const ElasticityOptions& options,
                                    const std::vector<std::uint64_t>& counts, T* strain) {
  const auto start = std::chrono::steady_clock::now();
  const PaddedGrid g = padded_grid(index.shape.nx, index.shape.ny, index.shape.nz);
  const int threads = solver_threads(index.shape);
  const std::int64_t comp = g.component();
  const double N = static_cast<double>(g.voxels());
  const std::vector<MaterialEntry<T>> entries = material_entries<T>(table);
  const Matrix6 C0 = basic_scheme_reference(table, counts);
  const MixedControl mc = mixed_control(loading, C0);
  const T dT = static_cast<T>(loading.delta_T);

  AlignedBuffer<T> eps_buf(static_cast<std::size_t>(kStrainComponents * comp));
  AlignedBuffer<T> tau_buf(static_cast<std::size_t>(kStrainComponents * comp));
  T *eps = eps_buf.get(), *tau = tau_buf.get();
  SlabFft<T> fft(g, kStrainComponents, threads, tau);
  const std::int64_t cblock = g.nx * g.nzc;

  // Frequencies per axis, in 1/µm (the 2 pi cancels in Gamma0, homogeneous of degree 0).
  std::vector<double> fx(g.nx), fy(g.ny), fz(g.nzc);
  std::vector<char> nqx(g.nx), nqy(g.ny), nqz(g.nzc);
  for (std::int64_t m = 0; m < g.nx; ++m) {
    bool nq;
    fx[m] = frequency(m, g.nx, options.voxel_size[0], nq);
    nqx[m] = nq;
  }
  for (std::int64_t m = 0; m < g.ny; ++m) {
    bool nq;
    fy[m] = frequency(m, g.ny, options.voxel_size[1], nq);
    nqy[m] = nq;
  }
  for (std::int64_t m = 0; m < g.nzc; ++m) {
    bool nq;
    fz[m] = frequency(m, g.nz, options.voxel_size[2], nq);
    nqz[m] = nq;
  }
  T C0t[36], S0t[36];
  const Matrix6 S0 = C0.inverse();
  for (int i = 0; i < 36; ++i) {
    C0t[i] = static_cast<T>(C0(i / 6, i % 6));
    S0t[i] = static_cast<T>(S0(i / 6, i % 6));
  }
  // A mode is its own conjugate partner when each of its components is 0 or a Nyquist frequency.
  auto self_paired = [&](std::int64_t x, std::int64_t y, std::int64_t k) {
    return (x == 0 || nqx[x]) && (y == 0 || nqy[y]) && (k == 0 || nqz[k]);
  };

  Vector6 E = mc.fixed_strain;
  std::vector<double> plane_sums(g.nx * 6), plane_norms(g.nx);

  auto set_uniform_strain = [&]() {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t x = 0; x < g.nx; ++x)
      for (int c = 0; c < kStrainComponents; ++c)
        for (std::int64_t y = 0; y < g.ny; ++y) {
          T* row = eps + c * comp + g.at(x, y, 0);
          for (std::int64_t z = 0; z < g.nz; ++z) row[z] = static_cast<T>(E[c]);
        }
  };
  // tau = sigma(eps) voxel by voxel; returns the mean stress.
  auto stresses = [&]() {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::int64_t x = 0; x < g.nx; ++x) {
      double sum[6] = {0, 0, 0, 0, 0, 0};
      for (std::int64_t y = 0; y < g.ny; ++y) {
        const L* lab = index.data + (x * g.ny + y) * g.nz;
        const std::int64_t row = g.at(x, y, 0);
        for (std::int64_t z = 0; z < g.nz; ++z) {
          T e[6], s[6];
          for (int c = 0; c < 6; ++c) e[c] = eps[c * comp + row + z];
          entry_stress(entries[lab[z]], e, dT, s);
          for (int c = 0; c < 6; ++c) {
            tau[c * comp + row + z] = s[c];
            sum[c] += s[c];
          }
        }
      }
      for (int c = 0; c < 6; ++c) plane_sums[6 * x + c] = sum[c];
    }
    Vector6 mean = Vector6::Zero();
    for (std::int64_t x = 0; x < g.nx; ++x)
      for (int c = 0; c < 6; ++c) mean[c] += plane_sums[6 * x + c];
    return Vector6(mean / N);
  };

  ElasticityResult result;
  result.reference_C = C0;
  result.memory_bytes = basic_scheme_memory_bytes(index.shape, sizeof(T), threads);
  set_uniform_strain();
  double first = 0;
  result.residuals.push_back(1.0);
  const T scale = static_cast<T>(1.0 / N);
  for (int it = 1; it <= options.max_iter; ++it) {
    const Vector6 mean = stresses();
    Vector6 dE = Vector6::Zero();
    for (int a = 0; a < mc.count; ++a) {
      double s = 0;
      for (int b = 0; b < mc.count; ++b)
        s += mc.reference_inverse(a, b) * (loading.stress[mc.components[b]] - mean[mc.components[b]]);
      dE[mc.components[a]] = s;
    }
    E += dE;
    // The strain update -Gamma0 tau per mode, row by row; then eps += update, slab by slab.
    auto update = [&](Cplx<T>* tc, std::int64_t y) {
      for (std::int64_t x = 0; x < g.nx; ++x)
        for (std::int64_t k = 0; k < g.nzc; ++k) {
          const std::int64_t i = x * g.nzc + k;
          Cplx<T> v[6], in6[6];
          if (x == 0 && y == 0 && k == 0) {
            for (int c = 0; c < 6; ++c) v[c] = Cplx<T>{static_cast<T>(N * dE[c]), T(0)};
          } else if ((nqx[x] || nqy[y] || nqz[k]) && !self_paired(x, y, k)) {
            // +n/2 and -n/2 are one mode, and the continuous Gamma0 differs between the two
            // signs: as Moulinec & Suquet (1998), Gamma0 = C0^-1 there (the stress is driven to 0).
            for (int c = 0; c < 6; ++c) in6[c] = tc[c * cblock + i];
            for (int r = 0; r < 6; ++r) {
              Cplx<T> acc{0, 0};
              for (int c = 0; c < 6; ++c) acc = cadd(acc, cscale(in6[c], -S0t[6 * r + c]));
              v[r] = acc;
            }
          } else {
            for (int c = 0; c < 6; ++c) v[c] = tc[c * cblock + i];
            const T xi[3] = {static_cast<T>(fx[x]), static_cast<T>(fy[y]), static_cast<T>(fz[k])};
            green_basic(C0t, xi, v);
          }
          for (int c = 0; c < 6; ++c) tc[c * cblock + i] = v[c];
        }
    };
    auto accumulate = [&](std::int64_t x) {
      double norm = 0;
      for (int c = 0; c < 6; ++c) {
        const double w = c < 3 ? 1.0 : 0.5;  // Mandel norm of a Voigt strain with engineering shears
        for (std::int64_t y = 0; y < g.ny; ++y) {
          const std::int64_t row = c * comp + g.at(x, y, 0);
          for (std::int64_t z = 0; z < g.nz; ++z) {
            const T d = tau[row + z] * scale;
            eps[row + z] += d;
            norm += w * static_cast<double>(d) * d;
          }
        }
      }
      plane_norms[x] = norm;
    };
    fft.transform(tau, update, accumulate);
    double norm = 0;
    for (double v : plane_norms) norm += v;
    norm = std::sqrt(norm);
    if (it == 1) first = norm;
    const double res = first > 0 ? norm / first : 0.0;
    if (record_iteration(result, it, res, options)) break;
  }
  result.mean_strain = E;
  result.mean_stress = stresses();
  if (strain) padded_to_compact(eps, kStrainComponents, g, threads, strain);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

#define VOXTWIN_INSTANTIATE(T, L)                                                                      \
  template ElasticityResult basic_scheme_solve<T, L>(const VolumeView<const L>&, const MaterialTable&, \
                                                     const MacroLoading&, const ElasticityOptions&,   \
                                                     const std::vector<std::uint64_t>&, T*);
VOXTWIN_ELASTICITY_TYPES(VOXTWIN_INSTANTIATE)
#undef VOXTWIN_INSTANTIATE

}  // namespace voxtwin::detail
