#include <algorithm>

#include "check.cuh"
#include "fft_r2c.cuh"

namespace voxtwin::cuda_detail {

namespace {

struct Layout {
  long long n[3], real_embed[3], cplx_embed[3], real_dist, cplx_dist;
};

Layout layout(const detail::PaddedGrid& g) {
  return {{g.nx, g.ny, g.nz}, {g.nx, g.ny, g.nzp}, {g.nx, g.ny, g.nzc}, g.nx * g.ny * g.nzp, g.nx * g.ny * g.nzc};
}

}  // namespace

CufftPlan::CufftPlan() { VOXTWIN_CUDA_CHECK(cufftCreate(&handle_)); }

CufftPlan::~CufftPlan() { cufftDestroy(handle_); }

CufftR2C::CufftR2C(const detail::PaddedGrid& g) {
  Layout l = layout(g);
  std::size_t wf = 0, wi = 0;
  VOXTWIN_CUDA_CHECK(cufftSetAutoAllocation(forward_.get(), 0));
  VOXTWIN_CUDA_CHECK(cufftMakePlanMany64(forward_.get(), 3, l.n, l.real_embed, 1, l.real_dist, l.cplx_embed, 1,
                                         l.cplx_dist, CUFFT_R2C, 1, &wf));
  VOXTWIN_CUDA_CHECK(cufftSetAutoAllocation(inverse_.get(), 0));
  VOXTWIN_CUDA_CHECK(cufftMakePlanMany64(inverse_.get(), 3, l.n, l.cplx_embed, 1, l.cplx_dist, l.real_embed, 1,
                                         l.real_dist, CUFFT_C2R, 1, &wi));
  work_bytes_ = std::max(wf, wi);
}

void CufftR2C::set_work_area(void* work) {
  VOXTWIN_CUDA_CHECK(cufftSetWorkArea(forward_.get(), work));
  VOXTWIN_CUDA_CHECK(cufftSetWorkArea(inverse_.get(), work));
}

void CufftR2C::forward(const float* in, float* out) const {
  VOXTWIN_CUDA_CHECK(cufftExecR2C(forward_.get(), const_cast<float*>(in), reinterpret_cast<cufftComplex*>(out)));
}

void CufftR2C::inverse(float* comp) const {
  VOXTWIN_CUDA_CHECK(cufftExecC2R(inverse_.get(), reinterpret_cast<cufftComplex*>(comp), comp));
}

std::size_t cufft_work_bytes(const detail::PaddedGrid& g) {
  Layout l = layout(g);
  CufftPlan f, i;
  std::size_t wf = 0, wi = 0;
  VOXTWIN_CUDA_CHECK(cufftGetSizeMany64(f.get(), 3, l.n, l.real_embed, 1, l.real_dist, l.cplx_embed, 1, l.cplx_dist,
                                        CUFFT_R2C, 1, &wf));
  VOXTWIN_CUDA_CHECK(cufftGetSizeMany64(i.get(), 3, l.n, l.cplx_embed, 1, l.cplx_dist, l.real_embed, 1, l.real_dist,
                                        CUFFT_C2R, 1, &wi));
  return std::max(wf, wi);
}

}  // namespace voxtwin::cuda_detail
