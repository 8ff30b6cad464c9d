// CUDA twin of cpp/src/elasticity_cg.cpp: preconditioned CG on trilinear voxel hexahedra in float32.
//
// Device memory: x, r, p and q (z shares q's buffer), 3 padded float components each (48 bytes per
// voxel), the index volume (1 or 2 bytes per voxel), one cuFFT work area, and small tables. The
// operator is applied node by node: each thread recomputes the stresses of the 8 elements around
// its node from the shared element functions (detail/hex_element.hpp) and gathers their forces in
// the CPU's order; nothing per element is stored. Reductions are deterministic: fixed grid, fixed
// block trees, per-block partial sums added on the host in block order.
// Eigen (host code only here) trips nvcc's note on defaulted __host__ __device__ members.
#pragma nv_diag_suppress 20012
#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

#include "check.cuh"
#include "elasticity_solvers.cuh"
#include "fft_r2c.cuh"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/detail/mixed_pcg.hpp"
#include "voxtwin/detail/reference_medium.hpp"
#include "voxtwin/errors.hpp"

namespace voxtwin::cuda_detail {

using detail::AxisMode;
using detail::Cplx;
using detail::MaterialEntry;
using detail::PaddedGrid;

namespace {

constexpr int kThreads = 256;   // power of two: the block reductions halve it
constexpr int kMaxBlocks = 1024;

template <class L>
struct OperatorArgs {
  PaddedGrid g;
  const L* labels;
  const MaterialEntry<float>* entries;
  float ih[3];
  float E[6];
  float dT;
};

__device__ inline void voxel_of(std::int64_t i, const PaddedGrid& g, std::int64_t& x, std::int64_t& y,
                                std::int64_t& z) {
  z = i % g.nz;
  i /= g.nz;
  y = i % g.ny;
  x = i / g.ny;
}

/// Fixed-order tree reduction of K doubles over the block; thread 0 writes out[blockIdx.x * K + k].
template <int K>
__device__ void block_reduce(double (&v)[K], double* out) {
  __shared__ double sh[K][kThreads];
  for (int k = 0; k < K; ++k) sh[k][threadIdx.x] = v[k];
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s)
      for (int k = 0; k < K; ++k) sh[k][threadIdx.x] += sh[k][threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0)
    for (int k = 0; k < K; ++k) out[blockIdx.x * K + k] = sh[k][0];
}

/// Centre stress of voxel (ex, ey, ez) for displacement p (null: zero).
template <class L>
__device__ void element_stress(const OperatorArgs<L>& a, const float* p, std::int64_t ex, std::int64_t ey,
                               std::int64_t ez, float s[6]) {
  const MaterialEntry<float>& m = a.entries[a.labels[(ex * a.g.ny + ey) * a.g.nz + ez]];
  if (m.kind == detail::kVoidEntry) {
    for (int k = 0; k < 6; ++k) s[k] = 0.f;
    return;
  }
  float u[3][8];
  if (p) {
    detail::gather_corners(p, a.g, ex, ey, ez, u);
  } else {
    for (int c = 0; c < 3; ++c)
      for (int k = 0; k < 8; ++k) u[c][k] = 0.f;
  }
  float gr[3][3], e[6];
  detail::reduced_gradient(u, a.ih, gr);
  detail::strain_from_gradient(gr, a.E, e);
  detail::entry_stress(m, e, a.dT, s);
}

/// q = A p (+ macroscopic and thermal terms) node by node; partial sums of p . q per block.
template <class L, bool Full>
__global__ void apply_kernel(OperatorArgs<L> a, const float* __restrict__ p, float* __restrict__ q,
                             double* __restrict__ partial) {
  double dot[1] = {0.0};
  const std::int64_t n = a.g.voxels(), comp = a.g.component();
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t x, y, z;
    voxel_of(i, a.g, x, y, z);
    const std::int64_t xs[2] = {x, x == 0 ? a.g.nx - 1 : x - 1};
    const std::int64_t ys[2] = {y, y == 0 ? a.g.ny - 1 : y - 1};
    const std::int64_t zs[2] = {z, z == 0 ? a.g.nz - 1 : z - 1};
    float f[3] = {0.f, 0.f, 0.f};
    if constexpr (Full) {
      for (int ai = 0; ai < 2; ++ai)
        for (int b = 0; b < 2; ++b)
          for (int c = 0; c < 2; ++c) {
            const MaterialEntry<float>& m = a.entries[a.labels[(xs[ai] * a.g.ny + ys[b]) * a.g.nz + zs[c]]];
            if (m.kind == detail::kVoidEntry) continue;  // adds zeros on the CPU: the same sum
            float u[3][8], fe[3][8], sm[6];
            if (p) {
              detail::gather_corners(p, a.g, xs[ai], ys[b], zs[c], u);
            } else {
              for (int cc = 0; cc < 3; ++cc)
                for (int k = 0; k < 8; ++k) u[cc][k] = 0.f;
            }
            detail::full_element(m, u, a.ih, a.E, a.dT, fe, sm);
            const int k = 4 * ai + 2 * b + c;
            f[0] += fe[0][k];
            f[1] += fe[1][k];
            f[2] += fe[2][k];
          }
    } else {
      float s[2][2][2][6];
      for (int ai = 0; ai < 2; ++ai)
        for (int b = 0; b < 2; ++b)
          for (int c = 0; c < 2; ++c) element_stress(a, p, xs[ai], ys[b], zs[c], s[ai][b][c]);
      float px[6], py[6], pz[6];
      for (int k = 0; k < 6; ++k) {
        float dx0, dy0, aa0, dx1, dy1, aa1;
        detail::reduced_layer(s[0][0][0][k], s[0][1][0][k], s[1][0][0][k], s[1][1][0][k], dx0, dy0, aa0);
        detail::reduced_layer(s[0][0][1][k], s[0][1][1][k], s[1][0][1][k], s[1][1][1][k], dx1, dy1, aa1);
        px[k] = detail::reduced_part_xy(dx0, dx1, a.ih[0]);
        py[k] = detail::reduced_part_xy(dy0, dy1, a.ih[1]);
        pz[k] = detail::reduced_part_z(aa0, aa1, a.ih[2]);
      }
      detail::reduced_force(px, py, pz, f);
    }
    const std::int64_t j = a.g.at(x, y, z);
    q[j] = f[0];
    q[comp + j] = f[1];
    q[2 * comp + j] = f[2];
    if (p)
      dot[0] += (static_cast<double>(p[j]) * f[0] + static_cast<double>(p[comp + j]) * f[1]) +
                static_cast<double>(p[2 * comp + j]) * f[2];
  }
  block_reduce<1>(dot, partial);
}

