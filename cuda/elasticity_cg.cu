// CUDA twin of cpp/src/elasticity_cg.cpp: preconditioned CG on trilinear voxel hexahedra in float32.
//
// Device memory per voxel (vectors padded along z, 3 float components each = 12 B):
//   minimum (homogenization where nothing more fits): r, p, q              36 B
//   with the solution x (fields asked, or room for it): x, r, p, q         48 B
// plus the labels (1 or 2 B), one cuFFT work area, and small tables. z = M^-1 r lands in q's buffer
// (out-of-place forward transform of r: no copy of r). Homogenization keeps x whenever the device has
// room for it (detail::plan_cg_memory; VOXTWIN_CUDA_MIN_MEMORY=1 forces the minimum), so that
// detail::mixed_pcg confirms convergence with the true residual b - A x as on the CPU. Without x the
// mean stress is accumulated through the CG recurrence (the stress of x_k = sum alpha_i p_i is the
// sum of alpha_i times the stress sums that each operator application already returns), and the
// result says that convergence rests on the recursive residual (true_residual_checked false).
//
// The operator is the x-marching tile of detail/hex_march.hpp: each element's stress (hex8r) or
// corner forces (hex8) computed once per application, in shared memory. Vector steps run over rows
// of nz entries (no index division per entry) and are fused: update (r -= alpha q, x += alpha p),
// direction (p = z + beta p), and r . z by Parseval inside the spectral kernel. Reductions are
// deterministic: fixed grids, fixed shuffle trees, per-block partials added on the host in order.
// Eigen (host code only here) trips nvcc's note on defaulted __host__ __device__ members.
#pragma nv_diag_suppress 20012
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "check.cuh"
#include "elasticity_solvers.cuh"
#include "fft_r2c.cuh"
#include "voxtwin/detail/cg_memory_plan.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/detail/hex_march.hpp"
#include "voxtwin/detail/mixed_pcg.hpp"
#include "voxtwin/detail/reference_medium.hpp"
#include "voxtwin/errors.hpp"

