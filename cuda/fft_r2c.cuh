#pragma once
// CUDA twin of cpp/src/fft_r2c.hpp: 3D R2C / C2R cuFFT transforms (float32) of one field component
// in the padded layout [x][y][z + pad] (detail::PaddedGrid). The forward transform is out of place
// (the residual r stays intact while its transform lands in another buffer: no copy of r), the
// inverse in place. The plans are made without a work area so that its size is known before
// anything large is allocated; the caller passes one work area shared by both plans.
#include <cufft.h>

#include <cstddef>

#include "voxtwin/detail/hex_element.hpp"

namespace voxtwin::cuda_detail {

/// Owns one cuFFT handle (destroyed on scope exit, also when a later plan throws).
class CufftPlan {
 public:
  CufftPlan();
  ~CufftPlan();
  CufftPlan(const CufftPlan&) = delete;
  CufftPlan& operator=(const CufftPlan&) = delete;
  cufftHandle get() const { return handle_; }

 private:
  cufftHandle handle_ = 0;
};

class CufftR2C {
 public:
  explicit CufftR2C(const detail::PaddedGrid& g);

  /// Bytes of work area the plans need.
  std::size_t work_bytes() const { return work_bytes_; }
  void set_work_area(void* work);
  /// Forward R2C of the real component at `in` into the complex component at `out` (another
  /// buffer; `in` is preserved), and inverse C2R (unnormalized) of `comp` in place.
  void forward(const float* in, float* out) const;
  void inverse(float* comp) const;

 private:
  CufftPlan forward_, inverse_;
  std::size_t work_bytes_ = 0;
};

/// Work-area bytes of the grid's two plans, from cufftGetSizeMany64 (no device allocation);
/// throws voxtwin::CudaError when cuFFT cannot say.
std::size_t cufft_work_bytes(const detail::PaddedGrid& g);

}  // namespace voxtwin::cuda_detail
