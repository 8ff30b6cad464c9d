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

/// Work-array bytes of the two schemes.
double hex_cg_memory_bytes(const Shape3& shape, bool full_integration, int real_bytes, int threads);
double basic_scheme_memory_bytes(const Shape3& shape, int real_bytes, int threads);

/// Copies `ncomp` padded components to a compact [c][x][y][z] array.
template <class T>
void padded_to_compact(const T* padded, int ncomp, const PaddedGrid& g, int threads, T* out) {
  const std::int64_t nyz = g.ny * g.nz, nvox = g.voxels(), comp = g.component();
#pragma omp parallel for num_threads(threads) schedule(static)
  for (std::int64_t x = 0; x < g.nx; ++x)
    for (int c = 0; c < ncomp; ++c)
      for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t z = 0; z < g.nz; ++z) out[c * nvox + x * nyz + y * g.nz + z] = padded[c * comp + g.at(x, y, z)];
}

}  // namespace voxtwin::detail