namespace voxtwin::cuda_detail {

using detail::AxisMode;
using detail::Cplx;
using detail::MarchArgs;
using detail::MarchShared;
using detail::MarchSums;
using detail::MarchTile;
using detail::MaterialEntry;
using detail::PaddedGrid;

namespace {

constexpr int kRowThreads = 32;  // threads along z in the vector kernels (one warp per row)
constexpr int kRowsPerBlock = 8;
constexpr int kMaxRowBlocks = 4096;
constexpr int kTargetMarchBlocks = 2048;  // enough resident blocks for any current GPU
constexpr std::int64_t kMinChunk = 16;    // x-planes per march block: the halo plane costs 1 / chunk

/// Fixed-order reduction of K doubles over the block (warp shuffles, then warps in order);
/// thread 0 writes out[block * K + k].
template <int K, int Threads>
__device__ void block_reduce(double (&v)[K], double* out, std::int64_t block) {
  __shared__ double warp_sums[Threads / 32][K];
  const int tid = threadIdx.x + threadIdx.y * blockDim.x;
  for (int k = 0; k < K; ++k)
    for (int off = 16; off > 0; off >>= 1) v[k] += __shfl_down_sync(0xffffffffu, v[k], off);
  if ((tid & 31) == 0)
    for (int k = 0; k < K; ++k) warp_sums[tid >> 5][k] = v[k];
  __syncthreads();
  if (tid == 0)
    for (int k = 0; k < K; ++k) {
      double s = 0;
      for (int w = 0; w < Threads / 32; ++w) s += warp_sums[w][k];
      out[block * K + k] = s;
    }
}

/// Device policy of detail::march_block: the block's threads stride over each phase.
struct GpuPolicy {
  template <class Fn>
  __host__ __device__ void each(int n, Fn&& fn) {
#ifdef __CUDA_ARCH__
    for (int i = threadIdx.x; i < n; i += blockDim.x) fn(i);
#endif
  }
  __host__ __device__ void sync() {
#ifdef __CUDA_ARCH__
    __syncthreads();
#endif
  }
};

/// q = A p (+ macroscopic and thermal terms); per block: p . q and the element stress sum.
template <bool Full, class L>
__global__ void __launch_bounds__(MarchTile<Full>::threads)
    march_kernel(MarchArgs<float, L> a, const float* __restrict__ p, float* __restrict__ q, double* partial,
                 bool want_stress) {
  __shared__ MarchShared<Full, float> sh;
  GpuPolicy par;
  MarchSums acc;
  detail::march_block<Full>(a, p, q, static_cast<int>(blockIdx.x), static_cast<int>(blockIdx.y),
                            static_cast<std::int64_t>(blockIdx.z), sh, par, acc, want_stress);
  double v[7] = {acc.dot, acc.stress[0], acc.stress[1], acc.stress[2], acc.stress[3], acc.stress[4], acc.stress[5]};
  const std::int64_t block = (static_cast<std::int64_t>(blockIdx.z) * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
  block_reduce<7, MarchTile<Full>::threads>(v, partial, block);
}

/// Rows of nz real entries of the padded 3-component fields: row = (c nx + x) ny + y.
struct Rows {
  std::int64_t count, pitch;  // 3 nx ny rows, nzp floats apart
  int nz;
};

#define VOXTWIN_FOR_ROWS(rows)                                                                                  \
  for (std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < (rows).count; \
       row += static_cast<std::int64_t>(gridDim.x) * blockDim.y)                                                \
    for (std::int64_t j = row * (rows).pitch + threadIdx.x, end = row * (rows).pitch + (rows).nz; j < end;     \
         j += kRowThreads)

__global__ void negate_kernel(Rows rows, float* __restrict__ r, const float* __restrict__ q) {
  VOXTWIN_FOR_ROWS(rows) r[j] = -q[j];
}

template <bool WithX>
__global__ void update_kernel(Rows rows, float alpha, float* __restrict__ x, float* __restrict__ r,
                              const float* __restrict__ p, const float* __restrict__ q) {
  VOXTWIN_FOR_ROWS(rows) {
    r[j] -= alpha * q[j];
    if constexpr (WithX) x[j] += alpha * p[j];
  }
}

template <bool First>
__global__ void direction_kernel(Rows rows, float beta, float* __restrict__ p, const float* __restrict__ z) {
  VOXTWIN_FOR_ROWS(rows) {
    if constexpr (First)
      p[j] = z[j];
    else
      p[j] = z[j] + beta * p[j];
  }
}

/// Padded x -> compact [c][x][y][z] (into a free buffer), for the download of the displacement.
__global__ void compact_kernel(Rows rows, const float* __restrict__ x, float* __restrict__ out) {
  for (std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < rows.count;
       row += static_cast<std::int64_t>(gridDim.x) * blockDim.y)
    for (int z = threadIdx.x; z < rows.nz; z += kRowThreads) out[row * rows.nz + z] = x[row * rows.pitch + z];
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

/// z^ = M^-1 r^ in place on the modes (one (x, y) row of nzc modes per warp), and per block the
/// dot product r . z by Parseval: sum_k conj(r^_k) z^_k over the full spectrum, the half spectrum
/// counting twice except kz = 0 and kz = nz/2 (scale 1/N is already inside z^).
template <bool Full>
__global__ void spectral_kernel(SpectralArgs s, Cplx<float>* __restrict__ zc, double* partial) {
  const std::int64_t ccomp = s.g.component() / 2, rows = s.g.nx * s.g.ny;
  const int nzc = static_cast<int>(s.g.nzc);
  const bool even = (s.g.nz & 1) == 0;
  double dot[1] = {0.0};
  for (std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * blockDim.y + threadIdx.y; row < rows;
       row += static_cast<std::int64_t>(gridDim.x) * blockDim.y) {
    const std::int64_t x = row / s.g.ny, y = row - x * s.g.ny;  // once per row of nzc modes
    for (int k = threadIdx.x; k < nzc; k += kRowThreads) {
      const std::int64_t i = row * nzc + k;
      const Cplx<float> r[3] = {zc[i], zc[ccomp + i], zc[2 * ccomp + i]};
      Cplx<float> v[3] = {r[0], r[1], r[2]};
      if constexpr (Full)
        detail::precondition_full(s.C0, s.ih, s.mx[x], s.my[y], s.mz[k], s.scale, v);
      else if (s.isotropic)
        detail::precondition_reduced_isotropic(s.lambda0, s.mu0, s.ih, s.mx[x], s.my[y], s.mz[k], s.scale, v);
      else
        detail::precondition_reduced(s.C0, s.ih, s.mx[x], s.my[y], s.mz[k], s.scale, v);
      zc[i] = v[0];
      zc[ccomp + i] = v[1];
      zc[2 * ccomp + i] = v[2];
      const double w = (k == 0 || (even && k == nzc - 1)) ? 1.0 : 2.0;
      double d = 0;
      for (int c = 0; c < 3; ++c)
        d += static_cast<double>(r[c].re) * v[c].re + static_cast<double>(r[c].im) * v[c].im;
      dot[0] += w * d;
    }
  }
  block_reduce<1, kRowThreads * kRowsPerBlock>(dot, partial, blockIdx.x);
}

int row_blocks(std::int64_t rows) {
  return static_cast<int>(
      std::max<std::int64_t>(1, std::min<std::int64_t>(kMaxRowBlocks, (rows + kRowsPerBlock - 1) / kRowsPerBlock)));
}

/// Host-side sum of the per-block partials in block order.
void sum_partials(const DeviceBuffer<double>& partial, std::int64_t blocks, int K, double* out) {
  std::vector<double> host(static_cast<std::size_t>(blocks) * K);
  VOXTWIN_CUDA_CHECK(cudaMemcpy(host.data(), partial.get(), host.size() * sizeof(double), cudaMemcpyDeviceToHost));
  for (int k = 0; k < K; ++k) out[k] = 0;
  for (std::int64_t b = 0; b < blocks; ++b)
    for (int k = 0; k < K; ++k) out[k] += host[static_cast<std::size_t>(b) * K + k];
}

/// x-planes per march block: as long as possible while the grid still fills the GPU.
template <bool Full>
std::int64_t march_chunk(const PaddedGrid& g) {
  std::int64_t grid[3];
  detail::march_grid<Full>(g, g.nx, grid);
  const std::int64_t tiles = grid[0] * grid[1];
  const std::int64_t chunks = std::max<std::int64_t>(1, (kTargetMarchBlocks + tiles - 1) / tiles);
  const std::int64_t chunk = std::max<std::int64_t>(kMinChunk, (g.nx + chunks - 1) / chunks);
  return std::min<std::int64_t>(chunk, g.nx);
}

template <bool Full>
std::int64_t march_blocks(const PaddedGrid& g) {
  std::int64_t grid[3];
  detail::march_grid<Full>(g, march_chunk<Full>(g), grid);
  return grid[0] * grid[1] * grid[2];
}

/// Device bytes of the solver, everything but the cuFFT work area.
double device_bytes_without_fft(const PaddedGrid& g, int index_bytes, std::size_t materials, bool keep_solution,
                                bool full) {
  const double vectors = (keep_solution ? 4.0 : 3.0) * 3.0 * static_cast<double>(g.component()) * sizeof(float);
  const double partial_blocks =
      std::max<double>(static_cast<double>(full ? march_blocks<true>(g) : march_blocks<false>(g)), kMaxRowBlocks);
  return vectors + static_cast<double>(g.voxels()) * index_bytes + 7.0 * partial_blocks * sizeof(double) +
         static_cast<double>(materials) * sizeof(MaterialEntry<float>) +
         static_cast<double>(g.nx + g.ny + g.nzc) * sizeof(AxisMode<float>);
}

/// VOXTWIN_CUDA_MIN_MEMORY=1: keep x only where fields are asked (to measure the minimum footprint).
bool minimal_memory_requested() {
  const char* v = std::getenv("VOXTWIN_CUDA_MIN_MEMORY");
  return v != nullptr && v[0] != '\0' && std::string(v) != "0";
}

/// The vector operations of detail::mixed_pcg on the GPU (see the file comment for the memory).
template <class L, bool Full>
class CudaOps {
 public:
  CudaOps(const PaddedGrid& g, const VolumeView<const L>& index, const std::vector<MaterialEntry<float>>& entries,
          const Matrix6& C0, const ElasticityOptions& options, CufftR2C& fft, bool keep_solution)
      : g_(g),
        comp_(g.component()),
        rows_{3 * g.nx * g.ny, g.nzp, static_cast<int>(g.nz)},
        keep_(keep_solution),
        fft_(fft),
        x_(keep_solution ? 3 * comp_ : 0),
        r_(3 * comp_),
        p_(3 * comp_),
        q_(3 * comp_),
        labels_(static_cast<std::size_t>(g.voxels())),
        work_(std::max<std::size_t>(fft.work_bytes(), 1)),
        entries_(entries.size()),
        partial_(static_cast<std::size_t>(7 * std::max<std::int64_t>(march_blocks<Full>(g), kMaxRowBlocks))),
        axes_(static_cast<std::size_t>(g.nx + g.ny + g.nzc)),
        nb_rows_(row_blocks(rows_.count)),
        nb_modes_(row_blocks(g.nx * g.ny)) {
    fft_.set_work_area(work_.get());
    const std::int64_t n = g.voxels();
    if (index.data)  // a batch workspace uploads each cell's labels in reset()
      VOXTWIN_CUDA_CHECK(
          cudaMemcpy(labels_.get(), index.data, static_cast<std::size_t>(n) * sizeof(L), cudaMemcpyHostToDevice));
    VOXTWIN_CUDA_CHECK(cudaMemcpy(entries_.get(), entries.data(), entries.size() * sizeof(MaterialEntry<float>),
                                  cudaMemcpyHostToDevice));
    std::vector<AxisMode<float>> modes;
    for (std::int64_t i = 0; i < g.nx; ++i) modes.push_back(detail::axis_mode<float>(i, g.nx));
    for (std::int64_t i = 0; i < g.ny; ++i) modes.push_back(detail::axis_mode<float>(i, g.ny));
    for (std::int64_t i = 0; i < g.nzc; ++i) modes.push_back(detail::axis_mode<float>(i, g.nz));
    VOXTWIN_CUDA_CHECK(cudaMemcpy(axes_.get(), modes.data(), modes.size() * sizeof(AxisMode<float>), cudaMemcpyHostToDevice));
    for (DeviceBuffer<float>* b : {&x_, &r_, &p_, &q_})
      if (b->size()) VOXTWIN_CUDA_CHECK(cudaMemset(b->get(), 0, b->size() * sizeof(float)));

    args_.g = g;
    args_.labels = labels_.get();
    args_.entries = entries_.get();
    args_.chunk = march_chunk<Full>(g);
    detail::march_grid<Full>(g, args_.chunk, grid_);
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

  /// Starts over on another cell of the same grid (batched homogenization): uploads its labels,
  /// sets the reference medium C0 and zeroes the CG vectors; plans, work area and buffers stay.
  void reset(const L* labels_host, const Matrix6& C0) {
    VOXTWIN_CUDA_CHECK(cudaMemcpy(labels_.get(), labels_host, static_cast<std::size_t>(g_.voxels()) * sizeof(L),
                                  cudaMemcpyHostToDevice));
    for (DeviceBuffer<float>* b : {&x_, &r_, &p_, &q_})
      if (b->size()) VOXTWIN_CUDA_CHECK(cudaMemset(b->get(), 0, b->size() * sizeof(float)));
    for (int i = 0; i < 36; ++i) sp_.C0[i] = static_cast<float>(C0(i / 6, i % 6));
    double lambda = 0, mu = 0;
    sp_.isotropic = detail::isotropic_parameters(C0, lambda, mu);
    sp_.lambda0 = static_cast<float>(lambda);
    sp_.mu0 = static_cast<float>(mu);
    for (int i = 0; i < 6; ++i) recurrent_stress_[i] = last_p_stress_[i] = 0;
    last_p_stress_valid_ = false;
  }

  double apply(bool with_p, const double E[6], double dT, double* sigma_sum) {
    double sums[7];
    march(with_p ? p_.get() : nullptr, E, dT, sums);
    last_p_stress_valid_ = with_p;
    for (int i = 0; i < 6; ++i) {
      if (sigma_sum) sigma_sum[i] = sums[1 + i];
      if (with_p)
        last_p_stress_[i] = sums[1 + i];
      else
        recurrent_stress_[i] = sums[1 + i];  // the right-hand side: stress of x = 0 under E, dT
    }
    return sums[0];
  }
  void negate_into_residual() {
    negate_kernel<<<nb_rows_, dim3(kRowThreads, kRowsPerBlock)>>>(rows_, r_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  /// q <- M^-1 r (r intact); returns r . q.
  double precondition() {
    float* q = q_.get();
    for (int c = 0; c < 3; ++c) fft_.forward(r_.get() + c * comp_, q + c * comp_);
    spectral_kernel<Full><<<nb_modes_, dim3(kRowThreads, kRowsPerBlock)>>>(sp_, reinterpret_cast<Cplx<float>*>(q),
                                                                           partial_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    for (int c = 0; c < 3; ++c) fft_.inverse(q + c * comp_);
    double d = 0;
    sum_partials(partial_, nb_modes_, 1, &d);
    return d;
  }
  void copy_direction() {
    direction_kernel<true><<<nb_rows_, dim3(kRowThreads, kRowsPerBlock)>>>(rows_, 0.f, p_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  void update(double alpha) {
    const dim3 block(kRowThreads, kRowsPerBlock);
    const float a = static_cast<float>(alpha);
    if (keep_)
      update_kernel<true><<<nb_rows_, block>>>(rows_, a, x_.get(), r_.get(), p_.get(), q_.get());
    else
      update_kernel<false><<<nb_rows_, block>>>(rows_, a, nullptr, r_.get(), p_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    // The stress of x follows x: x += alpha p adds alpha times the stress sum of p's application.
    if (last_p_stress_valid_)
      for (int i = 0; i < 6; ++i) recurrent_stress_[i] += alpha * last_p_stress_[i];
  }
  void direction(double beta) {
    direction_kernel<false><<<nb_rows_, dim3(kRowThreads, kRowsPerBlock)>>>(rows_, static_cast<float>(beta), p_.get(),
                                                                            q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
  }
  /// Sum of element stresses for the solution: from x where it is kept, else from the recurrence.
  void stress_sum(const double E[6], double dT, double out[6]) {
    if (!keep_) {
      for (int i = 0; i < 6; ++i) out[i] = recurrent_stress_[i];
      return;
    }
    double sums[7];
    march(x_.get(), E, dT, sums);
    for (int i = 0; i < 6; ++i) out[i] = sums[1 + i];
  }
  /// Whether x is held, so that the true residual can be formed (detail::mixed_pcg asks).
  bool has_solution() const { return keep_; }
  /// r = b - A x from x itself (replacing the recursively updated r); sigma_sum of x.
  void true_residual(const double E[6], double dT, double sigma_sum[6]) {
    double sums[7];
    march(x_.get(), E, dT, sums);
    for (int i = 0; i < 6; ++i) sigma_sum[i] = recurrent_stress_[i] = sums[1 + i];
    last_p_stress_valid_ = false;
    negate_into_residual();
  }
  /// Downloads the solution x as a compact [c][x][y][z] host array (q is free by then).
  void copy_solution(float* out) {
    if (!keep_) throw std::logic_error("copy_solution without a kept solution");
    compact_kernel<<<nb_rows_, dim3(kRowThreads, kRowsPerBlock)>>>(rows_, x_.get(), q_.get());
    VOXTWIN_CUDA_CHECK_LAUNCH();
    VOXTWIN_CUDA_CHECK(cudaMemcpy(out, q_.get(), 3 * static_cast<std::size_t>(g_.voxels()) * sizeof(float),
                                  cudaMemcpyDeviceToHost));
  }

 private:
  /// q = A u (+ E, dT terms); sums = {u . q, stress sum[6]}.
  void march(const float* u, const double E[6], double dT, double sums[7]) {
    for (int i = 0; i < 6; ++i) args_.E[i] = static_cast<float>(E[i]);
    args_.dT = static_cast<float>(dT);
    const dim3 grid(static_cast<unsigned>(grid_[0]), static_cast<unsigned>(grid_[1]), static_cast<unsigned>(grid_[2]));
    march_kernel<Full, L><<<grid, MarchTile<Full>::threads>>>(args_, u, q_.get(), partial_.get(), true);
    VOXTWIN_CUDA_CHECK_LAUNCH();
    sum_partials(partial_, grid_[0] * grid_[1] * grid_[2], 7, sums);
  }

  PaddedGrid g_;
  std::int64_t comp_;
  Rows rows_;
  bool keep_;
  CufftR2C& fft_;
  DeviceBuffer<float> x_, r_, p_, q_;
  DeviceBuffer<L> labels_;
  DeviceBuffer<unsigned char> work_;
  DeviceBuffer<MaterialEntry<float>> entries_;
  DeviceBuffer<double> partial_;
  DeviceBuffer<AxisMode<float>> axes_;
  int nb_rows_, nb_modes_;
  std::int64_t grid_[3] = {1, 1, 1};
  MarchArgs<float, L> args_{};
  SpectralArgs sp_{};
  double recurrent_stress_[6] = {0, 0, 0, 0, 0, 0}, last_p_stress_[6] = {0, 0, 0, 0, 0, 0};
  bool last_p_stress_valid_ = false;
};

template <class L, bool Full>
ElasticityResult run_cg(const VolumeView<const L>& index, const MaterialTable& table, const MacroLoading& loading,
                        const ElasticityOptions& options, const std::vector<std::uint64_t>& counts, float* u_out) {
  const auto start = std::chrono::steady_clock::now();
  const PaddedGrid g = detail::padded_grid(index.shape.nx, index.shape.ny, index.shape.nz);
  const std::vector<MaterialEntry<float>> entries = detail::material_entries<float>(table);
  const Matrix6 C0 = detail::reference_stiffness(table, counts);
  // Plans first (no work area yet), then the memory plan with headroom, then the allocations.
  CufftR2C fft(g);
  const double minimum =
      device_bytes_without_fft(g, sizeof(L), entries.size(), false, Full) + static_cast<double>(fft.work_bytes());
  const double solution = 3.0 * static_cast<double>(g.component()) * sizeof(float);
  std::size_t free_bytes = 0, total_bytes = 0;
  VOXTWIN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  const detail::CgMemoryPlan plan = detail::plan_cg_memory(minimum, solution, static_cast<double>(free_bytes),
                                                           u_out != nullptr, minimal_memory_requested());
  detail::require_memory(detail::with_gpu_headroom(plan.bytes), static_cast<double>(free_bytes), "GPU");
  const double needed = plan.bytes;

  CudaOps<L, Full> ops(g, index, entries, C0, options, fft, plan.keep_solution);
  ElasticityResult result =
      detail::mixed_pcg(ops, detail::mixed_control(loading, C0), loading, options, static_cast<double>(g.voxels()));
  if (u_out) ops.copy_solution(u_out);
  VOXTWIN_CUDA_CHECK(cudaDeviceSynchronize());
  result.reference_C = C0;
  result.memory_bytes = needed;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

/// One device workspace (plans, CG vectors, labels) for many cells of one grid, solved in turn.
template <bool Full>
class CudaCellWorkspace final : public CellWorkspace {
 public:
  // Small cells: x is kept so that every cell's convergence is confirmed with the true residual.
  CudaCellWorkspace(const Shape3& shape, const MaterialTable& table, const ElasticityOptions& options)
      : g_(detail::padded_grid(shape.nx, shape.ny, shape.nz)),
        entries_(detail::material_entries<float>(table)),
        options_(options),
        fft_(g_),
        needed_(check_memory()),
        ops_(g_, VolumeView<const std::uint8_t>{nullptr, shape}, entries_, table.C.empty() ? Matrix6::Identity() : table.C[0],
             options, fft_, /*keep_solution=*/true) {}

  ElasticityResult solve(const std::uint8_t* labels, const Matrix6& C0, const MacroLoading& loading) override {
    ops_.reset(labels, C0);
    ElasticityResult r =
        detail::mixed_pcg(ops_, detail::mixed_control(loading, C0), loading, options_, static_cast<double>(g_.voxels()));
    VOXTWIN_CUDA_CHECK(cudaDeviceSynchronize());
    r.reference_C = C0;
    r.memory_bytes = needed_;
    return r;
  }
  double memory_bytes() const override { return needed_; }

 private:
  double check_memory() {
    const double needed = device_bytes_without_fft(g_, 1, entries_.size(), true, Full) + static_cast<double>(fft_.work_bytes());
    std::size_t free_bytes = 0, total_bytes = 0;
    VOXTWIN_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
    detail::require_memory(detail::with_gpu_headroom(needed), static_cast<double>(free_bytes), "GPU");
    return needed;
  }

  PaddedGrid g_;
  std::vector<MaterialEntry<float>> entries_;
  ElasticityOptions options_;
  CufftR2C fft_;
  double needed_;
  CudaOps<std::uint8_t, Full> ops_;
};

}  // namespace

std::unique_ptr<CellWorkspace> make_cell_workspace(const Shape3& shape, const MaterialTable& table,
                                                   const ElasticityOptions& options) {
  if (options.scheme == ElasticityScheme::HexFull) return std::make_unique<CudaCellWorkspace<true>>(shape, table, options);
  return std::make_unique<CudaCellWorkspace<false>>(shape, table, options);
}

double cg_device_bytes(const Shape3& shape, int index_bytes, bool full_integration, bool with_fields,
                       bool with_fft_work) {
  const PaddedGrid g = detail::padded_grid(shape.nx, shape.ny, shape.nz);
  // One material entry assumed: the tables are tiny next to the fields.
  return device_bytes_without_fft(g, index_bytes, 1, with_fields, full_integration) +
         (with_fft_work ? static_cast<double>(cufft_work_bytes(g)) : 0.0);
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
