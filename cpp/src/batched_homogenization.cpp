// Batched homogenization of small cells on the CPU (see voxtwin/batched_homogenization.hpp): cells
// side by side over the threads, one single-threaded hexahedral CG workspace per thread (FFT plans,
// CG vectors, plane buffers) reused for every cell that thread solves.
#include "voxtwin/batched_homogenization.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <string>

#include "elasticity_solvers.hpp"
#include "hex_cg_ops.hpp"
#include "reference_preconditioner.hpp"
#include "voxtwin/detail/elasticity_setup.hpp"
#include "voxtwin/detail/mixed_pcg.hpp"
#include "voxtwin/parallel.hpp"

namespace voxtwin {

bool cubic_invariant(const VolumeView<const std::uint8_t>& cell) {
  const Shape3& s = cell.shape;
  if (s.nx != s.ny || s.ny != s.nz) return false;
  const std::int64_t n = s.nx;
  for (std::int64_t x = 0; x < n; ++x)
    for (std::int64_t y = 0; y < n; ++y)
      for (std::int64_t z = 0; z < n; ++z) {
        const std::uint8_t v = cell(x, y, z);
        if (v != cell(n - 1 - x, y, z) || v != cell(y, x, z) || v != cell(x, z, y)) return false;
      }
  return true;
}

Matrix6 cubic_projection(const Matrix6& C) {
  const double c11 = (C(0, 0) + C(1, 1) + C(2, 2)) / 3.0;
  const double c12 = (C(0, 1) + C(0, 2) + C(1, 2) + C(1, 0) + C(2, 0) + C(2, 1)) / 6.0;
  const double c44 = (C(3, 3) + C(4, 4) + C(5, 5)) / 3.0;
  Matrix6 P = Matrix6::Zero();
  for (int i = 0; i < 3; ++i) {
    P(i, i) = c11;
    P(i + 3, i + 3) = c44;
    for (int j = 0; j < 3; ++j)
      if (i != j) P(i, j) = c12;
  }
  return P;
}

double batch_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int threads) {
  require_valid_shape(shape, "shape");
  if (scheme == ElasticityScheme::MoulinecSuquet)
    throw std::invalid_argument("`scheme` must be 'hex8r' or 'hex8' for batched cells, got scheme='basic'");
  return threads * detail::hex_cg_memory_bytes(shape, scheme == ElasticityScheme::HexFull, real_bytes, 1);
}