/// Per-block sums of the element stress (centre, or mean over Gauss points) over all voxels.
template <class L, bool Full>
__global__ void stress_sum_kernel(OperatorArgs<L> a, const float* __restrict__ u, double* __restrict__ partial) {
  double sum[6] = {0, 0, 0, 0, 0, 0};
  const std::int64_t n = a.g.voxels();
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    std::int64_t x, y, z;
    voxel_of(i, a.g, x, y, z);
    float s[6];
    if constexpr (Full) {
      const MaterialEntry<float>& m = a.entries[a.labels[i]];
      float uc[3][8] = {}, fe[3][8];
      if (u) detail::gather_corners(u, a.g, x, y, z, uc);
      detail::full_element(m, uc, a.ih, a.E, a.dT, fe, s);
    } else {
      element_stress(a, u, x, y, z, s);
    }
    for (int k = 0; k < 6; ++k) sum[k] += s[k];
  }
  block_reduce<6>(sum, partial);
}

/// Calls the body for every real (not padding) entry of a padded 3-component field.
__device__ inline std::int64_t padded_entry(std::int64_t i, const PaddedGrid& g) {
  const std::int64_t n = g.voxels();
  const std::int64_t c = i / n;
  std::int64_t x, y, z;
  voxel_of(i - c * n, g, x, y, z);
  return c * g.component() + g.at(x, y, z);
}

#define VOXTWIN_FOR_ENTRIES(g)                                                                                   \
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < 3 * (g).voxels(); \
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x)

__global__ void negate_copy_kernel(PaddedGrid g, float* __restrict__ r, float* __restrict__ q) {
  VOXTWIN_FOR_ENTRIES(g) {
    const std::int64_t j = padded_entry(i, g);
    r[j] = -q[j];
    q[j] = r[j];
  }
}

__global__ void update_kernel(PaddedGrid g, float alpha, float* __restrict__ x, float* __restrict__ r,
                              const float* __restrict__ p, float* __restrict__ q) {
  VOXTWIN_FOR_ENTRIES(g) {
    const std::int64_t j = padded_entry(i, g);
    x[j] += alpha * p[j];
    r[j] -= alpha * q[j];
    q[j] = r[j];
  }
}

