#pragma once
// The CPU elasticity solver across MPI processes (libvoxtwin_mpi, built with VOXTWIN_MPI): a slab
// decomposition along x over the ranks of MPI_COMM_WORLD, FFTW-MPI transforms for the
// preconditioner, the serial operator (detail::HexOperator) on each slab between two ghost planes.
//
// Layout: rank r owns the x-planes [x0, x0 + count) of the volume (FFTW-MPI's local_n0 block
// distribution, transposed output). It is given the index planes x0 - 1 .. x0 + count - 1 (the
// first one periodic: plane nx - 1 on rank 0), never the whole volume, and writes the fields of its
// own planes only. The one ghost plane of the displacement on each side is exchanged with the
// neighbours before every operator application.
//
// Determinism: every reduction (dot products, stress sums) gathers the per-plane partial sums of
// all ranks and adds them in global plane order, so all ranks agree bit for bit and the result does
// not depend on timing. It equals the serial solver's to rounding (FFTW-MPI transforms differ
// from the serial ones in their order of operations), whatever the number of ranks.
//
// Errors are collective: a rank whose slab does not fit, or whose index holds a bad value, throws
// its own error and every other rank throws the same kind of error naming that rank, so all stop.
#include <cstdint>

#include "voxtwin/elasticity.hpp"

namespace voxtwin::mpi {

/// This rank's part of a volume: planes [x0, x0 + count) of nx, and the per-component work length
/// (reals) of its padded fields, ghost planes and FFTW-MPI's transposition space included.
struct Slab {
  int rank = 0, ranks = 1;
  std::int64_t x0 = 0, count = 0;
  std::int64_t planes = 0;  ///< padded x-planes of every work field: ghost, owned, ghost, FFT space
};

/// Initializes MPI (when the caller has not) and FFTW-MPI; idempotent.
void initialize();

/// This rank's slab of a volume of `shape` (collective: every rank calls it with the same shape).
/// Throws std::invalid_argument on every rank when some rank would own no plane.
Slab decompose(const Shape3& shape);

/// Bytes this rank needs: work arrays of its slab, its index planes and `field_reals_per_voxel`
/// output numbers per owned voxel.
double slab_memory_bytes(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int index_bytes,
                         double field_reals_per_voxel);

/// Memory available to this rank: the node's available memory shared by the ranks on the node,
/// capped by the environment variable VOXTWIN_MEMORY_LIMIT (bytes per rank) when set.
double rank_available_memory();

/// Collective memory check before anything is allocated: throws voxtwin::InsufficientMemory on
/// every rank when any rank would not fit (its own message on that rank, naming it on the others).
void require_slab_memory(const Shape3& shape, ElasticityScheme scheme, int real_bytes, int index_bytes,
                         double field_reals_per_voxel);

/// Solves the cell problem of the whole volume `shape` with this rank's index planes `index`
/// ((count + 1) x ny x nz: plane x0 - 1 (periodic) then the owned planes). Collective; every rank
/// returns the same result (mean strain and stress of the whole volume). Fields, when asked for,
/// are this rank's planes: [c][count][ny][nz]. Schemes hex8r and hex8.
template <class T, class L>
ElasticityResult solve_elasticity(const Shape3& shape, const L* index, const MaterialTable& table,
                                  const MacroLoading& loading, const ElasticityOptions& options,
                                  const ElasticityFields<T>& fields = {});

}  // namespace voxtwin::mpi
