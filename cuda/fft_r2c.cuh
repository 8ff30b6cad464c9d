#pragma once
// CUDA twin of cpp/src/fft_r2c.hpp: in-place 3D R2C / C2R cuFFT transforms (float32) of one field
// component in the padded layout [x][y][z + pad] (detail::PaddedGrid). The plans are made without
// a work area so that its size is known before anything large is allocated; the caller passes
// one work area shared by both plans (they never run at the same time).
#include <cufft.h>

#include <cstddef>

#include "voxtwin/detail/hex_element.hpp"

namespace voxtwin::cuda_detail {

class CufftR2C {
 public:
  explicit CufftR2C(const detail::PaddedGrid& g);
  ~CufftR2C();
  CufftR2C(const CufftR2C&) = delete;
  CufftR2C& operator=(const CufftR2C&) = delete;

  /// Bytes of work area the plans need.
  std::size_t work_bytes() const { return work_bytes_; }
  void set_work_area(void* work);
  /// Forward R2C and inverse C2R (unnormalized) of the component at `comp`, in place.
  void forward(float* comp) const;
  void inverse(float* comp) const;

 private:
  cufftHandle forward_ = 0, inverse_ = 0;
  bool have_forward_ = false, have_inverse_ = false;
  std::size_t work_bytes_ = 0;
};

/// Work-area bytes cuFFT estimates for the grid's plans (no device allocation).
std::size_t cufft_work_estimate(const detail::PaddedGrid& g);

}  // namespace voxtwin::cuda_detail