__global__ void direction_kernel(PaddedGrid g, float beta, float* __restrict__ p, const float* __restrict__ z) {
  VOXTWIN_FOR_ENTRIES(g) {
    const std::int64_t j = padded_entry(i, g);
    p[j] = z[j] + beta * p[j];
  }
}

__global__ void dot_kernel(PaddedGrid g, const float* __restrict__ a, const float* __restrict__ b,
                           double* __restrict__ partial) {
  double d[1] = {0.0};
  VOXTWIN_FOR_ENTRIES(g) {
    const std::int64_t j = padded_entry(i, g);
    d[0] += static_cast<double>(a[j]) * b[j];
  }
  block_reduce<1>(d, partial);
}

/// Padded x -> compact [c][x][y][z] (into a free buffer), for the download of the displacement.
__global__ void compact_kernel(PaddedGrid g, const float* __restrict__ x, float* __restrict__ out) {
  VOXTWIN_FOR_ENTRIES(g) { out[i] = x[padded_entry(i, g)]; }
}

struct SpectralArgs {
  PaddedGrid g;
  float C0[36];
  float lambda0, mu0;
  bool isotropic;
  float ih[3];
  float scale;
  const AxisMode<float>* mx;
  const AxisMode<float>* my;
  const AxisMode<float>* mz;
};

template <bool Full>
__global__ void spectral_kernel(SpectralArgs s, Cplx<float>* __restrict__ zc) {
  const std::int64_t modes = s.g.nx * s.g.ny * s.g.nzc, ccomp = s.g.component() / 2;
  for (std::int64_t i = blockIdx.x * static_cast<std::int64_t>(blockDim.x) + threadIdx.x; i < modes;
       i += static_cast<std::int64_t>(gridDim.x) * blockDim.x) {
    const std::int64_t k = i % s.g.nzc, xy = i / s.g.nzc, y = xy % s.g.ny, x = xy / s.g.ny;
    Cplx<float> v[3] = {zc[i], zc[ccomp + i], zc[2 * ccomp + i]};
    if constexpr (Full)
      detail::precondition_full(s.C0, s.ih, s.mx[x], s.my[y], s.mz[k], s.scale, v);
    else if (s.isotropic)
      detail::precondition_reduced_isotropic(s.lambda0, s.mu0, s.ih, s.mx[x], s.my[y], s.mz[k], s.scale, v);
    else
      detail::precondition_reduced(s.C0, s.ih, s.mx[x], s.my[y], s.mz[k], s.scale, v);
    zc[i] = v[0];
    zc[ccomp + i] = v[1];
    zc[2 * ccomp + i] = v[2];
  }
}

int blocks_for(std::int64_t n) {
  return static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(kMaxBlocks, (n + kThreads - 1) / kThreads)));
}

/// Host-side sum of the per-block partials in block order.
void sum_partials(const DeviceBuffer<double>& partial, int blocks, int K, double* out) {
  std::vector<double> host(static_cast<std::size_t>(blocks) * K);
  VOXTWIN_CUDA_CHECK(cudaMemcpy(host.data(), partial.get(), host.size() * sizeof(double), cudaMemcpyDeviceToHost));
  for (int k = 0; k < K; ++k) out[k] = 0;
  for (int b = 0; b < blocks; ++b)
    for (int k = 0; k < K; ++k) out[k] += host[static_cast<std::size_t>(b) * K + k];
}

