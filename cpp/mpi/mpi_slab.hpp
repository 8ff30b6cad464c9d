#pragma once
// What the distributed solver needs of MPI beyond the transforms: the slab each rank owns, the ghost
// planes exchanged with the neighbours, reductions in global plane order, and collective errors.
#include <mpi.h>

#include <cstdint>
#include <exception>
#include <functional>
#include <string>
#include <vector>

#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/elasticity_mpi.hpp"

namespace voxtwin::mpi {

/// MPI type of a real.
template <class T>
MPI_Datatype mpi_real() {
  return sizeof(T) == 4 ? MPI_FLOAT : MPI_DOUBLE;
}

/// The spectral part of a slab: FFTW-MPI's transposed output holds the y wave numbers
/// [ky0, ky0 + nky) of every x wave number.
struct Spectrum {
  std::int64_t ky0 = 0, nky = 0;
};
Spectrum spectrum_of(const Shape3& shape);

/// Runs fn() on every rank; when it throws on any rank, every rank throws: the failing ranks their
/// own exception, the others the same kind with the first failing rank's message (so none waits
/// for a rank that has stopped).
void collective(const std::function<void()>& fn);

/// Sums per-plane partial values of every rank in global plane order: per_plane holds this rank's
/// `count` planes x `width`, total the `width` sums (the same on every rank).
class PlaneReducer {
 public:
  explicit PlaneReducer(std::int64_t count);
  void operator()(const double* per_plane, int width, double* total) const;

 private:
  std::vector<int> counts_;  // planes per rank
  mutable std::vector<double> all_;
  mutable std::vector<int> sizes_, offsets_;
};

/// Fills the ghost planes 0 and count + 1 of the 3 padded components of a slab field from the
/// neighbouring ranks (periodic: rank 0's left neighbour is the last rank).
template <class T>
void exchange_ghosts(T* field, const detail::PaddedGrid& g, std::int64_t count) {
  int rank = 0, ranks = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks);
  const int left = (rank + ranks - 1) % ranks, right = (rank + 1) % ranks;
  const std::int64_t plane = g.plane(), comp = g.component();
  const int n = static_cast<int>(plane);
  for (int c = 0; c < 3; ++c) {
    T* f = field + c * comp;
    MPI_Sendrecv(f + count * plane, n, mpi_real<T>(), right, 2 * c, f, n, mpi_real<T>(), left, 2 * c, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    MPI_Sendrecv(f + plane, n, mpi_real<T>(), left, 2 * c + 1, f + (count + 1) * plane, n, mpi_real<T>(), right,
                 2 * c + 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  }
}

}  // namespace voxtwin::mpi
