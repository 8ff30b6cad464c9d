#include <algorithm>

#include "check.cuh"
#include "fft_r2c.cuh"

namespace voxtwin::cuda_detail {

namespace {

struct Layout {
  long long n[3], real_embed[3], cplx_embed[3];
};

Layout layout(const detail::PaddedGrid& g) {
  return {{g.nx, g.ny, g.nz}, {g.nx, g.ny, g.nzp}, {g.nx, g.ny, g.nzc}};
}

}  // namespace

CufftR2C::CufftR2C(const detail::PaddedGrid& g) {
  Layout l = layout(g);
  std::size_t wf = 0, wi = 0;
  VOXTWIN_CUDA_CHECK(cufftCreate(&forward_));
  have_forward_ = true;
  VOXTWIN_CUDA_CHECK(cufftSetAutoAllocation(forward_, 0));
  VOXTWIN_CUDA_CHECK(cufftMakePlanMany64(forward_, 3, l.n, l.real_embed, 1, g.nx * g.ny * g.nzp, l.cplx_embed, 1,
                                         g.nx * g.ny * g.nzc, CUFFT_R2C, 1, &wf));
  VOXTWIN_CUDA_CHECK(cufftCreate(&inverse_));
  have_inverse_ = true;
  VOXTWIN_CUDA_CHECK(cufftSetAutoAllocation(inverse_, 0));
  VOXTWIN_CUDA_CHECK(cufftMakePlanMany64(inverse_, 3, l.n, l.cplx_embed, 1, g.nx * g.ny * g.nzc, l.real_embed, 1,
                                         g.nx * g.ny * g.nzp, CUFFT_C2R, 1, &wi));
  work_bytes_ = std::max(wf, wi);
}

CufftR2C::~CufftR2C() {
  if (have_forward_) cufftDestroy(forward_);
  if (have_inverse_) cufftDestroy(inverse_);
}

void CufftR2C::set_work_area(void* work) {
  VOXTWIN_CUDA_CHECK(cufftSetWorkArea(forward_, work));
  VOXTWIN_CUDA_CHECK(cufftSetWorkArea(inverse_, work));
}

void CufftR2C::forward(float* comp) const {
  VOXTWIN_CUDA_CHECK(cufftExecR2C(forward_, comp, reinterpret_cast<cufftComplex*>(comp)));
}

void CufftR2C::inverse(float* comp) const {
  VOXTWIN_CUDA_CHECK(cufftExecC2R(inverse_, reinterpret_cast<cufftComplex*>(comp), comp));
}

std::size_t cufft_work_estimate(const detail::PaddedGrid& g) {
  // cufftEstimateMany takes int dimensions; the plans themselves use the 64-bit interface.
  int n[3] = {static_cast<int>(g.nx), static_cast<int>(g.ny), static_cast<int>(g.nz)};
  int re[3] = {static_cast<int>(g.nx), static_cast<int>(g.ny), static_cast<int>(g.nzp)};
  int ce[3] = {static_cast<int>(g.nx), static_cast<int>(g.ny), static_cast<int>(g.nzc)};
  std::size_t wf = 0, wi = 0;
  if (cufftEstimateMany(3, n, re, 1, 0, ce, 1, 0, CUFFT_R2C, 1, &wf) != CUFFT_SUCCESS) wf = 0;
  if (cufftEstimateMany(3, n, ce, 1, 0, re, 1, 0, CUFFT_C2R, 1, &wi) != CUFFT_SUCCESS) wi = 0;
  return std::max(wf, wi);
}

}  // namespace voxtwin::cuda_detail