/// The vector operations of detail::mixed_pcg on the GPU (see the file comment for the memory).
template <class L, bool Full>
class CudaOps {
 public:
  CudaOps(const PaddedGrid& g, const VolumeView<const L>& index, const std::vector<MaterialEntry<float>>& entries,
          const Matrix6& C0, const ElasticityOptions& options, CufftR2C& fft)
      : g_(g),
        comp_(g.component()),
        fft_(fft),
        x_(3 * comp_),
        r_(3 * comp_),
        p_(3 * comp_),
        q_(3 * comp_),
        labels_(static_cast<std::size_t>(g.voxels())),
        work_(std::max<std::size_t>(fft.work_bytes(), 1)),
        entries_(entries.size()),
        partial_(kMaxBlocks * 6),
        axes_(static_cast<std::size_t>(g.nx + g.ny + g.nzc)),
        nb_vox_(blocks_for(g.voxels())),
        nb_ent_(blocks_for(3 * g.voxels())),
        nb_modes_(blocks_for(g.nx * g.ny * g.nzc)) {
    fft_.set_work_area(work_.get());
    const std::int64_t n = g.voxels();
    VOXTWIN_CUDA_CHECK(cudaMemcpy(labels_.get(), index.data, static_cast<std::size_t>(n) * sizeof(L), cudaMemcpyHostToDevice));
    VOXTWIN_CUDA_CHECK(cudaMemcpy(entries_.get(), entries.data(), entries.size() * sizeof(MaterialEntry<float>),
                                  cudaMemcpyHostToDevice));
    std::vector<AxisMode<float>> modes;
    for (std::int64_t i = 0; i < g.nx; ++i) modes.push_back(detail::axis_mode<float>(i, g.nx));
    for (std::int64_t i = 0; i < g.ny; ++i) modes.push_back(detail::axis_mode<float>(i, g.ny));
    for (std::int64_t i = 0; i < g.nzc; ++i) modes.push_back(detail::axis_mode<float>(i, g.nz));
    VOXTWIN_CUDA_CHECK(cudaMemcpy(axes_.get(), modes.data(), modes.size() * sizeof(AxisMode<float>), cudaMemcpyHostToDevice));
    for (DeviceBuffer<float>* b : {&x_, &r_, &p_, &q_})
      VOXTWIN_CUDA_CHECK(cudaMemset(b->get(), 0, 3 * comp_ * sizeof(float)));

    args_.g = g;
    args_.labels = labels_.get();
    args_.entries = entries_.get();
    for (int i = 0; i < 3; ++i) args_.ih[i] = static_cast<float>(1.0 / options.voxel_size[i]);
    sp_.g = g;
    for (int i = 0; i < 36; ++i) sp_.C0[i] = static_cast<float>(C0(i / 6, i % 6));
    double lambda = 0, mu = 0;
    sp_.isotropic = detail::isotropic_parameters(C0, lambda, mu);
    sp_.lambda0 = static_cast<float>(lambda);
    sp_.mu0 = static_cast<float>(mu);
    for (int i = 0; i < 3; ++i) sp_.ih[i] = args_.ih[i];
    sp_.scale = static_cast<float>(1.0 / static_cast<double>(g.voxels()));
    sp_.mx = axes_.get();
    sp_.my = axes_.get() + g.nx;
    sp_.mz = axes_.get() + g.nx + g.ny;
  }