namespace detail {

BatchResult empty_batch_result(std::int64_t count) {
  BatchResult result;
  const std::size_t n = static_cast<std::size_t>(count);
  result.C.assign(n, Matrix6::Zero());
  result.iterations.assign(n, 0);
  result.converged.assign(n, 0);
  result.invariant.assign(n, 0);
  result.anisotropy.assign(n, 0.0);
  return result;
}

std::vector<int> batch_load_cases(bool cubic_shortcut) {
  if (cubic_shortcut) return {0, 3};
  return {0, 1, 2, 3, 4, 5};
}

std::vector<std::vector<std::uint64_t>> check_batch(const std::uint8_t* cells, std::int64_t count, const Shape3& shape,
                                                    const MaterialTable& table, const BatchOptions& options) {
  require_valid_shape(shape, "shape");
  if (count < 0) throw std::invalid_argument("`count` must be >= 0, got count=" + std::to_string(count));
  if (count > 0 && !cells) throw std::invalid_argument("`cells` must not be null");
  if (options.scheme == ElasticityScheme::MoulinecSuquet)
    throw std::invalid_argument("`scheme` must be 'hex8r' or 'hex8' for batched cells, got scheme='basic'");
  if (options.symmetry == CellSymmetry::Cubic && (shape.nx != shape.ny || shape.ny != shape.nz))
    throw std::invalid_argument("`symmetry` 'cubic' needs cube-shaped cells, got shape (" + std::to_string(shape.nx) +
                                ", " + std::to_string(shape.ny) + ", " + std::to_string(shape.nz) + ")");
  check_elasticity_arguments(shape, table, MacroLoading{}, options);
  std::vector<std::vector<std::uint64_t>> counts(static_cast<std::size_t>(count));
  for (std::int64_t c = 0; c < count; ++c) {
    const VolumeView<const std::uint8_t> view{cells + c * shape.size(), shape};
    try {
      counts[c] = index_counts(view, table.size());
      reference_stiffness(table, counts[c]);  // throws for an all-void cell
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("cell " + std::to_string(c) + " of `cells`: " + e.what());
    }
  }
  return counts;
}

void finish_cell(const std::vector<int>& cases, const std::vector<Vector6>& stresses, bool cubic, bool shortcut,
                 std::int64_t cell, BatchResult& result) {
  Matrix6 C = Matrix6::Zero();
  if (shortcut) {
    // Uniaxial xx: sigma = (C11, C12, C12, 0, 0, 0); shear yz (engineering gamma = 1): sigma_yz = C44.
    const Vector6& sx = stresses[0];
    const Vector6& sy = stresses[1];
    const double c11 = sx[0], c12 = 0.5 * (sx[1] + sx[2]), c44 = sy[3];
    for (int i = 0; i < 3; ++i) {
      C(i, i) = c11;
      C(i + 3, i + 3) = c44;
      for (int j = 0; j < 3; ++j)
        if (i != j) C(i, j) = c12;
    }
    result.anisotropy[cell] = 0.0;
  } else {
    for (std::size_t k = 0; k < cases.size(); ++k) C.col(cases[k]) = stresses[k];
    C = 0.5 * (C + C.transpose()).eval();
    if (cubic) {
      const Matrix6 P = cubic_projection(C);
      const double norm = C.norm();
      result.anisotropy[cell] = norm > 0 ? (C - P).norm() / norm : 0.0;
      C = P;
    }
  }
  result.C[cell] = C;
}

namespace {

template <class T, bool Full>
void solve_batch(const std::uint8_t* cells, std::int64_t count, const Shape3& shape, const MaterialTable& table,
                 const BatchOptions& options, const std::vector<std::vector<std::uint64_t>>& counts,
                 BatchResult& result) {
  const PaddedGrid g = padded_grid(shape.nx, shape.ny, shape.nz);
  const std::vector<MaterialEntry<T>> entries = material_entries<T>(table);
  const ElasticityOptions& eo = options;
  T ih[3];
  for (int i = 0; i < 3; ++i) ih[i] = static_cast<T>(1.0 / options.voxel_size[i]);
  const bool cubic = options.symmetry == CellSymmetry::Cubic;
  const int threads = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(get_num_threads(), count)));
  std::exception_ptr failure;
  bool stop = false;
  using Ops = CpuOps<T, std::uint8_t, Full, ReferencePreconditioner<T, Full>>;
#pragma omp parallel num_threads(threads)
  {
    std::unique_ptr<Ops> ops;  // this thread's workspace, made at its first cell
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t c = 0; c < count; ++c) {
      // No exception may leave the loop body (OpenMP): the first is kept and rethrown after the loop.
      bool failed = false;
#pragma omp atomic read
      failed = stop;
      if (failed) continue;
      try {
        const std::uint8_t* labels = cells + c * shape.size();
        const Matrix6 C0 = reference_stiffness(table, counts[c]);
        if (!ops)
          ops = std::make_unique<Ops>(g, all_planes(g), labels, entries.data(), C0, ih, 1, typename Ops::Halo{});
        else
          ops->preconditioner().set_reference(C0);
        const bool shortcut = cubic && cubic_invariant(VolumeView<const std::uint8_t>{labels, shape});
        const std::vector<int> cases = batch_load_cases(shortcut);
        std::vector<Vector6> stresses;
        int iterations = 0;
        bool converged = true;
        for (int k : cases) {
          MacroLoading loading;
          loading.strain[k] = 1.0;
          ops->reset(labels);
          const ElasticityResult r =
              mixed_pcg(*ops, mixed_control(loading, C0), loading, eo, static_cast<double>(g.voxels()));
          stresses.push_back(r.mean_stress);
          iterations += r.iterations;
          converged = converged && r.converged;
        }
        result.iterations[c] = iterations;
        result.converged[c] = converged ? 1 : 0;
        result.invariant[c] = shortcut ? 1 : 0;
        finish_cell(cases, stresses, cubic, shortcut, c, result);
      } catch (...) {
#pragma omp critical(voxtwin_batch_failure)
        {
          if (!failure) failure = std::current_exception();
#pragma omp atomic write
          stop = true;
        }
      }
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace
}  // namespace detail

template <class T>
BatchResult homogenize_cells(const std::uint8_t* cells, std::int64_t count, const Shape3& shape,
                             const MaterialTable& table, const BatchOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const auto counts = detail::check_batch(cells, count, shape, table, options);
  const int threads = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(get_num_threads(), count)));
  const double needed = batch_memory_bytes(shape, options.scheme, sizeof(T), threads);
  detail::require_memory(needed, detail::available_host_memory(), "host");
  BatchResult result = detail::empty_batch_result(count);
  if (options.scheme == ElasticityScheme::HexFull)
    detail::solve_batch<T, true>(cells, count, shape, table, options, counts, result);
  else
    detail::solve_batch<T, false>(cells, count, shape, table, options, counts, result);
  result.memory_bytes = needed;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

template BatchResult homogenize_cells<float>(const std::uint8_t*, std::int64_t, const Shape3&, const MaterialTable&,
                                             const BatchOptions&);
template BatchResult homogenize_cells<double>(const std::uint8_t*, std::int64_t, const Shape3&, const MaterialTable&,
                                              const BatchOptions&);

}  // namespace voxtwin
