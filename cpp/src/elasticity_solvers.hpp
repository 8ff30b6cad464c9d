#pragma once
// The CPU schemes behind voxtwin::solve_elasticity (cpp/src/elasticity.cpp dispatches to them).
#include <omp.h>

#include <cstdint>
#include <vector>

#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/elasticity.hpp"

/// Expands X(T, L) for every precision and index type the solvers are built for.
#define VOXTWIN_ELASTICITY_TYPES(X) \
  X(float, std::uint8_t)            \
  X(float, std::uint16_t)           \
  X(double, std::uint8_t)           \
  X(double, std::uint16_t)

namespace voxtwin::detail {

/// Preconditioned CG on trilinear hexahedra (reduced or full integration). Writes the displacement
/// fluctuation (3N, µm, compact [c][x][y][z]) to `u` when it is not null.
template <class T, class L>
ElasticityResult hex_cg_solve(const VolumeView<const L>& index, const MaterialTable& table, const MacroLoading& loading,
                              const ElasticityOptions& options, const std::vector<std::uint64_t>& counts, T* u);

/// Moulinec-Suquet basic scheme. Writes the strain field (6N, compact) to `strain` when not null.
template <class T, class L>
ElasticityResult basic_scheme_solve(const VolumeView<const L>& index, const MaterialTable& table,
                                    const MacroLoading& loading, const ElasticityOptions& options,
                                    const std::vector<std::uint64_t>& counts, T* strain);

/// Local fields (see voxtwin::elasticity_fields) of the planes [x_begin, x_end) of grid `g`, whose
/// plane x is plane x - x_begin + x_offset of the whole volume: `labels` [x][y][z] and `u` (padded
/// or compact, as `g` says) indexed by grid plane, plane x_end of `u` present (a ghost plane or,
/// with x_end = g.nx, the periodic wrap); outputs compact [c][x - x_begin][y][z].
template <class T, class L>
void slab_fields(const L* labels, const PaddedGrid& g, std::int64_t x_begin, std::int64_t x_end, std::int64_t x_offset,
                 const MaterialTable& table, const T* u, const Vector6& mean_strain, double delta_T,
                 const ElasticityOptions& options, const ElasticityFields<T>& fields, int threads);

/// Work-array bytes of the two schemes.
double hex_cg_memory_bytes(const Shape3& shape, bool full_integration, int real_bytes, int threads);
double basic_scheme_memory_bytes(const Shape3& shape, int real_bytes, int threads);

/// Copies `ncomp` padded components of the planes [x_begin, x_end) (default: all) to a compact
/// [c][x - x_begin][y][z] array.
template <class T>
void padded_to_compact(const T* padded, int ncomp, const PaddedGrid& g, int threads, T* out, std::int64_t x_begin = 0,
                       std::int64_t x_end = -1) {
  if (x_end < 0) x_end = g.nx;
  const std::int64_t nyz = g.ny * g.nz, nvox = (x_end - x_begin) * nyz, comp = g.component();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t x = x_begin; x < x_end; ++x)
    for (int c = 0; c < ncomp; ++c)
      for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t z = 0; z < g.nz; ++z)
          out[c * nvox + (x - x_begin) * nyz + y * g.nz + z] = padded[c * comp + g.at(x, y, z)];
}

}  // namespace voxtwin::detail