  double apply(bool with_p, const double E[6], double dT, double* sigma_sum) {
    set_load(E, dT);
    const float* p = with_p ? p_.get() : nullptr;
    apply_kernel<L, Full><<<nb_vox_, kThreads>>>(args_, p, q_.get(), partial_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    double dot = 0;
    sum_partials(partial_, nb_vox_, 1, &dot);
    if (sigma_sum) {
      stress_sum_kernel<L, Full><<<nb_vox_, kThreads>>>(args_, p, partial_.get());
      VOXTWIN_CUDA_CHECK_LAUNCH();
      sum_partials(partial_, nb_vox_, 6, sigma_sum);
    }
    return dot;
  }
  void negate_into_residual() {
    negate_copy_kernel<<<nb_ent_, kThreads>>>(g_, r_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  double precondition() {
    float* q = q_.get();
    for (int c = 0; c < 3; ++c) fft_.forward(q + c * comp_);
    spectral_kernel<Full><<<nb_modes_, kThreads>>>(sp_, reinterpret_cast<Cplx<float>*>(q));
    VOXTWIN_CUDA_CHECK_LAUNCH();
    for (int c = 0; c < 3; ++c) fft_.inverse(q + c * comp_);
    dot_kernel<<<nb_ent_, kThreads>>>(g_, r_.get(), q, partial_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    double d = 0;
    sum_partials(partial_, nb_ent_, 1, &d);
    return d;
  }
  void copy_direction() {
    VOXTWIN_CUDA_CHECK(cudaMemcpy(p_.get(), q_.get(), 3 * comp_ * sizeof(float), cudaMemcpyDeviceToDevice));
  }
  void update(double alpha) {
    update_kernel<<<nb_ent_, kThreads>>>(g_, static_cast<float>(alpha), x_.get(), r_.get(), p_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  void direction(double beta) {
    direction_kernel<<<nb_ent_, kThreads>>>(g_, static_cast<float>(beta), p_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  void stress_sum(const double E[6], double dT, double out[6]) {
    set_load(E, dT);
    stress_sum_kernel<L, Full><<<nb_vox_, kThreads>>>(args_, x_.get(), partial_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    sum_partials(partial_, nb_vox_, 6, out);
  }
  /// Downloads the solution x as a compact [c][x][y][z] host array (q is free by then).
  void copy_solution(float* out) {
    compact_kernel<<<nb_ent_, kThreads>>>(g_, x_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    VOXTWIN_CUDA_CHECK(cudaMemcpy(out, q_.get(), 3 * static_cast<std::size_t>(g_.voxels()) * sizeof(float),
                                  cudaMemcpyDeviceToHost));
  }

 private:
  void set_load(const double E[6], double dT) {
    for (int i = 0; i < 6; ++i) args_.E[i] = static_cast<float>(E[i]);
    args_.dT = static_cast<float>(dT);
  }

  PaddedGrid g_;
  std::int64_t comp_;
  CufftR2C& fft_;
  DeviceBuffer<float> x_, r_, p_, q_;
  DeviceBuffer<L> labels_;
  DeviceBuffer<unsigned char> work_;
  DeviceBuffer<MaterialEntry<float>> entries_;
  DeviceBuffer<double> partial_;
  DeviceBuffer<AxisMode<float>> axes_;
  int nb_vox_, nb_ent_, nb_modes_;
  OperatorArgs<L> args_{};
  SpectralArgs sp_{};
};

template <class L, bool Full>
ElasticityResult run_cg(const VolumeView<const L>& index, const MaterialTable& table, const MacroLoading& loading,
                        const ElasticityOptions& options, const std::vector<std::uint64_t>& counts, float* u_out) {
  const auto start = std::chrono::steady_clock::now();
  const PaddedGrid g = detail::padded_grid(index.shape.nx, index.shape.ny, index.shape.nz);
  const std::vector<MaterialEntry<float>> entries = detail::material_entries<float>(table);
  const Matrix6 C0 = detail::reference_stiffness(table, counts);

  // Plans first (no work area yet), then the memory check, then the allocations.
  CufftR2C fft(g);
  const double needed = 4.0 * 3.0 * g.component() * sizeof(float) + static_cast<double>(g.voxels()) * sizeof(L) +
                        static_cast<double>(fft.work_bytes()) + entries.size() * sizeof(MaterialEntry<float>) +
                        kMaxBlocks * 6.0 * sizeof(double) + (g.nx + g.ny + g.nzc) * sizeof(AxisMode<float>);
  std::size_t free_bytes = 0, total_bytes = 0;
  VOXTWIN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  detail::require_memory(needed, static_cast<double>(free_bytes), "GPU");

  CudaOps<L, Full> ops(g, index, entries, C0, options, fft);
  ElasticityResult result =
      detail::mixed_pcg(ops, detail::mixed_control(loading, C0), loading, options, static_cast<double>(g.voxels()));
  if (u_out) ops.copy_solution(u_out);
  VOXTWIN_CUDA_CHECK(cudaDeviceSynchronize());
  result.reference_C = C0;
  result.memory_bytes = needed;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace

double cg_device_bytes(const Shape3& shape, int index_bytes) {
  const PaddedGrid g = detail::padded_grid(shape.nx, shape.ny, shape.nz);
  return 4.0 * 3.0 * g.component() * sizeof(float) + static_cast<double>(g.voxels()) * index_bytes +
         static_cast<double>(cufft_work_estimate(g)) + kMaxBlocks * 6.0 * sizeof(double);
}

template <class L>
ElasticityResult hex_cg_solve(const VolumeView<const L>& index, const MaterialTable& table, const MacroLoading& loading,
                              const ElasticityOptions& options, const std::vector<std::uint64_t>& counts, float* u) {
  if (options.scheme == ElasticityScheme::HexFull) return run_cg<L, true>(index, table, loading, options, counts, u);
  return run_cg<L, false>(index, table, loading, options, counts, u);
}

template ElasticityResult hex_cg_solve<std::uint8_t>(const VolumeView<const std::uint8_t>&, const MaterialTable&,
                                                     const MacroLoading&, const ElasticityOptions&,
                                                     const std::vector<std::uint64_t>&, float*);
template ElasticityResult hex_cg_solve<std::uint16_t>(const VolumeView<const std::uint16_t>&, const MaterialTable&,
                                                      const MacroLoading&, const ElasticityOptions&,
                                                      const std::vector<std::uint64_t>&, float*);

}  // namespace voxtwin::cuda_detail
