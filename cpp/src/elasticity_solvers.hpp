#pragma once
// The CPU schemes behind voxtwin::solve_elasticity (cpp/src/elasticity.cpp dispatches to them).
#include <cstdint>
#include <vector>

#include "voxtwin/elasticity.hpp"

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

}  // namespace voxtwin::detail
