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
#include <omp.h>

#include <cstdint>
#include <cstring>
#include <mutex>
#include <vector>

#include "aligned_buffer.hpp"
#include "voxtwin/detail/hex_element.hpp"
#include "voxtwin/detail/reference_medium.hpp"

namespace voxtwin::detail {

/// The lock under which every FFTW plan of the library is made or destroyed (the planner is not
/// thread-safe); call planner_thread_safety() once before planning.
std::mutex& planner_mutex();
void planner_thread_safety();

template <class T>
class SlabFft {
 public:
  /// Plans for `ncomp` components of the grid `g`, run by `threads` threads; `buffer` is any padded
  /// component array of that grid (not touched).
  SlabFft(const PaddedGrid& g, int ncomp, int threads, T* buffer);
  ~SlabFft();
  SlabFft(const SlabFft&) = delete;
  SlabFft& operator=(const SlabFft&) = delete;

  /// In place on the `ncomp` padded components of `field` (unnormalized): forward transforms;
  /// spectral(block, y) on each row y, with block the complex modes [component][x][kz] of that row;
  /// inverse transforms; then epilogue(x) for each x-slab once it is back in real space.
  template <class Spectral, class Epilogue>
  void transform(T* field, Spectral&& spectral, Epilogue&& epilogue) {
    const std::int64_t comp = g_.component(), row = row_size();
#pragma omp parallel num_threads(threads_)
    {
      T* block = rows_[omp_get_thread_num()].get();
#pragma omp for schedule(static)
      for (std::int64_t x = 0; x < g_.nx; ++x)
        for (int c = 0; c < ncomp_; ++c) forward_yz(field + c * comp, x);
#pragma omp for schedule(static)
      for (std::int64_t y = 0; y < g_.ny; ++y) {
        for (int c = 0; c < ncomp_; ++c) {
          gather_row(field + c * comp, y, block + c * row);
          forward_x(block + c * row);
        }
        spectral(reinterpret_cast<Cplx<T>*>(block), y);
        for (int c = 0; c < ncomp_; ++c) {
          inverse_x(block + c * row);
          scatter_row(block + c * row, field + c * comp, y);
        }
      }
#pragma omp for schedule(static)
      for (std::int64_t x = 0; x < g_.nx; ++x) {
        for (int c = 0; c < ncomp_; ++c) inverse_yz(field + c * comp, x);
        epilogue(x);
      }
    }
  }

 private:
  std::int64_t row_size() const { return 2 * g_.nx * g_.nzc; }  // reals per component of a row block
  void forward_yz(T* comp, std::int64_t x) const;
  void inverse_yz(T* comp, std::int64_t x) const;
  void gather_row(const T* comp, std::int64_t y, T* block) const;
  void scatter_row(const T* block, T* comp, std::int64_t y) const;
  void forward_x(T* block) const;
  void inverse_x(T* block) const;

  PaddedGrid g_;
  int ncomp_, threads_;
  std::vector<AlignedBuffer<T>> rows_;  // per-thread row blocks of ncomp components
  void* yz_forward_ = nullptr;
  void* yz_inverse_ = nullptr;
  void* x_forward_ = nullptr;
  void* x_inverse_ = nullptr;
};

extern template class SlabFft<float>;
extern template class SlabFft<double>;

}  // namespace voxtwin::detail
