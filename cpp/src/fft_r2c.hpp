#pragma once
// In-place 3D real-to-complex FFTs (FFTW3, float or double) of one field component in the padded
// layout [x][y][z + pad] (detail::PaddedGrid), split into pieces that OpenMP threads run:
//  - a 2D R2C/C2R transform over (y, z) of one x-slab,
//  - a 1D complex transform along x of the columns of one y-row (all kz at that y), done on a
//    contiguous copy [x][kz] of the row (gather_row / scatter_row): the columns of the field itself
//    are ny * (nz/2 + 1) complex numbers apart, which large grids pay for in cache and TLB misses.
// Each piece is a single-threaded FFTW plan executed with the new-array interface, so the
// arithmetic of the whole transform is the same for any thread count (byte-identical results).
// Plans are made with FFTW_ESTIMATE (no timing, reproducible) under a process-wide lock.
#include <fftw3.h>

#include <cstdint>
#include <cstring>

#include "voxtwin/detail/hex_element.hpp"

namespace voxtwin::detail {

template <class T>
class SlabFft {
 public:
  /// Plans for the grid `g`; `buffer` is any padded component array of that grid and `row` any
  /// row block of nx * nzc complex numbers (neither is touched).
  SlabFft(const PaddedGrid& g, T* buffer, T* row);
  ~SlabFft();
  SlabFft(const SlabFft&) = delete;
  SlabFft& operator=(const SlabFft&) = delete;

  /// Forward R2C over (y, z) of slab x of the component starting at `comp`.
  void forward_yz(T* comp, std::int64_t x) const;
  /// Inverse C2R over (y, z) of slab x (unnormalized).
  void inverse_yz(T* comp, std::int64_t x) const;
  /// Copies row y of a transformed component (complex [x][y][kz]) to a contiguous block [x][kz], and back.
  void gather_row(const T* comp, std::int64_t y, T* block) const;
  void scatter_row(const T* block, T* comp, std::int64_t y) const;
  /// Forward / inverse complex transform along x of a row block [x][kz] (unnormalized).
  void forward_x(T* block) const;
  void inverse_x(T* block) const;
  /// Reals in a row block.
  std::int64_t row_size() const { return 2 * g_.nx * g_.nzc; }

 private:
  PaddedGrid g_;
  void* yz_forward_ = nullptr;
  void* yz_inverse_ = nullptr;
  void* x_forward_ = nullptr;
  void* x_inverse_ = nullptr;
};

extern template class SlabFft<float>;
extern template class SlabFft<double>;

}  // namespace voxtwin::detail
